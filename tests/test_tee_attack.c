/*
 * The attack suite: every path by which a hypervisor could reach a
 * confidential VM's memory, under each of the five models. Each attack is
 * denied (the hypervisor's access faults, or the monitor refuses the call)
 * or detected (the guest's next access raises an integrity fault), and the
 * guest never consumes a byte the hypervisor chose: whenever the guest's
 * access succeeds it returns exactly its data, checked byte for byte; the
 * frames an attack could not take away are checked byte for byte too.
 * (A hypervisor can always take memory back — release — so availability
 * is not protected: the page is then scrubbed and the guest's next access
 * is an integrity fault.)
 *
 * The guest's "next access" here is its own software access through its
 * guest-physical memory, which the model checks as the hardware would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "tee_rig.h"
#include "xlat/mmu.h"
#include "xlat/os.h"

/* mmu_translate, keeping only the address. */
static int xlate(struct mmu *m, xlat_va va, unsigned kind, xlat_pa *pa)
{
	struct mmu_outcome o;
	int rc = mmu_translate(m, va, kind, false, &o);
	*pa = o.pa;
	return rc;
}

#define VA_SECRET 0x7f0000100000ULL
#define VA_OTHER  0x7f0000200000ULL

struct scene {
	struct rig r;
	uint64_t gpa, hpa;                 /* the secret page */
	uint8_t orig[XLAT_PAGE_SIZE];      /* its bytes */
	struct tee_vm *v;
	struct phys *host;
};

static void scene_up(struct scene *s, enum tee_model model)
{
	memset(s, 0, sizeof *s);
	assert_int_equal(rig_up(&s->r, model), 0);
	assert_int_equal(rig_vm_up(&s->r, 1), 0);
	s->v = s->r.vm[0].v;
	s->host = tee_host_space(s->r.t);
	s->gpa = rig_guest_page(&s->r, 0, VA_SECRET, 0x5a);
	assert_true(s->gpa != 0);
	s->hpa = rig_hpa(&s->r, 0, s->gpa);
	assert_true(s->hpa != 0);
	assert_int_equal(tee_monitor_read(s->r.t, s->hpa, s->orig, sizeof s->orig), 0);
}

static void scene_down(struct scene *s)
{
	rig_down(&s->r);
}

/* A frame of the hypervisor's own, filled with bytes of its choosing. */
static uint64_t evil_frame(struct scene *s)
{
	uint64_t pfn;
	uint8_t evil[XLAT_PAGE_SIZE];

	memset(evil, 0xee, sizeof evil);
	assert_int_equal(phys_alloc(s->host, 1, 1, &pfn), 0);
	assert_int_equal(phys_write(s->host, pfn << 12, evil, sizeof evil), 0);
	return pfn << 12;
}

/* The guest reads its page at gpa (through its own memory): returns 0 with
 * exactly `want`, or a fault (-EACCES: denied by the hardware, -EIO: an
 * integrity fault); never other bytes. */
static int guest_sees(struct scene *s, unsigned vm, uint64_t gpa, const uint8_t *want)
{
	uint8_t got[XLAT_PAGE_SIZE];
	int rc = phys_read(tee_vm_gpa_space(s->r.vm[vm].v), gpa, got, sizeof got);

	if (rc == 0)
		assert_memory_equal(got, want, sizeof got);
	else if (rc != -EIO && rc != -EACCES)
		fail_msg("guest access: unexpected %d (%s)", rc, xlat_error());
	return rc;
}

/* The frame still holds exactly the guest's bytes. */
static void frame_intact(struct scene *s, uint64_t hpa, const uint8_t *want)
{
	uint8_t got[XLAT_PAGE_SIZE];

	assert_int_equal(tee_monitor_read(s->r.t, hpa, got, sizeof got), 0);
	assert_memory_equal(got, want, sizeof got);
}

static bool mediated(const struct scene *s)
{
	return s->r.model != TEE_RMP;
}

/* The hypervisor writes the monitor's host-dimension entry for gpa
 * directly: out of its reach in every mediated model. */
