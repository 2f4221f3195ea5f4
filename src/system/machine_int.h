/*
 * Between the machine's configuration (machine_config.c) and its preset
 * files (machine_file.c). Nothing here is public.
 */
#ifndef XLAT_SYSTEM_MACHINE_INT_H
#define XLAT_SYSTEM_MACHINE_INT_H

#include "xlat/machine.h"

/* The machine keys set since `before` (a copy of c->set) was taken become
 * the preset file's: listed as such, and not refused in a mode they do not
 * apply to. */
void machine_config_mark_file_keys(struct machine_config *c, uint64_t before);

#endif
