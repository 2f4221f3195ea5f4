/*
 * Virtual machines: guest-physical memory as a view of host memory through
 * the GPA -> HPA map, backing on demand with the host page policy, and the
 * nested-paging system layer (xlat/hv.h). Shadow paging is in shadow.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_int.h"
#include "xlat/phys.h"

#define GUEST_LOW_RESERVED (1ULL << 20)

static const char *const exit_names[VM_EXIT_COUNT] = {
	[VM_EXIT_EPT_VIOLATION] = "ept_violation",
	[VM_EXIT_SHADOW_PF] = "shadow_pf",
	[VM_EXIT_PT_WRITE] = "pt_write",
	[VM_EXIT_INVLPG] = "invlpg",
	[VM_EXIT_CR3] = "cr3",
};

const char *vm_exit_name(enum vm_exit e)
{
	return e < VM_EXIT_COUNT ? exit_names[e] : "?";
}

void vm_charge_exit(struct vm *vm, enum vm_exit why)
{
	vm->st.exits[why]++;
	if (vm->mmu)
		mmu_charge_exit(vm->mmu);
	if (vm->dlog)
		dirty_hv_exit(vm->dlog);
}

/* Backs the host page around gpa: the largest page the host policy allows
 * whose aligned block lies in guest RAM with nothing of it backed yet. */
static int back_gpa(struct vm *vm, gpa_t gpa, bool write)
{
	const uint32_t perms = XLAT_R | XLAT_W | XLAT_X | XLAT_CACHE(FMT_EPT_MT_WB);

	if (gpa >= vm->cfg.guest_ram)
		return xlat_fail(-EFAULT, "vm: guest-physical address %#llx is outside guest RAM (%llu bytes)",
				 (unsigned long long)gpa, (unsigned long long)vm->cfg.guest_ram);
	if (vm->missing) {
		/* Post-copy: the page may be the source's to send. */
		int rc = vm->missing(vm->missing_ctx, vm, xlat_align_down(gpa, XLAT_PAGE_SIZE), write);
		if (rc <= 0)
			return rc;
	}
	unsigned max_shift = os_policy_max_shift(vm->cfg.host_policy, true);
	if (vm->dlog)
		max_shift = dirty_hv_max_shift(vm->dlog, gpa, max_shift);
	int shift = pt_map_demand(&vm->map, gpa, 0, vm->cfg.guest_ram, max_shift, perms, NULL);
	if (shift == -ENOMEM)
		return xlat_fail(-ENOMEM, "vm: host out of memory backing GPA %#llx", (unsigned long long)gpa);
	if (shift < 0)
		return shift;
	vm->st.host_backed[xlat_shift_psize((unsigned)shift)]++;
	if (vm->mmu)
		mmu_charge_host_fault(vm->mmu, (unsigned)shift);
	if (vm->dlog)
		return dirty_hv_backed(vm->dlog, gpa, (unsigned)shift, write);
	return 0;
}

static int gpa_to_hpa(struct vm *vm, gpa_t gpa, hpa_t *hpa, bool populate, bool write)
{
	struct pt_leaf leaf;
	int rc = pt_lookup(&vm->map, gpa, &leaf);

	if (rc == -ENOENT && populate) {
		if (vm->cfg.mode == HV_NESTED && !vm->in_hv)
			vm_charge_exit(vm, VM_EXIT_EPT_VIOLATION);
		rc = back_gpa(vm, gpa, write);
		if (rc == 0)
			rc = pt_lookup(&vm->map, gpa, &leaf);
	}
	if (rc)
		return rc == -EINVAL ? xlat_fail(-EFAULT, "vm: bad guest-physical address %#llx",
						 (unsigned long long)gpa) : rc;
	*hpa = leaf.pa + (gpa - leaf.va);
	return 0;
}

int vm_gpa_to_hpa(struct vm *vm, gpa_t gpa, hpa_t *hpa, bool populate)
{
	return gpa_to_hpa(vm, gpa, hpa, populate, false);
}

