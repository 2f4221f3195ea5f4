/*
 * The EPT rules of the walker (Intel SDM vol. 3C 29.3.2-29.3.5, exit
 * qualification table 28-7) against an independent model written here.
 *
 * A guest (4-level x86) runs on an EPT built by hand at fixed host frames.
 * The guest-physical space is cut into three regions at the EPT's top
 * level, each with its own EPT path:
 *   A: the guest's upper tables (PML4, PDPT, PD), always fully mapped;
 *   B: the data page the guest accesses;
 *   C: the guest's page table (the PTE page).
 * The focus path (B: the final translation; C: a guest paging-structure
 * access) gets every combination of R/W/X/UX/PS, memory type and a
 * reserved/boundary-bit selector at each level, crossed with the EPT
 * capabilities (execute-only, MBEC, A/D, 1 GiB) and the access kinds.
 * Each case checks violation vs misconfiguration vs success, the level,
 * the exit qualification, the GPA and GLA, references, the host-physical
 * result and the A/D bits the walk wrote.
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

#define HMAXPHY 46                     /* host physical-address width (EPT entries) */
#define GMAXPHY 52                     /* guest physical-address width (guest entries) */
#define BIT(n) (1ULL << (n))
#define GVA 0x00004a5279e3c000ULL      /* guest linear address accessed */
#define GVA_OFF 0x7b8
#define DATA_HPA 0xc0000000ULL         /* 1 GiB aligned */
#define PTPAGE_HPA 0x80000000ULL       /* backs the guest PTE page (1 GiB aligned) */
#define REGION_A_HPA 0x40000000ULL     /* + GPA: backs region A */

/* ---- the SDM, as a test writes it ---------------------------------------- */

struct caps {
	bool exec_only, mbec, ad, pdpe1gb;
};

enum verdict { OK, VIOLATION, MISCONFIG };

struct ept_outcome {
	enum verdict v;
	int stop;                 /* last level read */
	uint64_t qual;            /* violation: bits 0..8 */
	xlat_pa hpa;
	unsigned shift;
	bool r, w, x, ux;         /* ANDed over the levels read */
	uint64_t after[6];
};

static bool any_bit(uint64_t e, int hi, int lo)
{
	for (int b = lo; b <= hi; b++)
		if (e & BIT(b))
			return true;
	return false;
}

/* SDM 29.3.2: an entry is present if any of bits 2:0 is 1, or, with
 * mode-based execute control, bit 10. */
static bool ept_present(uint64_t e, const struct caps *c)
{
	return (e & 7) || (c->mbec && (e & BIT(10)));
}

/* SDM 29.3.3.1, EPT misconfigurations, with the reserved bits of tables
 * 29-1..29-6 for MAXPHYADDR = 46. */
static bool ept_misconfigured(uint64_t e, int level, const struct caps *c)
{
	bool r = e & 1, w = e & 2, x = e & 4, ux = c->mbec && (e & BIT(10));
	bool ps = level >= 2 && (e & BIT(7));

	if (w && !r)
		return true;                              /* write-only, write/execute */
	if (!r && !w && (x || ux) && !c->exec_only)
		return true;                              /* execute-only unsupported */
	if (any_bit(e, 51, HMAXPHY))
		return true;
	if (level >= 4 && any_bit(e, 7, 3))
		return true;
	if (level == 3 && ps && !c->pdpe1gb)
		return true;
	if (level == 3 && ps && any_bit(e, 29, 12))
		return true;
	if (level == 2 && ps && any_bit(e, 20, 12))
		return true;
	if ((level == 2 || level == 3) && !ps && any_bit(e, 6, 3))
		return true;
	if (level == 1 || (level <= 3 && ps)) {
		unsigned mt = (unsigned)(e >> 3) & 7;
		if (mt == 2 || mt == 3 || mt == 7)
			return true;                      /* reserved memory type */
	}
	return false;
}

/* Translate gpa through the path ent[top..1]. kind: 0 read, 1 write, 2
 * fetch, for the access as made; table: a guest paging-structure access
 * (a read, or with A/D a write: SDM 29.3.3.2); user_la: MBEC's user-mode
 * linear address. */
