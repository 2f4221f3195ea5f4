/*
 * xlat/pwc.h — paging-structure caches (translation caches for upper levels).
 *
 * A PWC entry for level L (L >= 2) caches the *non-leaf* entry at level L
 * for a virtual-address prefix (bits above xlat_level_shift(L)): it yields
 * the address of the level L-1 table, so a hit lets the walk start reading
 * at level L-1. Entries also carry the permissions accumulated from the top
 * level down to L (AND of R/W/U, AND of X), so permission checks stay exact.
 *
 *  - PWC_SPLIT   (Intel, SDM 4.10.3): one cache per level (PML4E, PDPTE, PDE
 *                caches), each with its own size.
 *  - PWC_UNIFIED (Barr et al.'s unified translation cache, ISCA 2010): one
 *                array shared by every level, entries tagged with their
 *                level; set index = (prefix + level) mod sets.
 *  - PWC_AMD     (AMD's page directory cache, as its optimization guides
 *                describe it): one array like the unified one that holds
 *                PML5Es, PML4Es and PDPEs only; PDEs are cached in the L2
 *                DTLB, where they compete with translations for entries
 *                (the mmu attaches that TLB; a cache without one caches no
 *                PDEs).
 *
 * Every array is exact LRU. Lookup returns the deepest hit (the longest
 * prefix), as hardware does, and refreshes only that entry's recency.
 * Tags (PCID / VPID) are compared exactly: these entries are never global.
 */
#ifndef XLAT_PWC_H
#define XLAT_PWC_H

#include "xlat/base.h"

XLAT_API_BEGIN

enum pwc_style { PWC_NONE = 0, PWC_SPLIT, PWC_UNIFIED, PWC_AMD };

struct pwc_config {
	enum pwc_style style;
	/* PWC_SPLIT: entries caching level-L entries, L = 2..5 (0 = none at L);
	 * fully associative, LRU. */
	unsigned entries[XLAT_MAX_LEVELS + 1];
	/* PWC_UNIFIED: one array (PWC_AMD: the page directory cache). */
	unsigned unified_entries;
	unsigned unified_ways;   /* 0: fully associative */
};

struct pwc_hit {
	int level;               /* level of the cached entry (walk reads from level-1 on) */
	xlat_pa table;           /* address of the level-1 table, in the stage's table space */
	uint64_t rights;         /* rights accumulated from the top to `level`, in the
	                          * walker's encoding (the AND of the entries read,
	                          * execute-disable inverted); opaque here */
};

struct pwc_stats {
	uint64_t lookups, misses;
	uint64_t hits_at[XLAT_MAX_LEVELS + 1];
	uint64_t fills, flushes;
};

struct pwc;

struct pwc *pwc_create(const struct pwc_config *cfg);  /* NULL + xlat_error() on bad config; PWC_NONE is valid */
void pwc_destroy(struct pwc *p);

/* Deepest cached entry for va under tag among levels [2, top_level]; true on a hit. */
bool pwc_lookup(struct pwc *p, uint32_t tag, xlat_va va, int top_level, struct pwc_hit *hit);
/* Caches the non-leaf entry at `level` for va: next table and accumulated rights. */
void pwc_fill(struct pwc *p, uint32_t tag, xlat_va va, int level, xlat_pa table, uint64_t rights);

void pwc_flush_all(struct pwc *p);
void pwc_flush_tag(struct pwc *p, uint32_t tag);
/* INVLPG: SDM 4.10.4.1 lets hardware drop all PWC entries for the tag;
 * we do exactly that (conservative and what KVM assumes). */
void pwc_invlpg(struct pwc *p, uint32_t tag, xlat_va va);

const struct pwc_stats *pwc_get_stats(const struct pwc *p);
void pwc_reset_stats(struct pwc *p);
const struct pwc_config *pwc_get_config(const struct pwc *p);

XLAT_API_END

#endif
