/*
 * The calibration study (xlat/calibrate.h): what to measure and in which
 * order, what the measurements say (knees, plateaus, verdicts), and the fit
 * of a preset whose predictions come from the model itself. The host
 * benchmarks are in calibrate_host.c; docs/calibrate.md explains it all
 * for users.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "studies/calibrate_int.h"
#include "xlat/parse.h"
#include "xlat/sim.h"
#include "xlat/workload.h"
#include "xlat/hv.h"
#include "xlat/phys.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define DEFAULT_MAX_MEM (4 * GiB)
#define QUICK_MAX_MEM (64 * MiB)
#define SERIES_MIN_PAGES 16            /* 64 KiB */
#define REACH_MIN_PAGES 8
#define REACH_MAX_PAGES 32768          /* 128 MiB: 16x any 4 KiB STLB reach we know */
#define QUICK_REACH_MAX_PAGES 4096
#define LAT_K 32                       /* lines per page in the latency chase */
#define LAT_MIN_SPAN (16 * KiB)
#define LAT_MAX_SPAN (512 * MiB)
#define WARM_MAX (4ULL << 20)          /* loads */
#define PREDICT_MAX_THREADS 8          /* the fit's model runs, at most this many at once */
#define MAP_BUDGET_S 10.0             /* seconds to fault in the big region, unless --max-mem */
#define FIT_MIN_CYCLES 1.0             /* measured translation cost below this is noise, not fitted */

static const char *const backing_names[] = { "4k", "thp" };

const char *calibrate_backing_name(enum calibrate_backing b)
{
	return (unsigned)b < CALIBRATE_BACKINGS ? backing_names[b] : "?";
}

void calibrate_options_init(struct calibrate_options *o)
{
	memset(o, 0, sizeof *o);
	o->cpu = -1;
	o->seed = 1;
}

static void note(struct calibrate_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct calibrate_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes == CALIBRATE_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], CALIBRATE_NOTE_LEN, fmt, ap);
	va_end(ap);
}

/* ---- measuring ------------------------------------------------------------------ */

struct run {
	struct calibrate_result *r;
	const struct calibrate_options *o;
	unsigned reps;
	double series_ns, reach_ns, lat_ns;   /* target time of one repetition */
	uint64_t region;                      /* bytes of the big region */
	uint64_t series_max, reach_max;       /* pages */
	double reach_step;
	uint64_t lat_max;                     /* bytes of span */
	unsigned done, total;                 /* progress, in points */
};

