/*
 * What the benchmarks share: the clocks, one line and exit 1 on an error,
 * a workload generated into memory, and the best rate of a machine over a
 * few rounds. Linked into every bench_* (bench/CMakeLists.txt).
 */
#ifndef XLAT_BENCH_UTIL_H
#define XLAT_BENCH_UTIL_H

#include <stddef.h>

#include "xlat/machine.h"

/* Seconds on the monotonic clock. */
double bench_now(void);
/* This process's CPU seconds: on a shared machine, what wall time would be
 * with a core to itself (for a single-threaded bench). */
double bench_cpu(void);

/* Prints "bench_NAME: what: <the library's last error>" and exits 1. */
__attribute__((noreturn)) void bench_die(const char *what);

/* A workload's records (name, its options "k=v,...") generated into
 * memory, *n of them; free() it. Dies on an error. */
struct xlat_access *bench_generate(const char *name, const char *opts, size_t *n);

/* Rounds of: a new machine, the warm-up fed, machine_reset_stats, `run`
 * fed and timed, after(), the machine destroyed. */
struct bench_rounds {
	int rounds;
	const struct xlat_access *warm, *run;
	size_t nwarm, nrun;
	struct machine *(*boot)(void *ctx);
	/* After each timed run, before the machine goes (may be NULL):
	 * machine_collect(m) gives the run's counters alone. */
	void (*after)(void *ctx, struct machine *m);
	void *ctx;
};

/* The best accesses per wall second of `run` over the rounds. */
double bench_machine_rate(const struct bench_rounds *b);

#endif
