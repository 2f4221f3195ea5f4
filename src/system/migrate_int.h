/* Internals of live migration (migrate.c, migrate_secure.c). */
#ifndef XLAT_MIGRATE_INT_H
#define XLAT_MIGRATE_INT_H

#include "xlat/migrate.h"

/* A confidential VM (mode secure): the checks and the run. */
int mig_secure_check(const struct mig_config *c);
int mig_run_secure(const struct mig_config *c, struct mig_result *res);

#endif
