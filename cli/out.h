/*
 * Shared result output for every subcommand: one code path emits a result
 * as aligned text, one flat JSON object, or CSV (header row + value row).
 *
 *   struct out *o = out_begin(fmt, stdout);
 *   out_u64(o, "table_pages", n, "table pages");   // key, value, text label
 *   out_end(o);
 *
 * Keys are the JSON/CSV names (snake_case); labels are for text (NULL: the
 * key). Sections only add a heading in text. Arrays of objects (out_list_*)
 * appear in JSON; text and CSV print them as indented rows.
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

#endif
