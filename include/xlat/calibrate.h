/*
 * xlat/calibrate.h — the study behind `xlat calibrate`: measure the machine
 * it runs on with built-in microbenchmarks, then fit a CPU preset to the
 * measurements, the model predicting each of them (docs/calibrate.md).
 *
 * Measurements (calibrate_measure, Linux x86-64 only):
 *   - the core clock (a dependent add chain against the thread CPU clock);
 *   - cache load-to-use latencies (chases inside L1, L2, L3, memory);
 *   - first-touch fault cost of a 4 KiB page and of a THP;
 *   - TLB reach: chases over P pages, one line each, against the same P
 *     lines packed into P/64 pages, for P from 8 to 32k: where the
 *     translation cost steps up (the L1 and L2 TLB reach, in 4 KiB pages);
 *   - the chase series: (a) one line per 4 KiB page against (b) the same
 *     number of lines packed into few pages, footprints 64 KiB .. max_mem,
 *     each backed by 4 KiB pages and by THP; translation cost = (a) - (b).
 * Every timed point is repeated: its median is the value, its spread (the
 * interquartile range over the median) says how much to trust it; points
 * with a spread of 20 % or more are unstable and the fit does not use them.
 *
 * The fit (calibrate_fit) works on a struct calibrate_result alone, so it can be
 * run on synthetic measurements (tests/test_calibrate.c does).
 */
#ifndef XLAT_CALIBRATE_H
#define XLAT_CALIBRATE_H

#include "xlat/cpu.h"

XLAT_API_BEGIN

#define CALIBRATE_MAX_SIZES 32        /* chase series points */
#define CALIBRATE_MAX_REACH 64        /* reach sweep points */
#define CALIBRATE_MAX_PARAMS 32       /* rows of the fit table */
#define CALIBRATE_MAX_NOTES 12
#define CALIBRATE_NOTE_LEN 640
#define CALIBRATE_UNSTABLE 0.20       /* spread at and above which a point is unstable */

enum calibrate_backing { CALIBRATE_4K = 0, CALIBRATE_THP = 1 };
#define CALIBRATE_BACKINGS 2
/* "4k", "thp" */
const char *calibrate_backing_name(enum calibrate_backing b);

#define CALIBRATE_MAX_REPS 32

/* The repetitions of one measured point. Values are cycles unless a name
 * says otherwise. */
struct calibrate_stat {
	double median;
	double lo, hi;          /* smallest and largest repetition */
	double iqr;             /* interquartile range (interpolated quartiles) */
	double spread;          /* iqr / |median|; 1e9 when the median is 0 */
	unsigned reps;          /* 0: not measured */
};

static inline bool calibrate_stable(const struct calibrate_stat *s)
{
	return s->reps > 0 && s->spread < CALIBRATE_UNSTABLE;
}

struct calibrate_options {
	uint64_t max_mem;       /* bytes the largest footprint may use; 0: default
				 * (MemAvailable / 4, at most 4 GiB) */
	bool quick;             /* small footprints, few repetitions (tests) */
	unsigned reps;          /* repetitions per point; 0: 5 (quick: 3) */
	uint64_t seed;          /* chase orders; 0: 1 */
	int cpu;                /* pin to this CPU; -1: the one we start on */
	const char *base;       /* preset to fit from; NULL: closest by CPUID */
	bool no_thp;            /* skip the THP-backed measurements */
	/* Progress: called before each step (may be NULL). The fit's model
	 * runs call it from several threads, one call at a time. */
	void (*progress)(void *ctx, const char *step, unsigned done, unsigned total);
	void *progress_ctx;
};

/* Fills opts with the defaults. */
void calibrate_options_init(struct calibrate_options *opts);

