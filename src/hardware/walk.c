/*
 * hardware/walk.c — the one page walker: N stages, any format, one loop.
 *
 * A stage's input address is cut into one 9-bit index per level (x86-64
 * 4-level shown; 5-level paging and 5-level EPT add bits 56:48 as the L5
 * index; EPT inputs are guest-physical, zero- rather than sign-extended):
 *
 *   63    48 47    39 38    30 29    21 20    12 11          0
 *  +--------+--------+--------+--------+--------+-------------+
 *  |  sign  | L4 idx | L3 idx | L2 idx | L1 idx | page offset |
 *  +--------+--------+--------+--------+--------+-------------+
 *              PML4E    PDPTE    PDE      PTE
 *                         |        '-- PS=1: 2 MiB leaf, offset = bits 20:0
 *                         '----------- PS=1: 1 GiB leaf, offset = bits 29:0
 *
 *   entry(L) = table(L) + 8 * index(L)      table(top) = the stage's root
 *   table(L-1) = address field of entry(L)  page = address field of the leaf
 *
 * entry(L) is an address in the stage's *table space*, which is the input
 * space of the next stage: before reading it the walker translates it
 * through stages j+1 .. n-1 (walk_stage() -> inner() -> walk_stage() for
 * the next stage), and the stage's output address likewise. Recursion
 * depth is therefore the chain length; nothing is allocated.
 *
 * Each translation of an address through stages j..n-1 is one unit that
 * succeeds or faults as a whole. A unit writes its stage's A/D bits and
 * fills its stage's paging-structure cache only when it succeeds (inner
 * units that succeeded keep theirs). See docs/walker.md for the SDM rules.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "xlat/phys.h"
#include "xlat/walk.h"
#include "hardware/pwc_impl.h"
#include "hardware/tlb_impl.h"
#include "hardware/walk_perm.h"
#include "memory/phys_inline.h"

/* Shift of "no page boundary": the identity translation below the last stage. */
#define SHIFT_NONE 63u

/* One walk_translate call. */
struct wctx {
	struct walk_chain *c;
	const struct walk_req *req;
	struct walk_fault *fault;
	struct walk_ref *out;       /* refs_out, or NULL */
	xlat_pa *addrs;             /* ref_addrs, or NULL */
	uint32_t cap;               /* refs_cap, or 0 without either */
	uint32_t nrefs;             /* entries read so far */
	uint8_t start_level;        /* stage 0's first level read, 0 before */
	bool user;                  /* stage 0 sees a user-mode access */
	bool ac_ok;                 /* SMAP override: EFLAGS.AC and explicit */
	bool table_write;           /* some stage > 0 counts table reads as writes */
	const struct walk_check *check;   /* the chain's, or NULL */
	unsigned check_stage;       /* whose outputs it sees: min(1, n - 1) */
	const struct walk_check_site *site;  /* the site being checked (walk_check_ref) */
};

/* What one unit translates for. */
struct wjob {
	uint8_t kind;               /* XLAT_READ / WRITE / FETCH as the program made it */
	bool table;                 /* reading an earlier stage's paging-structure entry */
	bool user_la;               /* fetch through a user-mode linear address (MBEC) */
	uint8_t for_stage, for_level;   /* the requester, for walk_ref */
};

/* What one unit found. */
struct wout {
	xlat_pa pa;                 /* bottom-space address */
	unsigned shift;             /* smallest page over stages j..n-1 */
	uint32_t perms;             /* AND over stages j..n-1 (walk_perm.h word) */
	uint32_t own;               /* stage j's alone */
	uint32_t inner;             /* stages j+1..n-1 (WALK_PERM_ALL if none) */
	bool dirty;                 /* every stage's leaf has D after the walk */
	bool global;                /* stage j's leaf has G (x86) */
};

/* ---- stage setup ---------------------------------------------------------- */

static inline uint64_t rotl64(uint64_t x, unsigned k)
{
	return (x << (k & 63)) | (x >> ((64 - k) & 63));
}

/* A table of what each value of the rights bits grants, indexed by the
 * word rotated so that they fall in bits 10:0 (x86: XD, R/W, U/S; EPT:
 * bits 10:0). */
