/*
 * xlat/walk.h: reference counts and their architectural order, huge pages in
 * either dimension, the paging-structure caches and the nested TLB, A/D
 * writes, combined results, bad addresses and misuse.
 *
 * Tables are built with pt on real phys spaces. A nested guest lives in a
 * view of the host space through its EPT, exactly as a hypervisor sees it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xlat/phys.h"
#include "xlat/pt.h"
#include "xlat/pwc.h"
#include "xlat/tlb.h"
#include "xlat/walk.h"

#define K4 (1ULL << 12)
#define M2 (1ULL << 21)
#define G1 (1ULL << 30)
#define MAXPHY 46
#define ADDR_MASK 0x000ffffffffff000ULL

#define CHECK(x) do { int rc_ = (x); if (rc_ < 0) print_error("%s: %s\n", #x, xlat_error()); \
		assert_int_equal(rc_ < 0 ? rc_ : 0, 0); } while (0)

/* ---- environments ------------------------------------------------------ */

struct native {
	struct phys *mem;
	struct pt pt;
	struct walk_chain c;
};

static void native_init(struct native *n, int levels)
{
	n->mem = phys_create(MAXPHY, 16 * G1);
	assert_non_null(n->mem);
	CHECK(pt_init(&n->pt, n->mem, fmt_x86(levels), MAXPHY));
	walk_chain_init(&n->c, n->mem);
	struct walk_stage st = { .fmt = fmt_x86(levels), .root = n->pt.root, .maxphyaddr = MAXPHY,
				 .ctl = WALK_X86_DEFAULT };
	assert_int_equal(walk_chain_push(&n->c, &st), 0);
}

static void native_fini(struct native *n)
{
	pt_destroy(&n->pt);
	phys_destroy(n->mem);
}

/* A guest whose RAM [0, gram) is host memory mapped by an EPT with `page`
 * leaves; the guest's x86 tables live in that RAM. */
struct nested {
	struct phys *host, *guest;
	struct pt ept, gpt;
	struct walk_chain c;
	xlat_pa backing;         /* HPA of guest-physical 0 */
};

static int ept_resolve(void *ctx, xlat_pa pa, bool write, uint64_t *lower_pfn)
{
	struct pt_leaf l;
	(void)write;
	if (pt_lookup(ctx, pa, &l))
		return -EFAULT;
	*lower_pfn = (l.pa + (pa - l.va)) >> 12;
	return 0;
}

static void nested_init(struct nested *v, int glevels, int hlevels, unsigned page, uint64_t gram)
{
	uint64_t pfn;

	v->host = phys_create(MAXPHY, 64 * G1);
	assert_non_null(v->host);
	CHECK(phys_alloc(v->host, gram >> 12, (1ULL << page) >> 12, &pfn));
	v->backing = pfn << 12;
	CHECK(pt_init(&v->ept, v->host, fmt_ept(hlevels), MAXPHY));
	CHECK(pt_map(&v->ept, 0, v->backing, gram, XLAT_RWX, page));
	v->guest = phys_create_view(v->host, MAXPHY, gram, ept_resolve, &v->ept);
	assert_non_null(v->guest);
	CHECK(pt_init(&v->gpt, v->guest, fmt_x86(glevels), MAXPHY));

	walk_chain_init(&v->c, v->host);
	struct walk_stage g = { .fmt = fmt_x86(glevels), .root = v->gpt.root, .maxphyaddr = MAXPHY,
				.ctl = WALK_X86_DEFAULT };
	struct walk_stage h = { .fmt = fmt_ept(hlevels), .root = v->ept.root, .maxphyaddr = MAXPHY,
				.ctl = WALK_EPT_DEFAULT };
	assert_int_equal(walk_chain_push(&v->c, &g), 0);
	assert_int_equal(walk_chain_push(&v->c, &h), 1);
}

static void nested_fini(struct nested *v)
{
	pt_destroy(&v->gpt);
	phys_destroy(v->guest);
	pt_destroy(&v->ept);
	phys_destroy(v->host);
}

static struct walk_result walk(struct walk_chain *c, xlat_va va, unsigned kind, bool sup,
			       struct walk_ref *refs, uint32_t cap)
{
	struct walk_req req = { .va = va, .kind = (uint8_t)kind, .supervisor = sup };
	struct walk_result res;

	memset(&res, 0, sizeof res);
	res.refs_out = refs;
	res.refs_cap = cap;
	CHECK(walk_translate(c, &req, &res));
	return res;
}

static void expect_ok(const struct walk_result *r, xlat_pa pa, unsigned shift)
{
	if (r->fault.kind != WALK_OK)
		print_error("fault kind %d stage %u level %u addr %#llx ec %#x qual %#llx\n",
			    r->fault.kind, r->fault.stage, r->fault.level,
			    (unsigned long long)r->fault.addr, r->fault.error_code,
			    (unsigned long long)r->fault.exit_qual);
	assert_int_equal(r->fault.kind, WALK_OK);
	assert_int_equal(r->pa, pa);
	assert_int_equal(r->shift, shift);
}

static uint64_t rd(struct phys *p, xlat_pa pa)
{
	uint64_t v = 0;
	CHECK(phys_read64(p, pa, &v));
	return v;
}

/* ---- native counts ------------------------------------------------------- */

