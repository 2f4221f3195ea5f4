/*
 * xlat/os.h — a demand-paging OS: the software that owns native page tables.
 *
 * Processes have an x86 page table (4 or 5 levels) in a physical space and a
 * set of regions (what mmap created). An access to an unmapped page of a
 * region faults; the OS maps it on first touch from the space's frame
 * allocator with the page-size policy:
 *
 *   OS_PAGE_4K   4 KiB pages only;
 *   OS_PAGE_THP  a 2 MiB page when the 2 MiB-aligned block around the fault
 *                lies inside one region and no 4 KiB page of it is mapped yet
 *                (as Linux THP does on an anonymous fault), else 4 KiB;
 *   OS_PAGE_1G   like THP, with 1 GiB pages first for regions marked huge.
 *
 * A process with no regions treats the whole lower half of the address space
 * as one anonymous region (traces do not say what was mapped). The same OS
 * runs natively (space = host memory) and inside a guest (space = the guest's
 * physical memory), which is how nested and shadow paging get their guest.
 */
#ifndef XLAT_OS_H
#define XLAT_OS_H

#include "xlat/access.h"
#include "xlat/pt.h"
#include "xlat/walk.h"

XLAT_API_BEGIN

struct mmu;
struct phys;

enum os_page_policy { OS_PAGE_4K = 0, OS_PAGE_THP, OS_PAGE_1G };

/* The largest page (its shift) the policy maps in a region; huge: the
 * region may hold 1 GiB pages (os_region.huge; the hypervisor's guest
 * memory always may). For pt_map_demand, which applies the rest of the
 * policy, for the OS and the hypervisor alike. */
static inline unsigned os_policy_max_shift(enum os_page_policy p, bool huge)
{
	return p == OS_PAGE_1G && huge ? 30 : p >= OS_PAGE_THP ? 21 : 12;
}

struct os_config {
	const struct xlat_format *fmt;     /* fmt_x86_4 or fmt_x86_5 */
	enum os_page_policy policy;
	bool pcid;                         /* tag TLB entries by process (no flush on switch) */
	unsigned vpid;                     /* VPID in the upper tag bits (0 native) */
};

struct os_region {
	xlat_va start, end;                /* [start, end), 4 KiB aligned */
	uint32_t perms;                    /* XLAT_R/W/X/U */
	bool huge;                         /* eligible for 1 GiB pages under OS_PAGE_1G */
};

struct os_stats {
	uint64_t faults;                   /* demand faults handled */
	uint64_t mapped[3];                /* pages mapped by size: 4K, 2M, 1G */
	uint64_t unmapped_pages;           /* 4 KiB pages released by unmap events */
	uint64_t segv;                     /* faults outside any region or on a protection violation */
	uint64_t switches;
	uint64_t procs;
};

struct os;

/* What the OS's privileged instructions do on the machine it runs on.
 * Natively (no platform set) they act on the mmu directly; under shadow
 * paging they trap to the hypervisor, which keeps its shadow tables in step.
 * (Under nested paging with VPID they run natively, without exits.) */
struct os_platform {
	/* MOV CR3 to `root` (a physical address of the OS's space) with
	 * `tag` = VPID << 12 | PCID; flush: non-global entries of the tag go. */
	int (*load_cr3)(void *ctx, struct mmu *mmu, xlat_pa root, uint32_t tag, bool flush);
	void (*invlpg)(void *ctx, struct mmu *mmu, uint32_t tag, xlat_va va);
	void (*flush_tag)(void *ctx, struct mmu *mmu, uint32_t tag);
	void *ctx;
};

/* An OS whose processes' tables and pages come from `mem`. NULL on failure,
 * with xlat_error() and xlat_error_code() saying why. */
struct os *os_create(struct phys *mem, const struct os_config *cfg);
void os_destroy(struct os *os);
/* Runs the OS on a platform (NULL: natively). */
void os_set_platform(struct os *os, const struct os_platform *plat);

/* Makes process `asid` current (created on first use) and points stage 0 of
 * the mmu's chain at its table (or, with mmu NULL, only selects it). */
XLAT_MUST_CHECK int os_switch(struct os *os, struct mmu *mmu, unsigned asid);
/* Adds a region to the current process. 0 or -errno (-EEXIST on overlap). */
XLAT_MUST_CHECK int os_add_region(struct os *os, const struct os_region *r);

/* The page table of the current process. */
struct pt *os_pt(struct os *os);
/* CR3 value of the current process: its root's physical address. */
xlat_pa os_cr3(struct os *os);
unsigned os_current_asid(const struct os *os);

/* Handles a #PF of stage `stage` raised on req: maps the page if it is in a
 * region. Returns 0 (mapped: retry), 1 (segfault: drop) or -errno. */
XLAT_MUST_CHECK int os_handle_fault(struct os *os, struct mmu *mmu, const struct walk_req *req,
		    const struct walk_fault *f);
/* Applies an event record (map/unmap/protect/switch), shooting down TLB
 * entries through mmu (may be NULL). */
XLAT_MUST_CHECK int os_handle_event(struct os *os, struct mmu *mmu, const struct xlat_access *ev);

/*
 * Dirty tracking of process `asid`'s pages (Linux's clear_refs, soft-dirty):
 * clears the accessed and dirty bits of every page of [va, va + size)
 * (4 KiB aligned; a huge page whole), calls fn (if not NULL) for each page
 * that was dirty with its leaf as it was (va, shift: which page and how
 * large), and invalidates the TLB entries that may cache those pages'
 * dirty translations, through the platform as any shootdown (per page up to
 * MMU_FLUSH_CEILING_PAGES pages, the address space above), so that the next
 * write walks and sets D again. Clearing A alone needs no invalidation (an
 * x86 TLB entry does not hold A), as in Linux. mmu may be NULL (no TLBs to
 * keep in step). Returns the number of dirty pages (leaves) or -errno
 * (-ENOENT: no such process).
 */
XLAT_MUST_CHECK int64_t os_clear_dirty(struct os *os, struct mmu *mmu, unsigned asid, xlat_va va, uint64_t size,
		       pt_leaf_fn fn, void *priv);

/* Installs the OS as the mmu's system layer (native runs). */
void os_attach(struct os *os, struct mmu *mmu);

const struct os_stats *os_get_stats(const struct os *os);
/* Table accounting summed over every process. */
void os_table_stats(const struct os *os, struct pt_stats *st);

XLAT_API_END

#endif