static void progress(struct run *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct run *u, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	if (!u->o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	u->o->progress(u->o->progress_ctx, what, u->done, u->total);
}

/* One chase chain, warmed, then `reps` timed runs: cycles per load in v. */
static void chase_values(struct run *u, void *start, uint64_t n, double target_ns, unsigned reps, double *v)
{
	void *p = start;
	uint64_t warm = n < 4096 ? 4096 : n > WARM_MAX ? WARM_MAX : n;
	double ns = calh_chase(&p, warm) / (double)((warm + 15) & ~15ULL);
	uint64_t steps = ns > 0 ? (uint64_t)(target_ns / ns) : 65536;

	if (steps < 2048)
		steps = 2048;
	if (steps > (1ULL << 26))
		steps = 1ULL << 26;
	steps = (steps + 15) & ~15ULL;
	for (unsigned i = 0; i < reps; i++)
		v[i] = calh_chase(&p, steps) / (double)steps * u->r->ghz;
}

/* The same, as a statistic over u->reps runs. */
static void chase_stat(struct run *u, void *start, uint64_t n, double target_ns, struct calibrate_stat *out)
{
	double v[CALIBRATE_MAX_REPS];

	chase_values(u, start, n, target_ns, u->reps, v);
	calh_stat(out, v, u->reps);
}

/* (a) n lines one per page of A against (b) n lines packed in B, `reps`
 * timed runs of each: cycles per load in va and vb. */
static int chase_pair_values(struct run *u, char *a, char *b, uint64_t n, double target_ns, unsigned reps,
			     double *va, double *vb)
{
	uint64_t seed = u->o->seed + n;
	void *pa = calh_build_spread(a, n, seed), *pb;

	if (!pa)
		return xlat_fail(-ENOMEM, "calibrate: out of memory building a chase of %llu lines",
				 (unsigned long long)n);
	chase_values(u, pa, n, target_ns, reps, va);
	pb = calh_build_packed(b, n, seed ^ 0x55);
	if (!pb)
		return xlat_fail(-ENOMEM, "calibrate: out of memory building a chase of %llu lines",
				 (unsigned long long)n);
	chase_values(u, pb, n, target_ns, reps, vb);
	return 0;
}

/* The same, as statistics: (a), (b) and (a) - (b). */
static int chase_pair(struct run *u, char *a, char *b, uint64_t n, double target_ns,
		      struct calibrate_stat *sa, struct calibrate_stat *sb, struct calibrate_stat *d)
{
	double va[CALIBRATE_MAX_REPS], vb[CALIBRATE_MAX_REPS];
	int rc = chase_pair_values(u, a, b, n, target_ns, u->reps, va, vb);

	if (rc)
		return rc;
	calh_stat(sa, va, u->reps);
	calh_stat(sb, vb, u->reps);
	calh_stat_diff(d, sa, sb);
	return 0;
}

static int measure_reach(struct run *u, char *a, char *b, enum calibrate_backing bk)
{
	struct calibrate_reach *rc = &u->r->reach[bk];
	uint64_t last = 0;
	int rc_ = 0;

	rc->n = 0;
	for (double x = REACH_MIN_PAGES; x <= (double)u->reach_max * 1.0001 && rc->n < CALIBRATE_MAX_REACH; x *= u->reach_step) {
		uint64_t p = (uint64_t)(x + 0.5);
		struct calibrate_stat sa, sb;
		if (p == last)
			continue;
		last = p;
		progress(u, "TLB reach, %s pages: %llu pages", calibrate_backing_name(bk), (unsigned long long)p);
		if ((rc_ = chase_pair(u, a, b, p, u->reach_ns, &sa, &sb, &rc->xlat[rc->n])))
			return rc_;
		rc->pages[rc->n++] = p;
		u->done++;
	}
	calibrate_find_knees(rc);
	return 0;
}

/* The series in rounds: each round measures every footprint once, (a)
 * and then (b), and the rounds follow one another. So a point's
 * repetitions are seconds apart, not milliseconds, and their spread shows
 * what the machine does to it over the run (another tenant filling the
 * shared L3 for a while, on a VM), which back-to-back repetitions hide;
 * and each repetition's (a) - (b) is taken from runs made moments apart. */
static int measure_series(struct run *u, char *a, char *b, enum calibrate_backing bk)
{
	struct calibrate_series *s = &u->r->series[bk];
	double va[CALIBRATE_MAX_SIZES][CALIBRATE_MAX_REPS], vb[CALIBRATE_MAX_SIZES][CALIBRATE_MAX_REPS];
	double d[CALIBRATE_MAX_REPS];
	char sz[32];
	int rc;

	s->n = 0;
	for (uint64_t p = SERIES_MIN_PAGES; p <= u->series_max && s->n < CALIBRATE_MAX_SIZES; p *= 2) {
		struct calibrate_point *pt = &s->pt[s->n++];
		memset(pt, 0, sizeof *pt);
		pt->pages = p;
		for (int i = 0; i < 2; i++)
			pt->pred[i] = pt->pred_miss[i] = -1;
	}
	for (unsigned round = 0; round < u->reps; round++)
		for (unsigned i = 0; i < s->n; i++) {
			struct calibrate_point *pt = &s->pt[i];
			xlat_parse_size_str(pt->pages * XLAT_PAGE_SIZE, sz, sizeof sz);
			progress(u, "chase, %s pages: %s (round %u of %u)", calibrate_backing_name(bk), sz, round + 1,
				 u->reps);
			if ((rc = chase_pair_values(u, a, b, pt->pages, u->series_ns, 1, &va[i][round], &vb[i][round])))
				return rc;
			u->done++;
		}
	for (unsigned i = 0; i < s->n; i++) {
		struct calibrate_point *pt = &s->pt[i];
		calh_stat(&pt->spread, va[i], u->reps);
		calh_stat(&pt->packed, vb[i], u->reps);
		for (unsigned k = 0; k < u->reps; k++)
			d[k] = va[i][k] - vb[i][k];
		calh_stat(&pt->xlat, d, u->reps);
	}
	return 0;
}

/* Load latency against the span of the chased pages (LAT_K lines of each). */
struct lat_curve {
	unsigned n;
	uint64_t span[40];
	struct calibrate_stat lat[40];
	enum calibrate_backing backing;
};

static int measure_latency(struct run *u, char *a, struct lat_curve *c, enum calibrate_backing bk)
{
	c->n = 0;
	c->backing = bk;
	for (double s = LAT_MIN_SPAN; s <= (double)u->lat_max * 1.0001 && c->n < 40; s *= M_SQRT2) {
		uint64_t pages = (uint64_t)(s / XLAT_PAGE_SIZE + 0.5);
		char sz[32];
		if (pages < 2)
			continue;
		xlat_parse_size_str(pages * XLAT_PAGE_SIZE, sz, sizeof sz);
		progress(u, "cache latency: %s of pages", sz);
		void *p = calh_build_pagewise(a, pages, LAT_K, u->o->seed + pages);
		if (!p)
			return xlat_fail(-ENOMEM, "calibrate: out of memory building a latency chase");
		chase_stat(u, p, pages * LAT_K, u->lat_ns, &c->lat[c->n]);
		c->span[c->n++] = pages * XLAT_PAGE_SIZE;
		u->done++;
	}
	return 0;
}

static int measure_faults(struct run *u)
{
	struct calibrate_result *r = u->r;
	unsigned n = u->reps;
	double v[CALIBRATE_MAX_REPS], hf = 0;
	const size_t small = u->o->quick ? 4 * MiB : 8 * MiB;     /* 4 KiB pages */
	const size_t huge = u->o->quick ? 8 * MiB : 16 * MiB;     /* THPs */
	struct calh_region g;
	int rc;

	progress(u, "first-touch faults, 4 KiB pages");
	for (unsigned i = 0; i < n; i++) {
		if ((rc = calh_region_map(&g, small, false, false, 0)))
			return rc;
		v[i] = g.touch_ns / (double)(small / XLAT_PAGE_SIZE) * r->ghz;
		calh_region_unmap(&g);
	}
	calh_stat(&r->fault[0], v, n);
	u->done++;
	if (!r->thp_measured)
		return 0;
	progress(u, "first-touch faults, THP");
	for (unsigned i = 0; i < n; i++) {
		if ((rc = calh_region_map(&g, huge, true, false, 0)))
			return rc;
		v[i] = g.touch_ns / (double)(huge / XLAT_SIZE_2M) * r->ghz;
		hf += g.huge_fraction > 0 ? g.huge_fraction : 0;
		calh_region_unmap(&g);
	}
	calh_stat(&r->fault[1], v, n);
	r->fault_huge_fraction = hf / n;
	u->done++;
	return 0;
}

/* ---- analysis ---------------------------------------------------------------------- */

/*
 * A rising staircase y(x), x increasing: level[0] is where it starts; a
 * step begins at the first point above the current level by more than
 * max(abs, rel x level), confirmed by the next point; it ends where the
 * rise flattens (the next point rises by less than rel/4 x y + abs/4), and
 * the new level is the median of the three points from there. The knee is
 * where y crosses half-way between the two levels, interpolated in log x
 * (for a TLB: the entries an LRU array of the same reach would have).
 * from[k] is the first point of level k. Returns the number of steps.
 */
static unsigned staircase(const double *x, const double *y, unsigned n, double abs_jump, double rel_jump,
			  unsigned max, double *knee, double *level, unsigned *from)
{
	double t[3] = { 0 }, lvl;
	unsigned k = 0, i;

	if (n == 0)
		return 0;
	for (i = 0; i < 3 && i < n; i++)
		t[i] = y[i];
	if (i == 3) {
		double a = t[0], b = t[1], c = t[2];
		lvl = a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
	} else {
		lvl = t[0];
	}
	level[0] = lvl;
	from[0] = 0;
	for (i = 1; i < n && k < max;) {
		double thr = lvl + fmax(abs_jump, rel_jump * fabs(lvl));
		if (!(y[i] > thr && (i + 1 == n || y[i + 1] > thr))) {
			i++;
			continue;
		}
		unsigned j = i;
		while (j + 1 < n && y[j + 1] > y[j] * (1 + rel_jump / 4) + abs_jump / 4)
			j++;
		double nl;
		if (j + 2 < n) {
			double a = y[j], b = y[j + 1], c = y[j + 2];
			nl = a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
		} else {
			nl = y[j];
		}
		if (nl < y[i])
			nl = y[i];
		double mid = (lvl + nl) / 2;
		/* A TLB's step stays: if the next five points' median falls
		 * back below half-way, it was a burst of noise. */
		double next[5];
		unsigned after = 0;
		for (unsigned m = j + 1; m < n && after < 5; m++)
			next[after++] = y[m];
		for (unsigned x1 = 1; x1 < after; x1++)
			for (unsigned x2 = x1; x2 > 0 && next[x2 - 1] > next[x2]; x2--) {
				double tmp = next[x2];
				next[x2] = next[x2 - 1];
				next[x2 - 1] = tmp;
			}
		if (after && next[after / 2] < mid) {
			i++;
			continue;
		}
		double kx = x[i];
		for (unsigned m = i; m >= 1 && m <= j; m++)
			if (y[m - 1] < mid && y[m] >= mid) {
				double f = (mid - y[m - 1]) / (y[m] - y[m - 1]);
				kx = exp(log(x[m - 1]) + f * (log(x[m]) - log(x[m - 1])));
				break;
			}
		knee[k] = kx;
		level[k + 1] = nl;
		from[k + 1] = j;
		k++;
		lvl = nl;
		i = j + 1;
	}
	return k;
}

void calibrate_find_knees(struct calibrate_reach *rc)
{
	double x[CALIBRATE_MAX_REACH], y[CALIBRATE_MAX_REACH], knee[2] = { 0 }, level[3] = { 0 };
	unsigned from[3], n = 0;

	/* A TLB's step is there at every repetition; a burst of noise (another
	 * tenant's, on a VM) moves some repetitions and not others. Points
	 * whose repetitions spread by more than a cycle and 20 % are left out,
	 * so that two noisy points in a row do not make a step that the points
	 * after them do not keep. */
	for (unsigned i = 0; i < rc->n; i++) {
		const struct calibrate_stat *st = &rc->xlat[i];
		if (st->spread * fabs(st->median) > fmax(1.0, 0.2 * fabs(st->median)))
			continue;
		x[n] = (double)rc->pages[i];
		y[n++] = st->median;
	}
	/* An STLB hit costs 5 or more cycles on every part we know, a walk
	 * more: steps of 2.5 cycles and 50 % are real. */
	unsigned k = staircase(x, y, n, 2.5, 0.5, 2, knee, level, from);
	rc->knee[0] = k > 0 ? (uint64_t)(knee[0] + 0.5) : 0;
	rc->knee[1] = k > 1 ? (uint64_t)(knee[1] + 0.5) : 0;
	for (unsigned i = 0; i < 3; i++)
		rc->level[i] = i <= k ? level[i] : 0;
}

enum calibrate_huge_reach calibrate_huge_reach(const struct calibrate_reach *r4k, const struct calibrate_reach *rthp, double huge_fraction)
{
	/* With 2 MiB reach the THP sweep's first step comes 512x later than
	 * the 4 KiB one's (or not in the sweep at all); without it, at the
	 * same place. Only a clear answer either way is an answer. */
	if (!r4k->knee[0] || !rthp->n || huge_fraction < 0.9)
		return CALIBRATE_HUGE_UNKNOWN;
	if (rthp->knee[0] && rthp->knee[0] <= 2 * r4k->knee[0])
		return CALIBRATE_HUGE_NO;
	if (!rthp->knee[0] || rthp->knee[0] >= 4 * r4k->knee[0])
		return CALIBRATE_HUGE_YES;
	return CALIBRATE_HUGE_UNKNOWN;
}

/* Translation cycles per load of a series at `pages`, interpolated in log
 * pages; -1 outside the series. */
static double series_at(const struct calibrate_series *s, double pages)
{
	for (unsigned i = 0; i + 1 < s->n; i++)
		if (s->pt[i].pages <= pages && pages <= s->pt[i + 1].pages) {
			double f = log(pages / (double)s->pt[i].pages) / log((double)s->pt[i + 1].pages / (double)s->pt[i].pages);
			double v = s->pt[i].xlat.median + f * (s->pt[i + 1].xlat.median - s->pt[i].xlat.median);
			return v > 0 ? v : 0;
		}
	return -1;
}

/* The point of c[lo, hi) whose latency is the median of theirs; -1 if
 * the range is empty. */
static int median_point(const struct lat_curve *c, unsigned lo, unsigned hi)
{
	int best = -1;
	for (unsigned i = lo; i < hi; i++) {
		unsigned below = 0, above = 0;
		for (unsigned j = lo; j < hi; j++) {
			below += c->lat[j].median < c->lat[i].median;
			above += c->lat[j].median > c->lat[i].median;
		}
		if (2 * below <= hi - lo && 2 * above <= hi - lo) {
			best = (int)i;
			break;
		}
	}
	return best;
}

static void take_latency(struct calibrate_result *r, const struct lat_curve *c, int level, int i)
{
	if (i < 0)
		return;
	r->lat[level] = c->lat[i];
	r->lat_bytes[level] = c->span[i];
	/* One load in LAT_K starts a page: take away that share of the
	 * translation cost the series measured at the same span. */
	double w = series_at(&r->series[c->backing], (double)(c->span[i] / XLAT_PAGE_SIZE));
	if (w > 0) {
		r->lat_walk_share[level] = w / LAT_K;
		r->lat[level].median -= w / LAT_K;
		r->lat[level].lo -= w / LAT_K;
		r->lat[level].hi -= w / LAT_K;
	}
}

/*
 * Latencies from the sweep, anchored on the sizes the OS reports (which
 * are right for L1 and L2; the L3 a VM's thread gets may not be): L1D is
 * the median of the points within it, L2 of those well past L1D and well
 * within L2; past twice the L2 the curve is a plateau (L3) and one step
 * (memory), whose half-way point is the L3 capacity this thread gets.
 * The spans are of pages with half their lines loaded, one of each
 * 128-byte pair: an adjacent-line prefetcher (Intel) fills the other half,
 * so a span equals the bytes the caches hold.
 */
static void analyse_latency(struct calibrate_result *r, const struct lat_curve *c)
{
	uint64_t l1 = r->host.cache_bytes[0] ? r->host.cache_bytes[0] : 32 * KiB;
	uint64_t l2 = r->host.cache_bytes[1] ? r->host.cache_bytes[1] : 512 * KiB;
	uint64_t l3 = r->host.cache_bytes[2] ? r->host.cache_bytes[2] : 32 * MiB;
	unsigned a = 0, b, from = c->n;
	char x[32], y[32];

	while (a < c->n && c->span[a] <= l1)
		a++;
	take_latency(r, c, 0, median_point(c, 0, a));
	for (a = 0; a < c->n && c->span[a] < 4 * l1; a++)
		;
	for (b = a; b < c->n && c->span[b] <= l2 / 2; b++)
		;
	take_latency(r, c, 1, median_point(c, a, b));

	for (unsigned i = 0; i < c->n; i++)
		if (c->span[i] >= 2 * l2) {
			from = i;
			break;
		}
	if (from + 3 > c->n) {
		note(r, "The latency sweep stopped before twice the L2: L3 and memory latency keep the base "
		     "preset's values.");
		return;
	}
	double xs[40], ys[40], knee[1] = { 0 }, level[2] = { 0 };
	unsigned lfrom[2], n = c->n - from;
	for (unsigned i = 0; i < n; i++) {
		xs[i] = (double)c->span[from + i];
		ys[i] = c->lat[from + i].median;
	}
	if (staircase(xs, ys, n, 3.0, 0.5, 1, knee, level, lfrom)) {
		/* The L3 plateau: its points within 25 % of its level. */
		unsigned end = from;
		while (end < from + lfrom[1] && fabs(c->lat[end].median - level[0]) <= 0.25 * level[0])
			end++;
		take_latency(r, c, 2, median_point(c, from, end > from ? end : from + 1));
		take_latency(r, c, 3, median_point(c, from + lfrom[1], c->n));
		r->llc_knee = (uint64_t)knee[0];
		if (r->host.cache_bytes[2] && r->llc_knee * 2 < r->host.cache_bytes[2])
			note(r, "The OS reports a %s L3, but loads reach memory latency beyond about %s of pages: this "
			     "thread gets only part of the L3 (other tenants, or cache partitioning). The fit starts "
			     "from the measured size (cache.llc.size says what it kept).", (xlat_parse_size_str(l3, x, sizeof x), x),
			     (xlat_parse_size_str(xlat_align_down(r->llc_knee, MiB) ? xlat_align_down(r->llc_knee, MiB) : r->llc_knee,
					     y, sizeof y), y));
	} else if (c->span[c->n - 1] >= 4 * l3) {
		/* One plateau reaching far past the L3: memory all along (an
		 * L3 this thread does not get, or none). */
		for (a = from; a < c->n && c->span[a] < 2 * l3; a++)
			;
		take_latency(r, c, 3, median_point(c, a, c->n));
		note(r, "Past the L2, loads cost the same up to %s of pages: no L3 was seen. Its latency keeps the "
		     "base preset's value.", (xlat_parse_size_str(c->span[c->n - 1], x, sizeof x), x));
	} else {
		take_latency(r, c, 2, median_point(c, from, c->n));
		note(r, "The latency sweep ended at %s of pages without reaching memory: memory latency keeps the "
		     "base preset's value.", (xlat_parse_size_str(c->span[c->n - 1], x, sizeof x), x));
	}
}

static void analyse(struct run *u, const struct lat_curve *lc)
{
	struct calibrate_result *r = u->r;
	const struct calibrate_reach *r4 = &r->reach[CALIBRATE_4K], *rh = &r->reach[CALIBRATE_THP];
	const struct calibrate_host *h = &r->host;

	if (lc->n)
		analyse_latency(r, lc);

	if (h->is_vm) {
		char sig[160] = "";
		size_t n = 0;
		if (h->hypervisor)
			n += (size_t)snprintf(sig + n, sizeof sig - n, "the CPUID hypervisor bit%s%s%s",
					      h->hv_signature[0] ? " with signature '" : "", h->hv_signature,
					      h->hv_signature[0] ? "'" : "");
		if (h->cpuinfo_hypervisor && n < sizeof sig)
			n += (size_t)snprintf(sig + n, sizeof sig - n, "%sthe hypervisor flag in /proc/cpuinfo", n ? ", " : "");
		if ((h->dmi_vendor[0] || h->dmi_product[0]) && n < sizeof sig)
			snprintf(sig + n, sizeof sig - n, "%sDMI '%s %s'", n ? ", " : "", h->dmi_vendor, h->dmi_product);
		note(r, "This machine is a virtual machine (%s). A TLB miss here walks the guest's tables and the "
		     "hypervisor's, and a first touch may include the hypervisor's own fault: the figures and the "
		     "calibrated preset describe this VM, not the bare CPU.", sig);
	}

	/* Do 2 MiB pages give 2 MiB reach? With it, the THP sweep's first step
	 * comes 512x later (or not at all in the sweep); without it, where the
	 * 4 KiB one's does. */
	r->huge_reach = CALIBRATE_HUGE_UNKNOWN;
	if (r->thp_measured && r4->knee[0]) {
		double hf = r->series[CALIBRATE_THP].huge_fraction;
		r->huge_reach = calibrate_huge_reach(r4, rh, hf);
		const struct calibrate_series *s4 = &r->series[CALIBRATE_4K], *sh = &r->series[CALIBRATE_THP];
		char thp_effect[160] = "";
		if (s4->n && sh->n) {
			/* The largest footprint measured stably with both backings. */
			unsigned i = s4->n < sh->n ? s4->n - 1 : sh->n - 1;
			while (i > 0 && !(calibrate_stable(&s4->pt[i].xlat) && calibrate_stable(&sh->pt[i].xlat)))
				i--;
			const struct calibrate_point *p4 = &s4->pt[i], *ph = &sh->pt[i];
			char sz[32];
			xlat_parse_size_str(p4->pages * XLAT_PAGE_SIZE, sz, sizeof sz);
			if (p4->pages == ph->pages && p4->xlat.median > 0)
				snprintf(thp_effect, sizeof thp_effect,
					 " At %s, translation costs %.0f cycles per load with THP against %.0f with 4 KiB "
					 "pages (%+.0f %%).", sz, ph->xlat.median, p4->xlat.median,
					 100.0 * (ph->xlat.median / p4->xlat.median - 1));
		}
		if (r->huge_reach == CALIBRATE_HUGE_NO)
			note(r, "2 MiB pages do NOT give 2 MiB TLB reach here: with THP (AnonHugePages %.0f %% of the "
			     "chased memory) the reach sweep steps up at %llu and %llu 4 KiB pages, as with 4 KiB pages "
			     "(%llu and %llu).%s%s", 100 * hf,
			     (unsigned long long)rh->knee[0], (unsigned long long)rh->knee[1],
			     (unsigned long long)r4->knee[0], (unsigned long long)r4->knee[1],
			     h->is_vm ? " The hypervisor maps this guest's memory with 4 KiB pages, so the TLB holds 4 KiB "
					"pieces of each 2 MiB guest page; THP only shortens the walk. The calibrated model "
					"is nested paging with 4 KiB host pages (its preset file says mode = nested, "
					"host_page_policy = 4k)."
				      : " This host is not a VM as far as it can tell, so the reason is unknown.",
			     thp_effect);
		else if (r->huge_reach == CALIBRATE_HUGE_YES)
			note(r, "2 MiB pages give 2 MiB TLB reach here: with THP the reach sweep %s.%s",
			     rh->knee[0] ? "steps up far later than with 4 KiB pages" : "shows no step at all", thp_effect);
		else
			note(r, "Whether 2 MiB pages give 2 MiB TLB reach here is unclear (THP sweep steps at %llu pages, "
			     "4 KiB at %llu; AnonHugePages %.0f %%).", (unsigned long long)rh->knee[0],
			     (unsigned long long)r4->knee[0], 100 * hf);
	}

	unsigned unstable = 0, all = 0;
	for (int b = 0; b < CALIBRATE_BACKINGS; b++)
		for (unsigned i = 0; i < r->series[b].n; i++) {
			const struct calibrate_stat *s = &r->series[b].pt[i].xlat;
			if (fabs(s->median) < FIT_MIN_CYCLES)
				continue;
			all++;
			unstable += !calibrate_stable(s);
		}
	if (unstable)
		note(r, "%u of %u chase points with a measurable translation cost were unstable (spread >= %.0f %%): "
		     "the machine was busy or the point sits on a knee. They are shown, not fitted.",
		     unstable, all, 100 * CALIBRATE_UNSTABLE);
	if (r->clock_imul > 0 && fabs(r->clock_imul / r->ghz - 1) > 0.1)
		note(r, "The add chain (%.2f GHz) and the multiply chain (%.2f GHz) disagree: cycle figures are "
		     "uncertain by that much.", r->ghz, r->clock_imul);
}

int calibrate_measure(const struct calibrate_options *opts, struct calibrate_result *res)
{
#if !defined(__x86_64__) || !defined(__linux__)
	(void)opts;
	memset(res, 0, sizeof *res);
	return xlat_fail(-ENOTSUP, "calibrate: the microbenchmarks need Linux on x86-64");
#else
	struct calibrate_options def;
	struct run u = { 0 };
	struct lat_curve *lc = calloc(1, sizeof *lc);
	struct calh_region A = { 0 }, B = { 0 };
	struct timespec w0, w1;
	double g[CALIBRATE_MAX_REPS], gi[CALIBRATE_MAX_REPS];
	int rc = 0;

	if (!lc)
		return xlat_fail(-ENOMEM, "calibrate: out of memory");
	if (!opts) {
		calibrate_options_init(&def);
		opts = &def;
	}
	clock_gettime(CLOCK_MONOTONIC, &w0);
	memset(res, 0, sizeof *res);
	res->opts = *opts;
	res->opts.progress = NULL;
	res->opts.progress_ctx = NULL;
	res->huge_reach = CALIBRATE_HUGE_UNKNOWN;
	calh_host_info(&res->host);
	u.r = res;
	u.o = opts;
	u.reps = opts->reps ? opts->reps : opts->quick ? 3 : 5;
	if (u.reps > CALIBRATE_MAX_REPS)
		u.reps = CALIBRATE_MAX_REPS;
	if (u.reps < 3)
		u.reps = 3;
	u.series_ns = opts->quick ? 0.4e6 : 2e6;
	u.reach_ns = opts->quick ? 0.2e6 : 0.8e6;
	u.lat_ns = opts->quick ? 0.3e6 : 1.5e6;
	u.reach_step = opts->quick ? M_SQRT2 : pow(2, 0.25);
	uint64_t max = opts->max_mem;
	if (!max) {
		max = opts->quick ? QUICK_MAX_MEM : DEFAULT_MAX_MEM;
		if (res->host.mem_available && max > res->host.mem_available / 4)
			max = res->host.mem_available / 4;
	}
	if (opts->max_mem && res->host.mem_available && max > res->host.mem_available / 10 * 8) {
		char a[32], b[32];
		xlat_parse_size_str(max, a, sizeof a);
		xlat_parse_size_str(res->host.mem_available, b, sizeof b);
		rc = xlat_fail(-EINVAL, "calibrate: --max-mem %s is more than 80 %% of MemAvailable (%s): the "
			       "chase regions would push the machine into reclaim or the OOM killer", a, b);
		goto out;
	}
	if (max < 4 * MiB) {
		rc = xlat_fail(-EINVAL, "calibrate: --max-mem of %llu bytes is too small (at least 4 MiB)",
			       (unsigned long long)max);
		goto out;
	}
	u.series_max = 1;
	while (u.series_max * 2 * XLAT_PAGE_SIZE <= max)
		u.series_max *= 2;
	u.reach_max = opts->quick ? QUICK_REACH_MAX_PAGES : REACH_MAX_PAGES;
	while (u.reach_max * XLAT_PAGE_SIZE > max)
		u.reach_max /= 2;
	u.region = u.series_max * XLAT_PAGE_SIZE;
	if (u.reach_max * XLAT_PAGE_SIZE > u.region)
		u.region = u.reach_max * XLAT_PAGE_SIZE;
	u.lat_max = opts->quick ? 32 * MiB : LAT_MAX_SPAN;
	if (u.lat_max > u.region)
		u.lat_max = u.region;
	if (!opts->max_mem && res->host.mem_available && max < (opts->quick ? QUICK_MAX_MEM : DEFAULT_MAX_MEM)) {
		char a[32], b[32];
		xlat_parse_size_str(u.region, a, sizeof a);
		xlat_parse_size_str(res->host.mem_available, b, sizeof b);
		note(res, "Footprints stop at %s: a quarter of MemAvailable (%s).", a, b);
	}

	bool thp_ok = !opts->no_thp && strcmp(res->host.thp_enabled, "never") && res->host.thp_enabled[0] &&
		      strcmp(res->host.thp_enabled, "unknown");
	if (!opts->no_thp && !thp_ok)
		note(res, "THP could not be obtained: /sys/kernel/mm/transparent_hugepage/enabled is '%s'. Only 4 KiB "
		     "pages were measured.", res->host.thp_enabled[0] ? res->host.thp_enabled : "missing");

	/* Points, for the progress line. */
	unsigned nreach = 0, nseries = 0, nlat = 0;
	for (double x = REACH_MIN_PAGES, last = 0; x <= (double)u.reach_max * 1.0001; x *= u.reach_step)
		if ((uint64_t)(x + 0.5) != (uint64_t)(last + 0.5))
			nreach++, last = x;
	for (uint64_t p = SERIES_MIN_PAGES; p <= u.series_max; p *= 2)
		nseries++;
	for (double s = LAT_MIN_SPAN; s <= (double)u.lat_max * 1.0001; s *= M_SQRT2)
		nlat++;
	u.total = 1 + (nreach + nseries * u.reps) * (thp_ok ? 2 : 1) + nlat + (thp_ok ? 2 : 1);

	rc = calh_pin(opts->cpu);
	if (rc < 0)
		goto out;
	res->host.cpu = rc;
	rc = 0;

	/* The clock: spin first, so a core that boosts has boosted. */
	progress(&u, "core clock");
	for (double t0 = calh_now_ns(); calh_now_ns() - t0 < 30e6;)
		calh_clock_once(20000, NULL);
	for (unsigned i = 0; i < u.reps + 2 && i < CALIBRATE_MAX_REPS; i++)
		g[i] = calh_clock_once(40000, &gi[i]);
	calh_stat(&res->clock, g, u.reps + 2);
	{
		struct calibrate_stat si;
		calh_stat(&si, gi, u.reps + 2);
		res->clock_imul = si.median;
	}
	res->ghz = res->clock.median;
	if (!(res->ghz > 0.1)) {
		rc = xlat_fail(-EIO, "calibrate: the clock measurement failed (%.3g GHz)", res->ghz);
		goto out;
	}
	u.done++;

	/* THP first: what munmap frees is then reused by the 4 KiB pass while
	 * it is still backed by the hypervisor (a VM that hands free memory
	 * back, by free page reporting, pays its host faults only once). */
	static const enum calibrate_backing order[] = { CALIBRATE_THP, CALIBRATE_4K };
	for (int oi = 0; oi < CALIBRATE_BACKINGS; oi++) {
		enum calibrate_backing bk = order[oi];
		bool thp = bk == CALIBRATE_THP;
		if (thp && !thp_ok)
			continue;
		progress(&u, "mapping %s pages", calibrate_backing_name(bk));
		if ((rc = calh_region_map(&B, xlat_align_up(u.region / CALIBRATE_LINES_PER_PAGE, XLAT_SIZE_2M), thp, true, 0)) ||
		    (rc = calh_region_map(&A, u.region, thp, true, opts->max_mem ? 0 : MAP_BUDGET_S)))
			goto out;
		if (A.bytes < u.region) {
			/* Faulting in ran out of time: stop the series where it did. */
			char a[32], b[32];
			xlat_parse_size_str(u.region, a, sizeof a);
			while (u.series_max > SERIES_MIN_PAGES && u.series_max * XLAT_PAGE_SIZE > A.bytes)
				u.series_max /= 2;
			while (u.reach_max > REACH_MIN_PAGES && u.reach_max * XLAT_PAGE_SIZE > A.bytes)
				u.reach_max /= 2;
			if (u.lat_max > A.bytes)
				u.lat_max = A.bytes;
			u.region = u.series_max * XLAT_PAGE_SIZE > u.reach_max * XLAT_PAGE_SIZE ?
				   u.series_max * XLAT_PAGE_SIZE : u.reach_max * XLAT_PAGE_SIZE;
			xlat_parse_size_str(u.region, b, sizeof b);
			note(res, "Faulting in %s of %s pages took more than %.0f s (the hypervisor backing each page "
			     "afresh?): footprints stop at %s. Give --max-mem to insist.", a, calibrate_backing_name(bk),
			     MAP_BUDGET_S, b);
		}
		double hf = fmin(A.huge_fraction, B.huge_fraction);
		res->series[bk].huge_fraction = hf > 0 ? hf : 0;
		double fc = res->series[bk].frames_consecutive = calh_frames_consecutive(A.base, A.bytes);
		if (!thp && fc >= 0)
			note(res, "The 4 KiB pages of the chase region got %s frames: %.0f %% of neighbouring pages are on "
			     "neighbouring frames (/proc/self/pagemap). The model's regions get frames alike: %s "
			     "(on a VM, spread guest frames put the host's leaf entries on more lines).",
			     fc > 0.5 ? "mostly consecutive" : "scattered", 100 * fc,
			     fc > 0.5 ? "faulted in address order" :
			     "spread over eight times as many frames and faulted in a random order");
		else if (!thp)
			note(res, "The frames of the chase region could not be read (/proc/self/pagemap shows frame "
			     "numbers to CAP_SYS_ADMIN only): the model's regions get scattered frames, as a kernel "
			     "that has run for a while hands them out.");
		if (!thp && A.huge_fraction > 0.01)
			note(res, "The 4 KiB-page regions were %.0f %% huge pages despite MADV_NOHUGEPAGE: the 4 KiB "
			     "figures are mixed.", 100 * A.huge_fraction);
		if (thp && hf < 0.5) {
			note(res, "THP could not be obtained: AnonHugePages covered %s of the memory asked for with "
			     "MADV_HUGEPAGE (enabled '%s', defrag '%s'). Only 4 KiB pages were measured.",
			     hf < 0 ? "an unknown share (no /proc/self/smaps)" : hf < 0.005 ? "none" : "too little",
			     res->host.thp_enabled, res->host.thp_defrag);
			calh_region_unmap(&A);
			calh_region_unmap(&B);
			u.done += nreach + nseries * u.reps;
			continue;
		}
		if (thp)
			res->thp_measured = true;
		if ((rc = measure_reach(&u, A.base, B.base, bk)) ||
		    (rc = measure_series(&u, A.base, B.base, bk)))
			goto out;
		/* The latency sweep on the backing with the fewest walks per page
		 * change: THP when there is THP. */
		if (thp || !res->thp_measured) {
			if ((rc = measure_latency(&u, A.base, lc, bk)))
				goto out;
		}
		calh_region_unmap(&A);
		calh_region_unmap(&B);
	}
	if ((rc = measure_faults(&u)))
		goto out;
	analyse(&u, lc);
	u.done = u.total;
	progress(&u, "done");
out:
	calh_region_unmap(&A);
	calh_region_unmap(&B);
	calh_unpin();
	free(lc);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	res->seconds = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
	return rc;
#endif
}

int calibrate_run(const struct calibrate_options *opts, struct calibrate_result *res)
{
	int rc = calibrate_measure(opts, res);
	return rc ? rc : calibrate_fit(res, opts);
}

/* ---- the closest built-in preset ------------------------------------------------------ */

/* CPUID display family/model -> preset. Sources: Intel SDM vol. 4 table
 * 2-1 (CPUID signatures of each microarchitecture); AMD's family
 * numbering (17h Zen-Zen 2, 19h Zen 3-Zen 4, 1Ah Zen 5) from the AMD
 * Software Optimization Guides and Processor Programming References. */
static const struct cpu_map {
	const char *vendor;
	unsigned family, lo, hi;        /* model range, inclusive */
	const char *preset, *fallback;  /* fallback: when the preset is not built in */
	const char *what;
} cpu_map[] = {
	{ "GenuineIntel", 6, 0x4e, 0x4e, "skylake", NULL, "Skylake client" },
	{ "GenuineIntel", 6, 0x5e, 0x5e, "skylake", NULL, "Skylake client" },
	{ "GenuineIntel", 6, 0x8e, 0x8e, "skylake", NULL, "Kaby/Coffee/Whiskey Lake (Skylake core)" },
	{ "GenuineIntel", 6, 0x9e, 0x9e, "skylake", NULL, "Kaby/Coffee Lake (Skylake core)" },
	{ "GenuineIntel", 6, 0xa5, 0xa6, "skylake", NULL, "Comet Lake (Skylake core)" },
	{ "GenuineIntel", 6, 0x55, 0x55, "skylake-sp", NULL, "Skylake-SP / Cascade Lake / Cooper Lake" },
	{ "GenuineIntel", 6, 0x6a, 0x6c, "icelake", NULL, "Ice Lake server (Sunny Cove)" },
	{ "GenuineIntel", 6, 0x7d, 0x7e, "icelake", NULL, "Ice Lake client (Sunny Cove)" },
	{ "GenuineIntel", 6, 0x8c, 0x8d, "icelake", NULL, "Tiger Lake (Willow Cove, Sunny Cove's TLBs)" },
	{ "GenuineIntel", 6, 0x8f, 0x8f, "sapphirerapids", NULL, "Sapphire Rapids (Golden Cove)" },
	{ "GenuineIntel", 6, 0xcf, 0xcf, "sapphirerapids", NULL, "Emerald Rapids (Raptor Cove, Golden Cove's TLBs)" },
	{ "GenuineIntel", 6, 0x97, 0x9a, "sapphirerapids", NULL, "Alder Lake (Golden Cove P-cores)" },
	{ "GenuineIntel", 6, 0xb7, 0xb7, "sapphirerapids", NULL, "Raptor Lake (Raptor Cove P-cores)" },
	{ "GenuineIntel", 6, 0xba, 0xba, "sapphirerapids", NULL, "Raptor Lake (Raptor Cove P-cores)" },
	{ "GenuineIntel", 6, 0xbf, 0xbf, "sapphirerapids", NULL, "Raptor Lake (Raptor Cove P-cores)" },
	{ "GenuineIntel", 6, 0xad, 0xae, "sapphirerapids", NULL, "Granite Rapids (Redwood Cove; no closer preset)" },
	{ "AuthenticAMD", 0x17, 0x00, 0xff, "zen2", NULL, "family 17h (Zen, Zen+, Zen 2)" },
	{ "AuthenticAMD", 0x19, 0x10, 0x1f, "zen4", NULL, "family 19h Zen 4 (Genoa, Raphael)" },
	{ "AuthenticAMD", 0x19, 0x60, 0x7f, "zen4", NULL, "family 19h Zen 4 (Raphael, Phoenix)" },
	{ "AuthenticAMD", 0x19, 0xa0, 0xaf, "zen4", NULL, "family 19h Zen 4 (Bergamo, Siena)" },
	{ "AuthenticAMD", 0x19, 0x00, 0xff, "zen3", NULL, "family 19h Zen 3" },
	{ "AuthenticAMD", 0x1a, 0x00, 0xff, "zen5", "zen4", "family 1Ah (Zen 5)" },
};

const struct cpu_preset *calibrate_closest_preset(const struct calibrate_host *h, char *why, size_t len)
{
	const struct cpu_preset *p;
	char err[256];

	snprintf(err, sizeof err, "%s", xlat_error());   /* lookups below may overwrite it */
	for (size_t i = 0; i < sizeof cpu_map / sizeof cpu_map[0]; i++) {
		const struct cpu_map *m = &cpu_map[i];
		if (strcmp(h->vendor, m->vendor) || h->family != m->family || h->model < m->lo || h->model > m->hi)
			continue;
		p = cpu_preset_by_name(m->preset);
		if (!p && m->fallback) {
			p = cpu_preset_by_name(m->fallback);
			if (p && why)
				snprintf(why, len, "CPUID family %#x model %#x: %s; no %s preset yet, %s is the closest",
					 h->family, h->model, m->what, m->preset, p->name);
		} else if (p && why) {
			snprintf(why, len, "CPUID family %#x model %#x: %s", h->family, h->model, m->what);
		}
		if (p) {
			xlat_fail(0, "%s", err);
			return p;
		}
	}
	/* Unknown models: the newest preset of the vendor. */
	if (!strcmp(h->vendor, "AuthenticAMD") && h->family >= 0x1a)
		p = cpu_preset_by_name("zen5") ? cpu_preset_by_name("zen5") : cpu_preset_by_name("zen4");
	else if (!strcmp(h->vendor, "AuthenticAMD"))
		p = cpu_preset_by_name("zen4");
	else if (!strcmp(h->vendor, "GenuineIntel"))
		p = cpu_preset_by_name("sapphirerapids");
	else
		p = NULL;
	if (!p)
		p = cpu_preset_default();
	if (why)
		snprintf(why, len, "CPUID %s family %#x model %#x is not in the table: %s", h->vendor[0] ? h->vendor : "(no vendor)",
			 h->family, h->model, p->name);
	xlat_fail(0, "%s", err);
	return p;
}

/* ---- the model's predictions ------------------------------------------------------------ */

/* The model's loads for a chase over n elements: warm = one whole cycle
 * (every page faulted in, the TLBs and caches in their steady state),
 * then whole cycles up to 16k loads, or 64k loads of a longer cycle. */
static void model_counts(uint64_t n, uint64_t *warm, uint64_t *meas)
{
	*warm = n;
	if (n <= 16384)
		*meas = n * ((16384 + n - 1) / n);
	else
		*meas = n < 65536 ? n : 65536;
}

/* Spreads the next `pages` 4 KiB frames the OS will hand out over about
 * FRAME_SPREAD times as many: it takes a block of frames and gives back one
 * after each gap of 0 .. 2 * FRAME_SPREAD - 2 (seeded), so the region's
 * frames, taken lowest first, lie one per FRAME_SPREAD on average, at
 * irregular distances. The rest of the block stays taken (by nothing the
 * model walks). */
#define FRAME_SPREAD 8
static int spread_frames(struct phys *mem, uint64_t pages, uint64_t seed)
{
	uint64_t x = seed, block = pages * FRAME_SPREAD, base, at = 0;
	int rc;

	if ((rc = phys_alloc(mem, block, 1, &base)))
		return rc;
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t r = x += 0x9e3779b97f4a7c15ULL;
		r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
		r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
		r ^= r >> 31;
		at += r % (2 * FRAME_SPREAD - 1);
		if (at >= block)
			break;
		phys_free(mem, base + at, 1);
		at++;
	}
	return 0;
}