/* The view's resolve hook: every guest-physical access by software (the
 * guest OS writing its tables, the hypervisor reading them). */
static int resolve_gpa(void *ctx, xlat_pa gpa, bool write, uint64_t *lower_pfn)
{
	struct vm *vm = ctx;
	hpa_t hpa;

	int rc;

	if (write && vm->cfg.mode == HV_SHADOW && !vm->in_hv && (rc = shadow_guest_write(vm, gpa)))
		return rc;
	rc = gpa_to_hpa(vm, gpa, &hpa, true, write);
	if (rc)
		return rc;
	/* The guest's software writing its memory: the dirty log sees it as
	 * the hardware would see the store. */
	if (write && vm->dlog && !vm->in_hv && (rc = dirty_hv_sw_write(vm->dlog, gpa)))
		return rc;
	*lower_pfn = hpa >> 12;
	return 0;
}

struct vm *vm_create(struct phys *host, const struct vm_config *cfg)
{
	unsigned host_bits = phys_pa_bits(host);

	if (cfg->ept_levels != 4 && cfg->ept_levels != 5) {
		xlat_fail(-EINVAL, "vm: the GPA map has 4 or 5 levels, not %u", cfg->ept_levels);
		return NULL;
	}
	if (cfg->guest_pa_bits < 32 || cfg->guest_pa_bits > host_bits ||
	    cfg->guest_ram == 0 || cfg->guest_ram > (1ULL << cfg->guest_pa_bits) ||
	    !xlat_aligned(cfg->guest_ram, XLAT_PAGE_SIZE)) {
		xlat_fail(-EINVAL, "vm: guest RAM of %llu bytes does not fit %u guest-physical bits (host %u)",
			  (unsigned long long)cfg->guest_ram, cfg->guest_pa_bits, host_bits);
		return NULL;
	}
	struct vm *vm = calloc(1, sizeof *vm);
	if (!vm) {
		xlat_fail(-ENOMEM, "vm: out of memory");
		return NULL;
	}
	vm->host = host;
	vm->cfg = *cfg;
	vm->cfg.guest.vpid = cfg->vpid;
	if (pt_init(&vm->map, host, fmt_ept(cfg->ept_levels), host_bits))
		goto fail_free;
	vm->map.ctl |= FMT_CTL_1G;
	vm->gpa = phys_create_view(host, cfg->guest_pa_bits, cfg->guest_ram, resolve_gpa, vm);
	if (!vm->gpa)
		goto fail_map;
	/* The guest's first megabyte is firmware's (real mode, BIOS), as on a PC. */
	if (cfg->guest_ram > GUEST_LOW_RESERVED && phys_reserve(vm->gpa, 0, GUEST_LOW_RESERVED))
		goto fail_gpa;
	vm->guest = os_create(vm->gpa, &vm->cfg.guest);
	if (!vm->guest)
		goto fail_gpa;
	if (cfg->mode == HV_SHADOW && shadow_init(vm))
		goto fail_os;
	/* Guest process 0 exists from the start (its CR3 is loaded at attach). */
	if (os_switch(vm->guest, NULL, 0))
		goto fail_shadow;
	return vm;

fail_shadow:
	if (cfg->mode == HV_SHADOW)
		shadow_destroy(vm);
fail_os:
	os_destroy(vm->guest);
fail_gpa:
	phys_destroy(vm->gpa);
fail_map:
	pt_destroy(&vm->map);
fail_free:
	free(vm);
	return NULL;
}

static int free_backing(const struct pt_leaf *leaf, void *priv)
{
	struct vm *vm = priv;
	phys_free(vm->host, leaf->pa >> 12, 1ULL << (leaf->shift - 12));
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	dirty_log_destroy(vm->dlog);
	vm->in_hv = true;
	if (vm->cfg.mode == HV_SHADOW)
		shadow_destroy(vm);
	os_destroy(vm->guest);
	phys_destroy(vm->gpa);
	/* The map is ours, in host memory: a failure to read it is a bug. */
	if (pt_for_each(&vm->map, 0, vm->cfg.guest_ram, free_backing, vm) < 0)
		XLAT_BUG("cannot walk the GPA map to free guest memory: %s", xlat_error());
	pt_destroy(&vm->map);
	free(vm);
}

