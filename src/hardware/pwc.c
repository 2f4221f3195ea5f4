/*
 * Paging-structure caches (xlat/pwc.h).
 *
 * An entry caches the non-leaf entry at level L for one VA prefix
 * (va >> xlat_level_shift(L)) under one tag: the next table's address and
 * the permissions accumulated from the top level down to L.
 *
 *  - PWC_SPLIT: one fully associative LRU array per level (Intel's PML5E,
 *    PML4E, PDPTE and PDE caches, SDM 4.10.3.1).
 *  - PWC_UNIFIED: one array for every level, entries tagged with their
 *    level; set index = (prefix + level) mod sets (fully associative when
 *    ways is 0 or equals entries), LRU within the set.
 *  - PWC_AMD: AMD's page directory cache (its Software Optimization
 *    Guides, family 17h on: 64 entries of PML4Es and PDPEs; PDEs are
 *    cached in the L2 DTLB). The same array as PWC_UNIFIED for levels 3
 *    and up; a PDE goes into the L2 DTLB the mmu attaches, as a 2 MiB
 *    entry keyed by its VA prefix under its tag with a mark no
 *    translation's tag has, so it takes a translation's place there and
 *    a translation can evict it. Its table address and rights word ride in
 *    the entry: the table in pa (4 KiB aligned), the rights word's low 12
 *    bits in pa's low bits and its high 32 bits in perms. Bits 31:12 of a
 *    rights word are address bits of the entries, never rights (x86's are
 *    R/W, U/S, A and XD: bits 1, 2, 5, 63; EPT's bits 0-2, 8 and 10), so
 *    they come back as ones, which the next entries' AND makes right.
 *
 * They are consulted on every TLB miss, and a walk that misses the PDE
 * cache looks in several arrays and fills one, so nothing here scans a
 * set. An array is
 *
 *  - a hash table over its valid entries (key: tag, level, prefix), one
 *    doubly linked chain per bucket threaded through the entries: a lookup
 *    reads a bucket and the entry or two chained to it, and an entry
 *    leaves its chain in O(1);
 *  - one recency list per set, linked through the entries, most recently
 *    used first. Invalid entries are kept at the LRU end, so the victim of
 *    a fill is always the list's tail: an invalid entry if the set has one,
 *    else the least recently used. That is exact LRU with invalid entries
 *    filled first, as a clock stamp per entry would give, without a scan.
 *
 * The state and the hot path (lookup, fill) are in hardware/pwc_impl.h,
 * inline for the walker.
 *
 * Tags are compared exactly: paging-structure-cache entries are never
 * global (SDM 4.10.3.1: they are associated with the current PCID).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hardware/pwc_impl.h"
#include "hardware/tlb_impl.h"

#define PDE_MARK_MASK 0xf0000000u

#define PWC_MAX_ENTRIES (1u << 20)

/* Every entry invalid, every set's list in way order, every bucket empty. */
static void array_clear(struct pwc_array *a)
{
	size_t buckets = (size_t)1 << (64 - a->bucket_shift);

	for (unsigned s = 0; s < a->sets; s++) {
		uint32_t first = s * a->ways;
		for (uint32_t w = 0; w < a->ways; w++)
			a->e[first + w] = (struct pwc_entry){
				.next = PWC_NIL, .prev = PWC_NIL, .set = s,
				.newer = w ? first + w - 1 : PWC_NIL,
				.older = w + 1 < a->ways ? first + w + 1 : PWC_NIL,
			};
		a->set[s].mru = first;
		a->set[s].lru = first + a->ways - 1;
	}
	for (size_t b = 0; b < buckets; b++)
		a->bucket[b] = PWC_NIL;
}

