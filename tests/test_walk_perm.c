/*
 * The x86 permission and fault rules of the walker (Intel SDM vol. 3A 4.5-4.8)
 * against an independent model written here from the SDM text.
 *
 * Tables are built by hand, entry by entry, at fixed frames so that every
 * bit of every level can be chosen. For each paging depth (4, 5) and each
 * level, every combination of that level's P, R/W, U/S, XD, A, D, PS and a
 * reserved/boundary-bit selector is crossed with every CPU setting (CR0.WP,
 * CR4.SMEP, CR4.SMAP, EFER.NXE, 1 GiB support) and every access (read,
 * write, fetch; user or supervisor; EFLAGS.AC; implicit). The other levels
 * get deterministic pseudo-random bits. Each case checks fault or not, the
 * exact error code, CR2, the faulting level, the references, the physical
 * address, combined perms, dirty/global, which A/D bits were written, and
 * walk_perm_ok on the result for every other access.
 *
 * The model follows kvm-unit-tests' x86/access.c in one choice the SDM
 * leaves open: a faulting access sets no A bit (access.c ignores non-leaf A
 * on faults and requires the leaf unchanged).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "xlat/phys.h"
#include "xlat/walk.h"

#define MAXPHY 46
#define DATA_PA 0xc0000000ULL           /* 1 GiB aligned: fits any leaf size */

/* ---- the SDM, as a test writes it ------------------------------------- */

/* Bits of an x86-64 paging entry (SDM tables 4-15 .. 4-20). */
enum {
	B_P = 0, B_RW = 1, B_US = 2, B_PWT = 3, B_PCD = 4, B_A = 5, B_D = 6, B_PS = 7,
	B_G = 8, B_XD = 63,
};
#define BIT(n) (1ULL << (n))

struct cpu {
	bool wp, smep, smap, nxe, pdpe1gb;
};

struct acc {
	unsigned kind;          /* 0 read, 1 write, 2 fetch */
	bool cpl3, ac, implicit;
};

struct outcome {
	bool fault;
	uint32_t ec;
	int stop;                    /* lowest level read */
	uint64_t after[6];           /* entries after the access */
	xlat_pa pa;
	unsigned shift;
	bool user_page, writable, xd, global, dirty;
};

/* Reserved bits of a present entry (SDM 4.5.4, tables 4-15..4-20): bits
 * 51:MAXPHYADDR always; bit 63 without NXE; PS in a PML5E/PML4E; PS in a
 * PDPTE without 1 GiB pages; bits 29:13 of a 1 GiB PDPTE and 20:13 of a
 * 2 MiB PDE. */
static bool sdm_reserved(uint64_t e, int level, const struct cpu *cpu)
{
	for (int b = MAXPHY; b <= 51; b++)
		if (e & BIT(b))
			return true;
	if (!cpu->nxe && (e & BIT(B_XD)))
		return true;
	if (level >= 4 && (e & BIT(B_PS)))
		return true;
	if (level == 3 && (e & BIT(B_PS)) && !cpu->pdpe1gb)
		return true;
	if (level == 3 && (e & BIT(B_PS)))
		for (int b = 13; b <= 29; b++)
			if (e & BIT(b))
				return true;
	if (level == 2 && (e & BIT(B_PS)))
		for (int b = 13; b <= 20; b++)
			if (e & BIT(b))
				return true;
	return false;
}

/* SDM 4.6.1, "Determination of Access Rights", sentence by sentence.
 * user_page: U/S = 1 in every entry; writable: R/W = 1 in every entry;
 * xd: XD = 1 in some entry. */
