/*
 * xlat/dirty.h — dirty logging of a VM's memory: which guest pages were
 * written since the hypervisor last looked. Shared library code of the
 * system layer: the model's live migration (xlat/migrate.h) uses it, and
 * so could a real backend. Four mechanisms, each with its costs counted
 * in the machine's cost model (exits through mmu_charge_exit, the rest in
 * struct dirty_costs, printed with every result):
 *
 *   wp      write protection in the EPT (KVM without PML,
 *           kvm_mmu_slot_remove_write_access): W is cleared on every
 *           logged page; the first write exits (an EPT violation), the
 *           hypervisor logs the page and restores W, and the guest goes
 *           on. A sync write-protects again the pages it reports and
 *           invalidates what the TLBs hold of them (INVEPT).
 *   ad      EPT accessed/dirty flags (EPTP bit 6): the CPU sets D in the
 *           leaf on the first write; a sync scans every EPT leaf of the
 *           range for D = 1, clears A and D and invalidates (INVEPT), so
 *           that the next write sets D again.
 *   pml     page-modification logging (SDM vol. 3C 29.3.6): with EPT A/D,
 *           the CPU also appends the GPA of each page whose D it sets to a
 *           512-entry buffer and exits when it is full; KVM drains the
 *           buffer at every exit (vmx_flush_pml_buffer) and kicks the vCPU
 *           at a sync (kvm_arch_sync_dirty_log), then clears D of the pages
 *           it reports (kvm_mmu_clear_dirty_pt_masked). Needs EPT A/D.
 *   shadow  under shadow paging the shadow entries are write-protected
 *           instead (the same log; KVM's shadow MMU does it through its
 *           reverse map): a write to a clean page takes a shadow page
 *           fault, which logs the page and maps it writable.
 *
 * Huge host pages (enum dirty_huge): KVM splits them when logging starts
 * (eager_page_split, kvm_mmu_slot_try_split_huge_pages, the default),
 * or write-protects them so that the first write splits one (KVM with
 * eager splitting off); or the log keeps them and logs a huge page whole
 * (every 4 KiB page of it is then dirty). A split leaves 4 KiB TLB
 * entries where one huge one was: the TLB misses that follow are counted
 * by the mmu as any others.
 *
 * Pages the guest OS writes through guest-physical memory (its page
 * tables) and those the hypervisor writes for it (shadow paging's A/D
 * propagation) are logged as the hardware would see them; memory backed
 * while logging is on is backed with 4 KiB pages (not with whole) and,
 * under wp, writable only for a write, which is logged.
 */
#ifndef XLAT_DIRTY_H
#define XLAT_DIRTY_H

#include "xlat/hv.h"

XLAT_API_BEGIN

enum dirty_mech { DIRTY_WP = 0, DIRTY_AD, DIRTY_PML, DIRTY_SHADOW, DIRTY_MECH_COUNT };
enum dirty_huge { DIRTY_HUGE_EAGER = 0, DIRTY_HUGE_SPLIT, DIRTY_HUGE_WHOLE, DIRTY_HUGE_COUNT };

/* The PML buffer: 512 64-bit entries (one 4 KiB page, SDM 29.3.6). */
#define DIRTY_PML_ENTRIES 512u

/* What the mechanisms cost beyond VM exits (which the preset's exit_cycles
 * prices). Estimates (printed as such with every result): who pays is
 * said per field, vCPU (the guest waits: guest time) or host (the
 * hypervisor thread syncing the log: migration time). */
struct dirty_costs {
	unsigned wp_fault_cycles;    /* vCPU: a write-protection fault's handling beyond the exit */
	unsigned pml_entry_cycles;   /* vCPU: one GPA drained from the PML buffer */
	unsigned split_cycles;       /* one huge leaf split into 512 (vCPU on a fault, host when eager) */
	unsigned protect_cycles;     /* host: one leaf write-protected or its D cleared at a sync */
	unsigned scan_cycles;        /* host: one EPT leaf read by an ad scan */
};

struct dirty_config {
	enum dirty_mech mech;        /* DIRTY_WP on a shadow-paging VM means DIRTY_SHADOW */
	enum dirty_huge huge;
	struct dirty_costs costs;
};

/* Defaults: wp, eager splitting (KVM's default), the estimates below. */
void dirty_config_init(struct dirty_config *c);

const char *dirty_mech_name(enum dirty_mech m);
/* "wp", "ad", "pml", "shadow" -> *m. 0 or -EINVAL (naming the choices). */
XLAT_MUST_CHECK int dirty_mech_parse(const char *name, enum dirty_mech *m);
const char *dirty_huge_name(enum dirty_huge h);
/* "eager", "split", "whole" -> *h. 0 or -EINVAL. */
XLAT_MUST_CHECK int dirty_huge_parse(const char *name, enum dirty_huge *h);

