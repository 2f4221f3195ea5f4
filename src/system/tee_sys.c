/*
 * Running a confidential VM (xlat/tee.h, "running a confidential VM"): the
 * hypervisor's side of it and its system layer on the mmu.
 *
 * It does not reuse hv.c's struct vm: there the hypervisor owns the
 * GPA -> HPA map and guest memory is a view through it; here the host
 * dimension is the monitor's in four models of five, guest memory is the
 * monitor's view (tee_vm_gpa_space), pages are accepted before use, and
 * the faults have two more sources (the monitor's pending pages, the
 * hardware's checks). What the two share, the guest OS, is xlat/os.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tee_int.h"
#include "xlat/mmu.h"
#include "xlat/phys.h"

struct tee_cvm {
	struct tee *t;
	struct tee_vm *v;
	struct tee_cvm_config cfg;
	struct pt npt;               /* rmp: the hypervisor's GPA -> HPA table */
	bool npt_up;
	struct os *guest;
	struct mmu *mmu;             /* attached mmu, or NULL */
	struct walk_check check[2];  /* the model's hardware beside the walker: [0] cold, [1] warm */
	struct tee_cvm_stats st;
	void (*wrote)(void *ctx, uint64_t gpa);   /* tee_cvm_set_write_hook */
	void *wrote_ctx;
};

/*
 * The physical-access check (xlat/walk.h) of a confidential VM's walks:
 * under rmp the RMP entry at the end of each guest-physical translation,
 * under gpt the GPT for every access, under tdx the poison bit. What the
 * check read becomes references of the walk. rmp and gpt entries are per
 * 4 KiB, so a checked translation is cached at 4 KiB.
 */
static int cvm_check(void *ctx, struct walk_check_call *call, struct walk_check_site *s)
{
	struct tee_cvm *c = ctx;
	struct tee *t = c->t;
	struct tee_ref refs[TEE_CHECK_MAX_REFS];
	unsigned n;
	struct tee_access a = { .write = s->write, .pa = s->pa, .gpa = s->in };
	int rc;

	a.site = s->site == WALK_CHECK_OUTPUT && t->cfg.model == TEE_RMP ? TEE_SITE_GPA : TEE_SITE_PHYS;
	rc = tee_check(t, c->v, &a, s->use_cache, refs, &n);
	for (unsigned i = 0; i < n && i < TEE_CHECK_MAX_REFS; i++)
		walk_check_ref(call, refs[i].pa, refs[i].val, (uint8_t)(refs[i].kind + 1));
	if (s->site == WALK_CHECK_OUTPUT && (t->cfg.model == TEE_RMP || t->cfg.model == TEE_GPT))
		s->max_shift = XLAT_PAGE_SHIFT;
	return rc;
}

/* The hypervisor backs a guest page: a frame of its own, its NPT (rmp),
 * then the monitor call. */
static int cvm_back(void *ctx, struct tee_vm *v, uint64_t gpa)
{
	struct tee_cvm *c = ctx;
	uint64_t pfn, hpa;
	int rc;

	if (gpa >= c->cfg.guest_ram)
		return xlat_fail(-EFAULT, "tee: guest-physical %#llx is outside guest RAM",
				 (unsigned long long)gpa);
	if (phys_alloc(tee_host_space(c->t), 1, 1, &pfn))
		return xlat_fail(-ENOMEM, "tee: the hypervisor is out of memory backing GPA %#llx",
				 (unsigned long long)gpa);
	hpa = pfn << XLAT_PAGE_SHIFT;
	if (c->npt_up && (rc = pt_map(&c->npt, gpa, hpa, XLAT_PAGE_SIZE,
				      XLAT_RWX | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K)))
		goto fail;
	rc = tee_guest_is_shared(v, gpa) ? tee_share(v, gpa, hpa) : tee_assign(v, gpa, hpa);
	if (rc)
		goto fail;
	c->st.backed++;
	if (c->mmu)
		mmu_charge_host_fault(c->mmu, XLAT_PAGE_SHIFT);
	return 0;
fail:
	/* Undo the 4 KiB leaf just mapped: no split, so it cannot fail. */
	if (c->npt_up && pt_unmap(&c->npt, gpa, XLAT_PAGE_SIZE) < 0)
		XLAT_BUG("GPA %#llx: %s", (unsigned long long)gpa, xlat_error());
	phys_free(tee_host_space(c->t), pfn, 1);
	return rc;
}