static void write_monitor_entry(struct scene *s, uint64_t gpa, uint64_t value)
{
	struct pt_leaf leaf;

	assert_int_equal(pt_lookup(tee_vm_host_table(s->v), gpa, &leaf), 0);
	assert_true(leaf.entry_pa >= (1ULL << 45));
	assert_int_equal(phys_write64(s->host, leaf.entry_pa, value), -EACCES);
	assert_int_equal(pt_lookup(tee_vm_host_table(s->v), gpa, &leaf), 0);
	assert_int_equal(leaf.pa, xlat_align_down(rig_hpa(&s->r, 0, gpa), 4096));
}

/* rmp: the hypervisor points its NPT entry for gpa at hpa. */
static void npt_point(struct scene *s, unsigned vm, uint64_t gpa, uint64_t hpa)
{
	struct pt *npt = &s->r.vm[vm].npt;

	assert_int_equal(pt_unmap(npt, gpa, 4096), 0);
	assert_int_equal(pt_map(npt, gpa, hpa, 4096, XLAT_RWX, PT_PAGE_4K), 0);
}

/* ---- the attacks ------------------------------------------------------------------------ */

/* 1. Read the frame directly. */
static void attack_direct_read(void **state)
{
	struct scene s;
	uint8_t seen[XLAT_PAGE_SIZE];
	int rc;

	scene_up(&s, *(enum tee_model *)*state);
	rc = phys_read(s.host, s.hpa, seen, sizeof seen);
	if (s.r.model == TEE_RMP || s.r.model == TEE_TDX) {
		/* The read completes but never yields plaintext: ciphertext
		 * (SEV) or zeros (a TD line read with a shared key). */
		assert_int_equal(rc, 0);
		for (unsigned i = 0; i < sizeof seen; i += 8)
			assert_memory_not_equal(seen + i, s.orig + i, 8);
	} else {
		assert_int_equal(rc, -EACCES);
	}
	assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), 0);
	scene_down(&s);
}

/* 2. Write the frame directly (including replaying old bytes into it). */
static void attack_direct_write(void **state)
{
	struct scene s;
	uint8_t evil[XLAT_PAGE_SIZE];
	int rc;

	scene_up(&s, *(enum tee_model *)*state);
	memset(evil, 0xee, sizeof evil);
	rc = phys_write(s.host, s.hpa, evil, sizeof evil);
	frame_intact(&s, s.hpa, s.orig);
	if (s.r.model == TEE_TDX) {
		/* Lands, poisons the line: the TD's next read is a #MC. */
		assert_int_equal(rc, 0);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), -EIO);
		assert_true(tee_get_stats(s.r.t)->host_poisoned > 0);
	} else {
		assert_int_equal(rc, -EACCES);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), 0);
	}
	scene_down(&s);
}

/* 3. Remap the guest's GPA to a frame of the hypervisor's. */
static void attack_ept_remap(void **state)
{
	struct scene s;
	uint64_t evil;

	scene_up(&s, *(enum tee_model *)*state);
	evil = evil_frame(&s);
	if (!mediated(&s)) {
		/* The NPT is the hypervisor's: the write succeeds, the RMP
		 * check at the guest's next access refuses the frame. */
		npt_point(&s, 0, s.gpa, evil);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), -EACCES);
		/* Giving the frame to the guest at that GPA does not help:
		 * it is not validated, and the guest validated that GPA. */
		assert_int_equal(tee_assign(s.v, s.gpa, evil), 0);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), -EIO);
		/* The real page was never touched. */
		frame_intact(&s, s.hpa, s.orig);
		npt_point(&s, 0, s.gpa, s.hpa);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), 0);
	} else {
		write_monitor_entry(&s, s.gpa, evil | 7);
		assert_int_equal(tee_assign(s.v, s.gpa, evil), -EEXIST);
		frame_intact(&s, s.hpa, s.orig);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), 0);
		/* Taking the page away and putting another there: detected. */
		assert_int_equal(tee_release(s.v, s.gpa, NULL), 0);
		assert_int_equal(tee_assign(s.v, s.gpa, evil), 0);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), -EIO);
	}
	assert_true(tee_get_stats(s.r.t)->integrity_faults >= 1);
	scene_down(&s);
}

