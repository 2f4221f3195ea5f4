/* The configuration beside every cycle figure, and options as keys (see
 * params.h). */
#include <string.h>

#include "commands.h"
#include "params.h"

int cli_param_item(void *ctx, const char *key, const char *value, const char *source)
{
	struct out *o = ctx;
	out_item_begin(o);
	out_str(o, "key", key, NULL);
	out_str(o, "value", value, NULL);
	out_str(o, "source", source, NULL);
	out_item_end(o);
	return 0;
}

struct param_text {
	unsigned col;
	const char *src[128];
	unsigned nsrc;
	FILE *fp;
};

static int param_text(void *ctx, const char *key, const char *value, const char *source)
{
	struct param_text *pt = ctx;
	unsigned n;
	for (n = 0; n < pt->nsrc && strcmp(pt->src[n], source); n++)
		;
	if (n == pt->nsrc && pt->nsrc < 128)
		pt->src[pt->nsrc++] = source;
	char item[160];
	snprintf(item, sizeof item, "%s=%s[%u]", key, value, n + 1);
	fprintf(pt->fp, "%s%-34s", pt->col ? " " : "    ", item);
	if (++pt->col == 3) {
		fputc('\n', pt->fp);
		pt->col = 0;
	}
	return 0;
}

void cli_params_text(FILE *fp, const struct machine_config *mc)
{
	struct param_text pt = { .fp = fp };
	fprintf(fp, "machine, hardware and cost-model parameters (key=value[source])\n");
	machine_config_foreach(mc, param_text, &pt);
	if (pt.col)
		fputc('\n', fp);
	fprintf(fp, "  sources:\n");
	for (unsigned i = 0; i < pt.nsrc; i++)
		fprintf(fp, "    [%u] %s\n", i + 1, pt.src[i]);
}

void cli_params(struct out *o, FILE *fp, const struct machine_config *mc)
{
	if (out_format(o) == OUT_TEXT) {
		cli_params_text(fp, mc);
		return;
	}
	out_list_begin(o, "params", NULL);
	machine_config_foreach(mc, cli_param_item, o);
	out_list_end(o);
}

/* The library's message without its leading "KEY: ". */
static const char *without_key(const char *why, const char *key)
{
	size_t kl = strlen(key);
	return !strncmp(why, key, kl) && !strncmp(why + kl, ": ", 2) ? why + kl + 2 : NULL;
}

int cli_set_key(const char *cmd, struct machine_config *mc, const struct cli_key_option *opt,
		const char *value)
{
	if (!opt) {
		if (machine_config_set_spec(mc, value) == 0)
			return 0;
		return cli_fail(2, cmd, "--set %s: %s", value, xlat_error());
	}
	if (machine_config_set(mc, opt->key, opt->value ? opt->value : value) == 0)
		return 0;
	const char *why = without_key(xlat_error(), opt->key);
	return cli_fail(2, cmd, "--%s: %s", opt->option, why ? why : xlat_error());
}

int cli_check_keys(const char *cmd, const struct machine_config *mc, const struct cli_key_option *options,
		   size_t n, const bool *given)
{
	if (machine_config_check(mc) == 0)
		return 0;
	const char *why = xlat_error();
	for (size_t i = 0; i < n; i++) {
		const char *rest = given[i] ? without_key(why, options[i].key) : NULL;
		if (rest)
			return cli_fail(2, cmd, "--%s: %s", options[i].option, rest);
	}
	return cli_fail(2, cmd, "%s", why);
}
