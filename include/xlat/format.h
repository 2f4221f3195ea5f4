/*
 * xlat/format.h — page-table entry formats, bit for bit.
 *
 * One descriptor per format so the table engine (pt) and the walker are
 * format-agnostic: levels, which levels may hold a leaf, where the bits the
 * walker reads are, and an operations table (struct fmt_ops) with the
 * encode / decode / reserved-bit / misconfiguration / describe rules of the
 * architecture. Nothing outside a format's own source asks which format it
 * is: adding a format (a secure monitor's stage, RISC-V Sv48, Arm64 stage 2)
 * means adding a descriptor and its operations table.
 *
 *   x86-64 paging: Intel SDM vol. 3A ch. 4 (4.5 for 4- and 5-level paging,
 *                  tables 4-15..4-20 and 4-28 for the entry layouts).
 *   EPT:           Intel SDM vol. 3C ch. 29 (29.3.2, tables 29-1..29-6).
 *
 * Generic permissions (XLAT_R ...) are what callers speak; the format turns
 * them into bits. A present x86 entry is always readable.
 *
 * Levels are 1 (PTE) .. fmt->levels. Passing a level the format does not
 * have, a table at level 1, a leaf at level 4/5 or a misaligned address to
 * a make function is a bug (XLAT_BUG). Entry bits are data: no function here
 * aborts because of what an entry holds. MAXPHYADDR arguments are clamped
 * to [12, 52].
 */
#ifndef XLAT_FORMAT_H
#define XLAT_FORMAT_H

#include "xlat/base.h"

XLAT_API_BEGIN

/* ---- x86-64 paging entry bits (SDM vol. 3A tables 4-15..4-20) ---------- */
#define FMT_X86_P        (1ULL << 0)   /* present */
#define FMT_X86_RW       (1ULL << 1)   /* writable */
#define FMT_X86_US       (1ULL << 2)   /* user-mode accesses allowed */
#define FMT_X86_PWT      (1ULL << 3)   /* page-level write-through */
#define FMT_X86_PCD      (1ULL << 4)   /* page-level cache disable */
#define FMT_X86_A        (1ULL << 5)   /* accessed */
#define FMT_X86_D        (1ULL << 6)   /* dirty (leaf only) */
#define FMT_X86_PS       (1ULL << 7)   /* page size: leaf at level 2/3 */
#define FMT_X86_PAT_4K   (1ULL << 7)   /* PAT bit of a 4 KiB PTE */
#define FMT_X86_G        (1ULL << 8)   /* global (leaf only) */
#define FMT_X86_PAT_HUGE (1ULL << 12)  /* PAT bit of a 2 MiB / 1 GiB leaf */
#define FMT_X86_XD       (1ULL << 63)  /* execute-disable (needs EFER.NXE) */
#define FMT_X86_PKEY_SHIFT 59          /* protection key, bits 62:59 of a leaf */

/* ---- EPT entry bits (SDM vol. 3C tables 29-1..29-6) -------------------- */
#define FMT_EPT_R        (1ULL << 0)   /* read */
#define FMT_EPT_W        (1ULL << 1)   /* write */
#define FMT_EPT_X        (1ULL << 2)   /* execute (supervisor-mode with MBEC) */
#define FMT_EPT_MT_SHIFT 3             /* memory type, bits 5:3 of a leaf */
#define FMT_EPT_MT_MASK  (7ULL << 3)
#define FMT_EPT_IPAT     (1ULL << 6)   /* ignore PAT (leaf) */
#define FMT_EPT_PS       (1ULL << 7)   /* large page: leaf at level 2/3 */
#define FMT_EPT_A        (1ULL << 8)   /* accessed (EPTP bit 6 enables A/D) */
#define FMT_EPT_D        (1ULL << 9)   /* dirty (leaf) */
#define FMT_EPT_UX       (1ULL << 10)  /* user-mode execute (MBEC) */
#define FMT_EPT_SVE      (1ULL << 63)  /* suppress #VE */

/* EPT memory types (SDM 29.3.7 / 11.3): 0 UC, 1 WC, 4 WT, 5 WP, 6 WB;
 * 2, 3 and 7 are reserved and make an EPT misconfiguration in a leaf. */
enum fmt_ept_memtype { FMT_EPT_MT_UC = 0, FMT_EPT_MT_WC = 1, FMT_EPT_MT_WT = 4, FMT_EPT_MT_WP = 5, FMT_EPT_MT_WB = 6 };