/* The pages of a chase region faulted in once each before the chase, as
 * the measurement's region got its frames (calh_frames_consecutive). The
 * model's OS hands out frames in fault order, lowest first: address order
 * gives consecutive frames. `scattered` gives them as a long-running
 * kernel does (on this project's VM /proc/self/pagemap showed 4,096 pages
 * of such a region on 3,629 of the host's EPT PTE lines, none on
 * neighbouring frames, where consecutive frames span 512): the frames are
 * spread first (spread_frames), then faulted in a random page order. On a
 * VM that matters: the host's leaf entries for spread guest frames lie on
 * many more lines, and 4 KiB walks miss on them more (THP's pages are one
 * block each either way). */
static int populate(struct machine *m, const struct xlat_workload *chase, bool scattered, bool thp)
{
	struct xlat_workload w;
	struct xlat_source *src;
	uint64_t done;
	int rc;

	w.size = xlat_align_up(chase->size, XLAT_PAGE_SIZE);
	if (scattered && !thp) {
		struct vm *vm = machine_vm(m);
		struct phys *mem = vm ? vm_gpa_space(vm) : machine_host(m);
		if ((rc = spread_frames(mem, w.size / XLAT_PAGE_SIZE + w.size / (512 * XLAT_PAGE_SIZE) + 8,
					chase->seed ^ 0x5bd1e995ULL)))
			return rc;
	}
	if ((rc = xlat_workload_init(&w, scattered ? "chase" : "stride")))
		return rc;
	w.base = chase->base;
	w.size = xlat_align_up(chase->size, XLAT_PAGE_SIZE);
	if (scattered)
		w.unit = XLAT_PAGE_SIZE;
	else
		w.stride = XLAT_PAGE_SIZE;
	w.count = w.size / XLAT_PAGE_SIZE;
	w.write = 1;
	w.seed = chase->seed ^ 0x9e3779b97f4a7c15ULL;
	if ((rc = xlat_workload_open(&src, &w)))
		return rc;
	rc = machine_run(m, src, w.count, &done);
	if (!rc && done != w.count)
		rc = xlat_fail(-EIO, "calibrate: the populating pass ended early");
	xlat_source_close(src);
	return rc;
}

