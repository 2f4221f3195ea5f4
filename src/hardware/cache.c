/*
 * The page-table line cache model (xlat/cache.h).
 *
 * Each level is a set-associative array of line addresses with exact LRU
 * (a per-level clock stamp per line; 0 = invalid, so invalid ways are
 * filled first). Set index = line number mod sets (sets need not be a
 * power of two: an 11-way 1.375 MiB LLC slice has 2048 sets, but a 12 MiB
 * 12-way LLC has 16384, and a 30 MiB 15-way one 32768).
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
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/cache.h"

struct pline {
	uint64_t line;    /* pa / line_bytes */
	uint64_t stamp;   /* level clock at last use; 0 = invalid */
};

struct plevel {
	struct pcache_level_config cfg;
	unsigned sets, ways;
	struct pline *l;  /* sets * ways; NULL = level absent */
	uint64_t clock;
};

struct pcache {
	struct pcache_config cfg;
	unsigned line_shift;
	struct plevel lv[PCACHE_LEVELS];
	struct pcache_stats st;
};

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
		v->cfg = cfg->level[i];
		if (v->cfg.bytes == 0)
			continue;
		v->ways = v->cfg.ways;
		v->sets = (unsigned)(v->cfg.bytes / ((uint64_t)v->ways * cfg->line_bytes));
		v->l = calloc((size_t)v->sets * v->ways, sizeof *v->l);
		if (!v->l) {
			xlat_fail(-ENOMEM, "cache: out of memory for the %s", level_name[i]);
			pcache_destroy(c);
			return NULL;
		}
	}
	return c;
}

void pcache_destroy(struct pcache *c)
{
	if (!c)
		return;
	for (int i = 0; i < PCACHE_LEVELS; i++)
		free(c->lv[i].l);
	free(c);
}

static inline struct pline *set_of(struct plevel *v, uint64_t line)
{
	return v->l + (size_t)(line % v->sets) * v->ways;
}

/* The way holding line in v, or NULL. */
static struct pline *find(struct plevel *v, uint64_t line)
{
	struct pline *s = set_of(v, line);
	for (unsigned w = 0; w < v->ways; w++)
		if (s[w].stamp && s[w].line == line)
			return &s[w];
	return NULL;
}

static void drop_above(struct pcache *c, int level, uint64_t line)
{
	for (int i = 0; i < level; i++) {
		if (!c->lv[i].l)
			continue;
		struct pline *p = find(&c->lv[i], line);
		if (p)
			p->stamp = 0;
	}
}

/* Puts line in level i (it is not there), evicting the LRU way. */
static void fill(struct pcache *c, int i, uint64_t line)
{
	struct plevel *v = &c->lv[i];
	struct pline *s = set_of(v, line), *victim = &s[0];

	for (unsigned w = 1; w < v->ways; w++)
		if (s[w].stamp < victim->stamp)
			victim = &s[w];
	if (victim->stamp)
		drop_above(c, i, victim->line);
	victim->line = line;
	victim->stamp = ++v->clock;
}

unsigned pcache_access(struct pcache *c, xlat_pa pa, unsigned *where)
{
	uint64_t line = pa >> c->line_shift;
	unsigned lat = c->cfg.mem_latency;
	int i;

	for (i = 0; i < PCACHE_LEVELS; i++) {
		struct plevel *v = &c->lv[i];
		if (!v->l)
			continue;
		struct pline *p = find(v, line);
		if (p) {
			p->stamp = ++v->clock;
			lat = v->cfg.latency;
			break;
		}
	}
	/* Fill the levels above the one that hit (all of them on a miss).
	 * A victim's back-invalidation never removes the new line: it is not
	 * yet in the deeper level whose victim is being chosen, or it is the
	 * MRU line there. */
	for (int j = i - 1; j >= 0; j--)
		if (c->lv[j].l)
			fill(c, j, line);
	c->st.accesses++;
	c->st.hits[i]++;
	c->st.cycles += lat;
	if (where)
		*where = (unsigned)i;
	return lat;
}

void pcache_flush(struct pcache *c)
{
	for (int i = 0; i < PCACHE_LEVELS; i++)
		if (c->lv[i].l)
			memset(c->lv[i].l, 0, (size_t)c->lv[i].sets * c->lv[i].ways * sizeof *c->lv[i].l);
}

const struct pcache_stats *pcache_get_stats(const struct pcache *c)
{
	return &c->st;
}

void pcache_reset_stats(struct pcache *c)
{
	memset(&c->st, 0, sizeof c->st);
}
