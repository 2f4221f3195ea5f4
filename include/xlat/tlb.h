/*
 * xlat/tlb.h — translation lookaside buffers.
 *
 * A struct tlb is one TLB *level*: one or more set-associative arrays, each
 * holding a set of page sizes (split: 4K / 2M / 1G arrays, as an L1 DTLB;
 * unified: one array for several sizes, as an STLB). Entries are plain small
 * structs in a flat array with an invalid sentinel; counters live inside.
 *
 *  - set index = (va >> page_shift) mod sets; sets need not be a power of
 *    two (a 1536-entry 6-way STLB has 256 sets, 12-way 128).
 *  - replacement: LRU, tree-PLRU, random (seeded, reproducible).
 *  - tags: each entry carries a 32-bit tag = VPID << 12 | PCID (ASID on
 *    AMD). A global entry (G bit, CR4.PGE) matches any PCID of its VPID:
 *    only tag >> 12 is compared.
 *  - a translation whose page size the level cannot hold is inserted as the
 *    largest smaller size it can hold that covers va ("splintering").
 */
#ifndef XLAT_TLB_H
#define XLAT_TLB_H

#include "xlat/base.h"

enum tlb_repl { TLB_LRU = 0, TLB_PLRU, TLB_RANDOM };

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
	uint64_t hits_by_size[3];     /* 4K, 2M, 1G */
	uint64_t fills, evictions, flushes, invlpgs;
};

struct tlb;

/* NULL with xlat_error() set on a bad geometry (entries not a multiple of
 * ways, no sizes, PLRU with ways not a power of two). */
struct tlb *tlb_create(const struct tlb_config *cfg);
void tlb_destroy(struct tlb *t);

/* Looks va up under tag. On a hit fills *x (if not NULL), updates the
 * replacement state and returns true. */
bool tlb_lookup(struct tlb *t, uint32_t tag, xlat_va va, struct tlb_xlat *x);
/* Inserts the translation of the page containing va (x->shift gives its
 * size; x->pa its base). Replaces an existing entry for the same page. */
void tlb_insert(struct tlb *t, uint32_t tag, xlat_va va, const struct tlb_xlat *x);
/* Marks the entry for va dirty (after a walk set D). No-op if absent. */
void tlb_set_dirty(struct tlb *t, uint32_t tag, xlat_va va);

void tlb_flush_all(struct tlb *t);                      /* everything, globals too */
void tlb_flush_tag(struct tlb *t, uint32_t tag, bool keep_global); /* INVPCID single-context / MOV CR3 */
void tlb_invlpg(struct tlb *t, uint32_t tag, xlat_va va);          /* every size that covers va, globals too */

const struct tlb_stats *tlb_get_stats(const struct tlb *t);
void tlb_reset_stats(struct tlb *t);
const struct tlb_config *tlb_get_config(const struct tlb *t);
unsigned tlb_entries(const struct tlb *t);   /* sum over arrays */

/* Parses one level of the --tlb syntax, "ENTRIES[xWAYS][:lru|plru|random]"
 * (unified over all page sizes). 0 or -EINVAL with xlat_error() set. */
int tlb_parse_level(const char *spec, struct tlb_config *cfg);

#endif