static void ept_translate(const uint64_t *ent, int top, xlat_pa gpa, unsigned kind, bool table,
			  bool user_la, const struct caps *c, struct ept_outcome *o)
{
	unsigned k = table ? (c->ad ? 1 : 0) : kind;
	uint64_t access = table ? (c->ad ? 3 : 1) : BIT(kind);
	int level;

	memset(o, 0, sizeof *o);
	for (int l = 1; l <= 5; l++)
		o->after[l] = ent[l];
	o->r = o->w = o->x = o->ux = true;
	for (level = top; level >= 1; level--) {
		uint64_t e = ent[level];
		o->stop = level;
		if (!ept_present(e, c)) {
			o->v = VIOLATION;
			o->qual = access;          /* bits 5:3 (6) are 0: R=W=X=0 in this entry */
			return;
		}
		if (ept_misconfigured(e, level, c)) {
			o->v = MISCONFIG;
			return;
		}
		o->r &= (e & 1) != 0;
		o->w &= (e & 2) != 0;
		o->x &= (e & 4) != 0;
		o->ux &= c->mbec ? (e & BIT(10)) != 0 : (e & 4) != 0;
		if (level == 1 || (e & BIT(7)))
			break;
	}
	bool allowed = k == 0 ? o->r : k == 1 ? o->w : (c->mbec && user_la ? o->ux : o->x);
	if (!allowed) {
		o->v = VIOLATION;
		o->qual = access | (o->r ? BIT(3) : 0) | (o->w ? BIT(4) : 0) | (o->x ? BIT(5) : 0) |
			  (c->mbec && o->ux ? BIT(6) : 0);
		return;
	}
	o->v = OK;
	o->shift = 12 + 9 * (unsigned)(level - 1);
	uint64_t frame = 0;
	for (unsigned b = o->shift; b < HMAXPHY; b++)
		frame |= ent[level] & BIT(b);
	o->hpa = frame | (gpa & ((1ULL << o->shift) - 1));
	if (c->ad) {                                      /* SDM 29.3.5 */
		for (int l = top; l >= level; l--)
			o->after[l] |= BIT(8);
		if (k == 1)
			o->after[level] |= BIT(9);
	}
}

/* ---- the machine ------------------------------------------------------------ */

struct rig {
	struct phys *host;
	struct walk_chain c;
	int hl;                   /* EPT levels */
	xlat_pa region[3];        /* GPA bases of A, B, C */
	uint64_t pathB[6], pathC[6];
	unsigned long cases, viol, misconf, ok;
};

static xlat_pa ept_table(int region, int level)
{
	return 0x100000ULL * (xlat_pa)(10 * region + level);   /* region r, level L */
}
#define EPT_ROOT 0x2800000ULL

static xlat_pa guest_table(int level)    /* PML4, PDPT, PD in region A */
{
	return 0x1000ULL * (xlat_pa)level;
}

static xlat_pa data_gpa(const struct rig *g)
{
	return g->region[1];
}

static xlat_pa pte_gpa(const struct rig *g)
{
	return g->region[2] + 8 * xlat_index(1, GVA);
}

static void put(struct rig *g, xlat_pa hpa, uint64_t v)
{
	assert_int_equal(phys_write64(g->host, hpa, v), 0);
}

static uint64_t get(struct rig *g, xlat_pa hpa)
{
	uint64_t v;
	assert_int_equal(phys_read64(g->host, hpa, &v), 0);
	return v;
}

/* Where the entry of region r's path at `level` lives. */
static xlat_pa path_slot(const struct rig *g, int r, int level)
{
	xlat_pa gpa = r == 0 ? 0 : r == 1 ? data_gpa(g) : pte_gpa(g);
	xlat_pa table = level == g->hl ? EPT_ROOT : ept_table(r, level);
	return table + 8 * xlat_index(level, gpa);
}

#define RWXU (FMT_EPT_R | FMT_EPT_W | FMT_EPT_X | FMT_EPT_UX)
#define WB (6ULL << 3)

/* The full EPT path of region r: tables RWX(UX), leaf `leaf` at level 1. */
static void write_path(struct rig *g, int r, const uint64_t *ent)
{
	for (int l = g->hl; l >= 1; l--)
		put(g, path_slot(g, r, l), ent[l]);
}

static void default_path(const struct rig *g, int r, xlat_pa target, uint64_t *ent)
{
	for (int l = g->hl; l >= 2; l--)
		ent[l] = ept_table(r, l - 1) | RWXU;
	ent[1] = target | RWXU | WB;
}

