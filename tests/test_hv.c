/* The hypervisor: nested walks cost (Lg+1)(Lh+1)-1 references, EPT faults go
 * to the hypervisor and guest faults to the guest, and shadow tables stay
 * equivalent to guest-table o GPA-map after every guest operation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "xlat/hv.h"
#include "xlat/mmu.h"
#include "xlat/phys.h"

struct rig {
	struct phys *host;
	struct mmu *mmu;
	struct vm *vm;
};

static void rig_up(struct rig *r, enum hv_mode mode, bool unsync, unsigned tlb_entries)
{
	struct mmu_config mc;
	test_mmu_config(&mc, tlb_entries, 0);
	struct vm_config vc = {
		.mode = mode, .ept_levels = 4, .host_policy = OS_PAGE_4K,
		.guest_ram = 1ULL << 30, .guest_pa_bits = 40, .vpid = 1,
		.unsync = unsync, .exit_cycles = 2000, .host_fault_cycles = 500,
		.guest = { .fmt = &fmt_x86_4, .policy = OS_PAGE_4K, .fault_cycles = 1000, .pcid = true },
	};
	r->host = phys_create(46, 0);
	assert_non_null(r->host);
	r->mmu = mmu_create(&mc, r->host);
	assert_non_null(r->mmu);
	r->vm = vm_create(r->host, &vc);
	assert_non_null(r->vm);
	assert_int_equal(vm_attach(r->vm, r->mmu), 0);
}

static void rig_down(struct rig *r)
{
	vm_destroy(r->vm);
	mmu_destroy(r->mmu);
	struct phys_stats ps;
	phys_get_stats(r->host, &ps);
	assert_int_equal(ps.allocated_frames, 0);
	phys_destroy(r->host);
}

static void rec(struct rig *r, unsigned kind, uint64_t va, uint32_t size, uint8_t flags, uint16_t asid)
{
	struct xlat_access a = { .va = va, .size = size, .kind = (uint8_t)kind, .flags = flags, .asid = asid };
	assert_int_equal(mmu_run(r->mmu, &a, 1), 0);
}

/* After the first touch, a TLB miss to a mapped page is a full 2D walk. */
static void test_nested_walk_is_24_refs(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, HV_NESTED, false, 1);
	for (unsigned i = 0; i < 4; i++)
		rec(&r, XLAT_WRITE, 0x40000000 + i * 4096ull, 8, 0, 0);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	uint64_t walks = st->walks, refs = st->walk_refs;
	for (unsigned i = 0; i < 4; i++)   /* 1-entry TLB: each misses */
		rec(&r, XLAT_READ, 0x40000000 + i * 4096ull, 8, 0, 0);
	assert_int_equal(st->walks - walks, 4);
	assert_int_equal(st->walk_refs - refs, 4 * 24);
	/* Guest faults were handled by the guest; EPT violations by the host. */
	assert_true(vm_get_stats(r.vm)->exits[VM_EXIT_EPT_VIOLATION] > 0);
	assert_int_equal(os_get_stats(vm_guest(r.vm))->faults, 4);
	rig_down(&r);
}

/* Shadow walks cost the native 4 references. */
static void test_shadow_walk_is_4_refs(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, HV_SHADOW, false, 1);
	for (unsigned i = 0; i < 4; i++)
		rec(&r, XLAT_WRITE, 0x40000000 + i * 4096ull, 8, 0, 0);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	uint64_t walks = st->walks, refs = st->walk_refs;
	for (unsigned i = 0; i < 4; i++)
		rec(&r, XLAT_READ, 0x40000000 + i * 4096ull, 8, 0, 0);
	assert_int_equal(st->walks - walks, 4);
	assert_int_equal(st->walk_refs - refs, 16);
	const struct vm_stats *vs = vm_get_stats(r.vm);
	assert_true(vs->exits[VM_EXIT_SHADOW_PF] >= 8);   /* inject + fill per first touch */
	assert_int_equal(vs->injected_pf, 4);
	assert_true(vs->exits[VM_EXIT_PT_WRITE] > 0);     /* the guest wrote shadowed tables */
	/* The hypervisor set the guest's A and D bits. */
	struct pt_leaf leaf;
	assert_int_equal(pt_lookup(os_pt(vm_guest(r.vm)), 0x40000000, &leaf), 0);
	assert_true(leaf.accessed);
	assert_true(leaf.dirty);
	rig_down(&r);
}

/* Every GVA translates, through the mode's own mechanism, to what guest
 * table o GPA map says, mapped or not: the mode's translation (which may
 * fault and have the guest demand-map the page) comes first, and the
 * reference is taken after it. A mode that still translates a page the
 * guest unmapped (a stale shadow entry or TLB entry) gives an address where
 * the reference has none; one that faults on a mapped page is caught too. */
