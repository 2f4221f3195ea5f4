/*
 * One simulated machine, run in steps (xlat/machine.h): host memory, an
 * MMU, and a native OS or a VM, wired as the configuration says.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/machine.h"
#include "xlat/parse.h"
#include "xlat/phys.h"

#define MACHINE_BATCH 4096
#define PROGRESS_EVERY 64      /* batches */
#define LOW_RESERVED (1ULL << 20)   /* firmware's first megabyte, as on a PC */

/* Every counter a result carries, taken at one moment: results are the
 * difference between now and the last machine_reset_stats. */
struct machine_counters {
	struct mmu_stats mmu;
	struct pcache_stats cache;
	struct os_stats os;
	struct vm_stats vm;
	struct tee_stats tee;
	struct tee_cvm_stats cvm;
};

struct machine {
	struct machine_config cfg;
	struct phys *host;
	struct mmu *mmu;
	struct os *os;                 /* native runs */
	struct vm *vm;                 /* nested and shadow runs */
	struct tee *tee;               /* secure runs: the monitor (its machine memory is the bottom) */
	struct tee_cvm *cvm;           /*   and the confidential VM */
	struct xlat_access *buf;       /* MACHINE_BATCH records */
	machine_progress_fn progress;
	void *progress_ctx;
	uint64_t batches;
	uint64_t records;              /* consumed since create */
	struct machine_counters base;  /* at the last machine_reset_stats */
};

/* Why a constructor that returns NULL failed (its xlat_fail's code; a
 * failure that recorded none is taken as out of memory). */
static int why_null(void)
{
	int e = xlat_error_code();
	return e < 0 ? e : xlat_fail(-ENOMEM, "machine: out of memory");
}

static struct os_config os_config_of(const struct machine_config *c)
{
	return (struct os_config){
		.fmt = fmt_x86((int)c->levels),
		.policy = c->page_policy,
		.pcid = c->pcid,
	};
}

/* The row of fault costs for the OS that takes the faults: a guest's under
 * nested paging and in a confidential VM (its faults run in the guest, the
 * hypervisor's part is charged apart), under shadow paging, or native. */
static enum mmu_fault_mode fault_mode_of(enum machine_mode mode)
{
	switch (mode) {
	case MACHINE_NESTED:
	case MACHINE_SECURE:
		return MMU_FAULTS_NESTED;
	case MACHINE_SHADOW:
		return MMU_FAULTS_SHADOW;
	case MACHINE_NATIVE:
		break;
	}
	return MMU_FAULTS_NATIVE;
}

int machine_create(const struct machine_config *cfg, struct machine **out)
{
	struct mmu_config mc;
	int rc;

	if ((rc = machine_config_check(cfg)))
		return rc;
	struct machine *m = calloc(1, sizeof *m);
	if (!m)
		return xlat_fail(-ENOMEM, "machine: out of memory");
	m->cfg = *cfg;
	m->buf = malloc(MACHINE_BATCH * sizeof *m->buf);
	if (!m->buf) {
		rc = xlat_fail(-ENOMEM, "machine: out of memory");
		goto fail;
	}
	/* The bottom space: host memory (a native machine has host_ram; a
	 * VM's host is bounded by what backing guest_ram takes), or under a
	 * secure monitor the machine memory it owns. */
	struct phys *bottom;
	if (cfg->mode == MACHINE_SECURE) {
		struct tee_config tc;
		tee_config_init(&tc, cfg->tee);
		tc.pa_bits = cfg->host_pa_bits;
		tc.host_levels = cfg->host_levels;
		tc.monitor_levels = cfg->monitor_levels;
		if (!(m->tee = tee_create(&tc))) {
			rc = why_null();
			goto fail;
		}
		bottom = tee_machine(m->tee);
	} else {
		m->host = phys_create(cfg->host_pa_bits, cfg->mode == MACHINE_NATIVE ? cfg->host_ram : 0);
		if (!m->host) {
			rc = why_null();
			goto fail;
		}
		if ((rc = phys_reserve(m->host, 0, LOW_RESERVED))) {
			rc = xlat_fail(rc, "machine: cannot reserve the first megabyte of host RAM");
			goto fail;
		}
		bottom = m->host;
	}
	memset(&mc, 0, sizeof mc);
	cpu_mmu_config(&cfg->cpu, &mc);
	mc.no_fetch = !cfg->fetch;
	mc.costs.fault_mode = fault_mode_of(cfg->mode);
	if ((rc = mmu_new(&mc, bottom, &m->mmu)))
		goto fail;

	struct os_config oc = os_config_of(cfg);
	if (cfg->mode == MACHINE_SECURE) {
		struct tee_cvm_config cc = {
			.guest_ram = cfg->guest_ram,
			.guest_pa_bits = cfg->host_pa_bits < 51 ? cfg->host_pa_bits : 51,
			.vpid = 1,
			.guest = oc,
		};
		m->cvm = tee_cvm_create(m->tee, &cc);
		rc = m->cvm ? tee_cvm_attach(m->cvm, m->mmu) : why_null();
	} else if (cfg->mode == MACHINE_NATIVE) {
		m->os = os_create(m->host, &oc);
		if (!m->os) {
			rc = why_null();
			goto fail;
		}
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
			.guest = oc,
		};
		m->vm = vm_create(m->host, &vc);
		rc = m->vm ? vm_attach(m->vm, m->mmu) : why_null();
	}
	if (rc == 0) {
		*out = m;
		return 0;
	}