/* 4. Swap two of the guest's frames. */
static void attack_frame_swap(void **state)
{
	struct scene s;
	uint8_t orig2[XLAT_PAGE_SIZE];
	uint64_t gpa2, hpa2;

	scene_up(&s, *(enum tee_model *)*state);
	gpa2 = rig_guest_page(&s.r, 0, VA_OTHER, 0x33);
	hpa2 = rig_hpa(&s.r, 0, gpa2);
	assert_int_equal(tee_monitor_read(s.r.t, hpa2, orig2, sizeof orig2), 0);
	if (!mediated(&s)) {
		npt_point(&s, 0, s.gpa, hpa2);
		npt_point(&s, 0, gpa2, s.hpa);
		/* Each frame is validated at the other GPA: RMP violations. */
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), -EACCES);
		assert_int_equal(guest_sees(&s, 0, gpa2, orig2), -EACCES);
		frame_intact(&s, s.hpa, s.orig);
		frame_intact(&s, hpa2, orig2);
		npt_point(&s, 0, s.gpa, s.hpa);
		npt_point(&s, 0, gpa2, hpa2);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), 0);
		assert_int_equal(guest_sees(&s, 0, gpa2, orig2), 0);
	} else {
		write_monitor_entry(&s, s.gpa, hpa2 | 7);
		write_monitor_entry(&s, gpa2, s.hpa | 7);
		assert_int_equal(tee_assign(s.v, s.gpa, hpa2), -EBUSY);
		/* Through the monitor: both pages go (scrubbed), then come back
		 * swapped, pending: the guest accepted both GPAs before. */
		assert_int_equal(tee_release(s.v, s.gpa, NULL), 0);
		assert_int_equal(tee_release(s.v, gpa2, NULL), 0);
		assert_int_equal(tee_assign(s.v, s.gpa, hpa2), 0);
		assert_int_equal(tee_assign(s.v, gpa2, s.hpa), 0);
		assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), -EIO);
		assert_int_equal(guest_sees(&s, 0, gpa2, orig2), -EIO);
	}
	scene_down(&s);
}

/* 5. Map one frame at two GPAs of the guest. */
static void attack_double_map(void **state)
{
	struct scene s;
	const uint64_t alias = 0x20000000;

	scene_up(&s, *(enum tee_model *)*state);
	assert_int_equal(tee_assign(s.v, alias, s.hpa), -EBUSY);
	assert_int_equal(tee_share(s.v, alias, s.hpa), -EBUSY);
	if (!mediated(&s)) {
		struct pt *npt = &s.r.vm[0].npt;
		assert_int_equal(pt_map(npt, alias, s.hpa, 4096, XLAT_RWX, PT_PAGE_4K), 0);
		/* The RMP holds one GPA per frame: the alias is refused. */
		assert_int_equal(guest_sees(&s, 0, alias, s.orig), -EACCES);
	} else {
		/* The alias GPA, touched, gets a fresh page of its own. */
		uint8_t zero[XLAT_PAGE_SIZE] = { 0 };
		assert_int_equal(guest_sees(&s, 0, alias, zero), 0);
		assert_int_not_equal(rig_hpa(&s.r, 0, alias), s.hpa);
	}
	frame_intact(&s, s.hpa, s.orig);
	assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), 0);
	scene_down(&s);
}

