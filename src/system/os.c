/*
 * A demand-paging OS (xlat/os.h): processes, regions, first-touch faults with
 * a page-size policy, and the map/unmap/protect/switch events of
 * page-table-update workloads, with TLB shootdowns as Linux issues them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/phys.h"

struct proc {
	unsigned asid;
	struct pt pt;
	struct os_region *regions;   /* sorted by start, disjoint */
	size_t nregions, cap;
	bool declared;               /* regions were ever added: no implicit one */
};

struct os {
	struct phys *mem;
	struct os_config cfg;
	struct proc **procs;          /* in creation order */
	size_t nprocs, cap;
	/* asid -> process: open addressing, slot = index in procs + 1, 0
	 * empty; at most half full. */
	uint32_t *slot;
	size_t slot_mask;
	/* With PCIDs: the process whose translations each PCID tags now. A
	 * PCID is 12 bits, so address spaces 4096 apart share one; the OS
	 * flushes a PCID it hands to another process, as Linux does when it
	 * reassigns one of its few dynamic ASIDs (arch/x86/mm/tlb.c,
	 * choose_new_asid). */
	struct proc **pcid_owner;
	struct proc *cur;
	struct os_stats st;
	struct os_platform plat;
};

/* ---- the native platform: privileged instructions act on the mmu ------- */

static int native_load_cr3(void *ctx, struct mmu *mmu, xlat_pa root, uint32_t tag, bool flush)
{
	struct os *os = ctx;
	const struct walk_stage *cur = mmu_stage(mmu, MMU_STAGE_OS);
	/* CR0, CR4 and EFER are the machine's: keep the control bits the
	 * stage has, the usual ones for a first load. */
	struct walk_stage s = {
		.fmt = os->cfg.fmt,
		.root = root,
		.maxphyaddr = phys_pa_bits(os->mem),
		.ctl = cur && cur->ctl ? cur->ctl : WALK_X86_DEFAULT,
		.tag = tag,
	};
	int rc = mmu_set_stage(mmu, MMU_STAGE_OS, &s);

	if (rc)
		return rc;
	if (flush)
		mmu_flush_tag(mmu, tag, true);
	mmu_set_tag(mmu, tag);
	return 0;
}

static void native_invlpg(void *ctx, struct mmu *mmu, uint32_t tag, xlat_va va)
{
	(void)ctx;
	mmu_invlpg(mmu, tag, va);
}

static void native_flush_tag(void *ctx, struct mmu *mmu, uint32_t tag)
{
	(void)ctx;
	mmu_flush_tag(mmu, tag, true);
}

void os_set_platform(struct os *os, const struct os_platform *plat)
{
	if (plat) {
		os->plat = *plat;
		return;
	}
	os->plat = (struct os_platform){ native_load_cr3, native_invlpg, native_flush_tag, os };
}

struct os *os_create(struct phys *mem, const struct os_config *cfg)
{
	if (!cfg->fmt || cfg->fmt->ops->model != FMT_MODEL_PAGING) {
		xlat_fail(-EINVAL, "os: the process page-table format must be a paging format (x86-64), not %s",
			  cfg->fmt ? cfg->fmt->name : "none");
		return NULL;
	}
	struct os *os = calloc(1, sizeof *os);
	if (!os) {
		xlat_fail(-ENOMEM, "os: out of memory");
		return NULL;
	}
	os->mem = mem;
	os->cfg = *cfg;
	if (cfg->pcid && !(os->pcid_owner = calloc(TLB_NPCIDS, sizeof *os->pcid_owner))) {
		free(os);
		xlat_fail(-ENOMEM, "os: out of memory");
		return NULL;
	}
	os_set_platform(os, NULL);
	return os;
}

static void proc_free_pages(struct os *os, struct proc *p);

void os_destroy(struct os *os)
{
	if (!os)
		return;
	for (size_t i = 0; i < os->nprocs; i++) {
		struct proc *p = os->procs[i];
		proc_free_pages(os, p);
		pt_destroy(&p->pt);
		free(p->regions);
		free(p);
	}
	free(os->procs);
	free(os->slot);
	free(os->pcid_owner);
	free(os);
}

static size_t asid_hash(unsigned asid)
{
	return (size_t)(((uint64_t)asid * 0x9E3779B97F4A7C15ull) >> 32);
}