struct calibrate_host {
	char vendor[16];            /* CPUID leaf 0: "GenuineIntel", "AuthenticAMD" */
	unsigned family, model, stepping;   /* display family / model (CPUID leaf 1) */
	char brand[64];             /* CPUID 0x80000002..4 */
	bool hypervisor;            /* CPUID leaf 1 ECX bit 31 */
	char hv_signature[16];      /* CPUID 0x40000000: "KVMKVMKVM", "Microsoft Hv", ... */
	bool cpuinfo_hypervisor;    /* /proc/cpuinfo flags has "hypervisor" */
	char dmi_vendor[64], dmi_product[64];   /* /sys/class/dmi/id; "" unknown */
	char thp_enabled[16];       /* the selected word of .../transparent_hugepage/enabled */
	char thp_defrag[24];
	unsigned ncpus;             /* online */
	int cpu;                    /* the CPU the measurements were pinned to; -1 not pinned */
	uint64_t mem_available;     /* bytes, /proc/meminfo */
	uint64_t cache_bytes[3];    /* L1D, L2, L3 as sysfs reports them for cpu0; 0 unknown */
	unsigned cache_ways[3];
	char hostname[64];
	char date[32];              /* YYYY-MM-DD, local time */
	bool is_vm;                 /* any of the hypervisor signs above */
};

/* One footprint of a chase series. */
struct calibrate_point {
	uint64_t pages;             /* lines chased; (a)'s footprint is pages x 4 KiB */
	struct calibrate_stat spread;     /* (a) one line per page, cycles per load */
	struct calibrate_stat packed;     /* (b) the same lines packed into pages / 64 pages */
	struct calibrate_stat xlat;       /* (a) - (b), repetition by repetition */
	/* The model's translation cycles per load, (a) - (b): [0] with the
	 * closest built-in preset, [1] with the calibrated one, [2] with the
	 * other preset shown beside them (calibrate_fit.other); and its TLB
	 * misses per load of (a). Negative: not predicted. */
	double pred[3];
	double pred_miss[3];
};

struct calibrate_series {
	unsigned n;
	double huge_fraction;       /* AnonHugePages share of the regions (THP); 0 for 4K */
	/* Of neighbouring pages of the chase region, the share whose frames
	 * are neighbours (/proc/self/pagemap, the first 4096 pages); -1 when
	 * the frame numbers cannot be read (they need CAP_SYS_ADMIN). */
	double frames_consecutive;
	struct calibrate_point pt[CALIBRATE_MAX_SIZES];
};

/* A TLB reach sweep: the (a) - (b) translation cost at P pages. */
struct calibrate_reach {
	unsigned n;
	uint64_t pages[CALIBRATE_MAX_REACH];
	struct calibrate_stat xlat[CALIBRATE_MAX_REACH];
	uint64_t knee[2];           /* L1 and L2 TLB reach in 4 KiB pages; 0 = not seen */
	double level[3];            /* cycles: below knee 0, between the knees, just past knee 1 */
};

enum calibrate_huge_reach { CALIBRATE_HUGE_UNKNOWN = -1, CALIBRATE_HUGE_NO = 0, CALIBRATE_HUGE_YES = 1 };

/* One row of the fit table, as fitted. */
struct calibrate_param {
	const char *key;            /* a cpu_override key */
	const char *how;            /* "measured", "reported", "fitted", "base" */
	char value[32];             /* as written to the preset file */
	char base_value[32];        /* the closest built-in preset's */
	char note[160];             /* where the value came from */
};

struct calibrate_fit {
	const struct cpu_preset *base;      /* closest built-in preset */
	char base_why[96];
	const struct cpu_preset *other;     /* shown beside it (zen5, the part issue 10 named), or NULL */
	struct cpu_preset cpu;              /* the calibrated preset */
	bool nested;                        /* model the host as nested paging with 4 KiB host pages */
	unsigned nparams;
	struct calibrate_param param[CALIBRATE_MAX_PARAMS];
	/* Over the stable points the fit used: count, and the geometric mean
	 * and worst of max(pred/meas, meas/pred), [0] base, [1] calibrated,
	 * [2] the other preset; how many of them lie within 0.67-1.5x. */
	unsigned used;
	double gm_error[3], worst_error[3];
	unsigned within[3];
	/* Whether the calibrated model reproduces what THP does to TLB misses
	 * here: at every footprint with both backings, |predicted THP - 4 KiB
	 * misses per load| <= |measured difference| + 0.10, the measured miss
	 * rates estimated from the reach sweeps' L2 knees (1 - knee / pages).
	 * thp_worst: the largest predicted minus allowed difference (<= 0: it
	 * does); thp_points: footprints compared (0: not checked). */
	unsigned thp_points;
	double thp_worst;
	bool thp_reproduced;
	bool done;
};

