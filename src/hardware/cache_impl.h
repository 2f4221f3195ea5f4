/*
 * hardware/cache_impl.h — the page-table line cache model's state and its
 * hot path, inline, for cache.c and the mmu (which charges every walk
 * reference through it). Internal to src/hardware.
 *
 * Each level is a set-associative array of line numbers with exact LRU.
 * A set keeps its lines in recency order, most recently used first, and
 * a count of them, so
 *
 *   hit at way w  -> ways 0..w-1 move down one, the line goes to way 0
 *   fill          -> the lines move down one and the new one goes to way
 *                    0; a full set loses its last line, the LRU one
 *   invalidate w  -> ways w+1.. move up one, the count drops
 *
 * which is the LRU a clock stamp per line would give (invalid ways are
 * filled first), without stamps: a set is one array of 8-byte line
 * numbers, and a lookup reads only its valid ones. The model is touched on
 * every walk reference, and the host caches it shares with the simulated
 * page tables are not large, so it is kept small, and its moves are short
 * inline loops (a set holds a few dozen ways at most).
 *
 * Set index = line number mod sets (sets need not be a power of two: an
 * 11-way 1.375 MiB LLC slice has 2048 sets, but a 12 MiB 12-way LLC has
 * 16384, and a 30 MiB 15-way one 32768). A power of two takes a mask;
 * other counts (some server LLCs) keep the division, one per access (it
 * measured ~1.5 ns of a ~45 ns access, not worth a cleverer reduction).
 *
 * Inclusion: a read that hits at level k fills every level above it; a
 * miss everywhere fills every level. When a line leaves a level, it is
 * also removed from every level above it (back-invalidation), so each level
 * always holds a subset of the next: strictly inclusive, the simplest
 * hierarchy to reason about. (Real AMD L3s are victim caches; Intel's
 * server L3 is non-inclusive since Skylake-SP: docs/model.md.)
 *
 * The latency returned is the preset's load-to-use latency of the level
 * that hit (not a sum over the levels that missed), or mem_latency.
 */
#ifndef XLAT_HARDWARE_CACHE_IMPL_H
#define XLAT_HARDWARE_CACHE_IMPL_H

#include <string.h>

#include "xlat/cache.h"

struct plevel {
	/* sets * ways line numbers, set by set; NULL = level absent. Only
	 * ways [0, used) of a set are ever read, so the array is not cleared:
	 * a large level costs address space, not memory, until it fills. */
	uint64_t *line;
	uint32_t *used;       /* per set: ways [0, used) hold lines, most recent first */
	uint64_t sets;
	uint64_t set_mask;    /* sets - 1, used when sets is a power of two */
	bool pow2;
	unsigned ways;
	unsigned latency;     /* cycles */
};

struct pcache {
	struct pcache_config cfg;
	unsigned line_shift;
	struct plevel lv[PCACHE_LEVELS];
	const struct plevel *deepest;   /* the last level present, or NULL */
	/* The latest access: its line and first level (UINT64_MAX: none).
	 * Right after it, that line is the MRU line of the first level present
	 * from `first` on, so the same access again hits there and changes
	 * nothing: answered without a search (a scan reads each line eight
	 * times in a row). near[f]: that level, PCACHE_LEVELS for memory. */
	uint64_t last_line;
	int last_first;
	int near[PCACHE_LEVELS];
	unsigned near_lat[PCACHE_LEVELS];   /* that level's latency (memory's) */
	struct pcache_stats st;
};

static inline uint64_t pcache_set_of(const struct plevel *v, uint64_t line)
{
	return v->pow2 ? line & v->set_mask : line % v->sets;
}

/* The way of s[0, n) holding line, or n. */
static inline uint32_t pcache_find(const uint64_t *s, uint32_t n, uint64_t line)
{
	uint32_t w = 0;

	while (w < n && s[w] != line)
		w++;
	return w;
}

/* Moves ways 0..n-1 of s down one and puts line in way 0 (way n's old
 * content is overwritten). */
static inline void pcache_push_front(uint64_t *s, uint32_t n, uint64_t line)
{
	memmove(s + 1, s, n * sizeof *s);
	s[0] = line;
}

