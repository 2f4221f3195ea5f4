/*
 * test_format.c — page-table entry formats, bit for bit.
 *
 * Every expected entry below is a 64-bit constant derived by hand from the
 * Intel SDM (vol. 3A tables 4-15..4-20 for x86-64 paging, vol. 3C tables
 * 29-1..29-6 for EPT), never computed from the macros under test, so a
 * wrong bit position in the library shows up as a wrong constant here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xlat/format.h"

static const struct xlat_format *const x86_fmts[] = { &fmt_x86_4, &fmt_x86_5 };
static const struct xlat_format *const ept_fmts[] = { &fmt_ept_4, &fmt_ept_5 };
static const unsigned maxphys[] = { 36, 39, 46, 48, 52 };

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- descriptors --------------------------------------------------------- */

static void test_descriptors(void **state)
{
	(void)state;
	assert_string_equal(fmt_x86_4.name, "x86-64");
	assert_string_equal(fmt_x86_5.name, "x86-64-la57");
	assert_string_equal(fmt_ept_4.name, "ept");
	assert_string_equal(fmt_ept_5.name, "ept5");

	assert_int_equal(fmt_x86_4.levels, 4);
	assert_int_equal(fmt_x86_5.levels, 5);
	assert_int_equal(fmt_ept_4.levels, 4);
	assert_int_equal(fmt_ept_5.levels, 5);
	assert_int_equal(fmt_x86_4.va_bits, 48);
	assert_int_equal(fmt_x86_5.va_bits, 57);
	assert_int_equal(fmt_ept_4.va_bits, 48);
	assert_int_equal(fmt_ept_5.va_bits, 57);
	assert_true(fmt_x86_4.sign_extended);
	assert_true(fmt_x86_5.sign_extended);
	assert_false(fmt_ept_4.sign_extended);
	assert_false(fmt_ept_5.sign_extended);
	assert_int_equal(fmt_x86_4.ops->model, FMT_MODEL_PAGING);
	assert_int_equal(fmt_x86_5.ops->model, FMT_MODEL_PAGING);
	assert_int_equal(fmt_ept_4.ops->model, FMT_MODEL_EPT);
	assert_int_equal(fmt_ept_5.ops->model, FMT_MODEL_EPT);

	for (size_t i = 0; i < 2; i++) {
		const struct xlat_format *x = x86_fmts[i], *e = ept_fmts[i];

		assert_int_equal(x->leaf_levels, 0x0e);   /* levels 1, 2, 3 */
		assert_int_equal(e->leaf_levels, 0x0e);
		assert_int_equal(x->present_mask, 0x1);
		assert_int_equal(e->present_mask, 0x7);
		assert_int_equal(x->ps_bit, 0x80);
		assert_int_equal(e->ps_bit, 0x80);
		assert_int_equal(x->a_bit, 0x20);
		assert_int_equal(x->d_bit, 0x40);
		assert_int_equal(e->a_bit, 0x100);
		assert_int_equal(e->d_bit, 0x200);
	}
}

static void test_lookup(void **state)
{
	(void)state;
	assert_ptr_equal(fmt_by_name("x86-64"), &fmt_x86_4);
	assert_ptr_equal(fmt_by_name("x86-64-la57"), &fmt_x86_5);
	assert_ptr_equal(fmt_by_name("ept"), &fmt_ept_4);
	assert_ptr_equal(fmt_by_name("ept5"), &fmt_ept_5);
	assert_null(fmt_by_name("x86"));
	assert_null(fmt_by_name("EPT"));
	assert_null(fmt_by_name(""));
	assert_null(fmt_by_name(NULL));

	assert_ptr_equal(fmt_x86(4), &fmt_x86_4);
	assert_ptr_equal(fmt_x86(5), &fmt_x86_5);
	assert_ptr_equal(fmt_ept(4), &fmt_ept_4);
	assert_ptr_equal(fmt_ept(5), &fmt_ept_5);
	assert_null(fmt_x86(3));
	assert_null(fmt_x86(6));
	assert_null(fmt_ept(0));
	assert_null(fmt_ept(-4));
}

static void test_level_names(void **state)
{
	static const char *const x86[] = { NULL, "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };
	static const char *const ept[] = { NULL, "EPT PTE", "EPT PDE", "EPT PDPTE",
					   "EPT PML4E", "EPT PML5E" };
	(void)state;
	for (int l = 1; l <= 5; l++) {
		assert_string_equal(fmt_level_name(&fmt_x86_5, l), x86[l]);
		assert_string_equal(fmt_level_name(&fmt_ept_5, l), ept[l]);
	}
	for (int l = 1; l <= 4; l++) {
		assert_string_equal(fmt_level_name(&fmt_x86_4, l), x86[l]);
		assert_string_equal(fmt_level_name(&fmt_ept_4, l), ept[l]);
	}
	/* No PML5E in a 4-level table; out-of-range levels never crash. */
	assert_string_equal(fmt_level_name(&fmt_x86_4, 5), "?");
	assert_string_equal(fmt_level_name(&fmt_x86_4, 0), "?");
	assert_string_equal(fmt_level_name(&fmt_ept_4, 5), "EPT ?");
}

/* ---- address masks -------------------------------------------------------- */

static void test_addr_mask(void **state)
{
	(void)state;
	/* 4K frames and tables: bits M-1:12. */
	assert_int_equal(fmt_addr_mask(1, true, 36), 0x0000000FFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(1, true, 39), 0x0000007FFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(1, true, 46), 0x00003FFFFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(1, true, 48), 0x0000FFFFFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(1, true, 52), 0x000FFFFFFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(2, false, 52), 0x000FFFFFFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(3, false, 52), 0x000FFFFFFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(4, false, 52), 0x000FFFFFFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(5, false, 46), 0x00003FFFFFFFF000ULL);
	/* 2M leaves from bit 21, 1G leaves from bit 30 (bit 12 is PAT there). */
	assert_int_equal(fmt_addr_mask(2, true, 52), 0x000FFFFFFFE00000ULL);
	assert_int_equal(fmt_addr_mask(2, true, 36), 0x0000000FFFE00000ULL);
	assert_int_equal(fmt_addr_mask(3, true, 52), 0x000FFFFFC0000000ULL);
	assert_int_equal(fmt_addr_mask(3, true, 39), 0x0000007FC0000000ULL);
	/* Out-of-range widths are clamped to [12, 52]. */
	assert_int_equal(fmt_addr_mask(1, true, 64), 0x000FFFFFFFFFF000ULL);
	assert_int_equal(fmt_addr_mask(1, true, 0), 0);
}

/* ---- x86 encodings -------------------------------------------------------- */

struct enc_case {
	int level;
	uint64_t pa;
	uint32_t perms;
	uint64_t want;   /* by hand from the SDM tables */
};

static const struct enc_case x86_leaf_cases[] = {
	/* PTE (table 4-19): P=0, RW=1, US=2, PWT=3, PCD=4, A=5, D=6, PAT=7, G=8. */
	{ 1, 0x12345000, XLAT_R,                    0x8000000012345001ULL },
	{ 1, 0x12345000, 0,                         0x8000000012345001ULL }, /* P implies R */
	{ 1, 0x12345000, XLAT_R | XLAT_W,           0x8000000012345003ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_U,           0x8000000012345005ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_X,           0x0000000012345001ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_G,           0x8000000012345101ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_UX,          0x8000000012345001ULL }, /* EPT-only: ignored */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(1),    0x8000000012345009ULL }, /* PWT */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(2),    0x8000000012345011ULL }, /* PCD */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(3),    0x8000000012345019ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(4),    0x8000000012345081ULL }, /* PAT at bit 7 */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(7),    0x8000000012345099ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(8),    0x8000000012345001ULL }, /* EPT IPAT: ignored */
	{ 1, 0x12345000, XLAT_R | XLAT_PKEY(1),     0x8800000012345001ULL }, /* bit 59 */
	{ 1, 0x12345000, XLAT_R | XLAT_PKEY(2),     0x9000000012345001ULL }, /* bit 60 */
	{ 1, 0x12345000, XLAT_R | XLAT_PKEY(4),     0xA000000012345001ULL }, /* bit 61 */
	{ 1, 0x12345000, XLAT_R | XLAT_PKEY(8),     0xC000000012345001ULL }, /* bit 62 */
	{ 1, 0x12345000, XLAT_RWX | XLAT_PKEY(15),  0x7800000012345003ULL },
	{ 1, 0x12345000, XLAT_RWX | XLAT_U | XLAT_G | XLAT_CACHE(7) | XLAT_PKEY(10),
	  0x500000001234519FULL },
	{ 1, 0x000FFFFFFFFFF000ULL, XLAT_RWX,       0x000FFFFFFFFFF003ULL }, /* widest frame */
	{ 1, 0, XLAT_R | XLAT_X,                    0x0000000000000001ULL },
	/* 2M PDE (table 4-18): PS=7, PAT=12, frame from bit 21. */
	{ 2, 0x123400000ULL, XLAT_R,                0x8000000123400081ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_W,       0x8000000123400083ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_U,       0x8000000123400085ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_X,       0x0000000123400081ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_G,       0x8000000123400181ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_CACHE(1), 0x8000000123400089ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_CACHE(2), 0x8000000123400091ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_CACHE(4), 0x8000000123401081ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_CACHE(7), 0x8000000123401099ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_PKEY(3), 0x9800000123400081ULL },
	{ 2, 0x000FFFFFFFE00000ULL, XLAT_RWX | XLAT_U, 0x000FFFFFFFE00087ULL },
	/* 1G PDPTE (table 4-16): PS=7, PAT=12, frame from bit 30. */
	{ 3, 0x1C0000000ULL, XLAT_R,                0x80000001C0000081ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_W,       0x80000001C0000083ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_U,       0x80000001C0000085ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_X,       0x00000001C0000081ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_G,       0x80000001C0000181ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_CACHE(1), 0x80000001C0000089ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_CACHE(2), 0x80000001C0000091ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_CACHE(4), 0x80000001C0001081ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_PKEY(15), 0xF8000001C0000081ULL },
	{ 3, 0x000FFFFFC0000000ULL, XLAT_RWX | XLAT_U | XLAT_G, 0x000FFFFFC0000187ULL },
};

