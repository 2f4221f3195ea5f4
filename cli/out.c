/* Text / JSON / CSV emission shared by every subcommand (see out.h). */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

/* A growable list of strings (CSV keys or values). */
struct strv {
	char **s;
	size_t n, cap;
};

struct out {
	enum out_format fmt;
	FILE *fp;
	int nfields;          /* fields emitted in the current JSON object */
	int in_list, in_item, item_fields;
	/* CSV: the scalar fields, the current item, the current list's header,
	 * and the list blocks rendered so far (printed after the scalars). */
	struct strv csv_key, csv_val;
	struct strv item_key, item_val;
	struct strv head;     /* keys of the current block's header; n = 0: none yet */
	char *list_key;
	int list_items;
	char *lists;
	size_t lists_len;
	FILE *lists_fp;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("xlat: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

static void strv_push(struct strv *v, const char *s)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 32;
		char **ns = realloc(v->s, v->cap * sizeof *ns);
		if (!ns) {
			fputs("xlat: out of memory\n", stderr);
			exit(1);
		}
		v->s = ns;
	}
	v->s[v->n++] = xstrdup(s);
}

static void strv_clear(struct strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->s[i]);
	v->n = 0;
}

static void strv_free(struct strv *v)
{
	strv_clear(v);
	free(v->s);
	v->s = NULL;
	v->cap = 0;
}

struct out *out_begin(enum out_format fmt, FILE *fp)
{
	struct out *o = xmalloc(sizeof *o);
	memset(o, 0, sizeof *o);
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

/* ---- numbers ----------------------------------------------------------- */

char *out_fmt_count(char *buf, size_t size, uint64_t v)
{
	char digits[24], tmp[32];
	int n = snprintf(digits, sizeof digits, "%" PRIu64, v), k = 0;
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			tmp[k++] = ',';
		tmp[k++] = digits[i];
	}
	tmp[k] = 0;
	snprintf(buf, size, "%s", tmp);
	return buf;
}

char *out_fmt_ratio(char *buf, size_t size, double v)
{
	char fixed[400];
	if (!isfinite(v)) {
		snprintf(buf, size, "nan");
		return buf;
	}
	double av = fabs(v);
	if (av < 5e-13) {
		snprintf(buf, size, "0");
		return buf;
	}
	/* Four significant digits, at most twelve decimals, never an exponent. */
	int mag = (int)floor(log10(av));
	int dec = mag >= 3 ? 0 : 3 - mag;
	if (dec > 12)
		dec = 12;
	snprintf(fixed, sizeof fixed, "%.*f", dec, av);
	char *dot = strchr(fixed, '.');
	if (dot) {   /* 0.1000 -> 0.1, 2.000 -> 2 */
		char *e = fixed + strlen(fixed) - 1;
		while (*e == '0')
			*e-- = 0;
		if (*e == '.')
			*e = 0;
	}
	/* Group the integer part. */
	dot = strchr(fixed, '.');
	size_t ilen = dot ? (size_t)(dot - fixed) : strlen(fixed);
	char out[480];
	size_t k = 0;
	if (v < 0)
		out[k++] = '-';
	for (size_t i = 0; i < ilen; i++) {
		if (i && (ilen - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = fixed[i];
	}
	snprintf(out + k, sizeof out - k, "%s", dot ? dot : "");
	snprintf(buf, size, "%s", out);
	return buf;
}

/* ---- strings ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 if s does not start one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static void json_string(FILE *fp, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', fp);
	while (*s) {
		unsigned char c = *s;
		size_t n = utf8_len(s);
		if (n == 0) {
			fputs("\\ufffd", fp);
			s++;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fwrite(s, 1, n, fp);
		s += n;
	}
	fputc('"', fp);
}

/* A copy of s that is valid UTF-8 (invalid bytes replaced by U+FFFD). */
static char *utf8_clean(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out = xmalloc(3 * strlen(str) + 1), *p = out;
	while (*s) {
		size_t n = utf8_len(s);
		if (n == 0) {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			s++;
		} else {
			memcpy(p, s, n);
			p += n;
			s += n;
		}
	}
	*p = 0;
	return out;
}

void out_put_safe(FILE *fp, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
}

static void csv_cell(FILE *fp, const char *v)
{
	int quote = strpbrk(v, ",\"\n\r") != NULL;
	if (quote)
		fputc('"', fp);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', fp);
		fputc(*v, fp);
	}
	if (quote)
		fputc('"', fp);
}

static void csv_row(FILE *fp, const char *first, const struct strv *v)
{
	if (first)
		csv_cell(fp, first);
	for (size_t i = 0; i < v->n; i++) {
		if (first || i)
			fputc(',', fp);
		csv_cell(fp, v->s[i]);
	}
	fputc('\n', fp);
}

/* ---- fields ------------------------------------------------------------- */

/* Emits one field. JSON/CSV get `val`; text gets `text` (NULL: val).
 * `quoted` for strings. */
static void field(struct out *o, const char *key, const char *val, const char *text, int quoted,
		  const char *label)
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
	case OUT_CSV: {
		char *clean = utf8_clean(val);
		strv_push(o->in_item ? &o->item_key : &o->csv_key, key);
		strv_push(o->in_item ? &o->item_val : &o->csv_val, clean);
		free(clean);
		break;
	}
	case OUT_TEXT:
		if (!text)
			text = val;
		if (o->in_item) {
			fprintf(o->fp, "%s%s=", o->item_fields++ ? "  " : "    ", label ? label : key);
			out_put_safe(o->fp, text);
		} else {
			fprintf(o->fp, "  %-36s ", label ? label : key);
			out_put_safe(o->fp, text);
			fputc('\n', o->fp);
		}
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
	char b[32], t[40];
	snprintf(b, sizeof b, "%" PRIu64, v);
	field(o, key, b, o->fmt == OUT_TEXT ? out_fmt_count(t, sizeof t, v) : NULL, 0, label);
}

