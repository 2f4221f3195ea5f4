/* The secure monitor: ownership records and the calls that change them,
 * the hypervisor's view under each model, the checks' reads, and the
 * reference counts of secure walks caches off (docs/tee.md). */
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
#include "xlat/explain.h"
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

static const enum tee_model all_models[] = { TEE_FOLD, TEE_STAGE3, TEE_RMP, TEE_GPT, TEE_TDX };

static void test_model_names(void **state)
{
	enum tee_model m;

	(void)state;
	for (unsigned i = 0; i < TEE_MODEL_COUNT; i++) {
		assert_int_equal(tee_model_parse(tee_model_name((enum tee_model)i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_int_equal(tee_model_parse("sgx", &m), -EINVAL);
	assert_non_null(strstr(xlat_error(), "sgx"));
}

static void test_bad_configs(void **state)
{
	struct tee_config tc;

	(void)state;
	tee_config_init(&tc, TEE_FOLD);
	tc.host_levels = 5;   /* 6 levels: no format has them */
	assert_null(tee_create(&tc));
	assert_non_null(strstr(xlat_error(), "fold"));
	tee_config_init(&tc, TEE_STAGE3);
	tc.monitor_levels = 3;
	assert_null(tee_create(&tc));
	tee_config_init(&tc, TEE_RMP);
	tc.pa_bits = 60;
	assert_null(tee_create(&tc));
	tee_config_init(&tc, TEE_TDX);
	tc.hv_bytes = (1ULL << 46) - (1ULL << 30);   /* leaves the monitor less than a quarter */
	assert_null(tee_create(&tc));
	tc.hv_bytes = 12345;
	assert_null(tee_create(&tc));
}

/* The records follow every call, in every model; a released frame comes
 * back scrubbed and free. */
static void test_record_life(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		struct rig r;
		struct tee_record rec;
		uint64_t gpa, hpa, back;
		uint8_t buf[64];

		assert_int_equal(rig_up(&r, all_models[k]), 0);
		gpa = rig_guest_page(&r, 0, 0x400000, 0xa5);
		assert_true(gpa != 0);
		hpa = rig_hpa(&r, 0, gpa);
		assert_true(hpa != 0);
		assert_int_equal(tee_record(r.t, hpa >> 12, &rec), 0);
		assert_int_equal(rec.state, TEE_VALIDATED);
		assert_int_equal(rec.owner, tee_vm_id(r.vm[0].v));
		assert_int_equal(rec.gpa, gpa);
		assert_false(rec.poisoned);
		/* The frame holds the guest's bytes (the monitor sees them). */
		assert_int_equal(tee_monitor_read(r.t, hpa + 64, buf, sizeof buf), 0);
		assert_int_equal(buf[0], 0xa5 ^ 1);
		assert_int_equal(buf[1], 0xa5);

		assert_int_equal(tee_release(r.vm[0].v, gpa, &back), 0);
		assert_int_equal(back, hpa);
		assert_int_equal(tee_record(r.t, hpa >> 12, &rec), 0);
		assert_int_equal(rec.state, TEE_FREE);
		assert_int_equal(rec.owner, 0);
		/* Scrubbed: the hypervisor reads zeros, in every model. */
		assert_int_equal(phys_read(tee_host_space(r.t), hpa, buf, sizeof buf), 0);
		for (unsigned i = 0; i < sizeof buf; i++)
			assert_int_equal(buf[i], 0);
		assert_true(tee_get_stats(r.t)->scrubbed >= 1);
		/* Monitor memory is the monitor's. */
		assert_int_equal(tee_record(r.t, (1ULL << 45) >> 12, &rec), 0);
		assert_int_equal(rec.state, TEE_MONITOR);
		assert_int_equal(tee_record(r.t, 1ULL << 40, &rec), -EINVAL);
		rig_down(&r);
	}
}

/* The monitor refuses what would break one-frame-one-page. */
static void test_monitor_refusals(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		struct rig r;
		uint64_t gpa, hpa, pfn, before;
		struct tee_vm *v;

		assert_int_equal(rig_up(&r, all_models[k]), 0);
		v = r.vm[0].v;
		gpa = rig_guest_page(&r, 0, 0x400000, 0x11);
		hpa = rig_hpa(&r, 0, gpa);
		before = tee_get_stats(r.t)->refused;
		/* A frame that is not free cannot be assigned or shared again. */
		assert_int_equal(tee_assign(v, 0x20000000, hpa), -EBUSY);
		assert_int_equal(tee_share(v, 0x20000000, hpa), -EBUSY);
		assert_int_equal(phys_alloc(tee_host_space(r.t), 1, 1, &pfn), 0);
		if (all_models[k] != TEE_RMP) {
			/* A mapped GPA takes no second frame. */
			assert_int_equal(tee_assign(v, gpa, pfn << 12), -EEXIST);
			assert_int_equal(tee_share(v, gpa, pfn << 12), -EEXIST);
		}
		/* Monitor memory is not the hypervisor's to give. */
		assert_int_equal(tee_assign(v, 0x20000000, 1ULL << 45), -EINVAL);
		/* Nothing to release there. */
		assert_int_equal(tee_release(v, 0x30000000, NULL), -ENOENT);
		assert_true(tee_get_stats(r.t)->refused > before);
		/* Validating twice, or what is not there, fails. */
		assert_int_equal(tee_validate(v, gpa), -EALREADY);
		assert_int_equal(tee_validate(v, 0x30000000), -ENOENT);
		rig_down(&r);
	}
}

/* What the hypervisor sees when it reads a guest frame, per model. */
static void test_host_view(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		struct rig r;
		uint64_t gpa, hpa, w = 0;
		uint8_t plain[XLAT_PAGE_SIZE], seen[XLAT_PAGE_SIZE];
		struct phys *h;
		int rc;

		assert_int_equal(rig_up(&r, all_models[k]), 0);
		h = tee_host_space(r.t);
		gpa = rig_guest_page(&r, 0, 0x400000, 0x3c);
		hpa = rig_hpa(&r, 0, gpa);
		assert_int_equal(tee_monitor_read(r.t, hpa, plain, sizeof plain), 0);
		rc = phys_read(h, hpa, seen, sizeof seen);
		switch (all_models[k]) {
		case TEE_RMP:       /* ciphertext, every word of it */
			assert_int_equal(rc, 0);
			for (unsigned i = 0; i < sizeof seen; i += 8)
				assert_memory_not_equal(seen + i, plain + i, 8);
			assert_true(tee_get_stats(r.t)->host_ciphertext > 0);
			break;
		case TEE_TDX:       /* zeros */
			assert_int_equal(rc, 0);
			for (unsigned i = 0; i < sizeof seen; i++)
				assert_int_equal(seen[i], 0);
			assert_true(tee_get_stats(r.t)->host_zeros > 0);
			break;
		default:            /* a fault */
			assert_int_equal(rc, -EACCES);
			assert_true(tee_get_stats(r.t)->host_denied > 0);
		}
		/* Its own memory is its own; monitor memory never is. */
		assert_int_equal(phys_write64(h, 0x10000, 42), 0);
		assert_int_equal(phys_read64(h, 0x10000, &w), 0);
		assert_int_equal(w, 42);
		assert_int_equal(phys_read64(h, 1ULL << 45, &w), -EACCES);
		assert_int_equal(phys_read64(h, tee_record_addr(r.t, 0), &w), -EACCES);
		rig_down(&r);
	}
}

/* Shared pages are accessible to both sides. */
static void test_shared_page(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		struct rig r;
		struct tee_vm *v;
		struct phys *g, *h;
		struct tee_record rec;
		const uint64_t gpa = 0x8000000;
		uint64_t w = 0, hpa;

		assert_int_equal(rig_up(&r, all_models[k]), 0);
		v = r.vm[0].v;
		g = tee_vm_gpa_space(v);
		h = tee_host_space(r.t);
		assert_int_equal(tee_guest_share(v, gpa), 0);
		assert_true(tee_guest_is_shared(v, gpa));
		assert_int_equal(phys_write64(g, gpa + 8, 0x1234), 0);   /* backs it, shared */
		hpa = rig_hpa(&r, 0, gpa);
		assert_true(hpa != 0);
		assert_int_equal(tee_record(r.t, hpa >> 12, &rec), 0);
		assert_int_equal(rec.state, TEE_SHARED);
		assert_int_equal(rec.owner, tee_vm_id(v));
		assert_int_equal(phys_read64(h, hpa + 8, &w), 0);
		assert_int_equal(w, 0x1234);
		assert_int_equal(phys_write64(h, hpa + 16, 0x5678), 0);
		assert_int_equal(phys_read64(g, gpa + 16, &w), 0);
		assert_int_equal(w, 0x5678);
		/* A private page turned shared goes back scrubbed first. */
		uint64_t priv = rig_guest_page(&r, 0, 0x400000, 0x77);
		uint64_t phpa = rig_hpa(&r, 0, priv);
		assert_int_equal(tee_guest_share(v, priv), 0);
		assert_int_equal(tee_record(r.t, phpa >> 12, &rec), 0);
		assert_int_equal(rec.state, TEE_FREE);
		rig_down(&r);
	}
}

