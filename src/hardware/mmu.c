/*
 * The MMU model: TLB hierarchies in front of the walker, the cost model
 * behind it, faults handed to the system layer. See xlat/mmu.h.
 *
 * Hot path: an access to the page the previous access of its side hit in the
 * L1 TLB is answered from `last` without touching the TLB arrays. That is
 * exact, not an approximation: the entry is already the most recently used
 * of its set (LRU and tree-PLRU state would not change), and `last` is
 * dropped whenever that side's L1 changes (fill, flush, invlpg, new tag).
 *
 * With cache_data, every access's own line then goes through the line
 * cache model (touch_lines): `last` keeps the page's bottom-space base for
 * that. The batch loop is compiled twice, with and without data lines, and
 * chosen once per batch, so a run without them does what it did before.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/mmu.h"
#include "xlat/phys.h"
#include "hardware/cache_impl.h"
#include "hardware/pwc_impl.h"
#include "hardware/tlb_impl.h"

#define SIDE_DATA 0
#define SIDE_FETCH 1
#define MAX_FAULT_RETRIES 8

/* The last L1 hit of one side. ok: bit (kind + 3 * supervisor) set when an
 * access of that kind and mode may use the translation with no walk; 0 when
 * there is none (then base is not page-aligned, so no va matches it
 * either). */
struct last_hit {
	uint64_t base;      /* page base (va & ~mask) */
	uint64_t mask;      /* page size - 1 */
	uint8_t ok;
	uint8_t size_idx;   /* 0 4K, 1 2M, 2 1G */
};

#define NO_LAST ((struct last_hit){ .base = 1, .mask = 0, .ok = 0 })

struct mmu {
	struct mmu_config cfg;
	struct tlb *side[2][MMU_MAX_TLB_LEVELS];   /* [SIDE_DATA] dtlb, [SIDE_FETCH] itlb */
	unsigned nlev[2];
	struct tlb *owned[2 * MMU_MAX_TLB_LEVELS];
	unsigned nowned;
	struct pwc *pwc[MMU_STAGE_OWNERS];         /* by owner, NULL without PWCs */
	struct tlb *ntlb;
	struct pcache *cache;
	struct walk_stage stage[MMU_STAGE_OWNERS]; /* by owner; fmt NULL: not set */
	struct walk_chain chain;                   /* the set stages, in owner order */
	struct mmu_system sys;
	uint32_t tag;
	struct mmu_stats st;
	struct last_hit last[2];
	/* Each last hit's page base in the bottom space, for data lines (apart
	 * from struct last_hit: measured, 8 more bytes there cost the fast
	 * path two instructions a record without data lines). */
	xlat_pa last_pa[2];
	bool data_lines;           /* cfg.cache_data with a cache model */
	xlat_pa *ref_addrs;        /* WALK_MAX_REFS, filled by the walker for the cost model */
	/* remember()'s answers by (perms, dirty) for stage-0 control bits
	 * ok_ctl: the permission rules evaluated once, not on every fill. */
	uint8_t ok_table[64];
	bool ok_valid[64];
	unsigned ok_ctl;
};

/* The error a constructor that returned NULL recorded, prefixed with what
 * the mmu was building. */
static int creation_failed(const char *what)
{
	int err = xlat_error_code() ? xlat_error_code() : -EINVAL;
	char why[200];

	snprintf(why, sizeof why, "%s", xlat_error());
	return xlat_fail(err, "mmu: %s: %s", what, why);
}

static int build_side(struct mmu *m, unsigned s, unsigned n, const struct tlb_config *cfg)
{
	if (n == 0 || n > MMU_MAX_TLB_LEVELS)
		return xlat_fail(-EINVAL, "mmu: the %s side needs 1 to %d TLB levels, got %u",
				 s ? "instruction" : "data", MMU_MAX_TLB_LEVELS, n);
	for (unsigned l = 0; l < n; l++) {
		if (s == SIDE_FETCH && l >= m->cfg.shared_from && l < m->nlev[SIDE_DATA]) {
			m->side[s][l] = m->side[SIDE_DATA][l];
			continue;
		}
		struct tlb *t = tlb_create(&cfg[l]);
		if (!t)
			return creation_failed(s ? "instruction TLB" : "data TLB");
		m->owned[m->nowned++] = t;
		m->side[s][l] = t;
	}
	m->nlev[s] = n;
	return 0;
}