static void rights_build(struct walk_stage_priv *sp, const struct xlat_format *fmt,
			 const uint64_t grant[5])
{
	const uint64_t used = grant[0] | grant[1] | grant[2] | grant[3] | grant[4];
	unsigned rot = 0, width = 65;

	/* The rotation that packs the bits into the fewest low bits. */
	for (unsigned k = 0; k < 64; k++) {
		uint64_t r = rotl64(used, k);
		unsigned w = r ? 64u - (unsigned)__builtin_clzll(r) : 0;

		if (w < width) {
			width = w;
			rot = k;
		}
	}
	if (width > WALK_RIGHTS_BITS)
		XLAT_BUG("%s: rights bits %#llx span more than %u bits", fmt->name,
			 (unsigned long long)used, WALK_RIGHTS_BITS);
	const uint64_t u = rotl64(used, rot);

	/* Only the bits of u matter: a value with others has the entry of its
	 * part in u, which is smaller and so already filled. */
	for (uint64_t v = 0; v < 1ULL << width; v++) {
		uint8_t p = 0;

		if (v & ~u) {
			sp->rights.perms[v] = sp->rights.perms[v & u];
			continue;
		}
		for (unsigned i = 0; i < 5; i++) {
			uint64_t g = rotl64(grant[i], rot);

			if ((v & g) == g)
				p |= (uint8_t)(1u << i);
		}
		sp->rights.perms[v] = p;
	}
	memcpy(sp->rights.grant, grant, sizeof sp->rights.grant);
	sp->rights.rot = rot;
	sp->rights.mask = (1ULL << width) - 1;
	sp->rights.valid = true;
}

static void stage_refresh(struct walk_stage_priv *sp, const struct walk_stage *st)
{
	const struct xlat_format *fmt = st->fmt;
	const struct fmt_perm_bits *pb = &fmt->perm;
	bool mbec = (st->ctl & WALK_MBEC) && pb->ux;
	unsigned fctl = 0;

	if (st->ctl & WALK_NXE)
		fctl |= FMT_CTL_NXE;
	if (st->ctl & WALK_1G)
		fctl |= FMT_CTL_1G;
	if (mbec)
		fctl |= FMT_CTL_MBEC;

	memset(sp, 0, offsetof(struct walk_stage_priv, rights));   /* the table may stay */
	sp->fmt = fmt;
	sp->maxphyaddr = st->maxphyaddr;
	sp->ctl = st->ctl;
	sp->fmt_ctl = fctl;
	sp->paging = fmt->ops->model == FMT_MODEL_PAGING;
	sp->misconfig = fmt->ops->misconfig != NULL;
	/* With MBEC a user-execute-only entry is present (SDM 29.3.2). */
	sp->present = fmt->present_mask | (mbec ? pb->ux : 0);
	/* The rights word of a walk is the AND of its entries with the
	 * execute-disable bit inverted: a right is granted when the word has
	 * every bit of its grant mask (an empty mask: always). */
	sp->flip = (st->ctl & WALK_NXE) ? pb->xd : 0;
	const uint64_t grant[5] = {
		pb->r, pb->w, pb->x | sp->flip, pb->u,
		(mbec ? pb->ux : pb->x) | sp->flip,   /* without MBEC, user execution is X */
	};
	if (!sp->rights.valid || memcmp(sp->rights.grant, grant, sizeof grant))
		rights_build(sp, fmt, grant);
	sp->global = pb->g;
	for (int l = 1; l <= fmt->levels; l++) {
		struct walk_level_priv *lp = &sp->lv[l];
		bool leaf_ok = l == 1 || ((fmt->leaf_levels >> l) & 1u);

		for (int leaf = 0; leaf < 2; leaf++) {
			lp->rsvd[leaf] = fmt_rsvd_mask(fmt, l, leaf, st->maxphyaddr, fctl);
			lp->addr[leaf] = fmt_addr_mask(l, leaf && leaf_ok, st->maxphyaddr);
		}
		lp->leaf_bit = l == 1 ? ~0ULL : fmt->ps_bit;
		/* PS where the level cannot map a page (or 1G without support)
		 * must never be taken as a leaf: make it a reserved bit. */
		if (l > 1 && (!leaf_ok || (l == 3 && !(st->ctl & WALK_1G))))
			lp->rsvd[1] |= fmt->ps_bit;
	}
}

