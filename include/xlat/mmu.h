/*
 * xlat/mmu.h — the MMU model: TLB hierarchies, paging-structure caches, the
 * walker and the cost model, tied together. It consumes batches of accesses
 * and produces counters and cycles.
 *
 * Per access (per page touched: an access that crosses a page boundary
 * touches both pages):
 *   1. look up the L1 TLB of its side (ITLB for fetches, DTLB otherwise),
 *      then each further level; the translation found fills every level
 *      that missed;
 *   2. on a miss in the last level (one TLB miss, however many faults and
 *      retries follow), walk the chain (xlat/walk.h); each entry read costs
 *      what the page-table line cache model (xlat/cache.h) says; a hit
 *      whose entry does not allow the access as it stands (a write to a
 *      clean entry, a permission the entry lacks) walks too;
 *   3. a fault goes to the system layer's handler (the OS maps the page, the
 *      hypervisor backs the GPA, ...), which says what it cost; then the
 *      walk is retried.
 *
 * Every cycle figure comes from struct mmu_costs and the cache model, which
 * the reports print beside the result.
 */
#ifndef XLAT_MMU_H
#define XLAT_MMU_H

#include "xlat/access.h"
#include "xlat/cache.h"
#include "xlat/pwc.h"
#include "xlat/tlb.h"
#include "xlat/walk.h"

XLAT_API_BEGIN

#define MMU_MAX_TLB_LEVELS 3

/* Which row of the fault costs applies: the OS that takes faults runs
 * natively, or as a guest under nested paging (also a confidential VM's)
 * or under shadow paging. */
enum mmu_fault_mode { MMU_FAULTS_NATIVE = 0, MMU_FAULTS_NESTED, MMU_FAULTS_SHADOW, MMU_FAULT_MODES };

struct mmu_costs {
	unsigned tlb_hit_cycles[MMU_MAX_TLB_LEVELS]; /* extra cycles for a hit at level i (L1 usually 0) */
	unsigned walk_overhead_cycles;  /* fixed cost of starting a walk, beyond its references */
	unsigned walk_ref_cycles;       /* per reference, beyond its latency in the cache model */
	/* A fault the OS handled, by the size of the page it mapped (4K, 2M,
	 * 1G; a fault that mapped nothing costs a 4K one), in the row of
	 * fault_mode; the hypervisor backing guest memory with a host page,
	 * by its size. */
	unsigned fault_cycles[MMU_FAULT_MODES][XLAT_NPSIZES];
	unsigned host_fault_cycles[XLAT_NPSIZES];
	enum mmu_fault_mode fault_mode;
	unsigned exit_cycles;           /* a VM exit + entry round trip */
	double base_cycles_per_access;  /* the rest of the work per access, for the translation share */
	double ghz;                     /* to turn cycles into seconds */
};

struct mmu_config {
	unsigned ndtlb, nitlb;                       /* levels on each side (>= 1 each) */
	struct tlb_config dtlb[MMU_MAX_TLB_LEVELS];
	struct tlb_config itlb[MMU_MAX_TLB_LEVELS];
	/* Levels >= shared_from are one structure shared by both sides (the
	 * STLB); MMU_MAX_TLB_LEVELS = nothing shared. Shared levels take the
	 * dtlb config. */
	unsigned shared_from;
	struct pwc_config pwc;                       /* per stage; PWC_NONE = off */
	bool ntlb_enabled;
	struct tlb_config ntlb;                      /* nested TLB (GPA -> HPA) */
	bool cache_enabled;                          /* line cache model; off = every ref costs mem latency */
	/* The line of every access goes through the cache model too (data
	 * accesses from the L1D, fetches from the L2: no L1I is modelled), so
	 * the program's lines compete with the page-table lines for capacity.
	 * Their latency is not translation cost and is not charged; only where
	 * they were is counted (mmu_stats.line_where). Needs cache_enabled. */
	bool cache_data;
	struct pcache_config cache;
	struct mmu_costs costs;
	bool no_fetch;                               /* drop instruction fetches */
};

