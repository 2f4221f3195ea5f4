/*
 * `xlat gc` as a library call: the gc workload's phases run through one
 * machine per system (the requested one and, when virtualized, a native one
 * beside it), fed the same batches; counters taken at each phase boundary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/gc.h"
#include "xlat/parse.h"

#define GC_BATCH 4096   /* records */
#define PROGRESS_EVERY 64   /* batches */

struct progress {
	const struct gc_config *cfg;
	uint64_t done, total, batches;
};

/* ---- the machines --------------------------------------------------------
 * One machine per system, fed the same records; counters at each phase
 * boundary. */

struct gc_machine {
	struct machine *m;
	struct gc_counts last;           /* counters at the last phase boundary */
};

static void gcm_counters(const struct gc_machine *g, struct gc_counts *c)
{
	const struct mmu_stats *s = mmu_get_stats(machine_mmu(g->m));
	c->accesses = s->accesses;
	c->tlb_misses = s->tlb_misses;
	c->walks = s->walks;
	c->walk_refs = s->walk_refs;
	c->faults = s->faults;
	c->exits = s->exits;
	c->tlb_cycles = s->tlb_cycles;
	c->walk_cycles = s->walk_cycles;
	c->fault_cycles = s->fault_cycles;
	c->exit_cycles = s->exit_cycles;
	c->translation_cycles = s->tlb_cycles + s->walk_cycles + s->fault_cycles + s->exit_cycles;
}

/* ---- counters ---- */

#define COUNTS_EACH(X) X(accesses) X(tlb_misses) X(walks) X(walk_refs) X(faults) X(exits) \
	X(tlb_cycles) X(walk_cycles) X(fault_cycles) X(exit_cycles) X(translation_cycles)

static void counts_sub(struct gc_counts *d, const struct gc_counts *a, const struct gc_counts *b)
{
#define SUB(f) d->f = a->f - b->f;
	COUNTS_EACH(SUB)
#undef SUB
}

static void counts_add(struct gc_counts *d, const struct gc_counts *a)
{
#define ADD(f) d->f += a->f;
	COUNTS_EACH(ADD)
#undef ADD
}

/* The machine's counters since the last boundary, into *out. */
static void boundary(struct gc_machine *g, struct gc_counts *out)
{
	struct gc_counts now;
	gcm_counters(g, &now);
	counts_sub(out, &now, &g->last);
	g->last = now;
}

/* ---- the study ---- */

/* A size for a message: exact ("64 GiB") when a unit divides it, else
 * GiB with two decimals. */
static void gib(uint64_t bytes, char *buf, size_t len)
{
	if (bytes % (1ULL << 20) == 0 || bytes < (1ULL << 30))
		xlat_parse_size_str(bytes, buf, len);
	else
		snprintf(buf, len, "%.2f GiB", (double)bytes / (1ULL << 30));
}


static const char *const phase_names[] = { [XLAT_GC_MARK] = "mark", [XLAT_GC_SWEEP] = "sweep",
					   [XLAT_GC_MARK | XLAT_GC_SWEEP] = "both" };

const char *gc_phase_name(uint8_t phases)
{
	return phases < sizeof phase_names / sizeof phase_names[0] && phase_names[phases] ?
	       phase_names[phases] : "?";
}

int gc_phase_parse(const char *name, uint8_t *phases)
{
	for (uint8_t p = 0; p < sizeof phase_names / sizeof phase_names[0]; p++)
		if (phase_names[p] && !strcmp(name, phase_names[p])) {
			*phases = p;
			return 0;
		}
	return xlat_fail(-EINVAL, "unknown phase '%s' (mark, sweep or both)", name);
}

void gc_config_init(struct gc_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	machine_config_init(&cfg->machine);
	cfg->machine.mode = MACHINE_NESTED;
	if (xlat_workload_init(&cfg->heap, "gc"))
		XLAT_BUG("the gc workload is not registered");
	cfg->phases = XLAT_GC_SWEEP;
}

