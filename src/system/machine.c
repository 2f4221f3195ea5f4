/*
 * One simulated machine, run in steps (xlat/machine.h): host memory, an
 * MMU, and a native OS or a VM, wired as the configuration says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/machine.h"
#include "xlat/phys.h"

#define MACHINE_BATCH 4096
#define PROGRESS_EVERY 64      /* batches */
#define LOW_RESERVED (1ULL << 20)   /* firmware's first megabyte, as on a PC */

struct machine {
	struct machine_config cfg;
	struct phys *host;
	struct mmu *mmu;
	struct os *os;                 /* native runs */
	struct vm *vm;                 /* nested and shadow runs */
	struct xlat_access *buf;       /* MACHINE_BATCH records */
	machine_progress_fn progress;
	void *progress_ctx;
	uint64_t batches;
};

static struct os_config os_config_of(const struct machine_config *c)
{
	return (struct os_config){
		.fmt = fmt_x86((int)c->levels),
		.policy = c->page_policy,
		.fault_cycles = c->cpu.fault_cycles,
		.pcid = c->pcid,
	};
}

struct machine *machine_create(const struct machine_config *cfg)
{
	struct mmu_config mc;
	int rc;

	if (machine_config_check(cfg))
		return NULL;
	struct machine *m = calloc(1, sizeof *m);
	if (!m) {
		xlat_fail(-ENOMEM, "machine: out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->buf = malloc(MACHINE_BATCH * sizeof *m->buf);
	if (!m->buf) {
		xlat_fail(-ENOMEM, "machine: out of memory");
		goto fail;
	}
	m->host = phys_create(cfg->host_pa_bits, cfg->host_ram);
	if (!m->host)
		goto fail;
	if ((rc = phys_reserve(m->host, 0, LOW_RESERVED))) {
		xlat_fail(rc, "machine: cannot reserve the first megabyte of host RAM");
		goto fail;
	}
	memset(&mc, 0, sizeof mc);
	cpu_mmu_config(&cfg->cpu, &mc);
	mc.no_fetch = !cfg->fetch;
	m->mmu = mmu_create(&mc, m->host);
	if (!m->mmu)
		goto fail;

	struct os_config oc = os_config_of(cfg);
	if (cfg->mode == MACHINE_NATIVE) {
		m->os = os_create(m->host, &oc);
		if (!m->os)
			goto fail;
		os_attach(m->os, m->mmu);
		rc = os_switch(m->os, m->mmu, 0);
	} else {
		struct vm_config vc = {
			.mode = cfg->mode == MACHINE_NESTED ? HV_NESTED : HV_SHADOW,
			.ept_levels = cfg->host_levels,
			.host_policy = cfg->host_page_policy,
			.guest_ram = cfg->guest_ram,
			.guest_pa_bits = cfg->host_pa_bits,
			.vpid = 1,
			.ept_ad = cfg->ept_ad,
			.unsync = cfg->unsync,
			.exit_cycles = cfg->cpu.exit_cycles,
			.host_fault_cycles = cfg->cpu.fault_cycles,
			.guest = oc,
		};
		m->vm = vm_create(m->host, &vc);
		rc = m->vm ? vm_attach(m->vm, m->mmu) : -EINVAL;
	}
	if (rc == 0)
		return m;
fail:
	machine_destroy(m);
	return NULL;
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	vm_destroy(m->vm);
	os_destroy(m->os);
	mmu_destroy(m->mmu);
	phys_destroy(m->host);
	free(m->buf);
	free(m);
}

void machine_set_progress(struct machine *m, machine_progress_fn fn, void *ctx)
{
	m->progress = fn;
	m->progress_ctx = ctx;
}

int machine_feed(struct machine *m, const struct xlat_access *acc, size_t n)
{
	return mmu_run(m->mmu, acc, n);
}

int machine_run(struct machine *m, struct xlat_source *src, uint64_t max, uint64_t *done)
{
	uint64_t n_done = 0, pdone, ptotal;
	int rc = 0;

	while (n_done < max) {
		uint64_t want = max - n_done < MACHINE_BATCH ? max - n_done : MACHINE_BATCH;
		int64_t n = xlat_source_next(src, m->buf, (size_t)want);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		rc = mmu_run(m->mmu, m->buf, (size_t)n);
		n_done += (uint64_t)n;
		if (rc)
			break;
		if (m->progress && ++m->batches % PROGRESS_EVERY == 0) {
			xlat_source_progress(src, &pdone, &ptotal);
			m->progress(m->progress_ctx, pdone, ptotal);
		}
	}
	if (m->progress && rc == 0) {
		xlat_source_progress(src, &pdone, &ptotal);
		m->progress(m->progress_ctx, pdone, ptotal);
	}
	if (done)
		*done = n_done;
	return rc;
}

void machine_reset_stats(struct machine *m)
{
	mmu_reset_stats(m->mmu);
	os_reset_stats(machine_os(m));
	if (m->vm)
		vm_reset_stats(m->vm);
}

void machine_flush_tlbs(struct machine *m)
{
	mmu_flush_all(m->mmu);
}

int machine_event(struct machine *m, const struct xlat_access *ev)
{
	if (!xlat_is_event(ev->kind))
		return xlat_fail(-EINVAL, "machine_event: kind %u is an access, not an event", ev->kind);
	return mmu_run(m->mmu, ev, 1);
}

const struct machine_config *machine_get_config(const struct machine *m)
{
	return &m->cfg;
}

struct mmu *machine_mmu(struct machine *m)
{
	return m->mmu;
}

struct os *machine_os(struct machine *m)
{
	return m->vm ? vm_guest(m->vm) : m->os;
}

struct vm *machine_vm(struct machine *m)
{
	return m->vm;
}

struct phys *machine_host(struct machine *m)
{
	return m->host;
}

void machine_collect(const struct machine *m, struct machine_result *r)
{
	const struct mmu_config *mc = mmu_get_config(m->mmu);
	const struct pcache_stats *cs = mmu_cache_stats(m->mmu);
	struct phys_stats ps;

	memset(r, 0, sizeof *r);
	r->mode = m->cfg.mode;
	r->mmu = *mmu_get_stats(m->mmu);
	if (cs)
		r->cache = *cs;
	r->translation_cycles = mmu_translation_cycles(m->mmu);
	r->base_cycles = (double)r->mmu.pages * mc->costs.base_cycles_per_access;
	r->ghz = mc->costs.ghz;
	r->tlb_levels[0] = mc->ndtlb;
	r->tlb_levels[1] = mc->no_fetch ? 0 : mc->nitlb;
	phys_get_stats(m->host, &ps);
	r->sim_host_bytes = ps.host_bytes;
	if (m->vm) {
		r->os = *os_get_stats(vm_guest(m->vm));
		r->vm = *vm_get_stats(m->vm);
		vm_table_stats(m->vm, &r->tables, &r->gpa_map, &r->shadow);
	} else {
		r->os = *os_get_stats(m->os);
		os_table_stats(m->os, &r->tables);
	}
}