static bool sdm_allowed(const struct acc *a, const struct cpu *cpu, bool user_page,
			bool writable, bool xd)
{
	bool user_access = a->cpl3 && !a->implicit;   /* implicit accesses are supervisor-mode */
	bool explicit_ac = a->ac && !a->implicit;

	if (!user_access) {
		switch (a->kind) {
		case 0: /* data reads */
			if (!user_page)
				return true;            /* from any supervisor-mode address */
			if (!cpu->smap)
				return true;            /* SMAP off: from any user-mode address */
			return explicit_ac;             /* SMAP on: only explicit with AC = 1 */
		case 1: /* data writes */
			if (user_page && cpu->smap && !explicit_ac)
				return false;
			if (!cpu->wp)
				return true;            /* WP = 0: to any address (as allowed above) */
			return writable;                /* WP = 1: only with R/W = 1 at every level */
		default: /* instruction fetches */
			if (user_page && cpu->smep)
				return false;
			return !cpu->nxe || !xd;
		}
	}
	if (!user_page)
		return false;                           /* user-mode accesses only to user-mode addresses */
	switch (a->kind) {
	case 0:
		return true;
	case 1:
		return writable;
	default:
		return !cpu->nxe || !xd;
	}
}

/* Translation (SDM 4.5.4) of the table chain ent[top..1], where every present,
 * valid non-leaf entry leads to the next level's entry, plus the #PF error
 * code (4.7) and the A/D updates (4.8). */
static void sdm_translate(const uint64_t *ent, int top, xlat_va va, const struct acc *a,
			  const struct cpu *cpu, struct outcome *o)
{
	bool user_access = a->cpl3 && !a->implicit;
	uint32_t access_bits = (a->kind == 1 ? WALK_PF_W : 0) | (user_access ? WALK_PF_U : 0) |
			       (a->kind == 2 && (cpu->nxe || cpu->smep) ? WALK_PF_I : 0);
	int level;

	memset(o, 0, sizeof *o);
	for (int l = 1; l <= 5; l++)
		o->after[l] = ent[l];
	o->user_page = o->writable = true;
	for (level = top; level >= 1; level--) {
		uint64_t e = ent[level];

		o->stop = level;
		if (!(e & BIT(B_P))) {
			o->fault = true;
			o->ec = access_bits;
			return;
		}
		if (sdm_reserved(e, level, cpu)) {
			o->fault = true;
			o->ec = access_bits | WALK_PF_P | WALK_PF_RSVD;
			return;
		}
		o->user_page &= (e & BIT(B_US)) != 0;
		o->writable &= (e & BIT(B_RW)) != 0;
		o->xd |= (e & BIT(B_XD)) != 0;
		if (level == 1 || (level <= 3 && (e & BIT(B_PS))))
			break;
	}
	if (!sdm_allowed(a, cpu, o->user_page, o->writable, o->xd)) {
		o->fault = true;
		o->ec = access_bits | WALK_PF_P;
		return;
	}
	uint64_t e = ent[level];
	o->shift = 12 + 9 * (unsigned)(level - 1);
	uint64_t frame = 0;
	for (unsigned b = o->shift; b < MAXPHY; b++)
		frame |= e & BIT(b);
	o->pa = frame | (va & ((1ULL << o->shift) - 1));
	for (int l = top; l >= level; l--)
		o->after[l] |= BIT(B_A);
	if (a->kind == 1)
		o->after[level] |= BIT(B_D);
	o->dirty = (o->after[level] & BIT(B_D)) != 0;
	o->global = (e & BIT(B_G)) != 0;
}

/* ---- the tables ----------------------------------------------------------- */

static xlat_pa table_pa(int level)
{
	return 0x100000ULL * (xlat_pa)level;    /* level L's table at L MiB */
}

static xlat_va test_va(int top)
{
	/* Distinct indices per level, lower half, canonical for both depths;
	 * the offset exercises every leaf size. */
	xlat_va va = (0x0a5ULL << 39) | (0x13cULL << 30) | (0x0f1ULL << 21) | (0x1e2ULL << 12) | 0x7b8;
	if (top == 5)
		va |= 0x011ULL << 48;
	return va;
}