/* AMD-style PWCs cache PDEs in the data side's L2 TLB (none without one),
 * each owner's under its own mark. */
static void attach_pde_tlb(struct mmu *m)
{
	if (m->cfg.pwc.style != PWC_AMD || m->nlev[SIDE_DATA] < 2)
		return;
	for (unsigned s = 0; s < MMU_STAGE_OWNERS; s++)
		pwc_attach_pde_tlb(m->pwc[s], m->side[SIDE_DATA][1], 0x80000000u | (uint32_t)s << 28);
}

int mmu_new(const struct mmu_config *cfg, struct phys *bottom, struct mmu **out)
{
	struct mmu *m;
	int rc;

	*out = NULL;
	if (!cfg || !bottom)
		return xlat_fail(-EINVAL, "mmu: no configuration or no bottom space");
	if ((unsigned)cfg->costs.fault_mode >= MMU_FAULT_MODES)
		return xlat_fail(-EINVAL, "mmu: fault cost row %d does not exist", (int)cfg->costs.fault_mode);
	m = calloc(1, sizeof *m);
	if (!m)
		return xlat_fail(-ENOMEM, "mmu: out of memory (%zu bytes)", sizeof *m);
	m->cfg = *cfg;
	m->ref_addrs = calloc(WALK_MAX_REFS, sizeof *m->ref_addrs);
	if (!m->ref_addrs) {
		rc = xlat_fail(-ENOMEM, "mmu: out of memory for the walk trace");
		goto fail;
	}
	if ((rc = build_side(m, SIDE_DATA, cfg->ndtlb, cfg->dtlb)) ||
	    (rc = build_side(m, SIDE_FETCH, cfg->nitlb, cfg->itlb)))
		goto fail;
	/* Every owner's PWC now, so that a bad configuration is refused here
	 * rather than leaving a run without PWCs. */
	for (unsigned s = 0; cfg->pwc.style != PWC_NONE && s < MMU_STAGE_OWNERS; s++)
		if (!(m->pwc[s] = pwc_create(&cfg->pwc))) {
			rc = creation_failed("paging-structure cache");
			goto fail;
		}
	attach_pde_tlb(m);
	if (cfg->ntlb_enabled && !(m->ntlb = tlb_create(&cfg->ntlb))) {
		rc = creation_failed("nested TLB");
		goto fail;
	}
	if (cfg->cache_enabled && !(m->cache = pcache_create(&cfg->cache))) {
		rc = creation_failed("page-table line cache");
		goto fail;
	}
	m->data_lines = cfg->cache_data && m->cache;
	walk_chain_init(&m->chain, bottom);
	*out = m;
	return 0;
fail:
	mmu_destroy(m);
	return rc;
}

struct mmu *mmu_create(const struct mmu_config *cfg, struct phys *bottom)
{
	struct mmu *m;

	return mmu_new(cfg, bottom, &m) ? NULL : m;
}

void mmu_destroy(struct mmu *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->nowned; i++)
		tlb_destroy(m->owned[i]);
	for (unsigned s = 0; s < MMU_STAGE_OWNERS; s++)
		pwc_destroy(m->pwc[s]);
	tlb_destroy(m->ntlb);
	pcache_destroy(m->cache);
	free(m->ref_addrs);
	free(m);
}

const struct walk_chain *mmu_chain(const struct mmu *m)
{
	return &m->chain;
}

/* The walk chain from the owners' stages: those set, in owner order, each
 * with its owner's PWC; the nested TLB for two stages or more. The walker
 * re-derives a chain position's masks when its stage changes (walk.c). */