/* The costs as keys ("dirty.wp_fault_cycles", ...): set one (0 or -EINVAL
 * naming the key), and list them all with value and source (the estimate
 * and what it rests on, or "set" when set != NULL says the caller chose
 * it: bit i for the i-th key in listing order). fn as machine_param_fn:
 * non-zero stops and is returned. */
XLAT_MUST_CHECK int dirty_costs_set(struct dirty_costs *c, const char *key, const char *value, unsigned *set);
int dirty_costs_foreach(const struct dirty_costs *c, unsigned set,
			int (*fn)(void *ctx, const char *key, const char *value, const char *source), void *ctx);

/* Counters since the log was created. */
struct dirty_stats {
	uint64_t exits;              /* VM exits the log caused (the sum of the next three,
				      * and under shadow paging the shadow faults it caused) */
	uint64_t wp_faults;          /* write-protection faults taken for the log */
	uint64_t pml_full_exits;     /* pml: page-modification log-full exits */
	uint64_t kick_exits;         /* syncs: a vCPU kicked out to drain its buffer or to
				      * flush its TLB after a protect (kvm_flush_remote_tlbs) */
	uint64_t pml_logged;         /* pml: GPAs the CPU appended to the buffer */
	uint64_t pml_drains;         /* pml: buffers drained (at any exit), non-empty */
	uint64_t scans;              /* ad: syncs that scanned the EPT */
	uint64_t scanned_leaves;     /* ad: EPT leaves those scans read */
	uint64_t protected_leaves;   /* leaves write-protected or whose D was cleared */
	uint64_t splits;             /* huge leaves split into 512 */
	uint64_t syncs;
	uint64_t flushes;            /* TLB invalidations (INVEPT) the log issued */
	uint64_t sw_logged;          /* pages first logged from a software write (the guest
				      * OS's through guest-physical memory, or the hypervisor's) */
	uint64_t logged_pages;       /* pages reported dirty by syncs, in total */
	uint64_t guest_cycles;       /* vCPU: handler cycles beyond exit_cycles (dirty_costs) */
	uint64_t host_cycles;        /* host: enabling, splitting eagerly, syncing */
};

struct dirty_log;

/* A log over vm, which must be attached to its mmu; nothing is logged
 * until dirty_log_enable. One log per VM. 0, or -EINVAL with one line in
 * xlat_error() (ad or pml without EPT A/D, ad or pml under shadow paging,
 * shadow under nested paging, another log on the VM) or -ENOMEM. */
XLAT_MUST_CHECK int dirty_log_create(struct vm *vm, const struct dirty_config *cfg, struct dirty_log **out);
/* Disables logging everywhere (write permissions back, the PML hook off)
 * and frees the log. NULL is fine. */
void dirty_log_destroy(struct dirty_log *d);

/* Starts / stops logging the pages of [gpa, gpa + size) (4 KiB aligned,
 * inside guest RAM). Enabling arms every page (write-protects it, or
 * clears its D), splitting huge leaves eagerly if so configured; pages
 * written before are not reported. 0 or -errno. */
XLAT_MUST_CHECK int dirty_log_enable(struct dirty_log *d, gpa_t gpa, uint64_t size);
XLAT_MUST_CHECK int dirty_log_disable(struct dirty_log *d, gpa_t gpa, uint64_t size);

/* Get and clear: sets in bitmap (bit i of word i / 64 = page gpa/4K + i,
 * size/4K bits, the caller's, not cleared first) the logged pages of
 * [gpa, gpa + size) written since the last sync, clears them in the log
 * and arms them again (re-protect, or clear D, with the TLB invalidation
 * that needs). Returns the number of pages reported, or -errno. */
XLAT_MUST_CHECK int64_t dirty_log_sync(struct dirty_log *d, gpa_t gpa, uint64_t size, uint64_t *bitmap);

/* The VM's log, or NULL. (vm_destroy destroys it too.) */
struct dirty_log *dirty_log_of(struct vm *vm);

/* Is the page of gpa logged dirty now (since the last sync)? */
bool dirty_log_test(const struct dirty_log *d, gpa_t gpa);
const struct dirty_stats *dirty_log_stats(const struct dirty_log *d);
const struct dirty_config *dirty_log_config(const struct dirty_log *d);
/* The mechanism that runs (DIRTY_SHADOW for a wp log under shadow paging). */
enum dirty_mech dirty_log_mech(const struct dirty_log *d);

XLAT_API_END

#endif
