/*
 * A run's results as keys (xlat/machine.h: machine_result_foreach): every
 * counter and every derived figure, in report order, with the names that
 * `xlat sim --json`, `--csv` and the sweeps print. The command formats; it
 * computes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "xlat/machine.h"

uint64_t machine_translation_cycles(const struct machine_result *r)
{
	return r->mmu.tlb_cycles + r->mmu.walk_cycles;
}

uint64_t machine_fault_exit_cycles(const struct machine_result *r)
{
	return r->mmu.fault_cycles + r->mmu.exit_cycles;
}

uint64_t machine_total_cycles(const struct machine_result *r)
{
	return machine_translation_cycles(r) + machine_fault_exit_cycles(r);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* The emitter: one section at a time, stopping at the first non-zero. */
struct emit {
	machine_value_fn fn;
	void *ctx;
	const char *section;
	int rc;
};

static void put(struct emit *e, struct machine_value v)
{
	if (e->rc)
		return;
	v.section = e->section;
	e->rc = e->fn(e->ctx, &v);
}

static void count(struct emit *e, const char *key, uint64_t n, const char *label)
{
	put(e, (struct machine_value){ .key = key, .label = label, .kind = MV_COUNT, .count = n });
}

static void fraction(struct emit *e, const char *key, double x, const char *label)
{
	put(e, (struct machine_value){ .key = key, .label = label, .kind = MV_RATIO, .ratio = x });
}

static void text(struct emit *e, const char *key, const char *s, const char *label)
{
	put(e, (struct machine_value){ .key = key, .label = label, .kind = MV_TEXT, .text = s });
}

static void hist(struct emit *e, const char *key, const uint64_t *h, enum machine_value_kind k,
		 const char *label)
{
	put(e, (struct machine_value){ .key = key, .label = label, .kind = k, .hist = h });
}

static const char *const policy_names[] = { "4k", "thp", "1g" };
static const char *const side_name[2] = { "data", "fetch" };
static const char *const size_name[3] = { "4k", "2m", "1g" };

static void machine_part(struct emit *e, const struct machine_result *r)
{
	bool native = r->mode == MACHINE_NATIVE;

	e->section = "machine";
	text(e, "mode", machine_mode_name(r->mode), "mode");
	text(e, "cpu", r->cpu, "cpu preset");
	text(e, "page_policy", policy_names[r->page_policy], native ? "page policy" : "guest page policy");
	if (r->mode == MACHINE_NESTED || r->mode == MACHINE_SHADOW)
		text(e, "host_page_policy", policy_names[r->host_page_policy], "host page policy");
	count(e, "levels", r->levels, native ? "paging levels" : "guest paging levels");
	if (!native)
		count(e, "host_levels", r->host_levels, "host table levels");
	if (native)
		count(e, "host_ram", r->host_ram, "simulated RAM (bytes)");
	else
		count(e, "guest_ram", r->guest_ram, "guest RAM (bytes)");
	if (r->mode == MACHINE_SECURE)
		text(e, "tee", tee_model_name(r->tee_model), "confidential-computing model");
}

static void tlb_part(struct emit *e, const struct machine_result *r)
{
	const struct mmu_stats *m = &r->mmu;
	char key[64], label[96];

	e->section = "accesses";
	count(e, "accesses", m->accesses, "accesses");
	count(e, "pages", m->pages, "page lookups (after splitting)");
	count(e, "reads", m->by_kind[XLAT_READ], "  reads");
	count(e, "writes", m->by_kind[XLAT_WRITE], "  writes");
	count(e, "fetches", m->by_kind[XLAT_FETCH], "  fetches");
	count(e, "events", m->events, "map/unmap/protect/switch events");

	e->section = "TLBs";
	for (unsigned s = 0; s < 2; s++)
		for (unsigned l = 0; l < r->tlb_levels[s]; l++) {
			snprintf(key, sizeof key, "tlb_%s_l%u_hits", side_name[s], l + 1);
			snprintf(label, sizeof label, "%s L%u hits%s", side_name[s], l + 1,
				 s == 1 && l >= r->shared_from && l < r->tlb_levels[0] ?
				 " (in the shared level)" : "");
			count(e, key, m->tlb_hits[s][l], label);
			for (unsigned z = 0; z < 3; z++) {
				if (!m->tlb_hits_by_size[s][l][z])
					continue;
				snprintf(key, sizeof key, "tlb_%s_l%u_hits_%s", side_name[s], l + 1, size_name[z]);
				snprintf(label, sizeof label, "  on %s pages", size_name[z]);
				count(e, key, m->tlb_hits_by_size[s][l][z], label);
			}
		}
	count(e, "tlb_misses", m->tlb_misses, "TLB misses (all levels)");
	count(e, "tlb_misses_data", m->tlb_misses_side[0], "  data side");
	count(e, "tlb_misses_fetch", m->tlb_misses_side[1], "  fetch side");
	fraction(e, "miss_rate", ratio(m->tlb_misses, m->pages), "misses per page lookup");
}