/* ---- generic permissions, as callers of pt and the walker speak -------- */
#define XLAT_R   (1u << 0)  /* readable */
#define XLAT_W   (1u << 1)  /* writable */
#define XLAT_X   (1u << 2)  /* executable (x86: XD clear; EPT: X) */
#define XLAT_U   (1u << 3)  /* x86: user-accessible (U/S=1) */
#define XLAT_UX  (1u << 4)  /* EPT with MBEC: user-mode executable */
#define XLAT_G   (1u << 5)  /* x86: global */
#define XLAT_RWX (XLAT_R | XLAT_W | XLAT_X)
/* Cache attribute in bits 8..11 of a perms word.
 * x86: the 3-bit PAT index (PAT<<2 | PCD<<1 | PWT), 0 = WB by default PAT.
 * EPT: memory type (bits 8..10) and IPAT (bit 11); 0 means WB (6), because
 *      UC-by-accident is never what a caller means, so UC is asked for with
 *      XLAT_EPT_UC (7, itself a reserved type). Other values are the type. */
#define XLAT_CACHE_SHIFT 8
#define XLAT_CACHE(c)    (((uint32_t)(c) & 0xfu) << XLAT_CACHE_SHIFT)
#define XLAT_CACHE_OF(p) (((p) >> XLAT_CACHE_SHIFT) & 0xfu)
#define XLAT_EPT_UC      7u   /* EPT cache field value for memory type UC (0) */
#define XLAT_EPT_IPAT    8u   /* EPT cache field bit for IPAT */
/* Protection key (x86 leaf bits 62:59) in bits 12..15 of a perms word. */
#define XLAT_PKEY_SHIFT  12
#define XLAT_PKEY(k)     (((uint32_t)(k) & 0xfu) << XLAT_PKEY_SHIFT)

struct xlat_format;
struct pte_fields;
struct fmt_sb;

/*
 * How a stage of a format decides access rights and what it raises when it
 * refuses: the two models the walker implements.
 *   FMT_MODEL_PAGING  first-level paging (x86-64): user and supervisor pages,
 *                     CR0.WP, SMEP, SMAP; a refusal or a reserved bit is a
 *                     page fault (#PF; after stage 0, AMD's nested page
 *                     fault). Tables of an OS.
 *   FMT_MODEL_EPT     second-level translation (EPT): read / write / execute
 *                     rights only; a refusal is an EPT violation, a malformed
 *                     entry an EPT misconfiguration.
 */
enum fmt_model { FMT_MODEL_PAGING, FMT_MODEL_EPT };

/* Where a present entry keeps the rights the walker reads (XLAT_R, W, X,
 * U, UX), as masks: a level grants a right when its bit is set; 0 means the
 * format has no such bit and every present entry grants the right (x86: R;
 * EPT: U). A set `xd` bit takes execution (X and UX) away, under
 * FMT_CTL_NXE only. With FMT_CTL_MBEC, `ux` is the user-mode execute bit;
 * without it user-mode execution follows `x`. */
struct fmt_perm_bits {
	uint64_t r, w, x, u, ux;
	uint64_t xd;             /* execute-disable, under FMT_CTL_NXE */
	uint64_t g;              /* global (leaf) */
};

/* The operations of a format. Levels are validated by the callers
 * (format_common.c); `ctl` is FMT_CTL_*. */
struct fmt_ops {
	enum fmt_model model;
	/* Bits that must be zero in a present entry (see fmt_rsvd_mask). */
	uint64_t (*rsvd_mask)(const struct xlat_format *fmt, int level, bool leaf,
			      unsigned maxphyaddr, unsigned ctl);
	/* Bits of a non-leaf entry granting everything (see fmt_make_table). */
	uint64_t (*table_bits)(const struct xlat_format *fmt, bool accessed);
	/* Bits of a leaf with generic perms, address and A/D aside. */
	uint64_t (*leaf_bits)(const struct xlat_format *fmt, int level, uint32_t perms);
	/* The bits leaf_bits may set (what fmt_set_perms replaces). */
	uint64_t (*perm_bits)(const struct xlat_format *fmt, int level);
	/* Present entry -> fields (out is zeroed and present set by the caller). */
	void (*decode)(const struct xlat_format *fmt, int level, uint64_t e, unsigned maxphyaddr,
		       struct pte_fields *out);
	/* A malformed present entry beyond its reserved bits (see
	 * fmt_misconfig); NULL when the format has no such rule. */
	bool (*misconfig)(const struct xlat_format *fmt, int level, uint64_t e,
			  unsigned maxphyaddr, unsigned ctl, bool exec_only_ok);
	/* Appends what a present entry says to fmt_describe's line. */
	void (*describe)(const struct xlat_format *fmt, int level, uint64_t e, unsigned maxphyaddr,
			 struct fmt_sb *sb);
	/* SDM names by level ([0]: of a level the format does not have), and
	 * of the table a non-leaf entry at a level points to. */
	const char *const *level_names;
	const char *const *table_names;
};