void out_id(struct out *o, const char *key, uint64_t v, const char *label)
{
	char b[32];
	snprintf(b, sizeof b, "%" PRIu64, v);
	field(o, key, b, NULL, 0, label);
}

void out_i64(struct out *o, const char *key, int64_t v, const char *label)
{
	char b[32], t[48];
	snprintf(b, sizeof b, "%" PRId64, v);
	if (o->fmt == OUT_TEXT) {
		char g[40];
		out_fmt_count(g, sizeof g, v < 0 ? -(uint64_t)v : (uint64_t)v);
		snprintf(t, sizeof t, "%s%s", v < 0 ? "-" : "", g);
	}
	field(o, key, b, o->fmt == OUT_TEXT ? t : NULL, 0, label);
}

void out_f64(struct out *o, const char *key, double v, const char *label)
{
	char b[64], t[480];
	if (o->fmt == OUT_TEXT)
		out_fmt_ratio(t, sizeof t, v);
	if (!isfinite(v))
		snprintf(b, sizeof b, o->fmt == OUT_JSON ? "null" : "nan");
	else
		snprintf(b, sizeof b, "%.10g", v);
	field(o, key, b, o->fmt == OUT_TEXT ? t : NULL, 0, label);
}

void out_str(struct out *o, const char *key, const char *v, const char *label)
{
	field(o, key, v ? v : "", NULL, 1, label);
}

void out_bool(struct out *o, const char *key, int v, const char *label)
{
	field(o, key, v ? "true" : "false", NULL, 0, label);
}

/* ---- lists -------------------------------------------------------------- */

static FILE *lists_fp(struct out *o)
{
	if (!o->lists_fp) {
		o->lists_fp = open_memstream(&o->lists, &o->lists_len);
		if (!o->lists_fp) {
			fputs("xlat: out of memory\n", stderr);
			exit(1);
		}
	}
	return o->lists_fp;
}

/* CSV: a header for the current list, before the first item or where the
 * items' keys change. */
static void csv_header(struct out *o, const struct strv *keys)
{
	FILE *fp = lists_fp(o);
	fputc('\n', fp);
	csv_row(fp, "list", keys);
	strv_clear(&o->head);
	for (size_t i = 0; i < keys->n; i++)
		strv_push(&o->head, keys->s[i]);
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
	} else {
		free(o->list_key);
		o->list_key = xstrdup(key);
		o->list_items = 0;
		strv_clear(&o->head);
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
	strv_clear(&o->item_key);
	strv_clear(&o->item_val);
	o->in_item = 1;
	o->item_fields = 0;
}

void out_item_end(struct out *o)
{
	if (o->fmt == OUT_JSON) {
		fputc('}', o->fp);
	} else if (o->fmt == OUT_TEXT) {
		fputc('\n', o->fp);
	} else {
		bool same = o->list_items > 0 && o->head.n == o->item_key.n;
		for (size_t i = 0; same && i < o->head.n; i++)
			same = !strcmp(o->head.s[i], o->item_key.s[i]);
		if (!same)
			csv_header(o, &o->item_key);
		csv_row(lists_fp(o), o->list_key, &o->item_val);
		o->list_items++;
	}
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
		csv_row(o->fp, NULL, &o->csv_key);
		csv_row(o->fp, NULL, &o->csv_val);
		if (o->lists_fp) {
			fclose(o->lists_fp);
			fwrite(o->lists, 1, o->lists_len, o->fp);
			free(o->lists);
		}
	}
	fflush(o->fp);
	strv_free(&o->csv_key);
	strv_free(&o->csv_val);
	strv_free(&o->item_key);
	strv_free(&o->item_val);
	strv_free(&o->head);
	free(o->list_key);
	free(o);
}
