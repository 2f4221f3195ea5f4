/*
 * Dirty logging of a VM's memory (xlat/dirty.h): write protection in the
 * EPT, EPT D-bit scans, page-modification logging, and write protection of
 * shadow entries, on the hypervisor of hv.c / shadow.c, which tells the log
 * what happens through the dirty_hv_* calls of hv_int.h.
 *
 * The log keeps two bitmaps over guest RAM, a bit per 4 KiB page: the
 * pages being logged (enabled) and those logged dirty since the last sync.
 * Under wp (and shadow) a page is dirty exactly when its write permission
 * was given back, which is why a sync re-protects the pages it reports and
 * nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_int.h"
#include "xlat/parse.h"
#include "xlat/phys.h"

/* EPT leaf permissions (WB: cache field 0 is write-back for EPT). */
#define EPT_RWX (XLAT_R | XLAT_W | XLAT_X)
#define EPT_RX  (XLAT_R | XLAT_X)

struct dirty_log {
	struct vm *vm;
	struct dirty_config cfg;
	enum dirty_mech mech;        /* cfg.mech, DIRTY_SHADOW for wp under shadow paging */
	uint64_t npages;             /* guest RAM / 4 KiB */
	uint64_t *enabled;           /* bit per page: logged */
	uint64_t *dirty;             /* bit per page: dirty since the last sync */
	uint64_t nenabled;
	uint64_t pml[DIRTY_PML_ENTRIES];
	unsigned pml_n;              /* entries in the buffer */
	bool in_drain;
	bool flush_pending;          /* leaves were split: the TLBs may hold the huge ones */
	bool hooked;                 /* the PML hook is on the EPT stage */
	struct walk_ad_hook hook;
	struct dirty_stats st;
};

/* ---- names and costs ------------------------------------------------------ */

static const char *const mech_names[DIRTY_MECH_COUNT] = { "wp", "ad", "pml", "shadow" };
static const char *const huge_names[DIRTY_HUGE_COUNT] = { "eager", "split", "whole" };

const char *dirty_mech_name(enum dirty_mech m)
{
	return (unsigned)m < DIRTY_MECH_COUNT ? mech_names[m] : "?";
}

int dirty_mech_parse(const char *name, enum dirty_mech *m)
{
	for (unsigned i = 0; i < DIRTY_MECH_COUNT; i++)
		if (!strcmp(name, mech_names[i])) {
			*m = (enum dirty_mech)i;
			return 0;
		}
	return xlat_fail(-EINVAL, "unknown dirty tracking '%s' (wp, ad, pml or shadow)", name);
}

const char *dirty_huge_name(enum dirty_huge h)
{
	return (unsigned)h < DIRTY_HUGE_COUNT ? huge_names[h] : "?";
}

int dirty_huge_parse(const char *name, enum dirty_huge *h)
{
	for (unsigned i = 0; i < DIRTY_HUGE_COUNT; i++)
		if (!strcmp(name, huge_names[i])) {
			*h = (enum dirty_huge)i;
			return 0;
		}
	return xlat_fail(-EINVAL, "unknown huge-page handling '%s' (eager, split or whole)", name);
}

struct cost_key {
	const char *key;
	size_t off;
	unsigned dflt;
	const char *source;
};

#define CK(k, f, d, src) { "dirty." k, offsetof(struct dirty_costs, f), d, src }
static const struct cost_key cost_keys[] = {
	CK("wp_fault_cycles", wp_fault_cycles, 600,
	   "estimate: KVM's fast page fault path beyond the exit round trip (a lockless SPTE cmpxchg and "
	   "mark_page_dirty_in_slot's bitmap set, arch/x86/kvm/mmu/mmu.c fast_page_fault): a few hundred cycles"),
	CK("pml_entry_cycles", pml_entry_cycles, 40,
	   "estimate: vmx_flush_pml_buffer's loop per entry (a load and kvm_vcpu_mark_page_dirty's set_bit)"),
	CK("split_cycles", split_cycles, 3000,
	   "estimate: a page-table page allocated and 512 entries written (KVM's kvm_mmu_split_huge_pages)"),
	CK("protect_cycles", protect_cycles, 50,
	   "estimate: one SPTE reached and cleared with an atomic RMW (kvm_mmu_write_protect_pt_masked, "
	   "kvm_mmu_clear_dirty_pt_masked, per page)"),
	CK("scan_cycles", scan_cycles, 3,
	   "estimate: one 8-byte EPT entry read from a table streamed through the cache (512 per 4 KiB)"),
};
#define NCOST (sizeof cost_keys / sizeof cost_keys[0])

