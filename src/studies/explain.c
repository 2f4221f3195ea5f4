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
	struct walk_chain *c = NULL;
	struct walk_ref *refs = NULL;

	/* Touch: demand-maps the page in every dimension and warms the caches. */
	rc = mmu_translate(m, cfg->va, cfg->kind, false, NULL);
	if (rc) {
		rc = rc > 0 ? xlat_fail(-EFAULT, "%#llx could not be mapped", (unsigned long long)cfg->va) : rc;
		goto out;
	}
	if (cfg->mode == MACHINE_NESTED) {
		struct pt_leaf leaf;
		if (pt_lookup(os_pt(machine_os(box)), cfg->va, &leaf) == 0)
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
	machine_destroy(box);
	return rc;
}
