/*
 * xlat/gc.h — the GC pause study behind `xlat gc`: a managed heap (the gc
 * workload of xlat/workload.h) is filled, then marked and/or swept, on the
 * machine natively and virtualized; what translation adds to the pause.
 *
 * The seed's claim: a mark-sweep collector's linear heap scan in a VM pays
 * a nested walk per 4 KiB page, and "an increase of just 1100 cycles per
 * TLB miss can add nearly a second of pause time on an 8-gigabyte heap".
 * The study measures it both ways:
 *  - the model's own penalty: the virtualized run's translation cycles
 *    minus those of the same heap natively (model_added_pause_s), and per
 *    TLB miss the walk cycles virtualized minus natively;
 *  - the seed's computation: virtualized TLB misses * N cycles / clock
 *    (extra_added_pause_s), N given by the caller.
 *
 * Phases: fill (allocation: every page of the heap, bitmap and roots
 * written once; warm-up: the faults are taken here, not in the pause), then mark
 * and/or sweep, the pause. All machines see the same records, batch by
 * batch. Counted figures are exact for the model; cycles and seconds come
 * from the machine's cost model (cfg->machine.cpu), which reports print
 * beside them.
 */
#ifndef XLAT_GC_H
#define XLAT_GC_H

#include "xlat/machine.h"
#include "xlat/workload.h"

XLAT_API_BEGIN

/* One phase on one machine: the machine's counters across it. */
struct gc_counts {
	uint64_t accesses;
	uint64_t tlb_misses;             /* lookups that missed every TLB level */
	uint64_t walks;                  /* after TLB misses */
	uint64_t walk_refs;              /* read by those walks */
	uint64_t faults;
	uint64_t exits;
	uint64_t tlb_cycles;             /* hits beyond L1 */
	uint64_t walk_cycles;
	uint64_t fault_cycles;
	uint64_t exit_cycles;
	uint64_t translation_cycles;     /* the four above */
};

struct gc_machine_result {
	enum machine_mode mode;
	struct gc_counts fill;           /* warm-up */
	struct gc_counts mark, sweep;    /* zero when not run */
	struct gc_counts pause;          /* mark + sweep */
	double translation_s;            /* pause.translation_cycles / clock */
	double pause_s;                  /* estimate: (pause accesses * base_cycles_per_access
					  * + translation cycles) / clock */
	double walk_cycles_per_miss;     /* pause.walk_cycles / pause.tlb_misses */
};

struct gc_config {
	struct machine_config machine;   /* mode, CPU and cost model, page policies, guest RAM */
	struct xlat_workload heap;       /* a gc workload; its phase option is the study's */
	uint8_t phases;                  /* XLAT_GC_MARK and/or XLAT_GC_SWEEP */
	double extra_miss_cycles;        /* > 0: the seed's penalty per TLB miss; 0: none */
	machine_progress_fn progress;    /* every few batches and at the end (may be NULL) */
	void *progress_ctx;
};

struct gc_result {
	struct xlat_gc_info heap;
	bool virtualized;                /* machine.mode is nested or shadow: native beside it */
	struct gc_machine_result run;    /* machine.mode */
	struct gc_machine_result native; /* the same heap natively (virtualized only) */
	double model_penalty_per_miss;   /* run - native walk cycles per TLB miss */
	double model_added_pause_s;      /* (run - native translation cycles) / clock */
	double extra_added_pause_s;      /* run TLB misses * extra_miss_cycles / clock */
	double added_pause_s;            /* the extra's if given, else the model's */
};

/* Fills cfg with defaults: nested paging (machine_config_init's machine
 * otherwise), the gc workload's defaults, sweep, no extra penalty. */
void gc_config_init(struct gc_config *cfg);

/* Guest RAM the heap's regions need under cfg's page policy: heap, mark
 * bitmap and, given the heap's figures (info non-NULL), the free-list heads
 * and roots array; without them, one page for those (a lower bound, with
 * no pass over the heap). The mark stack grows as the mark goes and is not
 * counted. */
uint64_t gc_footprint(const struct gc_config *cfg, const struct xlat_gc_info *info);

/* The checks gc_run makes before it runs, with no pass over the heap: the
 * heap's options, the phases, the penalty, the fit in the guest RAM (the
 * roots array aside). 0 or -EINVAL with one line in xlat_error(). */
XLAT_MUST_CHECK int gc_check(const struct gc_config *cfg);

/* Runs the study. 0 or -errno: bad parameters (a heap that does not fit
 * the guest RAM, no phase, a negative penalty) with one line in
 * xlat_error(), or a failed run. */
XLAT_MUST_CHECK int gc_run(const struct gc_config *cfg, struct gc_result *res);

/* "mark", "sweep", "both" <-> phase bits. 0 or -EINVAL. */
XLAT_MUST_CHECK int gc_phase_parse(const char *name, uint8_t *phases);
const char *gc_phase_name(uint8_t phases);

XLAT_API_END

#endif