/* ---- nested paging: the system layer ------------------------------------ */

static int nested_fault(void *ctx, struct mmu *m, const struct walk_req *req,
			const struct walk_result *res)
{
	struct vm *vm = ctx;
	const struct walk_fault *f = &res->fault;

	switch (f->kind) {
	case WALK_PAGE_FAULT:            /* the guest's own #PF: no exit with EPT */
		return os_handle_fault(vm->guest, m, req, f);
	case WALK_EPT_VIOLATION: {
		struct pt_leaf leaf;
		if (pt_lookup(&vm->map, f->addr, &leaf) == 0) {
			/* Backed but not permitted: the dirty log's write
			 * protection, or nothing to fix here. */
			int rc = vm->dlog ? dirty_hv_ept_violation(vm->dlog, f->addr, f->exit_qual) : 1;
			return rc;
		}
		vm_charge_exit(vm, VM_EXIT_EPT_VIOLATION);
		vm->in_hv = true;
		int rc = back_gpa(vm, f->addr, (f->exit_qual & WALK_EPTQ_WRITE) != 0);
		vm->in_hv = false;
		if (rc == -EFAULT)
			return 1;        /* outside guest RAM: the access is dropped */
		return rc;
	}
	default:
		return 1;
	}
}

static int guest_event(void *ctx, struct mmu *m, const struct xlat_access *ev)
{
	struct vm *vm = ctx;
	return os_handle_event(vm->guest, m, ev);
}

static int nested_attach(struct vm *vm, struct mmu *mmu)
{
	/* The hypervisor's stage; the guest OS sets its own at the CR3 load
	 * below. */
	struct walk_stage ept = {
		.fmt = vm->map.fmt,
		.root = vm->map.root,
		.maxphyaddr = phys_pa_bits(vm->host),
		.ctl = WALK_EPT_DEFAULT | (vm->cfg.ept_ad ? WALK_SET_AD : 0),
		.tag = tlb_tag(vm->cfg.vpid, 0),
	};
	int rc = mmu_set_stage(mmu, MMU_STAGE_HV, &ept);

	if (rc)
		return rc;
	struct mmu_system sys = { nested_fault, guest_event, vm };
	mmu_set_system(mmu, &sys);
	os_set_platform(vm->guest, NULL);   /* CR3 loads and INVLPG run without exits */
	return os_switch(vm->guest, mmu, os_current_asid(vm->guest));
}

int vm_attach(struct vm *vm, struct mmu *mmu)
{
	vm->mmu = mmu;
	return vm->cfg.mode == HV_NESTED ? nested_attach(vm, mmu) : shadow_attach(vm, mmu);
}

struct os *vm_guest(struct vm *vm)
{
	return vm->guest;
}

struct phys *vm_gpa_space(struct vm *vm)
{
	return vm->gpa;
}

struct pt *vm_gpa_map(struct vm *vm)
{
	return &vm->map;
}

const struct vm_config *vm_get_config(const struct vm *vm)
{
	return &vm->cfg;
}

const struct vm_stats *vm_get_stats(const struct vm *vm)
{
	return &vm->st;
}

int64_t vm_clear_dirty(struct vm *vm, gpa_t gpa, uint64_t size, pt_leaf_fn fn, void *priv)
{
	int64_t n;

	if (vm->cfg.mode != HV_NESTED || !vm->cfg.ept_ad)
		return xlat_fail(-EINVAL, "vm: dirty logging by EPT D bits needs nested paging with EPT A/D (ept_ad)");
	n = pt_clear_ad(&vm->map, gpa, size, fn, priv);
	if (n > 0 && vm->mmu)
		mmu_flush_nested(vm->mmu);
	return n;
}