static void rig_init(struct rig *g, int hl, const struct caps *caps, bool guest_ad)
{
	memset(g, 0, sizeof *g);
	g->hl = hl;
	g->host = phys_create(HMAXPHY, 0);
	assert_non_null(g->host);
	for (int r = 0; r < 3; r++)
		g->region[r] = (xlat_pa)r * xlat_level_size(hl);

	/* Region A: the guest's upper tables at GPA 0x2000..0x4000, 4 KiB pages. */
	for (int l = hl; l >= 2; l--)
		put(g, (l == hl ? EPT_ROOT : ept_table(0, l)) + 8 * xlat_index(l, 0), ept_table(0, l - 1) | RWXU);
	for (int lv = 2; lv <= 4; lv++)
		put(g, ept_table(0, 1) + 8 * xlat_index(1, guest_table(lv)),
		    (REGION_A_HPA + guest_table(lv)) | RWXU | WB);
	default_path(g, 1, DATA_HPA, g->pathB);
	default_path(g, 2, PTPAGE_HPA, g->pathC);
	write_path(g, 1, g->pathB);
	write_path(g, 2, g->pathC);

	/* The guest: PML4 -> PDPT -> PD (region A) -> PT (region C) -> data (B). */
	uint64_t flags = FMT_X86_P | FMT_X86_RW | FMT_X86_US | (guest_ad ? 0 : FMT_X86_A);
	put(g, REGION_A_HPA + guest_table(4) + 8 * xlat_index(4, GVA), guest_table(3) | flags);
	put(g, REGION_A_HPA + guest_table(3) + 8 * xlat_index(3, GVA), guest_table(2) | flags);
	put(g, REGION_A_HPA + guest_table(2) + 8 * xlat_index(2, GVA), g->region[2] | flags);
	put(g, PTPAGE_HPA + 8 * xlat_index(1, GVA), data_gpa(g) | flags | FMT_X86_D);

	walk_chain_init(&g->c, g->host);
	struct walk_stage s0 = { .fmt = fmt_x86(4), .root = guest_table(4), .maxphyaddr = GMAXPHY,
				 .ctl = WALK_WP | WALK_NXE | WALK_SET_AD };
	struct walk_stage s1 = { .fmt = fmt_ept(hl), .root = EPT_ROOT, .maxphyaddr = HMAXPHY };
	assert_int_equal(walk_chain_push(&g->c, &s0), 0);
	assert_int_equal(walk_chain_push(&g->c, &s1), 1);
	(void)caps;
}

static unsigned caps_ctl(const struct caps *c)
{
	return (c->exec_only ? WALK_EXEC_ONLY : 0) | (c->mbec ? WALK_MBEC : 0) |
	       (c->ad ? WALK_SET_AD : 0) | (c->pdpe1gb ? WALK_1G : 0);
}

static struct caps caps_of(unsigned i)
{
	struct caps c = { .exec_only = i & 1, .mbec = i & 2, .ad = i & 4, .pdpe1gb = i & 8 };
	return c;
}

/* Focus entry bits. */
#define E_R  (1u << 0)
#define E_W  (1u << 1)
#define E_X  (1u << 2)
#define E_UX (1u << 3)
#define E_PS (1u << 4)
#define E_MT_SHIFT 5        /* 3 bits: memory type */
#define E_XS_SHIFT 8        /* 3 bits: extra-bit selector */
#define E_BITS 11

/* Extra-bit selector:
 *   0 none            1 bit 46 (= MAXPHYADDR)     2 bit 51
 *   3 leaf: bit 45 (address); table: bit 52 (ignored)
 *   4 bit 6 (IPAT in a leaf, reserved in a table)
 *   5 bit 7 at L1 (ignored) / L4-5 (reserved); bit 11 (ignored) at L2-3
 *   6 leaf: bit 12 (reserved in 2M/1G, address in 4K); table: bit 62 (ignored)
 *   7 leaf: bit 20 (2M), 29 (1G), 63 (4K: SVE); table: bit 8 (A / ignored) */
static uint64_t extra(unsigned sel, int level, bool leaf)
{
	switch (sel) {
	case 1: return BIT(46);
	case 2: return BIT(51);
	case 3: return leaf ? BIT(45) : BIT(52);
	case 4: return BIT(6);
	case 5: return level == 1 || level >= 4 ? BIT(7) : BIT(11);
	case 6: return leaf ? BIT(12) : BIT(62);
	case 7: return !leaf ? BIT(8) : level == 1 ? BIT(63) : level == 2 ? BIT(20) : BIT(29);
	default: return 0;
	}
}

