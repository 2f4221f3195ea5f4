/* Internals shared by hv.c (VMs, guest memory, nested paging) and shadow.c. */
#ifndef XLAT_HV_INT_H
#define XLAT_HV_INT_H

#include "xlat/hv.h"
#include "xlat/mmu.h"
#include "xlat/walk.h"

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
};

void vm_charge_exit(struct vm *vm, enum vm_exit why);

/* shadow.c */
int shadow_init(struct vm *vm);
void shadow_destroy(struct vm *vm);
int shadow_attach(struct vm *vm, struct mmu *mmu);
/* A guest write to guest-physical `gpa` (from the view's resolve hook).
 * 0 or -ENOMEM. */
int shadow_guest_write(struct vm *vm, gpa_t gpa);

#endif