/* Why a walk ran (see struct mmu_stats). */
enum mmu_walk_cause {
	MMU_WALK_MISS,          /* the first walk after a miss in every TLB level */
	MMU_WALK_FAULT_RETRY,   /* again, after the system resolved a fault */
	MMU_WALK_DIRTY,         /* a write hit a clean entry: set D */
	MMU_WALK_PERM,          /* a hit the permission check refused */
	MMU_WALK_CAUSES
};

/* The walks of one cause. */
struct mmu_walk_counts {
	uint64_t walks;
	uint64_t refs;                      /* entries read */
	uint64_t hist[64];                  /* walks by entries read ([63]: 63 or more) */
};

/* Counters. "Pages touched" = accesses after splitting at page boundaries. */
struct mmu_stats {
	uint64_t accesses;                  /* records consumed (events excluded) */
	uint64_t pages;                     /* page-granular lookups (>= accesses) */
	uint64_t by_kind[3];                /* pages by read / write / fetch */
	uint64_t events;                    /* map/unmap/protect/switch records */
	uint64_t tlb_hits[2][MMU_MAX_TLB_LEVELS];  /* [side: 0 data, 1 fetch][level] */
	uint64_t tlb_hits_by_size[2][MMU_MAX_TLB_LEVELS][3];
	uint64_t tlb_misses;                /* lookups that missed every level */
	uint64_t tlb_misses_side[2];
	/* Walks by cause, each with the entries it read and a histogram of
	 * walks by reference count ([63]: 63 or more):
	 *  - walks: the first walk after a lookup missed every TLB level;
	 *  - fault_retry_walks: a walk again after the system resolved a fault
	 *    (a demand fault's mapping, an EPT violation, a shadow fill), of
	 *    any of these causes;
	 *  - dirty_walks: the first walk after a write hit a clean entry that
	 *    allows it (to set the D bit);
	 *  - perm_walks: the first walk after a hit the permission check
	 *    refused (the walk faults, or finds the entry changed).
	 * Their sum is every walk_translate call; walk_cycles and ref_where
	 * count all of them. by_cause[] is the same counters indexed by
	 * enum mmu_walk_cause. */
	union {
		struct mmu_walk_counts by_cause[MMU_WALK_CAUSES];
		struct {
			uint64_t walks;
			uint64_t walk_refs;
			uint64_t refs_hist[64];
			uint64_t fault_retry_walks;
			uint64_t fault_retry_refs;
			uint64_t fault_retry_hist[64];
			uint64_t dirty_walks;
			uint64_t dirty_walk_refs;
			uint64_t dirty_walk_hist[64];
			uint64_t perm_walks;
			uint64_t perm_walk_refs;
			uint64_t perm_walk_hist[64];
		};
	};
	uint64_t walk_start[XLAT_MAX_LEVELS + 1];  /* stage-0 walks (every cause) by first level read */
	uint64_t faults;                    /* faults handled by the system layer */
	uint64_t faults_by_kind[WALK_FAULT_KINDS];
	uint64_t unresolved;                /* accesses dropped: the system could not resolve the fault */
	uint64_t exits;                     /* VM exits charged by the system layer */
	/* cycles */
	uint64_t tlb_cycles;                /* hits beyond L1 */
	uint64_t walk_cycles;               /* references + walk overhead */
	uint64_t fault_cycles;              /* charged by handlers */
	uint64_t exit_cycles;
	uint64_t ref_where[PCACHE_LEVELS + 1];   /* references by where the line was */
	/* With cache_data: the accesses' own lines by where they were,
	 * [side: 0 data, 1 fetch][level]; a fetch never hits the L1D. */
	uint64_t line_where[2][PCACHE_LEVELS + 1];
};

struct mmu;