fail:
	machine_destroy(m);
	return rc;
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	vm_destroy(m->vm);
	tee_cvm_destroy(m->cvm);
	os_destroy(m->os);
	mmu_destroy(m->mmu);
	tee_destroy(m->tee);
	phys_destroy(m->host);
	free(m->buf);
	free(m);
}

void machine_set_progress(struct machine *m, machine_progress_fn fn, void *ctx)
{
	m->progress = fn;
	m->progress_ctx = ctx;
}

static void take_counters(const struct machine *m, struct machine_counters *c)
{
	const struct pcache_stats *cs = mmu_cache_stats(m->mmu);

	memset(c, 0, sizeof *c);
	c->mmu = *mmu_get_stats(m->mmu);
	if (cs)
		c->cache = *cs;
	c->os = *os_get_stats(machine_os((struct machine *)m));
	if (m->vm)
		c->vm = *vm_get_stats(m->vm);
	if (m->tee) {
		c->tee = *tee_get_stats(m->tee);
		c->cvm = *tee_cvm_get_stats(m->cvm);
	}
}

/* a -= b over a struct made only of uint64_t counters. */
static void sub_u64(void *a, const void *b, size_t bytes)
{
	uint64_t *x = a;
	const uint64_t *y = b;
	for (size_t i = 0; i < bytes / sizeof *x; i++)
		x[i] -= y[i];
}

_Static_assert(sizeof(struct mmu_stats) % sizeof(uint64_t) == 0, "mmu_stats: counters only");
_Static_assert(sizeof(struct pcache_stats) % sizeof(uint64_t) == 0, "pcache_stats: counters only");
_Static_assert(sizeof(struct os_stats) % sizeof(uint64_t) == 0, "os_stats: counters only");
_Static_assert(sizeof(struct vm_stats) % sizeof(uint64_t) == 0, "vm_stats: counters only");
_Static_assert(sizeof(struct tee_stats) % sizeof(uint64_t) == 0, "tee_stats: counters only");
_Static_assert(sizeof(struct tee_cvm_stats) % sizeof(uint64_t) == 0, "tee_cvm_stats: counters only");

static void sub_counters(struct machine_counters *now, const struct machine_counters *base)
{
	uint64_t protected_now = now->vm.protected_pages;   /* a level, not a count */

	sub_u64(&now->mmu, &base->mmu, sizeof now->mmu);
	sub_u64(&now->cache, &base->cache, sizeof now->cache);
	sub_u64(&now->os, &base->os, sizeof now->os);
	sub_u64(&now->vm, &base->vm, sizeof now->vm);
	sub_u64(&now->tee, &base->tee, sizeof now->tee);
	sub_u64(&now->cvm, &base->cvm, sizeof now->cvm);
	now->vm.protected_pages = protected_now;
}

void machine_reset_stats(struct machine *m)
{
	take_counters(m, &m->base);
}

/* Is this simulated RAM full? A failed allocation leaves fewer free frames
 * than one fault needs (a page and a table per level). */
static bool ram_full(struct phys *space)
{
	struct phys_stats ps;
	phys_get_stats(space, &ps);
	uint64_t used = ps.allocated_frames + ps.reserved_frames;
	return used + 2 * XLAT_MAX_LEVELS + 1 >= ps.ram_frames;
}

/* Turns an -ENOMEM of a batch into one line that says which RAM is full
 * and which key sizes it. first, n: the batch's records (1-based). */