static uint64_t focus_entry(unsigned f, int level, const struct rig *g, int r, xlat_pa target)
{
	bool ps = (f & E_PS) && level >= 2;
	bool leaf = level == 1 || (ps && level <= 3);
	uint64_t e = leaf ? target : ept_table(r, level - 1);

	(void)g;
	e |= (f & E_R ? FMT_EPT_R : 0) | (f & E_W ? FMT_EPT_W : 0) | (f & E_X ? FMT_EPT_X : 0) |
	     (f & E_UX ? FMT_EPT_UX : 0) | (ps ? FMT_EPT_PS : 0);
	e |= (uint64_t)((f >> E_MT_SHIFT) & 7) << 3;
	e |= extra((f >> E_XS_SHIFT) & 7, level, leaf);
	return e;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A non-focus entry: mostly everything, sometimes a random valid subset. */
static uint64_t other_entry(int level, int r, xlat_pa target, const struct caps *c)
{
	static const uint64_t perms[] = { RWXU, FMT_EPT_R, FMT_EPT_R | FMT_EPT_W, FMT_EPT_R | FMT_EPT_X,
					  FMT_EPT_R | FMT_EPT_W | FMT_EPT_X, FMT_EPT_X, FMT_EPT_R | FMT_EPT_UX };
	uint64_t q = rng();
	uint64_t p = (q & 3) ? RWXU : perms[(q >> 2) % 7];

	if (p == FMT_EPT_X && !c->exec_only)
		p = RWXU;
	p |= (q >> 8) & (FMT_EPT_A | FMT_EPT_D);
	if (level == 1)
		return target | p | WB;
	return ept_table(r, level - 1) | (p & ~(uint64_t)FMT_EPT_D);
}

static void describe(const struct rig *g, const uint64_t *ent, const struct caps *c, unsigned kind,
		     bool table, bool user_la)
{
	print_error("case: %d-level EPT, exec_only=%d mbec=%d ad=%d 1G=%d, %s %s%s\n", g->hl,
		    c->exec_only, c->mbec, c->ad, c->pdpe1gb, kind == 0 ? "read" : kind == 1 ? "write" : "fetch",
		    table ? "(guest PTE access)" : "(data)", user_la ? " user page" : "");
	for (int l = g->hl; l >= 1; l--)
		print_error("  L%d %#018llx\n", l, (unsigned long long)ent[l]);
}

/* One case: the path `which` (1: data, 2: guest PTE page) is ent[]. */
static void run_case(struct rig *g, int which, const uint64_t *ent, const struct caps *c,
		     unsigned kind, bool user_la)
{
	bool table = which == 2;
	xlat_pa gpa = table ? pte_gpa(g) : data_gpa(g) + GVA_OFF;
	struct ept_outcome x;

	write_path(g, which, ent);
	if (table)
		write_path(g, 1, g->pathB);
	else
		write_path(g, 2, g->pathC);
	/* The guest PTE's U/S decides the mode of the linear address. */
	put(g, PTPAGE_HPA + 8 * xlat_index(1, GVA),
	    data_gpa(g) | FMT_X86_P | FMT_X86_RW | FMT_X86_A | FMT_X86_D | (user_la ? FMT_X86_US : 0));
	g->c.stage[1].ctl = caps_ctl(c);

	ept_translate(ent, g->hl, gpa, kind, table, user_la, c, &x);

	struct walk_req req = { .va = GVA + GVA_OFF, .kind = (uint8_t)kind, .supervisor = !user_la };
	struct walk_result res;
	memset(&res, 0, sizeof res);
	uint64_t ad0 = g->c.stats.ad_writes;
	assert_int_equal(walk_translate(&g->c, &req, &res), 0);
	g->cases++;

	bool bad = false;
	unsigned hl = (unsigned)g->hl;
	unsigned before = table ? 3 * (hl + 1) : 4 * (hl + 1);   /* refs before the focus walk */
	unsigned refs = before + (unsigned)(g->hl - x.stop + 1);
	if (x.v == VIOLATION) {
		g->viol++;
		uint64_t q = x.qual | WALK_EPTQ_GLA_VALID | (table ? 0 : WALK_EPTQ_GLA_XLATE);
		bad |= res.fault.kind != WALK_EPT_VIOLATION || res.fault.exit_qual != q ||
		       res.fault.stage != 1 || res.fault.level != x.stop || res.fault.addr != gpa ||
		       res.fault.gla != GVA + GVA_OFF || res.fault.entry != ent[x.stop];
		if (bad)
			print_error("want qual %#llx got %#llx\n", (unsigned long long)q,
				    (unsigned long long)res.fault.exit_qual);
	} else if (x.v == MISCONFIG) {
		g->misconf++;
		bad |= res.fault.kind != WALK_EPT_MISCONFIG || res.fault.stage != 1 ||
		       res.fault.level != x.stop || res.fault.addr != gpa || res.fault.entry != ent[x.stop];
	} else {
		g->ok++;
		if (table && x.hpa != PTPAGE_HPA + (pte_gpa(g) & 0xfff)) {
			/* An address bit moved the guest's PTE page: the guest
			 * reads a zero PTE there and takes a not-present #PF. */
			uint32_t ec = (kind == 1 ? WALK_PF_W : 0) | (user_la ? WALK_PF_U : 0) |
				      (kind == 2 ? WALK_PF_I : 0);
			refs += 1;
			bad |= res.fault.kind != WALK_PAGE_FAULT || res.fault.stage != 0 ||
			       res.fault.level != 1 || res.fault.error_code != ec;
		} else if (table) {
			refs += 1 + hl;         /* the guest PTE, then the data GPA */
			bad |= res.fault.kind != WALK_OK || res.pa != DATA_HPA + GVA_OFF;
		} else {
			bad |= res.fault.kind != WALK_OK;
			/* The combined result: guest 4K page, all guest rights. */
			bool xok = c->mbec && user_la ? x.ux : x.x;
			uint32_t perms = (x.r ? XLAT_R : 0) | (x.w ? XLAT_W | WALK_PERM_LOWER_W : 0) |
					 (xok ? XLAT_X : 0) | (user_la ? XLAT_U : 0);
			bool dirty = !c->ad || (x.after[x.stop] & FMT_EPT_D);
			bad |= res.pa != x.hpa || res.shift != 12 || res.perms != perms || res.dirty != dirty;
			if (bad)
				print_error("want hpa %#llx perms %#x dirty %d; got %#llx %#x %d\n",
					    (unsigned long long)x.hpa, perms, dirty,
					    (unsigned long long)res.pa, res.perms, res.dirty);
		}
	}
	bad |= res.refs != refs;
	if (!bad && c->ad) {
		/* A/D of the focus path as the model says; nothing else counted twice. */
		for (int l = g->hl; l >= 1; l--) {
			uint64_t now = get(g, path_slot(g, which, l));
			if (now != x.after[l]) {
				print_error("L%d after: want %#llx got %#llx\n", l,
					    (unsigned long long)x.after[l], (unsigned long long)now);
				bad = true;
			}
		}
	}
	if (!c->ad)
		bad |= g->c.stats.ad_writes != ad0;
	if (bad) {
		describe(g, ent, c, kind, table, user_la);
		print_error("want verdict %d level %d refs %u; got kind %d level %u addr %#llx gla %#llx "
			    "qual %#llx refs %u\n", x.v, x.stop, refs, res.fault.kind, res.fault.level,
			    (unsigned long long)res.fault.addr, (unsigned long long)res.fault.gla,
			    (unsigned long long)res.fault.exit_qual, res.refs);
		fail();
	}
}

static void exhaustive(int hl, int which)
{
	struct rig g;
	xlat_pa target = which == 1 ? DATA_HPA : PTPAGE_HPA;

	rig_init(&g, hl, NULL, false);
	rng_state = 0x5bd1e9955bd1e995ULL ^ (uint64_t)(hl * 8 + which);
	for (int focus = hl; focus >= 1; focus--) {
		for (unsigned f = 0; f < (1u << E_BITS); f++) {
			for (unsigned ci = 0; ci < 16; ci++) {
				struct caps c = caps_of(ci);
				for (unsigned kind = 0; kind < 3; kind++) {
					uint64_t ent[6] = { 0 };
					for (int l = hl; l >= 1; l--)
						ent[l] = l == focus ? focus_entry(f, l, &g, which, target)
								    : other_entry(l, which, target, &c);
					run_case(&g, which, ent, &c, kind, rng() & 1);
				}
			}
		}
	}
	print_message("%d-level EPT, %s path: %lu cases, %lu violations, %lu misconfigurations, %lu ok\n",
		      hl, which == 1 ? "data" : "guest-PTE", g.cases, g.viol, g.misconf, g.ok);
	assert_true(g.viol > g.cases / 16);
	assert_true(g.misconf > g.cases / 16);
	assert_true(g.ok > g.cases / 32);
	phys_destroy(g.host);
}

static void data_path_4(void **state) { (void)state; exhaustive(4, 1); }
static void data_path_5(void **state) { (void)state; exhaustive(5, 1); }
static void table_path_4(void **state) { (void)state; exhaustive(4, 2); }
static void table_path_5(void **state) { (void)state; exhaustive(5, 2); }

/* ---- spelled-out cases -------------------------------------------------------- */

static struct walk_result go(struct rig *g, unsigned kind, bool sup)
{
	struct walk_req req = { .va = GVA + GVA_OFF, .kind = (uint8_t)kind, .supervisor = sup };
	struct walk_result res;
	memset(&res, 0, sizeof res);
	assert_int_equal(walk_translate(&g->c, &req, &res), 0);
	return res;
}

/* Violation vs misconfiguration, and the exit qualification, one by one. */
static void qualification(void **state)
{
	(void)state;
	struct rig g;
	struct caps c = { .exec_only = true, .pdpe1gb = true };
	uint64_t ent[6];

	rig_init(&g, 4, &c, false);
	g.c.stage[1].ctl = caps_ctl(&c);
	struct walk_result r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.kind, WALK_OK);
	assert_int_equal(r.pa, DATA_HPA + GVA_OFF);
	assert_int_equal(r.refs, 24);

	/* Read-only data page, guest write: violation, W access, R|X allowed
	 * (X is plain X without MBEC), GLA valid, bit 8 = final translation. */
	memcpy(ent, g.pathB, sizeof ent);
	ent[1] = DATA_HPA | FMT_EPT_R | FMT_EPT_X | WB;
	write_path(&g, 1, ent);
	r = go(&g, XLAT_WRITE, false);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.stage, 1);
	assert_int_equal(r.fault.level, 1);
	assert_int_equal(r.fault.addr, data_gpa(&g) + GVA_OFF);
	assert_int_equal(r.fault.gla, GVA + GVA_OFF);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_WRITE | WALK_EPTQ_READABLE | WALK_EPTQ_EXECUTABLE |
					    WALK_EPTQ_GLA_VALID | WALK_EPTQ_GLA_XLATE);
	/* Write-only: misconfiguration, whatever the access. */
	ent[1] = DATA_HPA | FMT_EPT_W | WB;
	write_path(&g, 1, ent);
	r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.kind, WALK_EPT_MISCONFIG);
	assert_int_equal(r.fault.addr, data_gpa(&g) + GVA_OFF);
	/* Execute-only with the capability: a read is a violation with only X
	 * allowed; without it, a misconfiguration. */
	ent[1] = DATA_HPA | FMT_EPT_X | WB;
	write_path(&g, 1, ent);
	r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_READ | WALK_EPTQ_EXECUTABLE | WALK_EPTQ_GLA_VALID | WALK_EPTQ_GLA_XLATE);
	r = go(&g, XLAT_FETCH, false);
	assert_int_equal(r.fault.kind, WALK_OK);
	g.c.stage[1].ctl &= ~WALK_EXEC_ONLY;
	r = go(&g, XLAT_FETCH, false);
	assert_int_equal(r.fault.kind, WALK_EPT_MISCONFIG);
	g.c.stage[1].ctl |= WALK_EXEC_ONLY;
	/* Not present at the EPT PDPTE: violation at level 3, bits 5:3 = 0. */
	memcpy(ent, g.pathB, sizeof ent);
	ent[3] = 0;
	write_path(&g, 1, ent);
	r = go(&g, XLAT_FETCH, false);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.level, 3);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_FETCH | WALK_EPTQ_GLA_VALID | WALK_EPTQ_GLA_XLATE);
	assert_int_equal(r.refs, 20 + 2);
	/* Memory type 2 in a leaf: misconfig; in a table, bits 5:3 are reserved anyway. */
	memcpy(ent, g.pathB, sizeof ent);
	ent[1] = DATA_HPA | RWXU | (2ULL << 3);
	write_path(&g, 1, ent);
	assert_int_equal(go(&g, XLAT_READ, false).fault.kind, WALK_EPT_MISCONFIG);
	ent[1] = DATA_HPA | RWXU | (5ULL << 3);   /* WP: fine */
	write_path(&g, 1, ent);
	assert_int_equal(go(&g, XLAT_READ, false).fault.kind, WALK_OK);
	ent[2] |= 6ULL << 3;
	write_path(&g, 1, ent);
	r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.kind, WALK_EPT_MISCONFIG);
	assert_int_equal(r.fault.level, 2);
	/* A misconfiguration below a denying level wins: the walk goes on. */
	memcpy(ent, g.pathB, sizeof ent);
	ent[4] = ept_table(1, 3) | FMT_EPT_R;             /* read-only PML4E */
	ent[1] = DATA_HPA | RWXU | (7ULL << 3);       /* bad type in the leaf */
	write_path(&g, 1, ent);
	r = go(&g, XLAT_WRITE, false);
	assert_int_equal(r.fault.kind, WALK_EPT_MISCONFIG);
	assert_int_equal(r.fault.level, 1);
	ent[1] = DATA_HPA | RWXU | WB;
	write_path(&g, 1, ent);
	r = go(&g, XLAT_WRITE, false);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.level, 1);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_WRITE | WALK_EPTQ_READABLE | WALK_EPTQ_GLA_VALID | WALK_EPTQ_GLA_XLATE);
	phys_destroy(g.host);
}