/* Validates stage j and brings its derived masks up to date. 0 or -EINVAL. */
static __attribute__((noinline)) int stage_revalidate(struct walk_chain *c, unsigned j)
{
	const struct walk_stage *st = &c->stage[j];
	struct walk_stage_priv *sp = &c->priv[j];

	if (!(sp->fmt == st->fmt && sp->maxphyaddr == st->maxphyaddr && sp->ctl == st->ctl && st->fmt)) {
		if (!st->fmt)
			return xlat_fail(-EINVAL, "walk: stage %u has no format", j);
		if (st->fmt->levels < 2 || st->fmt->levels > XLAT_MAX_LEVELS)
			return xlat_fail(-EINVAL, "walk: stage %u: %s has %u levels", j, st->fmt->name,
					 st->fmt->levels);
		if (st->maxphyaddr < XLAT_PAGE_SHIFT || st->maxphyaddr > XLAT_MAX_PA_BITS)
			return xlat_fail(-EINVAL, "walk: stage %u: maxphyaddr %u outside 12..52", j,
					 st->maxphyaddr);
		stage_refresh(sp, st);
	}
	if (!xlat_aligned(st->root, XLAT_PAGE_SIZE) || (st->root >> st->maxphyaddr))
		return xlat_fail(-EINVAL, "walk: stage %u: root 0x%llx is not a page below 2^%u", j,
				 (unsigned long long)st->root, st->maxphyaddr);
	sp->root = st->root;
	return 0;
}

/* The same, for the common case that nothing changed since the last walk. */
static inline int stage_prepare(struct walk_chain *c, unsigned j)
{
	const struct walk_stage *st = &c->stage[j];
	const struct walk_stage_priv *sp = &c->priv[j];

	if (sp->fmt == st->fmt && sp->root == st->root && sp->maxphyaddr == st->maxphyaddr &&
	    sp->ctl == st->ctl && st->fmt)
		return 0;
	return stage_revalidate(c, j);
}

void walk_chain_init(struct walk_chain *c, struct phys *mem)
{
	memset(c, 0, sizeof *c);
	c->mem = mem;
}

int walk_chain_push(struct walk_chain *c, const struct walk_stage *st)
{
	if (!st || !st->fmt)
		return xlat_fail(-EINVAL, "walk_chain_push: stage without a format");
	if (c->n >= WALK_MAX_STAGES)
		return xlat_fail(-EINVAL, "walk_chain_push: a chain holds at most %d stages",
				 WALK_MAX_STAGES);
	c->stage[c->n] = *st;
	memset(&c->priv[c->n], 0, sizeof c->priv[c->n]);
	return (int)c->n++;
}

uint32_t walk_chain_max_refs(const struct walk_chain *c)
{
	uint32_t n = 1;

	for (unsigned j = 0; j < c->n; j++)
		n *= c->stage[j].fmt ? c->stage[j].fmt->levels + 1u : XLAT_MAX_LEVELS + 1u;
	return c->check ? n - 1 + n * c->check->max_refs : n - 1;
}

/* ---- faults ---------------------------------------------------------------- */

/* Is `in` an address the stage's format can translate? x86: canonical;
 * EPT: below 2^va_bits. */
static inline bool input_ok(const struct xlat_format *fmt, xlat_va in)
{
	unsigned unused = 64u - fmt->va_bits;

	if (fmt->sign_extended)
		return (xlat_va)((int64_t)(in << unused) >> unused) == in;
	return (in >> fmt->va_bits) == 0;
}

/* The rights (walk_perm.h's word) a stage's rights word grants: the AND,
 * over the entries read, of each entry with sp->flip inverted. The format
 * says which bits grant what (stage_refresh's masks); a walk reads the word
 * once, at its leaf. */
static inline uint32_t rights_perms(const struct walk_stage_priv *sp, uint64_t r)
{
	return sp->rights.perms[rotl64(r, sp->rights.rot) & sp->rights.mask];
}

/* Records a fault and returns false, so callers write `return fault(...)`. */
static bool fault(struct wctx *w, enum walk_fault_kind kind, unsigned j, int level,
		  xlat_va addr, uint64_t e)
{
	*w->fault = (struct walk_fault){
		.kind = kind, .stage = (uint8_t)j, .level = (uint8_t)level, .addr = addr, .entry = e,
	};
	return false;
}