static void test_x86_leaf_encodings(void **state)
{
	(void)state;
	for (size_t f = 0; f < N(x86_fmts); f++) {
		for (size_t i = 0; i < N(x86_leaf_cases); i++) {
			const struct enc_case *c = &x86_leaf_cases[i];

			assert_int_equal(fmt_make_leaf(x86_fmts[f], c->level, c->pa, c->perms), c->want);
		}
	}
	/* A typical Linux user data page once the CPU has set A and D. */
	assert_int_equal(fmt_make_leaf(&fmt_x86_4, 1, 0x12345000, XLAT_R | XLAT_W | XLAT_U) |
			 FMT_X86_A | FMT_X86_D, 0x8000000012345067ULL);
}

/* Each generic flag alone changes exactly the bit the SDM says, per level. */
static void test_x86_each_flag_is_one_bit(void **state)
{
	static const struct { uint32_t perm; uint64_t bit1, bit23; } flags[] = {
		{ XLAT_W,        0x2,                   0x2 },
		{ XLAT_U,        0x4,                   0x4 },
		{ XLAT_X,        0x8000000000000000ULL, 0x8000000000000000ULL }, /* clears XD */
		{ XLAT_G,        0x100,                 0x100 },
		{ XLAT_CACHE(1), 0x8,                   0x8 },
		{ XLAT_CACHE(2), 0x10,                  0x10 },
		{ XLAT_CACHE(4), 0x80,                  0x1000 },
		{ XLAT_PKEY(1),  0x0800000000000000ULL, 0x0800000000000000ULL },
		{ XLAT_PKEY(2),  0x1000000000000000ULL, 0x1000000000000000ULL },
		{ XLAT_PKEY(4),  0x2000000000000000ULL, 0x2000000000000000ULL },
		{ XLAT_PKEY(8),  0x4000000000000000ULL, 0x4000000000000000ULL },
	};
	(void)state;
	for (int level = 1; level <= 3; level++) {
		uint64_t base = fmt_make_leaf(&fmt_x86_5, level, 0, XLAT_R);

		assert_int_equal(base, level == 1 ? 0x8000000000000001ULL : 0x8000000000000081ULL);
		for (size_t i = 0; i < N(flags); i++) {
			uint64_t e = fmt_make_leaf(&fmt_x86_5, level, 0, XLAT_R | flags[i].perm);

			assert_int_equal(e ^ base, level == 1 ? flags[i].bit1 : flags[i].bit23);
		}
	}
}

static void test_x86_table_encodings(void **state)
{
	(void)state;
	for (size_t f = 0; f < N(x86_fmts); f++) {
		const struct xlat_format *fmt = x86_fmts[f];

		for (int level = 2; level <= fmt->levels; level++) {
			assert_int_equal(fmt_make_table(fmt, level, 0x1234000, false), 0x0000000001234007ULL);
			assert_int_equal(fmt_make_table(fmt, level, 0x1234000, true), 0x0000000001234027ULL);
			assert_int_equal(fmt_make_table(fmt, level, 0x000FFFFFFFFFF000ULL, false),
					 0x000FFFFFFFFFF007ULL);
			/* Bit 12 of a table address is address, not PAT. */
			assert_int_equal(fmt_make_table(fmt, level, 0x1000, false), 0x0000000000001007ULL);
		}
	}
}

/* ---- EPT encodings -------------------------------------------------------- */