static void cvm_wrote(void *ctx, struct tee_vm *v, uint64_t gpa)
{
	struct tee_cvm *c = ctx;

	(void)v;
	if (c->wrote)
		c->wrote(c->wrote_ctx, gpa);
}

void tee_cvm_set_write_hook(struct tee_cvm *c, void (*fn)(void *ctx, uint64_t gpa), void *ctx)
{
	c->wrote = fn;
	c->wrote_ctx = fn ? ctx : NULL;
}

static void cvm_flush(void *ctx, struct tee_vm *v)
{
	struct tee_cvm *c = ctx;

	(void)v;
	if (c->mmu)
		mmu_flush_nested(c->mmu);
}

struct tee_cvm *tee_cvm_create(struct tee *t, const struct tee_cvm_config *cfg)
{
	struct tee_cvm *c = calloc(1, sizeof *c);
	struct tee_vm_config vc = {
		.guest_pa_bits = cfg->guest_pa_bits, .guest_ram = cfg->guest_ram,
		.hv = { cvm_back, cvm_flush, NULL, cvm_wrote },
	};
	struct os_config oc = cfg->guest;

	if (!c) {
		xlat_fail(-ENOMEM, "tee: out of memory");
		return NULL;
	}
	c->t = t;
	c->cfg = *cfg;
	vc.hv.ctx = c;
	for (int i = 0; i < 2; i++)
		c->check[i] = (struct walk_check){ .fn = cvm_check, .ctx = c, .use_cache = i == 1,
						   .max_refs = TEE_CHECK_MAX_REFS };
	if (t->cfg.model == TEE_RMP) {
		if (pt_init(&c->npt, tee_host_space(t), fmt_ept((int)t->cfg.host_levels), t->cfg.pa_bits))
			goto fail;
		c->npt.ctl &= ~(unsigned)FMT_CTL_1G;
		c->npt_up = true;
		vc.npt = &c->npt;
	}
	c->v = tee_vm_create(t, &vc);
	if (!c->v)
		goto fail;
	/* The guest's first megabyte is firmware's, as on a PC (and as hv.c
	 * does for its guests). */
	if (cfg->guest_ram > (1ULL << 20) && phys_reserve(tee_vm_gpa_space(c->v), 0, 1ULL << 20))
		goto fail;
	oc.vpid = cfg->vpid;
	c->guest = os_create(tee_vm_gpa_space(c->v), &oc);
	if (!c->guest || os_switch(c->guest, NULL, 0))
		goto fail;
	return c;
fail:
	tee_cvm_destroy(c);
	return NULL;
}

void tee_cvm_destroy(struct tee_cvm *c)
{
	if (!c)
		return;
	os_destroy(c->guest);
	tee_vm_destroy(c->v);
	if (c->npt_up)
		pt_destroy(&c->npt);
	free(c);
}

struct os *tee_cvm_guest(struct tee_cvm *c)
{
	return c->guest;
}

struct tee_vm *tee_cvm_vm(struct tee_cvm *c)
{
	return c->v;
}

struct pt *tee_cvm_npt(struct tee_cvm *c)
{
	return c->npt_up ? &c->npt : NULL;
}

const struct tee_cvm_stats *tee_cvm_get_stats(const struct tee_cvm *c)
{
	return &c->st;
}

const struct walk_check *tee_cvm_check(const struct tee_cvm *c, bool warm)
{
	switch (c->t->cfg.model) {
	case TEE_RMP:
	case TEE_GPT:
	case TEE_TDX:
		return &c->check[warm];
	default:
		return NULL;   /* fold, stage3: the monitor's tables are the check */
	}
}

/* The guest is told gpa is not validated / pending: it accepts the page
 * (0: retry) or refuses it (1: the access is dropped). */