/* Guest paging-structure accesses: bit 8 = 0, reads without EPT A/D,
 * writes (bits 0 and 1) with it; EPT A and D set for those pages. */
static void paging_structure_accesses(void **state)
{
	(void)state;
	struct rig g;
	struct caps c = { .exec_only = true, .pdpe1gb = true };
	uint64_t ent[6];

	rig_init(&g, 4, &c, false);
	g.c.stage[1].ctl = caps_ctl(&c);
	/* The guest PT page is read-only in the EPT: reads of it are fine. */
	memcpy(ent, g.pathC, sizeof ent);
	ent[1] = PTPAGE_HPA | FMT_EPT_R | WB;
	write_path(&g, 2, ent);
	struct walk_result r = go(&g, XLAT_WRITE, false);
	assert_int_equal(r.fault.kind, WALK_OK);
	/* With EPT A/D they are writes: a violation reporting R and W. */
	g.c.stage[1].ctl |= WALK_SET_AD;
	r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.addr, pte_gpa(&g));
	assert_int_equal(r.fault.gla, GVA + GVA_OFF);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_READ | WALK_EPTQ_WRITE | WALK_EPTQ_READABLE |
					    WALK_EPTQ_GLA_VALID);
	/* Not present: the qualification still has no bit 8. */
	ent[1] = 0;
	write_path(&g, 2, ent);
	r = go(&g, XLAT_FETCH, true);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_READ | WALK_EPTQ_WRITE | WALK_EPTQ_GLA_VALID);
	assert_int_equal(r.fault.level, 1);
	g.c.stage[1].ctl &= ~WALK_SET_AD;
	r = go(&g, XLAT_FETCH, true);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_READ | WALK_EPTQ_GLA_VALID);

	/* EPT A/D on a clean EPT: after a read, A in every EPT entry used; D
	 * in the leaves that map guest page tables, not in the data page's. */
	for (int l = 4; l >= 1; l--)
		ent[l] = g.pathC[l];
	write_path(&g, 2, ent);
	g.c.stage[1].ctl |= WALK_SET_AD;
	uint64_t w0 = g.c.stats.ad_writes;
	r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.kind, WALK_OK);
	assert_false(r.dirty);
	for (int l = 4; l >= 1; l--) {
		assert_int_equal(get(&g, path_slot(&g, 1, l)) & (FMT_EPT_A | FMT_EPT_D), l == 1 ? FMT_EPT_A : FMT_EPT_A);
		assert_int_equal(get(&g, path_slot(&g, 2, l)) & (FMT_EPT_A | FMT_EPT_D),
				 l == 1 ? FMT_EPT_A | FMT_EPT_D : FMT_EPT_A);
	}
	for (int lv = 2; lv <= 4; lv++)
		assert_int_equal(get(&g, ept_table(0, 1) + 8 * xlat_index(1, guest_table(lv))) &
				 (FMT_EPT_A | FMT_EPT_D), FMT_EPT_A | FMT_EPT_D);
	/* Region A's entries were marked by the faulting walks above: each
	 * translation of a guest table's GPA that succeeded kept its A/D even
	 * though the walk as a whole faulted later. So only paths C and B are
	 * written now, each entry once (A and D together in C's leaf). */
	assert_int_equal(g.c.stats.ad_writes - w0, 4 + 4);
	/* A write now sets D in the data leaf only. */
	w0 = g.c.stats.ad_writes;
	r = go(&g, XLAT_WRITE, false);
	assert_true(r.dirty);
	assert_int_equal(g.c.stats.ad_writes - w0, 1);
	assert_int_equal(get(&g, path_slot(&g, 1, 1)) & (FMT_EPT_A | FMT_EPT_D), FMT_EPT_A | FMT_EPT_D);
	phys_destroy(g.host);
}