uint64_t gc_footprint(const struct gc_config *cfg, const struct xlat_gc_info *info)
{
	uint64_t page = cfg->machine.page_policy == OS_PAGE_1G ? XLAT_SIZE_1G :
			cfg->machine.page_policy == OS_PAGE_THP ? XLAT_SIZE_2M : XLAT_SIZE_4K;
	uint64_t bitmap = cfg->heap.marks == XLAT_GC_MARKS_HEADER ? 0 : cfg->heap.size / 64;
	uint64_t meta = info ? info->meta_bytes : 1;
	return xlat_align_up(cfg->heap.size, page) + xlat_align_up(bitmap, page) + xlat_align_up(meta, page);
}

/* 0, or -EINVAL with the message if the heap's regions do not fit the
 * guest RAM. */
static int check_fit(const struct gc_config *cfg, const struct xlat_gc_info *info)
{
	uint64_t need = gc_footprint(cfg, info);
	char h[32], n[32], g[32];
	if (need <= cfg->machine.guest_ram)
		return 0;
	gib(cfg->heap.size, h, sizeof h);
	gib(need, n, sizeof n);
	gib(cfg->machine.guest_ram, g, sizeof g);
	if (cfg->heap.size > cfg->machine.guest_ram)
		return xlat_fail(-EINVAL, "gc: a heap of %s is larger than the guest RAM (%s)", h, g);
	return xlat_fail(-EINVAL, "gc: a heap of %s needs %s with its mark bitmap and roots, "
			 "more than the guest RAM (%s)", h, n, g);
}

int gc_check(const struct gc_config *cfg)
{
	struct xlat_gc_info layout;
	if (strcmp(cfg->heap.name, "gc"))
		return xlat_fail(-EINVAL, "gc: the heap must be a gc workload, not %s", cfg->heap.name);
	if (!cfg->phases || cfg->phases & ~(XLAT_GC_MARK | XLAT_GC_SWEEP))
		return xlat_fail(-EINVAL, "gc: the pause is mark, sweep or both");
	if (!(cfg->extra_miss_cycles >= 0))
		return xlat_fail(-EINVAL, "gc: extra cycles per TLB miss must be positive");
	if (cfg->machine.mode == MACHINE_NATIVE && cfg->extra_miss_cycles > 0)
		return xlat_fail(-EINVAL, "gc: extra cycles per TLB miss are a virtualization penalty: "
				 "they need a nested or shadow run");
	int rc = xlat_workload_gc_layout(&cfg->heap, &layout);
	return rc ? rc : check_fit(cfg, NULL);
}

static void finish_machine(struct gc_machine_result *r, const struct cpu_preset *c)
{
	double hz = c->ghz * 1e9;
	r->pause = r->mark;
	counts_add(&r->pause, &r->sweep);
	r->translation_s = hz > 0 ? (double)r->pause.translation_cycles / hz : 0;
	r->pause_s = hz > 0 ? ((double)r->pause.accesses * c->base_cycles_per_access +
			       (double)r->pause.translation_cycles) / hz : 0;
	r->walk_cycles_per_miss = r->pause.tlb_misses ?
				  (double)r->pause.walk_cycles / (double)r->pause.tlb_misses : 0;
}

/* The records of one phase through every machine; the counters after it. */
static int run_phase(struct xlat_source *src, struct gc_machine *g, unsigned nm, uint64_t records,
		     struct xlat_access *buf, struct gc_counts *out[2], struct progress *pg)
{
	while (records) {
		size_t want = records < GC_BATCH ? (size_t)records : GC_BATCH;
		int64_t n = xlat_source_next(src, buf, want);
		if (n < 0)
			return (int)n;
		if (n == 0)
			XLAT_BUG("gc: the workload ended %llu records early", (unsigned long long)records);
		for (unsigned i = 0; i < nm; i++) {
			int rc = machine_feed(g[i].m, buf, (size_t)n);
			if (rc)
				return rc;
		}
		records -= (uint64_t)n;
		pg->done += (uint64_t)n;
		if (pg->cfg->progress && ++pg->batches % PROGRESS_EVERY == 0)
			pg->cfg->progress(pg->cfg->progress_ctx, pg->done, pg->total);
	}
	for (unsigned i = 0; i < nm; i++) {
		uint64_t lost = mmu_get_stats(machine_mmu(g[i].m))->unresolved;
		if (lost)
			return xlat_fail(-EINVAL, "gc: %llu accesses fell outside the process's address space "
					 "(is the heap's base too high?)", (unsigned long long)lost);
		boundary(&g[i], out[i]);
	}
	return 0;
}

