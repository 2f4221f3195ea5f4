/*
 * `xlat sim` as a library call: wire an input, an MMU, an OS and (for
 * nested / shadow) a VM together, run every record, collect the counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlat/parse.h"
#include "xlat/phys.h"
#include "xlat/sim.h"

#define SIM_BATCH 4096
#define PROGRESS_EVERY 64      /* batches */

static const char *const mode_names[] = { "native", "nested", "shadow" };
static const char *const policy_names[] = { "4k", "thp", "1g" };

const char *sim_mode_name(enum sim_mode m)
{
	return m <= SIM_SHADOW ? mode_names[m] : "?";
}

int sim_mode_parse(const char *name, enum sim_mode *m)
{
	for (unsigned i = 0; i <= SIM_SHADOW; i++)
		if (!strcasecmp(name, mode_names[i])) {
			*m = (enum sim_mode)i;
			return 0;
		}
	return xlat_fail(-EINVAL, "unknown mode '%s' (native, nested or shadow)", name);
}

const char *sim_policy_name(enum os_page_policy p)
{
	return p <= OS_PAGE_1G ? policy_names[p] : "?";
}

int sim_policy_parse(const char *name, enum os_page_policy *p)
{
	if (!strcasecmp(name, "4k"))
		*p = OS_PAGE_4K;
	else if (!strcasecmp(name, "thp") || !strcasecmp(name, "2m"))
		*p = OS_PAGE_THP;
	else if (!strcasecmp(name, "1g"))
		*p = OS_PAGE_1G;
	else
		return xlat_fail(-EINVAL, "unknown page policy '%s' (4k, thp or 1g)", name);
	return 0;
}

void sim_config_init(struct sim_config *cfg, const struct mmu_config *mmu)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->mode = SIM_NATIVE;
	cfg->mmu = *mmu;
	cfg->levels = 4;
	cfg->host_levels = 4;
	cfg->policy = OS_PAGE_4K;
	cfg->host_policy = OS_PAGE_4K;
	cfg->host_pa_bits = 46;
	cfg->guest_ram = 64ULL << 30;
	cfg->host_ram = SIM_DEFAULT_HOST_RAM;
	cfg->warmup = 0;
	cfg->limit = SIM_NO_LIMIT;
	cfg->pcid = true;
	cfg->ept_ad = false;
	cfg->unsync = true;
}

/* One RAM size: a multiple of 4 KiB, at least SIM_MIN_RAM, at most the
 * physical address space. */
static int check_ram(uint64_t bytes, const char *what, const char *opt, unsigned pa_bits)
{
	char b[48], lim[48];
	parse_size_str(bytes, b, sizeof b);
	if (!xlat_aligned(bytes, XLAT_PAGE_SIZE))
		return xlat_fail(-EINVAL, "%s (%s) of %" PRIu64 " bytes is not a multiple of 4 KiB",
				 what, opt, bytes);
	if (bytes < SIM_MIN_RAM) {
		parse_size_str(SIM_MIN_RAM, lim, sizeof lim);
		return xlat_fail(-EINVAL, "%s (%s) of %s is too small: at least %s (the first 1 MiB "
				 "is firmware's, as on a PC)", what, opt, b, lim);
	}
	if (pa_bits < 64 && bytes > (1ULL << pa_bits)) {
		parse_size_str(1ULL << pa_bits, lim, sizeof lim);
		return xlat_fail(-EINVAL, "%s (%s) of %s is too large: at most %s (%u-bit physical "
				 "addresses)", what, opt, b, lim, pa_bits);
	}
	return 0;
}

int sim_check_config(const struct sim_config *cfg)
{
	if (cfg->mode == SIM_NATIVE)
		return check_ram(cfg->host_ram, "simulated RAM", "--host-ram", cfg->host_pa_bits);
	return check_ram(cfg->guest_ram, "guest RAM", "--guest-ram", cfg->host_pa_bits);
}

/* Every counter the result carries, as taken at one moment: the end of
 * warm-up is subtracted from the end of the run. */
struct counters {
	struct mmu_stats mmu;
	struct pcache_stats cache;
	struct os_stats os;
	struct vm_stats vm;
};