static const struct enc_case ept_leaf_cases[] = {
	/* EPT PTE (table 29-6): R=0, W=1, X=2, MT=5:3, IPAT=6, A=8, D=9, UX=10. */
	{ 1, 0x12345000, XLAT_R,                        0x0000000012345031ULL }, /* MT=WB(6) */
	{ 1, 0x12345000, XLAT_R | XLAT_W,               0x0000000012345033ULL },
	{ 1, 0x12345000, XLAT_X,                        0x0000000012345034ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_X,               0x0000000012345035ULL },
	{ 1, 0x12345000, XLAT_RWX,                      0x0000000012345037ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_UX,              0x0000000012345431ULL },
	{ 1, 0x12345000, 0,                             0x0000000012345030ULL }, /* not present */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(XLAT_EPT_UC), 0x0000000012345001ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(1),        0x0000000012345009ULL }, /* WC */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(4),        0x0000000012345021ULL }, /* WT */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(5),        0x0000000012345029ULL }, /* WP */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(6),        0x0000000012345031ULL }, /* WB */
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(XLAT_EPT_IPAT), 0x0000000012345071ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_CACHE(XLAT_EPT_IPAT | XLAT_EPT_UC), 0x0000000012345041ULL },
	{ 1, 0x12345000, XLAT_R | XLAT_U | XLAT_G | XLAT_PKEY(5), 0x0000000012345031ULL }, /* x86-only */
	{ 1, 0x000FFFFFFFFFF000ULL, XLAT_RWX | XLAT_UX, 0x000FFFFFFFFFF437ULL },
	/* 2M EPT PDE (table 29-4): PS=7, frame from bit 21. */
	{ 2, 0x123400000ULL, XLAT_R,                    0x00000001234000B1ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_W,           0x00000001234000B3ULL },
	{ 2, 0x123400000ULL, XLAT_X,                    0x00000001234000B4ULL },
	{ 2, 0x123400000ULL, XLAT_RWX,                  0x00000001234000B7ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_UX,          0x00000001234004B1ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_CACHE(XLAT_EPT_UC), 0x0000000123400081ULL },
	{ 2, 0x123400000ULL, XLAT_R | XLAT_CACHE(4 | XLAT_EPT_IPAT), 0x00000001234000E1ULL },
	/* 1G EPT PDPTE (table 29-2): PS=7, frame from bit 30. */
	{ 3, 0x1C0000000ULL, XLAT_R,                    0x00000001C00000B1ULL },
	{ 3, 0x1C0000000ULL, XLAT_RWX,                  0x00000001C00000B7ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_UX,          0x00000001C00004B1ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_CACHE(1),    0x00000001C0000089ULL },
	{ 3, 0x1C0000000ULL, XLAT_R | XLAT_CACHE(XLAT_EPT_IPAT), 0x00000001C00000F1ULL },
};

static void test_ept_leaf_encodings(void **state)
{
	(void)state;
	for (size_t f = 0; f < N(ept_fmts); f++) {
		for (size_t i = 0; i < N(ept_leaf_cases); i++) {
			const struct enc_case *c = &ept_leaf_cases[i];

			assert_int_equal(fmt_make_leaf(ept_fmts[f], c->level, c->pa, c->perms), c->want);
		}
	}
}

static void test_ept_each_flag_is_one_bit(void **state)
{
	static const struct { uint32_t perm; uint64_t bit; } flags[] = {
		{ XLAT_R,  0x1 }, { XLAT_W, 0x2 }, { XLAT_X, 0x4 }, { XLAT_UX, 0x400 },
		{ XLAT_CACHE(XLAT_EPT_IPAT), 0x40 },
		{ XLAT_U, 0 }, { XLAT_G, 0 }, { XLAT_PKEY(15), 0 },
	};
	(void)state;
	for (int level = 1; level <= 3; level++) {
		uint64_t base = fmt_make_leaf(&fmt_ept_5, level, 0, 0);

		assert_int_equal(base, level == 1 ? 0x30 : 0xB0);
		for (size_t i = 0; i < N(flags); i++)
			assert_int_equal(fmt_make_leaf(&fmt_ept_5, level, 0, flags[i].perm) ^ base,
					 flags[i].bit);
		/* Memory type field: bits 5:3 hold the type. */
		for (unsigned t = 1; t <= 6; t++)
			assert_int_equal(fmt_make_leaf(&fmt_ept_5, level, 0, XLAT_CACHE(t)) & 0x38,
					 (uint64_t)t << 3);
		assert_int_equal(fmt_make_leaf(&fmt_ept_5, level, 0, XLAT_CACHE(0)) & 0x38, 0x30);
		assert_int_equal(fmt_make_leaf(&fmt_ept_5, level, 0, XLAT_CACHE(XLAT_EPT_UC)) & 0x38, 0);
	}
}

static void test_ept_table_encodings(void **state)
{
	(void)state;
	for (size_t f = 0; f < N(ept_fmts); f++) {
		const struct xlat_format *fmt = ept_fmts[f];

		for (int level = 2; level <= fmt->levels; level++) {
			/* R|W|X|UX: UX is ignored without MBEC, needed with it. */
			assert_int_equal(fmt_make_table(fmt, level, 0x1234000, false), 0x0000000001234407ULL);
			assert_int_equal(fmt_make_table(fmt, level, 0x1234000, true), 0x0000000001234507ULL);
			assert_int_equal(fmt_make_table(fmt, level, 0x000FFFFFFFFFF000ULL, false),
					 0x000FFFFFFFFFF407ULL);
		}
	}
}

/* ---- decode --------------------------------------------------------------- */

static void test_x86_decode_round_trip(void **state)
{
	static const uint32_t flag_sets[] = {
		0, XLAT_W, XLAT_U, XLAT_X, XLAT_G, XLAT_W | XLAT_U, XLAT_W | XLAT_X | XLAT_U | XLAT_G,
	};
	static const unsigned pkeys[] = { 0, 1, 9, 15 };
	static const uint64_t pages[] = { 0, 0x1C0000000ULL, 0x000FFFFFC0000000ULL };
	(void)state;
	for (size_t f = 0; f < N(x86_fmts); f++)
	for (int level = 1; level <= 3; level++)
	for (size_t p = 0; p < N(pages); p++)
	for (size_t i = 0; i < N(flag_sets); i++)
	for (unsigned cache = 0; cache < 8; cache++)
	for (size_t k = 0; k < N(pkeys); k++) {
		uint32_t perms = XLAT_R | flag_sets[i] | XLAT_CACHE(cache) | XLAT_PKEY(pkeys[k]);
		uint64_t e = fmt_make_leaf(x86_fmts[f], level, pages[p], perms);
		struct pte_fields d;

		fmt_decode(x86_fmts[f], level, e, 52, &d);
		assert_true(d.present);
		assert_true(d.leaf);
		assert_int_equal(d.addr, pages[p]);
		assert_int_equal(d.perms, perms);
		assert_false(d.accessed);
		assert_false(d.dirty);
		/* Perms without XLAT_R decode with it: a present x86 entry reads. */
		e = fmt_make_leaf(x86_fmts[f], level, pages[p], perms & ~XLAT_R);
		fmt_decode(x86_fmts[f], level, e, 52, &d);
		assert_int_equal(d.perms, perms);
		/* A and D. */
		fmt_decode(x86_fmts[f], level, e | FMT_X86_A, 52, &d);
		assert_true(d.accessed);
		assert_false(d.dirty);
		fmt_decode(x86_fmts[f], level, e | FMT_X86_D, 52, &d);
		assert_false(d.accessed);
		assert_true(d.dirty);
	}
}

static void test_x86_decode_tables(void **state)
{
	struct pte_fields d;
	(void)state;
	for (int level = 2; level <= 5; level++) {
		fmt_decode(&fmt_x86_5, level, 0x0000000001234027ULL, 52, &d);
		assert_true(d.present);
		assert_false(d.leaf);
		assert_int_equal(d.addr, 0x1234000);
		assert_int_equal(d.perms, XLAT_R | XLAT_W | XLAT_U | XLAT_X);
		assert_true(d.accessed);
		assert_false(d.dirty);
		/* D and G are ignored in tables; XD and PWT/PCD are not. */
		fmt_decode(&fmt_x86_5, level, 0x8000000001235159ULL, 52, &d);
		assert_false(d.leaf);
		assert_int_equal(d.addr, 0x1235000);   /* bit 12 is address in a table */
		assert_int_equal(d.perms, XLAT_R | XLAT_CACHE(3));
		assert_false(d.dirty);
		assert_false(d.accessed);
	}
	/* PS in a PML4E / PML5E is a reserved bit, not a leaf. */
	fmt_decode(&fmt_x86_5, 4, 0x00000000012340A7ULL, 52, &d);
	assert_false(d.leaf);
	fmt_decode(&fmt_x86_5, 5, 0x00000000012340A7ULL, 52, &d);
	assert_false(d.leaf);
	assert_false(fmt_is_leaf(&fmt_x86_5, 4, 0x00000000012340A7ULL));
	assert_false(fmt_is_leaf(&fmt_x86_5, 5, 0x00000000012340A7ULL));
	assert_true(fmt_is_leaf(&fmt_x86_5, 3, 0x00000000012340A7ULL));
	assert_true(fmt_is_leaf(&fmt_x86_5, 2, 0x00000000012340A7ULL));
	assert_false(fmt_is_leaf(&fmt_x86_5, 2, 0x0000000001234027ULL));
	assert_true(fmt_is_leaf(&fmt_x86_5, 1, 0x0000000001234027ULL));  /* bit 7 of a PTE is PAT */
}