int calibrate_model_point(const struct cpu_preset *cpu, bool nested, enum calibrate_backing bk, bool spread,
			  bool scattered, uint64_t pages, struct calibrate_pred *out)
{
	struct machine_config cfg;
	struct machine *m;
	struct xlat_workload w;
	struct xlat_source *src = NULL;
	struct machine_result r;
	uint64_t warm, meas, done;
	int rc;

	memset(out, 0, sizeof *out);
	machine_config_init(&cfg);
	if ((rc = machine_config_set_cpu(&cfg, cpu)) ||
	    (rc = machine_config_set(&cfg, "fetch", "0")) ||
	    (rc = machine_config_set(&cfg, "mode", nested ? "nested" : "native")) ||
	    (rc = machine_config_set(&cfg, "page_policy", bk == CALIBRATE_THP ? "thp" : "4k")))
		return rc;
	model_counts(pages, &warm, &meas);
	if ((rc = xlat_workload_init(&w, "chase")))
		return rc;
	w.unit = spread ? XLAT_PAGE_SIZE : CALIBRATE_LINE;
	w.size = pages * w.unit;
	w.count = warm + meas;
	w.seed = 1;
	if ((rc = xlat_workload_open(&src, &w)))
		return rc;
	if ((rc = machine_create(&cfg, &m))) {
		xlat_source_close(src);
		return rc;
	}
	rc = populate(m, &w, scattered, bk == CALIBRATE_THP);
	if (!rc)
		rc = machine_run(m, src, warm, &done);
	if (!rc && done != warm)
		rc = xlat_fail(-EIO, "calibrate: the chase generator ended early");
	machine_reset_stats(m);
	if (!rc)
		rc = machine_run(m, src, meas, &done);
	if (!rc && done != meas)
		rc = xlat_fail(-EIO, "calibrate: the chase generator ended early");
	if (!rc) {
		machine_collect(m, &r);
		const struct mmu_stats *s = &r.mmu;
		double loads = (double)s->accesses;
		/* The chase's time per load is its line's latency plus the
		 * translation's: (a) - (b) subtracts both, in the measurement
		 * and here, so the lines the page-table lines evict from (a)'s
		 * caches (and (b)'s own translation at large footprints) count
		 * as they do on the machine. */
		const struct pcache_config *cc = &cpu->cache;
		double line = 0;
		for (int i = 0; i <= PCACHE_LEVELS; i++) {
			out->data_where[i] = (double)s->line_where[0][i] / loads;
			line += out->data_where[i] * (i < PCACHE_LEVELS ? cc->level[i].latency : cc->mem_latency);
		}
		out->translation = (double)machine_translation_cycles(&r) / loads;
		out->cycles = out->translation + line;
		out->walks = (double)s->walks / loads;
		out->refs = (double)s->walk_refs / loads;
		out->misses = (double)s->tlb_misses / loads;
		out->tlb2 = (double)s->tlb_hits[0][1] / loads;
		for (int i = 0; i <= PCACHE_LEVELS; i++)
			out->where[i] = (double)s->ref_where[i] / loads;
		if (s->faults)
			XLAT_BUG("a chase faulted after its warm-up cycle (%llu faults)",
				 (unsigned long long)s->faults);
	}
	machine_destroy(m);
	xlat_source_close(src);
	return rc;
}