/* One cause of walks: how many, their references, (for misses) references
 * per walk, and the histogram. */
static void walk_cause(struct emit *e, const char *k_walks, const char *k_refs, const char *k_per,
		       const char *k_hist, const char *what, const struct mmu_walk_counts *w)
{
	count(e, k_walks, w->walks, what);
	count(e, k_refs, w->refs, "  references");
	if (k_per)
		fraction(e, k_per, ratio(w->refs, w->walks), "  references per walk");
	hist(e, k_hist, w->hist, MV_HIST, "  by references read");
}

static void walk_part(struct emit *e, const struct machine_result *r)
{
	const struct mmu_stats *m = &r->mmu;
	static const char *const where[] = { "l1d", "l2", "llc", "mem" };
	char key[64], label[96];

	e->section = "walks (references: entries read; a histogram is walks by references read)";
	walk_cause(e, "walks", "walk_refs", "refs_per_walk", "refs_hist", "walks after TLB misses",
		   &m->by_cause[MMU_WALK_MISS]);
	walk_cause(e, "fault_retry_walks", "fault_retry_refs", NULL, "fault_retry_hist",
		   "walks retried after a fault", &m->by_cause[MMU_WALK_FAULT_RETRY]);
	walk_cause(e, "dirty_walks", "dirty_walk_refs", NULL, "dirty_walk_hist",
		   "walks to set a dirty bit", &m->by_cause[MMU_WALK_DIRTY]);
	walk_cause(e, "perm_walks", "perm_walk_refs", NULL, "perm_walk_hist",
		   "walks after a permission refusal", &m->by_cause[MMU_WALK_PERM]);
	hist(e, "walk_start", m->walk_start, MV_LEVELS, "all walks by first level read");
	for (unsigned w = 0; w <= PCACHE_LEVELS; w++) {
		snprintf(key, sizeof key, "refs_from_%s", where[w]);
		snprintf(label, sizeof label, "  references served by %s", where[w]);
		count(e, key, m->ref_where[w], label);
	}
}

/* With cache.data: where the accesses' own lines were (they compete with
 * the page-table lines above; fetches start at the L2). */
static void line_part(struct emit *e, const struct machine_result *r)
{
	static const char *const where[] = { "l1d", "l2", "llc", "mem" };
	char key[64], label[96];

	if (!r->cache_data)
		return;
	e->section = "the accesses' own lines in the cache model (cache.data=1)";
	for (unsigned w = 0; w <= PCACHE_LEVELS; w++) {
		snprintf(key, sizeof key, "data_from_%s", where[w]);
		snprintf(label, sizeof label, "data lines served by %s", where[w]);
		count(e, key, r->mmu.line_where[0][w], label);
	}
	if (!r->tlb_levels[1])
		return;
	for (unsigned w = 1; w <= PCACHE_LEVELS; w++) {
		snprintf(key, sizeof key, "fetch_from_%s", where[w]);
		snprintf(label, sizeof label, "fetched lines served by %s (no L1I)", where[w]);
		count(e, key, r->mmu.line_where[1][w], label);
	}
}