/* 6. Map the frame into the hypervisor's own address space and use it. */
static void attack_own_space(void **state)
{
	struct scene s;
	struct pt mine;
	struct walk_chain c;
	struct walk_stage st = { .fmt = &fmt_x86_4, .maxphyaddr = 46, .ctl = WALK_X86_DEFAULT };
	struct walk_req req = { .va = 0x600000, .kind = XLAT_READ, .supervisor = true };
	struct walk_result res = { 0 };
	uint8_t seen[XLAT_PAGE_SIZE], evil[XLAT_PAGE_SIZE];
	int rc;

	scene_up(&s, *(enum tee_model *)*state);
	/* Its own page table, in its own memory, mapping the guest's frame. */
	assert_int_equal(pt_init(&mine, s.host, &fmt_x86_4, 46), 0);
	assert_int_equal(pt_map(&mine, 0x600000, s.hpa, 4096, XLAT_R | XLAT_W, PT_PAGE_4K), 0);
	st.root = mine.root;
	walk_chain_init(&c, s.host);
	assert_true(walk_chain_push(&c, &st) >= 0);
	assert_int_equal(walk_translate(&c, &req, &res), 0);
	assert_int_equal(res.fault.kind, WALK_OK);
	assert_int_equal(res.pa, s.hpa);
	xlat_pa mapped = res.pa;
	/* With the model's hardware beside the walker: rmp lets a read
	 * through (it will see ciphertext) and faults a write; gpt faults
	 * both; the other models have nothing to check there. */
	c.check = tee_host_check(s.r.t);
	assert_int_equal(walk_translate(&c, &req, &res), 0);
	if (s.r.model == TEE_GPT) {
		assert_int_equal(res.fault.kind, WALK_CHECK_FAULT);
		assert_int_equal(res.fault.error_code, TEE_FAULT_GPF);
	} else {
		assert_int_equal(res.fault.kind, WALK_OK);
	}
	req.kind = XLAT_WRITE;
	assert_int_equal(walk_translate(&c, &req, &res), 0);
	if (s.r.model == TEE_GPT || s.r.model == TEE_RMP) {
		assert_int_equal(res.fault.kind, WALK_CHECK_FAULT);
		assert_int_equal(res.fault.error_code, s.r.model == TEE_GPT ? TEE_FAULT_GPF : TEE_FAULT_RMP);
	} else {
		assert_int_equal(res.fault.kind, WALK_OK);
	}
	/* Without the check, or where the translation exists, the accesses
	 * through it are the hypervisor's, and its view treats them as such. */
	rc = phys_read(s.host, mapped, seen, sizeof seen);
	if (rc == 0)
		for (unsigned i = 0; i < sizeof seen; i += 8)
			assert_memory_not_equal(seen + i, s.orig + i, 8);
	else
		assert_int_equal(rc, -EACCES);
	memset(evil, 0xee, sizeof evil);
	rc = phys_write(s.host, mapped, evil, sizeof evil);
	assert_true(rc == 0 ? s.r.model == TEE_TDX : rc == -EACCES);
	frame_intact(&s, s.hpa, s.orig);
	rc = guest_sees(&s, 0, s.gpa, s.orig);
	assert_int_equal(rc, s.r.model == TEE_TDX ? -EIO : 0);
	pt_destroy(&mine);
	scene_down(&s);
}

/* 7. Replay an old mapping: the page moved (legitimately), the
 * hypervisor puts back the mapping it knew. */
static void attack_replay(void **state)
{
	struct scene s;
	uint64_t pfn, old, moved;
	uint8_t now[XLAT_PAGE_SIZE];

	scene_up(&s, *(enum tee_model *)*state);
	assert_int_equal(phys_alloc(s.host, 1, 1, &pfn), 0);
	moved = pfn << 12;
	assert_int_equal(tee_relocate(s.v, s.gpa, moved, &old), 0);
	assert_int_equal(old, s.hpa);
	if (!mediated(&s))
		npt_point(&s, 0, s.gpa, moved);   /* the hypervisor follows the move */
	/* The guest does not notice the move, then writes new data. */
	assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), 0);
	memcpy(now, s.orig, sizeof now);
	now[100] ^= 0xff;
	assert_int_equal(phys_write(tee_vm_gpa_space(s.v), s.gpa, now, sizeof now), 0);
	/* The old frame came back scrubbed: nothing to replay from it. */
	uint8_t seen[XLAT_PAGE_SIZE], zero[XLAT_PAGE_SIZE] = { 0 };
	assert_int_equal(phys_read(s.host, old, seen, sizeof seen), 0);
	assert_memory_equal(seen, zero, sizeof seen);
	if (!mediated(&s)) {
		npt_point(&s, 0, s.gpa, old);
		assert_int_equal(guest_sees(&s, 0, s.gpa, now), -EACCES);   /* not assigned */
		assert_int_equal(tee_assign(s.v, s.gpa, old), 0);
		assert_int_equal(guest_sees(&s, 0, s.gpa, now), -EIO);      /* not validated */
		frame_intact(&s, moved, now);
	} else {
		write_monitor_entry(&s, s.gpa, old | 7);
		assert_int_equal(tee_assign(s.v, s.gpa, old), -EEXIST);
		assert_int_equal(guest_sees(&s, 0, s.gpa, now), 0);
		assert_int_equal(tee_release(s.v, s.gpa, NULL), 0);
		assert_int_equal(tee_assign(s.v, s.gpa, old), 0);
		assert_int_equal(guest_sees(&s, 0, s.gpa, now), -EIO);
	}
	scene_down(&s);
}

