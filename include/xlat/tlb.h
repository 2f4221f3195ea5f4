/*
 * xlat/tlb.h — translation lookaside buffers.
 *
 * A struct tlb is one TLB *level*: one or more set-associative arrays, each
 * holding a set of page sizes (split: 4K / 2M / 1G arrays, as an L1 DTLB;
 * unified: one array for several sizes, as an STLB). Entries are plain small
 * structs in a flat array with an invalid sentinel; counters live inside.
 *
 *  - set index = (va >> page_shift) mod sets; sets need not be a power of
 *    two (a 1536-entry 6-way STLB has 256 sets, 12-way 128). With `hash`,
 *    the page number is hashed first, so pages spread over the sets as at
 *    random (hardware STLBs index by a hash of page-number bits: Gras et
 *    al., "Translation Leak-aside Buffer", USENIX Security 2018): a
 *    footprint near the capacity overflows some sets, and the reach knee
 *    is gradual, as measured (xlat calibrate).
 *  - replacement: exact LRU, tree-PLRU (any number of ways: the tree splits
 *    a set's ways in halves, the lower half the smaller), random (seeded
 *    xorshift, reproducible). A fill always takes an invalid way first.
 *  - tags: each entry carries a 32-bit tag = VPID << 12 | PCID (ASID on
 *    AMD). A global entry (G bit, CR4.PGE) matches any PCID of its VPID:
 *    only tag >> 12 is compared.
 *  - a translation whose page size the level cannot hold is inserted as the
 *    largest smaller size it can hold that covers va ("splintering").
 */
#ifndef XLAT_TLB_H
#define XLAT_TLB_H

#include "xlat/base.h"

XLAT_API_BEGIN

enum tlb_repl { TLB_LRU = 0, TLB_PLRU, TLB_RANDOM };

/* A tag: VPID in bits 31:12, PCID (AMD: ASID) in bits 11:0. Only these
 * pack and unpack it. A PCID is 12 bits: an OS with more address spaces
 * than that reuses PCIDs and must flush a reused one (os.c does). */
#define TLB_PCID_BITS 12
#define TLB_PCID_MASK ((1u << TLB_PCID_BITS) - 1)
#define TLB_NPCIDS (1u << TLB_PCID_BITS)
static inline uint32_t tlb_tag(unsigned vpid, unsigned pcid)
{
	return (uint32_t)vpid << TLB_PCID_BITS | (pcid & TLB_PCID_MASK);
}
static inline unsigned tlb_tag_vpid(uint32_t tag) { return tag >> TLB_PCID_BITS; }
static inline unsigned tlb_tag_pcid(uint32_t tag) { return tag & TLB_PCID_MASK; }

/* Page-size bits for tlb_array_config.sizes. */
#define TLB_4K (1u << 0)
#define TLB_2M (1u << 1)
#define TLB_1G (1u << 2)
#define TLB_ALL_SIZES (TLB_4K | TLB_2M | TLB_1G)

struct tlb_array_config {
	unsigned entries;       /* total entries (> 0) */
	unsigned ways;          /* associativity; 0 or == entries: fully associative */
	enum tlb_repl repl;
	unsigned sizes;         /* TLB_4K | TLB_2M | TLB_1G */
	bool hash;              /* set index from a hash of the page number */
};

#define TLB_MAX_ARRAYS 3
struct tlb_config {
	const char *name;       /* "L1 DTLB", "STLB", ... for reports */
	unsigned narrays;
	struct tlb_array_config array[TLB_MAX_ARRAYS];
	uint64_t seed;          /* for TLB_RANDOM */
};

/* What a TLB entry caches: the combined translation of one page. */
struct tlb_xlat {
	xlat_pa pa;             /* page base in the bottom space */
	uint8_t shift;          /* page size (12, 21, 30) */
	uint8_t global;
	uint8_t dirty;          /* a write hit with dirty == 0 needs a walk to set D */
	uint32_t perms;         /* XLAT_R/W/X/U as walk_result.perms */
};

struct tlb_stats {
	uint64_t lookups, hits, misses;
	uint64_t hits_by_size[3];     /* 4K, 2M, 1G (size of the entry that hit) */
	uint64_t fills;               /* tlb_insert calls that inserted an entry */
	uint64_t evictions;           /* valid entries displaced by a fill (not same-page replacements) */
	uint64_t flushes;             /* tlb_flush_all / _tag / _vpid calls */
	uint64_t invlpgs;             /* tlb_invlpg calls */
};

struct tlb;

/* NULL with xlat_error() set on a bad geometry (no entries, entries not a
 * multiple of ways, no sizes, unknown policy). */
struct tlb *tlb_create(const struct tlb_config *cfg);
void tlb_destroy(struct tlb *t);

/* Looks va up under tag. On a hit fills *x (if not NULL), updates the
 * replacement state and returns true. Every page size the level holds is
 * probed. If several entries cover va (software changed a page's size
 * without invalidating it: SDM 4.10.2.3 leaves the choice to hardware), any
 * one of them is returned. Cost: a scan of the ways of one set for each
 * page size the level holds live entries of (a wide fully associative
 * array first consults a small filter, so most misses skip its scan). */
bool tlb_lookup(struct tlb *t, uint32_t tag, xlat_va va, struct tlb_xlat *x);
/* Inserts the translation of the page containing va (x->shift gives its
 * size; x->pa its base). Replaces an existing entry for the same page (same
 * tag, or either is global with the same VPID). A size no array holds is
 * splintered to the largest smaller size one holds (the entry covers va);
 * if there is none, nothing is inserted. A fill takes an invalid way first
 * (the lowest), else the policy's victim. */
void tlb_insert(struct tlb *t, uint32_t tag, xlat_va va, const struct tlb_xlat *x);
/* Marks the entry for va dirty (after a walk set D). No-op if absent. */
void tlb_set_dirty(struct tlb *t, uint32_t tag, xlat_va va);

void tlb_flush_all(struct tlb *t);                      /* everything, globals too */
/* MOV CR3 / INVPCID single-context: every entry that would hit under tag
 * (its own, and the globals of its VPID unless keep_global). */
void tlb_flush_tag(struct tlb *t, uint32_t tag, bool keep_global);
void tlb_invlpg(struct tlb *t, uint32_t tag, xlat_va va);          /* every size that covers va, globals too */
/* INVVPID single-context: every entry of VPID vpid (any PCID, globals too). */
void tlb_flush_vpid(struct tlb *t, uint32_t vpid);

const struct tlb_stats *tlb_get_stats(const struct tlb *t);
void tlb_reset_stats(struct tlb *t);
const struct tlb_config *tlb_get_config(const struct tlb *t);
unsigned tlb_entries(const struct tlb *t);   /* sum over arrays */
unsigned tlb_live(const struct tlb *t);      /* valid entries now */
const char *tlb_repl_name(enum tlb_repl r);  /* "lru", "plru", "random" */

/* Parses one level of the --tlb syntax, "ENTRIES[xWAYS][:lru|plru|random]"
 * (unified over all page sizes; no xWAYS = fully associative; default LRU):
 * "64", "64x4", "1536x12:plru". On success fills all of *cfg (one array,
 * name "TLB", seed 1) and returns 0; else -EINVAL with xlat_error() set and
 * *cfg untouched. */
XLAT_MUST_CHECK int tlb_parse_level(const char *spec, struct tlb_config *cfg);

XLAT_API_END

#endif