static void take_counters(struct sim_machine *mc, struct counters *c)
{
	const struct pcache_stats *cs = mmu_cache_stats(mc->mmu);

	memset(c, 0, sizeof *c);
	c->mmu = *mmu_get_stats(mc->mmu);
	if (cs)
		c->cache = *cs;
	c->os = *os_get_stats(sim_machine_os(mc));
	if (mc->vm)
		c->vm = *vm_get_stats(mc->vm);
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

static void sub_counters(struct counters *end, const struct counters *warm)
{
	uint64_t protected_now = end->vm.protected_pages;   /* a level, not a count */

	sub_u64(&end->mmu, &warm->mmu, sizeof end->mmu);
	sub_u64(&end->cache, &warm->cache, sizeof end->cache);
	sub_u64(&end->os, &warm->os, sizeof end->os);
	sub_u64(&end->vm, &warm->vm, sizeof end->vm);
	end->vm.protected_pages = protected_now;
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

/* Turns an -ENOMEM of the run into one line that says which RAM is full
 * and which option sizes it. records: those run before the failing batch
 * of `batch` records. */
static int explain_enomem(struct sim_machine *mc, const struct sim_config *cfg, uint64_t records,
			  uint64_t batch)
{
	char size[48], n[64];
	/* mmu_run stops inside its batch without saying where. */
	snprintf(n, sizeof n, "records %" PRIu64 "-%" PRIu64, records + 1, records + batch);
	if (mc->vm && ram_full(vm_gpa_space(mc->vm))) {
		parse_size_str(cfg->guest_ram, size, sizeof size);
		return xlat_fail(-ENOMEM, "guest RAM is full: all %s (--guest-ram) in use while running "
				 "%s; give the guest more", size, n);
	}
	if (!mc->vm && ram_full(mc->host)) {
		parse_size_str(cfg->host_ram, size, sizeof size);
		return xlat_fail(-ENOMEM, "simulated RAM is full: all %s (--host-ram) in use while running "
				 "%s; give the machine more", size, n);
	}
	return xlat_fail(-ENOMEM, "out of memory while running %s: %s", n, xlat_error());
}

/* Runs warm-up then counted records; at the end of warm-up the counters
 * are taken into *warm (left zero without warm-up). */
static int run_source(struct sim_machine *mc, struct xlat_source *src, const struct sim_config *cfg,
		      struct sim_result *res, struct counters *warm)
{
	struct xlat_access *buf = malloc(SIM_BATCH * sizeof *buf);
	uint64_t batches = 0, done, total, records = 0;
	uint64_t end = cfg->limit > UINT64_MAX - cfg->warmup ? UINT64_MAX : cfg->warmup + cfg->limit;
	bool warmed = cfg->warmup == 0;
	int64_t n = 0;
	int rc = 0;

	memset(warm, 0, sizeof *warm);
	if (!buf)
		return xlat_fail(-ENOMEM, "sim: out of memory");
	while (records < end) {
		uint64_t stop = warmed ? end : cfg->warmup;
		size_t want = stop - records < SIM_BATCH ? (size_t)(stop - records) : SIM_BATCH;
		n = xlat_source_next(src, buf, want);
		if (n <= 0)
			break;
		rc = mmu_run(mc->mmu, buf, (size_t)n);
		if (rc)
			break;
		records += (uint64_t)n;
		if (!warmed && records == cfg->warmup) {
			take_counters(mc, warm);
			warmed = true;
		}
		if (cfg->progress && ++batches % PROGRESS_EVERY == 0) {
			xlat_source_progress(src, &done, &total);
			cfg->progress(cfg->progress_ctx, done, total);
		}
	}
	if (n < 0)
		rc = (int)n;
	if (rc == -ENOMEM)
		rc = explain_enomem(mc, cfg, records, n > 0 ? (uint64_t)n : 0);
	if (!warmed)   /* the input ended during warm-up: nothing counted */
		take_counters(mc, warm);
	res->warmup_records = records < cfg->warmup ? records : cfg->warmup;
	res->records = records - res->warmup_records;
	if (cfg->progress && rc == 0) {
		xlat_source_progress(src, &done, &total);
		cfg->progress(cfg->progress_ctx, total ? total : done, total ? total : done);
	}
	free(buf);
	return rc;
}

static void finish(struct sim_result *res, struct sim_machine *mc, const struct sim_config *cfg,
		   const struct counters *warm)
{
	const struct mmu_costs *c = &cfg->mmu.costs;
	struct counters now;
	struct phys_stats ps;

	take_counters(mc, &now);
	sub_counters(&now, warm);
	res->mmu = now.mmu;
	res->cache = now.cache;
	res->os = now.os;
	res->vm = now.vm;
	res->translation_cycles = res->mmu.tlb_cycles + res->mmu.walk_cycles;
	res->fault_exit_cycles = res->mmu.fault_cycles + res->mmu.exit_cycles;
	res->total_cycles = res->translation_cycles + res->fault_exit_cycles;
	res->base_cycles = (double)res->mmu.pages * c->base_cycles_per_access;
	double all = res->base_cycles + (double)res->total_cycles;
	res->translation_share = all > 0 ? (double)res->translation_cycles / all : 0;
	res->seconds = c->ghz > 0 ? (double)res->translation_cycles / (c->ghz * 1e9) : 0;
	phys_get_stats(mc->host, &ps);
	res->sim_host_bytes = ps.host_bytes;
}

int sim_machine_boot(struct sim_machine *mc, const struct sim_config *cfg)
{
	struct os_config oc = {
		.fmt = fmt_x86((int)cfg->levels),
		.policy = cfg->policy,
		.fault_cycles = cfg->mmu.costs.fault_cycles,
		.pcid = cfg->pcid,
	};
	int rc;

	memset(mc, 0, sizeof *mc);
	if (!oc.fmt)
		return xlat_fail(-EINVAL, "sim: paging has 4 or 5 levels, not %u", cfg->levels);
	if ((rc = sim_check_config(cfg)) != 0)
		return rc;
	/* A native machine has host_ram; a VM host is bounded by what backing
	 * guest_ram takes. */
	mc->host = phys_create(cfg->host_pa_bits, cfg->mode == SIM_NATIVE ? cfg->host_ram : 0);
	if (!mc->host)
		return -ENOMEM;
	phys_reserve(mc->host, 0, 1ULL << 20);   /* firmware's low memory, as on a PC */
	mc->mmu = mmu_create(&cfg->mmu, mc->host);
	if (!mc->mmu) {
		rc = -EINVAL;
		goto fail;
	}
	if (cfg->mode == SIM_NATIVE) {
		mc->os = os_create(mc->host, &oc);
		if (!mc->os) {
			rc = -ENOMEM;
			goto fail;
		}
		os_attach(mc->os, mc->mmu);
		rc = os_switch(mc->os, mc->mmu, 0);
	} else {
		struct vm_config vc = {
			.mode = cfg->mode == SIM_NESTED ? HV_NESTED : HV_SHADOW,
			.ept_levels = cfg->host_levels,
			.host_policy = cfg->host_policy,
			.guest_ram = cfg->guest_ram,
			.guest_pa_bits = cfg->host_pa_bits,
			.vpid = 1,
			.ept_ad = cfg->ept_ad,
			.unsync = cfg->unsync,
			.exit_cycles = cfg->mmu.costs.exit_cycles,
			.host_fault_cycles = cfg->mmu.costs.fault_cycles,
			.guest = oc,
		};
		mc->vm = vm_create(mc->host, &vc);
		rc = mc->vm ? vm_attach(mc->vm, mc->mmu) : -EINVAL;
	}
	if (rc == 0)
		return 0;
fail:
	sim_machine_halt(mc);
	return rc;
}

void sim_machine_halt(struct sim_machine *mc)
{
	vm_destroy(mc->vm);
	os_destroy(mc->os);
	mmu_destroy(mc->mmu);
	phys_destroy(mc->host);
	memset(mc, 0, sizeof *mc);
}

struct os *sim_machine_os(struct sim_machine *mc)
{
	return mc->vm ? vm_guest(mc->vm) : mc->os;
}

int sim_run(const struct sim_config *cfg, struct xlat_source *src, struct sim_result *res)
{
	struct sim_machine mc;
	int rc;

	memset(res, 0, sizeof *res);
	res->mode = cfg->mode;
	rc = sim_machine_boot(&mc, cfg);
	if (rc)
		return rc;
	struct counters warm;
	rc = run_source(&mc, src, cfg, res, &warm);
	if (rc == 0) {
		finish(res, &mc, cfg, &warm);
		if (mc.vm) {
			vm_table_stats(mc.vm, &res->tables, &res->gpa_map, &res->shadow);
		} else {
			os_table_stats(mc.os, &res->tables);
		}
	}
	sim_machine_halt(&mc);
	return rc;
}
