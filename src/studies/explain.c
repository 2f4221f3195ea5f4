/*
 * One walk, reference by reference (xlat/explain.h). The tables are built by
 * the same OS and hypervisor code the simulator runs: the address is first
 * touched through an MMU (which demand-maps it in every dimension), then
 * walked once more with the walker, caches detached unless warm.
 */
#include <errno.h>
#include <stdio.h>
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
	cfg->ntlb = (struct tlb_config){ "nested TLB", 1, { { 16, 0, TLB_LRU, TLB_ALL_SIZES, false } }, 1 };
	cfg->tee = TEE_FOLD;
	cfg->monitor_levels = 4;
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

/* Whose structure a reference reads. */
static const char *structure_of(const struct explain_config *cfg, const struct walk_ref *r)
{
	if (r->check)
		return r->check - 1 == TEE_REF_RMP ? "RMP" :
		       r->check - 1 == TEE_REF_GPT_L0 ? "GPT level 0" : "GPT level 1";
	if (cfg->mode != MACHINE_SECURE) {
		if (cfg->mode == MACHINE_SHADOW)
			return "shadow page table";
		if (r->stage == 0)
			return cfg->mode == MACHINE_NATIVE ? "page table" : "guest page table";
		return "EPT";
	}
	if (r->stage == 0)
		return "guest page table";
	if (r->stage == 2)
		return "monitor stage (HPA -> MPA)";
	switch (cfg->tee) {
	case TEE_FOLD:
		return r->level == 5 ? "monitor level (fold)" : "host EPT, under the monitor's level";
	case TEE_STAGE3:
		return "host EPT";
	case TEE_RMP:
		return "NPT (the hypervisor's)";
	case TEE_GPT:
		return "RTT (the RMM's stage 2)";
	default:
		return "secure EPT (the TDX module's)";
	}
}

/* The access a reference serves: "the guest's level-3 entry". */
static void served(char *buf, size_t len, unsigned for_stage, unsigned for_level, bool nested)
{
	if (for_level == 0)
		snprintf(buf, len, for_stage == 0 ? "the data" : "the address stage %u produced", for_stage);
	else if (for_stage == 0)
		snprintf(buf, len, "%s level-%u entry", nested ? "the guest's" : "the", for_level);
	else
		snprintf(buf, len, "stage %u's level-%u entry", for_stage, for_level);
}

/* Why a reference is made. */
static void why_of(const struct walk_ref *r, unsigned stages, char *buf, size_t len)
{
	char what[48];
	bool nested = stages > 1;

	if (r->check) {
		if (r->check - 1 == TEE_REF_RMP) {
			served(what, sizeof what, r->for_stage, r->for_level, true);
			snprintf(buf, len, "checks the frame of %s: owner, GPA, validated", what);
		} else if (r->level == 0) {
			served(what, sizeof what, r->for_stage, r->for_level, true);
			snprintf(buf, len, "granule protection check: the access to %s", what);
		} else {
			snprintf(buf, len, "granule protection check: reading stage %u's level-%u entry",
				 r->stage, r->level);
		}
		return;
	}
	if (r->stage == 0) {
		served(buf, len, 0, r->level, nested);
		return;
	}
	served(what, sizeof what, r->for_stage, r->for_level, nested);
	snprintf(buf, len, "translates the %s of %s", r->stage == 1 ? "GPA" : "HPA", what);
}

/* The steps from the references the walk recorded (at most cap); t: the
 * monitor of a secure walk, which says what its checks read. */
static int fill_result(struct explain_result *res, const struct walk_chain *c,
		       const struct walk_ref *refs, uint32_t cap,
		       const struct explain_config *cfg, struct tee *t)
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
		st->structure = structure_of(cfg, &st->ref);
		why_of(&st->ref, c->n, st->why, sizeof st->why);
		if (st->ref.check) {
			st->fmt = NULL;
			res->check_refs++;
			if (t)
				tee_describe_ref(t, st->ref.check - 1u, st->ref.addr, st->ref.entry,
						 st->meaning, sizeof st->meaning);
			continue;
		}
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

