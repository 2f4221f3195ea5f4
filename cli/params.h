/*
 * The configuration printed beside every cycle figure: JSON gets a
 * "params" list of {key, value, source}; text a block of key=value[n]
 * three to a line, then each distinct source once, numbered; CSV carries
 * the list as a block (out.h).
 *
 * And the other way: options that are spellings of configuration keys
 * (--mode M is mode=M), set with messages that name the option.
 */
#ifndef XLAT_CLI_PARAMS_H
#define XLAT_CLI_PARAMS_H

#include <stdbool.h>
#include <stdio.h>

#include "out.h"
#include "xlat/machine.h"

/* After a command's figures, before out_end(o); text goes to fp. */
void cli_params(struct out *o, FILE *fp, const struct machine_config *mc);
/* The text block alone (a --list-params listing). */
void cli_params_text(FILE *fp, const struct machine_config *mc);
/* One {key, value, source} item of an out list (out_list_begin first),
 * ctx the struct out: a callback of machine_config_foreach and of other
 * *_foreach listings of the same three strings. */
int cli_param_item(void *ctx, const char *key, const char *value, const char *source);

/* An option that stands for a key: "--mode" for "mode"; value NULL: the
 * option's argument is the key's value. */
struct cli_key_option {
	const char *option;    /* without the dashes */
	const char *key;
	const char *value;
};

/* Sets key to value for option `option` (NULL: --set KEY=VALUE, value
 * holding "KEY=VALUE"). 0, or prints one line naming the option (the
 * library's "KEY: " prefix replaced by "--OPTION: ") and returns 2. */
int cli_set_key(const char *cmd, struct machine_config *mc, const struct cli_key_option *opt,
		const char *value);
/* machine_config_check; 0, or prints one line naming the option that set
 * the key the library names (given[i]: options[i] was on the command line)
 * and returns 2. */
int cli_check_keys(const char *cmd, const struct machine_config *mc, const struct cli_key_option *options,
		   size_t n, const bool *given);

#endif
