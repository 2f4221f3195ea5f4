/*
 * Migration of a confidential VM (mode secure). See docs/migrate.md.
 */
#include <errno.h>

#include "migrate_int.h"

int mig_secure_check(const struct mig_config *c)
{
	(void)c;
	return xlat_fail(-EINVAL, "a confidential VM's memory is the monitor's: not migrated yet");
}

int mig_run_secure(const struct mig_config *c, struct mig_result *res)
{
	(void)res;
	return mig_secure_check(c);
}
