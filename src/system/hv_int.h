/* Internals shared by hv.c (VMs, guest memory, nested paging) and shadow.c. */
#ifndef XLAT_HV_INT_H
#define XLAT_HV_INT_H

#include "xlat/hv.h"
#include "xlat/mmu.h"
#include "xlat/walk.h"
#include "xlat/dirty.h"

/* Reverse map entry: guest page-table page `gpfn` holds level-`level`
 * entries covering [va_base, va_base + 512 * level size) of the shadow
 * `root_idx`. Entries of one gpfn are chained through `next`. */
struct rmap_entry {
	uint64_t gpfn;
	xlat_va va_base;
	uint32_t root_idx;
	int32_t next;
	uint8_t level;
	bool unsync;        /* a leaf table left writable (unsync mode) */
	bool dirty;         /* unsync: written since the last resync */
};

struct shadow_root {
	gpa_t guest_root;   /* guest CR3 */
	uint32_t tag;       /* TLB tag it was last loaded with */
	struct pt spt;      /* GVA -> HPA, in host memory */
};

struct vm {
	struct phys *host;
	struct phys *gpa;          /* view of host through `map` */
	struct pt map;             /* GPA -> HPA: the EPT, or the memslot table */
	struct os *guest;
	struct vm_config cfg;
	struct mmu *mmu;           /* attached mmu (costs, shootdowns), or NULL */
	struct vm_stats st;
	bool in_hv;                /* the hypervisor itself is writing guest memory */

	/* shadow paging */
	struct shadow_root *roots;
	size_t nroots, cap_roots;
	size_t cur_root;
	struct walk_chain soft;    /* [guest x86, memslot] for the hypervisor's own walks */
	struct walk_ref *soft_refs;   /* what a soft walk read: walk_chain_max_refs(&soft) */
	uint32_t soft_cap;
	struct rmap_entry *rmap;
	size_t nrmap, cap_rmap;
	int32_t *rmap_head;        /* hash: gpfn -> first entry, -1 empty */
	size_t rmap_buckets;
	int32_t *unsync_dirty;     /* rmap indexes of unsync pages written since resync */
	size_t nunsync_dirty, cap_unsync_dirty;

	/* dirty logging (dirty.c), while a log exists */
	struct dirty_log *dlog;
	/* post-copy: GPAs whose contents are elsewhere (vm_set_missing) */
	vm_missing_fn missing;
	void *missing_ctx;
};

void vm_charge_exit(struct vm *vm, enum vm_exit why);

/* dirty.c: what the hypervisor tells the log (vm->dlog set). */
struct dirty_log;
/* An EPT violation on a backed GPA (qual: WALK_EPTQ_*): 0 when the log
 * resolved it (a write-protection fault: retry), 1 when it is not the
 * log's, or -errno. */
int dirty_hv_ept_violation(struct dirty_log *d, gpa_t gpa, uint64_t qual);
/* Guest software (its OS through guest-physical memory) writes gpa. */
int dirty_hv_sw_write(struct dirty_log *d, gpa_t gpa);
/* The largest host page to back gpa with (shift), given the policy's. */
unsigned dirty_hv_max_shift(const struct dirty_log *d, gpa_t gpa, unsigned shift);
/* gpa was just backed by a leaf of 1 << shift bytes for an access that
 * writes or not. 0 or -errno. */
int dirty_hv_backed(struct dirty_log *d, gpa_t gpa, unsigned shift, bool write);
/* A VM exit happened (KVM drains the PML buffer at every exit). */
void dirty_hv_exit(struct dirty_log *d);
/* Shadow paging: the permissions a shadow leaf for gpa may have (the
 * guest's perms, write access or not); *shift may be lowered to 12.
 * Logs the page on a write. 0 or -errno. */
int dirty_hv_shadow_fill(struct dirty_log *d, gpa_t gpa, bool write, uint32_t *perms, unsigned *shift);

/* shadow.c */
int shadow_init(struct vm *vm);
void shadow_destroy(struct vm *vm);
int shadow_attach(struct vm *vm, struct mmu *mmu);
/* A guest write to guest-physical `gpa` (from the view's resolve hook).
 * 0 or -ENOMEM. */
int shadow_guest_write(struct vm *vm, gpa_t gpa);
/* Drops every translation of every shadow root (their TLB entries are the
 * caller's to flush). */
void shadow_zap_all(struct vm *vm);

#endif