/* 8. Reach the frame through another VM. */
static void attack_other_vm(void **state)
{
	struct scene s;
	struct tee_vm *b;
	const uint64_t gb = 0x10000000;

	scene_up(&s, *(enum tee_model *)*state);
	b = s.r.vm[1].v;
	assert_int_equal(tee_assign(b, gb, s.hpa), -EBUSY);
	assert_int_equal(tee_share(b, gb, s.hpa), -EBUSY);
	if (!mediated(&s)) {
		struct pt *npt = &s.r.vm[1].npt;
		assert_int_equal(pt_map(npt, gb, s.hpa, 4096, XLAT_RWX, PT_PAGE_4K), 0);
		/* Assigned to another ASID: an RMP violation for B. */
		assert_int_equal(guest_sees(&s, 1, gb, s.orig), -EACCES);
	} else {
		uint8_t zero[XLAT_PAGE_SIZE] = { 0 };
		/* B's GPA gets a page of its own, never A's. */
		assert_int_equal(guest_sees(&s, 1, gb, zero), 0);
		assert_int_not_equal(rig_hpa(&s.r, 1, gb), s.hpa);
	}
	frame_intact(&s, s.hpa, s.orig);
	assert_int_equal(guest_sees(&s, 0, s.gpa, s.orig), 0);
	scene_down(&s);
}

/* 9. Read a frame the guest gave back (or that was taken from it). */
static void attack_released(void **state)
{
	struct scene s;
	uint8_t seen[XLAT_PAGE_SIZE], zero[XLAT_PAGE_SIZE] = { 0 };
	uint64_t back;

	scene_up(&s, *(enum tee_model *)*state);
	assert_int_equal(tee_guest_share(s.v, s.gpa), 0);   /* the guest gives it up */
	assert_int_equal(phys_read(s.host, s.hpa, seen, sizeof seen), 0);
	assert_memory_equal(seen, zero, sizeof seen);
	/* The same through a release by the hypervisor, then another VM. */
	uint64_t g2 = rig_guest_page(&s.r, 0, VA_OTHER, 0x44);
	assert_int_equal(tee_release(s.v, g2, &back), 0);
	assert_int_equal(phys_read(s.host, back, seen, sizeof seen), 0);
	assert_memory_equal(seen, zero, sizeof seen);
	if (!mediated(&s)) {
		struct pt *npt = &s.r.vm[1].npt;
		assert_int_equal(pt_map(npt, 0x10000000, back, 4096, XLAT_RWX, PT_PAGE_4K), 0);
	}
	assert_int_equal(tee_assign(s.r.vm[1].v, 0x10000000, back), 0);
	assert_int_equal(guest_sees(&s, 1, 0x10000000, zero), 0);
	scene_down(&s);
}

/* 10. The same remaps, seen by the guest's next access through the mmu:
 * the walk (and the model's check beside it) refuses or the guest detects,
 * and no translation ever ends at the hypervisor's frame. */
