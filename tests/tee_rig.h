/*
 * A small machine for the secure-monitor tests (test_tee.c and
 * test_tee_attack.c): a monitor of one model, a hypervisor that backs guest
 * pages from its own memory the way each model wants it, and up to two
 * confidential VMs, each with a guest page table and the chain the hardware
 * walks for it.
 */
#ifndef XLAT_TEST_TEE_RIG_H
#define XLAT_TEST_TEE_RIG_H

#include <string.h>

#include "xlat/phys.h"
#include "xlat/pt.h"
#include "xlat/tee.h"
#include "xlat/walk.h"

#define RIG_GUEST_RAM (1ULL << 30)
#define RIG_GUEST_BITS 40u

struct rig_vm {
	struct tee_vm *v;
	struct pt npt;          /* rmp: the hypervisor's NPT */
	struct pt gpt;          /* the guest's page table (in its guest-physical memory) */
	bool npt_up, gpt_up;
};

struct rig {
	struct tee *t;
	enum tee_model model;
	unsigned guest_levels;
	struct rig_vm vm[2];
	unsigned backs, flushes;
};

static inline struct rig_vm *rig_find(struct rig *r, struct tee_vm *v)
{
	return r->vm[0].v == v ? &r->vm[0] : &r->vm[1];
}

/* The hypervisor backs a guest page: a frame of its own, its NPT (rmp),
 * then the monitor call (private or shared, as the guest wants). */
static inline int rig_back(void *ctx, struct tee_vm *v, uint64_t gpa)
{
	struct rig *r = ctx;
	struct rig_vm *rv = rig_find(r, v);
	uint64_t pfn, hpa;
	int rc = phys_alloc(tee_host_space(r->t), 1, 1, &pfn);

	if (rc)
		return rc;
	hpa = pfn << XLAT_PAGE_SHIFT;
	r->backs++;
	if (r->model == TEE_RMP &&
	    (rc = pt_map(&rv->npt, gpa, hpa, XLAT_PAGE_SIZE, XLAT_RWX | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K)))
		return rc;
	return tee_guest_is_shared(v, gpa) ? tee_share(v, gpa, hpa) : tee_assign(v, gpa, hpa);
}

static inline void rig_flush(void *ctx, struct tee_vm *v)
{
	struct rig *r = ctx;
	(void)v;
	r->flushes++;
}

/* Creates the monitor (host_levels, monitor_levels as given) and VM 0. */
static inline int rig_up_levels(struct rig *r, enum tee_model model, unsigned guest_levels,
				unsigned host_levels, unsigned monitor_levels)
{
	struct tee_config tc;

	memset(r, 0, sizeof *r);
	r->model = model;
	r->guest_levels = guest_levels;
	tee_config_init(&tc, model);
	tc.host_levels = host_levels;
	tc.monitor_levels = monitor_levels;
	r->t = tee_create(&tc);
	return r->t ? 0 : -1;
}

static inline int rig_vm_up(struct rig *r, unsigned i)
{
	struct rig_vm *rv = &r->vm[i];
	struct tee_vm_config vc = {
		.guest_pa_bits = RIG_GUEST_BITS, .guest_ram = RIG_GUEST_RAM,
		.hv = { rig_back, rig_flush, r },
	};
	const struct tee_config *tc = tee_get_config(r->t);

	if (r->model == TEE_RMP) {
		if (pt_init(&rv->npt, tee_host_space(r->t), fmt_ept((int)tc->host_levels), tc->pa_bits))
			return -1;
		rv->npt_up = true;
		vc.npt = &rv->npt;
	}
	rv->v = tee_vm_create(r->t, &vc);
	if (!rv->v)
		return -1;
	if (pt_init(&rv->gpt, tee_vm_gpa_space(rv->v), fmt_x86((int)r->guest_levels), RIG_GUEST_BITS))
		return -1;
	rv->gpt_up = true;
	return 0;
}

static inline int rig_up(struct rig *r, enum tee_model model)
{
	if (rig_up_levels(r, model, 4, 4, 4))
		return -1;
	return rig_vm_up(r, 0);
}

static inline void rig_down(struct rig *r)
{
	for (unsigned i = 0; i < 2; i++) {
		struct rig_vm *rv = &r->vm[i];
		if (rv->gpt_up)
			pt_destroy(&rv->gpt);
		tee_vm_destroy(rv->v);
		if (rv->npt_up)
			pt_destroy(&rv->npt);
	}
	tee_destroy(r->t);
	memset(r, 0, sizeof *r);
}

/* The guest maps a fresh page of its memory at va and fills it with
 * `fill` (through its own accesses, which back and accept it). Returns
 * the page's guest-physical address, or 0 on failure. */
static inline uint64_t rig_guest_page(struct rig *r, unsigned i, xlat_va va, uint8_t fill)
{
	struct rig_vm *rv = &r->vm[i];
	struct phys *g = tee_vm_gpa_space(rv->v);
	uint8_t buf[XLAT_PAGE_SIZE];
	uint64_t gpfn;

	if (phys_alloc(g, 1, 1, &gpfn))
		return 0;
	memset(buf, fill, sizeof buf);
	for (unsigned k = 0; k < sizeof buf; k += 64)
		buf[k] = (uint8_t)(fill ^ (k >> 6));   /* not one repeated byte */
	if (phys_write(g, gpfn << XLAT_PAGE_SHIFT, buf, sizeof buf))
		return 0;
	if (pt_map(&rv->gpt, va, gpfn << XLAT_PAGE_SHIFT, XLAT_PAGE_SIZE, XLAT_R | XLAT_W | XLAT_U,
		   PT_PAGE_4K))
		return 0;
	return gpfn << XLAT_PAGE_SHIFT;
}

/* The chain the hardware walks for VM i: guest stage, host dimension, and
 * (stage3) the monitor's stage, over machine memory. */
static inline void rig_chain(struct rig *r, unsigned i, struct walk_chain *c)
{
	struct rig_vm *rv = &r->vm[i];
	const struct tee_config *tc = tee_get_config(r->t);
	struct pt *host = tee_vm_host_table(rv->v), *s3 = tee_vm_stage3(rv->v);
	struct walk_stage g = { .fmt = rv->gpt.fmt, .root = rv->gpt.root, .maxphyaddr = RIG_GUEST_BITS,
				.ctl = WALK_X86_DEFAULT };
	struct walk_stage h = { .fmt = host->fmt, .root = host->root, .maxphyaddr = tc->pa_bits,
				.ctl = WALK_EPT_DEFAULT };

	walk_chain_init(c, tee_machine(r->t));
	assert_true(walk_chain_push(c, &g) >= 0);
	assert_true(walk_chain_push(c, &h) >= 0);
	if (s3) {
		struct walk_stage m = { .fmt = s3->fmt, .root = s3->root, .maxphyaddr = tc->pa_bits,
					.ctl = WALK_EPT_DEFAULT };
		assert_true(walk_chain_push(c, &m) >= 0);
	}
}

/* The guest-physical page's frame, as the host dimension maps it now
 * (0: not mapped). */
static inline uint64_t rig_hpa(struct rig *r, unsigned i, uint64_t gpa)
{
	struct pt_leaf leaf;

	if (pt_lookup(tee_vm_host_table(r->vm[i].v), gpa, &leaf))
		return 0;
	return leaf.pa + (gpa - leaf.va);
}

#endif