struct calibrate_result {
	struct calibrate_host host;
	struct calibrate_options opts;
	double ghz;                     /* measured core clock */
	struct calibrate_stat clock;          /* GHz, from the add chain */
	double clock_imul;              /* GHz, from the multiply chain (the cross-check) */
	struct calibrate_stat lat[4];         /* load-to-use cycles: L1D, L2, L3, memory */
	uint64_t lat_bytes[4];          /* lines touched by each latency chase, in bytes */
	double lat_walk_share[4];       /* cycles of translation removed from each */
	uint64_t llc_knee;              /* L3 capacity this thread gets: bytes of chased pages
					 * where latency is half-way to memory's; 0 = not seen */
	struct calibrate_stat fault[2];       /* first touch, cycles per fault: 4 KiB page, THP */
	double fault_huge_fraction;     /* AnonHugePages share of the THP fault test */
	struct calibrate_reach reach[CALIBRATE_BACKINGS];
	struct calibrate_series series[CALIBRATE_BACKINGS];
	bool thp_measured;              /* THP-backed measurements are in the result */
	enum calibrate_huge_reach huge_reach; /* do 2 MiB pages give 2 MiB TLB reach here? */
	double seconds;                 /* wall time of the measurements */
	struct calibrate_fit fit;
	unsigned nnotes;
	char notes[CALIBRATE_MAX_NOTES][CALIBRATE_NOTE_LEN];   /* what the user must know, plainly */
};

/* Measures this machine into *res (res->fit untouched). 0, -ENOTSUP (not
 * Linux x86-64), -ENOMEM, or -errno with xlat_error(). */
XLAT_MUST_CHECK int calibrate_measure(const struct calibrate_options *opts, struct calibrate_result *res);

/* Fits a preset to the measurements in *res (host, clock, latencies,
 * faults, reach, series) and fills res->fit and the predictions of every
 * series point. opts (may be NULL) gives the progress callback and the
 * base preset (else res->opts.base, else the closest by CPUID). 0 or
 * -errno. */
XLAT_MUST_CHECK int calibrate_fit(struct calibrate_result *res, const struct calibrate_options *opts);

/* calibrate_measure + calibrate_fit. */
XLAT_MUST_CHECK int calibrate_run(const struct calibrate_options *opts, struct calibrate_result *res);

/* The built-in preset closest to the host (CPUID vendor, family, model),
 * with why in `why`. Never NULL. */
const struct cpu_preset *calibrate_closest_preset(const struct calibrate_host *h, char *why, size_t len);

/* Knees of a reach sweep from its points (fills r->knee and r->level):
 * where the translation cost crosses half-way between two plateaus,
 * interpolated in log pages, i.e. the entries an LRU TLB of the same
 * reach would have. */
void calibrate_find_knees(struct calibrate_reach *r);
/* Whether 2 MiB pages give 2 MiB TLB reach, from the 4 KiB and the THP
 * sweeps and the AnonHugePages share of the THP memory. */
enum calibrate_huge_reach calibrate_huge_reach(const struct calibrate_reach *r4k, const struct calibrate_reach *rthp,
					 double huge_fraction);

/* Writes the fitted preset as a preset file (xlat/cpu.h, cpu_file_write):
 * base, every fitted key with where it came from, a source line naming
 * the date and host. 0 or -errno. */
XLAT_MUST_CHECK int calibrate_write_preset(const struct calibrate_result *res, const char *path);

XLAT_API_END

#endif