/* What the system layer (OS, hypervisor) does for the MMU. */
struct mmu_system {
	/* A walk faulted. Resolve it (map the page, back the GPA, fix a shadow
	 * entry, ...) and charge its cost with mmu_charge_*. Return 0 to retry
	 * the walk, 1 to drop the access (unresolvable, e.g. a segfault), or
	 * -errno to abort the run. */
	int (*fault)(void *ctx, struct mmu *m, const struct walk_req *req, const struct walk_result *res);
	/* An event record (map/unmap/protect/switch). 0 or -errno. */
	int (*event)(void *ctx, struct mmu *m, const struct xlat_access *ev);
	void *ctx;
};

/* Creates an mmu over the bottom space: 0 with *out set, or -EINVAL (a bad
 * configuration: TLB levels, PWC, nested TLB or line-cache geometry) or
 * -ENOMEM, with the reason in xlat_error(). Its chain is empty: the owners
 * set their stages (mmu_set_stage) before running. */
XLAT_MUST_CHECK int mmu_new(const struct mmu_config *cfg, struct phys *bottom, struct mmu **out);
/* The same, NULL on failure (xlat_error() and xlat_error_code() say why). */
struct mmu *mmu_create(const struct mmu_config *cfg, struct phys *bottom);
void mmu_destroy(struct mmu *m);

/*
 * Stages with owners. The software that owns a stage sets it, and only it:
 *   MMU_STAGE_OS       the OS's page table (CR3; under shadow paging the
 *                      hypervisor's shadow of it, set through the OS's
 *                      platform hooks when the guest loads CR3);
 *   MMU_STAGE_HV       the hypervisor's second dimension (EPT / NPT);
 *   MMU_STAGE_MONITOR  a secure monitor's stage below the hypervisor's.
 * The walk chain is the owners' stages that are set, in this order (so a
 * monitor under shadow paging is the chain's stage 1). Each owner's stage
 * has its own paging-structure cache, and a chain of two stages or more the
 * nested TLB (tagged by the chain's stage 1), attached by the mmu.
 */
enum mmu_stage_owner { MMU_STAGE_OS = 0, MMU_STAGE_HV, MMU_STAGE_MONITOR, MMU_STAGE_OWNERS };

/* Sets the owner's stage (fmt, root, maxphyaddr, ctl, tag of *st; st->pwc
 * is ignored: the mmu attaches its own). The translations cached in TLBs
 * and PWCs stay: flushing is the owner's decision (mmu_flush_*). The
 * walker checks the stage (levels, MAXPHYADDR, root) at the next walk.
 * 0 or -EINVAL (no such owner, no format). */
XLAT_MUST_CHECK int mmu_set_stage(struct mmu *m, enum mmu_stage_owner who, const struct walk_stage *st);
/* Removes the owner's stage (a hypervisor detaching, a monitor leaving). */
void mmu_clear_stage(struct mmu *m, enum mmu_stage_owner who);
/* The owner's stage as set, or NULL. */
const struct walk_stage *mmu_stage(const struct mmu *m, enum mmu_stage_owner who);
/* The chain the walker uses, read-only (a study may copy it and walk the
 * copy without the mmu's caches). */
const struct walk_chain *mmu_chain(const struct mmu *m);

/* Installs the chain's physical-access check (xlat/walk.h; NULL: none), a
 * secure monitor's hardware beside the walker. The check stays the
 * caller's and must outlive its use. */
void mmu_set_check(struct mmu *m, const struct walk_check *check);
void mmu_set_system(struct mmu *m, const struct mmu_system *sys);
/* Tag (VPID << 12 | PCID) of the current address space, for the TLBs. */
void mmu_set_tag(struct mmu *m, uint32_t tag);
uint32_t mmu_tag(const struct mmu *m);

/* Consumes n records. 0 or -errno (a system handler failed). */
XLAT_MUST_CHECK int mmu_run(struct mmu *m, const struct xlat_access *acc, size_t n);
/* What one access did: for a timing simulator that drives the mmu one
 * access at a time and wants the latency and the events of each. */