static int explain_enomem(struct machine *m, uint64_t first, uint64_t n)
{
	char size[48], where[64];

	/* mmu_run stops inside its batch without saying where. */
	snprintf(where, sizeof where, "records %" PRIu64 "-%" PRIu64, first, first + n - 1);
	if (m->vm && ram_full(vm_gpa_space(m->vm))) {
		xlat_parse_size_str(m->cfg.guest_ram, size, sizeof size);
		return xlat_fail(-ENOMEM, "guest RAM is full: all %s (guest_ram, --guest-ram) in use while "
				 "running %s; give the guest more", size, where);
	}
	if (!m->vm && ram_full(m->host)) {
		xlat_parse_size_str(m->cfg.host_ram, size, sizeof size);
		return xlat_fail(-ENOMEM, "simulated RAM is full: all %s (host_ram, --host-ram) in use while "
				 "running %s; give the machine more", size, where);
	}
	return xlat_fail(-ENOMEM, "out of memory while running %s: %s", where, xlat_error());
}

static int feed(struct machine *m, const struct xlat_access *acc, size_t n)
{
	int rc = mmu_run(m->mmu, acc, n);
	if (rc == -ENOMEM)
		rc = explain_enomem(m, m->records + 1, n);
	m->records += n;
	return rc;
}

int machine_feed(struct machine *m, const struct xlat_access *acc, size_t n)
{
	return feed(m, acc, n);
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
		rc = feed(m, m->buf, (size_t)n);
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
	return m->vm ? vm_guest(m->vm) : m->cvm ? tee_cvm_guest(m->cvm) : m->os;
}

struct tee *machine_tee(struct machine *m)
{
	return m->tee;
}

struct tee_cvm *machine_cvm(struct machine *m)
{
	return m->cvm;
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
	struct machine_counters now;
	struct phys_stats ps;

	memset(r, 0, sizeof *r);
	r->mode = m->cfg.mode;
	r->cpu = m->cfg.cpu.name;
	r->page_policy = m->cfg.page_policy;
	r->host_page_policy = m->cfg.host_page_policy;
	r->levels = m->cfg.levels;
	r->host_levels = m->cfg.host_levels;
	r->host_ram = m->cfg.host_ram;
	r->guest_ram = m->cfg.guest_ram;
	r->shared_from = mc->shared_from;
	r->cache_data = mc->cache_data && mc->cache_enabled;
	take_counters(m, &now);
	sub_counters(&now, &m->base);
	r->mmu = now.mmu;
	r->cache = now.cache;
	r->os = now.os;
	r->vm = now.vm;
	r->tee = now.tee;
	r->cvm = now.cvm;
	r->tee_model = m->cfg.tee;
	r->base_cycles_per_access = mc->costs.base_cycles_per_access;
	r->ghz = mc->costs.ghz;
	r->tlb_levels[0] = mc->ndtlb;
	r->tlb_levels[1] = mc->nitlb;   /* listed with fetch=0 too: their hits are then 0 */
	phys_get_stats(m->host ? m->host : tee_machine(m->tee), &ps);
	r->sim_host_bytes = ps.host_bytes;
	if (m->vm) {
		vm_table_stats(m->vm, &r->tables, &r->gpa_map, &r->shadow);
	} else if (m->cvm) {
		struct tee_vm *v = tee_cvm_vm(m->cvm);
		os_table_stats(tee_cvm_guest(m->cvm), &r->tables);
		pt_get_stats(tee_vm_host_table(v), &r->gpa_map);
		if (tee_vm_stage3(v))
			pt_get_stats(tee_vm_stage3(v), &r->shadow);
	} else {
		os_table_stats(m->os, &r->tables);
	}
}

/* ---- dirty logging between steps ------------------------------------------ */

int machine_dirty_log_start(struct machine *m, const struct dirty_config *cfg)
{
	struct dirty_log *d;
	int rc;

	if (!m->vm)
		return xlat_fail(-EINVAL, "dirty logging needs a VM whose hypervisor tracks its memory (mode nested "
				 "or shadow, not %s)", machine_mode_name(m->cfg.mode));
	if ((rc = dirty_log_create(m->vm, cfg, &d)))
		return rc;
	if ((rc = dirty_log_enable(d, 0, m->cfg.guest_ram))) {
		dirty_log_destroy(d);
		return rc;
	}
	return 0;
}

int64_t machine_dirty_log_sync(struct machine *m, uint64_t *bitmap)
{
	struct dirty_log *d = machine_dirty_log(m);

	if (!d)
		return xlat_fail(-EINVAL, "machine_dirty_log_sync: no dirty log is on");
	return dirty_log_sync(d, 0, m->cfg.guest_ram, bitmap);
}

void machine_dirty_log_stop(struct machine *m)
{
	dirty_log_destroy(machine_dirty_log(m));
}

struct dirty_log *machine_dirty_log(struct machine *m)
{
	return m->vm ? dirty_log_of(m->vm) : NULL;
}