void vm_set_missing(struct vm *vm, vm_missing_fn fn, void *ctx)
{
	vm->missing = fn;
	vm->missing_ctx = fn ? ctx : NULL;
}

int vm_map_gpa(struct vm *vm, gpa_t gpa, hpa_t hpa)
{
	const uint32_t perms = XLAT_R | XLAT_W | XLAT_X | XLAT_CACHE(FMT_EPT_MT_WB);

	if (gpa >= vm->cfg.guest_ram || !xlat_aligned(gpa | hpa, XLAT_PAGE_SIZE))
		return xlat_fail(-EINVAL, "vm_map_gpa: %#llx -> %#llx is not a page of guest RAM to a frame",
				 (unsigned long long)gpa, (unsigned long long)hpa);
	int rc = pt_map(&vm->map, gpa, hpa, XLAT_PAGE_SIZE, perms, PT_PAGE_4K);
	if (rc)
		return rc;
	vm->st.host_backed[0]++;
	if (vm->dlog)
		return dirty_hv_backed(vm->dlog, gpa, XLAT_PAGE_SHIFT, false);
	return 0;
}

struct unmap_walk {
	gpa_t lo, hi;
	int (*fn)(void *priv, gpa_t gpa, hpa_t hpa);
	void *priv;
};

static int unmap_each(const struct pt_leaf *leaf, void *priv)
{
	struct unmap_walk *u = priv;
	gpa_t a = leaf->va > u->lo ? leaf->va : u->lo;
	gpa_t end = leaf->va + (1ULL << leaf->shift);

	if (end > u->hi)
		end = u->hi;
	for (; a < end; a += XLAT_PAGE_SIZE) {
		int rc = u->fn(u->priv, a, leaf->pa + (a - leaf->va));
		if (rc)
			return rc;
	}
	return 0;
}

int vm_unmap_gpa(struct vm *vm, gpa_t gpa, uint64_t size, int (*fn)(void *priv, gpa_t gpa, hpa_t hpa),
		 void *priv)
{
	struct unmap_walk u = { gpa, gpa + size, fn, priv };
	int rc;

	if (!xlat_aligned(gpa | size, XLAT_PAGE_SIZE) || gpa > vm->cfg.guest_ram || size > vm->cfg.guest_ram - gpa)
		return xlat_fail(-EINVAL, "vm_unmap_gpa: [%#llx, +%#llx) is not a page range of guest RAM",
				 (unsigned long long)gpa, (unsigned long long)size);
	if (size == 0)
		return 0;
	if (fn && (rc = pt_for_each(&vm->map, gpa, gpa + size, unmap_each, &u)) < 0)
		return rc;
	if ((rc = pt_unmap(&vm->map, gpa, size)))
		return rc;
	if (vm->cfg.mode == HV_SHADOW)
		shadow_zap_all(vm);
	if (vm->mmu)
		mmu_flush_all(vm->mmu);
	return 0;
}

int vm_reference_translate(struct vm *vm, gva_t gva, hpa_t *hpa)
{
	struct pt *gpt = os_pt(vm->guest);
	struct pt_leaf leaf;
	bool saved = vm->in_hv;

	vm->in_hv = true;   /* reads only, but never count them as guest activity */
	int rc = pt_lookup(gpt, gva, &leaf);
	if (rc == 0)
		rc = vm_gpa_to_hpa(vm, leaf.pa + (gva - leaf.va), hpa, false);
	vm->in_hv = saved;
	return rc;
}

void vm_table_stats(const struct vm *vm, struct pt_stats *guest, struct pt_stats *gpa_map,
		    struct pt_stats *shadow)
{
	if (guest)
		os_table_stats(vm->guest, guest);
	if (gpa_map)
		pt_get_stats(&vm->map, gpa_map);
	if (shadow) {
		memset(shadow, 0, sizeof *shadow);
		for (size_t i = 0; i < vm->nroots; i++) {
			struct pt_stats one;
			pt_get_stats(&vm->roots[i].spt, &one);
			pt_stats_add(shadow, &one);
		}
	}
}