/* Back-invalidation: line has left `level`, so it leaves every level above. */
static inline void pcache_drop_above(struct pcache *c, int level, uint64_t line)
{
	for (int i = 0; i < level; i++) {
		struct plevel *v = &c->lv[i];
		if (!v->line)
			continue;
		uint64_t set = pcache_set_of(v, line);
		uint64_t *s = v->line + set * v->ways;
		uint32_t n = v->used[set];
		uint32_t w = pcache_find(s, n, line);
		if (w == n)
			continue;
		for (; w + 1 < n; w++)
			s[w] = s[w + 1];
		v->used[set] = n - 1;
	}
}

/* Puts line, which is not in level i's set, in its MRU way; a full set
 * loses its LRU line. */
static inline void pcache_fill(struct pcache *c, int i, uint64_t set, uint64_t line)
{
	struct plevel *v = &c->lv[i];
	uint64_t *s = v->line + set * v->ways;
	uint32_t n = v->used[set];

	if (n < v->ways) {
		pcache_push_front(s, n, line);
		v->used[set] = n + 1;
		return;
	}
	uint64_t victim = s[v->ways - 1];
	pcache_push_front(s, v->ways - 1, line);
	pcache_drop_above(c, i, victim);
}

/* One read of the line holding pa, starting at level `first` (0: L1D; 1:
 * an instruction fetch, whose L1I the model does not have, so its line
 * enters at the L2 and never fills the L1D). Returns its latency; *where
 * (may be NULL) = the level that hit, PCACHE_LEVELS for memory. With a
 * constant `first` the compiler drops what does not apply. `prefetch`:
 * fetch the deepest level's set early (for walk references, which often
 * miss; the accesses' own lines mostly hit the L1D). */
static inline __attribute__((always_inline)) unsigned
pcache_access_line(struct pcache *c, xlat_pa pa, int first, unsigned *where, const bool prefetch)
{
	uint64_t line = pa >> c->line_shift;
	uint64_t set[PCACHE_LEVELS];
	unsigned lat = c->cfg.mem_latency;
	int i;

	if (line == c->last_line && first == c->last_first) {
		i = c->near[first];
		lat = c->near_lat[first];
		goto done;
	}
	c->last_line = line;
	c->last_first = first;
	/* The deepest level's set is the one least likely to be in the host's
	 * caches (it is the largest array): start fetching it now, while the
	 * levels above are searched. */
	if (prefetch && c->deepest) {
		const struct plevel *v = c->deepest;
		__builtin_prefetch(v->line + pcache_set_of(v, line) * v->ways);
	}
	for (i = first; i < PCACHE_LEVELS; i++) {
		struct plevel *v = &c->lv[i];
		if (!v->line)
			continue;
		set[i] = pcache_set_of(v, line);
		uint64_t *s = v->line + set[i] * v->ways;
		uint32_t n = v->used[set[i]];
		uint32_t w = pcache_find(s, n, line);
		if (w < n) {
			pcache_push_front(s, w, line);
			lat = v->latency;
			break;
		}
	}
	/* Fill the levels from `first` to the one above the one that hit (all
	 * of them on a miss). A victim's back-invalidation never removes the
	 * new line: it is not yet in the deeper level whose victim is being
	 * chosen, or it is the MRU line there. */
	for (int j = i - 1; j >= first; j--)
		if (c->lv[j].line)
			pcache_fill(c, j, set[j], line);
done:
	c->st.accesses++;
	c->st.hits[i]++;
	c->st.cycles += lat;
	if (where)
		*where = (unsigned)i;
	return lat;
}

/* Is pa's line the one the latest access from `first` read? Then an
 * access now is served by near[first] (it was just filled there), which
 * pcache_count_repeats counts n times at once. */
static inline __attribute__((always_inline)) bool pcache_is_latest(const struct pcache *c, xlat_pa pa, int first)
{
	return (pa >> c->line_shift) == c->last_line && first == c->last_first;
}

static inline int pcache_near(const struct pcache *c, int first)
{
	return c->near[first];
}

static inline void pcache_count_repeats(struct pcache *c, int first, uint64_t n)
{
	c->st.accesses += n;
	c->st.hits[c->near[first]] += n;
	c->st.cycles += n * c->near_lat[first];
}

static inline __attribute__((always_inline)) unsigned
pcache_access_from_inline(struct pcache *c, xlat_pa pa, int first, unsigned *where)
{
	return pcache_access_line(c, pa, first, where, true);
}

/* pcache_access (xlat/cache.h), inline. */
static inline __attribute__((always_inline)) unsigned
pcache_access_inline(struct pcache *c, xlat_pa pa, unsigned *where)
{
	return pcache_access_line(c, pa, 0, where, true);
}

#endif
