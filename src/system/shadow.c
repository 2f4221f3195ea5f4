/*
 * Shadow paging (xlat/hv.h): the hypervisor's GVA -> HPA tables, built
 * lazily from the guest's tables and the memslot map, kept in step by
 * write-protecting the guest page-table pages it shadowed (or, for leaf
 * tables in unsync mode, by resynchronising at the guest's next flush).
 *
 * The hypervisor reads the guest's tables with the same walker the hardware
 * uses, on a private chain [guest x86, memslot map] with no caches: that
 * gives the guest's exact permission and fault semantics, and its A/D
 * updates are the propagation of accessed/dirty bits to the guest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_int.h"
#include "xlat/phys.h"

#define MAX_SOFT_RETRIES 4

/* ---- reverse map: guest page-table page -> shadow ranges ------------------ */

static size_t rmap_hash(const struct vm *vm, uint64_t gpfn)
{
	return (size_t)((gpfn * 0x9E3779B97F4A7C15ull) >> 20) & (vm->rmap_buckets - 1);
}

static int rmap_grow_buckets(struct vm *vm)
{
	size_t nb = vm->rmap_buckets ? vm->rmap_buckets * 2 : 1024;
	int32_t *h = malloc(nb * sizeof *h);
	if (!h)
		return xlat_fail(-ENOMEM, "shadow: out of memory");
	for (size_t i = 0; i < nb; i++)
		h[i] = -1;
	free(vm->rmap_head);
	vm->rmap_head = h;
	vm->rmap_buckets = nb;
	for (size_t i = 0; i < vm->nrmap; i++) {
		size_t b = rmap_hash(vm, vm->rmap[i].gpfn);
		vm->rmap[i].next = h[b];
		h[b] = (int32_t)i;
	}
	return 0;
}

static int rmap_add(struct vm *vm, uint64_t gpfn, int level, xlat_va va_base, bool unsync)
{
	for (int32_t i = vm->rmap_head[rmap_hash(vm, gpfn)]; i >= 0; i = vm->rmap[i].next) {
		struct rmap_entry *e = &vm->rmap[i];
		if (e->gpfn == gpfn && e->root_idx == vm->cur_root && e->level == level && e->va_base == va_base)
			return 0;
	}
	if (vm->nrmap == vm->cap_rmap) {
		size_t cap = vm->cap_rmap ? vm->cap_rmap * 2 : 256;
		struct rmap_entry *n = realloc(vm->rmap, cap * sizeof *n);
		if (!n)
			return xlat_fail(-ENOMEM, "shadow: out of memory");
		vm->rmap = n;
		vm->cap_rmap = cap;
	}
	if (vm->nrmap * 2 >= vm->rmap_buckets && rmap_grow_buckets(vm))
		return -ENOMEM;
	size_t b = rmap_hash(vm, gpfn);
	struct rmap_entry *e = &vm->rmap[vm->nrmap];
	*e = (struct rmap_entry){
		.gpfn = gpfn, .va_base = va_base, .root_idx = (uint32_t)vm->cur_root,
		.next = vm->rmap_head[b], .level = (uint8_t)level, .unsync = unsync,
	};
	vm->rmap_head[b] = (int32_t)vm->nrmap++;
	if (!unsync)
		vm->st.protected_pages++;
	return 0;
}

/* ---- shadow roots ------------------------------------------------------- */

static int find_root(struct vm *vm, gpa_t guest_root, size_t *idx)
{
	for (size_t i = 0; i < vm->nroots; i++)
		if (vm->roots[i].guest_root == guest_root) {
			*idx = i;
			return 0;
		}
	if (vm->nroots == vm->cap_roots) {
		size_t cap = vm->cap_roots ? vm->cap_roots * 2 : 4;
		struct shadow_root *n = realloc(vm->roots, cap * sizeof *n);
		if (!n)
			return xlat_fail(-ENOMEM, "shadow: out of memory");
		vm->roots = n;
		vm->cap_roots = cap;
	}
	struct shadow_root *r = &vm->roots[vm->nroots];
	memset(r, 0, sizeof *r);
	r->guest_root = guest_root;
	int rc = pt_init(&r->spt, vm->host, vm->cfg.guest.fmt, phys_pa_bits(vm->host));
	if (rc)
		return rc;
	r->spt.ctl |= FMT_CTL_1G;
	*idx = vm->nroots++;
	return 0;
}