static int guest_accept(struct tee_cvm *c, struct mmu *m, uint64_t gpa)
{
	int rc;

	/* The guest's #VC / #VE handler: priced as a guest fault. */
	mmu_charge_fault(m, XLAT_PAGE_SHIFT);
	rc = tee_guest_accept(c->v, xlat_align_down(gpa, XLAT_PAGE_SIZE));
	if (rc == 0) {
		c->st.accepts++;
		return 0;
	}
	c->st.dropped++;
	return rc == -EIO || rc == -ENOENT || rc == -EALREADY ? 1 : rc;
}

/* A fault in the host dimension at guest-physical gpa. */
static int host_fault(struct tee_cvm *c, struct mmu *m, uint64_t gpa)
{
	uint64_t page = xlat_align_down(gpa, XLAT_PAGE_SIZE), hpa;
	int rc;

	if (gpa >= c->cfg.guest_ram) {
		c->st.dropped++;
		return 1;
	}
	if (tee_mediated(c->t) && tee_map_get(&c->v->pending, page >> XLAT_PAGE_SHIFT, NULL))
		return guest_accept(c, m, page);      /* #VE: a pending page */
	if (tee_host_lookup(c->v, page, &hpa) == 0) {
		c->st.dropped++;                      /* mapped, yet refused */
		return 1;
	}
	c->st.exits++;
	mmu_charge_exit(m);
	rc = cvm_back(c, c->v, page);
	return rc == -EFAULT ? 1 : rc;
}

static int cvm_fault(void *ctx, struct mmu *m, const struct walk_req *req, const struct walk_result *res)
{
	struct tee_cvm *c = ctx;
	const struct walk_fault *f = &res->fault;

	if (f->kind == WALK_PAGE_FAULT && f->stage == 0)
		return os_handle_fault(c->guest, m, req, f);
	if ((f->kind == WALK_EPT_VIOLATION || f->kind == WALK_PAGE_FAULT) && f->stage == 1)
		return host_fault(c, m, f->addr);
	if (f->kind == WALK_CHECK_FAULT && f->error_code == TEE_FAULT_NOT_VALIDATED)
		return guest_accept(c, m, f->addr);   /* #VC: the guest validates, or refuses */
	c->st.dropped++;
	return 1;
}

static int cvm_event(void *ctx, struct mmu *m, const struct xlat_access *ev)
{
	struct tee_cvm *c = ctx;

	return os_handle_event(c->guest, m, ev);
}

int tee_cvm_attach(struct tee_cvm *c, struct mmu *mmu)
{
	struct pt *host = tee_vm_host_table(c->v), *s3 = tee_vm_stage3(c->v);
	struct mmu_system sys = { cvm_fault, cvm_event, c };
	/* The hypervisor's stage is the host dimension (the hypervisor's NPT
	 * under rmp, the monitor's table otherwise); the monitor's stage is
	 * stage3's third. */
	struct walk_stage hs = {
		.fmt = host->fmt, .root = host->root, .maxphyaddr = c->t->cfg.pa_bits,
		.ctl = WALK_EPT_DEFAULT, .tag = c->cfg.vpid << 12,
	};
	int rc;

	if (mmu_chain(mmu)->mem != c->t->mem)
		return xlat_fail(-EINVAL, "tee: the mmu's bottom space must be the monitor's machine memory");
	c->mmu = mmu;
	if ((rc = mmu_set_stage(mmu, MMU_STAGE_HV, &hs)))
		return rc;
	if (s3) {
		struct walk_stage ms = {
			.fmt = s3->fmt, .root = s3->root, .maxphyaddr = c->t->cfg.pa_bits,
			.ctl = WALK_EPT_DEFAULT, .tag = c->cfg.vpid << 12,
		};
		if ((rc = mmu_set_stage(mmu, MMU_STAGE_MONITOR, &ms)))
			return rc;
	} else {
		mmu_clear_stage(mmu, MMU_STAGE_MONITOR);
	}
	mmu_set_check(mmu, tee_cvm_check(c, true));
	mmu_set_system(mmu, &sys);
	os_set_platform(c->guest, NULL);   /* CR3 loads and INVLPG run without exits */
	return os_switch(c->guest, mmu, os_current_asid(c->guest));
}
