/*
 * One walk, reference by reference (xlat/explain.h). The tables are built by
 * the same OS and hypervisor code the simulator runs: the address is first
 * touched through an MMU (which demand-maps it in every dimension), then
 * walked once more with the walker, caches detached unless warm.
 */
#include <errno.h>
#include <string.h>

#include "xlat/explain.h"
#include "xlat/phys.h"


void explain_config_init(struct explain_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->mode = MACHINE_NATIVE;
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
	switch (shift) {
	case 12: *p = OS_PAGE_4K; return 0;
	case 21: *p = OS_PAGE_THP; return 0;
	case 30: *p = OS_PAGE_1G; return 0;
	default:
		return xlat_fail(-EINVAL, "%s page must be 4k, 2m or 1g", what);
	}
}

static void fill_result(struct explain_result *res, const struct walk_chain *c)
{
	res->stages = c->n;
	for (unsigned s = 0; s < c->n; s++) {
		res->levels[s] = c->stage[s].fmt->levels;
		res->fmts[s] = c->stage[s].fmt;
		res->root[s] = c->stage[s].root;
	}
	res->nsteps = res->walk.refs < WALK_MAX_REFS ? res->walk.refs : WALK_MAX_REFS;
	for (unsigned i = 0; i < res->nsteps; i++) {
		struct explain_step *st = &res->steps[i];
		const struct walk_stage *stage = &c->stage[st->ref.stage];
		st->fmt = stage->fmt;
		fmt_describe(stage->fmt, st->ref.level, st->ref.entry, stage->maxphyaddr,
			     st->meaning, sizeof st->meaning);
	}
	res->stats = c->stats;
}

int explain_walk(const struct explain_config *cfg, struct explain_result *res)
{
	enum os_page_policy gp = OS_PAGE_4K, hp = OS_PAGE_4K;
	int rc;

	memset(res, 0, sizeof *res);
	if ((rc = policy_of(cfg->guest_shift, &gp, cfg->mode == MACHINE_NATIVE ? "the" : "the guest")) ||
	    (rc = policy_of(cfg->host_shift, &hp, "the host")))
		return rc;
	const struct xlat_format *gfmt = fmt_x86((int)cfg->levels);
	if (!gfmt || !fmt_ept((int)cfg->host_levels))
		return xlat_fail(-EINVAL, "levels must be 4 or 5 (got %u and %u)", cfg->levels, cfg->host_levels);
	if (!pt_valid_va(gfmt, cfg->va) || cfg->va >> (gfmt->va_bits - 1))
		return xlat_fail(-EINVAL, "%#llx is not a user address of %u-level paging",
				 (unsigned long long)cfg->va, cfg->levels);

	/* A small machine: one 16-entry TLB level a side, the walk's caches
	 * as asked; the tables are what matter. */
	struct machine_config mcfg;
	machine_config_init(&mcfg);
	mcfg.cpu.pwc = cfg->pwc;
	mcfg.cpu.ntlb = cfg->ntlb;
	char lv[2] = { (char)('0' + cfg->levels), 0 }, hlv[2] = { (char)('0' + cfg->host_levels), 0 };
	static const char *const pol[] = { "4k", "thp", "1g" };
	bool vm = cfg->mode != MACHINE_NATIVE;
	if ((rc = machine_config_set(&mcfg, "tlb", "16")) ||
	    (rc = machine_config_set(&mcfg, "itlb", "16,private")) ||
	    (rc = machine_config_set(&mcfg, "mode", machine_mode_name(cfg->mode))) ||
	    (rc = machine_config_set(&mcfg, "levels", lv)) ||
	    (rc = machine_config_set(&mcfg, "page_policy", pol[gp])) ||
	    (vm && (rc = machine_config_set(&mcfg, "host_levels", hlv))) ||
	    (vm && (rc = machine_config_set(&mcfg, "host_page_policy", pol[hp]))) ||
	    (vm && (rc = machine_config_set(&mcfg, "guest_ram", "16g"))) ||
	    (cfg->mode == MACHINE_SHADOW && (rc = machine_config_set(&mcfg, "unsync", "0"))))
		return rc;
	struct machine *box;
	if ((rc = machine_create(&mcfg, &box)))
		return rc;
	struct mmu *m = machine_mmu(box);

	/* Touch: demand-maps the page in every dimension and warms the caches. */
	xlat_pa pa;
	rc = mmu_translate(m, cfg->va, cfg->kind, false, &pa);
	if (rc) {
		rc = rc > 0 ? xlat_fail(-EFAULT, "%#llx could not be mapped", (unsigned long long)cfg->va) : rc;
		goto out;
	}
	if (cfg->mode == MACHINE_NESTED) {
		struct pt_leaf leaf;
		if (pt_lookup(os_pt(machine_os(box)), cfg->va, &leaf) == 0)
			res->gpa = leaf.pa + (cfg->va - leaf.va);
	}

	struct walk_chain c = *mmu_chain(m);
	if (!cfg->warm) {
		for (unsigned s = 0; s < c.n; s++)
			c.stage[s].pwc = NULL;
		c.ntlb = NULL;
	}
	memset(&c.stats, 0, sizeof c.stats);
	struct walk_req req = { .va = cfg->va, .kind = (uint8_t)cfg->kind };
	static struct walk_ref refs[WALK_MAX_REFS];
	res->walk.refs_out = refs;
	res->walk.refs_cap = WALK_MAX_REFS;
	rc = walk_translate(&c, &req, &res->walk);
	if (rc)
		goto out;
	for (unsigned i = 0; i < res->walk.refs && i < WALK_MAX_REFS; i++)
		res->steps[i].ref = refs[i];
	res->walk.refs_out = NULL;
	fill_result(res, &c);
	if (res->walk.fault.kind != WALK_OK)
		rc = xlat_fail(-EFAULT, "the walk faulted (kind %d)", res->walk.fault.kind);
out:
	machine_destroy(box);
	return rc;
}