/* Per-level choice of extra bits (2 bits of the case):
 *   0: none
 *   1: bit 46 = MAXPHYADDR, the lowest reserved address bit
 *   2: bit 51, the highest
 *   3: bit 13 in a leaf (reserved in a 2M/1G leaf, an address bit of a 4K
 *      one), bit 52 in a non-leaf (ignored) */
static uint64_t extra_bits(unsigned sel, int level, bool leaf)
{
	switch (sel) {
	case 1: return BIT(MAXPHY);
	case 2: return BIT(51);
	case 3: return leaf ? BIT(13) : BIT(52);
	default: return 0;
	}
}

/* Flag bits of a case's level word. */
#define F_P   (1u << 0)
#define F_RW  (1u << 1)
#define F_US  (1u << 2)
#define F_XD  (1u << 3)
#define F_A   (1u << 4)
#define F_D   (1u << 5)
#define F_PS  (1u << 6)
#define F_X0  (1u << 7)    /* extra selector, 2 bits */
#define F_G   (1u << 9)
#define F_FOCUS_BITS 9     /* exhaustive over bits 0..8 */

static uint64_t make_entry(unsigned f, int level)
{
	bool leaf = level == 1 || ((f & F_PS) && level <= 3);
	uint64_t e;

	if (level == 1)
		e = DATA_PA;
	else if (leaf)
		e = DATA_PA;
	else
		e = table_pa(level - 1);
	if (f & F_P)
		e |= BIT(B_P);
	if (f & F_RW)
		e |= BIT(B_RW);
	if (f & F_US)
		e |= BIT(B_US);
	if (f & F_XD)
		e |= BIT(B_XD);
	if (f & F_A)
		e |= BIT(B_A);
	if (f & F_D)
		e |= BIT(B_D);
	if (f & F_PS)
		e |= BIT(B_PS);
	if (f & F_G)
		e |= BIT(B_G);
	e |= extra_bits((f >> 7) & 3u, level, leaf);
	return e;
}

/* ---- the harness ----------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, seeded per test. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Random flags for a non-focus level; `above` levels must let the walk
 * reach the focus level (present, not a leaf). */
static unsigned random_flags(bool above)
{
	uint64_t r = rng();
	unsigned f;

	if (r & 3)      /* mostly: everything allowed */
		f = F_P | F_RW | F_US | (unsigned)((r >> 8) & (F_A | F_D | F_G));
	else
		f = (unsigned)(r >> 8) & (F_P | F_RW | F_US | F_XD | F_A | F_D | F_PS | F_G);
	if (((r >> 20) & 15) == 0)
		f |= (unsigned)((r >> 24) & 3) << 7;
	if (above) {
		f |= F_P;
		f &= ~F_PS;
		if ((f >> 7 & 3u) != 3)
			f &= ~(3u << 7);       /* no reserved bits above the focus */
	} else if ((r >> 30) & 7) {
		f |= F_P;                    /* mostly present below */
	}
	if (!above && ((r >> 34) & 3))
		f &= ~F_PS;                  /* mostly tables below */
	return f;
}

struct harness {
	struct phys *mem;
	struct walk_chain c;
	unsigned long cases, faults, successes;
};

static void harness_init(struct harness *h, int top)
{
	h->mem = phys_create(MAXPHY, 0);
	assert_non_null(h->mem);
	walk_chain_init(&h->c, h->mem);
	struct walk_stage st = { .fmt = fmt_x86(top), .root = table_pa(top), .maxphyaddr = MAXPHY };
	assert_int_equal(walk_chain_push(&h->c, &st), 0);
	h->cases = h->faults = h->successes = 0;
}

static unsigned cpu_ctl(const struct cpu *cpu)
{
	return WALK_SET_AD | (cpu->wp ? WALK_WP : 0) | (cpu->smep ? WALK_SMEP : 0) |
	       (cpu->smap ? WALK_SMAP : 0) | (cpu->nxe ? WALK_NXE : 0) | (cpu->pdpe1gb ? WALK_1G : 0);
}