/* The process of asid, or NULL: O(1). */
static struct proc *find_proc(struct os *os, unsigned asid)
{
	if (!os->slot)
		return NULL;
	for (size_t i = asid_hash(asid) & os->slot_mask; os->slot[i]; i = (i + 1) & os->slot_mask) {
		struct proc *p = os->procs[os->slot[i] - 1];
		if (p->asid == asid)
			return p;
	}
	return NULL;
}

static void slot_put(uint32_t *slot, size_t mask, const struct proc *p, uint32_t idx)
{
	size_t i = asid_hash(p->asid) & mask;

	while (slot[i])
		i = (i + 1) & mask;
	slot[i] = idx + 1;
}

/* Room for one more process in procs and in the index. */
static int reserve_proc(struct os *os)
{
	if (os->nprocs == os->cap) {
		size_t cap = os->cap ? 2 * os->cap : 8;
		struct proc **np = realloc(os->procs, cap * sizeof *np);
		if (!np)
			return xlat_fail(-ENOMEM, "os: out of memory");
		os->procs = np;
		os->cap = cap;
	}
	if (2 * (os->nprocs + 1) > (os->slot ? os->slot_mask + 1 : 0)) {
		size_t n = os->slot ? 2 * (os->slot_mask + 1) : 16;
		uint32_t *s = calloc(n, sizeof *s);
		if (!s)
			return xlat_fail(-ENOMEM, "os: out of memory");
		for (size_t i = 0; i < os->nprocs; i++)
			slot_put(s, n - 1, os->procs[i], (uint32_t)i);
		free(os->slot);
		os->slot = s;
		os->slot_mask = n - 1;
	}
	return 0;
}

static int new_proc(struct os *os, unsigned asid, struct proc **out)
{
	int err = reserve_proc(os);
	if (err)
		return err;
	struct proc *p = calloc(1, sizeof *p);
	if (!p)
		return xlat_fail(-ENOMEM, "os: out of memory");
	p->asid = asid;
	int rc = pt_init(&p->pt, os->mem, os->cfg.fmt, phys_pa_bits(os->mem));
	if (rc) {
		free(p);
		return rc;
	}
	p->pt.ctl |= FMT_CTL_1G;
	slot_put(os->slot, os->slot_mask, p, (uint32_t)os->nprocs);
	os->procs[os->nprocs++] = p;
	os->st.procs++;
	*out = p;
	return 0;
}

static uint32_t proc_tag(const struct os *os, const struct proc *p)
{
	return tlb_tag(os->cfg.vpid, os->cfg.pcid ? p->asid : 0);
}

int os_switch(struct os *os, struct mmu *mmu, unsigned asid)
{
	struct proc *p = find_proc(os, asid);
	if (!p) {
		int rc = new_proc(os, asid, &p);
		if (rc)
			return rc;
	}
	if (os->cur && os->cur != p)
		os->st.switches++;
	os->cur = p;
	if (!mmu)
		return 0;
	/* MOV CR3 without PCID flushes the non-global entries; with PCID, so
	 * does the load that gives a PCID to another process than the one
	 * whose translations it tags. */
	uint32_t tag = proc_tag(os, p);
	bool flush = !os->cfg.pcid;
	if (os->cfg.pcid) {
		struct proc **owner = &os->pcid_owner[tlb_tag_pcid(tag)];
		flush = *owner && *owner != p;
		*owner = p;
	}
	return os->plat.load_cr3(os->plat.ctx, mmu, p->pt.root, tag, flush);
}

/* May the TLBs hold translations of p? Not when its PCID tags another
 * process's now (p's went when that one took the PCID). */
static bool proc_cached(const struct os *os, const struct proc *p)
{
	if (!os->cfg.pcid)
		return true;
	const struct proc *owner = os->pcid_owner[tlb_tag_pcid(proc_tag(os, p))];
	return !owner || owner == p;
}

struct pt *os_pt(struct os *os)
{
	return os->cur ? &os->cur->pt : NULL;
}

xlat_pa os_cr3(struct os *os)
{
	return os->cur ? os->cur->pt.root : 0;
}

unsigned os_current_asid(const struct os *os)
{
	return os->cur ? os->cur->asid : 0;
}

/* ---- regions ------------------------------------------------------------- */