static void chain_rebuild(struct mmu *m)
{
	unsigned n = 0;

	for (unsigned s = 0; s < MMU_STAGE_OWNERS; s++) {
		if (!m->stage[s].fmt)
			continue;
		m->chain.stage[n] = m->stage[s];
		m->chain.stage[n].pwc = m->pwc[s];
		n++;
	}
	m->chain.n = n;
	m->chain.ntlb = n >= 2 ? m->ntlb : NULL;
	m->last[0] = m->last[1] = NO_LAST;
}

int mmu_set_stage(struct mmu *m, enum mmu_stage_owner who, const struct walk_stage *st)
{
	if ((unsigned)who >= MMU_STAGE_OWNERS)
		return xlat_fail(-EINVAL, "mmu_set_stage: no stage owner %d", (int)who);
	if (!st || !st->fmt)
		return xlat_fail(-EINVAL, "mmu_set_stage: a stage needs a format");
	m->stage[who] = *st;
	m->stage[who].pwc = NULL;
	chain_rebuild(m);
	return 0;
}

void mmu_clear_stage(struct mmu *m, enum mmu_stage_owner who)
{
	if ((unsigned)who >= MMU_STAGE_OWNERS || !m->stage[who].fmt)
		return;
	memset(&m->stage[who], 0, sizeof m->stage[who]);
	chain_rebuild(m);
}

const struct walk_stage *mmu_stage(const struct mmu *m, enum mmu_stage_owner who)
{
	return (unsigned)who < MMU_STAGE_OWNERS && m->stage[who].fmt ? &m->stage[who] : NULL;
}

void mmu_set_check(struct mmu *m, const struct walk_check *check)
{
	m->chain.check = check;
	m->last[0] = m->last[1] = NO_LAST;
}

void mmu_set_system(struct mmu *m, const struct mmu_system *sys)
{
	m->sys = *sys;
}

void mmu_set_tag(struct mmu *m, uint32_t tag)
{
	m->tag = tag;
	m->last[0] = m->last[1] = NO_LAST;
}

uint32_t mmu_tag(const struct mmu *m)
{
	return m->tag;
}

/* ---- the cost of a walk ------------------------------------------------ */

_Static_assert(sizeof(((struct mmu_stats *)0)->by_cause) ==
	       offsetof(struct mmu_stats, perm_walk_hist) + sizeof(((struct mmu_stats *)0)->perm_walk_hist) -
	       offsetof(struct mmu_stats, walks), "by_cause[] and the named walk counters differ");
_Static_assert(offsetof(struct mmu_stats, by_cause[MMU_WALK_DIRTY].walks) ==
	       offsetof(struct mmu_stats, dirty_walks), "by_cause[] out of order");

static void charge_walk(struct mmu *m, const struct walk_result *res, enum mmu_walk_cause cause)
{
	uint32_t n = res->refs;
	uint64_t cyc = m->cfg.costs.walk_overhead_cycles + (uint64_t)n * m->cfg.costs.walk_ref_cycles;
	unsigned bucket = n < 63 ? n : 63;

	/* Most walks follow misses: their counters at fixed places, the rest
	 * indexed (measured: indexing every walk cost ~1 % of a miss-heavy
	 * run's instructions). */
	if (__builtin_expect(cause == MMU_WALK_MISS, 1)) {
		m->st.walks++;
		m->st.walk_refs += n;
		m->st.refs_hist[bucket]++;
	} else {
		struct mmu_walk_counts *w = &m->st.by_cause[cause];
		w->walks++;
		w->refs += n;
		w->hist[bucket]++;
	}
	if (res->start_level)
		m->st.walk_start[res->start_level]++;
	if (m->cache) {
		uint32_t rec = n < res->refs_cap ? n : res->refs_cap;
		for (uint32_t i = 0; i < rec; i++) {
			unsigned where;
			cyc += pcache_access_inline(m->cache, m->ref_addrs[i], &where);
			m->st.ref_where[where]++;
		}
	} else {
		cyc += (uint64_t)n * m->cfg.cache.mem_latency;
		m->st.ref_where[PCACHE_LEVELS] += n;
	}
	m->st.walk_cycles += cyc;
}