static void describe(int top, const unsigned *flags, const uint64_t *ent, const struct cpu *cpu,
		     const struct acc *a)
{
	print_error("case: %d-level, cpu WP=%d SMEP=%d SMAP=%d NXE=%d 1G=%d, %s %s ac=%d implicit=%d\n",
		    top, cpu->wp, cpu->smep, cpu->smap, cpu->nxe, cpu->pdpe1gb,
		    a->cpl3 ? "user" : "supervisor", a->kind == 0 ? "read" : a->kind == 1 ? "write" : "fetch",
		    a->ac, a->implicit);
	for (int l = top; l >= 1; l--)
		print_error("  L%d flags %#05x entry %#018llx\n", l, flags[l], (unsigned long long)ent[l]);
}

static struct acc acc_of(unsigned i)
{
	/* 3 kinds x (user, user+AC, user+AC+implicit, sup, sup+AC, sup+AC+implicit,
	 * sup+implicit) */
	static const bool modes[7][3] = {
		{ 1, 0, 0 }, { 1, 1, 0 }, { 1, 1, 1 }, { 0, 0, 0 }, { 0, 1, 0 }, { 0, 1, 1 }, { 0, 0, 1 },
	};
	struct acc a = { .kind = i % 3, .cpl3 = modes[i / 3][0], .ac = modes[i / 3][1],
			 .implicit = modes[i / 3][2] };
	return a;
}
#define NACC 21

static struct cpu cpu_of(unsigned i)
{
	struct cpu c = { .wp = i & 1, .smep = i & 2, .smap = i & 4, .nxe = i & 8, .pdpe1gb = i & 16 };
	return c;
}
#define NCPU 32

/* One case: build, walk, compare. */
static void run_case(struct harness *h, int top, const unsigned *flags, const struct cpu *cpu,
		     const struct acc *a, bool check_perm_ok)
{
	uint64_t ent[6] = { 0 };
	struct outcome x;
	xlat_va va = test_va(top);

	for (int l = top; l >= 1; l--) {
		ent[l] = make_entry(flags[l], l);
		assert_int_equal(phys_write64(h->mem, table_pa(l) + 8 * xlat_index(l, va), ent[l]), 0);
	}
	sdm_translate(ent, top, va, a, cpu, &x);

	h->c.stage[0].ctl = cpu_ctl(cpu);
	uint64_t ad0 = h->c.stats.ad_writes;
	struct walk_req req = { .va = va, .kind = (uint8_t)a->kind, .supervisor = !a->cpl3,
				.ac = a->ac, .implicit = a->implicit };
	struct walk_result res;
	memset(&res, 0, sizeof res);
	assert_int_equal(walk_translate(&h->c, &req, &res), 0);
	h->cases++;

	bool bad = false;
	if (x.fault) {
		h->faults++;
		bad |= res.fault.kind != WALK_PAGE_FAULT || res.fault.error_code != x.ec ||
		       res.fault.addr != va || res.fault.level != x.stop || res.fault.stage != 0 ||
		       res.fault.entry != ent[x.stop];
	} else {
		h->successes++;
		uint32_t perms = XLAT_R | WALK_PERM_LOWER_W | (x.writable ? XLAT_W : 0) |
				 (x.user_page ? XLAT_U : 0) | (!cpu->nxe || !x.xd ? XLAT_X : 0);
		bad |= res.fault.kind != WALK_OK || res.pa != x.pa || res.shift != x.shift ||
		       res.perms != perms || res.dirty != x.dirty || res.global != x.global;
		if (bad)
			print_error("want pa %#llx shift %u perms %#x dirty %d global %d; got kind %d pa %#llx "
				    "shift %u perms %#x dirty %d global %d ec %#x\n",
				    (unsigned long long)x.pa, x.shift, perms, x.dirty, x.global, res.fault.kind,
				    (unsigned long long)res.pa, res.shift, res.perms, res.dirty, res.global,
				    res.fault.error_code);
	}
	bad |= res.refs != (uint32_t)(top - x.stop + 1);
	unsigned changed = 0;
	for (int l = top; l >= 1; l--) {
		uint64_t now;
		assert_int_equal(phys_read64(h->mem, table_pa(l) + 8 * xlat_index(l, va), &now), 0);
		if (now != x.after[l]) {
			print_error("L%d after: want %#llx got %#llx\n", l,
				    (unsigned long long)x.after[l], (unsigned long long)now);
			bad = true;
		}
		changed += x.after[l] != ent[l];
	}
	bad |= h->c.stats.ad_writes - ad0 != changed;
	if (bad) {
		describe(top, flags, ent, cpu, a);
		print_error("want fault %d ec %#x level %d refs %d; got kind %d ec %#x level %u addr %#llx "
			    "refs %u ad_writes %llu (want %u)\n",
			    x.fault, x.ec, x.stop, top - x.stop + 1, res.fault.kind, res.fault.error_code,
			    res.fault.level, (unsigned long long)res.fault.addr, res.refs,
			    (unsigned long long)(h->c.stats.ad_writes - ad0), changed);
		fail();
	}

	/* A TLB holding this translation must agree with the rules for every
	 * other access (D aside: a clean entry only forces a walk). */
	if (check_perm_ok && !x.fault) {
		for (unsigned i = 0; i < NACC; i++) {
			struct acc b = acc_of(i);
			struct walk_req r2 = { .va = va, .kind = (uint8_t)b.kind, .supervisor = !b.cpl3,
					       .ac = b.ac, .implicit = b.implicit };
			bool want = sdm_allowed(&b, cpu, x.user_page, x.writable, x.xd);
			if (walk_perm_ok(res.perms, &r2, cpu_ctl(cpu)) != want) {
				describe(top, flags, ent, cpu, &b);
				print_error("walk_perm_ok(%#x) want %d\n", res.perms, want);
				fail();
			}
		}
	}
}