static int array_init(struct pwc_array *a, unsigned entries, unsigned ways)
{
	unsigned bits = 1;

	a->ways = ways ? ways : entries;
	a->sets = entries / a->ways;
	a->sets_pow2 = (a->sets & (a->sets - 1)) == 0;
	a->set_mask = a->sets_pow2 ? a->sets - 1 : 0;
	while ((1u << bits) < 2 * entries)   /* load factor <= 1/2 */
		bits++;
	a->bucket_shift = 64 - bits;
	a->e = calloc(entries, sizeof *a->e);
	a->set = calloc(a->sets, sizeof *a->set);
	a->bucket = calloc((size_t)1 << bits, sizeof *a->bucket);
	if (!a->e || !a->set || !a->bucket)
		return xlat_fail(-ENOMEM, "pwc: out of memory for %u entries", entries);
	array_clear(a);
	return 0;
}

static int check_config(const struct pwc_config *cfg)
{
	if (!cfg)
		return xlat_fail(-EINVAL, "pwc: no configuration");
	switch (cfg->style) {
	case PWC_NONE:
		return 0;
	case PWC_SPLIT:
		if (cfg->entries[0] || cfg->entries[1])
			return xlat_fail(-EINVAL, "pwc: split caches exist for levels 2..5 only (level %d given %u entries)",
					 cfg->entries[0] ? 0 : 1, cfg->entries[0] ? cfg->entries[0] : cfg->entries[1]);
		for (int l = 2; l <= XLAT_MAX_LEVELS; l++)
			if (cfg->entries[l] > PWC_MAX_ENTRIES)
				return xlat_fail(-EINVAL, "pwc: %u entries at level %d is more than the model allows (%u)",
						 cfg->entries[l], l, PWC_MAX_ENTRIES);
		return 0;
	case PWC_UNIFIED:
	case PWC_AMD: {
		unsigned n = cfg->unified_entries, w = cfg->unified_ways ? cfg->unified_ways : n;
		if (n == 0)
			return xlat_fail(-EINVAL, "pwc: a unified cache needs entries > 0");
		if (n > PWC_MAX_ENTRIES)
			return xlat_fail(-EINVAL, "pwc: %u entries is more than the model allows (%u)",
					 n, PWC_MAX_ENTRIES);
		if (w > n || n % w)
			return xlat_fail(-EINVAL, "pwc: %u entries is not a multiple of %u ways", n, w);
		return 0;
	}
	}
	return xlat_fail(-EINVAL, "pwc: unknown style %d", (int)cfg->style);
}

struct pwc *pwc_create(const struct pwc_config *cfg)
{
	struct pwc *p;

	if (check_config(cfg))
		return NULL;
	p = calloc(1, sizeof *p);
	if (!p) {
		xlat_fail(-ENOMEM, "pwc: out of memory");
		return NULL;
	}
	p->cfg = *cfg;
	if (cfg->style == PWC_SPLIT) {
		for (int l = 2; l <= XLAT_MAX_LEVELS; l++) {
			if (!cfg->entries[l])
				continue;
			if (array_init(&p->arr[l], cfg->entries[l], 0))
				goto fail;
			p->at[l] = &p->arr[l];
			p->top = l;
		}
	} else if (cfg->style == PWC_UNIFIED || cfg->style == PWC_AMD) {
		if (array_init(&p->arr[0], cfg->unified_entries, cfg->unified_ways))
			goto fail;
		/* AMD: PDEs (level 2) only in the attached TLB. */
		for (int l = cfg->style == PWC_AMD ? 3 : 2; l <= XLAT_MAX_LEVELS; l++)
			p->at[l] = &p->arr[0];
		p->top = XLAT_MAX_LEVELS;
	}
	return p;
fail:
	pwc_destroy(p);
	return NULL;
}

void pwc_destroy(struct pwc *p)
{
	if (!p)
		return;
	for (int l = 0; l <= XLAT_MAX_LEVELS; l++) {
		free(p->arr[l].e);
		free(p->arr[l].set);
		free(p->arr[l].bucket);
	}
	free(p);
}