/* Guest A/D updates are data writes to guest memory (SDM 29.3.3.2): with the
 * guest's PTE page read-only in the EPT and its A bit clear, the walk ends
 * in an EPT violation for a write to the PTE's GPA. */
static void guest_ad_through_ept(void **state)
{
	(void)state;
	struct rig g;
	struct caps c = { .exec_only = true, .pdpe1gb = true };
	uint64_t ent[6];

	rig_init(&g, 4, &c, true);   /* guest upper entries without A */
	g.c.stage[1].ctl = caps_ctl(&c);
	put(&g, PTPAGE_HPA + 8 * xlat_index(1, GVA), data_gpa(&g) | FMT_X86_P | FMT_X86_RW | FMT_X86_US);
	memcpy(ent, g.pathC, sizeof ent);
	ent[1] = PTPAGE_HPA | FMT_EPT_R | FMT_EPT_X | WB;
	write_path(&g, 2, ent);
	uint64_t w0 = g.c.stats.ad_writes;
	struct walk_result r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.stage, 1);
	assert_int_equal(r.fault.addr, pte_gpa(&g));
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_WRITE | WALK_EPTQ_READABLE | WALK_EPTQ_EXECUTABLE | WALK_EPTQ_GLA_VALID);
	assert_int_equal(g.c.stats.ad_writes, w0);    /* nothing written */
	assert_int_equal(get(&g, PTPAGE_HPA + 8 * xlat_index(1, GVA)) & FMT_X86_A, 0);
	/* Writable: the guest's A bits are set, 4 of them, D not for a read. */
	ent[1] |= FMT_EPT_W;
	write_path(&g, 2, ent);
	r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.kind, WALK_OK);
	assert_int_equal(g.c.stats.ad_writes, w0 + 4);
	assert_int_equal(get(&g, PTPAGE_HPA + 8 * xlat_index(1, GVA)) & (FMT_X86_A | FMT_X86_D), FMT_X86_A);
	phys_destroy(g.host);
}

