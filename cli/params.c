/* The cost model's parameters beside every cycle figure (see params.h). */
#include <string.h>

#include "params.h"

static int param_item(void *ctx, const char *key, const char *value, const char *source)
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

void cli_params_text(FILE *fp, const struct cpu_preset *cpu)
{
	struct param_text pt = { .fp = fp };
	fprintf(fp, "cost model and hardware parameters (key=value[source])\n");
	cpu_foreach_param(cpu, param_text, &pt);
	if (pt.col)
		fputc('\n', fp);
	fprintf(fp, "  sources:\n");
	for (unsigned i = 0; i < pt.nsrc; i++)
		fprintf(fp, "    [%u] %s\n", i + 1, pt.src[i]);
}

void cli_params(struct out *o, FILE *fp, const struct cpu_preset *cpu)
{
	if (out_format(o) == OUT_JSON) {
		out_list_begin(o, "params", NULL);
		cpu_foreach_param(cpu, param_item, o);
		out_list_end(o);
	} else if (out_format(o) == OUT_TEXT) {
		cli_params_text(fp, cpu);
	}
}