bool pwc_lookup(struct pwc *p, uint32_t tag, xlat_va va, int top_level, struct pwc_hit *hit)
{
	return pwc_lookup_inline(p, tag, va, top_level, hit);
}

void pwc_fill(struct pwc *p, uint32_t tag, xlat_va va, int level, xlat_pa table, uint64_t rights)
{
	pwc_fill_inline(p, tag, va, level, table, rights);
}

/* ---- AMD: PDEs in the L2 DTLB -------------------------------------------- */

void pwc_attach_pde_tlb(struct pwc *p, struct tlb *t, uint32_t mark)
{
	if (mark & ~PDE_MARK_MASK || !(mark & 0x80000000u))
		XLAT_BUG("PDE mark %#x: bit 31 and bits 30:28 only", mark);
	p->pde_tlb = NULL;
	if (p->cfg.style != PWC_AMD || !t)
		return;
	/* The entry must be a 2 MiB one: a level that would splinter it
	 * would also shift its table address. */
	const struct tlb_fill *f = &t->fill[XLAT_PSIZE_2M];
	if (!f->a || f->shift != 21)
		return;
	p->pde_tlb = t;
	p->pde_mark = mark;
}

bool pwc_pde_lookup(struct pwc *p, uint32_t tag, xlat_va va, struct pwc_hit *hit)
{
	struct tlb_xlat x;

	if (!tlb_lookup_inline(p->pde_tlb, tag | p->pde_mark, va, &x))
		return false;
	if (hit) {
		hit->level = 2;
		hit->table = x.pa & ~(xlat_pa)0xfff;
		hit->rights = (uint64_t)x.perms << 32 | 0xfffff000u | (x.pa & 0xfff);
	}
	return true;
}

void pwc_pde_fill(struct pwc *p, uint32_t tag, xlat_va va, xlat_pa table, uint64_t rights)
{
	struct tlb_xlat x = {
		.pa = (table & ~(xlat_pa)0xfff) | (rights & 0xfff),
		.shift = 21,
		.perms = (uint32_t)(rights >> 32),
	};

	tlb_insert_inline(p->pde_tlb, tag | p->pde_mark, va, &x);
	p->st.fills++;
}

/* Invalidates every entry (all) or those of one tag; an invalidated entry
 * leaves the hash table and goes to its set's LRU end. An AMD-style
 * cache's PDEs leave the TLB that holds them. */
static void flush_where(struct pwc *p, bool all, uint32_t tag)
{
	if (!p)
		return;
	if (p->pde_tlb) {
		if (all)
			tlb_flush_marked(p->pde_tlb, PDE_MARK_MASK, p->pde_mark);
		else
			tlb_flush_tag(p->pde_tlb, tag | p->pde_mark, false);
	}
	for (int l = 0; l <= XLAT_MAX_LEVELS; l++) {
		struct pwc_array *a = &p->arr[l];
		if (!a->e)
			continue;
		if (all) {
			array_clear(a);
			continue;
		}
		for (uint32_t i = 0; i < a->sets * a->ways; i++) {
			struct pwc_entry *e = &a->e[i];
			if (!e->key || e->tag != tag)
				continue;
			pwc_unhash(a, i);
			e->key = 0;
			pwc_to_lru(a, i);
		}
	}
	p->st.flushes++;
}

void pwc_flush_all(struct pwc *p)
{
	flush_where(p, true, 0);
}

void pwc_flush_tag(struct pwc *p, uint32_t tag)
{
	flush_where(p, false, tag);
}

void pwc_invlpg(struct pwc *p, uint32_t tag, xlat_va va)
{
	flush_where(p, false, tag);
}

const struct pwc_stats *pwc_get_stats(const struct pwc *p)
{
	return &p->st;
}

void pwc_reset_stats(struct pwc *p)
{
	memset(&p->st, 0, sizeof p->st);
}

const struct pwc_config *pwc_get_config(const struct pwc *p)
{
	return &p->cfg;
}
