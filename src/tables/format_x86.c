/*
 * tables/format_x86.c — x86-64 4- and 5-level paging entries (Intel SDM
 * vol. 3A 4.5, tables 4-15..4-20).
 *
 *  63  62:59 58:52  51:M   M-1:12        12   11:9  8 7   6 5 4   3   2  1 0
 * +--+------+-----+------+-------------+----+-----+-+---+-+-+---+---+--+--+-+
 * |XD| PKEY | ign | rsvd | address     |    | ign |G|PS |D|A|PCD|PWT|US|RW|P|
 * +--+------+-----+------+-------------+----+-----+-+---+-+-+---+---+--+--+-+
 *
 *  - PTE (level 1): bit 7 is PAT, bits M-1:12 the 4K frame.
 *  - PDE / PDPTE with PS=1 (2M / 1G leaf): bit 12 is PAT, the frame starts
 *    at bit 21 / 30 and bits 20:13 / 29:13 are reserved.
 *  - Non-leaf entries: bits 6 (D) and 8 (G) are ignored, bits 62:52 ignored;
 *    PML4E and PML5E have PS reserved; a PDPTE with PS=1 is a reserved-bit
 *    violation on a CPU without 1G pages.
 *  - XD (bit 63) is reserved when IA32_EFER.NXE = 0 (SDM 4.5.4, table 4-20).
 *  - Protection keys (62:59) are only in leaves; ignored without CR4.PKE.
 */
#include "tables/format_int.h"

#define X86_PKEY_MASK (0xfULL << FMT_X86_PKEY_SHIFT)

static uint64_t x86_rsvd_mask(const struct xlat_format *fmt, int level, bool leaf,
			      unsigned maxphyaddr, unsigned ctl)
{
	uint64_t m = fmt_rsvd_phys(maxphyaddr);

	if (!(ctl & FMT_CTL_NXE))
		m |= FMT_X86_XD;
	if (level >= 4 || (level == 3 && leaf && !(ctl & FMT_CTL_1G))) {
		/* PS where leaves are not allowed: PS itself is reserved. */
		m |= FMT_X86_PS;
	} else if (level == 3 && leaf) {
		m |= fmt_bits(29, 13);
	} else if (level == 2 && leaf) {
		m |= fmt_bits(20, 13);
	}
	(void)fmt;
	return m;
}

static uint64_t x86_table_bits(const struct xlat_format *fmt, bool accessed)
{
	(void)fmt;
	return FMT_X86_P | FMT_X86_RW | FMT_X86_US | (accessed ? FMT_X86_A : 0);
}

/* The PAT bit of a leaf at `level`. */
static uint64_t pat_bit(int level)
{
	return level == 1 ? FMT_X86_PAT_4K : FMT_X86_PAT_HUGE;
}

static uint64_t x86_leaf_bits(const struct xlat_format *fmt, int level, uint32_t perms)
{
	unsigned pat_index = XLAT_CACHE_OF(perms) & 7u;
	uint64_t e = FMT_X86_P;

	if (perms & XLAT_W)
		e |= FMT_X86_RW;
	if (perms & XLAT_U)
		e |= FMT_X86_US;
	if (!(perms & XLAT_X))
		e |= FMT_X86_XD;
	if (perms & XLAT_G)
		e |= FMT_X86_G;
	if (pat_index & 1u)
		e |= FMT_X86_PWT;
	if (pat_index & 2u)
		e |= FMT_X86_PCD;
	if (pat_index & 4u)
		e |= pat_bit(level);
	if (level > 1)
		e |= FMT_X86_PS;
	e |= (uint64_t)((perms >> XLAT_PKEY_SHIFT) & 0xfu) << FMT_X86_PKEY_SHIFT;
	(void)fmt;
	return e;
}

static uint64_t x86_perm_bits(const struct xlat_format *fmt, int level)
{
	(void)fmt;
	return FMT_X86_RW | FMT_X86_US | FMT_X86_PWT | FMT_X86_PCD | pat_bit(level) | FMT_X86_G | FMT_X86_XD |
	       X86_PKEY_MASK;
}

static void x86_decode(const struct xlat_format *fmt, int level, uint64_t e, unsigned maxphyaddr,
		       struct pte_fields *out)
{
	bool leaf = out->leaf;
	uint32_t p = XLAT_R;
	unsigned cache = 0;