/* ---- the fit table -----------------------------------------------------------------------
 *
 * One row per preset parameter the calibration sets. A MEASURED or
 * REPORTED row takes its value from the measurements (or from what the OS
 * reports); a FITTED row is chosen so that the model's predictions match
 * the measured translation cost, through `coef`: the cycles per load the
 * parameter adds per unit of its value, read off the model's counters
 * (every cost parameter of the model enters its cycles linearly), within
 * its bounds. A CHOSEN row changes what the model does (a cache size), so
 * it cannot be fitted through counters: the model is run with each of its
 * candidates (the measured value first), the FITTED rows fitted for each,
 * and the candidate whose fit is best kept. To fit a new parameter, add a
 * row. key_nested, when set, is the key written instead when the host is
 * modelled as nested paging (a guest's fault costs).
 */
enum fit_how { FIT_MEASURED, FIT_REPORTED, FIT_FITTED, FIT_CHOSEN };
static const char *const how_name[] = { "measured", "reported", "fitted", "fitted" };

struct fit_ctx {
	const struct calibrate_result *r;
	const struct cpu_preset *cpu;   /* the preset so far */
};

#define FIT_MAX_CANDIDATES 8

struct fit_row {
	const char *key;
	const char *key_nested;
	enum fit_how how;
	/* MEASURED, REPORTED, CHOSEN: the value (as cpu_override takes it) and
	 * where it came from; false when there is nothing (the base's value
	 * stays). */
	bool (*get)(const struct fit_ctx *c, const char *key, char *val, size_t vlen, char *note, size_t nlen);
	/* FITTED: cycles per load per unit of the value; its bounds (static,
	 * or from the measurements when `bounds` is set). */
	double (*coef)(const struct calibrate_pred *p);
	double lo, hi;
	void (*bounds)(const struct fit_ctx *c, double *lo, double *hi);
	/* CHOSEN: the candidate `factor` times the measured value (false if
	 * there is none). The fit tries factors 1, 1/2, 1/4, 1/8, then the
	 * best one's neighbours at sqrt(2) apart. */
	bool (*scaled)(const struct fit_ctx *c, const char *measured, double factor, char *v, size_t len);
};

/* Rounds v to a whole number of the array's ways (entries must divide). */
static unsigned round_ways(const struct cpu_preset *cpu, const char *entries_key, double v)
{
	char wk[64], wv[32];
	unsigned ways = 0;
	snprintf(wk, sizeof wk, "%.*sways", (int)(strlen(entries_key) - strlen("entries")), entries_key);
	if (!cpu_get(cpu, wk, wv, sizeof wv))
		ways = (unsigned)strtoul(wv, NULL, 10);
	if (ways <= 1)
		return (unsigned)(v + 0.5);
	unsigned n = (unsigned)(v / ways + 0.5);
	return (n ? n : 1) * ways;
}

static bool get_ghz(const struct fit_ctx *c, const char *key, char *val, size_t vl, char *note, size_t nl)
{
	(void)key;
	if (!(c->r->ghz > 0))
		return false;
	snprintf(val, vl, "%.2f", c->r->ghz);
	snprintf(note, nl, "core clock: dependent register-add chain, spread %.0f %%", 100 * c->r->clock.spread);
	return true;
}

static bool get_tlb_entries(const struct fit_ctx *c, const char *key, char *val, size_t vl, char *note, size_t nl)
{
	int lvl = !strncmp(key, "stlb", 4);
	uint64_t knee = c->r->reach[CALIBRATE_4K].knee[lvl], kthp = c->r->reach[CALIBRATE_THP].knee[lvl];
	if (!knee)
		return false;
	/* Without 2 MiB reach the THP sweep measures the same 4 KiB entries:
	 * two measurements of one knee, whose geometric mean is surer than
	 * either (a run's L2 knee moves by ~10 % on this project's VM). */
	if (c->r->huge_reach == CALIBRATE_HUGE_NO && kthp) {
		double k = sqrt((double)knee * (double)kthp);
		snprintf(val, vl, "%u", round_ways(c->cpu, key, k));
		snprintf(note, nl, "%s TLB reach: the 4 KiB and THP sweeps (both 4 KiB entries here) step up half-way "
			 "at %llu and %llu pages: their geometric mean", lvl ? "L2" : "L1", (unsigned long long)knee,
			 (unsigned long long)kthp);
		return true;
	}
	snprintf(val, vl, "%u", round_ways(c->cpu, key, (double)knee));
	snprintf(note, nl, "%s TLB reach: the 4 KiB sweep steps up half-way at %llu pages", lvl ? "L2" : "L1",
		 (unsigned long long)knee);
	return true;
}

static bool get_stlb_latency(const struct fit_ctx *c, const char *key, char *val, size_t vl, char *note, size_t nl)
{
	(void)key;
	const struct calibrate_reach *rc = &c->r->reach[CALIBRATE_4K];
	if (!rc->knee[0] || !rc->knee[1] || rc->level[1] <= 0)
		return false;
	snprintf(val, vl, "%.0f", rc->level[1]);
	snprintf(note, nl, "cost of an L1 TLB miss that hits the L2 TLB: the sweep between its steps");
	return true;
}

/* Where a reach sweep first reaches `y` past its L1 plateau, interpolated
 * in log pages; 0 if it does not. */
static double sweep_crossing(const struct calibrate_reach *rc, double y)
{
	for (unsigned i = 1; i < rc->n; i++)
		if ((double)rc->pages[i] > (double)rc->knee[0] * 1.5 && rc->xlat[i].median >= y) {
			double y0 = rc->xlat[i - 1].median, y1 = rc->xlat[i].median;
			double f = y1 > y0 ? (y - y0) / (y1 - y0) : 1;
			f = fmin(fmax(f, 0), 1);
			return exp(log((double)rc->pages[i - 1]) + f * (log((double)rc->pages[i]) - log((double)rc->pages[i - 1])));
		}
	return 0;
}

/* Is the L2 TLB's knee gradual? An LRU array whose sets share contiguous
 * pages evenly goes from hitting to missing every time within one step of
 * the sweep (2^(1/4)); one that spreads them by a hash of the page number
 * starts missing short of its capacity, in the sets that got more than
 * their ways, and misses everywhere only past it (tlb.h). From a quarter
 * to three quarters of the step over more than 1.2x pages is gradual. */
static bool get_stlb_hash(const struct fit_ctx *c, const char *key, char *val, size_t vl, char *note, size_t nl)
{
	(void)key;
	const struct calibrate_reach *rc = &c->r->reach[CALIBRATE_4K];
	double step = rc->level[2] - rc->level[1];

	if (!rc->knee[0] || !rc->knee[1] || step <= 2.5)
		return false;
	double x25 = sweep_crossing(rc, rc->level[1] + step / 4), x75 = sweep_crossing(rc, rc->level[1] + 3 * step / 4);
	if (!(x25 > 0) || !(x75 > 0))
		return false;
	/* A point measured inside the rise, or the sweep is too coarse to
	 * tell (an interpolation is straight by construction). */
	bool inside = false;
	for (unsigned i = 0; i < rc->n; i++) {
		double f = (rc->xlat[i].median - rc->level[1]) / step;
		inside |= (double)rc->pages[i] > (double)rc->knee[0] * 1.5 && f > 0.15 && f < 0.85 &&
			  calibrate_stable(&rc->xlat[i]);
	}
	if (!inside)
		return false;
	bool gradual = x75 / x25 >= 1.2;
	snprintf(val, vl, "%d", gradual);
	snprintf(note, nl, "the 4 KiB sweep rises from a quarter to three quarters of its L2 step between %.0f and %.0f "
		 "pages (x%.2f): a %s knee", x25, x75, x75 / x25, gradual ? "gradual (hashed set index)" : "sharp");
	return true;
}

static int cache_level(const char *key)
{
	return !strncmp(key, "cache.l1d.", 10) ? 0 : !strncmp(key, "cache.l2.", 9) ? 1 : !strncmp(key, "cache.llc.", 10) ? 2 : 3;
}

static bool get_latency(const struct fit_ctx *c, const char *key, char *val, size_t vl, char *note, size_t nl)
{
	static const char *const lname[] = { "L1D", "L2", "L3", "memory" };
	int l = cache_level(key);
	const struct calibrate_stat *s = &c->r->lat[l];
	char sz[32];
	if (!s->reps || s->median <= 0)
		return false;
	snprintf(val, vl, "%.0f", s->median);
	xlat_parse_size_str(c->r->lat_bytes[l], sz, sizeof sz);
	snprintf(note, nl, "%s load-to-use: chase over %s of pages, spread %.0f %%", lname[l], sz, 100 * s->spread);
	return true;
}