static void test_x86_decode_addr_width(void **state)
{
	struct pte_fields d;
	(void)state;
	/* Bits above MAXPHYADDR are not address (they are reserved). */
	fmt_decode(&fmt_x86_4, 1, 0x000FFFFFFFFFF001ULL, 36, &d);
	assert_int_equal(d.addr, 0x0000000FFFFFF000ULL);
	fmt_decode(&fmt_x86_4, 1, 0x000FFFFFFFFFF001ULL, 52, &d);
	assert_int_equal(d.addr, 0x000FFFFFFFFFF000ULL);
	/* 2M leaf: bits 20:12 are PAT + reserved, not address. */
	fmt_decode(&fmt_x86_4, 2, 0x00000001235FF081ULL, 52, &d);
	assert_int_equal(d.addr, 0x123400000ULL);
	assert_int_equal(XLAT_CACHE_OF(d.perms), 4);
	/* 1G leaf: bits 29:12 likewise. */
	fmt_decode(&fmt_x86_4, 3, 0x000000017FFFF081ULL, 52, &d);
	assert_int_equal(d.addr, 0x140000000ULL);
	/* Ignored bits 11:9 and 58:52 do not leak into anything. */
	fmt_decode(&fmt_x86_4, 1, 0x07F0000012345E01ULL, 52, &d);
	assert_int_equal(d.addr, 0x12345000);
	assert_int_equal(d.perms, XLAT_R | XLAT_X);
}

static void test_decode_not_present(void **state)
{
	struct pte_fields d;
	(void)state;
	memset(&d, 0xa5, sizeof d);
	fmt_decode(&fmt_x86_4, 1, 0xFFFFFFFFFFFFFFFEULL, 52, &d);
	assert_false(d.present);
	assert_false(d.leaf);
	assert_int_equal(d.addr, 0);
	assert_int_equal(d.perms, 0);
	assert_false(d.accessed);
	assert_false(d.dirty);
	assert_false(fmt_present(&fmt_x86_4, 0xFFFFFFFFFFFFFFFEULL));
	assert_true(fmt_present(&fmt_x86_4, 0x1));

	memset(&d, 0xa5, sizeof d);
	fmt_decode(&fmt_ept_4, 2, 0xFFFFFFFFFFFFFFF8ULL, 52, &d);
	assert_false(d.present);
	assert_int_equal(d.addr, 0);
	assert_int_equal(d.perms, 0);
	for (uint64_t rwx = 1; rwx < 8; rwx++)
		assert_true(fmt_present(&fmt_ept_4, rwx));
	assert_false(fmt_present(&fmt_ept_4, FMT_EPT_UX));   /* UX-only: see misconfig tests */
}

static void test_ept_decode_round_trip(void **state)
{
	static const uint32_t flag_sets[] = {
		XLAT_R, XLAT_R | XLAT_W, XLAT_X, XLAT_R | XLAT_X, XLAT_RWX, XLAT_R | XLAT_UX,
		XLAT_X | XLAT_UX, XLAT_RWX | XLAT_UX, XLAT_W, XLAT_W | XLAT_X,
	};
	/* Cache fields that decode to themselves (6 normalises to 0). */
	static const unsigned caches[] = { 0, 1, 4, 5, XLAT_EPT_UC, 8, 9, 12, 13, 8 | XLAT_EPT_UC };
	static const uint64_t pages[] = { 0, 0x1C0000000ULL, 0x000FFFFFC0000000ULL };
	(void)state;
	for (size_t f = 0; f < N(ept_fmts); f++)
	for (int level = 1; level <= 3; level++)
	for (size_t p = 0; p < N(pages); p++)
	for (size_t i = 0; i < N(flag_sets); i++)
	for (size_t c = 0; c < N(caches); c++) {
		uint32_t perms = flag_sets[i] | XLAT_CACHE(caches[c]);
		uint64_t e = fmt_make_leaf(ept_fmts[f], level, pages[p], perms);
		struct pte_fields d;

		fmt_decode(ept_fmts[f], level, e, 52, &d);
		assert_true(d.present);
		assert_true(d.leaf);
		assert_int_equal(d.addr, pages[p]);
		assert_int_equal(d.perms, perms);
		fmt_decode(ept_fmts[f], level, e | FMT_EPT_A, 52, &d);
		assert_true(d.accessed);
		assert_false(d.dirty);
		fmt_decode(ept_fmts[f], level, e | FMT_EPT_D, 52, &d);
		assert_false(d.accessed);
		assert_true(d.dirty);
		/* SVE and ignored bits 11, 62:52 are no permission. */
		fmt_decode(ept_fmts[f], level, e | 0xFFF0000000000800ULL, 52, &d);
		assert_int_equal(d.perms, perms);
		assert_int_equal(d.addr, pages[p]);
	}
	/* WB spelled out decodes to the default 0. */
	{
		struct pte_fields d;

		fmt_decode(&fmt_ept_4, 1, 0x0000000012345031ULL, 52, &d);
		assert_int_equal(d.perms, XLAT_R);
		fmt_decode(&fmt_ept_4, 1, 0x0000000012345071ULL, 52, &d);
		assert_int_equal(d.perms, XLAT_R | XLAT_CACHE(XLAT_EPT_IPAT));
	}
}

static void test_ept_decode_tables(void **state)
{
	struct pte_fields d;
	(void)state;
	for (int level = 2; level <= 5; level++) {
		fmt_decode(&fmt_ept_5, level, 0x0000000001234507ULL, 52, &d);
		assert_true(d.present);
		assert_false(d.leaf);
		assert_int_equal(d.addr, 0x1234000);
		assert_int_equal(d.perms, XLAT_RWX | XLAT_UX);
		assert_true(d.accessed);
		/* Bit 9 is ignored in a table. */
		fmt_decode(&fmt_ept_5, level, 0x0000000001235201ULL, 52, &d);
		assert_int_equal(d.addr, 0x1235000);
		assert_int_equal(d.perms, XLAT_R);
		assert_false(d.dirty);
		assert_false(d.accessed);
	}
	fmt_decode(&fmt_ept_5, 4, 0x0000000001234087ULL, 52, &d);
	assert_false(d.leaf);
	fmt_decode(&fmt_ept_5, 3, 0x0000000001234087ULL, 52, &d);
	assert_true(d.leaf);
	assert_int_equal(d.addr, 0);   /* a 1G frame starts at bit 30 */
}

/* ---- set_perms ------------------------------------------------------------ */