/*
 * A fault of stage j caused by the access itself (not-present entry, or
 * permissions): a #PF for a paging-model stage, an EPT violation for an
 * EPT-model stage.
 * kind: the access as stage j sees it; perms: what the translation allowed
 * (0 for a not-present entry); present: P=1 in the error code.
 */
static bool fault_access(struct wctx *w, unsigned j, int level, xlat_va in, uint64_t e,
			 unsigned kind, bool table, bool present, uint32_t perms)
{
	const struct walk_stage *st = &w->c->stage[j];
	struct walk_fault *f = w->fault;

	if (!w->c->priv[j].paging) {
		fault(w, WALK_EPT_VIOLATION, j, level, in, e);
		f->exit_qual = walk_eptq_access(kind, table, st->ctl & WALK_SET_AD) |
			       walk_eptq_perms(present ? perms : 0, st->ctl & WALK_MBEC);
		if (j > 0) {
			f->exit_qual |= WALK_EPTQ_GLA_VALID | (table ? 0 : WALK_EPTQ_GLA_XLATE);
			f->gla = w->req->va;
		}
		return false;
	}
	fault(w, WALK_PAGE_FAULT, j, level, in, e);
	f->error_code = walk_pf_access_bits(kind, j == 0 ? w->user : true, st->ctl) |
			(present ? WALK_PF_P : 0);
	if (j > 0) {
		f->exit_qual = table ? WALK_NPF_TABLE : WALK_NPF_FINAL;
		f->gla = w->req->va;
	}
	return false;
}

/* A present entry with reserved bits: #PF with P|RSVD, or EPT misconfiguration. */
static bool fault_rsvd(struct wctx *w, unsigned j, int level, xlat_va in, uint64_t e,
		       unsigned kind, bool table)
{
	if (!w->c->priv[j].paging)
		return fault(w, WALK_EPT_MISCONFIG, j, level, in, e);
	fault_access(w, j, level, in, e, kind, table, true, 0);
	w->fault->error_code |= WALK_PF_RSVD;
	return false;
}

/* ---- the walk -------------------------------------------------------------- */

static bool walk_stage(struct wctx *w, unsigned j, xlat_va in, const struct wjob *job,
		       struct wout *o);

/* Is a nested-TLB entry good for this job without a walk? It must allow the
 * access as the later stages see it, and be dirty if that is a write. */
static inline bool ntlb_usable(const struct wctx *w, const struct wjob *job,
			       const struct tlb_xlat *x)
{
	unsigned kind = job->table ? (w->table_write ? XLAT_WRITE : XLAT_READ) : job->kind;
	uint32_t need = XLAT_U | walk_ept_need(kind, job->user_la);

	return (x->perms & need) == need && (kind != XLAT_WRITE || x->dirty);
}

/* Translates `a`, an input address of stage j >= 1, to the bottom space:
 * through the nested TLB when j == 1 and the chain has one, else by walking. */
static bool inner(struct wctx *w, unsigned j, xlat_va a, const struct wjob *job,
		  struct wout *o)
{
	struct walk_chain *c = w->c;
	struct tlb *t = j == 1 ? c->ntlb : NULL;
	struct tlb_xlat x;

	if (!t)
		return walk_stage(w, j, a, job, o);
	if (tlb_lookup_inline(t, c->stage[1].tag, a, &x) && ntlb_usable(w, job, &x)) {
		c->stats.ntlb_hits++;
		o->pa = x.pa | (a & ((1ULL << x.shift) - 1));
		o->shift = x.shift;
		o->perms = o->own = x.perms;
		o->inner = WALK_PERM_ALL;
		o->dirty = x.dirty;
		o->global = false;
		return true;
	}
	c->stats.ntlb_misses++;
	if (!walk_stage(w, j, a, job, o))
		return false;
	x.pa = o->pa & ~((1ULL << o->shift) - 1);
	x.shift = (uint8_t)o->shift;
	x.global = 0;
	x.dirty = o->dirty;
	x.perms = o->perms;
	tlb_insert_inline(t, c->stage[1].tag, a, &x);
	return true;
}

/* What a walk read at one level, kept to set A/D and fill the PWC once the
 * stage has succeeded. */
struct wlevel {
	xlat_va in;                 /* entry address in the stage's table space */
	xlat_pa pa;                 /* ... in the bottom space */
	uint64_t e;                 /* the entry */
	uint64_t acc;               /* rights word from the top down to this level */
	uint32_t ip;                /* the later stages' perms for the entry (!last) */
	uint8_t sh;                 /* ... and their page shift */
};