/* The hypervisor's own invalidations of a shadow root's TLB entries: its
 * global entries too, since the shadow entries themselves went. */
static void zap_invlpg(void *ctx, struct mmu *m, uint32_t tag, xlat_va va)
{
	(void)ctx;
	mmu_invlpg(m, tag, va);
}

static void zap_flush(void *ctx, struct mmu *m, uint32_t tag)
{
	(void)ctx;
	mmu_flush_tag(m, tag, false);
}

/* Unmaps [va, va + size) from a shadow table. Unmapping part of a huge
 * shadow leaf splits it, which needs a frame; without one the whole leaf
 * goes instead (dropping more of a shadow is always correct: it refaults).
 * True if anything was unmapped. */
static bool shadow_unmap(struct pt *spt, xlat_va va, uint64_t size)
{
	struct pt_leaf leaf;

	if (pt_unmap(spt, va, size) == 0)
		return true;
	for (xlat_va a = va; a - va < size; a += XLAT_PAGE_SIZE) {
		if (pt_lookup(spt, a, &leaf))
			continue;
		if (pt_unmap(spt, leaf.va, 1ULL << leaf.shift))
			XLAT_BUG("unmapping a whole shadow leaf at %#llx failed: %s",
				 (unsigned long long)leaf.va, xlat_error());
	}
	return true;
}

/* Removes the shadow's translations of [va, va + size) in root idx and the
 * TLB entries that cached them. A range the shadow does not map has no TLB
 * entries either (they went when its translations were zapped), which is
 * what makes stale reverse-map entries (a freed guest table page reused)
 * cheap. */
static void zap(struct vm *vm, size_t idx, xlat_va va, uint64_t size)
{
	struct shadow_root *r = &vm->roots[idx];
	if (!pt_range_mapped(&r->spt, va, va + size))
		return;
	if (shadow_unmap(&r->spt, va, size))
		vm->st.shadow_zaps++;
	if (vm->mmu)
		mmu_shootdown(vm->mmu, r->tag, va, va + size, zap_invlpg, zap_flush, NULL);
}

/* ---- guest writes to its page tables ----------------------------------- */

int shadow_guest_write(struct vm *vm, gpa_t gpa)
{
	uint64_t gpfn = gpa >> 12;
	bool trapped = false;

	if (!vm->rmap_head)
		return 0;
	for (int32_t i = vm->rmap_head[rmap_hash(vm, gpfn)]; i >= 0; i = vm->rmap[i].next) {
		struct rmap_entry *e = &vm->rmap[i];
		if (e->gpfn != gpfn)
			continue;
		if (e->unsync) {
			/* Left writable: no exit; resynchronised at the next flush. */
			if (!e->dirty) {
				e->dirty = true;
				if (vm->nunsync_dirty == vm->cap_unsync_dirty) {
					size_t cap = vm->cap_unsync_dirty ? 2 * vm->cap_unsync_dirty : 64;
					int32_t *n = realloc(vm->unsync_dirty, cap * sizeof *n);
					if (!n)
						return xlat_fail(-ENOMEM, "shadow: out of memory tracking unsync pages");
					vm->unsync_dirty = n;
					vm->cap_unsync_dirty = cap;
				}
				vm->unsync_dirty[vm->nunsync_dirty++] = i;
			}
			continue;
		}
		if (!trapped) {
			vm_charge_exit(vm, VM_EXIT_PT_WRITE);
			trapped = true;
		}
		/* The written entry maps [va, va + level size): drop that part of
		 * the shadow; the next access refills it from the new entry. */
		uint64_t size = xlat_level_size(e->level);
		xlat_va va = e->va_base + ((gpa & (XLAT_PAGE_SIZE - 1)) / 8) * size;
		zap(vm, e->root_idx, va, size);
	}
	return 0;
}

