/*
 * xlat/cache.h — where a cache line is: a small model of the data-cache
 * hierarchy (L1D, L2, LLC, memory) that turns each walk reference into a
 * latency in cycles. The mmu sends it the page-table lines its walks read
 * and, with cache.data on, the line of every access too (instruction
 * fetches from the L2 on: there is no L1I), so the program's data competes
 * with the page-table lines for capacity (docs/model.md). The latencies are
 * load-to-use latencies of the preset's CPU.
 */
#ifndef XLAT_CACHE_H
#define XLAT_CACHE_H

#include "xlat/base.h"

XLAT_API_BEGIN

#define PCACHE_LEVELS 3   /* L1D, L2, LLC; then memory */

struct pcache_level_config {
	uint64_t bytes;        /* capacity; 0 = level absent */
	unsigned ways;
	unsigned latency;      /* cycles, load-to-use */
};

struct pcache_config {
	struct pcache_level_config level[PCACHE_LEVELS];
	unsigned mem_latency;  /* cycles */
	unsigned line_bytes;   /* 64 */
};

struct pcache_stats {
	uint64_t accesses;
	uint64_t hits[PCACHE_LEVELS + 1];   /* [PCACHE_LEVELS] = memory */
	uint64_t cycles;
};

struct pcache;

struct pcache *pcache_create(const struct pcache_config *cfg);  /* NULL + xlat_error() on bad geometry */
void pcache_destroy(struct pcache *c);
/* One read of the line holding pa; fills every level that missed (inclusive,
 * LRU). Returns its latency in cycles; *where (may be NULL) = level index that
 * hit, PCACHE_LEVELS for memory. */
unsigned pcache_access(struct pcache *c, xlat_pa pa, unsigned *where);
/* The same, starting at level `first` (0..PCACHE_LEVELS-1): the levels
 * above it are neither searched nor filled (an instruction fetch starts at
 * the L2: 1). */
unsigned pcache_access_from(struct pcache *c, xlat_pa pa, int first, unsigned *where);
void pcache_flush(struct pcache *c);
const struct pcache_stats *pcache_get_stats(const struct pcache *c);
void pcache_reset_stats(struct pcache *c);

XLAT_API_END

#endif