static void check_equivalence(struct rig *r, const uint64_t *vas, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hpa_t want = 0;
		xlat_pa got = 0;
		int trc = mmu_translate(r->mmu, vas[i], XLAT_READ, false, &got);
		assert_true(trc >= 0);
		int rc = vm_reference_translate(r->vm, vas[i], &want);
		if ((trc == 0) != (rc == 0) || (trc == 0 && got != want))
			fail_msg("va %#llx: mode translation %#llx (rc %d), reference %#llx (rc %d)",
				 (unsigned long long)vas[i], (unsigned long long)got, trc,
				 (unsigned long long)want, rc);
	}
}

static void property_run(enum hv_mode mode, bool unsync, uint64_t seed)
{
	struct rig r;
	enum { NPAGES = 96 };
	uint64_t vas[NPAGES];
	rig_up(&r, mode, unsync, 8);
	for (unsigned i = 0; i < NPAGES; i++)   /* three 2 MiB-apart clusters, two processes */
		vas[i] = 0x40000000ull + (i % 3) * 0x200000ull + (i / 3) * 4096ull + 0x18;
	for (unsigned step = 0; step < 400; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned op = (unsigned)(seed >> 60) % 8, k = (unsigned)(seed >> 33) % NPAGES;
		uint64_t page = vas[k] & ~4095ull;
		uint16_t asid = (uint16_t)os_current_asid(vm_guest(r.vm));
		switch (op) {
		case 0: case 1: case 2:     /* touch: demand-map */
			rec(&r, op == 0 ? XLAT_WRITE : XLAT_READ, vas[k], 8, 0, asid);
			break;
		case 3:                      /* unmap a few pages */
			rec(&r, XLAT_EV_UNMAP, page, 1 + (unsigned)(seed >> 8) % 3, 0, asid);
			rec(&r, XLAT_EV_MAP, page, 1 + (unsigned)(seed >> 8) % 3, XLAT_ACC_WRITABLE, asid);
			break;
		case 4:                      /* protect read-only, then writable again */
			rec(&r, XLAT_EV_PROTECT, page, 2, 0, asid);
			check_equivalence(&r, vas, NPAGES);
			rec(&r, XLAT_EV_PROTECT, page, 2, XLAT_ACC_WRITABLE, asid);
			break;
		case 5:                      /* CR3 switch to the other process */
			rec(&r, XLAT_EV_SWITCH, 0, 0, 0, asid ? 0 : 1);
			break;
		default:                     /* write through */
			rec(&r, XLAT_WRITE, vas[k], 4, 0, asid);
			break;
		}
		check_equivalence(&r, vas, NPAGES);
	}
	rig_down(&r);
}

static void test_shadow_equivalence(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++)
		property_run(HV_SHADOW, false, seed);
}

static void test_shadow_unsync_equivalence(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++)
		property_run(HV_SHADOW, true, seed);
}

static void test_nested_equivalence(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		property_run(HV_NESTED, false, seed);
}

/* Unsync trades PT-write exits for resyncs at flushes. */
static void test_unsync_exits_fewer(void **state)
{
	uint64_t exits[2];
	(void)state;
	for (int u = 0; u < 2; u++) {
		struct rig r;
		rig_up(&r, HV_SHADOW, u, 64);
		for (unsigned round = 0; round < 8; round++) {
			rec(&r, XLAT_EV_MAP, 0x40000000, 64, XLAT_ACC_WRITABLE, 0);
			for (unsigned i = 0; i < 64; i++)
				rec(&r, XLAT_WRITE, 0x40000000 + i * 4096ull, 8, 0, 0);
			rec(&r, XLAT_EV_UNMAP, 0x40000000, 64, 0, 0);
		}
		exits[u] = vm_get_stats(r.vm)->exits[VM_EXIT_PT_WRITE];
		rig_down(&r);
	}
	assert_true(exits[1] < exits[0]);
}

/* INVEPT (mmu_flush_nested) drops the nested TLB and the combined
 * translations: the next access to a page misses the TLB and walks all 24
 * references, every inner translation missing the nested TLB; flushing the
 * TLB alone leaves the nested TLB to answer them (4 references). */
