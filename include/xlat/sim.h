/*
 * xlat/sim.h — the simulation study behind `xlat sim`: an input (trace or
 * generator) runs through one machine (xlat/machine.h) — natively, under
 * nested paging or under shadow paging — after an optional warm-up, and the
 * machine's results come back. Everything the command does, a C program can
 * do with this, or with the machine directly.
 */
#ifndef XLAT_SIM_H
#define XLAT_SIM_H

#include "xlat/machine.h"
#include "xlat/trace.h"

XLAT_API_BEGIN

#define SIM_NO_LIMIT UINT64_MAX

struct sim_config {
	struct machine_config machine;
	/* Records (accesses and events, as the input yields them) that warm the
	 * TLBs, caches and page tables before counting starts, and records
	 * counted after them (SIM_NO_LIMIT: to the end of the input). The
	 * counters of the result cover the counted records only: for every
	 * additive counter, a run with warmup = N equals a whole run minus a
	 * run with limit = N. */
	uint64_t warmup;
	uint64_t limit;
	/* Called every few batches and once at the end (may be NULL). */
	machine_progress_fn progress;
	void *progress_ctx;
};

/* Counters cover the counted records (after warm-up); table statistics
 * are the state at the end. */
struct sim_result {
	uint64_t warmup_records;         /* records that warmed up (fewer than asked: the input ended) */
	uint64_t records;                /* records counted */
	struct machine_result machine;
};

/* The machine's defaults (machine_config_init), no warm-up, no limit. */
void sim_config_init(struct sim_config *cfg);

/* Runs the input (warm-up, then up to limit records). 0 or -errno (a bad
 * configuration, bad input, a failed handler; -ENOMEM naming the RAM key
 * when the simulated RAM is full). */
XLAT_MUST_CHECK int sim_run(const struct sim_config *cfg, struct xlat_source *src, struct sim_result *res);

XLAT_API_END

#endif
