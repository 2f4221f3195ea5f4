/*
 * tables/format_int.h — internals shared by the format sources.
 *
 * format_common.c holds the public entry points, which check their
 * arguments and call the format's operations table; each architecture's
 * source (format_x86.c, format_ept.c) holds its descriptors and its table.
 * Nothing here is API.
 */
#ifndef XLAT_TABLES_FORMAT_INT_H
#define XLAT_TABLES_FORMAT_INT_H

#include <stdarg.h>

#include "xlat/format.h"

/* Bits hi:lo inclusive (hi >= lo); empty if hi < lo. */
static inline uint64_t fmt_bits(unsigned hi, unsigned lo)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63u - hi)) & (~0ULL << lo);
}

/* MAXPHYADDR clamped to what an entry can hold: [12, 52]. */
static inline unsigned fmt_clamp_maxphy(unsigned maxphyaddr)
{
	if (maxphyaddr > XLAT_MAX_PA_BITS)
		return XLAT_MAX_PA_BITS;
	if (maxphyaddr < XLAT_PAGE_SHIFT)
		return XLAT_PAGE_SHIFT;
	return maxphyaddr;
}

/* Bits 51:maxphyaddr: reserved in every present entry of both formats. */
static inline uint64_t fmt_rsvd_phys(unsigned maxphyaddr)
{
	return fmt_bits(XLAT_MAX_PA_BITS - 1, fmt_clamp_maxphy(maxphyaddr));
}

/* Can `level` hold a leaf in this format (ignoring the 1G capability)? */
static inline bool fmt_leaf_level(const struct xlat_format *fmt, int level)
{
	return level >= 1 && level <= 7 && ((fmt->leaf_levels >> level) & 1u);
}

/* Is e, a present entry at a valid level, a leaf? Same rule as
 * fmt_is_leaf(): PS counts only where the format allows leaves. */
static inline bool fmt_entry_leaf(const struct xlat_format *fmt, int level, uint64_t e)
{
	return level == 1 || (fmt_leaf_level(fmt, level) && (e & fmt->ps_bit));
}

/* Levels 1, 2 and 3 may map a page (4K, 2M, 1G). */
#define FMT_LEAF_LEVELS_1_2_3 ((1u << 1) | (1u << 2) | (1u << 3))

/* A bounded, snprintf-style string builder for fmt_describe. */
struct fmt_sb {
	char *buf;
	size_t len;   /* capacity of buf, bytes */
	int n;        /* bytes the full text needs (without the NUL) */
};
void fmt_sb_printf(struct fmt_sb *sb, const char *f, ...) __attribute__((format(printf, 2, 3)));

/* Page-size word for a leaf at level: "4K", "2M", "1G". */
const char *fmt_page_name(int level);
/* What a non-leaf entry at `level` points to ("PT", "EPT PD", ...). */
const char *fmt_table_name(const struct xlat_format *fmt, int level);

/* The operations tables (format_x86.c, format_ept.c). */
extern const struct fmt_ops fmt_x86_ops;
extern const struct fmt_ops fmt_ept_ops;

#endif