/* The rmp check: one RMP entry per guest-physical translation, and the
 * verdicts in the order of the hardware's checks. */
static void test_rmp_check(void **state)
{
	struct rig r;
	struct tee_ref refs[TEE_CHECK_MAX_REFS];
	unsigned n;
	uint64_t gpa, hpa, pfn;
	struct tee_access a = { .site = TEE_SITE_GPA };

	(void)state;
	assert_int_equal(rig_up(&r, TEE_RMP), 0);
	assert_int_equal(rig_vm_up(&r, 1), 0);
	gpa = rig_guest_page(&r, 0, 0x400000, 1);
	hpa = rig_hpa(&r, 0, gpa);
	a.pa = hpa + 0x10;
	a.gpa = gpa + 0x10;
	assert_int_equal(tee_check(r.t, r.vm[0].v, &a, false, refs, &n), TEE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(refs[0].kind, TEE_REF_RMP);
	assert_int_equal(refs[0].pa, tee_record_addr(r.t, hpa >> 12));
	/* Wrong GPA, wrong VM: RMP violations. */
	a.gpa = gpa + XLAT_PAGE_SIZE;
	assert_int_equal(tee_check(r.t, r.vm[0].v, &a, false, refs, &n), TEE_FAULT_RMP);
	a.gpa = gpa;
	assert_int_equal(tee_check(r.t, r.vm[1].v, &a, false, refs, &n), TEE_FAULT_RMP);
	/* A physical access that is no translation's end is not checked. */
	a.site = TEE_SITE_PHYS;
	assert_int_equal(tee_check(r.t, r.vm[1].v, &a, false, refs, &n), TEE_OK);
	assert_int_equal(n, 0);
	a.site = TEE_SITE_GPA;
	/* Assigned but not validated: #VC. */
	assert_int_equal(phys_alloc(tee_host_space(r.t), 1, 1, &pfn), 0);
	assert_int_equal(tee_assign(r.vm[0].v, 0x30000000, pfn << 12), 0);
	a.pa = pfn << 12;
	a.gpa = 0x30000000;
	assert_int_equal(tee_check(r.t, r.vm[0].v, &a, false, refs, &n), TEE_FAULT_NOT_VALIDATED);
	/* The hypervisor: reads pass (ciphertext), writes fault. */
	a.pa = hpa;
	assert_int_equal(tee_check(r.t, NULL, &a, false, refs, &n), TEE_OK);
	a.write = true;
	assert_int_equal(tee_check(r.t, NULL, &a, false, refs, &n), TEE_FAULT_RMP);
	assert_int_equal(tee_get_stats(r.t)->check_faults[TEE_FAULT_RMP], 3);
	rig_down(&r);
}

/* The gpt check reads one descriptor in a block region, two in a
 * shattered one, none when its cache holds them. */
static void test_gpt_check(void **state)
{
	struct rig r;
	struct tee_ref refs[TEE_CHECK_MAX_REFS];
	unsigned n;
	uint64_t gpa, hpa;
	struct tee_access a = { .site = TEE_SITE_PHYS };

	(void)state;
	assert_int_equal(rig_up(&r, TEE_GPT), 0);
	gpa = rig_guest_page(&r, 0, 0x400000, 2);
	hpa = rig_hpa(&r, 0, gpa);
	a.pa = hpa;
	assert_int_equal(tee_check(r.t, r.vm[0].v, &a, false, refs, &n), TEE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(refs[0].kind, TEE_REF_GPT_L0);
	assert_int_equal(refs[1].kind, TEE_REF_GPT_L1);
	assert_int_equal((refs[1].val >> (4 * ((hpa >> 12) & 15))) & 15, 0xb);   /* GPI_REALM */
	/* The normal world may not touch a realm granule. */
	assert_int_equal(tee_check(r.t, NULL, &a, false, refs, &n), TEE_FAULT_GPF);
	/* A region no granule of which changed PAS is one block descriptor. */
	a.pa = 40ULL << 30;
	assert_int_equal(tee_check(r.t, NULL, &a, false, refs, &n), TEE_OK);
	assert_int_equal(n, 1);
	/* Monitor memory is root: nobody else's. */
	a.pa = (1ULL << 45) + (5ULL << 30);
	assert_int_equal(tee_check(r.t, r.vm[0].v, &a, false, refs, &n), TEE_FAULT_GPF);
	/* The cache: a second check of the granule reads nothing. */
	a.pa = hpa;
	assert_int_equal(tee_check(r.t, r.vm[0].v, &a, true, refs, &n), TEE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(tee_check(r.t, r.vm[0].v, &a, true, refs, &n), TEE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(tee_get_stats(r.t)->gpt_cache_hits, 2);
	tee_flush_caches(r.t);
	assert_int_equal(tee_check(r.t, r.vm[0].v, &a, true, refs, &n), TEE_OK);
	assert_int_equal(n, 2);
	rig_down(&r);
}

/* One walk of the chain the hardware walks, caches off: the reference
 * count and the machine address it ends at. */
static void walk_count(enum tee_model model, unsigned gl, unsigned hl, unsigned ml, unsigned want)
{
	struct rig r;
	struct walk_chain c;
	struct walk_result res = { 0 };
	struct walk_req req = { .va = 0x7f0000123000ULL + 0x45, .kind = XLAT_READ };
	uint64_t gpa, hpa;

	assert_int_equal(rig_up_levels(&r, model, gl, hl, ml), 0);
	assert_int_equal(rig_vm_up(&r, 0), 0);
	gpa = rig_guest_page(&r, 0, xlat_align_down(req.va, XLAT_PAGE_SIZE), 9);
	assert_true(gpa != 0);
	hpa = rig_hpa(&r, 0, gpa);
	rig_chain(&r, 0, &c);
	assert_int_equal(walk_translate(&c, &req, &res), 0);
	assert_int_equal(res.fault.kind, WALK_OK);
	assert_int_equal(res.pa, hpa + 0x45);
	if (res.refs != want)
		fail_msg("%s %u+%u(+%u): %u refs, want %u", tee_model_name(model), gl, hl, ml, res.refs, want);
	rig_down(&r);
}

static void test_walk_counts(void **state)
{
	(void)state;
	/* fold: the monitor's level on top of a 4-level host: (g+1)(4+2)-1. */
	walk_count(TEE_FOLD, 4, 4, 4, 29);
	walk_count(TEE_FOLD, 5, 4, 4, 35);
	/* stage3: (g+1)(h+1)(m+1)-1. */
	walk_count(TEE_STAGE3, 4, 4, 4, 124);
	walk_count(TEE_STAGE3, 5, 4, 4, 149);
	walk_count(TEE_STAGE3, 4, 5, 4, 149);
	walk_count(TEE_STAGE3, 4, 4, 5, 149);
	walk_count(TEE_STAGE3, 5, 5, 5, 215);
	/* tdx: the secure EPT is the host dimension: (g+1)(h+1)-1. */
	walk_count(TEE_TDX, 4, 4, 4, 24);
	walk_count(TEE_TDX, 4, 5, 4, 29);
	walk_count(TEE_TDX, 5, 5, 4, 35);
}

/* The monitor's tables are in monitor memory; under stage3 the VM's third
 * stage maps exactly what its walks need. */
static void test_monitor_tables(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		struct rig r;
		struct pt *host, *s3;

		assert_int_equal(rig_up(&r, all_models[k]), 0);
		host = tee_vm_host_table(r.vm[0].v);
		s3 = tee_vm_stage3(r.vm[0].v);
		if (all_models[k] == TEE_RMP)
			assert_true(host->root < (1ULL << 45));     /* the hypervisor's NPT */
		else
			assert_true(host->root >= (1ULL << 45));    /* the monitor's */
		if (all_models[k] == TEE_FOLD)
			assert_int_equal(host->fmt->levels, 5);
		assert_true((s3 != NULL) == (all_models[k] == TEE_STAGE3));
		if (s3) {
			uint64_t gpa = rig_guest_page(&r, 0, 0x400000, 3);
			assert_true(s3->root >= (1ULL << 45));
			assert_true(pt_range_mapped(s3, host->root, host->root + 4096));
			assert_true(pt_range_mapped(s3, rig_hpa(&r, 0, gpa), rig_hpa(&r, 0, gpa) + 4096));
			assert_false(pt_range_mapped(s3, 0x10000, 0x11000));
		}
		rig_down(&r);
	}
}

/* Migration through the monitors: genuine pages move; a tampered, replayed
 * or withheld page, or a forged token, is refused. */
static void test_migration(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		struct rig src, dst;
		struct tee_mig *ex, *im;
		struct tee_mig_token tok;
		struct tee_blob *b1 = malloc(sizeof *b1), *b2 = malloc(sizeof *b2), *b3 = malloc(sizeof *b3);
		uint8_t plain[XLAT_PAGE_SIZE], got[XLAT_PAGE_SIZE];
		uint64_t g1, g2, pfn[4], old;
		struct phys *dh;
		enum tee_model m = all_models[k];

		assert_non_null(b1);
		assert_non_null(b2);
		assert_non_null(b3);
		assert_int_equal(rig_up(&src, m), 0);
		assert_int_equal(rig_up_levels(&dst, m, 4, 4, 4), 0);
		/* The destination VM, without a guest page table: it comes in
		 * the guest's memory. */
		struct tee_vm_config vc = { .guest_pa_bits = RIG_GUEST_BITS, .guest_ram = RIG_GUEST_RAM,
					    .hv = { rig_back, rig_flush, &dst } };
		if (m == TEE_RMP) {
			assert_int_equal(pt_init(&dst.vm[0].npt, tee_host_space(dst.t), &fmt_ept_4, 46), 0);
			dst.vm[0].npt_up = true;
			vc.npt = &dst.vm[0].npt;
		}
		dst.vm[0].v = tee_vm_create(dst.t, &vc);
		assert_non_null(dst.vm[0].v);
		dh = tee_host_space(dst.t);

		g1 = rig_guest_page(&src, 0, 0x400000, 0x61);
		g2 = rig_guest_page(&src, 0, 0x401000, 0x62);
		ex = tee_mig_export_begin(src.vm[0].v, 0xfeed);
		im = tee_mig_import_begin(dst.vm[0].v, 0xfeed);
		assert_non_null(ex);
		assert_non_null(im);
		assert_int_equal(tee_mig_export(ex, g1, b1), 0);
		assert_int_equal(tee_mig_export(ex, 0x3000000, b3), -ENOENT);   /* nothing there */
		/* The hypervisor carries ciphertext. */
		assert_int_equal(tee_monitor_read(src.t, rig_hpa(&src, 0, g1), plain, sizeof plain), 0);
		for (unsigned i = 0; i < sizeof plain; i += 8)
			assert_memory_not_equal(b1->data + i, plain + i, 8);
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(phys_alloc(dh, 1, 1, &pfn[i]), 0);
		/* Tampered: refused. */
		memcpy(b3, b1, sizeof *b3);
		b3->data[7] ^= 1;
		assert_int_equal(tee_mig_import(im, b3, pfn[0] << 12, &old), -EBADMSG);
		memcpy(b3, b1, sizeof *b3);
		b3->gpa = g2;   /* moved to another GPA */
		assert_int_equal(tee_mig_import(im, b3, pfn[0] << 12, &old), -EBADMSG);
		assert_int_equal(tee_mig_import(im, b1, pfn[0] << 12, &old), 0);
		assert_int_equal(old, 0);
		/* Pre-copy: the guest writes g1 again, a second round sends it. */
		assert_int_equal(phys_write64(tee_vm_gpa_space(src.vm[0].v), g1 + 8, 0xabcdef), 0);
		assert_int_equal(tee_mig_export(ex, g1, b3), 0);
		assert_int_equal(tee_mig_export(ex, g2, b2), 0);
		assert_int_equal(tee_mig_import(im, b2, pfn[1] << 12, &old), 0);
		/* Withholding the newer copy of g1: the commit notices. */
		tee_mig_export_end(ex, &tok);
		assert_int_equal(tok.pages, 2);
		assert_int_equal(tee_mig_import_commit(im, &tok), -ESTALE);
		assert_int_equal(tee_mig_import(im, b3, pfn[2] << 12, &old), 0);
		assert_int_equal(old, pfn[0] << 12);     /* the older copy went back, scrubbed */
		assert_int_equal(phys_read(dh, old, got, 64), 0);
		for (unsigned i = 0; i < 64; i++)
			assert_int_equal(got[i], 0);
		/* Replaying the older copy afterwards: refused. */
		assert_int_equal(tee_mig_import(im, b1, pfn[3] << 12, &old), -ESTALE);
		/* A forged token: refused; the genuine one commits. */
		struct tee_mig_token forged = tok;
		forged.pages = 1;
		assert_int_equal(tee_mig_import_commit(im, &forged), -EBADMSG);
		assert_int_equal(tee_mig_import_commit(im, &tok), 0);
		/* The destination guest reads exactly the source's bytes. */
		if (m == TEE_RMP) {
			assert_int_equal(pt_map(&dst.vm[0].npt, g1, pfn[2] << 12, 4096, XLAT_RWX, PT_PAGE_4K), 0);
			assert_int_equal(pt_map(&dst.vm[0].npt, g2, pfn[1] << 12, 4096, XLAT_RWX, PT_PAGE_4K), 0);
		}
		assert_int_equal(phys_read(tee_vm_gpa_space(src.vm[0].v), g1, plain, sizeof plain), 0);
		assert_int_equal(phys_read(tee_vm_gpa_space(dst.vm[0].v), g1, got, sizeof got), 0);
		assert_memory_equal(got, plain, sizeof got);
		assert_int_equal(phys_read(tee_vm_gpa_space(src.vm[0].v), g2, plain, sizeof plain), 0);
		assert_int_equal(phys_read(tee_vm_gpa_space(dst.vm[0].v), g2, got, sizeof got), 0);
		assert_memory_equal(got, plain, sizeof got);
		/* The hypervisor at the destination sees no more than at the source. */
		if (m != TEE_RMP && m != TEE_TDX)
			assert_int_equal(phys_read(dh, pfn[2] << 12, got, 64), -EACCES);
		tee_mig_free(ex);
		tee_mig_free(im);
		free(b1);
		free(b2);
		free(b3);
		rig_down(&src);
		rig_down(&dst);
	}
}

/* A confidential VM run on the mmu: every access resolves (backed by the
 * hypervisor, accepted by the guest), translations land on the frames the
 * monitor's records give the guest, and a TLB miss to a mapped page walks
 * the model's count (caches off). */
struct cvm_rig {
	struct tee *t;
	struct mmu *mmu;
	struct tee_cvm *c;
};

static void cvm_up(struct cvm_rig *r, enum tee_model model, unsigned tlb_entries)
{
	struct tee_config tc;
	struct mmu_config mc;
	struct tee_cvm_config cc = {
		.guest_ram = 1ULL << 30, .guest_pa_bits = 40, .vpid = 1,
		.guest = { .fmt = &fmt_x86_4, .policy = OS_PAGE_4K, .pcid = true },
	};

	tee_config_init(&tc, model);
	tc.gpt_cache = 0;   /* caches off, all of them */
	r->t = tee_create(&tc);
	assert_non_null(r->t);
	test_mmu_config(&mc, tlb_entries, 0);
	r->mmu = mmu_create(&mc, tee_machine(r->t));
	assert_non_null(r->mmu);
	r->c = tee_cvm_create(r->t, &cc);
	assert_non_null(r->c);
	assert_int_equal(tee_cvm_attach(r->c, r->mmu), 0);
}

static void cvm_down(struct cvm_rig *r)
{
	tee_cvm_destroy(r->c);
	mmu_destroy(r->mmu);
	tee_destroy(r->t);
}

static void test_cvm_runs(void **state)
{
	static const unsigned want[TEE_MODEL_COUNT] = {
		[TEE_FOLD] = 29, [TEE_STAGE3] = 124, [TEE_RMP] = 29, [TEE_GPT] = 74, [TEE_TDX] = 24,
	};

	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		enum tee_model m = all_models[k];
		struct cvm_rig r;
		const struct mmu_stats *ms;
		uint64_t walks, refs;

		cvm_up(&r, m, 4);
		for (unsigned i = 0; i < 64; i++) {
			struct xlat_access a = { .va = 0x10000000 + 4096ULL * i + 8 * i, .size = 8,
						 .kind = i % 3 == 0 ? XLAT_WRITE : XLAT_READ };
			assert_int_equal(mmu_run(r.mmu, &a, 1), 0);
		}
		ms = mmu_get_stats(r.mmu);
		assert_int_equal(ms->unresolved, 0);
		assert_int_equal(tee_cvm_get_stats(r.c)->dropped, 0);
		/* Each data page: backed once (an exit), accepted once. */
		assert_true(tee_cvm_get_stats(r.c)->exits >= 64);
		assert_true(tee_cvm_get_stats(r.c)->backed >= 64);
		assert_int_equal(tee_get_stats(r.t)->integrity_faults, 0);
		/* The translation ends at the frame the monitor gave the guest. */
		for (unsigned i = 0; i < 64; i += 7) {
			xlat_va va = 0x10000000 + 4096ULL * i;
			struct pt_leaf leaf;
			struct tee_record rec;
			xlat_pa pa;
			assert_int_equal(xlate(r.mmu, va + 5, XLAT_READ, &pa), 0);
			assert_int_equal(pt_lookup(os_pt(tee_cvm_guest(r.c)), va, &leaf), 0);
			assert_int_equal(tee_record(r.t, pa >> 12, &rec), 0);
			if (rec.state != TEE_VALIDATED)
				fail_msg("%s: frame %#llx is in state %d", tee_model_name(m),
					 (unsigned long long)pa, rec.state);
			assert_int_equal(rec.owner, tee_vm_id(tee_cvm_vm(r.c)));
			assert_int_equal(rec.gpa, leaf.pa);
			assert_int_equal(pa & 4095, 5);
		}
		/* Again, TLBs cold: every access a full walk of the model. */
		mmu_flush_all(r.mmu);
		walks = ms->walks;
		refs = ms->walk_refs;
		for (unsigned i = 0; i < 64; i++) {
			struct xlat_access a = { .va = 0x10000000 + 4096ULL * i, .size = 8, .kind = XLAT_READ };
			assert_int_equal(mmu_run(r.mmu, &a, 1), 0);
		}
		assert_int_equal(ms->walks - walks, 64);
		if (ms->walk_refs - refs != 64ULL * want[m])
			fail_msg("%s: %llu refs in 64 walks, want %u each", tee_model_name(m),
				 (unsigned long long)(ms->walk_refs - refs), want[m]);
		cvm_down(&r);
	}
}

/* `xlat walk --mode secure --tee MODEL`: the study's counts, caches off,
 * every level variant, and what it says about each reference. */
static void secure_explain(enum tee_model m, unsigned gl, unsigned hl, unsigned ml, unsigned want,
			   unsigned want_checks)
{
	struct explain_config cfg;
	static struct explain_result res;

	explain_config_init(&cfg);
	cfg.mode = MACHINE_SECURE;
	cfg.tee = m;
	cfg.levels = gl;
	cfg.host_levels = hl;
	cfg.monitor_levels = ml;
	if (explain_walk(&cfg, &res))
		fail_msg("%s %u+%u: %s", tee_model_name(m), gl, hl, xlat_error());
	if (res.walk.refs != want || res.check_refs != want_checks)
		fail_msg("%s %u+%u(+%u): %u refs (%u by the check), want %u (%u)", tee_model_name(m), gl, hl,
			 ml, res.walk.refs, res.check_refs, want, want_checks);
	assert_true(res.secure);
	assert_int_equal(res.tee, m);
	assert_int_equal(res.stages, m == TEE_STAGE3 ? 3 : 2);
	for (unsigned i = 0; i < res.nsteps; i++) {
		const struct explain_step *s = &res.steps[i];
		assert_non_null(s->structure);
		assert_true(s->meaning[0] && s->why[0]);
		assert_true((s->fmt == NULL) == (s->ref.check != 0));
	}
	explain_result_free(&res);
}

static void test_secure_explain(void **state)
{
	(void)state;
	secure_explain(TEE_FOLD, 4, 4, 4, 29, 0);
	secure_explain(TEE_FOLD, 5, 4, 4, 35, 0);
	secure_explain(TEE_STAGE3, 4, 4, 4, 124, 0);
	secure_explain(TEE_STAGE3, 5, 4, 4, 149, 0);
	secure_explain(TEE_STAGE3, 4, 5, 4, 149, 0);
	secure_explain(TEE_STAGE3, 4, 4, 5, 149, 0);
	secure_explain(TEE_STAGE3, 5, 5, 4, 179, 0);
	secure_explain(TEE_STAGE3, 5, 5, 5, 215, 0);
	secure_explain(TEE_RMP, 4, 4, 4, 29, 5);
	secure_explain(TEE_RMP, 4, 5, 4, 34, 5);
	secure_explain(TEE_RMP, 5, 4, 4, 35, 6);
	secure_explain(TEE_RMP, 5, 5, 4, 41, 6);
	secure_explain(TEE_GPT, 4, 4, 4, 74, 50);
	secure_explain(TEE_GPT, 4, 5, 4, 89, 60);
	secure_explain(TEE_GPT, 5, 4, 4, 89, 60);
	secure_explain(TEE_GPT, 5, 5, 4, 107, 72);
	secure_explain(TEE_TDX, 4, 4, 4, 24, 0);
	secure_explain(TEE_TDX, 4, 5, 4, 29, 0);
	secure_explain(TEE_TDX, 5, 5, 4, 35, 0);
}

/* The same, warm: the caches cut every model, the checks' reads too. */
static void test_secure_explain_warm(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		struct explain_config cfg;
		static struct explain_result res;

		explain_config_init(&cfg);
		cfg.mode = MACHINE_SECURE;
		cfg.tee = all_models[k];
		cfg.warm = true;
		assert_int_equal(explain_walk(&cfg, &res), 0);
		assert_true(res.walk.refs < 24);
		if (all_models[k] == TEE_GPT)
			assert_int_equal(res.check_refs, 0);   /* its cache holds them all */
		explain_result_free(&res);
	}
	/* Host pages are 4 KiB under the monitor. */
	struct explain_config cfg;
	static struct explain_result res;
	explain_config_init(&cfg);
	cfg.mode = MACHINE_SECURE;
	cfg.host_shift = 21;
	assert_int_equal(explain_walk(&cfg, &res), -EINVAL);
	assert_non_null(strstr(xlat_error(), "4k"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_names),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_record_life),
		cmocka_unit_test(test_monitor_refusals),
		cmocka_unit_test(test_host_view),
		cmocka_unit_test(test_shared_page),
		cmocka_unit_test(test_rmp_check),
		cmocka_unit_test(test_gpt_check),
		cmocka_unit_test(test_walk_counts),
		cmocka_unit_test(test_monitor_tables),
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_cvm_runs),
		cmocka_unit_test(test_secure_explain),
		cmocka_unit_test(test_secure_explain_warm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