static unsigned *cost_field(struct dirty_costs *c, size_t i)
{
	return (unsigned *)((char *)c + cost_keys[i].off);
}

void dirty_config_init(struct dirty_config *c)
{
	memset(c, 0, sizeof *c);
	c->mech = DIRTY_WP;
	c->huge = DIRTY_HUGE_EAGER;
	for (size_t i = 0; i < NCOST; i++)
		*cost_field(&c->costs, i) = cost_keys[i].dflt;
}

int dirty_costs_set(struct dirty_costs *c, const char *key, const char *value, unsigned *set)
{
	for (size_t i = 0; i < NCOST; i++) {
		uint64_t v;
		if (strcmp(key, cost_keys[i].key))
			continue;
		if (xlat_parse_count(value, &v) || v > 100000000)
			return xlat_fail(-EINVAL, "%s: '%s' is not a cycle count 0..100M", key, value);
		*cost_field(c, i) = (unsigned)v;
		if (set)
			*set |= 1u << i;
		return 0;
	}
	return xlat_fail(-EINVAL, "%s: no such dirty-tracking cost (dirty.wp_fault_cycles, dirty.pml_entry_cycles, "
			 "dirty.split_cycles, dirty.protect_cycles, dirty.scan_cycles)", key);
}

int dirty_costs_foreach(const struct dirty_costs *c, unsigned set,
			int (*fn)(void *ctx, const char *key, const char *value, const char *source), void *ctx)
{
	for (size_t i = 0; i < NCOST; i++) {
		char v[24];
		snprintf(v, sizeof v, "%u", *cost_field((struct dirty_costs *)c, i));
		int rc = fn(ctx, cost_keys[i].key, v, (set >> i) & 1 ? "set" : cost_keys[i].source);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- bitmaps ---------------------------------------------------------------- */

static inline bool bit_test(const uint64_t *map, uint64_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static inline void bit_set(uint64_t *map, uint64_t i)
{
	map[i / 64] |= 1ULL << (i % 64);
}

static inline void bit_clear(uint64_t *map, uint64_t i)
{
	map[i / 64] &= ~(1ULL << (i % 64));
}

static bool page_enabled(const struct dirty_log *d, gpa_t gpa)
{
	uint64_t pfn = gpa >> XLAT_PAGE_SHIFT;
	return pfn < d->npages && bit_test(d->enabled, pfn);
}

/* Marks the logged pages of [va, va + size) dirty; returns how many were
 * clean. */
static uint64_t mark_range(struct dirty_log *d, gpa_t va, uint64_t size)
{
	uint64_t n = 0;
	for (uint64_t p = va >> XLAT_PAGE_SHIFT, e = (va + size) >> XLAT_PAGE_SHIFT; p < e && p < d->npages; p++)
		if (bit_test(d->enabled, p) && !bit_test(d->dirty, p)) {
			bit_set(d->dirty, p);
			n++;
		}
	return n;
}

/* ---- costs into the machine's model ------------------------------------------ */

/* A VM exit the log causes: priced by the preset (mmu_charge_exit); KVM
 * drains the PML buffer at every exit. */
static void log_exit(struct dirty_log *d)
{
	d->st.exits++;
	if (d->vm->mmu)
		mmu_charge_exit(d->vm->mmu);
	dirty_hv_exit(d);
}

/* The TLBs may hold what the log just took away (W, or a D that says the
 * next write needs no walk): INVEPT, and for a running vCPU the kick that
 * makes it do so (kvm_flush_remote_tlbs). Under shadow paging the shadow
 * translations are the TLB entries' source: the same flush. */
static void log_flush(struct dirty_log *d)
{
	d->st.flushes++;
	d->st.kick_exits++;
	if (d->vm->mmu)
		mmu_flush_nested(d->vm->mmu);
	log_exit(d);
}

/* ---- the EPT ----------------------------------------------------------------- */

struct leaf_list {
	struct pt_leaf *v;
	size_t n, cap;
	uint64_t count;             /* leaves visited */
	bool only_huge, only_writable, only_dirty;
};

static int collect(const struct pt_leaf *leaf, void *priv)
{
	struct leaf_list *l = priv;

	l->count++;
	if ((l->only_huge && leaf->shift == XLAT_PAGE_SHIFT) || (l->only_writable && !(leaf->perms & XLAT_W)) ||
	    (l->only_dirty && !leaf->dirty))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct pt_leaf *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return xlat_fail(-ENOMEM, "dirty: out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *leaf;
	return 0;
}

/* Splits every huge leaf of the GPA map overlapping [gpa, gpa + size) down
 * to 4 KiB leaves (same frames, permissions and A/D). */
static int split_all(struct dirty_log *d, gpa_t gpa, uint64_t size)
{
	struct pt *map = &d->vm->map;

	for (;;) {
		struct leaf_list l = { .only_huge = true };
		int rc = pt_for_each(map, gpa, gpa + size, collect, &l);
		if (rc < 0 || l.n == 0) {
			free(l.v);
			return rc < 0 ? rc : 0;
		}
		for (size_t i = 0; i < l.n && rc == 0; i++) {
			/* pt_protect splits a huge leaf it covers in part:
			 * protect the first page differently, then back. */
			const struct pt_leaf *lf = &l.v[i];
			uint64_t before = 0, after = 0;
			for (int lv = 1; lv <= 3; lv++)
				before += map->leaves[lv];
			rc = pt_protect(map, lf->va, XLAT_PAGE_SIZE, lf->perms ^ XLAT_W);
			if (rc == 0)
				rc = pt_protect(map, lf->va, XLAT_PAGE_SIZE, lf->perms);
			for (int lv = 1; lv <= 3; lv++)
				after += map->leaves[lv];
			/* Each split turns one leaf into 512. */
			uint64_t splits = (after - before) / 511;
			d->st.splits += splits;
			d->flush_pending |= splits > 0;
			d->st.host_cycles += splits * d->cfg.costs.split_cycles;
		}
		free(l.v);
		if (rc)
			return rc;
	}
}

/* Arms the backed pages of [gpa, gpa + size) of the GPA map: W off (wp, and
 * huge leaves under split), D off (ad, pml). */
static int ept_arm(struct dirty_log *d, gpa_t gpa, uint64_t size)
{
	struct pt *map = &d->vm->map;
	struct leaf_list l = { 0 };
	int rc = pt_for_each(map, gpa, gpa + size, collect, &l);
	bool changed = false;

	for (size_t i = 0; rc >= 0 && i < l.n; i++) {
		const struct pt_leaf *lf = &l.v[i];
		gpa_t lo = lf->va > gpa ? lf->va : gpa;
		gpa_t hi = lf->va + (1ULL << lf->shift) < gpa + size ? lf->va + (1ULL << lf->shift) : gpa + size;
		bool huge = lf->shift > XLAT_PAGE_SHIFT && d->cfg.huge != DIRTY_HUGE_WHOLE;

		if ((d->mech == DIRTY_WP || huge) && (lf->perms & XLAT_W)) {
			rc = pt_protect(map, lo, hi - lo, (lf->perms & ~XLAT_W));
			changed = true;
			d->st.protected_leaves++;
			d->st.host_cycles += d->cfg.costs.protect_cycles;
		}
		if (rc == 0 && d->mech != DIRTY_WP && (lf->accessed || lf->dirty)) {
			int64_t n = pt_clear_ad(map, lo, hi - lo, NULL, NULL);
			rc = n < 0 ? (int)n : 0;
			changed |= n > 0;
			d->st.protected_leaves++;
			d->st.host_cycles += d->cfg.costs.protect_cycles;
		}
	}
	free(l.v);
	if (rc < 0)
		return rc;
	if (changed || d->flush_pending)
		log_flush(d);
	d->flush_pending = false;
	return 0;
}

/* Gives W back to the backed pages of [gpa, gpa + size). */
static int ept_disarm(struct dirty_log *d, gpa_t gpa, uint64_t size)
{
	struct pt *map = &d->vm->map;
	struct leaf_list l = { 0 };
	int rc = pt_for_each(map, gpa, gpa + size, collect, &l);

	for (size_t i = 0; rc >= 0 && i < l.n; i++) {
		const struct pt_leaf *lf = &l.v[i];
		gpa_t lo = lf->va > gpa ? lf->va : gpa;
		gpa_t hi = lf->va + (1ULL << lf->shift) < gpa + size ? lf->va + (1ULL << lf->shift) : gpa + size;
		if (!(lf->perms & XLAT_W))
			rc = pt_protect(map, lo, hi - lo, lf->perms | XLAT_W);
	}
	free(l.v);
	return rc < 0 ? rc : 0;
}

/* ---- shadow entries ---------------------------------------------------------- */

/* Takes W from every shadow leaf (every root), and under eager splitting
 * drops every huge one (it refills at 4 KiB). */
static int shadow_arm(struct dirty_log *d, bool drop_huge)
{
	struct vm *vm = d->vm;
	bool changed = false;
	int rc = 0;

	for (size_t r = 0; r < vm->nroots && rc == 0; r++) {
		struct pt *spt = &vm->roots[r].spt;
		struct leaf_list l = { 0 };
		if ((rc = pt_for_each(spt, 0, 0, collect, &l)) < 0) {
			free(l.v);
			break;
		}
		for (size_t i = 0; i < l.n && rc >= 0; i++) {
			const struct pt_leaf *lf = &l.v[i];
			if (drop_huge && lf->shift > XLAT_PAGE_SHIFT) {
				rc = pt_unmap(spt, lf->va, 1ULL << lf->shift);
				changed = true;
				d->st.splits++;
				d->st.host_cycles += d->cfg.costs.protect_cycles;
			} else if (lf->perms & XLAT_W) {
				rc = pt_protect(spt, lf->va, 1ULL << lf->shift, lf->perms & ~XLAT_W);
				changed = true;
				d->st.protected_leaves++;
				d->st.host_cycles += d->cfg.costs.protect_cycles;
			}
		}
		free(l.v);
	}
	if (rc < 0)
		return rc;
	if (changed)
		log_flush(d);
	return 0;
}

/* ---- create, enable, disable ---------------------------------------------------- */

static void pml_hook(void *ctx, xlat_va in, bool dirty);

/* Puts the PML hook on the EPT stage, or takes it off. */
static int set_hook(struct dirty_log *d, bool on)
{
	struct mmu *mmu = d->vm->mmu;
	const struct walk_stage *cur = mmu ? mmu_stage(mmu, MMU_STAGE_HV) : NULL;

	if (!cur || d->hooked == on)
		return 0;
	struct walk_stage st = *cur;
	st.ad_hook = on ? &d->hook : NULL;
	int rc = mmu_set_stage(mmu, MMU_STAGE_HV, &st);
	if (rc == 0)
		d->hooked = on;
	return rc;
}

int dirty_log_create(struct vm *vm, const struct dirty_config *cfg, struct dirty_log **out)
{
	enum dirty_mech mech = cfg->mech;
	bool shadow = vm->cfg.mode == HV_SHADOW;

	*out = NULL;
	if ((unsigned)mech >= DIRTY_MECH_COUNT || (unsigned)cfg->huge >= DIRTY_HUGE_COUNT)
		return xlat_fail(-EINVAL, "dirty: no such mechanism or huge-page handling");
	if (vm->dlog)
		return xlat_fail(-EINVAL, "dirty: the VM already has a dirty log");
	if (!vm->mmu)
		return xlat_fail(-EINVAL, "dirty: the VM runs on no mmu (vm_attach first)");
	if (shadow && mech == DIRTY_WP)
		mech = DIRTY_SHADOW;
	if (shadow && mech != DIRTY_SHADOW)
		return xlat_fail(-EINVAL, "dirty: %s tracking needs the EPT's A/D flags, and shadow paging has no EPT "
				 "(use wp: under shadow paging it write-protects the shadow entries)", mech_names[mech]);
	if (!shadow && mech == DIRTY_SHADOW)
		return xlat_fail(-EINVAL, "dirty: shadow tracking write-protects shadow entries: it needs mode=shadow");
	if ((mech == DIRTY_AD || mech == DIRTY_PML) && !vm->cfg.ept_ad)
		return xlat_fail(-EINVAL, "dirty: %s tracking needs EPT accessed/dirty flags (ept_ad=1, --ept-ad)%s",
				 mech_names[mech], mech == DIRTY_PML ? ": the CPU logs a page when it sets the EPT's D bit" : "");
	struct dirty_log *d = calloc(1, sizeof *d);
	if (!d)
		return xlat_fail(-ENOMEM, "dirty: out of memory");
	d->vm = vm;
	d->cfg = *cfg;
	d->mech = mech;
	d->npages = vm->cfg.guest_ram >> XLAT_PAGE_SHIFT;
	size_t words = (size_t)((d->npages + 63) / 64);
	d->enabled = calloc(words, sizeof *d->enabled);
	d->dirty = calloc(words, sizeof *d->dirty);
	if (!d->enabled || !d->dirty) {
		dirty_log_destroy(d);
		return xlat_fail(-ENOMEM, "dirty: out of memory for the bitmaps of %llu pages",
				 (unsigned long long)d->npages);
	}
	d->hook = (struct walk_ad_hook){ pml_hook, d };
	vm->dlog = d;
	*out = d;
	return 0;
}

void dirty_log_destroy(struct dirty_log *d)
{
	if (!d)
		return;
	if (d->vm->dlog == d) {
		if (d->nenabled && dirty_log_disable(d, 0, d->npages << XLAT_PAGE_SHIFT))
			XLAT_BUG("disabling the dirty log failed: %s", xlat_error());
		d->vm->dlog = NULL;
	}
	free(d->enabled);
	free(d->dirty);
	free(d);
}

static int check_range(const struct dirty_log *d, const char *fn, gpa_t gpa, uint64_t size)
{
	if (!xlat_aligned(gpa | size, XLAT_PAGE_SIZE) || gpa > d->npages << XLAT_PAGE_SHIFT ||
	    size > (d->npages << XLAT_PAGE_SHIFT) - gpa)
		return xlat_fail(-EINVAL, "%s: [%#llx, +%#llx) is not a page range of the guest's %llu bytes of RAM",
				 fn, (unsigned long long)gpa, (unsigned long long)size,
				 (unsigned long long)(d->npages << XLAT_PAGE_SHIFT));
	return 0;
}

int dirty_log_enable(struct dirty_log *d, gpa_t gpa, uint64_t size)
{
	int rc = check_range(d, "dirty_log_enable", gpa, size);

	if (rc || size == 0)
		return rc;
	for (uint64_t p = gpa >> XLAT_PAGE_SHIFT, e = (gpa + size) >> XLAT_PAGE_SHIFT; p < e; p++)
		if (!bit_test(d->enabled, p)) {
			bit_set(d->enabled, p);
			bit_clear(d->dirty, p);
			d->nenabled++;
		}
	if (d->mech == DIRTY_SHADOW)
		return shadow_arm(d, d->cfg.huge == DIRTY_HUGE_EAGER);
	if (d->cfg.huge == DIRTY_HUGE_EAGER && (rc = split_all(d, gpa, size)))
		return rc;
	if (d->mech == DIRTY_PML && (rc = set_hook(d, true)))
		return rc;
	return ept_arm(d, gpa, size);
}

int dirty_log_disable(struct dirty_log *d, gpa_t gpa, uint64_t size)
{
	int rc = check_range(d, "dirty_log_disable", gpa, size);

	if (rc || size == 0)
		return rc;
	dirty_hv_exit(d);   /* what the buffer holds is logged before it goes */
	for (uint64_t p = gpa >> XLAT_PAGE_SHIFT, e = (gpa + size) >> XLAT_PAGE_SHIFT; p < e; p++)
		if (bit_test(d->enabled, p)) {
			bit_clear(d->enabled, p);
			bit_clear(d->dirty, p);
			d->nenabled--;
		}
	if (d->nenabled == 0 && (rc = set_hook(d, false)))
		return rc;
	if (d->mech == DIRTY_SHADOW)
		return 0;   /* read-only shadow leaves refault and refill writable */
	return ept_disarm(d, gpa, size);
}

bool dirty_log_test(const struct dirty_log *d, gpa_t gpa)
{
	uint64_t pfn = gpa >> XLAT_PAGE_SHIFT;
	return pfn < d->npages && bit_test(d->dirty, pfn);
}

const struct dirty_stats *dirty_log_stats(const struct dirty_log *d)
{
	return &d->st;
}

const struct dirty_config *dirty_log_config(const struct dirty_log *d)
{
	return &d->cfg;
}

enum dirty_mech dirty_log_mech(const struct dirty_log *d)
{
	return d->mech;
}

struct dirty_log *dirty_log_of(struct vm *vm)
{
	return vm ? vm->dlog : NULL;
}

/* ---- page-modification logging ---------------------------------------------------- */

/* Drains the buffer into the log: each GPA is a dirty page, or under whole
 * a dirty huge page (its leaf's D went from 0 to 1 once for all of it). */
static void pml_drain(struct dirty_log *d)
{
	if (d->pml_n == 0 || d->in_drain)
		return;
	d->in_drain = true;
	d->st.pml_drains++;
	d->st.guest_cycles += (uint64_t)d->pml_n * d->cfg.costs.pml_entry_cycles;
	for (unsigned i = 0; i < d->pml_n; i++) {
		gpa_t gpa = d->pml[i];
		struct pt_leaf leaf;
		if (d->cfg.huge == DIRTY_HUGE_WHOLE && pt_lookup(&d->vm->map, gpa, &leaf) == 0)
			mark_range(d, leaf.va, 1ULL << leaf.shift);
		else
			mark_range(d, gpa, XLAT_PAGE_SIZE);
	}
	d->pml_n = 0;
	d->in_drain = false;
}

/* The CPU is about to set A/D flags in the EPT (walk.h's hook): with the
 * buffer full, a log-full exit first (the hypervisor drains it and the
 * guest retries); then a D set from 0 to 1 appends the page's GPA. */
static void pml_hook(void *ctx, xlat_va in, bool dirty)
{
	struct dirty_log *d = ctx;

	if (d->pml_n == DIRTY_PML_ENTRIES) {
		d->st.pml_full_exits++;
		log_exit(d);   /* drains */
	}
	if (dirty && page_enabled(d, in)) {
		d->pml[d->pml_n++] = xlat_align_down(in, XLAT_PAGE_SIZE);
		d->st.pml_logged++;
	}
}

/* ---- what the hypervisor tells the log ------------------------------------------------ */

void dirty_hv_exit(struct dirty_log *d)
{
	if (d->mech == DIRTY_PML)
		pml_drain(d);
}

unsigned dirty_hv_max_shift(const struct dirty_log *d, gpa_t gpa, unsigned shift)
{
	/* KVM maps no huge page in a slot being logged (unless kept whole). */
	if (d->cfg.huge != DIRTY_HUGE_WHOLE && page_enabled(d, gpa))
		return XLAT_PAGE_SHIFT;
	return shift;
}

int dirty_hv_backed(struct dirty_log *d, gpa_t gpa, unsigned shift, bool write)
{
	struct vm *vm = d->vm;
	uint64_t size = 1ULL << shift;
	gpa_t base = xlat_align_down(gpa, size);

	if (!page_enabled(d, gpa) || d->mech == DIRTY_SHADOW)
		return 0;
	if (d->mech == DIRTY_WP) {
		/* Writable only for the write that backs it, which is logged
		 * (KVM marks the page dirty when it maps it writable). */
		if (write) {
			mark_range(d, base, size);
			return 0;
		}
		return pt_protect(&vm->map, base, size, EPT_RX);
	}
	/* ad, pml: the CPU sets D when the write happens. A huge leaf (whole)
	 * stays writable; its D says it all. */
	return 0;
}

/* A write-protection fault of the log's on the backed page of gpa: the
 * hypervisor logs it (the whole huge page, under whole) and gives W back;
 * a huge leaf under split (or eager, for one that appeared since) is split
 * first. */
static int wp_fault(struct dirty_log *d, gpa_t gpa, bool count_exit)
{
	struct pt *map = &d->vm->map;
	struct pt_leaf leaf;
	int rc = pt_lookup(map, gpa, &leaf);

	if (rc)
		return rc;
	d->st.wp_faults++;
	d->st.guest_cycles += d->cfg.costs.wp_fault_cycles;
	if (count_exit)
		log_exit(d);
	gpa_t page = xlat_align_down(gpa, XLAT_PAGE_SIZE);
	if (leaf.shift > XLAT_PAGE_SHIFT && d->cfg.huge == DIRTY_HUGE_WHOLE) {
		if (d->mech == DIRTY_WP)
			mark_range(d, leaf.va, 1ULL << leaf.shift);
		return pt_protect(map, leaf.va, 1ULL << leaf.shift, leaf.perms | XLAT_W);
	}
	if (leaf.shift > XLAT_PAGE_SHIFT) {
		uint64_t before = map->leaves[1] + map->leaves[2] + map->leaves[3];
		rc = pt_protect(map, page, XLAT_PAGE_SIZE, leaf.perms | XLAT_W);
		uint64_t splits = (map->leaves[1] + map->leaves[2] + map->leaves[3] - before) / 511;
		d->st.splits += splits;
		d->st.guest_cycles += splits * d->cfg.costs.split_cycles;
		/* The huge translation may be cached: the split's 4 KiB
		 * leaves replace it. */
		if (d->vm->mmu)
			mmu_flush_nested(d->vm->mmu);
		d->st.flushes++;
	} else {
		rc = pt_protect(map, page, XLAT_PAGE_SIZE, leaf.perms | XLAT_W);
	}
	if (rc == 0 && d->mech == DIRTY_WP)
		mark_range(d, page, XLAT_PAGE_SIZE);
	return rc;
}

int dirty_hv_ept_violation(struct dirty_log *d, gpa_t gpa, uint64_t qual)
{
	struct pt_leaf leaf;

	if (d->mech == DIRTY_SHADOW || !(qual & WALK_EPTQ_WRITE) || !page_enabled(d, gpa))
		return 1;
	if (pt_lookup(&d->vm->map, gpa, &leaf) || (leaf.perms & XLAT_W))
		return 1;
	int rc = wp_fault(d, gpa, true);
	return rc < 0 ? rc : 0;
}

int dirty_hv_sw_write(struct dirty_log *d, gpa_t gpa)
{
	struct vm *vm = d->vm;
	struct pt_leaf leaf;
	uint64_t pfn = gpa >> XLAT_PAGE_SHIFT;

	if (!page_enabled(d, gpa) || bit_test(d->dirty, pfn))
		return 0;
	switch (d->mech) {
	case DIRTY_SHADOW:
		/* A store to a page whose shadow is read-only: a shadow fault
		 * (the exit is charged by the shadow MMU for the guest's own
		 * accesses; here the guest's software stored). */
		d->st.sw_logged += mark_range(d, xlat_align_down(gpa, XLAT_PAGE_SIZE), XLAT_PAGE_SIZE);
		d->st.wp_faults++;
		d->st.guest_cycles += d->cfg.costs.wp_fault_cycles;
		log_exit(d);
		return 0;
	case DIRTY_WP:
		if (pt_lookup(&vm->map, gpa, &leaf) || (leaf.perms & XLAT_W))
			return 0;
		d->st.sw_logged++;
		return wp_fault(d, gpa, true);
	case DIRTY_AD:
	case DIRTY_PML: {
		if (pt_lookup(&vm->map, gpa, &leaf))
			return 0;
		if (!(leaf.perms & XLAT_W)) {
			/* A huge leaf write-protected to be split. */
			int rc = wp_fault(d, gpa, true);
			if (rc || pt_lookup(&vm->map, gpa, &leaf))
				return rc;
		}
		if (leaf.dirty)
			return 0;
		/* The store sets D as the CPU's would (and PML logs it). */
		if (d->mech == DIRTY_PML)
			pml_hook(d, gpa, true);
		d->st.sw_logged++;
		return phys_write64(vm->host, leaf.entry_pa, leaf.entry | vm->map.fmt->d_bit |
				    vm->map.fmt->a_bit);
	}
	default:
		return 0;
	}
}

int dirty_hv_shadow_fill(struct dirty_log *d, gpa_t gpa, bool write, uint32_t *perms, unsigned *shift)
{
	if (!page_enabled(d, gpa))
		return 0;
	bool whole = d->cfg.huge == DIRTY_HUGE_WHOLE && *shift > XLAT_PAGE_SHIFT;
	uint64_t size = whole ? 1ULL << *shift : XLAT_PAGE_SIZE;
	gpa_t base = xlat_align_down(gpa, size);

	if (!whole)
		*shift = XLAT_PAGE_SHIFT;
	if (write && (*perms & XLAT_W)) {
		if (!bit_test(d->dirty, gpa >> XLAT_PAGE_SHIFT)) {
			/* The shadow fault that logs (its exit is the shadow
			 * MMU's, already charged). */
			mark_range(d, base, size);
			d->st.wp_faults++;
			d->st.exits++;
			d->st.guest_cycles += d->cfg.costs.wp_fault_cycles;
		}
		return 0;
	}
	if (!bit_test(d->dirty, gpa >> XLAT_PAGE_SHIFT))
		*perms &= ~XLAT_W;
	return 0;
}

/* ---- sync ------------------------------------------------------------------------------ */

struct ad_scan {
	struct dirty_log *d;
};

static int ad_dirty_leaf(const struct pt_leaf *leaf, void *priv)
{
	struct ad_scan *s = priv;
	mark_range(s->d, leaf->va, 1ULL << leaf->shift);
	return 0;
}

/* Re-arms the dirty pages of [gpa, gpa + size): W off (wp), D off (pml). */
static int rearm_dirty(struct dirty_log *d, gpa_t gpa, uint64_t size, bool *changed)
{
	struct pt *map = &d->vm->map;
	uint64_t first = gpa >> XLAT_PAGE_SHIFT, end = (gpa + size) >> XLAT_PAGE_SHIFT;

	for (uint64_t p = first; p < end; p++) {
		struct pt_leaf leaf;
		int rc;
		if (!(d->dirty[p / 64] >> (p % 64) & 1)) {
			if (p % 64 == 63 || !d->dirty[p / 64])
				p |= 63;   /* skip an empty word */
			continue;
		}
		if (pt_lookup(map, p << XLAT_PAGE_SHIFT, &leaf))
			continue;   /* no longer backed */
		uint64_t lsize = 1ULL << leaf.shift;
		if (d->mech == DIRTY_WP) {
			if (!(leaf.perms & XLAT_W))
				continue;
			rc = pt_protect(map, leaf.va, lsize, leaf.perms & ~XLAT_W);
		} else {
			if (!leaf.dirty)
				continue;
			int64_t n = pt_clear_ad(map, leaf.va, lsize, NULL, NULL);
			rc = n < 0 ? (int)n : 0;
		}
		if (rc)
			return rc;
		d->st.protected_leaves++;
		d->st.host_cycles += d->cfg.costs.protect_cycles;
		*changed = true;
		/* A huge leaf (whole) covers its other pages too. */
		if (lsize > XLAT_PAGE_SIZE)
			p = ((leaf.va + lsize) >> XLAT_PAGE_SHIFT) - 1;
	}
	return 0;
}

int64_t dirty_log_sync(struct dirty_log *d, gpa_t gpa, uint64_t size, uint64_t *bitmap)
{
	int rc = check_range(d, "dirty_log_sync", gpa, size);
	bool changed = false;

	if (rc)
		return rc;
	d->st.syncs++;
	switch (d->mech) {
	case DIRTY_PML:
		/* kvm_arch_sync_dirty_log: kick the vCPU, whose exit drains
		 * its buffer. */
		d->st.kick_exits++;
		log_exit(d);
		rc = rearm_dirty(d, gpa, size, &changed);
		break;
	case DIRTY_AD: {
		/* The scan reads every leaf of the range; it clears A/D of
		 * those that have them (pt_clear_ad writes only those). */
		struct leaf_list l = { 0 };
		struct ad_scan s = { d };
		rc = pt_for_each(&d->vm->map, gpa, gpa + size, collect, &l);
		free(l.v);
		if (rc < 0)
			return rc;
		d->st.scans++;
		d->st.scanned_leaves += l.count;
		d->st.host_cycles += l.count * d->cfg.costs.scan_cycles;
		int64_t n = pt_clear_ad(&d->vm->map, gpa, size, ad_dirty_leaf, &s);
		if (n < 0)
			return n;
		d->st.protected_leaves += (uint64_t)n;
		d->st.host_cycles += (uint64_t)n * d->cfg.costs.protect_cycles;
		changed = n > 0;
		rc = 0;
		break;
	}
	case DIRTY_WP:
		rc = rearm_dirty(d, gpa, size, &changed);
		break;
	case DIRTY_SHADOW:
		rc = shadow_arm(d, false);
		break;
	default:
		break;
	}
	if (rc < 0)
		return rc;
	if (changed)
		log_flush(d);

	int64_t n = 0;
	uint64_t first = gpa >> XLAT_PAGE_SHIFT, count = size >> XLAT_PAGE_SHIFT;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t p = first + i;
		if (!(p % 64) && i + 64 <= count && !d->dirty[p / 64]) {
			i += 63;
			continue;
		}
		if (bit_test(d->dirty, p)) {
			bit_clear(d->dirty, p);
			bit_set(bitmap, i);
			n++;
		}
	}
	d->st.logged_pages += (uint64_t)n;
	return n;
}