/* Brings the shadow of every unsync leaf table written since the last
 * resync back in line with the guest: entries whose guest PTE changed go. */
static void resync(struct vm *vm)
{
	const struct xlat_format *fmt = vm->cfg.guest.fmt;
	bool saved = vm->in_hv;

	vm->in_hv = true;
	for (size_t k = 0; k < vm->nunsync_dirty; k++) {
		struct rmap_entry *e = &vm->rmap[vm->unsync_dirty[k]];
		struct pt *spt = &vm->roots[e->root_idx].spt;
		for (unsigned idx = 0; idx < 512; idx++) {
			xlat_va va = e->va_base + (uint64_t)idx * XLAT_PAGE_SIZE;
			struct pt_leaf sl;
			if (pt_lookup(spt, va, &sl))
				continue;
			uint64_t ge = 0;
			struct pte_fields g;
			hpa_t hpa = 0;
			/* An entry that cannot be read is not the same: its
			 * shadow goes and the next access refaults. */
			bool readable = phys_read64(vm->gpa, (e->gpfn << 12) + idx * 8, &ge) == 0;
			fmt_decode(fmt, 1, ge, vm->cfg.guest_pa_bits, &g);
			bool same = readable && g.present && vm_gpa_to_hpa(vm, g.addr, &hpa, false) == 0 &&
				    hpa == sl.pa + (va - sl.va) &&
				    (sl.perms & ~g.perms & (XLAT_W | XLAT_U | XLAT_X)) == 0;
			if (!same)
				zap(vm, e->root_idx, va, XLAT_PAGE_SIZE);
		}
		e->dirty = false;
		vm->st.resyncs++;
	}
	vm->nunsync_dirty = 0;
	vm->in_hv = saved;
}

/* ---- the shadow page fault ----------------------------------------------- */