/* Every combination of the focus level's bits x CPU x access, at every level. */
static void exhaustive_level(int top)
{
	struct harness h;

	harness_init(&h, top);
	rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)top;
	for (int focus = top; focus >= 1; focus--) {
		for (unsigned f = 0; f < (1u << F_FOCUS_BITS); f++) {
			for (unsigned ci = 0; ci < NCPU; ci++) {
				struct cpu cpu = cpu_of(ci);
				for (unsigned ai = 0; ai < NACC; ai++) {
					unsigned flags[6] = { 0 };
					struct acc a = acc_of(ai);
					for (int l = top; l >= 1; l--)
						flags[l] = l == focus ? f | (unsigned)(rng() & F_G)
								      : random_flags(l > focus);
					run_case(&h, top, flags, &cpu, &a, ai == 0);
				}
			}
		}
	}
	/* The rules must have produced both outcomes in bulk. */
	print_message("%d-level: %lu cases, %lu faults, %lu translations\n", top, h.cases, h.faults,
		      h.successes);
	assert_true(h.faults > h.cases / 4);
	assert_true(h.successes > h.cases / 32);
	phys_destroy(h.mem);
}

static void exhaustive_4level(void **state)
{
	(void)state;
	exhaustive_level(4);
}

static void exhaustive_5level(void **state)
{
	(void)state;
	exhaustive_level(5);
}

/* All levels random at once: combinations across levels (U/S at one
 * level, R/W at another, XD at a third). */
static void random_all_levels(void **state)
{
	(void)state;
	for (int top = 4; top <= 5; top++) {
		struct harness h;
		harness_init(&h, top);
		rng_state = 0x1234567887654321ULL + (uint64_t)top;
		for (unsigned n = 0; n < 200000; n++) {
			unsigned flags[6] = { 0 };
			uint64_t r = rng();
			struct cpu cpu = cpu_of((unsigned)(r % NCPU));
			struct acc a = acc_of((unsigned)((r >> 8) % NACC));
			for (int l = top; l >= 1; l--) {
				uint64_t q = rng();
				flags[l] = (unsigned)q & (F_RW | F_US | F_XD | F_A | F_D | F_G);
				if (q & (7u << 16))
					flags[l] |= F_P;
				if (((q >> 20) & 7) == 0)
					flags[l] |= F_PS;
				if (((q >> 24) & 15) == 0)
					flags[l] |= (unsigned)((q >> 28) & 3) << 7;
			}
			run_case(&h, top, flags, &cpu, &a, (n & 7) == 0);
		}
		assert_true(h.faults > 10000);
		assert_true(h.successes > 10000);
		phys_destroy(h.mem);
	}
}