static int add_region(struct proc *p, const struct os_region *r)
{
	size_t i = 0;
	while (i < p->nregions && p->regions[i].start < r->start)
		i++;
	if ((i > 0 && p->regions[i - 1].end > r->start) ||
	    (i < p->nregions && p->regions[i].start < r->end))
		return xlat_fail(-EEXIST, "os: region [%#llx, %#llx) overlaps an existing one",
				 (unsigned long long)r->start, (unsigned long long)r->end);
	if (p->nregions == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		struct os_region *nr = realloc(p->regions, cap * sizeof *nr);
		if (!nr)
			return xlat_fail(-ENOMEM, "os: out of memory");
		p->regions = nr;
		p->cap = cap;
	}
	memmove(&p->regions[i + 1], &p->regions[i], (p->nregions - i) * sizeof *r);
	p->regions[i] = *r;
	p->nregions++;
	p->declared = true;
	return 0;
}

/* Removes [start, end) from the regions, splitting any that straddle. */
static int cut_regions(struct proc *p, xlat_va start, xlat_va end)
{
	for (size_t i = 0; i < p->nregions; i++) {
		struct os_region *r = &p->regions[i];
		if (r->end <= start || r->start >= end)
			continue;
		if (r->start < start && r->end > end) {   /* a hole in the middle */
			struct os_region tail = *r;
			tail.start = end;
			r->end = start;
			return add_region(p, &tail);
		}
		if (r->start < start) {
			r->end = start;
		} else if (r->end > end) {
			r->start = end;
		} else {
			memmove(r, r + 1, (p->nregions - i - 1) * sizeof *r);
			p->nregions--;
			i--;
		}
	}
	return 0;
}

/* The region a process that never declared any has: its whole lower half,
 * every right, 1 GiB pages allowed. */
static struct os_region implicit_region(const struct os *os)
{
	return (struct os_region){
		.start = 0,
		.end = 1ULL << (os->cfg.fmt->va_bits - 1),
		.perms = XLAT_R | XLAT_W | XLAT_X | XLAT_U,
		.huge = true,
	};
}

/* Before an unmap or protect event changes part of a process that never
 * declared regions: from now on its implicit region is a declared one that
 * can be split. */
static int declare_implicit(struct os *os, struct proc *p)
{
	if (p->declared)
		return 0;
	struct os_region all = implicit_region(os);
	return add_region(p, &all);
}

/* Splits the region that holds addr strictly inside it in two at addr, as
 * mprotect and munmap split a VMA: the parts keep its rights. */
static int split_at(struct proc *p, xlat_va addr)
{
	for (size_t i = 0; i < p->nregions; i++) {
		struct os_region *r = &p->regions[i];
		if (r->start < addr && addr < r->end) {
			struct os_region tail = *r;
			tail.start = addr;
			r->end = addr;
			return add_region(p, &tail);
		}
	}
	return 0;
}

/* New rights for [start, end) of the process's regions (holes stay holes):
 * regions straddling either end are split first. */
static int protect_regions(struct os *os, struct proc *p, xlat_va start, xlat_va end, uint32_t perms)
{
	int rc = declare_implicit(os, p);
	if (rc || (rc = split_at(p, start)) || (rc = split_at(p, end)))
		return rc;
	for (size_t i = 0; i < p->nregions; i++) {
		struct os_region *r = &p->regions[i];
		if (r->start >= start && r->end <= end)
			r->perms = perms;
	}
	return 0;
}

int os_add_region(struct os *os, const struct os_region *r)
{
	if (!os->cur)
		return xlat_fail(-EINVAL, "os: no current process");
	if (r->start >= r->end || !xlat_aligned(r->start, XLAT_PAGE_SIZE) || !xlat_aligned(r->end, XLAT_PAGE_SIZE))
		return xlat_fail(-EINVAL, "os: region [%#llx, %#llx) is empty or not page-aligned",
				 (unsigned long long)r->start, (unsigned long long)r->end);
	return add_region(os->cur, r);
}

/* The region holding va; a process that never declared regions (a trace
 * does not say what was mapped) owns its whole lower half. */
static bool region_of(struct os *os, struct proc *p, xlat_va va, struct os_region *out)
{
	if (!p->declared) {
		*out = implicit_region(os);
		return va < out->end;
	}
	size_t lo = 0, hi = p->nregions;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->regions[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->nregions && p->regions[lo].start <= va) {
		*out = p->regions[lo];
		return true;
	}
	return false;
}

/* ---- faults -------------------------------------------------------------- */

