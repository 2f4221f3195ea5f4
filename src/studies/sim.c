/*
 * `xlat sim` as a library call: wire an input, an MMU, an OS and (for
 * nested / shadow) a VM together, run every record, collect the counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	cfg->pcid = true;
	cfg->ept_ad = false;
	cfg->unsync = true;
}

static int run_source(struct mmu *m, struct xlat_source *src, const struct sim_config *cfg)
{
	struct xlat_access *buf = malloc(SIM_BATCH * sizeof *buf);
	uint64_t batches = 0, done, total;
	int64_t n;
	int rc = 0;

	if (!buf)
		return xlat_fail(-ENOMEM, "sim: out of memory");
	while ((n = xlat_source_next(src, buf, SIM_BATCH)) > 0) {
		rc = mmu_run(m, buf, (size_t)n);
		if (rc)
			break;
		if (cfg->progress && ++batches % PROGRESS_EVERY == 0) {
			xlat_source_progress(src, &done, &total);
			cfg->progress(cfg->progress_ctx, done, total);
		}
	}
	if (n < 0)
		rc = (int)n;
	if (cfg->progress && rc == 0) {
		xlat_source_progress(src, &done, &total);
		cfg->progress(cfg->progress_ctx, total ? total : done, total ? total : done);
	}
	free(buf);
	return rc;
}

static void finish(struct sim_result *res, struct mmu *m, const struct sim_config *cfg,
		   struct phys *host)
{
	const struct mmu_costs *c = &cfg->mmu.costs;
	const struct pcache_stats *cs = mmu_cache_stats(m);
	struct phys_stats ps;

	res->mmu = *mmu_get_stats(m);
	if (cs)
		res->cache = *cs;
	res->translation_cycles = mmu_translation_cycles(m);
	res->base_cycles = (double)res->mmu.pages * c->base_cycles_per_access;
	double all = res->base_cycles + (double)res->translation_cycles;
	res->translation_share = all > 0 ? (double)res->translation_cycles / all : 0;
	res->seconds = c->ghz > 0 ? (double)res->translation_cycles / (c->ghz * 1e9) : 0;
	phys_get_stats(host, &ps);
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
	mc->host = phys_create(cfg->host_pa_bits, 0);
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
	rc = run_source(mc.mmu, src, cfg);
	if (rc == 0) {
		finish(res, mc.mmu, cfg, mc.host);
		res->os = *os_get_stats(sim_machine_os(&mc));
		if (mc.vm) {
			res->vm = *vm_get_stats(mc.vm);
			vm_table_stats(mc.vm, &res->tables, &res->gpa_map, &res->shadow);
		} else {
			os_table_stats(mc.os, &res->tables);
		}
	}
	sim_machine_halt(&mc);
	return rc;
}