	(void)fmt;
	out->addr = e & fmt_addr_mask(level, leaf, maxphyaddr);
	if (e & FMT_X86_RW)
		p |= XLAT_W;
	if (e & FMT_X86_US)
		p |= XLAT_U;
	if (!(e & FMT_X86_XD))
		p |= XLAT_X;
	if (e & FMT_X86_PWT)
		cache |= 1u;
	if (e & FMT_X86_PCD)
		cache |= 2u;
	if (leaf) {
		if (e & pat_bit(level))
			cache |= 4u;
		if (e & FMT_X86_G)
			p |= XLAT_G;
		p |= XLAT_PKEY((e & X86_PKEY_MASK) >> FMT_X86_PKEY_SHIFT);
	}
	out->perms = p | XLAT_CACHE(cache);
	out->accessed = (e & FMT_X86_A) != 0;
	out->dirty = leaf && (e & FMT_X86_D);
}

static void x86_describe(const struct xlat_format *fmt, int level, uint64_t e,
			 unsigned maxphyaddr, struct fmt_sb *sb)
{
	bool leaf = fmt_entry_leaf(fmt, level, e);
	uint64_t rsvd;

	fmt_sb_printf(sb, " P %s %s", e & FMT_X86_RW ? "RW" : "RO", e & FMT_X86_US ? "US" : "SUP");
	if (e & FMT_X86_PWT)
		fmt_sb_printf(sb, " PWT");
	if (e & FMT_X86_PCD)
		fmt_sb_printf(sb, " PCD");
	if (e & FMT_X86_A)
		fmt_sb_printf(sb, " A");
	if (leaf && (e & FMT_X86_D))
		fmt_sb_printf(sb, " D");
	if (level > 1 && (e & FMT_X86_PS))
		fmt_sb_printf(sb, " PS");
	if (leaf && (e & FMT_X86_G))
		fmt_sb_printf(sb, " G");
	if (leaf && (e & pat_bit(level)))
		fmt_sb_printf(sb, " PAT");
	if (leaf && (e & X86_PKEY_MASK))
		fmt_sb_printf(sb, " PKEY=%u", (unsigned)((e & X86_PKEY_MASK) >> FMT_X86_PKEY_SHIFT));
	if (e & FMT_X86_XD)
		fmt_sb_printf(sb, " XD");
	if (leaf)
		fmt_sb_printf(sb, " -> %s page 0x%llx", fmt_page_name(level),
			      (unsigned long long)(e & fmt_addr_mask(level, true, maxphyaddr)));
	else
		fmt_sb_printf(sb, " -> %s 0x%llx", fmt_table_name(fmt, level),
			      (unsigned long long)(e & fmt_addr_mask(level, false, maxphyaddr)));
	/* With the usual controls (NXE, 1G pages): bits a CPU would fault on. */
	rsvd = e & x86_rsvd_mask(fmt, level, leaf || (e & FMT_X86_PS), maxphyaddr, FMT_CTL_DEFAULT);
	if (rsvd)
		fmt_sb_printf(sb, " RSVD=0x%llx", (unsigned long long)rsvd);
}

static const char *const x86_level_names[] = { "?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };
static const char *const x86_table_names[] = { "?", "?", "PT", "PD", "PDPT", "PML4" };

const struct fmt_ops fmt_x86_ops = {
	.model = FMT_MODEL_PAGING,
	.rsvd_mask = x86_rsvd_mask,
	.table_bits = x86_table_bits,
	.leaf_bits = x86_leaf_bits,
	.perm_bits = x86_perm_bits,
	.decode = x86_decode,
	.misconfig = NULL,          /* reserved bits are a #PF with RSVD */
	.describe = x86_describe,
	.level_names = x86_level_names,
	.table_names = x86_table_names,
};

/* Rights (SDM 4.6): every present entry is readable and executable; R/W
 * grants writes, U/S user access; XD (with NXE) takes execution away. */
#define X86_PERM_BITS { .w = FMT_X86_RW, .u = FMT_X86_US, .xd = FMT_X86_XD, .g = FMT_X86_G }

/* The 4- and 5-level formats differ in depth and input width only. */
#define X86_FORMAT(name_, levels_, va_bits_) {                                   \
	.name = name_, .ops = &fmt_x86_ops, .levels = levels_,                  \
	.leaf_levels = FMT_LEAF_LEVELS_1_2_3, .va_bits = va_bits_,              \
	.sign_extended = true, .present_mask = FMT_X86_P, .ps_bit = FMT_X86_PS,         \
	.a_bit = FMT_X86_A, .d_bit = FMT_X86_D, .perm = X86_PERM_BITS,                  \
}

const struct xlat_format fmt_x86_4 = X86_FORMAT("x86-64", 4, 48);           /* 4-level paging */
const struct xlat_format fmt_x86_5 = X86_FORMAT("x86-64-la57", 5, 57);      /* 5-level paging (LA57) */
