/*
 * xlat/hv.h — a hypervisor: virtual machines whose guest OS (xlat/os.h) keeps
 * its page tables as bytes in guest-physical memory, translated to host
 * memory by nested paging or by shadow paging.
 *
 *  nested (EPT/NPT): the mmu's chain is [guest x86 stage, EPT stage]; every
 *      guest page-table reference is itself translated through the EPT, so a
 *      TLB miss costs up to (Lg+1)(Lh+1)-1 references. An EPT violation exits
 *      to the hypervisor, which backs the GPA with a host page (4K, 2M or 1G
 *      per host policy) and resumes. Guest page faults stay in the guest.
 *  shadow: the hypervisor builds, lazily, one shadow x86 table per guest CR3
 *      that maps GVA -> HPA directly (the chain is one stage: native walk
 *      cost). It write-protects the guest page-table pages it has shadowed
 *      and takes an exit on each guest write to one, exits on guest CR3
 *      loads and INVLPG, and injects guest page faults. With `unsync` (as
 *      KVM does for last-level tables) guest writes to leaf tables do not
 *      exit; the hypervisor resynchronises at the guest's next TLB flush.
 *      Guest accessed/dirty bits are set by the hypervisor when it fills a
 *      shadow entry (A), and a clean page is shadowed read-only so the
 *      first write exits and sets D.
 *
 * Guest-physical memory is a view (xlat/phys.h) of host memory through the
 * GPA->HPA map: guest bytes exist once, in host frames, backed on demand.
 * In shadow mode that map is the hypervisor's memslot table (an EPT-format
 * table the hardware never walks).
 */
#ifndef XLAT_HV_H
#define XLAT_HV_H

#include "xlat/os.h"
#include "xlat/pt.h"

XLAT_API_BEGIN

/* Address kinds, for the reader: a GVA is a guest's virtual address, a GPA a
 * guest-physical one, an HPA a host-physical one. */
typedef uint64_t gva_t;
typedef uint64_t gpa_t;
typedef uint64_t hpa_t;

struct mmu;
struct phys;

enum hv_mode { HV_NESTED, HV_SHADOW };

struct vm_config {
	enum hv_mode mode;
	unsigned ept_levels;             /* 4 or 5: depth of the GPA->HPA table */
	enum os_page_policy host_policy; /* host pages backing guest memory: 4K, 2M (THP), 1G */
	uint64_t guest_ram;              /* bytes of guest-physical RAM */
	unsigned guest_pa_bits;          /* guest MAXPHYADDR (<= host's) */
	unsigned vpid;                   /* VPID tag (1..4095); TLB entries of this VM carry it */
	bool ept_ad;                     /* EPT accessed/dirty flags (EPTP bit 6) */
	bool unsync;                     /* shadow: KVM's unsync leaf shadow pages */
	struct os_config guest;          /* the guest OS (fmt, page policy, fault cost, PCID) */
};

/* VM exits by reason. */
enum vm_exit {
	VM_EXIT_EPT_VIOLATION = 0,   /* nested: an unbacked GPA */
	VM_EXIT_SHADOW_PF,           /* shadow: a #PF on the shadow table */
	VM_EXIT_PT_WRITE,            /* shadow: guest wrote a write-protected page-table page */
	VM_EXIT_INVLPG,              /* shadow: guest INVLPG */
	VM_EXIT_CR3,                 /* shadow: guest MOV CR3 / full flush */
	VM_EXIT_COUNT
};

struct vm_stats {
	uint64_t exits[VM_EXIT_COUNT];
	uint64_t injected_pf;            /* shadow: guest page faults injected */
	uint64_t host_backed[3];         /* host pages backing guest memory: 4K, 2M, 1G */
	uint64_t shadow_fills;           /* shadow entries created */
	uint64_t shadow_zaps;            /* shadow entries removed on guest PT writes / resync */
	uint64_t resyncs;                /* unsync pages resynchronised */
	uint64_t protected_pages;        /* guest PT pages currently write-protected */
	uint64_t ad_propagated;          /* guest A/D bits set by the hypervisor */
};

struct vm;

/* A VM whose memory is backed by frames of `host`. NULL on failure, with
 * xlat_error() and xlat_error_code() (-EINVAL: the configuration; -ENOMEM)
 * saying why. */
struct vm *vm_create(struct phys *host, const struct vm_config *cfg);
void vm_destroy(struct vm *vm);