/* ---- TLB fills ----------------------------------------------------------- */

static void drop_last(struct mmu *m, unsigned side)
{
	m->last[side] = NO_LAST;
	if (m->cfg.shared_from == 0)
		m->last[side ^ 1] = NO_LAST;
}

/* ok_bits' table entry for key, computed from the permission rules of
 * walk_perm_ok the first time a key is seen under the current control
 * bits. */
static __attribute__((noinline)) uint8_t ok_bits_compute(struct mmu *m, unsigned key, xlat_va va,
							 const struct tlb_xlat *x)
{
	unsigned ctl = m->chain.stage[0].ctl;
	uint8_t ok = 0;

	if (ctl != m->ok_ctl) {
		memset(m->ok_valid, 0, sizeof m->ok_valid);
		m->ok_ctl = ctl;
	}
	for (unsigned sup = 0; sup < 2; sup++)
		for (unsigned k = 0; k < 3; k++) {
			if (k == XLAT_WRITE && !x->dirty)
				continue;
			struct walk_req r = { .va = va, .kind = (uint8_t)k, .supervisor = sup };
			if (walk_perm_ok(x->perms, &r, ctl))
				ok |= (uint8_t)(1u << (k + 3 * sup));
		}
	m->ok_table[key] = ok;
	m->ok_valid[key] = true;
	return ok;
}

/* Which kinds and modes may use translation x without a walk (see struct
 * last_hit). */
static inline uint8_t ok_bits(struct mmu *m, xlat_va va, const struct tlb_xlat *x)
{
	unsigned key = (x->perms & (XLAT_R | XLAT_W | XLAT_X | XLAT_U)) |
		       ((x->perms & WALK_PERM_LOWER_W) ? 16u : 0) | (x->dirty ? 32u : 0);

	if (m->chain.stage[0].ctl == m->ok_ctl && m->ok_valid[key])
		return m->ok_table[key];
	return ok_bits_compute(m, key, va, x);
}

/* Makes x, just used for va, the side's last hit; ok: its ok_bits. */
static void remember(struct mmu *m, unsigned side, xlat_va va, const struct tlb_xlat *x, uint8_t ok)
{
	struct last_hit *l = &m->last[side];

	l->mask = (1ULL << x->shift) - 1;
	l->base = va & ~l->mask;
	l->ok = ok;
	m->last_pa[side] = x->pa;
	l->size_idx = (uint8_t)xlat_shift_psize(x->shift);
}

static void fill(struct mmu *m, unsigned side, unsigned upto, xlat_va va, const struct tlb_xlat *x)
{
	for (unsigned l = 0; l < upto; l++)
		tlb_insert_inline(m->side[side][l], m->tag, va, x);
	if (upto > 0)
		drop_last(m, side);
}

/* ---- translation --------------------------------------------------------- */

/* Walks until the translation succeeds or the system gives up, then fills
 * every TLB level of the side. `cause`: why the first walk runs; the others
 * are retries. 0, 1 (dropped) or -errno. */
static int walk_and_fill(struct mmu *m, const struct walk_req *req, unsigned side,
			 enum mmu_walk_cause cause, struct tlb_xlat *out)
{
	struct walk_result res;

	res.refs_out = NULL;
	res.ref_addrs = m->cache ? m->ref_addrs : NULL;
	res.refs_cap = WALK_MAX_REFS;
	for (unsigned tries = 0;; tries++, cause = MMU_WALK_FAULT_RETRY) {
		int rc = walk_translate(&m->chain, req, &res);
		if (rc < 0)
			return rc;
		charge_walk(m, &res, cause);
		if (res.fault.kind == WALK_OK)
			break;
		m->st.faults++;
		m->st.faults_by_kind[res.fault.kind]++;
		if (!m->sys.fault || tries >= MAX_FAULT_RETRIES) {
			m->st.unresolved++;
			return 1;
		}
		rc = m->sys.fault(m->sys.ctx, m, req, &res);
		if (rc != 0) {
			if (rc > 0)
				m->st.unresolved++;
			return rc;
		}
	}