/* A guest #PF inside a nested walk is the guest's: stage 0, CR2 = GVA. */
static void guest_fault_is_stage0(void **state)
{
	(void)state;
	struct rig g;
	struct caps c = { .exec_only = true, .pdpe1gb = true };

	rig_init(&g, 5, &c, false);
	g.c.stage[1].ctl = caps_ctl(&c);
	assert_int_equal(go(&g, XLAT_READ, false).refs, 4 * 6 + 5);
	put(&g, REGION_A_HPA + guest_table(2) + 8 * xlat_index(2, GVA), g.region[2] | FMT_X86_P | FMT_X86_US | FMT_X86_A);
	struct walk_result r = go(&g, XLAT_WRITE, false);
	assert_int_equal(r.fault.kind, WALK_PAGE_FAULT);
	assert_int_equal(r.fault.stage, 0);
	assert_int_equal(r.fault.level, 1);       /* decided after the leaf is read */
	assert_int_equal(r.fault.addr, GVA + GVA_OFF);
	assert_int_equal(r.fault.error_code, WALK_PF_P | WALK_PF_W | WALK_PF_U);
	assert_int_equal(r.refs, 4 * 6);          /* no EPT walk of the data GPA */
	put(&g, REGION_A_HPA + guest_table(3) + 8 * xlat_index(3, GVA), guest_table(2) | FMT_X86_RW | FMT_X86_US);
	r = go(&g, XLAT_READ, false);
	assert_int_equal(r.fault.stage, 0);
	assert_int_equal(r.fault.level, 3);
	assert_int_equal(r.fault.error_code, WALK_PF_U);
	assert_int_equal(r.refs, 2 * 6);
	assert_int_equal(g.c.stats.faults[WALK_PAGE_FAULT], 2);
	phys_destroy(g.host);
}