static void test_set_perms(void **state)
{
	uint64_t e;
	(void)state;
	/* x86 PTE with A, D, ignored bits 9 and 52: those survive. */
	e = fmt_set_perms(&fmt_x86_4, 1, 0x8010000012345267ULL,
			  XLAT_RWX | XLAT_U | XLAT_G | XLAT_CACHE(7) | XLAT_PKEY(2));
	assert_int_equal(e, 0x10100000123453FFULL);
	e = fmt_set_perms(&fmt_x86_4, 1, e, XLAT_R);
	assert_int_equal(e, 0x8010000012345261ULL);
	/* 2M PDE: PS stays, PAT moves to bit 12, address untouched. */
	e = fmt_set_perms(&fmt_x86_4, 2, 0x00000001234000E3ULL, XLAT_R | XLAT_CACHE(4));
	assert_int_equal(e, 0x80000001234010E1ULL);
	e = fmt_set_perms(&fmt_x86_4, 2, e, XLAT_RWX);
	assert_int_equal(e, 0x00000001234000E3ULL);
	/* 1G PDPTE. */
	e = fmt_set_perms(&fmt_x86_5, 3, 0x00000001C0000081ULL, XLAT_R | XLAT_U | XLAT_PKEY(1));
	assert_int_equal(e, 0x88000001C0000085ULL);
	/* EPT: SVE, A, D and address survive; type and IPAT are rewritten. */
	e = fmt_set_perms(&fmt_ept_4, 1, 0x8000000012345337ULL,
			  XLAT_R | XLAT_CACHE(XLAT_EPT_UC | XLAT_EPT_IPAT));
	assert_int_equal(e, 0x8000000012345341ULL);
	e = fmt_set_perms(&fmt_ept_4, 2, 0x00000001234000B7ULL, XLAT_X | XLAT_UX);
	assert_int_equal(e, 0x00000001234004B4ULL);
	e = fmt_set_perms(&fmt_ept_5, 3, 0x00000001C00004B4ULL, XLAT_RWX);
	assert_int_equal(e, 0x00000001C00000B7ULL);
	/* A non-present leaf stays non-present (x86 P is not a permission). */
	e = fmt_set_perms(&fmt_x86_4, 1, 0x0000000012345000ULL, XLAT_RWX);
	assert_int_equal(e, 0x0000000012345002ULL);
}

/* ---- x86 reserved bits ---------------------------------------------------- */

/* Bits 51:M by hand, for the widths under test. */
static uint64_t phys_rsvd(unsigned m)
{
	switch (m) {
	case 36: return 0x000FFFF000000000ULL;
	case 39: return 0x000FFF8000000000ULL;
	case 46: return 0x000FC00000000000ULL;
	case 48: return 0x000F000000000000ULL;
	case 52: return 0;
	}
	fail_msg("no hand value for MAXPHYADDR %u", m);
	return 0;
}

static void test_x86_rsvd_masks(void **state)
{
	static const unsigned ctls[] = { 0, FMT_CTL_NXE, FMT_CTL_1G, FMT_CTL_NXE | FMT_CTL_1G,
					 FMT_CTL_DEFAULT | FMT_CTL_MBEC };
	(void)state;
	for (size_t f = 0; f < N(x86_fmts); f++)
	for (size_t i = 0; i < N(maxphys); i++)
	for (size_t c = 0; c < N(ctls); c++) {
		const struct xlat_format *fmt = x86_fmts[f];
		unsigned m = maxphys[i], ctl = ctls[c];
		uint64_t base = phys_rsvd(m) | ((ctl & FMT_CTL_NXE) ? 0 : 0x8000000000000000ULL);
		bool g1 = (ctl & FMT_CTL_1G) != 0;

		assert_int_equal(fmt_rsvd_mask(fmt, 1, true, m, ctl), base);
		assert_int_equal(fmt_rsvd_mask(fmt, 1, false, m, ctl), base);  /* a PTE is a leaf */
		assert_int_equal(fmt_rsvd_mask(fmt, 2, false, m, ctl), base);
		assert_int_equal(fmt_rsvd_mask(fmt, 2, true, m, ctl), base | 0x1FE000);   /* 20:13 */
		assert_int_equal(fmt_rsvd_mask(fmt, 3, false, m, ctl), base);
		assert_int_equal(fmt_rsvd_mask(fmt, 3, true, m, ctl),
				 base | (g1 ? 0x3FFFE000 : 0x80));                    /* 29:13 or PS */
		assert_int_equal(fmt_rsvd_mask(fmt, 4, false, m, ctl), base | 0x80);
		assert_int_equal(fmt_rsvd_mask(fmt, 4, true, m, ctl), base | 0x80);
		if (fmt->levels == 5) {
			assert_int_equal(fmt_rsvd_mask(fmt, 5, false, m, ctl), base | 0x80);
			assert_int_equal(fmt_rsvd_mask(fmt, 5, true, m, ctl), base | 0x80);
		}
	}
	/* A few spelled out in full. */
	assert_int_equal(fmt_rsvd_mask(&fmt_x86_4, 2, true, 39, 0), 0x800FFF80001FE000ULL);
	assert_int_equal(fmt_rsvd_mask(&fmt_x86_4, 3, true, 46, FMT_CTL_DEFAULT), 0x000FC0003FFFE000ULL);
	assert_int_equal(fmt_rsvd_mask(&fmt_x86_4, 3, true, 46, FMT_CTL_NXE), 0x000FC00000000080ULL);
	assert_int_equal(fmt_rsvd_mask(&fmt_x86_5, 5, false, 52, FMT_CTL_DEFAULT), 0x0000000000000080ULL);
	assert_int_equal(fmt_rsvd_mask(&fmt_x86_4, 1, true, 36, 0), 0x800FFFF000000000ULL);
}

/* The bit just below MAXPHYADDR is address, the one at MAXPHYADDR reserved. */
static void test_rsvd_maxphyaddr_boundary(void **state)
{
	const struct xlat_format *const fmts[] = { &fmt_x86_4, &fmt_x86_5, &fmt_ept_4, &fmt_ept_5 };
	(void)state;
	for (size_t f = 0; f < N(fmts); f++)
	for (size_t i = 0; i < N(maxphys); i++)
	for (int level = 1; level <= fmts[f]->levels; level++)
	for (int leaf = 0; leaf <= 1; leaf++) {
		unsigned m = maxphys[i];
		uint64_t mask, below = 1ULL << (m - 1);
		struct pte_fields d;

		if (leaf && level > 3)
			continue;
		mask = fmt_rsvd_mask(fmts[f], level, leaf, m, FMT_CTL_DEFAULT);
		assert_int_equal(mask & below, 0);
		assert_int_equal(fmt_addr_mask(level, leaf, m) & below, below);
		if (m < 52)
			assert_int_equal(mask & (1ULL << m), 1ULL << m);
		/* Bit 51 is the top of the field: reserved below 52, address at 52. */
		assert_int_equal(mask & (1ULL << 51), m < 52 ? 1ULL << 51 : 0);
		/* Bits 62:52 are never reserved (ignored, or PKEY / SVE). */
		assert_int_equal(mask & 0x7FF0000000000000ULL, 0);

		/* Decode follows the same boundary. */
		fmt_decode(fmts[f], level, below | (1ULL << m) | 0x7 |
			   (leaf && level > 1 ? 0x80 : 0), m, &d);
		assert_int_equal(d.addr, below);
	}
}