struct xlat_format {
	const char *name;        /* "x86-64", "x86-64-la57", "ept", "ept5" */
	const struct fmt_ops *ops;
	uint8_t levels;          /* 4 or 5 */
	uint8_t leaf_levels;     /* bit L set: level L may map a page (1, 2, 3) */
	uint8_t va_bits;         /* input address width: 48 or 57 */
	bool sign_extended;      /* x86 inputs must be canonical; EPT inputs zero-extended */
	uint64_t present_mask;   /* entry is present iff (e & present_mask) != 0
	                          * (EPT: R|W|X; a UX-only entry under MBEC is
	                          * present too, see fmt_ept_misconfig) */
	uint64_t ps_bit;         /* leaf flag at levels 2 and 3 */
	uint64_t a_bit, d_bit;   /* accessed / dirty */
	struct fmt_perm_bits perm;
	/* With ops->misconfig: a present entry with every mc_safe bit set and,
	 * in a leaf, a 3-bit type field at mc_type_shift whose value has its
	 * bit set in mc_type_ok cannot be misconfigured beyond its reserved
	 * bits, so the walker skips ops->misconfig for it (a fast path, not a
	 * rule: ops->misconfig alone decides). */
	uint64_t mc_safe;
	uint8_t mc_type_shift, mc_type_ok;
};

extern const struct xlat_format fmt_x86_4;   /* 4-level paging, 48-bit VA */
extern const struct xlat_format fmt_x86_5;   /* 5-level paging (LA57), 57-bit VA */
extern const struct xlat_format fmt_ept_4;   /* 4-level EPT, 48-bit GPA */
extern const struct xlat_format fmt_ept_5;   /* 5-level EPT, 57-bit GPA */

/* "x86-64", "x86-64-la57", "ept", "ept5"; NULL if unknown. */
const struct xlat_format *fmt_by_name(const char *name);
/* The x86 or EPT format with `levels` levels (4 or 5); NULL otherwise. */
const struct xlat_format *fmt_x86(int levels);
const struct xlat_format *fmt_ept(int levels);

/* Mask of the physical-address field of an entry at `level` with MAXPHYADDR
 * `maxphyaddr`: bits maxphyaddr-1:12 for tables and 4K leaves, from bit 21
 * (2M) or 30 (1G) for huge leaves. */
uint64_t fmt_addr_mask(int level, bool leaf, unsigned maxphyaddr);

/* Control bits that change which entry bits are reserved. */
#define FMT_CTL_NXE     (1u << 0)  /* x86 IA32_EFER.NXE: bit 63 is XD, not reserved */
#define FMT_CTL_1G      (1u << 1)  /* 1 GiB pages supported (CPUID pdpe1gb / EPT cap) */
#define FMT_CTL_MBEC    (1u << 2)  /* EPT mode-based execute control: bit 10 is UX */
#define FMT_CTL_DEFAULT (FMT_CTL_NXE | FMT_CTL_1G)

/* Bits that must be zero in a present entry at `level`, given whether it is a
 * leaf (for x86 levels 2/3: PS=1), MAXPHYADDR and FMT_CTL_* bits. For x86 a
 * PS=1 entry where leaves are not allowed (level 4/5, or level 3 without
 * FMT_CTL_1G) has PS itself in the mask. For EPT the mask covers reserved
 * bits only; memory-type and write-without-read misconfigurations are
 * reported by fmt_ept_misconfig. */
uint64_t fmt_rsvd_mask(const struct xlat_format *fmt, int level, bool leaf,
		       unsigned maxphyaddr, unsigned ctl);

