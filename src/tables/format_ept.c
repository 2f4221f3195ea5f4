/*
 * tables/format_ept.c — EPT paging-structure entries (Intel SDM vol. 3C
 * 29.3.2, tables 29-1..29-6) and EPT misconfigurations (29.3.3.1).
 *
 *  63   62:52  51:M   M-1:12     11  10  9 8  7    6    5:3  2 1 0
 * +---+------+------+----------+----+--+-+-+----+----+-----+-+-+-+
 * |SVE| ign  | rsvd | address  |ign |UX|D|A| PS |IPAT| MT  |X|W|R|
 * +---+------+------+----------+----+--+-+-+----+----+-----+-+-+-+
 *
 *  - Leaves (PTE; PDE / PDPTE with PS=1): memory type 5:3, IPAT 6, D 9,
 *    SVE 63. A 2M leaf's frame starts at bit 21 with 20:12 reserved, a 1G
 *    leaf's at bit 30 with 29:12 reserved. Bit 7 of a PTE is ignored.
 *  - Non-leaf PDPTE / PDE: bits 6:3 reserved (7 is PS = 0). PML4E / PML5E:
 *    bits 7:3 reserved. A PDPTE with PS=1 without 1G support is reserved.
 *  - A (8) and D (9) are ignored unless EPTP[6] enables A/D; UX (10) is
 *    ignored unless mode-based execute control (MBEC) is on.
 */
#include "tables/format_int.h"

#define EPT_PERM_MASK (FMT_EPT_R | FMT_EPT_W | FMT_EPT_X)
/* The memory types a leaf may hold, a bit each: UC, WC, WT, WP, WB. */
#define EPT_MT_VALID ((1u << FMT_EPT_MT_UC) | (1u << FMT_EPT_MT_WC) | (1u << FMT_EPT_MT_WT) | \
		      (1u << FMT_EPT_MT_WP) | (1u << FMT_EPT_MT_WB))

static uint64_t ept_rsvd_mask(const struct xlat_format *fmt, int level, bool leaf,
			      unsigned maxphyaddr, unsigned ctl)
{
	uint64_t m = fmt_rsvd_phys(maxphyaddr);

	if (level >= 4)
		m |= fmt_bits(7, 3);
	else if (level == 3 && leaf)
		m |= (ctl & FMT_CTL_1G) ? fmt_bits(29, 12) : FMT_EPT_PS;
	else if (level == 2 && leaf)
		m |= fmt_bits(20, 12);
	else if (level > 1)
		m |= fmt_bits(6, 3);
	(void)fmt;
	return m;
}

static uint64_t ept_table_bits(const struct xlat_format *fmt, bool accessed)
{
	(void)fmt;
	/* UX is ignored without MBEC, so granting it unconditionally is safe
	 * and lets the leaf alone decide user-mode execution with MBEC. */
	return FMT_EPT_R | FMT_EPT_W | FMT_EPT_X | FMT_EPT_UX | (accessed ? FMT_EPT_A : 0);
}

/* Generic cache field (type in bits 2:0, IPAT in bit 3) <-> EPT memory type:
 * 0 asks for WB, XLAT_EPT_UC for UC; other values are the type itself. */
static unsigned memtype_of_cache(unsigned cache)
{
	unsigned t = cache & 7u;

	if (t == 0)
		return FMT_EPT_MT_WB;
	if (t == XLAT_EPT_UC)
		return FMT_EPT_MT_UC;
	return t;
}

static unsigned cache_of_memtype(unsigned mt)
{
	if (mt == FMT_EPT_MT_WB)
		return 0;
	if (mt == FMT_EPT_MT_UC)
		return XLAT_EPT_UC;
	return mt;
}