/* The huge-leaf reserved ranges end exactly where the frame begins. */
static void test_rsvd_huge_boundaries(void **state)
{
	uint64_t m;
	(void)state;
	/* x86 2M: 12 PAT, 20:13 reserved, 21 address. */
	m = fmt_rsvd_mask(&fmt_x86_4, 2, true, 52, FMT_CTL_DEFAULT);
	assert_int_equal(m & (1ULL << 12), 0);
	assert_int_equal(m & (1ULL << 13), 1ULL << 13);
	assert_int_equal(m & (1ULL << 20), 1ULL << 20);
	assert_int_equal(m & (1ULL << 21), 0);
	/* x86 1G: 12 PAT, 29:13 reserved, 30 address. */
	m = fmt_rsvd_mask(&fmt_x86_4, 3, true, 52, FMT_CTL_DEFAULT);
	assert_int_equal(m & (1ULL << 12), 0);
	assert_int_equal(m & (1ULL << 13), 1ULL << 13);
	assert_int_equal(m & (1ULL << 29), 1ULL << 29);
	assert_int_equal(m & (1ULL << 30), 0);
	/* EPT 2M: 20:12 reserved (no PAT bit), 21 address. */
	m = fmt_rsvd_mask(&fmt_ept_4, 2, true, 52, FMT_CTL_1G);
	assert_int_equal(m & (1ULL << 11), 0);
	assert_int_equal(m & (1ULL << 12), 1ULL << 12);
	assert_int_equal(m & (1ULL << 20), 1ULL << 20);
	assert_int_equal(m & (1ULL << 21), 0);
	/* EPT 1G: 29:12 reserved, 30 address. */
	m = fmt_rsvd_mask(&fmt_ept_4, 3, true, 52, FMT_CTL_1G);
	assert_int_equal(m & (1ULL << 11), 0);
	assert_int_equal(m & (1ULL << 12), 1ULL << 12);
	assert_int_equal(m & (1ULL << 29), 1ULL << 29);
	assert_int_equal(m & (1ULL << 30), 0);
	/* EPT tables: 6:3 reserved, 2 and 7 not; PML4E 7:3, 8 not. */
	m = fmt_rsvd_mask(&fmt_ept_4, 2, false, 52, FMT_CTL_1G);
	assert_int_equal(m & 0x84, 0);
	assert_int_equal(m & 0x48, 0x48);
	m = fmt_rsvd_mask(&fmt_ept_4, 4, false, 52, FMT_CTL_1G);
	assert_int_equal(m & 0x104, 0);
	assert_int_equal(m & 0x88, 0x88);
}

/* NXE alone decides whether bit 63 is reserved, at every level. */
static void test_x86_nxe(void **state)
{
	(void)state;
	for (int level = 1; level <= 5; level++)
	for (int leaf = 0; leaf <= 1; leaf++) {
		assert_int_equal(fmt_rsvd_mask(&fmt_x86_5, level, leaf, 52, FMT_CTL_1G) &
				 FMT_X86_XD, 0x8000000000000000ULL);
		assert_int_equal(fmt_rsvd_mask(&fmt_x86_5, level, leaf, 52, FMT_CTL_DEFAULT) &
				 FMT_X86_XD, 0);
		/* EPT bit 63 is SVE: NXE means nothing there. */
		assert_int_equal(fmt_rsvd_mask(&fmt_ept_5, level, leaf, 52, 0) & (1ULL << 63), 0);
	}
}

/* ---- EPT reserved bits and misconfigurations ------------------------------ */

static void test_ept_rsvd_masks(void **state)
{
	static const unsigned ctls[] = { 0, FMT_CTL_1G, FMT_CTL_NXE, FMT_CTL_MBEC,
					 FMT_CTL_1G | FMT_CTL_MBEC | FMT_CTL_NXE };
	(void)state;
	for (size_t f = 0; f < N(ept_fmts); f++)
	for (size_t i = 0; i < N(maxphys); i++)
	for (size_t c = 0; c < N(ctls); c++) {
		const struct xlat_format *fmt = ept_fmts[f];
		unsigned m = maxphys[i], ctl = ctls[c];
		uint64_t base = phys_rsvd(m);
		bool g1 = (ctl & FMT_CTL_1G) != 0;

		assert_int_equal(fmt_rsvd_mask(fmt, 1, true, m, ctl), base);        /* bit 7 ignored */
		assert_int_equal(fmt_rsvd_mask(fmt, 2, false, m, ctl), base | 0x78);   /* 6:3 */
		assert_int_equal(fmt_rsvd_mask(fmt, 2, true, m, ctl), base | 0x1FF000); /* 20:12 */
		assert_int_equal(fmt_rsvd_mask(fmt, 3, false, m, ctl), base | 0x78);
		assert_int_equal(fmt_rsvd_mask(fmt, 3, true, m, ctl),
				 base | (g1 ? 0x3FFFF000 : 0x80));                      /* 29:12 or PS */
		assert_int_equal(fmt_rsvd_mask(fmt, 4, false, m, ctl), base | 0xF8);    /* 7:3 */
		if (fmt->levels == 5)
			assert_int_equal(fmt_rsvd_mask(fmt, 5, false, m, ctl), base | 0xF8);
	}
	assert_int_equal(fmt_rsvd_mask(&fmt_ept_4, 2, true, 39, 0), 0x000FFF80001FF000ULL);
	assert_int_equal(fmt_rsvd_mask(&fmt_ept_5, 5, false, 46, 0), 0x000FC000000000F8ULL);
}

static void test_ept_misconfig_rwx(void **state)
{
	/* Bits 2:0 -> misconfigured? with / without execute-only support. */
	static const struct { uint64_t rwx; bool with_xo, without_xo; } cases[] = {
		{ 0, false, false },   /* not present: a violation, not a misconfig */
		{ 1, false, false },   /* R   */
		{ 2, true,  true  },   /* W   : write without read */
		{ 3, false, false },   /* RW  */
		{ 4, false, true  },   /* X   : execute-only */
		{ 5, false, false },   /* RX  */
		{ 6, true,  true  },   /* WX  : write without read */
		{ 7, false, false },   /* RWX */
	};
	(void)state;
	for (size_t f = 0; f < N(ept_fmts); f++)
	for (size_t i = 0; i < N(cases); i++) {
		const struct xlat_format *fmt = ept_fmts[f];
		/* Valid around the permission bits: WB leaves, clean tables. */
		uint64_t pte = 0x12345030ULL | cases[i].rwx;
		uint64_t pde2m = 0x1234000B0ULL | cases[i].rwx;
		uint64_t table = 0x12345000ULL | cases[i].rwx;

		assert_int_equal(fmt_misconfig(fmt, 1, pte, 52, FMT_CTL_1G, true), cases[i].with_xo);
		assert_int_equal(fmt_misconfig(fmt, 1, pte, 52, FMT_CTL_1G, false), cases[i].without_xo);
		assert_int_equal(fmt_misconfig(fmt, 2, pde2m, 52, FMT_CTL_1G, true), cases[i].with_xo);
		assert_int_equal(fmt_misconfig(fmt, 2, pde2m, 52, FMT_CTL_1G, false), cases[i].without_xo);
		for (int level = 2; level <= fmt->levels; level++) {
			assert_int_equal(fmt_misconfig(fmt, level, table, 52, FMT_CTL_1G, true),
					 cases[i].with_xo);
			assert_int_equal(fmt_misconfig(fmt, level, table, 52, FMT_CTL_1G, false),
					 cases[i].without_xo);
		}
	}
}