/* Maps the page around va as the policy allows: its shift, or -errno. */
static int map_page(struct os *os, struct proc *p, const struct os_region *r, xlat_va va)
{
	int shift = pt_map_demand(&p->pt, va, r->start, r->end,
				  os_policy_max_shift(os->cfg.policy, r->huge), r->perms, NULL);

	if (shift == -ENOMEM)
		return xlat_fail(-ENOMEM, "os: out of physical memory mapping %#llx", (unsigned long long)va);
	if (shift < 0)
		return shift;
	os->st.mapped[xlat_shift_psize((unsigned)shift)]++;
	return shift;
}

int os_handle_fault(struct os *os, struct mmu *mmu, const struct walk_req *req,
		    const struct walk_fault *f)
{
	struct proc *p = os->cur;
	struct os_region r;
	xlat_va va = f->addr;

	if (!p)
		return xlat_fail(-EINVAL, "os: fault with no current process");
	/* A protection fault (P=1) or reserved bit: nothing to demand-page;
	 * the fault still costs its entry into the kernel (a 4 KiB fault's
	 * price: the cost model has no separate signal-delivery cost). */
	uint32_t need = req->kind == XLAT_WRITE ? XLAT_W : req->kind == XLAT_FETCH ? XLAT_X : XLAT_R;
	if ((f->error_code & (WALK_PF_P | WALK_PF_RSVD)) || !region_of(os, p, va, &r) || !(r.perms & need)) {
		os->st.segv++;
		if (mmu)
			mmu_charge_fault(mmu, XLAT_PAGE_SHIFT);
		return 1;
	}
	int shift = map_page(os, p, &r, va);
	if (shift < 0)
		return shift;
	if (mmu)
		mmu_charge_fault(mmu, (unsigned)shift);
	os->st.faults++;
	return 0;
}

/* ---- events -------------------------------------------------------------- */

struct free_ctx {
	struct os *os;
	xlat_va start, end;
	uint64_t pages;
};

/* Frees the part of a leaf's frames that lies in [start, end). */
static int free_leaf_frames(const struct pt_leaf *leaf, void *priv)
{
	struct free_ctx *fc = priv;
	xlat_va lo = leaf->va > fc->start ? leaf->va : fc->start;
	xlat_va hi = leaf->va + (1ULL << leaf->shift);
	if (hi > fc->end)
		hi = fc->end;
	uint64_t pfn = (leaf->pa + (lo - leaf->va)) >> 12;
	uint64_t n = (hi - lo) >> 12;
	phys_free(fc->os->mem, pfn, n);
	fc->pages += n;
	return 0;
}

static int unmap_range(struct os *os, struct proc *p, xlat_va start, xlat_va end)
{
	struct free_ctx fc = { os, start, end, 0 };
	int rc = pt_for_each(&p->pt, start, end, free_leaf_frames, &fc);
	if (rc < 0)
		return rc;
	os->st.unmapped_pages += fc.pages;
	return pt_unmap(&p->pt, start, end - start);
}

static void proc_free_pages(struct os *os, struct proc *p)
{
	xlat_va top = 1ULL << (os->cfg.fmt->va_bits - 1);
	struct free_ctx fc = { os, 0, top, 0 };
	/* The table is ours: a failure to read it is a bug. */
	if (pt_for_each(&p->pt, 0, top, free_leaf_frames, &fc) < 0)
		XLAT_BUG("cannot walk process %u's table to free its pages: %s", p->asid, xlat_error());
}

static void shootdown(struct os *os, struct mmu *mmu, struct proc *p, xlat_va start, xlat_va end)
{
	if (!mmu || !proc_cached(os, p))
		return;
	mmu_shootdown(mmu, proc_tag(os, p), start, end, os->plat.invlpg, os->plat.flush_tag,
		      os->plat.ctx);
}

