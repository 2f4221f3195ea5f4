/*
 * Between the calibration study (calibrate.c: what to measure, the fit, the
 * model's predictions) and its host microbenchmarks (calibrate_host.c: how
 * to measure on Linux x86-64). Nothing here is public.
 */
#ifndef XLAT_STUDIES_CALIBRATE_INT_H
#define XLAT_STUDIES_CALIBRATE_INT_H

#include "xlat/cache.h"
#include "xlat/calibrate.h"

#define CALIBRATE_LINE 64u                  /* bytes; every x86-64 part we model */
#define CALIBRATE_LINES_PER_PAGE 64u

/* An anonymous mapping of `bytes`, 2 MiB aligned, backed by 4 KiB pages
 * (MADV_NOHUGEPAGE) or by THP (MADV_HUGEPAGE), every page faulted in:
 * with MADV_POPULATE_WRITE if `populate` (and the kernel has it), else by
 * a write to each 4 KiB page, as a program's first touch would. With a
 * budget (seconds, > 0), faulting in stops once it has taken that long
 * and the region is what was faulted in so far (r->bytes, a multiple of
 * 64 MiB or the whole). */
struct calh_region {
	char *base;
	size_t bytes;
	bool thp;
	double huge_fraction;         /* AnonHugePages / bytes after the touch; -1 unknown */
	double touch_ns;              /* faulting the whole region in */
};

/* 0 or -errno (with xlat_error()). */
int calh_region_map(struct calh_region *r, size_t bytes, bool thp, bool populate, double budget_s);
void calh_region_unmap(struct calh_region *r);
/* AnonHugePages of the mappings covering [addr, addr + bytes), as a fraction
 * of their size, from /proc/self/smaps; -1 if it cannot be read. */
double calh_smaps_huge(const void *addr, size_t bytes);
/* Of the first (up to 4096) pages of [addr, addr + bytes), the share of
 * neighbouring pages whose frames are neighbours too, from
 * /proc/self/pagemap; -1 if the frame numbers cannot be read (they read as
 * 0 without CAP_SYS_ADMIN). */
double calh_frames_consecutive(const void *addr, size_t bytes);

/* Chase chains: every visited line holds the address of the next one, in
 * one random cycle (Sattolo's algorithm), so each load depends on the one
 * before. Each returns the first line of the cycle, or NULL (-ENOMEM).
 *
 *  spread   `n` lines, one per 4 KiB page of base[0, n * 4 KiB); the line
 *           inside page i is chosen so that every 64 consecutive pages use
 *           each of the 64 line offsets once (no L1 set gets more than its
 *           share: its index is the line's offset in the page)
 *  packed   `n` lines: all of base[0, n * 64)
 *  pagewise pages of base[0, pages * 4 KiB) in a random order, `k` lines of
 *           each (one per 128-byte pair, at random, visited in a random
 *           order) before the next page: one TLB miss per k loads, and no
 *           line whose pair buddy the adjacent-line prefetcher could bring */
void *calh_build_spread(char *base, uint64_t n, uint64_t seed);
void *calh_build_packed(char *base, uint64_t n, uint64_t seed);
void *calh_build_pagewise(char *base, uint64_t pages, unsigned k, uint64_t seed);

/* Follows the chain from *p for `steps` loads (rounded up to 16); returns
 * the thread CPU time it took, in ns, and leaves *p where it stopped. */
double calh_chase(void **p, uint64_t steps);

/* Nanoseconds of thread CPU time (CLOCK_THREAD_CPUTIME_ID): time the
 * thread was not running on its vCPU is not counted. */
double calh_now_ns(void);

/* The core clock in GHz: a chain of `iters` x 64 dependent register adds
 * (one cycle each) against the thread CPU clock; *imul_ghz (may be NULL)
 * the same from a chain of dependent multiplies (three cycles each). */
double calh_clock_once(uint64_t iters, double *imul_ghz);

/* Pins the thread to one CPU (-1: the one it runs on); saves the old mask
 * for calh_unpin. Returns the CPU, or -errno. */
int calh_pin(int cpu);
void calh_unpin(void);

/* What the host says about itself (CPUID, DMI, /proc, /sys). */
void calh_host_info(struct calibrate_host *h);

/* What the model says about one chase, per load, in its steady state. */
struct calibrate_pred {
	double cycles;          /* per load: translation (TLB hits beyond L1 + walks)
	                         * plus the load's own line where the cache model
	                         * found it: what a chase's time per load is */
	double translation;     /* the translation cycles alone */
	double walks, refs, misses, tlb2;
	double where[PCACHE_LEVELS + 1];      /* walk references, per load */
	double data_where[PCACHE_LEVELS + 1]; /* the loads' own lines, per load */
};

/* Runs the model (xlat/sim.h) on the chase a measurement made: (a)
 * `spread` (one line per 4 KiB page, `pages` of them) or (b) packed (the
 * same number of lines, contiguous), natively or nested with 4 KiB host
 * pages, the OS mapping 4 KiB pages or THP; the region faulted in first,
 * in a random page order when `scattered` (its frames then scattered, as a
 * long-running kernel hands them out) or in address order (consecutive
 * frames); one whole cycle to warm up, then the steady state is counted.
 * 0 or -errno. */
int calibrate_model_point(const struct cpu_preset *cpu, bool nested, enum calibrate_backing bk, bool spread,
			  bool scattered, uint64_t pages, struct calibrate_pred *out);

/* The statistic of n (<= CALIBRATE_MAX_REPS) repetitions. */
void calh_stat(struct calibrate_stat *s, const double *v, unsigned n);
/* a - b, measured separately: medians subtract, interquartile ranges add
 * (the difference is no surer than both), lo/hi are the extremes. */
void calh_stat_diff(struct calibrate_stat *d, const struct calibrate_stat *a, const struct calibrate_stat *b);

#endif