static inline bool fmt_present(const struct xlat_format *fmt, uint64_t e)
{
	return (e & fmt->present_mask) != 0;
}
/* Does the present entry `e` at `level` map a page (rather than a table)?
 * PS counts only at levels that may hold leaves: PS in a PML4E/PML5E is a
 * reserved bit (see fmt_rsvd_mask), not a 512 GiB page. */
static inline bool fmt_is_leaf(const struct xlat_format *fmt, int level, uint64_t e)
{
	return level == 1 ||
	       (((fmt->leaf_levels >> level) & 1u) && (e & fmt->ps_bit) != 0);
}

/* A non-leaf entry pointing to the table at `table`, granting everything so
 * that permissions are decided at the leaf: x86 P|RW|US (A preset if
 * `accessed`), EPT R|W|X (|UX with MBEC). */
uint64_t fmt_make_table(const struct xlat_format *fmt, int level, xlat_pa table, bool accessed);
/* A leaf at `level` (1, 2 or 3) mapping `page` (aligned to the level size)
 * with generic perms (XLAT_* | XLAT_CACHE | XLAT_PKEY). Permission bits the
 * format lacks are ignored. A and D are left clear.
 *  x86: P always, RW = XLAT_W, US = XLAT_U, G = XLAT_G, XD unless XLAT_X
 *       (so with EFER.NXE = 0 callers must grant XLAT_X, bit 63 being
 *       reserved then), PWT/PCD/PAT from the PAT index (PAT at bit 7 in a
 *       PTE, bit 12 in a huge leaf), PS at levels 2/3, PKEY in 62:59.
 *  EPT: R/W/X/UX from XLAT_R/W/X/UX, memory type and IPAT from XLAT_CACHE,
 *       PS at levels 2/3. SVE stays clear. */
uint64_t fmt_make_leaf(const struct xlat_format *fmt, int level, xlat_pa page, uint32_t perms);

/* A decoded entry. A non-present entry decodes to all zeros. */
struct pte_fields {
	bool present;
	bool leaf;
	xlat_pa addr;       /* next table, or page base for a leaf */
	uint32_t perms;     /* XLAT_* as fmt_make_leaf takes them (tables too:
	                     * x86 R/W/U/X and PWT/PCD in the cache field; EPT
	                     * R/W/X/UX). An EPT WB leaf decodes to cache 0. */
	bool accessed, dirty;
};
void fmt_decode(const struct xlat_format *fmt, int level, uint64_t e, unsigned maxphyaddr,
		struct pte_fields *out);

/* Replaces the generic permissions of leaf `e` (keeping address, P, A/D, PS
 * and the bits xlat does not interpret, such as EPT SVE or ignored bits).
 * `e` must be a leaf (bug otherwise: bit 12 of a table is address). */
uint64_t fmt_set_perms(const struct xlat_format *fmt, int level, uint64_t e, uint32_t perms);

/* Is the present entry malformed beyond what a right check can refuse (an
 * EPT misconfiguration, SDM 29.3.3.1: write without read, execute-only
 * without the capability exec_only_ok (with FMT_CTL_MBEC a UX-only entry
 * counts as present and execute-only), a reserved memory type (2, 3, 7) in
 * a leaf, or reserved bits (fmt_rsvd_mask with ctl))? False for a
 * non-present entry and for a format without such a rule (x86 paging
 * reports reserved bits as a page fault instead). */
bool fmt_misconfig(const struct xlat_format *fmt, int level, uint64_t e,
		   unsigned maxphyaddr, unsigned ctl, bool exec_only_ok);

/* One line describing an entry ("PDE  0x... P RW US A PS -> 2M page 0x..."),
 * for `xlat walk --explain`; ends with " RSVD=0x..." if bits are set that
 * are reserved under the usual controls (NXE, 1G pages). Returns the length
 * of the full line, like snprintf (buf may be NULL when len is 0). */
int fmt_describe(const struct xlat_format *fmt, int level, uint64_t e, unsigned maxphyaddr,
		 char *buf, size_t len);
/* The SDM name of an entry at `level`: "PTE", "PDE", "PDPTE", "PML4E",
 * "PML5E" (EPT: "EPT PTE", ...). */
const char *fmt_level_name(const struct xlat_format *fmt, int level);

XLAT_API_END

#endif