/*
 * Sets A in every entry of stage j read from `top` down to `level` (the
 * leaf), and D in the leaf for a write (SDM 4.8, 29.3.5), written only where
 * they change. Writing an entry through the later stages is a data write
 * they must allow (SDM 29.3.3.2): checked for every entry before any is
 * written. True, or false with the fault recorded. Out of line: most walks
 * find every bit already set.
 */
static __attribute__((noinline)) bool
set_accessed_dirty(struct wctx *w, unsigned j, xlat_va in, const struct wlevel *lv, int top, int level,
		   unsigned kind, bool last)
{
	struct walk_chain *c = w->c;
	const struct xlat_format *fmt = c->stage[j].fmt;
	uint64_t need[XLAT_MAX_LEVELS + 1];
	bool any = false;

	for (int l = top; l >= level; l--) {
		need[l] = (lv[l].e & fmt->a_bit) ? 0 : fmt->a_bit;
		if (l == level && kind == XLAT_WRITE && !(lv[l].e & fmt->d_bit))
			need[l] |= fmt->d_bit;
		if (need[l] && !last && !(lv[l].ip & XLAT_W))
			return fault_access(w, j + 1, xlat_shift_level(lv[l].sh), lv[l].in, 0,
					    XLAT_WRITE, true, true, lv[l].ip);
		any |= need[l] != 0;
	}
	if (any && c->stage[j].ad_hook)
		c->stage[j].ad_hook->fn(c->stage[j].ad_hook->ctx, in, (need[level] & fmt->d_bit) != 0);
	for (int l = top; any && l >= level; l--) {
		uint64_t cur;

		if (!need[l])
			continue;
		if (phys_read64(c->mem, lv[l].pa, &cur) < 0)
			return fault(w, WALK_BAD_ADDRESS, j, l, lv[l].pa, 0);
		if ((cur | need[l]) != cur) {
			if (phys_write64(c->mem, lv[l].pa, cur | need[l]) < 0)
				return fault(w, WALK_BAD_ADDRESS, j, l, lv[l].pa, 0);
			c->stats.ad_writes++;
		}
	}
	return true;
}

/* Appends a reference to the traces (w->cap is 0 when there is none). */
static inline void record(struct wctx *w, unsigned j, int level, unsigned fs, unsigned fl,
			  xlat_va in_addr, xlat_pa addr, uint64_t e)
{
	if (w->nrefs < w->cap) {
		if (w->addrs)
			w->addrs[w->nrefs] = addr;
		if (w->out)
			w->out[w->nrefs] = (struct walk_ref){
				.stage = (uint8_t)j, .level = (uint8_t)level,
				.for_stage = (uint8_t)fs, .for_level = (uint8_t)fl,
				.in_addr = in_addr, .addr = addr, .entry = e,
			};
	}
	w->nrefs++;
}

void walk_check_ref(struct walk_check_call *call, xlat_pa pa, uint64_t val, uint8_t tag)
{
	struct wctx *w = (struct wctx *)call;
	const struct walk_check_site *s = w->site;

	if (w->nrefs < w->cap) {
		if (w->addrs)
			w->addrs[w->nrefs] = pa;
		if (w->out)
			w->out[w->nrefs] = (struct walk_ref){
				.stage = s->stage, .level = s->level,
				.for_stage = s->for_stage, .for_level = s->for_level,
				.in_addr = s->pa, .addr = pa, .entry = val, .check = tag ? tag : 1,
			};
	}
	w->nrefs++;
	w->c->stats.check_refs++;
}

/* Runs the chain's check at a site: true to go on, false with the fault
 * recorded. Out of line: only checked walks come here. */
static __attribute__((noinline)) bool check_site(struct wctx *w, struct walk_check_site *s)
{
	int v;

	w->site = s;
	v = w->check->fn(w->check->ctx, (struct walk_check_call *)w, s);
	w->site = NULL;
	w->c->stats.checks++;
	if (v == 0)
		return true;
	fault(w, WALK_CHECK_FAULT, s->stage, s->level, s->site == WALK_CHECK_OUTPUT ? s->in : s->pa, 0);
	w->fault->error_code = (uint32_t)(v < 0 ? -v : v);
	w->fault->exit_qual = s->pa;
	return false;
}