static void native_count(int levels, unsigned page, unsigned expect_refs)
{
	struct native n;
	const xlat_va va = levels == 5 ? 0xff12345640000000ULL : 0x00007f1240000000ULL;
	const xlat_pa pa = 3 * G1;
	const uint64_t off = 0x12345 & ((1ULL << page) - 1);

	native_init(&n, levels);
	CHECK(pt_map(&n.pt, va, pa, 1ULL << page, XLAT_RWX | XLAT_U, page));
	struct walk_result r = walk(&n.c, va + off, XLAT_READ, false, NULL, 0);
	expect_ok(&r, pa + off, page);
	assert_int_equal(r.refs, expect_refs);
	assert_int_equal(n.c.stats.refs, expect_refs);
	assert_int_equal(n.c.stats.walks, 1);
	assert_int_equal(n.c.stats.start_level[levels], 1);
	assert_int_equal(n.c.stats.faults[WALK_OK], 1);
	for (int l = 1; l <= levels; l++)
		assert_int_equal(n.c.stats.refs_at[0][l], l > levels - (int)expect_refs ? 1 : 0);
	/* One byte before and after the page: not this mapping. */
	r = walk(&n.c, va - 1, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	r = walk(&n.c, va + (1ULL << page), XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	native_fini(&n);
}

static void native_counts(void **state)
{
	(void)state;
	native_count(4, 12, 4);
	native_count(4, 21, 3);
	native_count(4, 30, 2);
	native_count(5, 12, 5);
	native_count(5, 21, 4);
	native_count(5, 30, 3);
}

/* The references of a native walk: entry addresses chain root -> leaf. */
static void native_order(void **state)
{
	(void)state;
	struct native n;
	struct walk_ref refs[8];
	const xlat_va va = 0x00001234567ab000ULL;

	native_init(&n, 4);
	CHECK(pt_map(&n.pt, va, 5 * G1, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	struct walk_result r = walk(&n.c, va + 0x10, XLAT_READ, false, refs, 8);
	expect_ok(&r, 5 * G1 + 0x10, 12);
	assert_int_equal(r.refs, 4);
	xlat_pa table = n.pt.root;
	for (int i = 0; i < 4; i++) {
		int level = 4 - i;
		xlat_pa ea = table + 8 * xlat_index(level, va);
		assert_int_equal(refs[i].stage, 0);
		assert_int_equal(refs[i].level, level);
		assert_int_equal(refs[i].for_stage, 0);
		assert_int_equal(refs[i].for_level, level);
		assert_int_equal(refs[i].in_addr, ea);
		assert_int_equal(refs[i].addr, ea);
		assert_int_equal(refs[i].entry, rd(n.mem, ea) & ~(uint64_t)(FMT_X86_A | FMT_X86_D));
		table = refs[i].entry & ADDR_MASK;
	}
	struct pt_leaf leaf;
	CHECK(pt_lookup(&n.pt, va, &leaf));
	assert_int_equal(refs[3].addr, leaf.entry_pa);
	native_fini(&n);
}

/* ---- paging-structure caches ---------------------------------------------- */

static struct pwc *split_pwc(unsigned pml4e, unsigned pdpte, unsigned pde)
{
	struct pwc_config cfg = { .style = PWC_SPLIT, .entries = { 0, 0, pde, pdpte, pml4e, 0 } };
	struct pwc *p = pwc_create(&cfg);
	assert_non_null(p);
	return p;
}

static void pwc_native(void **state)
{
	(void)state;
	struct native n;
	const xlat_va va = 0x0000155540000000ULL;

	native_init(&n, 4);
	CHECK(pt_map(&n.pt, va, 2 * G1, 4 * M2, XLAT_RWX | XLAT_U, PT_PAGE_4K));

	/* PDE cache: the second walk in the same 2 MiB reads only the PTE. */
	n.c.stage[0].pwc = split_pwc(4, 4, 16);
	struct walk_result r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	expect_ok(&r, 2 * G1, 12);
	assert_int_equal(r.refs, 4);
	assert_int_equal(n.c.stats.pwc_misses[0], 1);
	r = walk(&n.c, va + 5 * K4, XLAT_READ, false, NULL, 0);
	expect_ok(&r, 2 * G1 + 5 * K4, 12);
	assert_int_equal(r.refs, 1);
	assert_int_equal(n.c.stats.pwc_hits[0], 1);
	assert_int_equal(n.c.stats.start_level[1], 1);
	assert_int_equal(n.c.stats.start_level[4], 1);
	/* Next 2 MiB: the PDPTE entry is the deepest hit. */
	r = walk(&n.c, va + M2, XLAT_READ, false, NULL, 0);
	expect_ok(&r, 2 * G1 + M2, 12);
	assert_int_equal(r.refs, 2);
	assert_int_equal(n.c.stats.start_level[2], 1);
	/* Another tag (PCID) sees nothing cached. */
	n.c.stage[0].tag = 7;
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.refs, 4);
	pwc_destroy(n.c.stage[0].pwc);

	/* Only a PDPTE cache: walks start at level 2. */
	n.c.stage[0].pwc = split_pwc(0, 4, 0);
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.refs, 4);
	r = walk(&n.c, va + 3 * M2, XLAT_READ, false, NULL, 0);
	expect_ok(&r, 2 * G1 + 3 * M2, 12);
	assert_int_equal(r.refs, 2);
	pwc_destroy(n.c.stage[0].pwc);

	/* Only a PML4E cache: walks start at level 3. */
	n.c.stage[0].pwc = split_pwc(4, 0, 0);
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	r = walk(&n.c, va + K4, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.refs, 3);
	pwc_destroy(n.c.stage[0].pwc);
	native_fini(&n);
}

/* A faulting walk caches nothing (its A bits were not set); permissions
 * accumulated above a PWC hit still count. */
static void pwc_fault_and_perms(void **state)
{
	(void)state;
	struct native n;
	struct walk_ref refs[8];
	const xlat_va va = 0x0000155540000000ULL;

	native_init(&n, 4);
	n.c.stage[0].pwc = split_pwc(4, 4, 16);
	CHECK(pt_map(&n.pt, va, 2 * G1, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	struct walk_result r = walk(&n.c, va + K4, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	r = walk(&n.c, va, XLAT_READ, false, refs, 8);
	assert_int_equal(r.refs, 4);    /* nothing was cached by the fault */

	/* Make the PDPTE supervisor-only behind the cache's back: a cached
	 * walk still grants U (stale, as hardware would until INVLPG)... */
	uint64_t pdpte = rd(n.mem, refs[1].addr);
	CHECK(phys_write64(n.mem, refs[1].addr, pdpte & ~(uint64_t)FMT_X86_US));
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_OK);
	assert_int_equal(r.refs, 1);
	/* ...and a fresh walk after the flush sees the change. */
	pwc_flush_all(n.c.stage[0].pwc);
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(r.fault.error_code, WALK_PF_P | WALK_PF_U);
	/* A PWC entry filled by a supervisor walk carries U=0 down. */
	r = walk(&n.c, va, XLAT_READ, true, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_OK);
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.refs, 1);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(r.fault.error_code, WALK_PF_P | WALK_PF_U);
	assert_int_equal(r.perms, 0);
	pwc_destroy(n.c.stage[0].pwc);
	native_fini(&n);
}

/* ---- nested counts ----------------------------------------------------------- */

static void nested_count(int gl, int hl, unsigned gpage, unsigned hpage, unsigned expect_refs)
{
	struct nested v;
	uint64_t gram = hpage == 30 || gpage == 30 ? 2 * G1 : 64 * M2;
	const xlat_va va = gl == 5 ? 0xff00123440000000ULL : 0x00007f0040000000ULL;
	const xlat_pa gpa = gram / 2;
	const uint64_t off = 0x12345 & ((1ULL << gpage) - 1);

	nested_init(&v, gl, hl, hpage, gram);
	CHECK(pt_map(&v.gpt, va, gpa, 1ULL << gpage, XLAT_RWX | XLAT_U, gpage));
	struct walk_result r = walk(&v.c, va + off, XLAT_READ, false, NULL, 0);
	unsigned shift = gpage < hpage ? gpage : hpage;
	expect_ok(&r, v.backing + gpa + off, shift);
	if (r.refs != expect_refs)
		print_error("guest %d-level %u, host %d-level %u\n", gl, gpage, hl, hpage);
	assert_int_equal(r.refs, expect_refs);
	uint64_t g = 0, h = 0;
	for (int l = 1; l <= 5; l++) {
		g += v.c.stats.refs_at[0][l];
		h += v.c.stats.refs_at[1][l];
	}
	unsigned gref = (unsigned)gl - (gpage - 12) / 9;
	assert_int_equal(g, gref);
	assert_int_equal(h, expect_refs - gref);
	nested_fini(&v);
}

static void nested_counts(void **state)
{
	(void)state;
	nested_count(4, 4, 12, 12, 24);
	nested_count(5, 5, 12, 12, 35);
	nested_count(4, 5, 12, 12, 29);
	nested_count(5, 4, 12, 12, 29);
	nested_count(4, 4, 21, 21, 15);
	nested_count(4, 4, 30, 30, 8);
	nested_count(4, 4, 21, 12, 19);
	nested_count(4, 4, 12, 21, 19);
	nested_count(4, 4, 30, 21, 11);   /* 2 guest levels x (3 + 1) + 3 */
	nested_count(5, 5, 21, 21, 24);   /* 4 guest levels x (4 + 1) + 4 */
}

/* The expected references of a nested walk, computed by a plain software
 * walk in the test: for each guest level the EPT walk of the entry's GPA,
 * then the entry; then the EPT walk of the final GPA. */
struct exp {
	struct walk_ref r[64];
	unsigned n;
};

static xlat_pa exp_ept(struct exp *x, struct nested *v, xlat_pa gpa, unsigned fs, unsigned fl)
{
	xlat_pa table = v->ept.root;
	for (int l = v->ept.fmt->levels; l >= 1; l--) {
		xlat_pa ea = table + 8 * xlat_index(l, gpa);
		uint64_t e = rd(v->host, ea);
		x->r[x->n++] = (struct walk_ref){ .stage = 1, .level = (uint8_t)l, .for_stage = (uint8_t)fs,
						  .for_level = (uint8_t)fl, .in_addr = ea, .addr = ea, .entry = e };
		if (l == 1 || (e & FMT_EPT_PS)) {
			uint64_t size = xlat_level_size(l);
			return (e & ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
		}
		table = e & ADDR_MASK;
	}
	fail();
	return 0;
}

static void exp_nested(struct exp *x, struct nested *v, xlat_va va)
{
	xlat_pa table = v->gpt.root;
	x->n = 0;
	for (int l = v->gpt.fmt->levels; l >= 1; l--) {
		xlat_pa gea = table + 8 * xlat_index(l, va);
		xlat_pa hea = exp_ept(x, v, gea, 0, (unsigned)l);
		uint64_t e = rd(v->host, hea);
		x->r[x->n++] = (struct walk_ref){ .stage = 0, .level = (uint8_t)l, .for_stage = 0,
						  .for_level = (uint8_t)l, .in_addr = gea, .addr = hea, .entry = e };
		if (l == 1 || (e & FMT_X86_PS)) {
			uint64_t size = xlat_level_size(l);
			exp_ept(x, v, (e & ADDR_MASK & ~(size - 1)) | (va & (size - 1)), 0, 0);
			return;
		}
		table = e & ADDR_MASK;
	}
}

static void check_refs(const struct exp *x, const struct walk_ref *got, uint32_t n)
{
	assert_int_equal(n, x->n);
	for (unsigned i = 0; i < x->n; i++) {
		const struct walk_ref *a = &x->r[i], *b = &got[i];
		if (a->stage != b->stage || a->level != b->level || a->for_stage != b->for_stage ||
		    a->for_level != b->for_level || a->in_addr != b->in_addr || a->addr != b->addr ||
		    a->entry != b->entry)
			print_error("ref %u: want stage %u level %u for %u/%u in %#llx at %#llx = %#llx\n"
				    "          got  stage %u level %u for %u/%u in %#llx at %#llx = %#llx\n",
				    i, a->stage, a->level, a->for_stage, a->for_level,
				    (unsigned long long)a->in_addr, (unsigned long long)a->addr,
				    (unsigned long long)a->entry, b->stage, b->level, b->for_stage,
				    b->for_level, (unsigned long long)b->in_addr,
				    (unsigned long long)b->addr, (unsigned long long)b->entry);
		assert_int_equal(a->stage, b->stage);
		assert_int_equal(a->level, b->level);
		assert_int_equal(a->for_stage, b->for_stage);
		assert_int_equal(a->for_level, b->for_level);
		assert_int_equal(a->in_addr, b->in_addr);
		assert_int_equal(a->addr, b->addr);
		assert_int_equal(a->entry, b->entry);
	}
}

static void nested_order(void **state)
{
	(void)state;
	struct nested v;
	struct walk_ref refs[64];
	struct exp x;
	const xlat_va va = 0x00007f00401ff000ULL;

	nested_init(&v, 4, 4, 12, 64 * M2);
	CHECK(pt_map(&v.gpt, va, 40 * M2, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	exp_nested(&x, &v, va + 8);
	assert_int_equal(x.n, 24);
	struct walk_result r = walk(&v.c, va + 8, XLAT_READ, false, refs, 64);
	expect_ok(&r, v.backing + 40 * M2 + 8, 12);
	check_refs(&x, refs, r.refs);
	/* The shape, spelled out: (4 EPT + guest) x 4, then 4 EPT. */
	for (unsigned i = 0; i < 24; i++) {
		unsigned g = i / 5, k = i % 5;
		if (g < 4 && k == 4) {
			assert_int_equal(refs[i].stage, 0);
			assert_int_equal(refs[i].level, 4 - g);
		} else {
			assert_int_equal(refs[i].stage, 1);
			assert_int_equal(refs[i].level, 4 - k);
			assert_int_equal(refs[i].for_level, g < 4 ? 4 - g : 0);
		}
	}

	/* Truncated trace: refs counts all, refs_out holds the first cap. */
	struct walk_ref few[3];
	memset(few, 0xa5, sizeof few);
	r = walk(&v.c, va + 8, XLAT_READ, false, few, 2);
	assert_int_equal(r.refs, 24);
	assert_int_equal(few[0].addr, refs[0].addr);
	assert_int_equal(few[1].addr, refs[1].addr);
	assert_int_equal(few[2].stage, 0xa5);

	/* 2 MiB guest page on 2 MiB EPT pages, 5 + 5 levels: same rule. */
	nested_fini(&v);
	nested_init(&v, 5, 5, 21, 64 * M2);
	CHECK(pt_map(&v.gpt, 0xff00000000000000ULL, 40 * M2, M2, XLAT_RWX | XLAT_U, PT_PAGE_2M));
	exp_nested(&x, &v, 0xff00000000012340ULL);
	r = walk(&v.c, 0xff00000000012340ULL, XLAT_WRITE, true, refs, 64);
	expect_ok(&r, v.backing + 40 * M2 + 0x12340, 21);
	check_refs(&x, refs, r.refs);
	assert_int_equal(r.refs, 24);
	nested_fini(&v);
}

/* ---- nested TLB and the EPT stage's PWC ---------------------------------------- */

static struct tlb *make_ntlb(unsigned entries)
{
	struct tlb_config cfg = { .name = "NTLB", .narrays = 1,
				  .array = { { .entries = entries, .ways = 0, .repl = TLB_LRU,
					       .sizes = TLB_ALL_SIZES } } };
	struct tlb *t = tlb_create(&cfg);
	assert_non_null(t);
	return t;
}

static void ntlb_warm(void **state)
{
	(void)state;
	struct nested v;
	struct walk_ref refs[64];
	const xlat_va va = 0x00007f0040000000ULL;

	nested_init(&v, 4, 4, 12, 64 * M2);
	CHECK(pt_map(&v.gpt, va, 40 * M2, 4 * K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	v.c.ntlb = make_ntlb(64);

	struct walk_result r = walk(&v.c, va, XLAT_READ, false, refs, 64);
	expect_ok(&r, v.backing + 40 * M2, 12);
	assert_int_equal(r.refs, 24);
	assert_int_equal(v.c.stats.ntlb_misses, 5);
	assert_int_equal(v.c.stats.ntlb_hits, 0);

	/* Same page again: every GPA hits, only the 4 guest entries are read. */
	r = walk(&v.c, va + 0x80, XLAT_READ, false, refs, 64);
	expect_ok(&r, v.backing + 40 * M2 + 0x80, 12);
	assert_int_equal(r.refs, 4);
	assert_int_equal(v.c.stats.ntlb_hits, 5);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(refs[i].stage, 0);
		assert_int_equal(refs[i].level, 4 - i);
	}
	/* Next guest page: the tables hit, the new data GPA walks the EPT. */
	r = walk(&v.c, va + K4, XLAT_READ, false, NULL, 0);
	expect_ok(&r, v.backing + 40 * M2 + K4, 12);
	assert_int_equal(r.refs, 8);
	assert_int_equal(v.c.stats.ntlb_hits, 9);
	assert_int_equal(v.c.stats.ntlb_misses, 6);

	/* Another VPID tag: cold again. */
	v.c.stage[1].tag = 1 << 12;
	r = walk(&v.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.refs, 24);
	v.c.stage[1].tag = 0;

	/* The guest's own tables are read afresh each walk: change its PTE
	 * and the NTLB does not hide it. */
	r = walk(&v.c, va, XLAT_READ, false, refs, 64);
	assert_int_equal(r.refs, 4);
	uint64_t pte = rd(v.host, refs[3].addr);
	CHECK(phys_write64(v.host, refs[3].addr, pte & ~(uint64_t)FMT_X86_P));
	r = walk(&v.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(r.fault.stage, 0);
	assert_int_equal(r.refs, 4);
	tlb_destroy(v.c.ntlb);
	nested_fini(&v);
}

/* An NTLB entry too weak for the access is not used: the walk finds the
 * architectural answer. With EPT A/D a write needs a dirty entry. */
static void ntlb_perms_and_dirty(void **state)
{
	(void)state;
	struct nested v;
	const xlat_va va = 0x00007f0040000000ULL;
	const xlat_pa ro = 1ULL << 40;   /* a GPA outside RAM, mapped read-only */

	nested_init(&v, 4, 4, 12, 64 * M2);
	CHECK(pt_map(&v.ept, ro, v.backing + 50 * M2, K4, XLAT_R, PT_PAGE_4K));
	CHECK(pt_map(&v.gpt, va, ro, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	CHECK(pt_map(&v.gpt, va + K4, 41 * M2, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	v.c.ntlb = make_ntlb(64);

	struct walk_result r = walk(&v.c, va, XLAT_READ, false, NULL, 0);
	expect_ok(&r, v.backing + 50 * M2, 12);
	assert_int_equal(r.perms, XLAT_R | XLAT_U);   /* W and X gone, LOWER_W too */
	r = walk(&v.c, va, XLAT_WRITE, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.stage, 1);
	assert_int_equal(r.fault.addr, ro);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_WRITE | WALK_EPTQ_READABLE | WALK_EPTQ_GLA_VALID | WALK_EPTQ_GLA_XLATE);
	assert_int_equal(r.refs, 8);   /* 4 guest (tables hit) + the final GPA's EPT walk */
	r = walk(&v.c, va, XLAT_FETCH, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_FETCH | WALK_EPTQ_READABLE | WALK_EPTQ_GLA_VALID | WALK_EPTQ_GLA_XLATE);

	/* EPT A/D on: the first write finds a clean NTLB entry and walks. */
	v.c.stage[1].ctl |= WALK_SET_AD;
	tlb_flush_all(v.c.ntlb);
	r = walk(&v.c, va + K4, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.refs, 24);
	assert_false(r.dirty);
	uint64_t hits = v.c.stats.ntlb_hits;
	r = walk(&v.c, va + K4, XLAT_WRITE, false, NULL, 0);
	expect_ok(&r, v.backing + 41 * M2, 12);
	assert_int_equal(r.refs, 8);   /* tables were walked as writes: dirty; data was not */
	assert_int_equal(v.c.stats.ntlb_hits, hits + 4);
	assert_true(r.dirty);
	r = walk(&v.c, va + K4, XLAT_WRITE, false, NULL, 0);
	assert_int_equal(r.refs, 4);
	tlb_destroy(v.c.ntlb);
	nested_fini(&v);
}

static void pwc_on_ept(void **state)
{
	(void)state;
	struct nested v;
	struct walk_ref refs[64];
	const xlat_va va = 0x00007f0040000000ULL;

	nested_init(&v, 4, 4, 12, 64 * M2);
	CHECK(pt_map(&v.gpt, va, 3 * M2, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	v.c.stage[1].pwc = split_pwc(4, 4, 16);
	struct walk_result r = walk(&v.c, va, XLAT_READ, false, refs, 64);
	expect_ok(&r, v.backing + 3 * M2, 12);
	/* Model of a large PWC: each GPA's EPT walk starts below the deepest
	 * level it shares with a GPA walked before it. */
	xlat_pa seen[8];
	unsigned nseen = 0, expect = 0;
	/* Recompute the GPAs in order: guest entry addresses, then the output. */
	xlat_pa gpas[5];
	unsigned ng = 0;
	for (unsigned i = 0; i < r.refs; i++)
		if (refs[i].stage == 0)
			gpas[ng++] = refs[i].in_addr;
	gpas[ng++] = 3 * M2;
	assert_int_equal(ng, 5);
	for (unsigned k = 0; k < ng; k++) {
		int start = 4;
		for (unsigned s = 0; s < nseen; s++)
			for (int l = 2; l <= 4; l++)
				if (seen[s] >> xlat_level_shift(l) == gpas[k] >> xlat_level_shift(l) && l - 1 < start)
					start = l - 1;
		expect += 1 + (unsigned)start;   /* the guest entry + its EPT refs */
		seen[nseen++] = gpas[k];
	}
	expect -= 1;                             /* the final GPA has no guest entry */
	assert_int_equal(r.refs, expect);
	assert_true(r.refs < 24);
	assert_int_equal(v.c.stats.pwc_misses[1], 1);
	assert_int_equal(v.c.stats.pwc_hits[1], 4);
	pwc_destroy(v.c.stage[1].pwc);
	nested_fini(&v);
}

/* ---- accessed / dirty ------------------------------------------------------------ */

static void ad_native(void **state)
{
	(void)state;
	struct native n;
	struct walk_ref refs[8];
	const xlat_va va = 0x0000400000000000ULL;

	native_init(&n, 4);
	CHECK(pt_map(&n.pt, va, G1, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	CHECK(pt_map(&n.pt, va + K4, G1 + K4, K4, XLAT_R | XLAT_U, PT_PAGE_4K));
	/* Clear every A/D the table was built with. */
	struct walk_result r = walk(&n.c, va, XLAT_READ, false, refs, 8);
	for (int i = 0; i < 4; i++)
		CHECK(phys_write64(n.mem, refs[i].addr, refs[i].entry & ~(uint64_t)(FMT_X86_A | FMT_X86_D)));
	uint64_t w0 = n.c.stats.ad_writes;

	/* A faulting access (user write to a read-only page) changes nothing. */
	struct walk_ref refs2[8];
	r = walk(&n.c, va + K4, XLAT_WRITE, false, refs2, 8);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(r.fault.error_code, WALK_PF_P | WALK_PF_W | WALK_PF_U);
	assert_int_equal(n.c.stats.ad_writes, w0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rd(n.mem, refs2[i].addr) & FMT_X86_A, 0);

	/* A read sets A everywhere, D nowhere: 4 writes. */
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	expect_ok(&r, G1, 12);
	assert_false(r.dirty);
	assert_int_equal(n.c.stats.ad_writes, w0 + 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd(n.mem, refs[i].addr) & (FMT_X86_A | FMT_X86_D), FMT_X86_A);
	/* Again: nothing changes, nothing is written. */
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(n.c.stats.ad_writes, w0 + 4);
	/* A write sets D in the leaf only: one write. */
	r = walk(&n.c, va, XLAT_WRITE, false, NULL, 0);
	assert_true(r.dirty);
	assert_int_equal(n.c.stats.ad_writes, w0 + 5);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rd(n.mem, refs[i].addr) & (FMT_X86_A | FMT_X86_D), FMT_X86_A);
	assert_int_equal(rd(n.mem, refs[3].addr) & (FMT_X86_A | FMT_X86_D), FMT_X86_A | FMT_X86_D);
	/* Read after: dirty reported from the entry. */
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	assert_true(r.dirty);

	/* Without WALK_SET_AD nothing is written and every page counts as dirty. */
	n.c.stage[0].ctl &= ~WALK_SET_AD;
	CHECK(phys_write64(n.mem, refs[3].addr, refs[3].entry & ~(uint64_t)(FMT_X86_A | FMT_X86_D)));
	r = walk(&n.c, va, XLAT_WRITE, false, NULL, 0);
	assert_true(r.dirty);
	assert_int_equal(rd(n.mem, refs[3].addr) & (FMT_X86_A | FMT_X86_D), 0);
	assert_int_equal(n.c.stats.ad_writes, w0 + 5);
	native_fini(&n);
}

/* ---- combined results -------------------------------------------------------------- */

static void combined_result(void **state)
{
	(void)state;
	struct nested v;
	const xlat_va va = 0x00007f0040000000ULL;
	const xlat_pa rx = 1ULL << 40;

	nested_init(&v, 4, 4, 21, 64 * M2);
	/* A 2 MiB global, user, writable guest page on 2 MiB host pages. */
	CHECK(pt_map(&v.gpt, va, 10 * M2, M2, XLAT_RWX | XLAT_U | XLAT_G, PT_PAGE_2M));
	struct walk_result r = walk(&v.c, va + 5, XLAT_READ, false, NULL, 0);
	expect_ok(&r, v.backing + 10 * M2 + 5, 21);
	assert_int_equal(r.perms, XLAT_R | XLAT_W | XLAT_X | XLAT_U | WALK_PERM_LOWER_W);
	assert_true(r.global);
	/* A supervisor, read-only, XD guest page on an EPT page without W. */
	CHECK(pt_map(&v.ept, rx, v.backing + 20 * M2, K4, XLAT_R | XLAT_X, PT_PAGE_4K));
	CHECK(pt_map(&v.gpt, va + G1, rx, K4, XLAT_R, PT_PAGE_4K));
	r = walk(&v.c, va + G1, XLAT_READ, true, NULL, 0);
	expect_ok(&r, v.backing + 20 * M2, 12);
	assert_int_equal(r.perms, XLAT_R);
	assert_false(r.global);
	/* Guest-writable on that page: W is not combined, LOWER_W tells why. */
	CHECK(pt_protect(&v.gpt, va + G1, K4, XLAT_R | XLAT_W | XLAT_X));
	r = walk(&v.c, va + G1, XLAT_READ, true, NULL, 0);
	assert_int_equal(r.perms, XLAT_R | XLAT_X);
	/* And an EPT-writable, guest read-only page: W no, LOWER_W yes. */
	CHECK(pt_protect(&v.ept, rx, K4, XLAT_RWX));
	CHECK(pt_protect(&v.gpt, va + G1, K4, XLAT_R));
	r = walk(&v.c, va + G1, XLAT_READ, true, NULL, 0);
	assert_int_equal(r.perms, XLAT_R | WALK_PERM_LOWER_W);
	/* CR0.WP = 0 lets the supervisor write it. */
	v.c.stage[0].ctl &= ~WALK_WP;
	r = walk(&v.c, va + G1, XLAT_WRITE, true, NULL, 0);
	expect_ok(&r, v.backing + 20 * M2, 12);
	assert_true(r.dirty);
	nested_fini(&v);
}

/* ---- three stages --------------------------------------------------------------------- */

struct three {
	struct phys *machine, *host, *guest;
	struct pt sept, ept, gpt;
	struct walk_chain c;
	xlat_pa hpa0, mpa0;
};

static void three_stages(void **state)
{
	(void)state;
	struct three t;
	uint64_t pfn;
	const uint64_t ram = 64 * M2;
	const xlat_va va = 0x00007f0040000000ULL;

	t.machine = phys_create(MAXPHY, 64 * G1);
	assert_non_null(t.machine);
	CHECK(phys_alloc(t.machine, (2 * ram) >> 12, 1, &pfn));
	t.mpa0 = pfn << 12;
	CHECK(pt_init(&t.sept, t.machine, fmt_ept(4), MAXPHY));
	CHECK(pt_map(&t.sept, 0, t.mpa0, 2 * ram, XLAT_RWX, PT_PAGE_4K));
	t.host = phys_create_view(t.machine, MAXPHY, 2 * ram, ept_resolve, &t.sept);
	assert_non_null(t.host);
	CHECK(phys_alloc(t.host, ram >> 12, 1, &pfn));
	t.hpa0 = pfn << 12;
	CHECK(pt_init(&t.ept, t.host, fmt_ept(4), MAXPHY));
	CHECK(pt_map(&t.ept, 0, t.hpa0, ram, XLAT_RWX, PT_PAGE_4K));
	t.guest = phys_create_view(t.host, MAXPHY, ram, ept_resolve, &t.ept);
	assert_non_null(t.guest);
	CHECK(pt_init(&t.gpt, t.guest, fmt_x86(4), MAXPHY));
	CHECK(pt_map(&t.gpt, va, 7 * M2, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));

	walk_chain_init(&t.c, t.machine);
	struct walk_stage s0 = { .fmt = fmt_x86(4), .root = t.gpt.root, .maxphyaddr = MAXPHY,
				 .ctl = WALK_X86_DEFAULT };
	struct walk_stage s1 = { .fmt = fmt_ept(4), .root = t.ept.root, .maxphyaddr = MAXPHY,
				 .ctl = WALK_EPT_DEFAULT };
	struct walk_stage s2 = { .fmt = fmt_ept(4), .root = t.sept.root, .maxphyaddr = MAXPHY,
				 .ctl = WALK_EPT_DEFAULT };
	assert_int_equal(walk_chain_push(&t.c, &s0), 0);
	assert_int_equal(walk_chain_push(&t.c, &s1), 1);
	assert_int_equal(walk_chain_push(&t.c, &s2), 2);
	struct walk_stage s3 = s2;
	assert_int_equal(walk_chain_push(&t.c, &s3), 3);
	assert_int_equal(walk_chain_push(&t.c, &s3), -EINVAL);
	t.c.n = 3;

	static struct walk_ref refs[WALK_MAX_REFS];
	struct walk_result r = walk(&t.c, va + 0x44, XLAT_READ, false, refs, WALK_MAX_REFS);
	/* T(2) = 4, T(1) = 5 * 5 - 1 = 24, T(0) = 5 * 25 - 1 = 124. */
	expect_ok(&r, t.mpa0 + t.hpa0 + 7 * M2 + 0x44, 12);
	assert_int_equal(r.refs, 124);
	assert_int_equal(t.c.stats.refs_at[0][4], 1);
	/* 5 stage-1 walks (4 guest entries + the output), each needing 5
	 * stage-2 walks (4 EPT entries + its output). */
	assert_int_equal(t.c.stats.refs_at[1][4], 5);
	assert_int_equal(t.c.stats.refs_at[2][4], 25);
	assert_int_equal(t.c.stats.refs_at[2][1], 25);
	/* The first references: stage 2 walks the HPA of the EPT entry that
	 * maps the GPA of the guest's PML4E. */
	assert_int_equal(refs[0].stage, 2);
	assert_int_equal(refs[0].for_stage, 1);
	assert_int_equal(refs[0].for_level, 4);
	assert_int_equal(refs[4].stage, 1);
	assert_int_equal(refs[4].for_stage, 0);
	assert_int_equal(refs[4].for_level, 4);
	/* refs[24] is the guest PML4E, after 4 x (4 + 1) + 4 = 24 others. */
	assert_int_equal(refs[24].stage, 0);
	assert_int_equal(refs[24].level, 4);
	assert_int_equal(refs[123].stage, 2);
	assert_int_equal(refs[123].level, 1);
	assert_int_equal(refs[123].for_stage, 1);
	assert_int_equal(refs[123].for_level, 0);

	pt_destroy(&t.gpt);
	phys_destroy(t.guest);
	pt_destroy(&t.ept);
	phys_destroy(t.host);
	pt_destroy(&t.sept);
	phys_destroy(t.machine);
}

/* ---- bad addresses and misuse ------------------------------------------------------------ */

static void bad_address(void **state)
{
	(void)state;
	struct native n;
	struct walk_ref refs[8];
	const xlat_va va = 0x0000100000000000ULL;

	native_init(&n, 4);
	CHECK(pt_map(&n.pt, va, G1, K4, XLAT_RWX | XLAT_U, PT_PAGE_4K));
	/* Non-canonical input (a #GP on hardware): no reference at all. */
	struct walk_result r = walk(&n.c, 0x0000800000000000ULL, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_BAD_ADDRESS);
	assert_int_equal(r.refs, 0);
	r = walk(&n.c, 0xffff800000000000ULL, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(r.refs, 1);
	/* A table beyond the space (valid under MAXPHYADDR 46, space of 2^46
	 * bytes is fine; shrink the space instead). */
	r = walk(&n.c, va, XLAT_READ, false, refs, 8);
	expect_ok(&r, G1, 12);
	struct phys *small = phys_create(32, 0);
	assert_non_null(small);
	for (int i = 0; i < 4; i++)
		CHECK(phys_write64(small, refs[i].addr, rd(n.mem, refs[i].addr)));
	CHECK(phys_write64(small, refs[2].addr, (1ULL << 40) | FMT_X86_P | FMT_X86_RW | FMT_X86_US));
	n.c.mem = small;
	r = walk(&n.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_BAD_ADDRESS);
	assert_int_equal(r.fault.stage, 0);
	assert_int_equal(r.fault.level, 1);
	assert_int_equal(r.fault.addr, (1ULL << 40) + 8 * xlat_index(1, va));
	assert_int_equal(n.c.stats.faults[WALK_BAD_ADDRESS], 2);
	n.c.mem = n.mem;
	phys_destroy(small);
	native_fini(&n);
}

static void misuse(void **state)
{
	(void)state;
	struct native n;
	struct walk_req req = { .va = 0, .kind = XLAT_READ };
	struct walk_result res;

	native_init(&n, 4);
	memset(&res, 0, sizeof res);
	req.kind = XLAT_EV_MAP;
	assert_int_equal(walk_translate(&n.c, &req, &res), -EINVAL);
	req.kind = XLAT_READ;
	n.c.stage[0].root |= 0x18;
	assert_int_equal(walk_translate(&n.c, &req, &res), -EINVAL);
	n.c.stage[0].root &= ~0xfffULL;
	n.c.stage[0].maxphyaddr = 53;
	assert_int_equal(walk_translate(&n.c, &req, &res), -EINVAL);
	n.c.stage[0].maxphyaddr = MAXPHY;
	assert_int_equal(walk_translate(&n.c, &req, &res), 0);
	assert_int_equal(res.fault.kind, WALK_PAGE_FAULT);
	n.c.stage[0].fmt = NULL;
	assert_int_equal(walk_translate(&n.c, &req, &res), -EINVAL);
	n.c.stage[0].fmt = fmt_x86(4);
	n.c.n = 0;
	assert_int_equal(walk_translate(&n.c, &req, &res), -EINVAL);
	n.c.n = 1;
	assert_int_equal(walk_translate(NULL, &req, &res), -EINVAL);
	struct walk_stage bad = { .fmt = NULL };
	assert_int_equal(walk_chain_push(&n.c, &bad), -EINVAL);
	native_fini(&n);
}

/* Stages edited in place between walks (CR3 switch, NXE toggled) take effect. */
static void stage_edits(void **state)
{
	(void)state;
	struct native a, b;
	const xlat_va va = 0x0000100000000000ULL;

	native_init(&a, 4);
	native_init(&b, 4);
	CHECK(pt_map(&a.pt, va, G1, K4, XLAT_R | XLAT_U, PT_PAGE_4K));
	struct walk_result r = walk(&a.c, va, XLAT_FETCH, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(r.fault.error_code, WALK_PF_P | WALK_PF_U | WALK_PF_I);
	/* NXE off: XD becomes a reserved bit. */
	a.c.stage[0].ctl &= ~WALK_NXE;
	r = walk(&a.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.error_code, WALK_PF_P | WALK_PF_U | WALK_PF_RSVD);
	assert_int_equal(r.fault.level, 1);
	/* Another root in the same space: nothing mapped there. */
	a.c.stage[0].ctl |= WALK_NXE;
	xlat_pa root = a.c.stage[0].root;
	uint64_t pfn;
	CHECK(phys_alloc(a.mem, 1, 1, &pfn));
	a.c.stage[0].root = pfn << 12;
	r = walk(&a.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(r.fault.error_code, WALK_PF_U);
	assert_int_equal(r.fault.level, 4);
	a.c.stage[0].root = root;
	r = walk(&a.c, va, XLAT_READ, false, NULL, 0);
	assert_int_equal(r.fault.kind, WALK_OK);
	native_fini(&b);
	native_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(native_counts),
		cmocka_unit_test(native_order),
		cmocka_unit_test(pwc_native),
		cmocka_unit_test(pwc_fault_and_perms),
		cmocka_unit_test(nested_counts),
		cmocka_unit_test(nested_order),
		cmocka_unit_test(ntlb_warm),
		cmocka_unit_test(ntlb_perms_and_dirty),
		cmocka_unit_test(pwc_on_ept),
		cmocka_unit_test(ad_native),
		cmocka_unit_test(combined_result),
		cmocka_unit_test(three_stages),
		cmocka_unit_test(bad_address),
		cmocka_unit_test(misuse),
		cmocka_unit_test(stage_edits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