	struct tlb_xlat x = {
		.pa = res.pa & ~((1ULL << res.shift) - 1),
		.shift = (uint8_t)res.shift,
		.global = res.global,
		.dirty = res.dirty,
		.perms = res.perms,
	};
	fill(m, side, m->nlev[side], req->va, &x);
	if (out)
		*out = x;
	return 0;
}

static int access_slow(struct mmu *m, xlat_va va, unsigned kind, bool sup, xlat_pa *pa)
{
	unsigned side = kind == XLAT_FETCH;
	struct walk_req req = { .va = va, .kind = (uint8_t)kind, .supervisor = sup };
	struct tlb_xlat x;
	unsigned l, n = m->nlev[side];
	enum mmu_walk_cause cause = MMU_WALK_MISS;
	int rc;

	for (l = 0; l < n; l++)
		if (tlb_lookup_inline(m->side[side][l], m->tag, va, &x))
			break;

	if (l < n) {
		m->st.tlb_hits[side][l]++;
		m->st.tlb_hits_by_size[side][l][xlat_shift_psize(x.shift)]++;
		m->st.tlb_cycles += m->cfg.costs.tlb_hit_cycles[l];
		fill(m, side, l, va, &x);
		uint8_t ok = ok_bits(m, va, &x);
		if ((ok >> (kind + 3 * sup)) & 1) {
			remember(m, side, va, &x, ok);
			goto done;
		}
		/* A walk: to set D (a write the entry allows), or to fault. */
		if (kind == XLAT_WRITE && !x.dirty && walk_perm_ok(x.perms, &req, m->chain.stage[0].ctl))
			cause = MMU_WALK_DIRTY;
		else
			cause = MMU_WALK_PERM;
	} else {
		m->st.tlb_misses++;
		m->st.tlb_misses_side[side]++;
	}

	rc = walk_and_fill(m, &req, side, cause, &x);
	if (rc)
		return rc;
	remember(m, side, va, &x, ok_bits(m, va, &x));
done:
	if (pa)
		*pa = x.pa | (va & ((1ULL << x.shift) - 1));
	return 0;
}

/* Counters of the pages answered from `last`, kept in registers through a
 * batch and added to the mmu's once (the same sums). */
struct fast_counts {
	uint64_t by_kind[3];                /* pages by kind */
	uint64_t hits[2][3];                /* [side][size index] */
	uint64_t line_repeats[2];           /* [side]: the line cache's latest line again */
};

static void fold_fast(struct mmu *m, struct fast_counts *f)
{
	uint64_t all = 0;

	for (unsigned k = 0; k < 3; k++) {
		m->st.by_kind[k] += f->by_kind[k];
		m->st.pages += f->by_kind[k];
	}
	for (unsigned side = 0; side < 2; side++)
		for (unsigned z = 0; z < 3; z++) {
			m->st.tlb_hits[side][0] += f->hits[side][z];
			m->st.tlb_hits_by_size[side][0][z] += f->hits[side][z];
			all += f->hits[side][z];
		}
	m->st.tlb_cycles += all * m->cfg.costs.tlb_hit_cycles[0];
	for (unsigned side = 0; side < 2; side++)
		if (f->line_repeats[side]) {
			pcache_count_repeats(m->cache, (int)side, f->line_repeats[side]);
			m->st.line_where[side][pcache_near(m->cache, (int)side)] += f->line_repeats[side];
		}
	memset(f, 0, sizeof *f);
}

/* The lines after the first of [va, last] (one page) at pa on (an access
 * across a line boundary: out of line). */