/*
 * Translates `in`, an input address of stage j, through stages j..n-1.
 * True with *o filled, or false with w->fault filled. paging (stage j's
 * format has the paging model, not the EPT one), last (stage j is the
 * chain's last) and checked (the chain has a physical-access check) are
 * constants in each of the eight copies the compiler makes below, so the
 * common walks carry no branch for the features they do not use. Where a
 * format keeps its bits comes from the stage's masks (walk_stage_priv),
 * never from the format's name.
 */
static inline __attribute__((always_inline)) bool
walk_stage_body(struct wctx *w, unsigned j, xlat_va in, const struct wjob *job, struct wout *o,
		const bool paging, const bool last, const bool checked)
{
	struct walk_chain *c = w->c;
	const struct walk_stage *st = &c->stage[j];
	const struct walk_stage_priv *sp = &c->priv[j];
	const struct xlat_format *fmt = st->fmt;
	const bool set_ad = st->ctl & WALK_SET_AD;
	/* The access as this stage sees it: an earlier stage's table read is
	 * a write to a stage that keeps A/D (EPT A/D, SDM 29.3.3.2; AMD NPT). */
	const unsigned kind = job->table ? (set_ad ? XLAT_WRITE : XLAT_READ) : job->kind;
	struct wlevel lv[XLAT_MAX_LEVELS + 1];  /* what was read, by level */
	int level = fmt->levels, top;
	xlat_pa table = st->root;
	/* The rights word (rights_perms): the AND of the entries read, XD
	 * inverted, so its A bit also says whether every entry has A set. */
	uint64_t rights = ~0ULL;
	uint64_t e;

	if (!input_ok(fmt, in))
		return fault(w, WALK_BAD_ADDRESS, j, level, in, 0);

	if (st->pwc) {
		struct pwc_hit hit;

		if (pwc_lookup_inline(st->pwc, st->tag, in, level, &hit)) {
			if (hit.level < 2 || hit.level > level)
				XLAT_BUG("pwc hit at level %d of a %d-level stage", hit.level, level);
			level = hit.level - 1;
			table = hit.table;
			rights = hit.rights;
			c->stats.pwc_hits[j]++;
		} else {
			c->stats.pwc_misses[j]++;
		}
	}
	if (j == 0) {
		c->stats.start_level[level]++;
		w->start_level = (uint8_t)level;
	}
	top = level;

	for (;;) {
		const struct walk_level_priv *lp = &sp->lv[level];
		struct wlevel *r = &lv[level];
		xlat_va ea = table + 8u * xlat_index(level, in);
		xlat_pa ba = ea;
		bool leaf;

		if (!last) {
			struct wjob tj = { .kind = XLAT_READ, .table = true,
					   .for_stage = (uint8_t)j, .for_level = (uint8_t)level };
			struct wout to;

			if (!inner(w, j + 1, ea, &tj, &to))
				return false;
			ba = to.pa;
			r->ip = to.perms;
			r->sh = (uint8_t)to.shift;
		}
		if (phys_read64_inline(c->mem, ba, &e) < 0)
			return fault(w, WALK_BAD_ADDRESS, j, level, ba, 0);
		if (j == 0)
			record(w, 0, level, 0, (unsigned)level, ea, ba, e);
		else
			record(w, j, level, job->for_stage, job->for_level, ea, ba, e);
		c->stats.refs_at[j][level]++;
		if (checked && last) {
			struct walk_check_site cs = {
				.site = WALK_CHECK_ENTRY, .stage = (uint8_t)j, .level = (uint8_t)level,
				.for_stage = j == 0 ? 0 : job->for_stage,
				.for_level = j == 0 ? (uint8_t)level : job->for_level,
				.use_cache = w->check->use_cache, .in = ea, .pa = ba,
			};
			if (!check_site(w, &cs))
				return false;
		}

		if (!(e & sp->present))
			return fault_access(w, j, level, in, e, kind, job->table, false, 0);
		leaf = (e & lp->leaf_bit) != 0;
		if (e & lp->rsvd[leaf])
			return fault_rsvd(w, j, level, in, e, kind, job->table);
		/* Misconfigurations belong to the EPT model (a paging-model
		 * stage reports reserved bits as a #PF). Fast path (fmt->mc_*):
		 * an entry with the safe bits and, for a leaf, a valid type
		 * cannot be misconfigured beyond its reserved bits. */
		if (!paging && sp->misconfig &&
		    ((e & fmt->mc_safe) != fmt->mc_safe ||
		     (leaf && !((fmt->mc_type_ok >> ((e >> fmt->mc_type_shift) & 7u)) & 1u))) &&
		    fmt->ops->misconfig(fmt, level, e, st->maxphyaddr, sp->fmt_ctl,
					st->ctl & WALK_EXEC_ONLY))
			return fault(w, WALK_EPT_MISCONFIG, j, level, in, e);
		rights &= e ^ sp->flip;
		r->in = ea;
		r->pa = ba;
		r->e = e;
		r->acc = rights;
		if (leaf)
			break;
		table = e & lp->addr[0];
		level--;
	}

	/* Permissions: only once the whole stage is walked, so a reserved bit
	 * or a not-present entry below a denying level wins (SDM 4.7). */
	const uint32_t perms = rights_perms(sp, rights);
	bool ok = !paging ? (perms & walk_ept_need(kind, job->user_la)) != 0
			  : walk_x86_allowed(perms, kind, j == 0 ? w->user : true,
					     j == 0 && w->ac_ok, st->ctl);
	if (!ok)
		return fault_access(w, j, level, in, e, kind, job->table, true, perms);

	/* The output, through the later stages. */
	unsigned shift = xlat_level_shift(level);
	xlat_pa out = (e & sp->lv[level].addr[1]) | (in & ((1ULL << shift) - 1));
	struct wout fo = { .pa = out, .shift = SHIFT_NONE, .perms = WALK_PERM_ALL,
			   .own = WALK_PERM_ALL, .inner = WALK_PERM_ALL, .dirty = true };

	if (!last) {
		struct wjob fj = { .kind = job->kind, .table = job->table,
				   .user_la = j == 0 && paging ? (perms & XLAT_U) != 0 : job->user_la,
				   .for_stage = (uint8_t)j, .for_level = 0 };

		if (!inner(w, j + 1, out, &fj, &fo))
			return false;
	}
	unsigned max_shift = SHIFT_NONE;
	if (checked && j == w->check_stage) {
		struct walk_check_site cs = {
			.site = WALK_CHECK_OUTPUT, .stage = (uint8_t)j, .level = 0,
			.for_stage = job->for_stage, .for_level = job->for_level,
			.write = !job->table && job->kind == XLAT_WRITE, .table = job->table,
			.use_cache = w->check->use_cache, .in = in, .pa = fo.pa,
			.shift = shift < fo.shift ? shift : fo.shift, .max_shift = SHIFT_NONE,
		};
		if (!check_site(w, &cs))
			return false;
		max_shift = cs.max_shift;
	}

	/* Success: A in every entry read, D in the leaf for a write (SDM 4.8,
	 * 29.3.5), written only where they change. */
	if (set_ad && (!(rights & fmt->a_bit) || (kind == XLAT_WRITE && !(e & fmt->d_bit))) &&
	    !set_accessed_dirty(w, j, in, lv, top, level, kind, last))
		return false;
	if (st->pwc)
		for (int l = top; l > level; l--)
			pwc_fill_inline(st->pwc, st->tag, in, l, lv[l].e & sp->lv[l].addr[0],
					lv[l].acc | fmt->a_bit);   /* A is set now */

	o->pa = fo.pa;
	o->shift = shift < fo.shift ? shift : fo.shift;
	if (checked && max_shift < o->shift)
		o->shift = max_shift;
	o->own = perms;
	o->inner = fo.perms;
	o->perms = perms & fo.perms;
	o->dirty = fo.dirty && (!set_ad || kind == XLAT_WRITE || (e & fmt->d_bit));
	o->global = (e & sp->global) != 0;
	return true;
}