/* Runs the VM on the mmu (its TLBs and caches may be shared with other VMs:
 * entries are tagged by VPID): sets the chain, the system layer, and makes
 * guest process 0 current. 0 or -errno. */
XLAT_MUST_CHECK int vm_attach(struct vm *vm, struct mmu *mmu);

struct os *vm_guest(struct vm *vm);            /* the guest OS */
struct phys *vm_gpa_space(struct vm *vm);      /* guest-physical memory */
struct pt *vm_gpa_map(struct vm *vm);          /* GPA -> HPA (EPT / memslot table) */
const struct vm_config *vm_get_config(const struct vm *vm);

/* GPA -> HPA through the map; populate: back it if it is not yet.
 * 0, -ENOENT (not backed, !populate), -EFAULT (outside guest RAM). */
XLAT_MUST_CHECK int vm_gpa_to_hpa(struct vm *vm, gpa_t gpa, hpa_t *hpa, bool populate);
/* The reference translation GVA -> HPA of the current guest process,
 * composed in software from the guest's table and the GPA map, with no
 * caches, no A/D updates and no side effects. 0 or -ENOENT. */
XLAT_MUST_CHECK int vm_reference_translate(struct vm *vm, gva_t gva, hpa_t *hpa);

/*
 * Dirty logging of guest memory with EPT accessed/dirty flags (nested
 * paging with ept_ad, as KVM's EPT-D-bit logging): clears the A and D bits
 * of the GPA map's leaves over [gpa, gpa + size) (a host huge page whole),
 * calls fn (if not NULL) for each leaf that was dirty (va: its GPA; shift:
 * its size), and if any was, invalidates what may cache its dirty
 * translation, as INVEPT does (mmu_flush_nested: the combined TLB entries
 * and the nested TLB), so that the guest's next write sets the EPT D bit
 * again. Returns the number of dirty leaves, or -EINVAL without EPT A/D
 * (the hardware never sets D then) or in shadow mode (whose dirty log is
 * write protection, not modelled).
 */
XLAT_MUST_CHECK int64_t vm_clear_dirty(struct vm *vm, gpa_t gpa, uint64_t size, pt_leaf_fn fn, void *priv);

/*
 * Post-copy (xlat/migrate.h): guest-physical pages whose contents are
 * elsewhere. While a handler is set, fn(ctx, vm, gpa, write) runs first
 * whenever the guest (an EPT violation, a shadow fill) or the
 * hypervisor's software touches a GPA the map does not back: it returns
 * 0 when it mapped the page itself (vm_map_gpa: retry), 1 to back it as
 * usual (a fresh zeroed page), or -errno. fn NULL removes the handler.
 */
typedef int (*vm_missing_fn)(void *ctx, struct vm *vm, gpa_t gpa, bool write);
void vm_set_missing(struct vm *vm, vm_missing_fn fn, void *ctx);
/* Maps the 4 KiB page of gpa to host frame hpa in the GPA map (RWX, WB),
 * charged as the host fault that backs a page. 0 or -errno (-EEXIST:
 * already backed). */
XLAT_MUST_CHECK int vm_map_gpa(struct vm *vm, gpa_t gpa, hpa_t hpa);
/* Unmaps every page of [gpa, gpa + size) from the GPA map, keeping the
 * host frames (the caller's until vm_map_gpa maps them again or it frees
 * them), drops every shadow translation (shadow paging) and invalidates
 * the TLBs. For each 4 KiB page that was backed, fn(priv, gpa, hpa) runs
 * first (NULL: none). 0 or -errno. */
XLAT_MUST_CHECK int vm_unmap_gpa(struct vm *vm, gpa_t gpa, uint64_t size,
				 int (*fn)(void *priv, gpa_t gpa, hpa_t hpa), void *priv);

/* Shadow mode: the shadow table of the current guest process (NULL in
 * nested mode). */
struct pt *vm_shadow_pt(struct vm *vm);

const struct vm_stats *vm_get_stats(const struct vm *vm);
const char *vm_exit_name(enum vm_exit e);
/* Table accounting: guest tables (all processes), the GPA map, shadows. */
void vm_table_stats(const struct vm *vm, struct pt_stats *guest, struct pt_stats *gpa_map,
		    struct pt_stats *shadow);

XLAT_API_END

#endif
