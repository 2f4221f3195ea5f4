/* Text / JSON / CSV emission shared by every subcommand (see out.h). */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

#define CSV_MAX 256

struct out {
	enum out_format fmt;
	FILE *fp;
	int nfields;          /* fields emitted in the current JSON object */
	int in_list, in_item, item_fields;
	int csv_n;
	char *csv_key[CSV_MAX];
	char *csv_val[CSV_MAX];
};

struct out *out_begin(enum out_format fmt, FILE *fp)
{
	struct out *o = calloc(1, sizeof *o);
	if (!o) {
		perror("xlat");
		exit(1);
	}
	o->fmt = fmt;
	o->fp = fp;
	if (fmt == OUT_JSON)
		fputc('{', fp);
	return o;
}

enum out_format out_format(const struct out *o)
{
	return o->fmt;
}

static void json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c < 0x20)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* Emits one field whose value is already rendered; `quoted` for strings. */
static void field(struct out *o, const char *key, const char *val, int quoted, const char *label)
{
	switch (o->fmt) {
	case OUT_JSON:
		if (o->in_item ? o->item_fields++ : o->nfields++)
			fputc(',', o->fp);
		json_string(o->fp, key);
		fputc(':', o->fp);
		if (quoted)
			json_string(o->fp, val);
		else
			fputs(val, o->fp);
		break;
	case OUT_CSV:
		if (o->in_list || o->csv_n >= CSV_MAX)
			break;
		o->csv_key[o->csv_n] = strdup(key);
		o->csv_val[o->csv_n] = strdup(val);
		o->csv_n++;
		break;
	case OUT_TEXT:
		if (o->in_item)
			fprintf(o->fp, "%s%s=%s", o->item_fields++ ? "  " : "    ", label ? label : key, val);
		else
			fprintf(o->fp, "  %-36s %s\n", label ? label : key, val);
		break;
	}
}

void out_section(struct out *o, const char *title)
{
	if (o->fmt == OUT_TEXT)
		fprintf(o->fp, "%s\n", title);
}

void out_u64(struct out *o, const char *key, uint64_t v, const char *label)
{
	char b[32];
	snprintf(b, sizeof b, "%" PRIu64, v);
	field(o, key, b, 0, label);
}

void out_i64(struct out *o, const char *key, int64_t v, const char *label)
{
	char b[32];
	snprintf(b, sizeof b, "%" PRId64, v);
	field(o, key, b, 0, label);
}

void out_f64(struct out *o, const char *key, double v, const char *label)
{
	char b[64];
	if (!isfinite(v))
		snprintf(b, sizeof b, o->fmt == OUT_JSON ? "null" : "nan");
	else if (o->fmt == OUT_TEXT)
		snprintf(b, sizeof b, "%.4g", v);
	else
		snprintf(b, sizeof b, "%.10g", v);
	field(o, key, b, 0, label);
}

void out_str(struct out *o, const char *key, const char *v, const char *label)
{
	field(o, key, v ? v : "", 1, label);
}

void out_bool(struct out *o, const char *key, int v, const char *label)
{
	field(o, key, v ? "true" : "false", 0, label);
}

void out_list_begin(struct out *o, const char *key, const char *label)
{
	if (o->fmt == OUT_JSON) {
		if (o->nfields++)
			fputc(',', o->fp);
		json_string(o->fp, key);
		fputs(":[", o->fp);
	} else if (o->fmt == OUT_TEXT) {
		fprintf(o->fp, "  %s:\n", label ? label : key);
	}
	o->in_list = 1;
	o->in_item = 0;
	o->item_fields = -1;   /* marks "no item yet" for JSON commas */
}

void out_item_begin(struct out *o)
{
	if (o->fmt == OUT_JSON) {
		if (o->item_fields >= 0)
			fputc(',', o->fp);
		fputc('{', o->fp);
	}
	o->in_item = 1;
	o->item_fields = 0;
}

void out_item_end(struct out *o)
{
	if (o->fmt == OUT_JSON)
		fputc('}', o->fp);
	else if (o->fmt == OUT_TEXT)
		fputc('\n', o->fp);
	o->in_item = 0;
}

void out_list_end(struct out *o)
{
	if (o->fmt == OUT_JSON)
		fputc(']', o->fp);
	o->in_list = 0;
}

void out_text(struct out *o, const char *fmt, ...)
{
	if (o->fmt != OUT_TEXT)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
}

void out_end(struct out *o)
{
	if (o->fmt == OUT_JSON) {
		fputs("}\n", o->fp);
	} else if (o->fmt == OUT_CSV) {
		for (int i = 0; i < o->csv_n; i++)
			fprintf(o->fp, "%s%s", i ? "," : "", o->csv_key[i]);
		fputc('\n', o->fp);
		for (int i = 0; i < o->csv_n; i++) {
			const char *v = o->csv_val[i];
			int quote = strpbrk(v, ",\"\n") != NULL;
			fprintf(o->fp, "%s%s", i ? "," : "", quote ? "\"" : "");
			for (; *v; v++)
				fprintf(o->fp, *v == '"' ? "\"\"" : "%c", *v);
			if (quote)
				fputc('"', o->fp);
			free(o->csv_key[i]);
			free(o->csv_val[i]);
		}
		fputc('\n', o->fp);
	}
	fflush(o->fp);
	free(o);
}