/* An EPT-only chain (the hypervisor translating a GPA): no GLA; MBEC's user
 * execute follows the request's mode. */
static void ept_alone(void **state)
{
	(void)state;
	struct rig g;
	struct caps c = { .exec_only = true, .mbec = true, .pdpe1gb = true };
	uint64_t ent[6];

	rig_init(&g, 4, &c, false);
	g.c.n = 1;
	g.c.stage[0] = g.c.stage[1];
	g.c.stage[0].ctl = caps_ctl(&c);
	memcpy(ent, g.pathB, sizeof ent);
	ent[1] = DATA_HPA | FMT_EPT_R | FMT_EPT_UX | WB;
	write_path(&g, 1, ent);
	struct walk_req req = { .va = data_gpa(&g) + 0x10, .kind = XLAT_FETCH, .supervisor = true };
	struct walk_result r;
	memset(&r, 0, sizeof r);
	assert_int_equal(walk_translate(&g.c, &req, &r), 0);
	assert_int_equal(r.fault.kind, WALK_EPT_VIOLATION);
	assert_int_equal(r.fault.stage, 0);
	assert_int_equal(r.fault.exit_qual, WALK_EPTQ_FETCH | WALK_EPTQ_READABLE | WALK_EPTQ_UEXECUTABLE);
	assert_int_equal(r.refs, 4);
	req.supervisor = false;
	assert_int_equal(walk_translate(&g.c, &req, &r), 0);
	assert_int_equal(r.fault.kind, WALK_OK);
	assert_int_equal(r.pa, DATA_HPA + 0x10);
	assert_int_equal(r.perms, XLAT_R | XLAT_X | WALK_PERM_LOWER_W);
	/* An input beyond the EPT's 48 bits cannot be translated. */
	req.va = 1ULL << 48;
	assert_int_equal(walk_translate(&g.c, &req, &r), 0);
	assert_int_equal(r.fault.kind, WALK_BAD_ADDRESS);
	phys_destroy(g.host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qualification),
		cmocka_unit_test(paging_structure_accesses),
		cmocka_unit_test(guest_ad_through_ept),
		cmocka_unit_test(guest_fault_is_stage0),
		cmocka_unit_test(ept_alone),
		cmocka_unit_test(data_path_4),
		cmocka_unit_test(data_path_5),
		cmocka_unit_test(table_path_4),
		cmocka_unit_test(table_path_5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