static void test_flush_nested(void **state)
{
	struct mmu_config mc;
	struct rig r;
	(void)state;

	test_mmu_config(&mc, 16, 0);
	mc.ntlb_enabled = true;
	struct vm_config vc = {
		.mode = HV_NESTED, .ept_levels = 4, .host_policy = OS_PAGE_4K,
		.guest_ram = 1ULL << 30, .guest_pa_bits = 40, .vpid = 1,
		.exit_cycles = 2000, .host_fault_cycles = 500,
		.guest = { .fmt = &fmt_x86_4, .policy = OS_PAGE_4K, .fault_cycles = 1000, .pcid = true },
	};
	r.host = phys_create(46, 0);
	r.mmu = mmu_create(&mc, r.host);
	assert_non_null(r.mmu);
	r.vm = vm_create(r.host, &vc);
	assert_non_null(r.vm);
	assert_int_equal(vm_attach(r.vm, r.mmu), 0);
	rec(&r, XLAT_WRITE, 0x40000000, 8, 0, 0);

	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	const struct walk_stats *ws = &mmu_chain(r.mmu)->stats;
	uint64_t misses = st->tlb_misses, refs = st->walk_refs, nm = ws->ntlb_misses;
	rec(&r, XLAT_READ, 0x40000000, 8, 0, 0);
	assert_int_equal(st->tlb_misses, misses);               /* a TLB hit */

	mmu_flush_tag(r.mmu, mmu_tag(r.mmu), false);
	rec(&r, XLAT_READ, 0x40000000, 8, 0, 0);
	assert_int_equal(st->tlb_misses, misses + 1);
	assert_int_equal(st->walk_refs - refs, 4);              /* EPT answered by the nested TLB */
	assert_int_equal(ws->ntlb_misses, nm);

	refs = st->walk_refs;
	mmu_flush_nested(r.mmu);
	rec(&r, XLAT_READ, 0x40000000, 8, 0, 0);
	assert_int_equal(st->tlb_misses, misses + 2);           /* combined entries went too */
	assert_int_equal(st->walk_refs - refs, 24);
	assert_int_equal(ws->ntlb_misses - nm, 5);              /* 4 guest entries + the data */
	rig_down(&r);
}

/* Dirty logging with EPT A/D: the guest's write sets the EPT D bit of its
 * GPA; vm_clear_dirty reports it, and after the INVEPT it implies the next
 * write sets it again. Shadow mode and nested without A/D refuse. */
static int saw_gpa(const struct pt_leaf *leaf, void *priv)
{
	uint64_t *pages = priv;

	*pages += 1ULL << (leaf->shift - 12);
	return 0;
}

static void test_vm_clear_dirty(void **state)
{
	struct mmu_config mc;
	struct rig r;
	struct pt_leaf g, h;
	uint64_t pages = 0;
	(void)state;

	test_mmu_config(&mc, 16, 0);
	struct vm_config vc = {
		.mode = HV_NESTED, .ept_levels = 4, .host_policy = OS_PAGE_4K,
		.guest_ram = 1ULL << 30, .guest_pa_bits = 40, .vpid = 1, .ept_ad = true,
		.exit_cycles = 2000, .host_fault_cycles = 500,
		.guest = { .fmt = &fmt_x86_4, .policy = OS_PAGE_4K, .fault_cycles = 1000, .pcid = true },
	};
	r.host = phys_create(46, 0);
	r.mmu = mmu_create(&mc, r.host);
	r.vm = vm_create(r.host, &vc);
	assert_non_null(r.vm);
	assert_int_equal(vm_attach(r.vm, r.mmu), 0);
	rec(&r, XLAT_WRITE, 0x40000000, 8, 0, 0);
	assert_int_equal(pt_lookup(os_pt(vm_guest(r.vm)), 0x40000000, &g), 0);
	assert_int_equal(pt_lookup(vm_gpa_map(r.vm), g.pa, &h), 0);
	assert_true(h.dirty);

	int64_t n = vm_clear_dirty(r.vm, 0, vc.guest_ram, saw_gpa, &pages);
	assert_true(n >= 1);                         /* the data page, and the tables the walk wrote */
	assert_int_equal(pages, (uint64_t)n);        /* 4 KiB host pages */
	assert_int_equal(pt_lookup(vm_gpa_map(r.vm), g.pa, &h), 0);
	assert_false(h.dirty);
	rec(&r, XLAT_WRITE, 0x40000000, 8, 0, 0);
	assert_int_equal(pt_lookup(vm_gpa_map(r.vm), g.pa, &h), 0);
	assert_true(h.dirty);
	rig_down(&r);

	rig_up(&r, HV_NESTED, false, 16);            /* no EPT A/D */
	assert_int_equal(vm_clear_dirty(r.vm, 0, 1ULL << 30, NULL, NULL), -EINVAL);
	rig_down(&r);
	rig_up(&r, HV_SHADOW, false, 16);
	assert_int_equal(vm_clear_dirty(r.vm, 0, 1ULL << 30, NULL, NULL), -EINVAL);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_walk_is_24_refs),
		cmocka_unit_test(test_shadow_walk_is_4_refs),
		cmocka_unit_test(test_shadow_equivalence),
		cmocka_unit_test(test_shadow_unsync_equivalence),
		cmocka_unit_test(test_nested_equivalence),
		cmocka_unit_test(test_unsync_exits_fewer),
		cmocka_unit_test(test_flush_nested),
		cmocka_unit_test(test_vm_clear_dirty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