/* A few cases spelled out, so a reader sees the rules without the model. */
static void spelled_out(void **state)
{
	(void)state;
	struct harness h;
	const unsigned all = F_P | F_RW | F_US | F_A | F_D;
	struct cpu cpu = { .wp = true, .smep = true, .smap = true, .nxe = true, .pdpe1gb = true };
	struct walk_result res;
	xlat_va va = test_va(4);

	harness_init(&h, 4);
	h.c.stage[0].ctl = cpu_ctl(&cpu);
	uint64_t ent[6];
	unsigned flags[6] = { 0, all, all, all, all, 0 };

	/* Supervisor-only PDE: a user read faults with P|U, CR2 = va. */
	flags[2] = all & ~F_US;
	for (int l = 4; l >= 1; l--) {
		ent[l] = make_entry(flags[l], l);
		assert_int_equal(phys_write64(h.mem, table_pa(l) + 8 * xlat_index(l, va), ent[l]), 0);
	}
	struct walk_req req = { .va = va, .kind = XLAT_READ };
	memset(&res, 0, sizeof res);
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(res.fault.error_code, WALK_PF_P | WALK_PF_U);
	assert_int_equal(res.fault.addr, va);
	/* The same page read by the supervisor is fine; fetched, too. */
	req.supervisor = true;
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.kind, WALK_OK);
	req.kind = XLAT_FETCH;
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.kind, WALK_OK);
	/* A user page fetched by the supervisor under SMEP: P|I. */
	flags[2] = all;
	assert_int_equal(phys_write64(h.mem, table_pa(2) + 8 * xlat_index(2, va), make_entry(flags[2], 2)), 0);
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.error_code, WALK_PF_P | WALK_PF_I);
	/* Read under SMAP: faults without AC, passes with AC, not if implicit. */
	req.kind = XLAT_READ;
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.error_code, WALK_PF_P);
	req.ac = true;
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.kind, WALK_OK);
	req.implicit = true;
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.error_code, WALK_PF_P);
	/* Not present PTE on a write: W only (P = 0). */
	req.implicit = req.ac = req.supervisor = false;
	req.kind = XLAT_WRITE;
	assert_int_equal(phys_write64(h.mem, table_pa(1) + 8 * xlat_index(1, va), make_entry(all & ~F_P, 1)), 0);
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.error_code, WALK_PF_W | WALK_PF_U);
	assert_int_equal(res.fault.level, 1);
	/* Reserved bit 46 in the PML4E on a fetch: P|U|RSVD|I, level 4. */
	req.kind = XLAT_FETCH;
	assert_int_equal(phys_write64(h.mem, table_pa(4) + 8 * xlat_index(4, va), make_entry(all | (1u << 7), 4)), 0);
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.error_code, WALK_PF_P | WALK_PF_U | WALK_PF_RSVD | WALK_PF_I);
	assert_int_equal(res.fault.level, 4);
	/* Without NXE and SMEP the same fault has no I. */
	h.c.stage[0].ctl &= ~(WALK_NXE | WALK_SMEP);
	assert_int_equal(walk_translate(&h.c, &req, &res), 0);
	assert_int_equal(res.fault.error_code, WALK_PF_P | WALK_PF_U | WALK_PF_RSVD);
	phys_destroy(h.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spelled_out),
		cmocka_unit_test(exhaustive_4level),
		cmocka_unit_test(exhaustive_5level),
		cmocka_unit_test(random_all_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