/* The size a cache level's `size` key gets: the measured capacity for the
 * L3 (what this thread gets), what the OS reports for L1D and L2. */
static bool get_cache_size(const struct fit_ctx *c, const char *key, char *val, size_t vl, char *note, size_t nl)
{
	const struct calibrate_host *h = &c->r->host;
	int l = cache_level(key);
	uint64_t bytes = h->cache_bytes[l];
	unsigned ways = 0;
	char sz[32], wk[32], wv[32];

	/* The ways the preset has by now (the table sets ways before sizes). */
	snprintf(wk, sizeof wk, "%.*sways", (int)(strlen(key) - 4), key);
	if (!cpu_get(c->cpu, wk, wv, sizeof wv))
		ways = (unsigned)strtoul(wv, NULL, 10);
	if (!ways)
		return false;
	if (l == 2 && c->r->llc_knee) {
		uint64_t unit = (uint64_t)ways * CALIBRATE_LINE * 1024;     /* whole multiples of 1024 sets */
		bytes = (c->r->llc_knee + unit / 2) / unit * unit;
		if (!bytes)
			bytes = unit;
		snprintf(sz, sizeof sz, "%.1f MiB", (double)c->r->llc_knee / MiB);
		snprintf(note, nl, "the latency sweep is half-way from L3 to memory at %s of chased pages", sz);
	} else {
		if (!bytes || bytes % ((uint64_t)ways * CALIBRATE_LINE))
			return false;
		snprintf(note, nl, "as the OS says (/sys/devices/system/cpu/cpu0/cache)");
	}
	xlat_parse_size_str(bytes, val, vl);
	/* "48 KiB" -> "48KiB": cpu_override takes no blank */
	char *sp = strchr(val, ' ');
	if (sp)
		memmove(sp, sp + 1, strlen(sp));
	return true;
}

static bool get_cache_ways(const struct fit_ctx *c, const char *key, char *val, size_t vl, char *note, size_t nl)
{
	int l = cache_level(key);
	unsigned ways = c->r->host.cache_ways[l];
	uint64_t bytes = c->r->host.cache_bytes[l];
	if (!ways || !bytes || bytes % ((uint64_t)ways * CALIBRATE_LINE))
		return false;
	snprintf(val, vl, "%u", ways);
	snprintf(note, nl, "as the OS says (/sys/devices/system/cpu/cpu0/cache)");
	return true;
}

static bool get_fault(const struct fit_ctx *c, const char *key, char *val, size_t vl, char *note, size_t nl)
{
	bool thp = strstr(key, "2m") != NULL;
	const struct calibrate_stat *s = &c->r->fault[thp];
	if (!s->reps || s->median <= 0 || (thp && !c->r->thp_measured))
		return false;
	snprintf(val, vl, "%.0f", s->median);
	snprintf(note, nl, "first touch of a %s (fault, zeroing%s), spread %.0f %%", thp ? "THP, per 2 MiB" : "4 KiB page",
		 c->r->host.is_vm ? ", the hypervisor's part" : "", 100 * s->spread);
	return true;
}

/* The LLC the walks' lines get: the latency sweep's knee times `factor`,
 * in whole units of 64 sets (in a VM the lines a walk reads wait tens of
 * milliseconds between uses, while other tenants' traffic goes through the
 * shared L3). False if that is nothing. */
static bool llc_scaled(const struct fit_ctx *c, const char *measured, double factor, char *v, size_t len)
{
	uint64_t bytes, unit, b;
	char wv[32];

	if (xlat_parse_size(measured, &bytes) || cpu_get(c->cpu, "cache.llc.ways", wv, sizeof wv))
		return false;
	unit = (uint64_t)strtoul(wv, NULL, 10) * CALIBRATE_LINE * 64;
	b = (uint64_t)((double)bytes * factor / (double)unit + 0.5) * unit;
	if (!b)
		return false;
	xlat_parse_size_str(b, v, len);
	char *sp = strchr(v, ' ');
	if (sp)
		memmove(sp, sp + 1, strlen(sp));
	return true;
}

static double coef_walks(const struct calibrate_pred *p)
{
	return p->walks;
}

static double coef_refs(const struct calibrate_pred *p)
{
	return p->refs;
}

static double coef_mem(const struct calibrate_pred *p)
{
	return p->where[PCACHE_LEVELS] + p->data_where[PCACHE_LEVELS];
}

/* Memory latency as the walks' lines see it: from the latency sweep's
 * (its chase reads 32 lines of each page, so DRAM rows are often open:
 * a lower bound for lines read one per page) to three times it. */
static void mem_bounds(const struct fit_ctx *c, double *lo, double *hi)
{
	const struct calibrate_stat *s = &c->r->lat[3];
	char v[32];

	*lo = s->reps && s->median > 0 ? s->median : 0;
	if (*lo <= 0 && !cpu_get(c->r->fit.base, "mem_latency", v, sizeof v))
		*lo = strtod(v, NULL);
	*lo = floor(*lo + 0.5);
	*hi = 3 * *lo;
}

static const struct fit_row fit_table[] = {
	{ .key = "ghz", .how = FIT_MEASURED, .get = get_ghz },
	{ .key = "l1d.4k.entries", .how = FIT_MEASURED, .get = get_tlb_entries },
	{ .key = "stlb.4k.entries", .how = FIT_MEASURED, .get = get_tlb_entries },
	{ .key = "stlb.latency", .how = FIT_MEASURED, .get = get_stlb_latency },
	{ .key = "stlb.4k.hash", .how = FIT_MEASURED, .get = get_stlb_hash },
	{ .key = "cache.l1d.ways", .how = FIT_REPORTED, .get = get_cache_ways },
	{ .key = "cache.l1d.size", .how = FIT_REPORTED, .get = get_cache_size },
	{ .key = "cache.l1d.latency", .how = FIT_MEASURED, .get = get_latency },
	{ .key = "cache.l2.ways", .how = FIT_REPORTED, .get = get_cache_ways },
	{ .key = "cache.l2.size", .how = FIT_REPORTED, .get = get_cache_size },
	{ .key = "cache.l2.latency", .how = FIT_MEASURED, .get = get_latency },
	{ .key = "cache.llc.ways", .how = FIT_REPORTED, .get = get_cache_ways },
	{ .key = "cache.llc.size", .how = FIT_CHOSEN, .get = get_cache_size, .scaled = llc_scaled },
	{ .key = "cache.llc.latency", .how = FIT_MEASURED, .get = get_latency },
	{ .key = "fault.4k", .key_nested = "fault.nested.4k", .how = FIT_MEASURED, .get = get_fault },
	{ .key = "fault.2m", .key_nested = "fault.nested.2m", .how = FIT_MEASURED, .get = get_fault },
	{ .key = "walk_cycles", .how = FIT_FITTED, .coef = coef_walks, .lo = 0, .hi = 5000 },
	{ .key = "walk_ref_cycles", .how = FIT_FITTED, .coef = coef_refs, .lo = 0, .hi = 1000 },
	{ .key = "mem_latency", .how = FIT_FITTED, .coef = coef_mem, .bounds = mem_bounds },
};
#define NFIT (sizeof fit_table / sizeof fit_table[0])
_Static_assert(NFIT <= CALIBRATE_MAX_PARAMS, "the fit table outgrew struct calibrate_fit");

/* The points the fit may use: stable, and a translation cost above noise. */
static bool usable(const struct calibrate_point *p)
{
	return calibrate_stable(&p->xlat) && p->xlat.median >= FIT_MIN_CYCLES;
}

static double err_ratio(double pred, double meas)
{
	double p = pred > 0.01 ? pred : 0.01;
	return p > meas ? p / meas : meas / p;
}

/* The model's runs for every series point, on every CPU: the points are
 * independent machines (the library keeps no shared state), so the fit's
 * model runs, most of calibrate's time, take a fraction of it. Largest
 * footprints first, so no CPU is left with a big one at the end. */
struct predict_job {
	struct calibrate_result *r;
	const struct calibrate_options *o;
	const struct cpu_preset *cpu;
	bool nested;
	struct calibrate_pred (*pa)[CALIBRATE_MAX_SIZES], (*pb)[CALIBRATE_MAX_SIZES];
	unsigned n, order[CALIBRATE_BACKINGS * CALIBRATE_MAX_SIZES];
	atomic_uint next;
	pthread_mutex_t lock;           /* done, rc, msg, the progress callback */
	unsigned done;
	int rc;
	char msg[512];
};

static void *predict_worker(void *arg)
{
	struct predict_job *j = arg;

	for (;;) {
		unsigned k = atomic_fetch_add(&j->next, 1);
		if (k >= j->n)
			break;
		int b = (int)(j->order[k] / CALIBRATE_MAX_SIZES);
		unsigned i = j->order[k] % CALIBRATE_MAX_SIZES;
		const struct calibrate_point *pt = &j->r->series[b].pt[i];
		/* Scattered unless the measurement's region got mostly
		 * consecutive frames (or its frames could not be read: a
		 * long-running kernel's are scattered). */
		bool sc = !(j->r->series[b].frames_consecutive > 0.5);
		int rc = calibrate_model_point(j->cpu, j->nested, b, true, sc, pt->pages, &j->pa[b][i]);
		if (!rc)
			rc = calibrate_model_point(j->cpu, j->nested, b, false, sc, pt->pages, &j->pb[b][i]);
		pthread_mutex_lock(&j->lock);
		if (rc && !j->rc) {
			j->rc = rc;
			snprintf(j->msg, sizeof j->msg, "%s", xlat_error());
			atomic_store(&j->next, j->n);   /* the others stop at their next point */
		}
		j->done++;
		if (j->o && j->o->progress && !j->rc) {
			char what[128], sz[32];
			xlat_parse_size_str(pt->pages * XLAT_PAGE_SIZE, sz, sizeof sz);
			snprintf(what, sizeof what, "model (%s%s): chase, %s pages: %s", j->cpu->name,
				 j->nested ? ", nested" : "", calibrate_backing_name(b), sz);
			j->o->progress(j->o->progress_ctx, what, j->done, j->n);
		}
		pthread_mutex_unlock(&j->lock);
	}
	return NULL;
}

static uint64_t job_pages(const struct calibrate_result *r, unsigned k)
{
	return r->series[k / CALIBRATE_MAX_SIZES].pt[k % CALIBRATE_MAX_SIZES].pages;
}

/* The model's (a) - (b) prediction for every series point. pa/pb, when
 * not NULL, receive each point's pattern predictions ([backing][point]). */