/* Walks cfg->va once more on a copy of m's chain (about 9 KiB), without
 * the mmu's caches unless warm (a secure chain's check then cold: `cold`),
 * into res; t: the monitor of a secure walk. On failure nothing is left
 * allocated in res. */
static int walk_once(const struct explain_config *cfg, struct mmu *m, const struct walk_check *cold,
		     struct tee *t, struct explain_result *res)
{
	struct walk_chain *c = malloc(sizeof *c);
	struct walk_ref *refs = NULL;
	struct walk_req req = { .va = cfg->va, .kind = (uint8_t)cfg->kind };
	uint32_t cap;
	int rc;

	if (!c)
		return xlat_fail(-ENOMEM, "explain: out of memory");
	*c = *mmu_chain(m);
	if (!cfg->warm) {
		for (unsigned s = 0; s < c->n; s++)
			c->stage[s].pwc = NULL;
		c->ntlb = NULL;
		if (c->check)
			c->check = cold;
	}
	memset(&c->stats, 0, sizeof c->stats);
	cap = walk_chain_max_refs(c);
	refs = calloc(cap ? cap : 1, sizeof *refs);
	if (!refs) {
		rc = xlat_fail(-ENOMEM, "explain: out of memory for %u references", cap);
		goto out;
	}
	res->walk.refs_out = refs;
	res->walk.refs_cap = cap;
	rc = walk_translate(c, &req, &res->walk);
	res->walk.refs_out = NULL;
	if (rc)
		goto out;
	rc = fill_result(res, c, refs, cap, cfg, t);
	if (rc == 0 && res->walk.fault.kind != WALK_OK)
		rc = xlat_fail(-EFAULT, "the walk faulted (kind %d)", res->walk.fault.kind);
out:
	if (rc)
		explain_result_free(res);
	free(refs);
	free(c);
	return rc;
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

	bool secure = cfg->mode == MACHINE_SECURE;
	if (secure && cfg->host_shift != XLAT_PAGE_SHIFT)
		return xlat_fail(-EINVAL, "secure mode: host pages are 4k (the monitor's records are per 4 KiB frame)");
	/* A small machine: one 16-entry TLB level a side, the walk's caches
	 * as asked; the tables are what matter. A secure machine is a
	 * confidential VM of model cfg->tee under its monitor. */
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
	    (vm && !secure && (rc = machine_config_set(&mcfg, "host_page_policy", pol[hp]))) ||
	    (secure && (rc = machine_config_set(&mcfg, "tee", tee_model_name(cfg->tee)))) ||
	    (secure && cfg->monitor_levels &&
	     (rc = machine_config_set(&mcfg, "monitor_levels", cfg->monitor_levels == 5 ? "5" : "4"))) ||
	    (vm && (rc = machine_config_set(&mcfg, "guest_ram", "16g"))) ||
	    (cfg->mode == MACHINE_SHADOW && (rc = machine_config_set(&mcfg, "unsync", "0"))))
		return rc;
	struct machine *box;
	if ((rc = machine_create(&mcfg, &box)))
		return rc;
	struct mmu *m = machine_mmu(box);

	/* Touch: demand-maps the page in every dimension and warms the caches. */
	rc = mmu_translate(m, cfg->va, cfg->kind, false, NULL);
	if (rc) {
		rc = rc > 0 ? xlat_fail(-EFAULT, "%#llx could not be mapped", (unsigned long long)cfg->va) : rc;
		goto out;
	}
	if (cfg->mode == MACHINE_NESTED || secure) {
		struct pt_leaf leaf;
		if (pt_lookup(os_pt(machine_os(box)), cfg->va, &leaf) == 0)
			res->gpa = leaf.pa + (cfg->va - leaf.va);
	}
	res->secure = secure;
	res->tee = cfg->tee;
	rc = walk_once(cfg, m, secure ? tee_cvm_check(machine_cvm(box), false) : NULL,
		       machine_tee(box), res);
out:
	machine_destroy(box);
	return rc;
}