static void attack_remap_mmu(void **state)
{
	enum tee_model model = *(enum tee_model *)*state;
	struct tee_config tc;
	struct mmu_config mc;
	struct tee_cvm_config cc = {
		.guest_ram = 1ULL << 30, .guest_pa_bits = 40, .vpid = 1,
		.guest = { .fmt = &fmt_x86_4, .policy = OS_PAGE_4K, .pcid = true },
	};
	const xlat_va va = 0x10000000, va2 = 0x10001000;
	struct tee *t;
	struct mmu *m;
	struct tee_cvm *c;
	struct tee_vm *v;
	struct pt_leaf leaf;
	xlat_pa pa, pa2, evil;
	uint64_t gpa, gpa2, pfn, dropped;

	tee_config_init(&tc, model);
	assert_non_null(t = tee_create(&tc));
	test_mmu_config(&mc, 16, 0);
	mc.ntlb_enabled = true;
	assert_non_null(m = mmu_create(&mc, tee_machine(t)));
	assert_non_null(c = tee_cvm_create(t, &cc));
	assert_int_equal(tee_cvm_attach(c, m), 0);
	v = tee_cvm_vm(c);
	assert_int_equal(xlate(m, va, XLAT_WRITE, &pa), 0);
	assert_int_equal(xlate(m, va2, XLAT_WRITE, &pa2), 0);
	assert_int_equal(pt_lookup(os_pt(tee_cvm_guest(c)), va, &leaf), 0);
	gpa = leaf.pa;
	assert_int_equal(pt_lookup(os_pt(tee_cvm_guest(c)), va2, &leaf), 0);
	gpa2 = leaf.pa;
	assert_int_equal(phys_alloc(tee_host_space(t), 1, 1, &pfn), 0);
	evil = pfn << 12;

	/* Swap the two pages (rmp: in the NPT; the others: through the
	 * monitor, the only way), remap the first to the hypervisor's frame. */
	if (model == TEE_RMP) {
		struct pt *npt = tee_cvm_npt(c);
		assert_int_equal(pt_unmap(npt, gpa, 4096), 0);
		assert_int_equal(pt_unmap(npt, gpa2, 4096), 0);
		assert_int_equal(pt_map(npt, gpa, pa2 & ~4095ULL, 4096, XLAT_RWX, PT_PAGE_4K), 0);
		assert_int_equal(pt_map(npt, gpa2, pa & ~4095ULL, 4096, XLAT_RWX, PT_PAGE_4K), 0);
	} else {
		assert_int_equal(tee_release(v, gpa, NULL), 0);
		assert_int_equal(tee_release(v, gpa2, NULL), 0);
		assert_int_equal(tee_assign(v, gpa, pa2 & ~4095ULL), 0);
		assert_int_equal(tee_assign(v, gpa2, pa & ~4095ULL), 0);
	}
	mmu_flush_all(m);
	dropped = mmu_get_stats(m)->unresolved;
	assert_int_equal(xlate(m, va, XLAT_READ, &pa), 1);
	assert_int_equal(xlate(m, va2, XLAT_READ, &pa2), 1);
	assert_int_equal(mmu_get_stats(m)->unresolved, dropped + 2);
	if (model == TEE_RMP) {
		/* RMP violations: each frame is validated at the other GPA. */
		assert_int_equal(tee_get_stats(t)->check_faults[TEE_FAULT_RMP], 2);
		/* Now the hypervisor's own frame, handed to the guest there. */
		struct pt *npt = tee_cvm_npt(c);
		assert_int_equal(pt_unmap(npt, gpa, 4096), 0);
		assert_int_equal(pt_map(npt, gpa, evil, 4096, XLAT_RWX, PT_PAGE_4K), 0);
		assert_int_equal(tee_assign(v, gpa, evil), 0);
		mmu_flush_all(m);
		assert_int_equal(xlate(m, va, XLAT_READ, &pa), 1);
	}
	/* Detected: the guest had accepted these GPAs. */
	assert_true(tee_get_stats(t)->integrity_faults >= (model == TEE_RMP ? 1u : 2u));
	assert_true(tee_cvm_get_stats(c)->dropped >= 2);

	tee_cvm_destroy(c);
	mmu_destroy(m);
	tee_destroy(t);
}

/* ---- the table of attacks x models ------------------------------------------------------ */

static enum tee_model models[TEE_MODEL_COUNT] = { TEE_FOLD, TEE_STAGE3, TEE_RMP, TEE_GPT, TEE_TDX };

#define FOR_MODELS(fn)                                                         \
	cmocka_unit_test_prestate(fn, &models[0]), cmocka_unit_test_prestate(fn, &models[1]), \
	cmocka_unit_test_prestate(fn, &models[2]), cmocka_unit_test_prestate(fn, &models[3]), \
	cmocka_unit_test_prestate(fn, &models[4])

int main(void)
{
	const struct CMUnitTest tests[] = {
		FOR_MODELS(attack_direct_read),
		FOR_MODELS(attack_direct_write),
		FOR_MODELS(attack_ept_remap),
		FOR_MODELS(attack_frame_swap),
		FOR_MODELS(attack_double_map),
		FOR_MODELS(attack_own_space),
		FOR_MODELS(attack_replay),
		FOR_MODELS(attack_other_vm),
		FOR_MODELS(attack_released),
		FOR_MODELS(attack_remap_mmu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