static void fault_part(struct emit *e, const struct machine_result *r)
{
	const struct mmu_stats *m = &r->mmu;
	bool native = r->mode == MACHINE_NATIVE;
	char key[64], label[96];

	e->section = "faults and exits";
	count(e, "faults", m->faults, "faults taken by the walker");
	count(e, "os_faults", r->os.faults, native ? "demand faults (OS)" : "demand faults (guest OS)");
	count(e, "pages_4k", r->os.mapped[0], "  4K pages mapped");
	count(e, "pages_2m", r->os.mapped[1], "  2M pages mapped");
	count(e, "pages_1g", r->os.mapped[2], "  1G pages mapped");
	count(e, "unresolved", m->unresolved, "accesses dropped (segfaults)");
	if (native)
		return;
	count(e, "exits", m->exits, "VM exits");
	if (r->mode == MACHINE_SECURE) {
		const struct tee_stats *t = &r->tee;
		count(e, "cvm_exits", r->cvm.exits, "  host-dimension faults to the hypervisor");
		count(e, "cvm_backed", r->cvm.backed, "pages the hypervisor backed");
		count(e, "cvm_accepts", r->cvm.accepts, "pages the guest validated or accepted");
		count(e, "cvm_dropped", r->cvm.dropped, "accesses no one could resolve");
		count(e, "tee_checks", t->checks, "monitor checks");
		count(e, "tee_check_refs", t->check_refs, "  their structure reads (RMP / GPT entries)");
		count(e, "tee_integrity_faults", t->integrity_faults, "integrity faults (a remap, swap or replay caught)");
		count(e, "tee_gpt_cache_hits", t->gpt_cache_hits, "GPT cache hits");
		count(e, "tee_gpt_cache_misses", t->gpt_cache_misses, "GPT cache misses");
		return;
	}
	for (unsigned x = 0; x < VM_EXIT_COUNT; x++) {
		snprintf(key, sizeof key, "exits_%s", vm_exit_name((enum vm_exit)x));
		snprintf(label, sizeof label, "  %s", vm_exit_name((enum vm_exit)x));
		count(e, key, r->vm.exits[x], label);
	}
	if (r->mode == MACHINE_SHADOW) {
		count(e, "injected_pf", r->vm.injected_pf, "guest #PF injected");
		count(e, "shadow_fills", r->vm.shadow_fills, "shadow entries filled");
		count(e, "shadow_zaps", r->vm.shadow_zaps, "shadow entries zapped");
		count(e, "resyncs", r->vm.resyncs, "unsync pages resynced");
	}
}

static void table_part(struct emit *e, const struct machine_result *r)
{
	bool native = r->mode == MACHINE_NATIVE;

	e->section = "page tables (at the end of the run)";
	count(e, "table_pages", r->tables.total_pages, native ? "table pages" : "guest table pages");
	count(e, "table_bytes", r->tables.table_bytes, native ? "table bytes" : "guest table bytes");
	if (native)
		return;
	count(e, "gpa_map_bytes", r->gpa_map.table_bytes,
	      r->mode == MACHINE_NESTED ? "EPT bytes" : r->mode == MACHINE_SHADOW ? "memslot table bytes" :
	      "host-dimension table bytes");
	if (r->mode == MACHINE_SHADOW)
		count(e, "shadow_bytes", r->shadow.table_bytes, "shadow table bytes");
	if (r->mode == MACHINE_SECURE && r->tee_model == TEE_STAGE3)
		count(e, "monitor_stage_bytes", r->shadow.table_bytes, "monitor stage (HPA -> MPA) bytes");
}

static void cost_part(struct emit *e, const struct machine_result *r)
{
	const struct mmu_stats *m = &r->mmu;
	uint64_t xlat = machine_translation_cycles(r), fx = machine_fault_exit_cycles(r);
	uint64_t total = xlat + fx;
	double base = (double)m->pages * r->base_cycles_per_access;

	e->section = "cost (cycles, from the cost model below)";
	count(e, "translation_cycles", xlat, "translation cycles (TLB + walks)");
	count(e, "tlb_cycles", m->tlb_cycles, "  TLB hits beyond L1");
	count(e, "walk_cycles", m->walk_cycles, "  walks (every cause)");
	fraction(e, "cycles_per_access", ratio(xlat, m->accesses), "translation cycles per access");
	count(e, "fault_exit_cycles", fx, "fault and exit cycles");
	count(e, "fault_cycles", m->fault_cycles, "  faults (first touches, fills)");
	count(e, "exit_cycles", m->exit_cycles, "  VM exits");
	fraction(e, "fault_exit_cycles_per_access", ratio(fx, m->accesses), "fault and exit cycles per access");
	count(e, "total_cycles", total, "all cycles charged");
	fraction(e, "translation_share", base + (double)total > 0 ? (double)xlat / (base + (double)total) : 0,
		 "translation share of all cycles");
	fraction(e, "translation_seconds", r->ghz > 0 ? (double)xlat / (r->ghz * 1e9) : 0,
		 "translation seconds");
}

int machine_result_foreach(const struct machine_result *r, machine_value_fn fn, void *ctx)
{
	struct emit e = { fn, ctx, NULL, 0 };

	machine_part(&e, r);
	tlb_part(&e, r);
	walk_part(&e, r);
	line_part(&e, r);
	fault_part(&e, r);
	table_part(&e, r);
	cost_part(&e, r);
	return e.rc;
}