static __attribute__((noinline)) void touch_more_lines(struct mmu *m, xlat_pa pa, xlat_va va, xlat_va last,
						       unsigned side)
{
	unsigned shift = m->cache->line_shift;
	uint64_t n = (last >> shift) - (va >> shift);

	while (n--) {
		unsigned where;
		pa = (pa | ((1ULL << shift) - 1)) + 1;
		pcache_access_line(m->cache, pa, (int)side, &where, false);
		m->st.line_where[side][where]++;
	}
}

/* The lines of [va, last] (one page) at pa on, through the line cache
 * model: a data access from the L1D, a fetch (side 1) from the L2. */
static inline __attribute__((always_inline)) void touch_lines(struct mmu *m, struct fast_counts *f, xlat_pa pa,
							    xlat_va va, xlat_va last, unsigned side)
{
	unsigned where;

	/* The cache's latest line again (a scan's next 8 bytes): it is served
	 * where the cache serves it, the same each time, so only counted here
	 * and added in fold_fast (measured: the counters' four
	 * read-modify-writes were most of the hit path's extra cost). */
	if (pcache_is_latest(m->cache, pa, (int)side))
		f->line_repeats[side]++;
	else
		pcache_access_line(m->cache, pa, (int)side, &where, false), m->st.line_where[side][where]++;
	if (__builtin_expect(((va ^ last) >> m->cache->line_shift) != 0, 0))
		touch_more_lines(m, pa, va, last, side);
}

/* One page of an access: [va, last] lies in one 4 KiB page. `data`
 * (a constant in each copy of the batch loop): its lines go through the
 * line cache model. */
static inline __attribute__((always_inline)) int access_page(struct mmu *m, struct fast_counts *f, xlat_va va,
							   xlat_va last, unsigned kind, bool sup, const bool data)
{
	unsigned side = kind == XLAT_FETCH;
	const struct last_hit *l = &m->last[side];

	if ((va & ~l->mask) == l->base && (l->ok >> (kind + 3 * sup)) & 1) {
		f->by_kind[kind]++;
		f->hits[side][l->size_idx]++;
		if (data)
			touch_lines(m, f, m->last_pa[side] | (va & l->mask), va, last, side);
		return 0;
	}
	m->st.pages++;
	m->st.by_kind[kind]++;
	if (!data)
		return access_slow(m, va, kind, sup, NULL);
	xlat_pa pa;
	int rc = access_slow(m, va, kind, sup, &pa);
	if (rc == 0)
		touch_lines(m, f, pa, va, last, side);
	return rc;
}

static inline __attribute__((always_inline)) int run_records(struct mmu *m, struct fast_counts *f,
							   const struct xlat_access *acc, size_t n, const bool data)
{
	for (size_t i = 0; i < n; i++) {
		const struct xlat_access *a = &acc[i];
		unsigned kind = a->kind;

		if (kind > XLAT_FETCH) {
			m->st.events++;
			if (kind >= XLAT_KIND_COUNT)
				return xlat_fail(-EINVAL, "record %zu of a batch has unknown kind %u", i, kind);
			if (m->sys.event) {
				int rc = m->sys.event(m->sys.ctx, m, a);
				if (rc < 0)
					return rc;
			}
			continue;
		}
		if (kind == XLAT_FETCH && m->cfg.no_fetch)
			continue;
		m->st.accesses++;

		bool sup = a->flags & XLAT_ACC_SUPERVISOR;
		xlat_va va = a->va;
		xlat_va last = va + (a->size ? a->size - 1 : 0);
		if (last < va)   /* wraps the address space: stop at its end */
			last = UINT64_MAX;
		/* One page, the common case, on its own: measured 10 % fewer
		 * instructions per record on a real trace than entering the
		 * page loop below, whose setup the compiler hoists. */
		if (((va ^ last) >> XLAT_PAGE_SHIFT) == 0) {
			int rc = access_page(m, f, va, last, kind, sup, data);
			if (rc < 0)
				return rc;
			continue;
		}
		for (;;) {
			xlat_va next = (va | (XLAT_PAGE_SIZE - 1)) + 1;
			int rc = access_page(m, f, va, next == 0 || next > last ? last : next - 1, kind, sup, data);
			if (rc < 0)
				return rc;
			if (next == 0 || next > last)
				break;
			va = next;
		}
	}
	return 0;
}