static int predict_all(struct calibrate_result *r, const struct calibrate_options *o, const struct cpu_preset *cpu, bool nested,
		       int which, struct calibrate_pred (*pa)[CALIBRATE_MAX_SIZES], struct calibrate_pred (*pb)[CALIBRATE_MAX_SIZES])
{
	struct predict_job *j = calloc(1, sizeof *j);
	struct calibrate_pred (*own_a)[CALIBRATE_MAX_SIZES] = NULL, (*own_b)[CALIBRATE_MAX_SIZES] = NULL;
	pthread_t tid[PREDICT_MAX_THREADS];
	unsigned nt = 0, want;
	int rc = 0;

	if (!pa)
		pa = own_a = calloc(CALIBRATE_BACKINGS, sizeof *pa);
	if (!pb)
		pb = own_b = calloc(CALIBRATE_BACKINGS, sizeof *pb);
	if (!j || !pa || !pb) {
		rc = xlat_fail(-ENOMEM, "calibrate: out of memory");
		goto out;
	}
	*j = (struct predict_job){ .r = r, .o = o, .cpu = cpu, .nested = nested, .pa = pa, .pb = pb };
	atomic_init(&j->next, 0);
	for (int b = 0; b < CALIBRATE_BACKINGS; b++)
		for (unsigned i = 0; i < r->series[b].n; i++)
			j->order[j->n++] = (unsigned)b * CALIBRATE_MAX_SIZES + i;
	for (unsigned x = 1; x < j->n; x++)     /* largest footprint first (a few dozen points) */
		for (unsigned y = x; y > 0 && job_pages(r, j->order[y - 1]) < job_pages(r, j->order[y]); y--) {
			unsigned t = j->order[y];
			j->order[y] = j->order[y - 1];
			j->order[y - 1] = t;
		}
	if (pthread_mutex_init(&j->lock, NULL)) {
		rc = xlat_fail(-EAGAIN, "calibrate: cannot make a mutex");
		goto out;
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	want = cpus < 1 ? 1 : cpus > PREDICT_MAX_THREADS ? PREDICT_MAX_THREADS : (unsigned)cpus;
	if (want > j->n)
		want = j->n ? j->n : 1;
	/* This thread is one of the workers; a thread that cannot be made
	 * leaves its share to the others. */
	for (unsigned t = 1; t < want; t++)
		if (!pthread_create(&tid[nt], NULL, predict_worker, j))
			nt++;
	predict_worker(j);
	for (unsigned t = 0; t < nt; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&j->lock);
	if (j->rc) {
		rc = xlat_fail(j->rc, "%s", j->msg);
		goto out;
	}
	if (which >= 0)
		for (int b = 0; b < CALIBRATE_BACKINGS; b++)
			for (unsigned i = 0; i < r->series[b].n; i++) {
				struct calibrate_point *pt = &r->series[b].pt[i];
				pt->pred[which] = pa[b][i].cycles - pb[b][i].cycles;
				pt->pred_miss[which] = pa[b][i].misses;
			}
out:
	free(own_a);
	free(own_b);
	free(j);
	return rc;
}

static void fit_errors(struct calibrate_result *r, int which)
{
	double lsum = 0, worst = 1;
	unsigned n = 0, within = 0;
	for (int b = 0; b < CALIBRATE_BACKINGS; b++)
		for (unsigned i = 0; i < r->series[b].n; i++) {
			const struct calibrate_point *pt = &r->series[b].pt[i];
			if (!usable(pt) || pt->pred[which] < -0.5)
				continue;
			double e = err_ratio(pt->pred[which], pt->xlat.median);
			lsum += log(e);
			worst = fmax(worst, e);
			within += e <= 1.5;
			n++;
		}
	if (which == 1)
		r->fit.used = n;
	r->fit.gm_error[which] = n ? exp(lsum / n) : 0;
	r->fit.worst_error[which] = n ? worst : 0;
	r->fit.within[which] = within;
}

/* ---- fitting the FITTED rows ------------------------------------------------------------
 *
 * For the usable points i: pred_i(v) = k0_i + sum_j v_j k_ij, the model's
 * (a) - (b) with every FITTED parameter at 0 plus what each adds (coef).
 * The objective is the target's: the excess of |ln(pred / measured)| over
 * ln 1.4 (inside the 0.67-1.5x band), squared and summed, plus a hundredth of the
 * squared log errors (so that inside the band the fit still centres).
 * Least squares of the relative error gives the start; a pattern search
 * within the bounds, deterministic, finishes. */
struct lin_fit {
	unsigned n, m;                          /* points, parameters */
	double k0[2 * CALIBRATE_MAX_SIZES];
	double k[2 * CALIBRATE_MAX_SIZES][CALIBRATE_MAX_PARAMS];
	double y[2 * CALIBRATE_MAX_SIZES];
	double lo[CALIBRATE_MAX_PARAMS], hi[CALIBRATE_MAX_PARAMS];
};

static double lin_pred(const struct lin_fit *L, unsigned i, const double *v)
{
	double p = L->k0[i];
	for (unsigned j = 0; j < L->m; j++)
		p += v[j] * L->k[i][j];
	return p;
}

static double lin_objective(const struct lin_fit *L, const double *v)
{
	/* The judged band is 0.67-1.5x; the fit aims a little inside it
	 * (1.4x), so that a point the fit puts at its edge is not pushed out
	 * by the rounding to whole values or the next point's pull. */
	const double band = log(1.4);
	double sum = 0;
	for (unsigned i = 0; i < L->n; i++) {
		double p = lin_pred(L, i, v), e = fabs(log((p > 0.01 ? p : 0.01) / L->y[i]));
		double x = e > band ? e - band : 0;
		sum += x * x + 0.01 * e * e;
	}
	return sum;
}

static void lin_solve(const struct lin_fit *L, double *v)
{
	for (unsigned j = 0; j < L->m; j++)
		v[j] = L->lo[j];
	/* Least squares of the relative error, by coordinate descent (a
	 * convex quadratic within the bounds). */
	for (unsigned sweep = 0; sweep < 400; sweep++) {
		double moved = 0;
		for (unsigned j = 0; j < L->m; j++) {
			double num = 0, den = 0;
			for (unsigned i = 0; i < L->n; i++) {
				double w = 1 / (L->y[i] * L->y[i]), rest = lin_pred(L, i, v) - v[j] * L->k[i][j];
				num += w * L->k[i][j] * (L->y[i] - rest);
				den += w * L->k[i][j] * L->k[i][j];
			}
			double nv = den > 0 ? num / den : v[j];
			nv = fmin(fmax(nv, L->lo[j]), L->hi[j]);
			moved = fmax(moved, fabs(nv - v[j]));
			v[j] = nv;
		}
		if (moved < 1e-9)
			break;
	}
	/* The pattern search on the target's objective. */
	double step[CALIBRATE_MAX_PARAMS], best = lin_objective(L, v);
	for (unsigned j = 0; j < L->m; j++)
		step[j] = fmax(1, (L->hi[j] - L->lo[j]) / 16);
	for (unsigned it = 0; it < 4000; it++) {
		bool better = false, big = false;
		for (unsigned j = 0; j < L->m; j++) {
			for (int sign = -1; sign <= 1; sign += 2) {
				double old = v[j];
				v[j] = fmin(fmax(old + sign * step[j], L->lo[j]), L->hi[j]);
				double o = lin_objective(L, v);
				if (o < best - 1e-12) {
					best = o;
					better = true;
				} else {
					v[j] = old;
				}
			}
			big |= step[j] > 0.05;
		}
		if (!better) {
			if (!big)
				break;
			for (unsigned j = 0; j < L->m; j++)
				step[j] /= 2;
		}
	}
}

/* Whole numbers, as the preset file holds them: rounded, then moved by
 * single units while that lowers the objective (the real optimum of whole
 * numbers may not be the rounded real one). */
static void lin_round(const struct lin_fit *L, double *v)
{
	for (unsigned j = 0; j < L->m; j++)
		v[j] = fmin(fmax(floor(v[j] + 0.5), ceil(L->lo[j])), floor(L->hi[j]));
	double best = lin_objective(L, v);
	for (unsigned it = 0; it < 1000; it++) {
		bool better = false;
		/* Moves of one parameter, and of two at once (walks and
		 * references go together: one unit less of one may need one
		 * more of the other). */
		for (unsigned j = 0; j < L->m; j++)
			for (unsigned k = j; k < L->m; k++)
				for (int sj = -1; sj <= 1; sj += 2)
					for (int sk = -1; sk <= (k == j ? -1 : 1); sk += 2) {
						double oj = v[j], ok = v[k];
						v[j] = oj + sj;
						if (k != j)
							v[k] = ok + sk;
						if (v[j] < L->lo[j] || v[j] > L->hi[j] || v[k] < L->lo[k] || v[k] > L->hi[k]) {
							v[j] = oj;
							v[k] = ok;
							continue;
						}
						double o = lin_objective(L, v);
						if (o < best - 1e-15) {
							best = o;
							better = true;
						} else {
							v[j] = oj;
							v[k] = ok;
						}
					}
		if (!better)
			break;
	}
}

/* The rows' keys as this host needs them. */
static const char *row_key(const struct fit_row *row, bool nested)
{
	return nested && row->key_nested ? row->key_nested : row->key;
}

/* Builds the linear problem from the model's counters of one run. */
static void lin_build(struct lin_fit *L, const struct calibrate_result *r, const struct fit_ctx *c,
		      struct calibrate_pred (*pa)[CALIBRATE_MAX_SIZES], struct calibrate_pred (*pb)[CALIBRATE_MAX_SIZES])
{
	memset(L, 0, sizeof *L);
	for (unsigned j = 0; j < NFIT; j++) {
		const struct fit_row *row = &fit_table[j];
		if (row->how != FIT_FITTED)
			continue;
		L->lo[L->m] = row->lo;
		L->hi[L->m] = row->hi;
		if (row->bounds)
			row->bounds(c, &L->lo[L->m], &L->hi[L->m]);
		L->m++;
	}
	for (int b = 0; b < CALIBRATE_BACKINGS; b++)
		for (unsigned i = 0; i < r->series[b].n; i++) {
			const struct calibrate_point *pt = &r->series[b].pt[i];
			if (!usable(pt))
				continue;
			L->k0[L->n] = pa[b][i].cycles - pb[b][i].cycles;
			L->y[L->n] = pt->xlat.median;
			for (unsigned j = 0, q = 0; j < NFIT; j++)
				if (fit_table[j].how == FIT_FITTED) {
					L->k[L->n][q++] = fit_table[j].coef(&pa[b][i]) - fit_table[j].coef(&pb[b][i]);
				}
			L->n++;
		}
}

/* Does the calibrated model reproduce what THP does to the TLB misses? */
static void thp_check(struct calibrate_result *r)
{
	const struct calibrate_series *s4 = &r->series[CALIBRATE_4K], *sh = &r->series[CALIBRATE_THP];
	const uint64_t k4 = r->reach[CALIBRATE_4K].knee[1], kh = r->reach[CALIBRATE_THP].knee[1];
	struct calibrate_fit *f = &r->fit;

	f->thp_points = 0;
	f->thp_worst = -1;
	if (!r->thp_measured || !k4 || (!kh && r->huge_reach != CALIBRATE_HUGE_YES))
		return;
	for (unsigned i = 0; i < s4->n && i < sh->n; i++) {
		const struct calibrate_point *a = &s4->pt[i], *h = &sh->pt[i];
		if (a->pages != h->pages || a->pred_miss[1] < 0 || h->pred_miss[1] < 0)
			continue;
		double P = (double)a->pages;
		double m4 = P > (double)k4 ? 1 - (double)k4 / P : 0;
		double mh = kh && P > (double)kh ? 1 - (double)kh / P : 0;
		double excess = fabs(a->pred_miss[1] - h->pred_miss[1]) - (fabs(m4 - mh) + 0.10);
		f->thp_worst = f->thp_points ? fmax(f->thp_worst, excess) : excess;
		f->thp_points++;
	}
	f->thp_reproduced = f->thp_points && f->thp_worst <= 0;
}

int calibrate_fit(struct calibrate_result *r, const struct calibrate_options *opts)
{
	struct calibrate_fit *f = &r->fit;
	struct calibrate_pred (*pa)[CALIBRATE_MAX_SIZES] = NULL, (*pb)[CALIBRATE_MAX_SIZES] = NULL;
	struct calibrate_pred (*ba)[CALIBRATE_MAX_SIZES] = NULL, (*bb)[CALIBRATE_MAX_SIZES] = NULL;
	struct lin_fit *L = NULL;
	const char *base_name = opts && opts->base ? opts->base : r->opts.base;
	double v[CALIBRATE_MAX_PARAMS] = { 0 }, bv[CALIBRATE_MAX_PARAMS] = { 0 };
	char cand[FIT_MAX_CANDIDATES][32];
	int chosen = -1, rc = 0;

	memset(f, 0, sizeof *f);
	if (base_name) {
		f->base = cpu_preset_by_name(base_name);
		if (!f->base)
			return -EINVAL;
		snprintf(f->base_why, sizeof f->base_why, "chosen by the user");
	} else {
		f->base = calibrate_closest_preset(&r->host, f->base_why, sizeof f->base_why);
	}
	f->other = cpu_preset_by_name("zen5");
	if (f->other == f->base)
		f->other = NULL;
	f->cpu = *f->base;
	f->nested = r->huge_reach == CALIBRATE_HUGE_NO && r->host.is_vm;

	/* Measured, reported and chosen rows, in table order (a chosen row
	 * starts from its measured value); fitted rows start at 0. */
	struct fit_ctx c = { r, &f->cpu };
	for (unsigned i = 0; i < NFIT; i++) {
		const struct fit_row *row = &fit_table[i];
		struct calibrate_param *p = &f->param[f->nparams++];
		p->key = row_key(row, f->nested);
		if (cpu_get(f->base, p->key, p->base_value, sizeof p->base_value))
			snprintf(p->base_value, sizeof p->base_value, "-");
		if (row->how == FIT_FITTED) {
			p->how = how_name[FIT_FITTED];
			if (cpu_override(&f->cpu, p->key, "0"))
				return -EINVAL;
			continue;
		}
		char val[32];
		if (row->get(&c, p->key, val, sizeof val, p->note, sizeof p->note) && !cpu_override(&f->cpu, p->key, val)) {
			p->how = how_name[row->how == FIT_CHOSEN ? FIT_MEASURED : row->how];
			snprintf(p->value, sizeof p->value, "%s", val);
			if (row->how == FIT_CHOSEN)
				chosen = (int)i;
		} else {
			p->how = "base";
			memcpy(p->value, p->base_value, sizeof p->value);
			if (!p->note[0])
				snprintf(p->note, sizeof p->note, "not measured: the base preset's value");
		}
	}
	/* A measured value the model cannot take (a geometry that does not
	 * divide into sets): back to the base's value, last rows first, until
	 * the preset is valid, saying which. */
	for (int i = (int)f->nparams - 1; i >= 0 && cpu_check(&f->cpu); i--) {
		struct calibrate_param *p = &f->param[i];
		char msg[96];
		if (strcmp(p->how, how_name[FIT_MEASURED]) && strcmp(p->how, how_name[FIT_REPORTED]))
			continue;
		snprintf(msg, sizeof msg, "%s", xlat_error());
		if (cpu_override(&f->cpu, p->key, p->base_value))
			continue;
		if (cpu_check(&f->cpu)) {           /* not this one: put it back */
			if (cpu_override(&f->cpu, p->key, p->value))
				XLAT_BUG("%s=%s was accepted before: %s", p->key, p->value, xlat_error());
			continue;
		}
		char note[sizeof p->note + 64];
		snprintf(note, sizeof note, "the model refused the %s value %s (%s)", p->how, p->value, msg);
		snprintf(p->note, sizeof p->note, "%.*s", (int)sizeof p->note - 1, note);
		p->how = "base";
		if ((int)i == chosen)
			chosen = -1;
		memcpy(p->value, p->base_value, sizeof p->value);
	}
	if (cpu_check(&f->cpu))
		return xlat_fail(-EINVAL, "calibrate: the measured preset is not valid: %s", xlat_error());

	pa = calloc(CALIBRATE_BACKINGS, sizeof *pa);
	pb = calloc(CALIBRATE_BACKINGS, sizeof *pb);
	ba = calloc(CALIBRATE_BACKINGS, sizeof *ba);
	bb = calloc(CALIBRATE_BACKINGS, sizeof *bb);
	L = malloc(sizeof *L);
	if (!pa || !pb || !ba || !bb || !L) {
		rc = xlat_fail(-ENOMEM, "calibrate: out of memory");
		goto out;
	}
	/* For each candidate of the chosen row (the measured value times a
	 * factor): the model's counters with it, and the FITTED rows fitted
	 * to them; the best kept. Factors 1, 1/2, 1/4, 1/8, then the best
	 * one's neighbours at sqrt(2). */
	static const double coarse[] = { 1, 0.5, 0.25, 0.125 };
	double factors[FIT_MAX_CANDIDATES], best = INFINITY, best_f = 1;
	unsigned nf = 0, ntried = 0;
	for (unsigned i = 0; i < 4; i++)
		factors[nf++] = coarse[i];
	char measured[32];
	snprintf(measured, sizeof measured, "%s", chosen >= 0 ? f->param[chosen].value : "");
	for (unsigned k = 0; k < nf; k++) {
		struct cpu_preset cpu = f->cpu;
		if (chosen < 0 && k > 0)
			break;
		if (chosen >= 0) {
			char val[32];
			if (!fit_table[chosen].scaled(&c, measured, factors[k], val, sizeof val))
				continue;
			bool seen = false;
			for (unsigned j = 0; j < ntried; j++)
				seen |= !strcmp(cand[j], val);
			if (seen || cpu_override(&cpu, f->param[chosen].key, val) || cpu_check(&cpu))
				continue;
			snprintf(cand[ntried], sizeof cand[ntried], "%s", val);
		}
		ntried++;
		if ((rc = predict_all(r, opts, &cpu, f->nested, -1, pa, pb)))
			goto out;
		lin_build(L, r, &c, pa, pb);
		lin_solve(L, v);
		lin_round(L, v);
		double o = L->n ? lin_objective(L, v) : 0;
		if (o < best - 1e-12) {
			best = o;
			best_f = factors[k];
			if (chosen >= 0)
				snprintf(cand[FIT_MAX_CANDIDATES - 1], sizeof cand[0], "%s", cand[ntried - 1]);
			memcpy(bv, v, sizeof bv);
			memcpy(ba, pa, CALIBRATE_BACKINGS * sizeof *pa);
			memcpy(bb, pb, CALIBRATE_BACKINGS * sizeof *pb);
		}
		if (k == 3 && chosen >= 0) {   /* the coarse pass is done: refine around its best */
			if (best_f * M_SQRT2 <= 1.0001)
				factors[nf++] = best_f * M_SQRT2;
			if (best_f / M_SQRT2 >= 0.125 / M_SQRT2 - 1e-9)
				factors[nf++] = best_f / M_SQRT2;
		}
	}
	if (!isfinite(best)) {
		rc = xlat_fail(-EINVAL, "calibrate: no candidate preset is valid: %s", xlat_error());
		goto out;
	}
	if (chosen >= 0) {
		struct calibrate_param *p = &f->param[chosen];
		if (best_f < 0.999) {
			char note[sizeof p->note];
			snprintf(note, sizeof note, "%.2f of the measured %s (the latency sweep's knee): of the %u sizes "
				 "tried (1/8 to 1 of it), the fit's best", best_f, p->value, ntried);
			memcpy(p->note, note, sizeof note);
			snprintf(p->value, sizeof p->value, "%s", cand[FIT_MAX_CANDIDATES - 1]);
			p->how = how_name[FIT_CHOSEN];
		}
		if (cpu_override(&f->cpu, p->key, p->value)) {
			rc = -EINVAL;
			goto out;
		}
	}
	for (unsigned j = 0, q = 0; j < NFIT; j++) {
		const struct fit_row *row = &fit_table[j];
		struct calibrate_param *p = &f->param[j];
		if (row->how != FIT_FITTED)
			continue;
		snprintf(p->value, sizeof p->value, "%.0f", bv[q++]);
		if (cpu_override(&f->cpu, p->key, p->value)) {
			rc = -EINVAL;
			goto out;
		}
		if (row->bounds) {
			double lo, hi;
			row->bounds(&c, &lo, &hi);
			snprintf(p->note, sizeof p->note, "the model's (a) - (b) against the measured, within %.0f-%.0f "
				 "(the latency sweep's, a lower bound, to 3x)", lo, hi);
		} else {
			snprintf(p->note, sizeof p->note, "the model's (a) - (b) against the measured");
		}
	}
	if (cpu_check(&f->cpu)) {
		rc = xlat_fail(-EINVAL, "calibrate: the fitted preset is not valid: %s", xlat_error());
		goto out;
	}

	/* The calibrated predictions: the model's counters of the best run
	 * with the fitted values. Exact, not an approximation: a fitted row's
	 * parameter is a cost, and costs do not change what the model does
	 * (test_calibrate checks this against a run with the fitted preset). */
	for (int b = 0; b < CALIBRATE_BACKINGS; b++)
		for (unsigned i = 0; i < r->series[b].n; i++) {
			struct calibrate_point *pt = &r->series[b].pt[i];
			double pred = ba[b][i].cycles - bb[b][i].cycles;
			for (unsigned j = 0, q = 0; j < NFIT; j++)
				if (fit_table[j].how == FIT_FITTED) {
					pred += bv[q] * (fit_table[j].coef(&ba[b][i]) - fit_table[j].coef(&bb[b][i]));
					q++;
				}
			pt->pred[1] = pred;
			pt->pred_miss[1] = ba[b][i].misses;
		}
	/* The base preset as a user gets it (native), from its own runs, and
	 * the other one beside it. */
	if ((rc = predict_all(r, opts, f->base, false, 0, NULL, NULL)))
		goto out;
	if (f->other && (rc = predict_all(r, opts, f->other, false, 2, NULL, NULL)))
		goto out;
	for (int w = 0; w < 3; w++)
		if (w != 2 || f->other)
			fit_errors(r, w);
	thp_check(r);
	f->done = true;
out:
	free(pa);
	free(pb);
	free(ba);
	free(bb);
	free(L);
	return rc;
}

/* ---- the preset file ---------------------------------------------------------------------- */

/* A machine key in the preset file (checked on a scratch configuration, as
 * machine_config_load_file will set it). */
static int machine_line(void *ctx, const char *key, const char *value)
{
	struct machine_config scratch;

	(void)ctx;
	machine_config_init(&scratch);
	return machine_config_set(&scratch, key, value);
}

int calibrate_write_preset(const struct calibrate_result *r, const char *path)
{
	const struct calibrate_fit *f = &r->fit;
	struct cpu_file_line lines[CALIBRATE_MAX_PARAMS + 2];
	char comments[CALIBRATE_MAX_PARAMS][256], header[1024];
	size_t n = 0, h = 0;

	if (!f->done)
		return xlat_fail(-EINVAL, "calibrate: nothing fitted to write");
	/* How to run it first: a VM whose 2 MiB pages give no 2 MiB reach is
	 * nested paging with 4 KiB host pages (xlat sim --cpu-file applies
	 * these; options after it win). */
	if (f->nested) {
		lines[n++] = (struct cpu_file_line){ "mode", "nested",
			"this host maps guest memory with 4 KiB pages (2 MiB pages gave no 2 MiB TLB reach): a guest "
			"under nested paging" };
		lines[n++] = (struct cpu_file_line){ "host_page_policy", "4k", NULL };
	}
	for (unsigned i = 0; i < f->nparams; i++) {
		const struct calibrate_param *p = &f->param[i];
		if (!strcmp(p->how, "base"))
			continue;
		snprintf(comments[i], sizeof comments[i], "%s: %s (base %s)", p->how, p->note, p->base_value);
		lines[n++] = (struct cpu_file_line){ p->key, p->value, comments[i] };
	}
	h += (size_t)snprintf(header + h, sizeof header - h,
			      "source: measured by xlat calibrate on %s, %s (%s%s%s)\n", r->host.date, r->host.hostname,
			      r->host.brand[0] ? r->host.brand : r->host.vendor, r->host.is_vm ? ", a virtual machine" : "",
			      r->opts.quick ? ", --quick" : "");
	h += (size_t)snprintf(header + h, sizeof header - h, "base %s: %s\n", f->base->name, f->base_why);
	if (h < sizeof header)
		h += (size_t)snprintf(header + h, sizeof header - h,
				      "fit: %u stable points; predicted/measured translation cycles within %.2fx "
				      "(geometric mean), worst %.2fx, %u within 0.67-1.5x; the base preset: %.2fx, "
				      "worst %.2fx\n", f->used, f->gm_error[1], f->worst_error[1], f->within[1],
				      f->gm_error[0], f->worst_error[0]);
	if (f->nested && h < sizeof header)
		snprintf(header + h, sizeof header - h,
			 "this host maps guest memory with 4 KiB pages: the mode and host_page_policy lines below\n"
			 "make xlat sim --cpu-file run it as nested paging with 4 KiB host pages");
	return cpu_file_write_with(path, f->base->name, header, lines, n, machine_line, NULL);
}