struct mmu_outcome {
	xlat_pa pa;             /* bottom-space address (when not dropped) */
	unsigned shift;         /* size of the page the translation maps */
	int tlb_level;          /* TLB level that held it (0: L1); -1: none, it walked */
	uint32_t walks;         /* walks of every cause: the miss, retries after faults, a D-bit walk */
	uint32_t refs;          /* entries those walks read */
	uint32_t faults;        /* faults the walks raised */
	uint32_t exits;         /* VM exits the system layer charged */
	uint64_t cycles;        /* what the cost model charged: TLB, walks, faults, exits */
	int line_where;         /* with cache_data: where the access's line was (0 L1D .. 3
				 * memory); -1 without cache_data or when dropped */
	bool dropped;           /* the system could not resolve a fault: no access happened */
};

/* Translates one address as an access of `kind` would, through the TLBs,
 * walking and faulting as needed, counted like a record of mmu_run. *out
 * (if not NULL) says what happened. 0, 1 if unresolvable (out->dropped),
 * or -errno. */
XLAT_MUST_CHECK int mmu_translate(struct mmu *m, xlat_va va, unsigned kind, bool supervisor, struct mmu_outcome *out);

/* TLB maintenance, as the OS / hypervisor issues it. */
/* INVLPG: va's entries under tag in every TLB (globals too) and the OS
 * stage's PWC entries of tag (SDM 4.10.4.1). */
void mmu_invlpg(struct mmu *m, uint32_t tag, xlat_va va);
/* Every TLB entry of tag (keep_global: but its global ones, as a CR3 load
 * without PCID does) and the OS stage's PWC entries of tag. */
void mmu_flush_tag(struct mmu *m, uint32_t tag, bool keep_global);
/* Everything: every TLB, PWC and the nested TLB. */
void mmu_flush_all(struct mmu *m);
/* INVEPT: the nested TLB, the PWCs of the stages after the OS's, and every
 * TLB (their entries combine the EPT's translations, SDM 28.4.3.1). The OS
 * stage's PWC stays: it caches guest-physical table addresses. */
void mmu_flush_nested(struct mmu *m);

/* Linux invalidates page by page up to this many pages and flushes the
 * whole address space above (tlb_single_page_flush_ceiling,
 * arch/x86/mm/tlb.c). */
#define MMU_FLUSH_CEILING_PAGES 33
/* A TLB shootdown of [start, end) (4 KiB aligned) under tag as Linux issues
 * it: invlpg for each 4 KiB page up to MMU_FLUSH_CEILING_PAGES pages,
 * flush_tag once above. The two operations are the caller's (natively the
 * mmu's own, for a guest a trap to the hypervisor), called with ctx. */
void mmu_shootdown(struct mmu *m, uint32_t tag, xlat_va start, xlat_va end,
		   void (*invlpg)(void *ctx, struct mmu *m, uint32_t tag, xlat_va va),
		   void (*flush_tag)(void *ctx, struct mmu *m, uint32_t tag), void *ctx);

/* What the system layer did, priced by the cost model (struct mmu_costs):
 * the OS handled a fault that mapped a page of 1 << shift bytes (12 for a
 * fault that mapped nothing), at the price of costs.fault_mode's row; the
 * hypervisor backed guest memory with a host page of 1 << shift bytes; a
 * VM exit and entry. The handlers say what happened, never what it costs. */
void mmu_charge_fault(struct mmu *m, unsigned shift);
void mmu_charge_host_fault(struct mmu *m, unsigned shift);
void mmu_charge_exit(struct mmu *m);

/* The counters, live: every field is current whenever it is read (the
 * pointer stays valid until mmu_destroy). */
const struct mmu_stats *mmu_get_stats(const struct mmu *m);
const struct mmu_config *mmu_get_config(const struct mmu *m);
const struct pcache_stats *mmu_cache_stats(const struct mmu *m);
/* Total cycles spent translating: TLB + walks + faults + exits. */
uint64_t mmu_translation_cycles(const struct mmu *m);

XLAT_API_END

#endif