#define WALK_COPY(name, paging, last, checked)                                          \
	static bool name(struct wctx *w, unsigned j, xlat_va in, const struct wjob *job,   \
			 struct wout *o)                                                   \
	{                                                                                  \
		return walk_stage_body(w, j, in, job, o, paging, last, checked);          \
	}
WALK_COPY(walk_paging_last, true, true, false)
WALK_COPY(walk_paging_inner, true, false, false)
WALK_COPY(walk_ept_last, false, true, false)
WALK_COPY(walk_ept_inner, false, false, false)
WALK_COPY(walk_paging_last_checked, true, true, true)
WALK_COPY(walk_paging_inner_checked, true, false, true)
WALK_COPY(walk_ept_last_checked, false, true, true)
WALK_COPY(walk_ept_inner_checked, false, false, true)

/* The checked copies, out of line: a chain without a check never calls it. */
static __attribute__((noinline)) bool walk_stage_checked(struct wctx *w, unsigned j, xlat_va in,
							  const struct wjob *job, struct wout *o)
{
	bool last = j + 1 == w->c->n;

	if (w->c->priv[j].paging)
		return last ? walk_paging_last_checked(w, j, in, job, o)
			    : walk_paging_inner_checked(w, j, in, job, o);
	return last ? walk_ept_last_checked(w, j, in, job, o) : walk_ept_inner_checked(w, j, in, job, o);
}

