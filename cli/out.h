/*
 * Shared result output for every subcommand: one code path emits a result
 * as aligned text, one JSON object, or CSV.
 *
 *   struct out *o = out_begin(fmt, stdout);
 *   out_u64(o, "table_pages", n, "table pages");   // key, value, text label
 *   out_end(o);
 *
 * Keys are the JSON/CSV names (snake_case); labels are for text (NULL: the
 * key). Sections only add a heading in text.
 *
 * Numbers. Text shows counts with thousands separators (1,234,567; out_id
 * for numbers that are names, such as a pid) and ratios in fixed notation
 * with four significant digits (0.0001234, 12.35, 1,234,568), never an
 * exponent. JSON and CSV carry plain numbers (%.10g for ratios).
 *
 * Strings. JSON strings are valid UTF-8: a byte that is not part of a valid
 * UTF-8 sequence (a trace's origin field may hold anything) becomes U+FFFD;
 * control characters are escaped. CSV gets the same replacement; text shows
 * control bytes as \xNN so a hostile string cannot drive the terminal.
 *
 * Lists of objects (out_list_*): JSON has them as arrays of objects; text
 * prints each item as an indented "key=value" row. CSV is a sequence of
 * blocks separated by one empty line:
 *
 *   key1,key2,...          the scalar fields: a header row and one value row
 *   v1,v2,...
 *
 *   list,n,dim,...         then one block per list: a header row whose first
 *   steps,1,guest,...      column is "list", and one row per item whose first
 *   steps,2,host,...       column is the list's key
 *
 * A list whose items change keys starts a new block (with its own header)
 * where they change. An empty list prints no block.
 */
#ifndef XLAT_CLI_OUT_H
#define XLAT_CLI_OUT_H

#include <stdint.h>
#include <stdio.h>

enum out_format { OUT_TEXT, OUT_JSON, OUT_CSV };

struct out;

struct out *out_begin(enum out_format fmt, FILE *fp);
void out_section(struct out *o, const char *title);
void out_u64(struct out *o, const char *key, uint64_t v, const char *label);
void out_i64(struct out *o, const char *key, int64_t v, const char *label);
/* A number that names something (a pid, an index): no separators in text. */
void out_id(struct out *o, const char *key, uint64_t v, const char *label);
void out_f64(struct out *o, const char *key, double v, const char *label);
void out_str(struct out *o, const char *key, const char *v, const char *label);
void out_bool(struct out *o, const char *key, int v, const char *label);
/* A list of objects: out_list_begin, then per item out_item_begin, fields,
 * out_item_end; then out_list_end. */
void out_list_begin(struct out *o, const char *key, const char *label);
void out_item_begin(struct out *o);
void out_item_end(struct out *o);
void out_list_end(struct out *o);
/* Free text shown in text mode only (explanations, drawings). */
void out_text(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_end(struct out *o);

enum out_format out_format(const struct out *o);

/* Writes s with control bytes (a newline in a path, a terminal escape
 * from a trace's origin) shown as \xNN, never sent raw. */
void out_put_safe(FILE *fp, const char *s);

/* Text renderings used by out_u64/out_f64, for commands that print their
 * own tables: v with thousands separators; v in fixed notation (four
 * significant digits, separators in the integer part). Return buf. */
char *out_fmt_count(char *buf, size_t size, uint64_t v);
char *out_fmt_ratio(char *buf, size_t size, double v);

#endif