/* The batch loop's two copies, each with its counters in its own frame
 * (measured: a pointer to them passed in costs a load per record). */
static __attribute__((noinline)) int run_translate(struct mmu *m, const struct xlat_access *acc, size_t n)
{
	struct fast_counts f = { 0 };
	int rc = run_records(m, &f, acc, n, false);

	fold_fast(m, &f);
	return rc;
}

static __attribute__((noinline)) int run_with_lines(struct mmu *m, const struct xlat_access *acc, size_t n)
{
	struct fast_counts f = { 0 };
	int rc = run_records(m, &f, acc, n, true);

	fold_fast(m, &f);
	return rc;
}

int mmu_run(struct mmu *m, const struct xlat_access *acc, size_t n)
{
	return m->data_lines ? run_with_lines(m, acc, n) : run_translate(m, acc, n);
}

/* Walks of every cause and their references, for deltas. */
static uint64_t all_walks(const struct mmu_stats *s, uint64_t *refs)
{
	uint64_t w = 0;
	*refs = 0;
	for (unsigned c = 0; c < MMU_WALK_CAUSES; c++) {
		w += s->by_cause[c].walks;
		*refs += s->by_cause[c].refs;
	}
	return w;
}

int mmu_translate(struct mmu *m, xlat_va va, unsigned kind, bool supervisor, struct mmu_outcome *out)
{
	if (kind > XLAT_FETCH)
		return xlat_fail(-EINVAL, "mmu_translate: kind %u is not an access", kind);
	/* Not a hot path: what happened is the counters' difference. */
	unsigned side = kind == XLAT_FETCH;
	uint64_t refs0, refs1, hits0[MMU_MAX_TLB_LEVELS];
	uint64_t walks0 = all_walks(&m->st, &refs0);
	uint64_t faults0 = m->st.faults, exits0 = m->st.exits, unres0 = m->st.unresolved;
	uint64_t cyc0 = mmu_translation_cycles(m);
	memcpy(hits0, m->st.tlb_hits[side], sizeof hits0);
	xlat_pa pa = 0;

	m->st.pages++;
	m->st.by_kind[kind]++;
	m->st.accesses++;
	int rc = access_slow(m, va, kind, supervisor, &pa);
	int line = -1;
	if (rc == 0 && m->data_lines) {
		uint64_t w0[PCACHE_LEVELS + 1];
		memcpy(w0, m->st.line_where[side], sizeof w0);
		struct fast_counts f = { 0 };
		touch_lines(m, &f, pa, va, va, side);
		fold_fast(m, &f);
		for (int i = 0; i <= PCACHE_LEVELS; i++)
			if (m->st.line_where[side][i] != w0[i])
				line = i;
	}
	if (out && rc >= 0) {
		memset(out, 0, sizeof *out);
		out->line_where = line;
		out->pa = pa;
		out->shift = m->last[side].mask ? (unsigned)__builtin_ctzll(m->last[side].mask + 1) : 12;
		out->tlb_level = -1;
		for (unsigned l = 0; l < m->nlev[side]; l++)
			if (m->st.tlb_hits[side][l] != hits0[l])
				out->tlb_level = (int)l;
		out->walks = (uint32_t)(all_walks(&m->st, &refs1) - walks0);
		out->refs = (uint32_t)(refs1 - refs0);
		out->faults = (uint32_t)(m->st.faults - faults0);
		out->exits = (uint32_t)(m->st.exits - exits0);
		out->cycles = mmu_translation_cycles(m) - cyc0;
		out->dropped = m->st.unresolved != unres0;
	}
	return rc;
}

/* ---- maintenance --------------------------------------------------------- */