static void test_ept_misconfig_mbec(void **state)
{
	(void)state;
	/* UX-only: not present without MBEC; execute-only with it. */
	assert_false(fmt_misconfig(&fmt_ept_4, 1, 0x12345430ULL, 52, 0, false));
	assert_false(fmt_misconfig(&fmt_ept_4, 1, 0x12345430ULL, 52, FMT_CTL_MBEC, true));
	assert_true(fmt_misconfig(&fmt_ept_4, 1, 0x12345430ULL, 52, FMT_CTL_MBEC, false));
	/* Present via UX, then a reserved memory type counts. */
	assert_true(fmt_misconfig(&fmt_ept_4, 1, 0x12345410ULL, 52, FMT_CTL_MBEC, true));
	/* R + UX is fine either way. */
	assert_false(fmt_misconfig(&fmt_ept_4, 1, 0x12345431ULL, 52, FMT_CTL_MBEC, false));
	assert_false(fmt_misconfig(&fmt_ept_4, 1, 0x12345431ULL, 52, 0, false));
	/* X + UX without execute-only support: still execute-only. */
	assert_true(fmt_misconfig(&fmt_ept_4, 1, 0x12345434ULL, 52, FMT_CTL_MBEC, false));
	/* Non-EPT formats have no misconfigurations. */
	assert_false(fmt_misconfig(&fmt_x86_4, 1, 0x2, 52, 0, false));
}

static void test_ept_misconfig_memtype(void **state)
{
	/* Types 0 UC, 1 WC, 4 WT, 5 WP, 6 WB are valid; 2, 3, 7 reserved. */
	static const bool reserved[8] = { false, false, true, true, false, false, false, true };
	(void)state;
	for (size_t f = 0; f < N(ept_fmts); f++)
	for (uint64_t t = 0; t < 8; t++)
	for (int ipat = 0; ipat <= 1; ipat++) {
		const struct xlat_format *fmt = ept_fmts[f];
		uint64_t bits = (t << 3) | (ipat ? 0x40ULL : 0) | 0x7;

		assert_int_equal(fmt_misconfig(fmt, 1, 0x12345000ULL | bits, 52, FMT_CTL_1G, true),
				 reserved[t]);
		assert_int_equal(fmt_misconfig(fmt, 2, 0x123400080ULL | bits, 52, FMT_CTL_1G, true),
				 reserved[t]);
		assert_int_equal(fmt_misconfig(fmt, 3, 0x1C0000080ULL | bits, 52, FMT_CTL_1G, true),
				 reserved[t]);
		/* In a table, bits 6:3 are reserved whatever they hold. */
		for (int level = 2; level <= fmt->levels; level++)
			assert_int_equal(fmt_misconfig(fmt, level, 0x12345000ULL | bits, 52,
							   FMT_CTL_1G, true), bits != 0x7);
	}
	/* Not present: the memory type is not looked at. */
	assert_false(fmt_misconfig(&fmt_ept_4, 1, 0x12345038ULL, 52, FMT_CTL_1G, true));
}

/* Flip every bit of a valid entry, one at a time, at every level. */
static void test_ept_misconfig_each_bit(void **state)
{
	static const struct {
		int level;
		uint64_t base;      /* valid entry */
		uint64_t rsvd;      /* by hand, MAXPHYADDR 46, 1G supported */
		uint64_t extra;     /* other bits whose flip misconfigures */
		uint64_t skip;      /* bits tested elsewhere */
	} cases[] = {
		/* PTE, WB: bit 3 -> type 7, bit 5 -> type 2; bit 4 -> WT is fine. */
		{ 1, 0x0000000012345037ULL, 0x000FC00000000000ULL, 0x28, 0x7 },
		/* 2M leaf: bit 7 makes it a table whose bits 5:4 are reserved. */
		{ 2, 0x00000001234000B7ULL, 0x000FC000001FF000ULL, 0xA8, 0x7 },
		/* 1G leaf. */
		{ 3, 0x00000001C00000B7ULL, 0x000FC0003FFFF000ULL, 0xA8, 0x7 },
		/* Tables: bit 7 at 2/3 turns them into leaves (tested above). */
		{ 2, 0x0000000012345407ULL, 0x000FC00000000078ULL, 0, 0x87 },
		{ 3, 0x0000000012345407ULL, 0x000FC00000000078ULL, 0, 0x87 },
		{ 4, 0x0000000012345407ULL, 0x000FC000000000F8ULL, 0, 0x7 },
		{ 5, 0x0000000012345407ULL, 0x000FC000000000F8ULL, 0, 0x7 },
	};
	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		assert_false(fmt_misconfig(&fmt_ept_5, cases[i].level, cases[i].base, 46,
					       FMT_CTL_1G, false));
		for (unsigned b = 0; b < 64; b++) {
			uint64_t bit = 1ULL << b;
			bool want = ((cases[i].rsvd | cases[i].extra) & bit) != 0;

			if (cases[i].skip & bit)
				continue;
			if (fmt_misconfig(&fmt_ept_5, cases[i].level, cases[i].base ^ bit, 46,
					      FMT_CTL_1G, false) != want)
				fail_msg("level %d entry 0x%llx bit %u: misconfig should be %d",
					 cases[i].level, (unsigned long long)cases[i].base, b, want);
		}
	}
	/* 1G leaf without 1G support: PS itself is reserved. */
	assert_true(fmt_misconfig(&fmt_ept_4, 3, 0x00000001C00000B7ULL, 52, 0, true));
	assert_false(fmt_misconfig(&fmt_ept_4, 3, 0x00000001C00000B7ULL, 52, FMT_CTL_1G, true));
	/* 2M leaves do not depend on the 1G capability. */
	assert_false(fmt_misconfig(&fmt_ept_4, 2, 0x00000001234000B7ULL, 52, 0, true));
	/* Address beyond MAXPHYADDR: bit 45 fine at 46, bit 46 not. */
	assert_false(fmt_misconfig(&fmt_ept_4, 1, 0x0000200000000037ULL, 46, 0, true));
	assert_true(fmt_misconfig(&fmt_ept_4, 1, 0x0000400000000037ULL, 46, 0, true));
}

/* ---- describe ------------------------------------------------------------- */