static bool walk_stage(struct wctx *w, unsigned j, xlat_va in, const struct wjob *job,
		       struct wout *o)
{
	bool last = j + 1 == w->c->n;

	if (__builtin_expect(w->check != NULL, 0))
		return walk_stage_checked(w, j, in, job, o);
	if (w->c->priv[j].paging)
		return last ? walk_paging_last(w, j, in, job, o) : walk_paging_inner(w, j, in, job, o);
	return last ? walk_ept_last(w, j, in, job, o) : walk_ept_inner(w, j, in, job, o);
}

/* ---- the entry point -------------------------------------------------------- */

int walk_translate(struct walk_chain *c, const struct walk_req *req, struct walk_result *res)
{
	struct wctx w;
	struct wjob job;
	struct wout o;
	bool paging0;

	if (!c || !req || !res)
		return xlat_fail(-EINVAL, "walk_translate: NULL argument");
	if (c->n < 1 || c->n > WALK_MAX_STAGES || !c->mem)
		return xlat_fail(-EINVAL, "walk_translate: chain has %u stages%s", c->n,
				 c->mem ? "" : " and no memory");
	if (req->kind > XLAT_FETCH)
		return xlat_fail(-EINVAL, "walk_translate: '%s' is not a memory access",
				 xlat_kind_name(req->kind));

	w.table_write = false;
	for (unsigned j = 0; j < c->n; j++) {
		int err = stage_prepare(c, j);

		if (err)
			return err;
		if (j > 0 && (c->stage[j].ctl & WALK_SET_AD))
			w.table_write = true;
	}

	w.c = c;
	w.req = req;
	w.fault = &res->fault;
	w.out = res->refs_out;
	w.addrs = res->ref_addrs;
	w.cap = res->refs_out || res->ref_addrs ? res->refs_cap : 0;
	w.nrefs = 0;
	w.start_level = 0;
	w.check = c->check;
	w.check_stage = c->n > 1 ? 1 : 0;
	w.site = NULL;
	w.user = !req->supervisor && !req->implicit;
	w.ac_ok = req->ac && !req->implicit;

	paging0 = c->priv[0].paging;
	job.kind = req->kind;
	job.table = false;
	job.user_la = !req->supervisor;   /* an EPT-model stage 0 has no U/S of its own */
	job.for_stage = 0;
	job.for_level = 0;

	res->fault.kind = WALK_OK;
	res->pa = 0;
	res->shift = 0;
	res->perms = 0;
	res->dirty = false;
	res->global = false;
	c->stats.walks++;

	if (walk_stage(&w, 0, req->va, &job, &o)) {
		/* Stage 0's U/S decides which execute right of an MBEC EPT
		 * applies; the result carries the one that does. */
		bool user_page = !paging0 ? !req->supervisor : (o.own & XLAT_U) != 0;
		uint32_t p = o.perms & (XLAT_R | XLAT_W);

		if (o.perms & (user_page ? XLAT_UX : XLAT_X))
			p |= XLAT_X;
		if (paging0)
			p |= o.own & XLAT_U;
		if (o.inner & XLAT_W)
			p |= WALK_PERM_LOWER_W;
		res->pa = o.pa;
		res->shift = o.shift;
		res->perms = p;
		res->dirty = o.dirty;
		res->global = o.global;
	}
	res->refs = w.nrefs;
	res->start_level = w.start_level;
	c->stats.refs += w.nrefs;
	c->stats.faults[res->fault.kind]++;
	return 0;
}
