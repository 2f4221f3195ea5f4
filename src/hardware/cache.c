/*
 * The line cache model (xlat/cache.h): configuration, flushes
 * and statistics. The model itself, and its hot path, are in
 * hardware/cache_impl.h, which the mmu inlines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hardware/cache_impl.h"

/* 1 TiB: any cache we model is far smaller; keeps sets * ways in range. */
#define PCACHE_MAX_BYTES (1ULL << 40)

static const char *const level_name[PCACHE_LEVELS] = { "L1D", "L2", "LLC" };

static int check(const struct pcache_config *cfg)
{
	unsigned line = cfg->line_bytes;

	if (line < 8 || (line & (line - 1)))
		return xlat_fail(-EINVAL, "cache: line size %u is not a power of two >= 8", line);
	for (int i = 0; i < PCACHE_LEVELS; i++) {
		const struct pcache_level_config *c = &cfg->level[i];
		if (c->bytes == 0)
			continue;
		if (c->bytes > PCACHE_MAX_BYTES)
			return xlat_fail(-EINVAL, "cache: %s of %llu bytes is larger than the model allows",
					 level_name[i], (unsigned long long)c->bytes);
		if (c->ways == 0)
			return xlat_fail(-EINVAL, "cache: %s needs ways > 0", level_name[i]);
		if (c->bytes % ((uint64_t)c->ways * line))
			return xlat_fail(-EINVAL, "cache: %s of %llu bytes is not a multiple of %u ways x %u-byte lines",
					 level_name[i], (unsigned long long)c->bytes, c->ways, line);
	}
	return 0;
}

struct pcache *pcache_create(const struct pcache_config *cfg)
{
	struct pcache *c;

	if (!cfg) {
		xlat_fail(-EINVAL, "cache: no configuration");
		return NULL;
	}
	if (check(cfg))
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c) {
		xlat_fail(-ENOMEM, "cache: out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	while ((1u << c->line_shift) < cfg->line_bytes)
		c->line_shift++;
	for (int i = 0; i < PCACHE_LEVELS; i++) {
		struct plevel *v = &c->lv[i];
		const struct pcache_level_config *lc = &cfg->level[i];
		if (lc->bytes == 0)
			continue;
		v->ways = lc->ways;
		v->latency = lc->latency;
		v->sets = lc->bytes / ((uint64_t)v->ways * cfg->line_bytes);
		v->pow2 = (v->sets & (v->sets - 1)) == 0;
		v->set_mask = v->sets - 1;
		v->line = malloc((size_t)v->sets * v->ways * sizeof *v->line);
		v->used = calloc(v->sets, sizeof *v->used);
		if (!v->line || !v->used) {
			xlat_fail(-ENOMEM, "cache: out of memory for the %s", level_name[i]);
			pcache_destroy(c);
			return NULL;
		}
		c->deepest = v;
	}
	for (int f = PCACHE_LEVELS - 1; f >= 0; f--) {
		c->near[f] = c->lv[f].line ? f : f + 1 < PCACHE_LEVELS ? c->near[f + 1] : PCACHE_LEVELS;
		c->near_lat[f] = c->near[f] < PCACHE_LEVELS ? c->lv[c->near[f]].latency : cfg->mem_latency;
	}
	c->last_line = UINT64_MAX;
	return c;
}

void pcache_destroy(struct pcache *c)
{
	if (!c)
		return;
	for (int i = 0; i < PCACHE_LEVELS; i++) {
		free(c->lv[i].line);
		free(c->lv[i].used);
	}
	free(c);
}

unsigned pcache_access(struct pcache *c, xlat_pa pa, unsigned *where)
{
	return pcache_access_inline(c, pa, where);
}

unsigned pcache_access_from(struct pcache *c, xlat_pa pa, int first, unsigned *where)
{
	if (first < 0 || first >= PCACHE_LEVELS)
		XLAT_BUG("pcache_access_from: level %d", first);
	return pcache_access_from_inline(c, pa, first, where);
}

void pcache_flush(struct pcache *c)
{
	c->last_line = UINT64_MAX;
	for (int i = 0; i < PCACHE_LEVELS; i++)
		if (c->lv[i].used)
			memset(c->lv[i].used, 0, c->lv[i].sets * sizeof *c->lv[i].used);
}

const struct pcache_stats *pcache_get_stats(const struct pcache *c)
{
	return &c->st;
}

void pcache_reset_stats(struct pcache *c)
{
	memset(&c->st, 0, sizeof c->st);
}
