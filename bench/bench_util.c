/* What the benchmarks share (see bench_util.h). */
#define _GNU_SOURCE   /* program_invocation_short_name */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "xlat/workload.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

double bench_cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

void bench_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, xlat_error());
	exit(1);
}

struct xlat_access *bench_generate(const char *name, const char *opts, size_t *n)
{
	struct xlat_source *s;
	struct xlat_workload w;
	if (xlat_workload_init(&w, name) || xlat_workload_parse(&w, opts) || xlat_workload_open(&s, &w))
		bench_die("workload");
	size_t cap = xlat_workload_records(&w) + 1, len = 0;
	struct xlat_access *a = malloc(cap * sizeof *a);
	int64_t got;
	if (!a)
		bench_die("out of memory");
	while ((got = xlat_source_next(s, a + len, cap - len)) > 0)
		len += (size_t)got;
	if (got < 0)
		bench_die("generate");
	xlat_source_close(s);
	*n = len;
	return a;
}

double bench_machine_rate(const struct bench_rounds *b)
{
	double best = 0;
	for (int r = 0; r < b->rounds; r++) {
		struct machine *m = b->boot(b->ctx);
		if (machine_feed(m, b->warm, b->nwarm))
			bench_die("warm-up");
		machine_reset_stats(m);
		double t0 = bench_now();
		if (machine_feed(m, b->run, b->nrun))
			bench_die("run");
		double t = bench_now() - t0;
		if ((double)b->nrun / t > best)
			best = (double)b->nrun / t;
		if (b->after)
			b->after(b->ctx, m);
		machine_destroy(m);
	}
	return best;
}
