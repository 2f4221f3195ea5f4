/*
 * The cost model and hardware parameters, printed beside every cycle
 * figure: JSON gets a "params" list of {key, value, source}; text a block
 * of key=value[n] three to a line, then each distinct source once,
 * numbered; CSV carries none (its one row holds the figures).
 *
 * Shared by the commands that print cycles (gc; sim still has its own copy
 * in cmd_sim.c, to move here).
 */
#ifndef XLAT_CLI_PARAMS_H
#define XLAT_CLI_PARAMS_H

#include <stdio.h>

#include "out.h"
#include "xlat/cpu.h"

/* After a command's figures, before out_end(o); text goes to fp. */
void cli_params(struct out *o, FILE *fp, const struct cpu_preset *cpu);
/* The text block alone (a --list-params listing). */
void cli_params_text(FILE *fp, const struct cpu_preset *cpu);

#endif
