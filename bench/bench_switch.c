/*
 * bench_switch: does a switch-heavy trace cost linear time? (issue 8: a
 * 68 KB .xlt with 65,536 address-space switches took 24 s.)
 *
 * Two .xlt files: 1x = 32,768 switches to distinct address spaces, each
 * followed by one read; 2x = 65,536 of them. For each, the time to
 *  - read it through the input layer with a per-record asid set, as `xlat
 *    trace info` does (a bitmap: O(1) a record), and
 *  - run it through `xlat sim` (native, default CPU), where every switch
 *    looks its address space up in the OS.
 * Linear time gives a 2x/1x ratio near 2; a lookup that scans every
 * address space gives ~4. A benchmark, not a test: it prints the ratios
 * and says which they look like. Times are the best of ROUNDS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "xlat/cpu.h"
#include "xlat/sim.h"
#include "xlat/trace.h"

#define ROUNDS 2
#define BASE_SWITCHES 32768u

/* n switches to asids 0..n-1 (n <= 65536), each followed by a read. */
static void make_trace(const char *path, unsigned n)
{
	struct xlat_trace_writer *w;
	if (xlat_trace_writer_open(&w, path, XLAT_TRACE_XLT, "bench_switch", NULL) < 0)
		bench_die(path);
	for (unsigned i = 0; i < n; i++) {
		struct xlat_access a[2] = {
			{ .va = 0, .size = 1, .kind = XLAT_EV_SWITCH, .asid = (uint16_t)i },
			{ .va = 0x10000000000ULL, .size = 8, .kind = XLAT_READ, .asid = (uint16_t)i },
		};
		if (xlat_trace_writer_write(w, a, 2) < 0)
			bench_die(path);
	}
	if (xlat_trace_writer_close(w) < 0)
		bench_die(path);
}

/* Seconds to read path, counting distinct asids as trace info does. */
static double input_time(const char *path, unsigned want)
{
	double best = 1e99;
	for (int r = 0; r < ROUNDS; r++) {
		static struct xlat_access buf[4096];
		static uint64_t seen[65536 / 64];
		memset(seen, 0, sizeof seen);
		unsigned asids = 0;
		struct xlat_source *s;
		double t0 = bench_now();
		if (xlat_source_open(&s, path) < 0)
			bench_die(path);
		int64_t n;
		while ((n = xlat_source_next(s, buf, 4096)) > 0) {
			for (int64_t i = 0; i < n; i++) {
				uint64_t bit = 1ULL << (buf[i].asid % 64);
				asids += !(seen[buf[i].asid / 64] & bit);
				seen[buf[i].asid / 64] |= bit;
			}
		}
		if (n < 0)
			bench_die(path);
		xlat_source_close(s);
		double t = bench_now() - t0;
		if (asids != want) {
			fprintf(stderr, "bench_switch: %s: %u address spaces, want %u\n", path, asids, want);
			exit(1);
		}
		best = t < best ? t : best;
	}
	return best;
}

/* Seconds for `xlat sim` on path. */
static double sim_time(const char *path)
{
	double best = 1e99;
	for (int r = 0; r < ROUNDS; r++) {
		struct sim_config cfg;
		struct sim_result res;
		sim_config_init(&cfg);
		struct xlat_source *s;
		double t0 = bench_now();
		if (xlat_source_open(&s, path) < 0 || sim_run(&cfg, s, &res) < 0)
			bench_die(path);
		double t = bench_now() - t0;
		xlat_source_close(s);
		best = t < best ? t : best;
	}
	return best;
}

static const char *verdict(double ratio)
{
	return ratio < 2.6 ? "linear" : ratio < 3.3 ? "between linear and quadratic" : "SUPERLINEAR (quadratic?)";
}

int main(void)
{
	char p1[] = "/tmp/xlat-bench-switch-1x-XXXXXX", p2[] = "/tmp/xlat-bench-switch-2x-XXXXXX";
	int fd1 = mkstemp(p1), fd2 = mkstemp(p2);
	if (fd1 < 0 || fd2 < 0) {
		perror("bench_switch: mkstemp");
		return 1;
	}
	close(fd1);
	close(fd2);
	make_trace(p1, BASE_SWITCHES);
	make_trace(p2, 2 * BASE_SWITCHES);
	double in1 = input_time(p1, BASE_SWITCHES), in2 = input_time(p2, 2 * BASE_SWITCHES);
	printf("input layer (decode + asid set): 1x %.4f s, 2x %.4f s: ratio %.2f, %s\n", in1, in2,
	       in2 / in1, verdict(in2 / in1));
	double s1 = sim_time(p1), s2 = sim_time(p2);
	printf("xlat sim (native):               1x %.3f s, 2x %.3f s: ratio %.2f, %s\n", s1, s2,
	       s2 / s1, verdict(s2 / s1));
	printf("(1x = %u switches to distinct address spaces, each followed by a read; 2x = %u)\n",
	       BASE_SWITCHES, 2 * BASE_SWITCHES);
	unlink(p1);
	unlink(p2);
	return 0;
}
