/*
 * One walk, reference by reference (xlat/explain.h). The tables are built by
 * the same OS and hypervisor code the simulator runs: the address is first
 * touched through an MMU (which demand-maps it in every dimension), then
 * walked once more with the walker, caches detached unless warm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/explain.h"
#include "xlat/phys.h"


void explain_config_init(struct explain_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->mode = SIM_NATIVE;
	cfg->levels = 4;
	cfg->host_levels = 4;
	cfg->guest_shift = 12;
	cfg->host_shift = 12;
	cfg->va = 0x7f1234567000ULL + 0x89aULL;
	cfg->kind = XLAT_READ;
	cfg->pwc.style = PWC_SPLIT;
	cfg->pwc.entries[2] = 32;
	cfg->pwc.entries[3] = 4;
	cfg->pwc.entries[4] = 2;
	cfg->pwc.entries[5] = 2;
	cfg->ntlb = (struct tlb_config){ "nested TLB", 1, { { 16, 0, TLB_LRU, TLB_ALL_SIZES } }, 1 };
}

static int policy_of(unsigned shift, enum os_page_policy *p, const char *what)
{
	static const enum os_page_policy by_psize[XLAT_NPSIZES] = {
		[XLAT_PSIZE_4K] = OS_PAGE_4K, [XLAT_PSIZE_2M] = OS_PAGE_THP, [XLAT_PSIZE_1G] = OS_PAGE_1G,
	};

	if (!xlat_page_shift_ok(shift))
		return xlat_fail(-EINVAL, "%s page must be 4k, 2m or 1g", what);
	*p = by_psize[xlat_shift_psize(shift)];
	return 0;
}

/* The steps from the references the walk recorded (at most cap). */
static int fill_result(struct explain_result *res, const struct walk_chain *c,
		       const struct walk_ref *refs, uint32_t cap)
{
	res->stages = c->n;
	for (unsigned s = 0; s < c->n; s++) {
		res->levels[s] = c->stage[s].fmt->levels;
		res->fmts[s] = c->stage[s].fmt;
		res->root[s] = c->stage[s].root;
	}
	res->nsteps = res->walk.refs < cap ? res->walk.refs : cap;
	res->steps = calloc(res->nsteps ? res->nsteps : 1, sizeof *res->steps);
	if (!res->steps)
		return xlat_fail(-ENOMEM, "explain: out of memory for %u steps", res->nsteps);
	for (unsigned i = 0; i < res->nsteps; i++) {
		struct explain_step *st = &res->steps[i];
		st->ref = refs[i];
		const struct walk_stage *stage = &c->stage[st->ref.stage];
		st->fmt = stage->fmt;
		fmt_describe(stage->fmt, st->ref.level, st->ref.entry, stage->maxphyaddr,
			     st->meaning, sizeof st->meaning);
	}
	res->stats = c->stats;
	return 0;
}

void explain_result_free(struct explain_result *res)
{
	free(res->steps);
	res->steps = NULL;
	res->nsteps = 0;
}

int explain_walk(const struct explain_config *cfg, struct explain_result *res)
{
	enum os_page_policy gp = OS_PAGE_4K, hp = OS_PAGE_4K;
	int rc;

	memset(res, 0, sizeof *res);
	if ((rc = policy_of(cfg->guest_shift, &gp, cfg->mode == SIM_NATIVE ? "the" : "the guest")) ||
	    (rc = policy_of(cfg->host_shift, &hp, "the host")))
		return rc;
	const struct xlat_format *gfmt = fmt_x86((int)cfg->levels);
	if (!gfmt || !fmt_ept((int)cfg->host_levels))
		return xlat_fail(-EINVAL, "levels must be 4 or 5 (got %u and %u)", cfg->levels, cfg->host_levels);
	if (!pt_valid_va(gfmt, cfg->va) || cfg->va >> (gfmt->va_bits - 1))
		return xlat_fail(-EINVAL, "%#llx is not a user address of %u-level paging",
				 (unsigned long long)cfg->va, cfg->levels);

	struct mmu_config mc;
	memset(&mc, 0, sizeof mc);
	mc.ndtlb = mc.nitlb = 1;
	mc.shared_from = MMU_MAX_TLB_LEVELS;
	mc.dtlb[0] = mc.itlb[0] = (struct tlb_config){ "L1", 1, { { 16, 0, TLB_LRU, TLB_ALL_SIZES } }, 1 };
	mc.pwc = cfg->pwc;
	mc.ntlb_enabled = true;
	mc.ntlb = cfg->ntlb;
	struct sim_config sc;
	sim_config_init(&sc, &mc);
	sc.mode = cfg->mode;
	sc.levels = cfg->levels;
	sc.host_levels = cfg->host_levels;
	sc.policy = gp;
	sc.host_policy = hp;
	sc.guest_ram = 16ULL << 30;
	sc.unsync = false;
	struct sim_machine box;
	rc = sim_machine_boot(&box, &sc);
	if (rc)
		return rc;
	struct mmu *m = box.mmu;
	struct walk_chain *c = NULL;
	struct walk_ref *refs = NULL;

	/* Touch: demand-maps the page in every dimension and warms the caches. */
	xlat_pa pa;
	rc = mmu_translate(m, cfg->va, cfg->kind, false, &pa);
	if (rc) {
		rc = rc > 0 ? xlat_fail(-EFAULT, "%#llx could not be mapped", (unsigned long long)cfg->va) : rc;
		goto out;
	}
	if (cfg->mode == SIM_NESTED) {
		struct pt_leaf leaf;
		if (pt_lookup(os_pt(sim_machine_os(&box)), cfg->va, &leaf) == 0)
			res->gpa = leaf.pa + (cfg->va - leaf.va);
	}

	/* A copy of the chain (about 9 KiB), walked without the mmu's caches
	 * unless warm. */
	c = malloc(sizeof *c);
	if (!c) {
		rc = xlat_fail(-ENOMEM, "explain: out of memory");
		goto out;
	}
	*c = *mmu_chain(m);
	if (!cfg->warm) {
		for (unsigned s = 0; s < c->n; s++)
			c->stage[s].pwc = NULL;
		c->ntlb = NULL;
	}
	memset(&c->stats, 0, sizeof c->stats);
	uint32_t cap = walk_chain_max_refs(c);
	refs = calloc(cap ? cap : 1, sizeof *refs);
	if (!refs) {
		rc = xlat_fail(-ENOMEM, "explain: out of memory for %u references", cap);
		goto out;
	}
	struct walk_req req = { .va = cfg->va, .kind = (uint8_t)cfg->kind };
	res->walk.refs_out = refs;
	res->walk.refs_cap = cap;
	rc = walk_translate(c, &req, &res->walk);
	res->walk.refs_out = NULL;
	if (rc)
		goto out;
	rc = fill_result(res, c, refs, cap);
	if (rc == 0 && res->walk.fault.kind != WALK_OK)
		rc = xlat_fail(-EFAULT, "the walk faulted (kind %d)", res->walk.fault.kind);
out:
	if (rc)
		explain_result_free(res);
	free(refs);
	free(c);
	sim_machine_halt(&box);
	return rc;
}