int os_handle_event(struct os *os, struct mmu *mmu, const struct xlat_access *ev)
{
	if (ev->kind == XLAT_EV_SWITCH)
		return os_switch(os, mmu, ev->asid);

	struct proc *p = find_proc(os, ev->asid);
	if (!p) {
		int rc = new_proc(os, ev->asid, &p);
		if (rc)
			return rc;
	}
	xlat_va start = xlat_align_down(ev->va, XLAT_PAGE_SIZE);
	xlat_va end = start + (uint64_t)ev->size * XLAT_PAGE_SIZE;
	if (ev->size == 0 || end < start || !pt_valid_va(os->cfg.fmt, start) ||
	    !pt_valid_va(os->cfg.fmt, end - 1))
		return xlat_fail(-EINVAL, "os: %s event for an invalid range at %#llx (+%u pages)",
				 xlat_kind_name(ev->kind), (unsigned long long)ev->va, ev->size);

	uint32_t perms = XLAT_R | XLAT_U | ((ev->flags & XLAT_ACC_WRITABLE) ? XLAT_W : 0);
	switch (ev->kind) {
	case XLAT_EV_MAP: {
		struct os_region r = { start, end, perms, (ev->flags & XLAT_ACC_HUGE) != 0 };
		return add_region(p, &r);
	}
	case XLAT_EV_UNMAP: {
		int rc = unmap_range(os, p, start, end);
		if (rc)
			return rc;
		shootdown(os, mmu, p, start, end);
		if ((rc = declare_implicit(os, p)))
			return rc;
		return cut_regions(p, start, end);
	}
	case XLAT_EV_PROTECT: {
		/* The pages mapped now get the rights, and so do the regions, so
		 * that a page of the range mapped later on first touch has them
		 * too (a partial protect splits regions). */
		int rc = pt_protect(&p->pt, start, end - start, perms);
		if (rc)
			return rc;
		rc = protect_regions(os, p, start, end, perms);
		shootdown(os, mmu, p, start, end);
		return rc;
	}
	default:
		return xlat_fail(-EINVAL, "os: unknown event kind %u", ev->kind);
	}
}

/* ---- dirty tracking ------------------------------------------------------- */

/* The dirty pages found so far, to invalidate once the walk is done: their
 * 4 KiB pages one by one up to the ceiling, the address space above. */
struct dirty_ctx {
	pt_leaf_fn fn;
	void *priv;
	uint64_t pages;                        /* 4 KiB pages in the dirty leaves */
	xlat_va va[MMU_FLUSH_CEILING_PAGES];   /* their leaves while pages <= the ceiling */
	unsigned shift[MMU_FLUSH_CEILING_PAGES];
	unsigned n;
};

static int note_dirty(const struct pt_leaf *leaf, void *priv)
{
	struct dirty_ctx *d = priv;

	d->pages += 1ULL << (leaf->shift - XLAT_PAGE_SHIFT);
	if (d->pages <= MMU_FLUSH_CEILING_PAGES) {
		d->va[d->n] = leaf->va;
		d->shift[d->n++] = leaf->shift;
	}
	return d->fn ? d->fn(leaf, d->priv) : 0;
}

int64_t os_clear_dirty(struct os *os, struct mmu *mmu, unsigned asid, xlat_va va, uint64_t size,
		       pt_leaf_fn fn, void *priv)
{
	struct proc *p = find_proc(os, asid);
	struct dirty_ctx d = { .fn = fn, .priv = priv };
	int64_t n;

	if (!p)
		return xlat_fail(-ENOENT, "os: no process %u to clear dirty bits of", asid);
	n = pt_clear_ad(&p->pt, va, size, note_dirty, &d);
	if (n <= 0 || !mmu || !proc_cached(os, p))
		return n;
	uint32_t tag = proc_tag(os, p);
	if (d.pages > MMU_FLUSH_CEILING_PAGES) {
		os->plat.flush_tag(os->plat.ctx, mmu, tag);
		return n;
	}
	for (unsigned i = 0; i < d.n; i++)
		mmu_shootdown(mmu, tag, d.va[i], d.va[i] + (1ULL << d.shift[i]), os->plat.invlpg,
			      os->plat.flush_tag, os->plat.ctx);
	return n;
}

/* ---- native system layer ------------------------------------------------- */

static int native_fault(void *ctx, struct mmu *m, const struct walk_req *req,
			const struct walk_result *res)
{
	if (res->fault.kind != WALK_PAGE_FAULT)
		return 1;
	return os_handle_fault(ctx, m, req, &res->fault);
}

static int native_event(void *ctx, struct mmu *m, const struct xlat_access *ev)
{
	return os_handle_event(ctx, m, ev);
}

void os_attach(struct os *os, struct mmu *mmu)
{
	struct mmu_system sys = { native_fault, native_event, os };
	mmu_set_system(mmu, &sys);
}

const struct os_stats *os_get_stats(const struct os *os)
{
	return &os->st;
}

void os_table_stats(const struct os *os, struct pt_stats *st)
{
	memset(st, 0, sizeof *st);
	for (size_t i = 0; i < os->nprocs; i++) {
		struct pt_stats one;
		pt_get_stats(&os->procs[i]->pt, &one);
		pt_stats_add(st, &one);
	}
}
