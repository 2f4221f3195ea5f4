/*
 * tables/format_common.c — the public entry points of xlat/format.h: they
 * check their arguments and call the format's operations table (struct
 * fmt_ops, in format_x86.c / format_ept.c beside the descriptors).
 *
 * Misuse by the caller (a level the format does not have, a table at level 1,
 * a misaligned address handed to a make function) is a bug and aborts; entry
 * bits, whatever they are, never do: they are data read from memory.
 */
#include <stdio.h>
#include <string.h>

#include "tables/format_int.h"

/* Every format, for fmt_by_name. A new format adds itself here. */
static const struct xlat_format *const all_formats[] = {
	&fmt_x86_4, &fmt_x86_5, &fmt_ept_4, &fmt_ept_5,
};

const struct xlat_format *fmt_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof all_formats / sizeof all_formats[0]; i++)
		if (strcmp(all_formats[i]->name, name) == 0)
			return all_formats[i];
	return NULL;
}

const struct xlat_format *fmt_x86(int levels)
{
	return levels == 4 ? &fmt_x86_4 : levels == 5 ? &fmt_x86_5 : NULL;
}

const struct xlat_format *fmt_ept(int levels)
{
	return levels == 4 ? &fmt_ept_4 : levels == 5 ? &fmt_ept_5 : NULL;
}

uint64_t fmt_addr_mask(int level, bool leaf, unsigned maxphyaddr)
{
	unsigned lo = XLAT_PAGE_SHIFT;

	if (leaf && (level == 2 || level == 3))
		lo = xlat_level_shift(level);
	return fmt_bits(fmt_clamp_maxphy(maxphyaddr) - 1, lo);
}

static void check_level(const char *func, const struct xlat_format *fmt, int level)
{
	if (!fmt)
		xlat_bug(func, "no format");
	if (level < 1 || level > fmt->levels)
		xlat_bug(func, "level %d outside 1..%u of %s", level, fmt->levels, fmt->name);
}

uint64_t fmt_rsvd_mask(const struct xlat_format *fmt, int level, bool leaf,
		       unsigned maxphyaddr, unsigned ctl)
{
	check_level(__func__, fmt, level);
	if (level == 1)
		leaf = true;
	return fmt->ops->rsvd_mask(fmt, level, leaf, maxphyaddr, ctl);
}

uint64_t fmt_make_table(const struct xlat_format *fmt, int level, xlat_pa table, bool accessed)
{
	check_level(__func__, fmt, level);
	if (level == 1)
		XLAT_BUG("a %s cannot point to a table", fmt_level_name(fmt, 1));
	if (table & ~fmt_addr_mask(1, false, XLAT_MAX_PA_BITS))
		XLAT_BUG("table address 0x%llx is not a 4K-aligned 52-bit address",
			 (unsigned long long)table);
	return table | fmt->ops->table_bits(fmt, accessed);
}

uint64_t fmt_make_leaf(const struct xlat_format *fmt, int level, xlat_pa page, uint32_t perms)
{
	check_level(__func__, fmt, level);
	if (!fmt_leaf_level(fmt, level))
		XLAT_BUG("%s cannot map a page", fmt_level_name(fmt, level));
	if (page & ~fmt_addr_mask(level, true, XLAT_MAX_PA_BITS))
		XLAT_BUG("page 0x%llx is not a %s-aligned 52-bit address",
			 (unsigned long long)page, fmt_page_name(level));
	return page | fmt->ops->leaf_bits(fmt, level, perms);
}

void fmt_decode(const struct xlat_format *fmt, int level, uint64_t e, unsigned maxphyaddr,
		struct pte_fields *out)
{
	check_level(__func__, fmt, level);
	memset(out, 0, sizeof *out);
	if (!fmt_present(fmt, e))
		return;
	out->present = true;
	out->leaf = fmt_entry_leaf(fmt, level, e);
	fmt->ops->decode(fmt, level, e, maxphyaddr, out);
}

uint64_t fmt_set_perms(const struct xlat_format *fmt, int level, uint64_t e, uint32_t perms)
{
	uint64_t mask, bits;

	check_level(__func__, fmt, level);
	/* At level 2/3 a table's bit 12 is address, not PAT: never rewrite it. */
	if (!fmt_entry_leaf(fmt, level, e))
		XLAT_BUG("%s 0x%llx is not a leaf", fmt_level_name(fmt, level),
			 (unsigned long long)e);
	mask = fmt->ops->perm_bits(fmt, level);
	bits = fmt->ops->leaf_bits(fmt, level, perms);
	return (e & ~mask) | (bits & mask);
}

const char *fmt_level_name(const struct xlat_format *fmt, int level)
{
	if (!fmt)
		return "?";
	if (level < 1 || level > fmt->levels)
		return fmt->ops->level_names[0];
	return fmt->ops->level_names[level];
}

const char *fmt_table_name(const struct xlat_format *fmt, int level)
{
	return level >= 2 && level <= fmt->levels ? fmt->ops->table_names[level]
						   : fmt->ops->table_names[0];
}

bool fmt_misconfig(const struct xlat_format *fmt, int level, uint64_t e,
		   unsigned maxphyaddr, unsigned ctl, bool exec_only_ok)
{
	if (!fmt || !fmt->ops->misconfig)
		return false;
	check_level(__func__, fmt, level);
	return fmt->ops->misconfig(fmt, level, e, maxphyaddr, ctl, exec_only_ok);
}

const char *fmt_page_name(int level)
{
	return level == 3 ? "1G" : level == 2 ? "2M" : "4K";
}

void fmt_sb_printf(struct fmt_sb *sb, const char *f, ...)
{
	size_t used = (size_t)sb->n;
	va_list ap;
	int k;

	va_start(ap, f);
	if (sb->buf && used < sb->len)
		k = vsnprintf(sb->buf + used, sb->len - used, f, ap);
	else
		k = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (k > 0)
		sb->n += k;
}

int fmt_describe(const struct xlat_format *fmt, int level, uint64_t e, unsigned maxphyaddr,
		 char *buf, size_t len)
{
	struct fmt_sb sb = { .buf = buf, .len = buf ? len : 0, .n = 0 };

	check_level(__func__, fmt, level);
	if (sb.len)
		sb.buf[0] = '\0';
	fmt_sb_printf(&sb, "%-9s 0x%016llx", fmt_level_name(fmt, level), (unsigned long long)e);
	if (!fmt_present(fmt, e)) {
		fmt_sb_printf(&sb, " not present");
		return sb.n;
	}
	fmt->ops->describe(fmt, level, e, maxphyaddr, &sb);
	return sb.n;
}