static void expect_describe(const struct xlat_format *fmt, int level, uint64_t e,
			    unsigned m, const char *want)
{
	char buf[256];
	int n = fmt_describe(fmt, level, e, m, buf, sizeof buf);

	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_describe(void **state)
{
	(void)state;
	expect_describe(&fmt_x86_4, 1, 0x8000000012345067ULL, 52,
			"PTE       0x8000000012345067 P RW US A D XD -> 4K page 0x12345000");
	expect_describe(&fmt_x86_4, 1, 0x0000000012345181ULL, 52,
			"PTE       0x0000000012345181 P RO SUP G PAT -> 4K page 0x12345000");
	expect_describe(&fmt_x86_4, 2, 0x0000000123400083ULL, 52,
			"PDE       0x0000000123400083 P RW SUP PS -> 2M page 0x123400000");
	expect_describe(&fmt_x86_4, 3, 0xA8000001C000109DULL, 52,
			"PDPTE     0xa8000001c000109d P RO US PWT PCD PS PAT PKEY=5 XD -> 1G page 0x1c0000000");
	expect_describe(&fmt_x86_4, 4, 0x0000000001234027ULL, 52,
			"PML4E     0x0000000001234027 P RW US A -> PDPT 0x1234000");
	expect_describe(&fmt_x86_5, 5, 0x0000000001234007ULL, 52,
			"PML5E     0x0000000001234007 P RW US -> PML4 0x1234000");
	expect_describe(&fmt_x86_4, 3, 0x0000000001234007ULL, 52,
			"PDPTE     0x0000000001234007 P RW US -> PD 0x1234000");
	expect_describe(&fmt_x86_4, 2, 0x0000000001234007ULL, 52,
			"PDE       0x0000000001234007 P RW US -> PT 0x1234000");
	/* Reserved bits are called out. */
	expect_describe(&fmt_x86_4, 4, 0x00000000012340A7ULL, 52,
			"PML4E     0x00000000012340a7 P RW US A PS -> PDPT 0x1234000 RSVD=0x80");
	expect_describe(&fmt_x86_4, 2, 0x0000000123402083ULL, 52,
			"PDE       0x0000000123402083 P RW SUP PS -> 2M page 0x123400000 RSVD=0x2000");
	expect_describe(&fmt_x86_4, 1, 0x0000100012345001ULL, 44,
			"PTE       0x0000100012345001 P RO SUP -> 4K page 0x12345000 RSVD=0x100000000000");
	expect_describe(&fmt_x86_4, 1, 0, 52, "PTE       0x0000000000000000 not present");
	expect_describe(&fmt_x86_4, 1, 0x12345000ULL, 52, "PTE       0x0000000012345000 not present");

	expect_describe(&fmt_ept_4, 1, 0x8000000012345337ULL, 52,
			"EPT PTE   0x8000000012345337 RWX A D MT=WB SVE -> 4K page 0x12345000");
	expect_describe(&fmt_ept_4, 2, 0x00000001234004F5ULL, 52,
			"EPT PDE   0x00000001234004f5 R-X UX PS MT=WB IPAT -> 2M page 0x123400000");
	expect_describe(&fmt_ept_4, 3, 0x00000001C0000081ULL, 52,
			"EPT PDPTE 0x00000001c0000081 R-- PS MT=UC -> 1G page 0x1c0000000");
	expect_describe(&fmt_ept_5, 5, 0x0000000001234507ULL, 52,
			"EPT PML5E 0x0000000001234507 RWX UX A -> EPT PML4 0x1234000");
	expect_describe(&fmt_ept_4, 4, 0x0000000001234407ULL, 52,
			"EPT PML4E 0x0000000001234407 RWX UX -> EPT PDPT 0x1234000");
	expect_describe(&fmt_ept_4, 2, 0x0000000001234407ULL, 52,
			"EPT PDE   0x0000000001234407 RWX UX -> EPT PT 0x1234000");
	expect_describe(&fmt_ept_4, 1, 0x0000000012345012ULL, 52,
			"EPT PTE   0x0000000012345012 -W- MT=rsvd2 -> 4K page 0x12345000 W-WITHOUT-R");
	expect_describe(&fmt_ept_4, 3, 0x0000000001234417ULL, 52,
			"EPT PDPTE 0x0000000001234417 RWX UX -> EPT PD 0x1234000 RSVD=0x10");
	expect_describe(&fmt_ept_4, 1, 0x0000000012345438ULL, 52,
			"EPT PTE   0x0000000012345438 not present");
}

static void test_describe_truncates(void **state)
{
	const char *full = "PDE       0x0000000123400083 P RW SUP PS -> 2M page 0x123400000";
	char buf[16];
	int n;
	(void)state;
	memset(buf, 'x', sizeof buf);
	n = fmt_describe(&fmt_x86_4, 2, 0x0000000123400083ULL, 52, buf, sizeof buf);
	assert_int_equal(n, (int)strlen(full));
	assert_int_equal(strlen(buf), sizeof buf - 1);
	assert_memory_equal(buf, full, sizeof buf - 1);
	n = fmt_describe(&fmt_x86_4, 2, 0x0000000123400083ULL, 52, NULL, 0);
	assert_int_equal(n, (int)strlen(full));
	buf[0] = 'x';
	n = fmt_describe(&fmt_x86_4, 2, 0x0000000123400083ULL, 52, buf, 1);
	assert_int_equal(n, (int)strlen(full));
	assert_int_equal(buf[0], '\0');
}

/* ---- misuse aborts (in a child, so the test goes on) ---------------------- */

static int bug_case;

static void run_bug_case(void)
{
	switch (bug_case) {
	case 0: fmt_make_table(&fmt_x86_4, 1, 0x1000, false); break;       /* PTE -> table */
	case 1: fmt_make_leaf(&fmt_x86_4, 4, 0, XLAT_R); break;            /* 512G page */
	case 2: fmt_make_leaf(&fmt_x86_4, 2, 0x1000, XLAT_R); break;       /* misaligned 2M */
	case 3: fmt_make_leaf(&fmt_ept_4, 3, 0x200000, XLAT_R); break;     /* misaligned 1G */
	case 4: fmt_make_table(&fmt_ept_4, 2, 0x1234, false); break;       /* misaligned table */
	case 5: fmt_make_leaf(&fmt_x86_4, 1, 1ULL << 52, XLAT_R); break;   /* beyond 52 bits */
	case 6: fmt_make_leaf(&fmt_x86_4, 5, 0, XLAT_R); break;            /* no level 5 */
	case 7: fmt_rsvd_mask(&fmt_ept_4, 0, true, 52, 0); break;          /* no level 0 */
	case 8: fmt_set_perms(&fmt_x86_4, 2, 0x1234007, XLAT_R); break;    /* a table */
	case 9: { struct pte_fields d; fmt_decode(&fmt_x86_5, 6, 1, 52, &d); break; }
	}
}

static void test_misuse_is_a_bug(void **state)
{
	(void)state;
	for (bug_case = 0; bug_case < 10; bug_case++) {
		int status = 0;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (!freopen("/dev/null", "w", stderr))
				_exit(2);
			run_bug_case();
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
			fail_msg("misuse case %d did not abort (status 0x%x)", bug_case, status);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptors),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_addr_mask),
		cmocka_unit_test(test_x86_leaf_encodings),
		cmocka_unit_test(test_x86_each_flag_is_one_bit),
		cmocka_unit_test(test_x86_table_encodings),
		cmocka_unit_test(test_ept_leaf_encodings),
		cmocka_unit_test(test_ept_each_flag_is_one_bit),
		cmocka_unit_test(test_ept_table_encodings),
		cmocka_unit_test(test_x86_decode_round_trip),
		cmocka_unit_test(test_x86_decode_tables),
		cmocka_unit_test(test_x86_decode_addr_width),
		cmocka_unit_test(test_decode_not_present),
		cmocka_unit_test(test_ept_decode_round_trip),
		cmocka_unit_test(test_ept_decode_tables),
		cmocka_unit_test(test_set_perms),
		cmocka_unit_test(test_x86_rsvd_masks),
		cmocka_unit_test(test_rsvd_maxphyaddr_boundary),
		cmocka_unit_test(test_rsvd_huge_boundaries),
		cmocka_unit_test(test_x86_nxe),
		cmocka_unit_test(test_ept_rsvd_masks),
		cmocka_unit_test(test_ept_misconfig_rwx),
		cmocka_unit_test(test_ept_misconfig_mbec),
		cmocka_unit_test(test_ept_misconfig_memtype),
		cmocka_unit_test(test_ept_misconfig_each_bit),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_describe_truncates),
		cmocka_unit_test(test_misuse_is_a_bug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