/* Registers the guest table pages the soft walk read as shadowed. */
static int track_tables(struct vm *vm, const struct walk_ref *refs, uint32_t n, xlat_va va)
{
	for (uint32_t i = 0; i < n; i++) {
		if (refs[i].stage != 0)
			continue;
		int level = refs[i].level;
		xlat_va base = xlat_align_down(va, xlat_level_size(level) << 9);
		int rc = rmap_add(vm, refs[i].in_addr >> 12, level, base, vm->cfg.unsync && level == 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* The guest-physical address the soft walk translated req->va to: the
 * guest leaf (the last stage-0 entry read) gives the page. */
static gpa_t soft_gpa(const struct vm *vm, const struct walk_ref *refs, uint32_t n, xlat_va va)
{
	for (uint32_t i = n; i-- > 0;) {
		struct pte_fields f;
		if (refs[i].stage != 0 || refs[i].check)
			continue;
		fmt_decode(vm->cfg.guest.fmt, refs[i].level, refs[i].entry, vm->cfg.guest_pa_bits, &f);
		return f.addr + (va & (xlat_level_size(refs[i].level) - 1));
	}
	XLAT_BUG("a successful soft walk read no guest entry");
}

static int shadow_fill(struct vm *vm, const struct walk_req *req, const struct walk_result *g, gpa_t gpa)
{
	struct pt *spt = &vm->roots[vm->cur_root].spt;
	unsigned shift = g->shift;
	uint32_t perms = g->perms & (XLAT_R | XLAT_W | XLAT_X | XLAT_U);

	/* A clean page is shadowed read-only so the first write exits and the
	 * hypervisor sets the guest's D bit. */
	if (!g->dirty)
		perms &= ~XLAT_W;
	/* Dirty logging: a page not logged yet is shadowed read-only too, and
	 * at 4 KiB unless the log keeps huge pages whole. */
	if (vm->dlog) {
		int rc = dirty_hv_shadow_fill(vm->dlog, gpa, req->kind == XLAT_WRITE, &perms, &shift);
		if (rc)
			return rc;
	}
	uint64_t size = 1ULL << shift;
	xlat_va va = xlat_align_down(req->va, size);
	if (g->global)
		perms |= XLAT_G;
	shadow_unmap(spt, va, size);   /* an older (read-only) version, if any */
	int rc = pt_map(spt, va, g->pa & ~(size - 1), size, perms, shift);
	if (rc)
		return rc;
	vm->st.shadow_fills++;
	return 0;
}

/* The guest table entries the soft walk wrote (its A/D updates, the
 * hypervisor's propagation of the guest's accessed and dirty bits) are
 * writes to guest memory the dirty log must see, as KVM marks them
 * (mark_page_dirty_in_slot when it updates a guest PTE). */
static int log_ad_writes(struct vm *vm, const struct walk_ref *refs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t now;
		if (refs[i].stage != 0 || refs[i].check)
			continue;
		if (phys_read64(vm->host, refs[i].addr, &now) == 0 && now != refs[i].entry) {
			int rc = dirty_hv_sw_write(vm->dlog, refs[i].in_addr);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int shadow_fault(void *ctx, struct mmu *m, const struct walk_req *req,
			const struct walk_result *res)
{
	struct vm *vm = ctx;
	struct walk_ref *refs = vm->soft_refs;
	struct walk_result g;

	if (res->fault.kind != WALK_PAGE_FAULT)
		return 1;
	vm_charge_exit(vm, VM_EXIT_SHADOW_PF);
	vm->soft.stage[0].root = vm->roots[vm->cur_root].guest_root;
	vm->soft.stage[1].root = vm->map.root;

	for (int tries = 0; tries < MAX_SOFT_RETRIES; tries++) {
		uint64_t ad_before = vm->soft.stats.ad_writes;
		memset(&g, 0, sizeof g);
		g.refs_out = refs;
		g.refs_cap = vm->soft_cap;
		int rc = walk_translate(&vm->soft, req, &g);
		if (rc)
			return rc;
		vm->st.ad_propagated += vm->soft.stats.ad_writes - ad_before;
		uint32_t nrefs = g.refs < vm->soft_cap ? g.refs : vm->soft_cap;
		if (vm->dlog && vm->soft.stats.ad_writes != ad_before && (rc = log_ad_writes(vm, refs, nrefs)))
			return rc;
		switch (g.fault.kind) {
		case WALK_OK:
			rc = track_tables(vm, refs, nrefs, req->va);
			return rc ? rc : shadow_fill(vm, req, &g, soft_gpa(vm, refs, nrefs, req->va));
		case WALK_EPT_VIOLATION: {  /* guest memory not yet backed in the host */
			hpa_t hpa;
			vm->in_hv = true;
			rc = vm_gpa_to_hpa(vm, g.fault.addr, &hpa, true);
			vm->in_hv = false;
			if (rc)
				return rc == -EFAULT ? 1 : rc;
			continue;
		}
		case WALK_PAGE_FAULT:       /* the guest's own fault: inject it */
			vm->st.injected_pf++;
			return os_handle_fault(vm->guest, m, req, &g.fault);
		default:
			return 1;
		}
	}
	return 1;
}

/* ---- the guest's privileged instructions trap ---------------------------- */

static int shadow_load_cr3(void *ctx, struct mmu *mmu, xlat_pa root, uint32_t tag, bool flush)
{
	struct vm *vm = ctx;
	size_t idx = 0;

	vm_charge_exit(vm, VM_EXIT_CR3);
	resync(vm);
	int rc = find_root(vm, root, &idx);
	if (rc)
		return rc;
	vm->cur_root = idx;
	vm->roots[idx].tag = tag;
	/* The guest's CR3 load installs the shadow of its table in the OS's
	 * stage: GVA -> HPA in one stage. */
	struct walk_stage s = {
		.fmt = vm->cfg.guest.fmt,
		.root = vm->roots[idx].spt.root,
		.maxphyaddr = phys_pa_bits(vm->host),
		.ctl = WALK_X86_DEFAULT,
		.tag = tag,
	};
	rc = mmu_set_stage(mmu, MMU_STAGE_OS, &s);
	if (rc)
		return rc;
	if (flush)
		mmu_flush_tag(mmu, tag, true);
	mmu_set_tag(mmu, tag);
	return 0;
}

static void shadow_invlpg(void *ctx, struct mmu *mmu, uint32_t tag, xlat_va va)
{
	struct vm *vm = ctx;
	vm_charge_exit(vm, VM_EXIT_INVLPG);
	resync(vm);
	xlat_va page = xlat_align_down(va, XLAT_PAGE_SIZE);
	if (shadow_unmap(&vm->roots[vm->cur_root].spt, page, XLAT_PAGE_SIZE))
		vm->st.shadow_zaps++;
	mmu_invlpg(mmu, tag, va);
}

static void shadow_flush_tag(void *ctx, struct mmu *mmu, uint32_t tag)
{
	struct vm *vm = ctx;
	vm_charge_exit(vm, VM_EXIT_CR3);
	resync(vm);
	mmu_flush_tag(mmu, tag, true);
}

static int shadow_event(void *ctx, struct mmu *m, const struct xlat_access *ev)
{
	struct vm *vm = ctx;
	return os_handle_event(vm->guest, m, ev);
}

int shadow_init(struct vm *vm)
{
	walk_chain_init(&vm->soft, vm->host);
	struct walk_stage g = {
		.fmt = vm->cfg.guest.fmt,
		.maxphyaddr = vm->cfg.guest_pa_bits,
		.ctl = WALK_X86_DEFAULT,
	};
	struct walk_stage slot = {
		.fmt = vm->map.fmt,
		.root = vm->map.root,
		.maxphyaddr = phys_pa_bits(vm->host),
		.ctl = WALK_EPT_DEFAULT,
	};
	if (walk_chain_push(&vm->soft, &g) < 0 || walk_chain_push(&vm->soft, &slot) < 0)
		return xlat_fail(-EINVAL, "shadow: cannot build the soft-walk chain");
	vm->soft_cap = walk_chain_max_refs(&vm->soft);
	vm->soft_refs = calloc(vm->soft_cap, sizeof *vm->soft_refs);
	if (!vm->soft_refs)
		return xlat_fail(-ENOMEM, "shadow: out of memory");
	return rmap_grow_buckets(vm);
}

void shadow_destroy(struct vm *vm)
{
	for (size_t i = 0; i < vm->nroots; i++)
		pt_destroy(&vm->roots[i].spt);
	free(vm->roots);
	free(vm->rmap);
	free(vm->rmap_head);
	free(vm->unsync_dirty);
	free(vm->soft_refs);
	vm->soft_refs = NULL;
	vm->roots = NULL;
	vm->nroots = 0;
}

void shadow_zap_all(struct vm *vm)
{
	const struct xlat_format *fmt = vm->cfg.guest.fmt;
	uint64_t half = 1ULL << (fmt->va_bits - 1);

	for (size_t i = 0; i < vm->nroots; i++) {
		struct pt *spt = &vm->roots[i].spt;
		/* The two canonical halves; unmapping needs no frame (no leaf
		 * is cut), so it cannot fail. */
		if (pt_unmap(spt, 0, half) || pt_unmap(spt, (xlat_va)0 - half, half))
			XLAT_BUG("dropping every shadow translation failed: %s", xlat_error());
	}
	vm->st.shadow_zaps++;
}

int shadow_attach(struct vm *vm, struct mmu *mmu)
{
	static const struct os_platform plat_template = {
		shadow_load_cr3, shadow_invlpg, shadow_flush_tag, NULL,
	};
	struct os_platform plat = plat_template;

	/* Shadow paging has no hardware second dimension. */
	mmu_clear_stage(mmu, MMU_STAGE_HV);
	plat.ctx = vm;
	struct mmu_system sys = { shadow_fault, shadow_event, vm };
	mmu_set_system(mmu, &sys);
	os_set_platform(vm->guest, &plat);
	return os_switch(vm->guest, mmu, os_current_asid(vm->guest));
}

struct pt *vm_shadow_pt(struct vm *vm)
{
	return vm->cfg.mode == HV_SHADOW && vm->nroots ? &vm->roots[vm->cur_root].spt : NULL;
}