int gc_run(const struct gc_config *cfg, struct gc_result *res)
{
	struct gc_machine m[2];
	struct machine_config mc[2];
	struct xlat_workload w = cfg->heap;
	struct xlat_source *src = NULL;
	struct xlat_access *buf = NULL;
	unsigned nm = 0;
	struct progress pg = { .cfg = cfg };
	int rc;

	memset(res, 0, sizeof *res);
	w.phases = (uint8_t)(XLAT_GC_FILL | cfg->phases);
	rc = gc_check(cfg);
	if (rc == 0)
		rc = xlat_workload_gc_info(&w, &res->heap);
	if (rc == 0)
		rc = check_fit(cfg, &res->heap);
	if (rc)
		return rc;

	res->virtualized = cfg->machine.mode != MACHINE_NATIVE;
	mc[0] = cfg->machine;
	mc[1] = cfg->machine;
	mc[1].mode = MACHINE_NATIVE;     /* the same heap, natively */
	machine_config_drop_inapplicable(&mc[1]);
	memset(m, 0, sizeof m);
	for (nm = 0; nm < (res->virtualized ? 2u : 1u); nm++) {
		rc = machine_create(&mc[nm], &m[nm].m);
		if (rc)
			goto out;
	}
	buf = malloc(GC_BATCH * sizeof *buf);
	if (!buf) {
		rc = xlat_fail(-ENOMEM, "gc: out of memory");
		goto out;
	}
	rc = xlat_workload_open(&src, &w);
	if (rc)
		goto out;

	struct gc_machine_result *mr[2] = { &res->run, &res->native };
	struct gc_counts *fill[2] = { &res->run.fill, &res->native.fill };
	struct gc_counts *mark[2] = { &res->run.mark, &res->native.mark };
	struct gc_counts *sweep[2] = { &res->run.sweep, &res->native.sweep };
	pg.total = res->heap.records[0] + (cfg->phases & XLAT_GC_MARK ? res->heap.records[1] : 0) +
		   (cfg->phases & XLAT_GC_SWEEP ? res->heap.records[2] : 0);
	rc = run_phase(src, m, nm, res->heap.records[0], buf, fill, &pg);
	if (rc == 0 && cfg->phases & XLAT_GC_MARK)
		rc = run_phase(src, m, nm, res->heap.records[1], buf, mark, &pg);
	if (rc == 0 && cfg->phases & XLAT_GC_SWEEP)
		rc = run_phase(src, m, nm, res->heap.records[2], buf, sweep, &pg);
	if (rc)
		goto out;
	if (cfg->progress)
		cfg->progress(cfg->progress_ctx, pg.total, pg.total);

	const struct cpu_preset *c = &cfg->machine.cpu;
	double hz = c->ghz * 1e9;
	for (unsigned i = 0; i < nm; i++) {
		mr[i]->mode = mc[i].mode;
		finish_machine(mr[i], c);
	}
	if (res->virtualized) {
		res->model_penalty_per_miss = res->run.walk_cycles_per_miss - res->native.walk_cycles_per_miss;
		res->model_added_pause_s = hz > 0 ? ((double)res->run.pause.translation_cycles -
						     (double)res->native.pause.translation_cycles) / hz : 0;
		res->added_pause_s = res->model_added_pause_s;
		if (cfg->extra_miss_cycles > 0) {
			res->extra_added_pause_s = hz > 0 ? (double)res->run.pause.tlb_misses *
							    cfg->extra_miss_cycles / hz : 0;
			res->added_pause_s = res->extra_added_pause_s;
		}
	}
out:
	xlat_source_close(src);
	free(buf);
	while (nm--)
		machine_destroy(m[nm].m);
	return rc;
}