static uint64_t ept_leaf_bits(const struct xlat_format *fmt, int level, uint32_t perms)
{
	unsigned cache = XLAT_CACHE_OF(perms);
	uint64_t e = (uint64_t)memtype_of_cache(cache) << FMT_EPT_MT_SHIFT;

	if (perms & XLAT_R)
		e |= FMT_EPT_R;
	if (perms & XLAT_W)
		e |= FMT_EPT_W;
	if (perms & XLAT_X)
		e |= FMT_EPT_X;
	if (perms & XLAT_UX)
		e |= FMT_EPT_UX;
	if (cache & 8u)
		e |= FMT_EPT_IPAT;
	if (level > 1)
		e |= FMT_EPT_PS;
	(void)fmt;
	return e;
}

static uint64_t ept_perm_bits(const struct xlat_format *fmt, int level)
{
	(void)fmt;
	(void)level;
	return EPT_PERM_MASK | FMT_EPT_UX | FMT_EPT_MT_MASK | FMT_EPT_IPAT;
}

static void ept_decode(const struct xlat_format *fmt, int level, uint64_t e, unsigned maxphyaddr,
		       struct pte_fields *out)
{
	bool leaf = out->leaf;
	uint32_t p = 0;

	(void)fmt;
	out->addr = e & fmt_addr_mask(level, leaf, maxphyaddr);
	if (e & FMT_EPT_R)
		p |= XLAT_R;
	if (e & FMT_EPT_W)
		p |= XLAT_W;
	if (e & FMT_EPT_X)
		p |= XLAT_X;
	if (e & FMT_EPT_UX)
		p |= XLAT_UX;
	if (leaf) {
		unsigned cache = cache_of_memtype((unsigned)((e & FMT_EPT_MT_MASK) >> FMT_EPT_MT_SHIFT));

		if (e & FMT_EPT_IPAT)
			cache |= 8u;
		p |= XLAT_CACHE(cache);
	}
	out->perms = p;
	out->accessed = (e & FMT_EPT_A) != 0;
	out->dirty = leaf && (e & FMT_EPT_D);
}

static bool ept_misconfig(const struct xlat_format *fmt, int level, uint64_t e,
			 unsigned maxphyaddr, unsigned ctl, bool exec_only_ok)
{
	uint64_t rwx = e & EPT_PERM_MASK;
	bool ux = (ctl & FMT_CTL_MBEC) && (e & FMT_EPT_UX);
	bool leaf;

	if (!rwx && !ux)
		return false;                   /* not present: a violation, not a misconfig */
	if ((e & FMT_EPT_W) && !(e & FMT_EPT_R))
		return true;                    /* write-only or write/execute */
	if (!exec_only_ok && (rwx == FMT_EPT_X || (rwx == 0 && ux)))
		return true;                    /* execute-only without the capability */
	leaf = fmt_entry_leaf(fmt, level, e);
	if (leaf) {
		unsigned mt = (unsigned)((e & FMT_EPT_MT_MASK) >> FMT_EPT_MT_SHIFT);

		if (mt == 2 || mt == 3 || mt == 7)
			return true;
	}
	return (e & ept_rsvd_mask(fmt, level, leaf, maxphyaddr, ctl)) != 0;
}

static const char *memtype_name(unsigned mt)
{
	static const char *const names[8] = { "UC", "WC", "rsvd2", "rsvd3", "WT", "WP", "WB", "rsvd7" };

	return names[mt & 7u];
}