/* Every distinct TLB structure of both sides, once. */
#define FOR_EACH_TLB(m, t)                                  \
	for (unsigned i_ = 0; i_ < (m)->nowned; i_++)       \
		if (((t) = (m)->owned[i_]), 1)

void mmu_invlpg(struct mmu *m, uint32_t tag, xlat_va va)
{
	struct tlb *t;
	FOR_EACH_TLB(m, t)
		tlb_invlpg(t, tag, va);
	if (m->pwc[MMU_STAGE_OS])
		pwc_invlpg(m->pwc[MMU_STAGE_OS], tag, va);
	m->last[0] = m->last[1] = NO_LAST;
}

void mmu_flush_tag(struct mmu *m, uint32_t tag, bool keep_global)
{
	struct tlb *t;
	FOR_EACH_TLB(m, t)
		tlb_flush_tag(t, tag, keep_global);
	if (m->pwc[MMU_STAGE_OS])
		pwc_flush_tag(m->pwc[MMU_STAGE_OS], tag);
	m->last[0] = m->last[1] = NO_LAST;
}

void mmu_flush_all(struct mmu *m)
{
	struct tlb *t;
	FOR_EACH_TLB(m, t)
		tlb_flush_all(t);
	for (unsigned s = 0; s < MMU_STAGE_OWNERS; s++)
		if (m->pwc[s])
			pwc_flush_all(m->pwc[s]);
	if (m->ntlb)
		tlb_flush_all(m->ntlb);
	m->last[0] = m->last[1] = NO_LAST;
}

void mmu_flush_nested(struct mmu *m)
{
	/* Combined GVA->HPA entries depend on the EPT too (SDM 28.4.3.1: INVEPT
	 * invalidates combined mappings), so the TLBs go as well. */
	struct tlb *t;
	FOR_EACH_TLB(m, t)
		tlb_flush_all(t);
	for (unsigned s = MMU_STAGE_OS + 1; s < MMU_STAGE_OWNERS; s++)
		if (m->pwc[s])
			pwc_flush_all(m->pwc[s]);
	if (m->ntlb)
		tlb_flush_all(m->ntlb);
	m->last[0] = m->last[1] = NO_LAST;
}

void mmu_shootdown(struct mmu *m, uint32_t tag, xlat_va start, xlat_va end,
		   void (*invlpg)(void *ctx, struct mmu *m, uint32_t tag, xlat_va va),
		   void (*flush_tag)(void *ctx, struct mmu *m, uint32_t tag), void *ctx)
{
	if ((end - start) >> XLAT_PAGE_SHIFT > MMU_FLUSH_CEILING_PAGES) {
		flush_tag(ctx, m, tag);
		return;
	}
	for (xlat_va va = start; va < end; va += XLAT_PAGE_SIZE)
		invlpg(ctx, m, tag, va);
}

void mmu_charge_fault(struct mmu *m, unsigned shift)
{
	m->st.fault_cycles += m->cfg.costs.fault_cycles[m->cfg.costs.fault_mode][xlat_shift_psize(shift)];
}

void mmu_charge_host_fault(struct mmu *m, unsigned shift)
{
	m->st.fault_cycles += m->cfg.costs.host_fault_cycles[xlat_shift_psize(shift)];
}

void mmu_charge_exit(struct mmu *m)
{
	uint64_t cycles = m->cfg.costs.exit_cycles;
	m->st.exits++;
	m->st.exit_cycles += cycles;
}

const struct mmu_stats *mmu_get_stats(const struct mmu *m)
{
	return &m->st;
}

const struct mmu_config *mmu_get_config(const struct mmu *m)
{
	return &m->cfg;
}

const struct pcache_stats *mmu_cache_stats(const struct mmu *m)
{
	return m->cache ? pcache_get_stats(m->cache) : NULL;
}

uint64_t mmu_translation_cycles(const struct mmu *m)
{
	return m->st.tlb_cycles + m->st.walk_cycles + m->st.fault_cycles + m->st.exit_cycles;
}