static void ept_describe(const struct xlat_format *fmt, int level, uint64_t e,
			 unsigned maxphyaddr, struct fmt_sb *sb)
{
	bool leaf = fmt_entry_leaf(fmt, level, e);
	uint64_t rsvd;

	fmt_sb_printf(sb, " %c%c%c", e & FMT_EPT_R ? 'R' : '-', e & FMT_EPT_W ? 'W' : '-',
		      e & FMT_EPT_X ? 'X' : '-');
	if (e & FMT_EPT_UX)
		fmt_sb_printf(sb, " UX");
	if (e & FMT_EPT_A)
		fmt_sb_printf(sb, " A");
	if (leaf && (e & FMT_EPT_D))
		fmt_sb_printf(sb, " D");
	if (level > 1 && (e & FMT_EPT_PS))
		fmt_sb_printf(sb, " PS");
	if (leaf) {
		fmt_sb_printf(sb, " MT=%s", memtype_name((unsigned)((e & FMT_EPT_MT_MASK) >> FMT_EPT_MT_SHIFT)));
		if (e & FMT_EPT_IPAT)
			fmt_sb_printf(sb, " IPAT");
		if (e & FMT_EPT_SVE)
			fmt_sb_printf(sb, " SVE");
		fmt_sb_printf(sb, " -> %s page 0x%llx", fmt_page_name(level),
			      (unsigned long long)(e & fmt_addr_mask(level, true, maxphyaddr)));
	} else {
		fmt_sb_printf(sb, " -> %s 0x%llx", fmt_table_name(fmt, level),
			      (unsigned long long)(e & fmt_addr_mask(level, false, maxphyaddr)));
	}
	if ((e & FMT_EPT_W) && !(e & FMT_EPT_R))
		fmt_sb_printf(sb, " W-WITHOUT-R");
	/* With 1G pages supported: bits a CPU would report as misconfigured. */
	rsvd = e & ept_rsvd_mask(fmt, level, leaf || (e & FMT_EPT_PS), maxphyaddr, FMT_CTL_1G);
	if (rsvd)
		fmt_sb_printf(sb, " RSVD=0x%llx", (unsigned long long)rsvd);
}

static const char *const ept_level_names[] = { "EPT ?", "EPT PTE", "EPT PDE", "EPT PDPTE",
					       "EPT PML4E", "EPT PML5E" };
static const char *const ept_table_names[] = { "?", "?", "EPT PT", "EPT PD", "EPT PDPT", "EPT PML4" };

const struct fmt_ops fmt_ept_ops = {
	.model = FMT_MODEL_EPT,
	.rsvd_mask = ept_rsvd_mask,
	.table_bits = ept_table_bits,
	.leaf_bits = ept_leaf_bits,
	.perm_bits = ept_perm_bits,
	.decode = ept_decode,
	.misconfig = ept_misconfig,
	.describe = ept_describe,
	.level_names = ept_level_names,
	.table_names = ept_table_names,
};

/* Rights (SDM 29.3.3.2): R, W, X bits; no user/supervisor distinction (every
 * entry grants U); with MBEC, bit 10 for user-mode linear addresses. */
#define EPT_PERM_BITS { .r = FMT_EPT_R, .w = FMT_EPT_W, .x = FMT_EPT_X, .ux = FMT_EPT_UX }

/* An entry is present iff any of R/W/X (bits 2:0) is set (SDM 29.3.2).
 * With MBEC a UX-only entry is present too; the walker adds perm.ux to the
 * mask under that control, and ept_misconfig handles it. */
#define EPT_FORMAT(name_, levels_, va_bits_) {                                   \
	.name = name_, .ops = &fmt_ept_ops, .levels = levels_,                  \
	.leaf_levels = FMT_LEAF_LEVELS_1_2_3, .va_bits = va_bits_,              \
	.sign_extended = false, .present_mask = EPT_PERM_MASK, .ps_bit = FMT_EPT_PS, \
	.a_bit = FMT_EPT_A, .d_bit = FMT_EPT_D, .perm = EPT_PERM_BITS,                  \
	.mc_safe = FMT_EPT_R, .mc_type_shift = FMT_EPT_MT_SHIFT, .mc_type_ok = EPT_MT_VALID, \
}

const struct xlat_format fmt_ept_4 = EPT_FORMAT("ept", 4, 48);              /* 4-level EPT */
const struct xlat_format fmt_ept_5 = EPT_FORMAT("ept5", 5, 57);             /* 5-level EPT */
