/*
 * xlat/calibrate.h: the analysis and the fit on synthetic measurements
 * with a known answer (the "machine" is the model itself with a known
 * preset), and the command on --quick against this machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "studies/calibrate_int.h"
#include "xlat/calibrate.h"
#include "xlat/cpu.h"
#include "xlat/machine.h"

static struct calibrate_stat exact(double v)
{
	struct calibrate_stat s = { .median = v, .lo = v, .hi = v, .iqr = 0, .spread = 0, .reps = 5 };
	return s;
}

static void set_reach(struct calibrate_reach *r, const uint64_t *pages, const double *y, unsigned n)
{
	memset(r, 0, sizeof *r);
	r->n = n;
	for (unsigned i = 0; i < n; i++) {
		r->pages[i] = pages[i];
		r->xlat[i] = exact(y[i]);
	}
	calibrate_find_knees(r);
}

/* A staircase with known half-way crossings: 64 (between 32 and 128,
 * log-midway) and 1536 (between 1024 and 2304). */
static const uint64_t stair_pages[] = { 8, 12, 16, 24, 32, 128, 192, 256, 512, 1024, 2304, 3072, 4096, 8192 };
static const double stair_cost[] = { 0, 0.1, -0.1, 0, 0, 9, 9, 9.2, 8.8, 9, 40, 40, 40, 44 };
#define NSTAIR (sizeof stair_pages / sizeof stair_pages[0])

static void knees_of_a_staircase(void **state)
{
	(void)state;
	struct calibrate_reach r;

	set_reach(&r, stair_pages, stair_cost, NSTAIR);
	assert_int_equal(r.knee[0], 64);
	assert_int_equal(r.knee[1], 1536);
	assert_true(fabs(r.level[0]) < 0.2);
	assert_true(fabs(r.level[1] - 9) < 0.3);
	assert_true(r.level[2] == 40);

	/* A gradual rise (a pseudo-LRU STLB) flattens where it stops rising:
	 * the knee is half-way to that level, not at the first miss. */
	static const uint64_t p2[] = { 8, 16, 32, 64, 128, 256, 512, 1024, 1448, 1722, 2048, 2435, 2896, 3444, 4096, 4870 };
	static const double y2[] = { 0, 0, 0, 0, 7, 7, 7, 7, 7.6, 9.3, 16.9, 28.9, 36.8, 38.7, 40.3, 41.8 };
	set_reach(&r, p2, y2, 16);
	assert_true(r.knee[0] > 64 && r.knee[0] < 128);
	assert_true(r.knee[1] > 2048 && r.knee[1] < 2435);
	assert_true(r.level[2] > 35);

	/* No step at all: no knees, and noise is not a step. */
	static const double flat[] = { 0, 0.3, -0.4, 0.2, 1.1, -0.8, 0.5, 0, 0.9, -1, 0.1, 0, 0.2, 0 };
	set_reach(&r, stair_pages, flat, NSTAIR);
	assert_int_equal(r.knee[0], 0);
	assert_int_equal(r.knee[1], 0);
	/* One spike is not a step either (the next point must agree). */
	static const double spike[] = { 0, 0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0, 0 };
	set_reach(&r, stair_pages, spike, NSTAIR);
	assert_int_equal(r.knee[0], 0);

	/* A burst of noise after the L1 step (measured on this VM: three
	 * points whose repetitions spread by 29-79 %, then back to the STLB
	 * hit level) is not the L2 step, which comes later. */
	static const uint64_t bp[] = { 16, 32, 64, 91, 108, 128, 256, 362, 431, 512, 609, 724, 861, 1024,
				       1448, 2048, 2435, 2896, 4096 };
	static const double by[] = { 0, 0, 0, 0.5, 4.9, 6.7, 7.1, 7.5, 10.1, 14.6, 11.7, 11.3, 7.2, 7.2,
				     7.3, 7.9, 30, 38, 40 };
	static const double bs[] = { 9, 5, 9, 0.57, 0.12, 0.06, 0.08, 0.09, 0.16, 0.29, 0.34, 0.79, 0.05, 0.05,
				     0.04, 0.06, 0.05, 0.03, 0.02 };
	memset(&r, 0, sizeof r);
	r.n = sizeof bp / sizeof bp[0];
	for (unsigned i = 0; i < r.n; i++) {
		r.pages[i] = bp[i];
		r.xlat[i] = exact(by[i]);
		r.xlat[i].spread = bs[i];
		r.xlat[i].iqr = bs[i] * fabs(by[i]);
	}
	calibrate_find_knees(&r);
	assert_true(r.knee[0] > 91 && r.knee[0] < 128);
	assert_true(r.knee[1] > 2048 && r.knee[1] < 2435);
	/* The same burst measured steadily (small spreads) is still not a
	 * step: the points after it fall back to the STLB hit level. */
	for (unsigned i = 0; i < r.n; i++) {
		r.xlat[i].spread = 0.05;
		r.xlat[i].iqr = 0.05 * fabs(by[i]);
	}
	calibrate_find_knees(&r);
	assert_true(r.knee[1] > 2048 && r.knee[1] < 2435);
}

static void huge_reach_verdicts(void **state)
{
	(void)state;
	struct calibrate_reach r4, rh;
	static const double none[NSTAIR] = { 0 };

	set_reach(&r4, stair_pages, stair_cost, NSTAIR);
	set_reach(&rh, stair_pages, stair_cost, NSTAIR);
	/* THP steps where 4 KiB does: no 2 MiB reach (a VM's 4 KiB host pages). */
	assert_int_equal(calibrate_huge_reach(&r4, &rh, 1.0), CALIBRATE_HUGE_NO);
	/* ... but only if THP was really obtained. */
	assert_int_equal(calibrate_huge_reach(&r4, &rh, 0.5), CALIBRATE_HUGE_UNKNOWN);
	/* No step within the sweep: 2 MiB reach. */
	set_reach(&rh, stair_pages, none, NSTAIR);
	assert_int_equal(calibrate_huge_reach(&r4, &rh, 1.0), CALIBRATE_HUGE_YES);
	/* A first step 8x later: 2 MiB entries (32 of them, say). */
	static const uint64_t far_p[] = { 8, 64, 256, 512, 1024, 2048, 4096, 8192 };
	static const double far_y[] = { 0, 0, 0, 0, 0, 0, 9, 9 };
	set_reach(&rh, far_p, far_y, 8);
	assert_true(rh.knee[0] > 2048);
	assert_int_equal(calibrate_huge_reach(&r4, &rh, 1.0), CALIBRATE_HUGE_YES);
	/* In between (3x): no answer rather than a wrong one. */
	static const double mid_y[] = { 0, 0, 0, 9, 9, 9, 9, 9 };
	static const uint64_t mid_p[] = { 8, 64, 128, 256, 512, 1024, 2048, 4096 };
	set_reach(&rh, mid_p, mid_y, 8);
	assert_int_equal(calibrate_huge_reach(&r4, &rh, 1.0), CALIBRATE_HUGE_UNKNOWN);
	/* Nothing measured: unknown. */
	memset(&rh, 0, sizeof rh);
	assert_int_equal(calibrate_huge_reach(&r4, &rh, 1.0), CALIBRATE_HUGE_UNKNOWN);
}

static void closest_presets(void **state)
{
	(void)state;
	struct calibrate_host h;
	char why[128];

	memset(&h, 0, sizeof h);
	strcpy(h.vendor, "GenuineIntel");
	h.family = 6;
	h.model = 0xcf;
	assert_string_equal(calibrate_closest_preset(&h, why, sizeof why)->name, "sapphirerapids");
	assert_non_null(strstr(why, "Emerald Rapids"));
	h.model = 0x55;
	assert_string_equal(calibrate_closest_preset(&h, why, sizeof why)->name, "skylake-sp");
	h.model = 0x9e;
	assert_string_equal(calibrate_closest_preset(&h, why, sizeof why)->name, "skylake");
	h.model = 0x6a;
	assert_string_equal(calibrate_closest_preset(&h, why, sizeof why)->name, "icelake");
	h.model = 0x01;   /* not in the table: the newest Intel preset */
	assert_string_equal(calibrate_closest_preset(&h, why, sizeof why)->name, "sapphirerapids");
	assert_non_null(strstr(why, "not in the table"));

	strcpy(h.vendor, "AuthenticAMD");
	h.family = 0x17;
	h.model = 0x71;
	assert_string_equal(calibrate_closest_preset(&h, why, sizeof why)->name, "zen2");
	h.family = 0x19;
	h.model = 0x21;
	assert_string_equal(calibrate_closest_preset(&h, why, sizeof why)->name, "zen3");
	h.model = 0x11;
	assert_string_equal(calibrate_closest_preset(&h, why, sizeof why)->name, "zen4");
	/* Zen 5: its own preset once there is one, else Zen 4, saying so. */
	h.family = 0x1a;
	h.model = 0x44;
	const struct cpu_preset *p = calibrate_closest_preset(&h, why, sizeof why);
	if (cpu_preset_by_name("zen5")) {
		assert_string_equal(p->name, "zen5");
	} else {
		assert_string_equal(p->name, "zen4");
		assert_non_null(strstr(why, "no zen5 preset yet"));
	}
	strcpy(h.vendor, "CentaurHauls");
	assert_ptr_equal(calibrate_closest_preset(&h, why, sizeof why), cpu_preset_default());
	/* The lookups leave no error behind for the caller to trip over. */
	xlat_fail(-1, "before");
	calibrate_closest_preset(&h, NULL, 0);
	assert_string_equal(xlat_error(), "before");
}

/* The known answer: "measurements" made by the model with skylake-sp and
 * walk_cycles = 60 (walk_ref_cycles 0: these native chases read one entry
 * per walk, the PDE cached, so walks and references cannot be told apart
 * and 59 + 1 per reference would do as well); the fit, starting from what
 * CPUID says (skylake-sp), must find them and predict every point exactly. */
#define TRUE_WALK 60
static struct calibrate_result *known_machine(uint64_t max_pages)
{
	struct calibrate_result *r = calloc(1, sizeof *r);
	struct cpu_preset truth = *cpu_preset_by_name("skylake-sp");
	char v[16];

	snprintf(v, sizeof v, "%d", TRUE_WALK);
	assert_int_equal(cpu_override(&truth, "walk_cycles", v), 0);
	assert_int_equal(cpu_override(&truth, "walk_ref_cycles", "0"), 0);
	strcpy(r->host.vendor, "GenuineIntel");
	r->host.family = 6;
	r->host.model = 0x55;
	strcpy(r->host.hostname, "synthetic");
	strcpy(r->host.date, "2000-01-01");
	r->host.cache_bytes[0] = 32 << 10;
	r->host.cache_ways[0] = 8;
	r->host.cache_bytes[1] = 1 << 20;
	r->host.cache_ways[1] = 16;
	r->host.cache_bytes[2] = 28ULL * 1408 << 10;
	r->host.cache_ways[2] = 11;
	r->ghz = 2.5;
	r->clock = exact(2.5);
	r->lat[0] = exact(4);
	r->lat[1] = exact(14);
	r->lat[2] = exact(70);
	r->lat[3] = exact(225);
	r->fault[0] = exact(2500);
	set_reach(&r->reach[CALIBRATE_4K], stair_pages, stair_cost, NSTAIR);
	r->huge_reach = CALIBRATE_HUGE_UNKNOWN;

	struct calibrate_series *s = &r->series[CALIBRATE_4K];
	for (uint64_t p = 16; p <= max_pages; p *= 2) {
		struct calibrate_point *pt = &s->pt[s->n++];
		struct calibrate_pred a, b;
		assert_int_equal(calibrate_model_point(&truth, false, CALIBRATE_4K, true, true, p, &a), 0);
		assert_int_equal(calibrate_model_point(&truth, false, CALIBRATE_4K, false, true, p, &b), 0);
		pt->pages = p;
		pt->spread = exact(a.cycles + 5);
		pt->packed = exact(b.cycles + 5);
		pt->xlat = exact(a.cycles - b.cycles);
		pt->pred[0] = pt->pred[1] = -1;
	}
	return r;
}

static const struct calibrate_param *param(const struct calibrate_result *r, const char *key)
{
	for (unsigned i = 0; i < r->fit.nparams; i++)
		if (!strcmp(r->fit.param[i].key, key))
			return &r->fit.param[i];
	fail_msg("no fit row %s", key);
	return NULL;
}

static void fit_recovers_the_known_answer(void **state)
{
	(void)state;
	struct calibrate_result *r = known_machine(8192);
	char what[160];

	/* An unstable point with an absurd value must not move the fit. */
	struct calibrate_point *bad = &r->series[CALIBRATE_4K].pt[r->series[CALIBRATE_4K].n - 1];
	double good = bad->xlat.median;
	bad->xlat.median *= 10;
	bad->xlat.spread = 0.5;

	assert_int_equal(calibrate_fit(r, NULL), 0);
	assert_true(r->fit.done);
	assert_string_equal(r->fit.base->name, "skylake-sp");
	assert_false(r->fit.nested);
	assert_string_equal(param(r, "walk_cycles")->value, "60");
	assert_string_equal(param(r, "walk_cycles")->how, "fitted");
	assert_string_equal(param(r, "walk_ref_cycles")->value, "0");
	assert_string_equal(param(r, "l1d.4k.entries")->value, "64");
	assert_string_equal(param(r, "stlb.4k.entries")->value, "1536");
	assert_string_equal(param(r, "stlb.latency")->value, "9");
	assert_string_equal(param(r, "ghz")->how, "measured");
	assert_string_equal(param(r, "cache.l2.size")->how, "reported");
	assert_string_equal(param(r, "cache.llc.size")->value, "39424KiB");
	assert_string_equal(param(r, "mem_latency")->value, "225");

	/* The calibrated preset is the truth. */
	struct cpu_preset truth = *cpu_preset_by_name("skylake-sp");
	assert_int_equal(cpu_override(&truth, "walk_cycles", "60"), 0);
	assert_int_equal(cpu_override(&truth, "walk_ref_cycles", "0"), 0);
	assert_int_equal(cpu_override(&truth, "ghz", "2.50"), 0);
	if (cpu_file_same(&r->fit.cpu, &truth, what, sizeof what) != 1)
		print_error("calibrated preset differs: %s\n", what);
	assert_int_equal(cpu_file_same(&r->fit.cpu, &truth, NULL, 0), 1);

	/* Every stable point predicted exactly; the unstable one not used. */
	unsigned stable = 0;
	for (unsigned i = 0; i < r->series[CALIBRATE_4K].n; i++) {
		const struct calibrate_point *pt = &r->series[CALIBRATE_4K].pt[i];
		double want = pt == bad ? good : pt->xlat.median;
		assert_true(fabs(pt->pred[1] - want) < 1e-6);
		stable += pt != bad && pt->xlat.median >= 1.0;
	}
	assert_int_equal(r->fit.used, stable);
	assert_true(r->fit.used >= 6);
	assert_true(r->fit.gm_error[1] < 1.000001);
	assert_true(r->fit.worst_error[1] < 1.000001);
	/* The base (walk_cycles 9) predicts less. */
	assert_true(r->fit.gm_error[0] > 1.05);

	/* Predictions from counters are the model's own: a run of the model
	 * with the fitted preset gives the same cycles. */
	for (unsigned i = 0; i < r->series[CALIBRATE_4K].n; i += 3) {
		const struct calibrate_point *pt = &r->series[CALIBRATE_4K].pt[i];
		struct calibrate_pred a, b;
		assert_int_equal(calibrate_model_point(&r->fit.cpu, false, CALIBRATE_4K, true, true, pt->pages, &a), 0);
		assert_int_equal(calibrate_model_point(&r->fit.cpu, false, CALIBRATE_4K, false, true, pt->pages, &b), 0);
		assert_true(fabs((a.cycles - b.cycles) - pt->pred[1]) < 1e-9);
	}

	/* The preset file holds it, and loads back to it. */
	char path[256];
	struct cpu_preset *back;
	snprintf(path, sizeof path, "%s/fit.ini", test_tmpdir());
	assert_int_equal(calibrate_write_preset(r, path), 0);
	assert_int_equal(cpu_file_load(path, &back), 0);
	assert_int_equal(cpu_file_same(back, &r->fit.cpu, NULL, 0), 1);
	assert_non_null(strstr(back->source, "measured by xlat calibrate on 2000-01-01, synthetic"));
	cpu_file_free(back);
	free(r);
}

static void fit_models_a_vm_without_huge_reach_as_nested(void **state)
{
	(void)state;
	struct calibrate_result *r = known_machine(512);
	char path[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	r->host.is_vm = true;
	r->huge_reach = CALIBRATE_HUGE_NO;
	assert_int_equal(calibrate_fit(r, NULL), 0);
	assert_true(r->fit.nested);
	/* The file says how to run it. */
	snprintf(path, sizeof path, "%s/vm.ini", test_tmpdir());
	assert_int_equal(calibrate_write_preset(r, path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, 0, f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "\nmode = nested\nhost_page_policy = 4k\n"));
	assert_non_null(strstr(text, "a virtual machine"));
	free(text);
	/* ... and the machine it describes is run that way when loaded. */
	struct machine_config mc;
	struct cpu_preset *keep;
	machine_config_init(&mc);
	assert_int_equal(machine_config_load_file(&mc, path, &keep), 0);
	assert_int_equal(mc.mode, MACHINE_NESTED);
	assert_int_equal(mc.host_page_policy, OS_PAGE_4K);
	assert_int_equal(cpu_file_same(&mc.cpu, &r->fit.cpu, NULL, 0), 1);
	/* The guest's fault costs are written for the nested row. */
	assert_string_equal(param(r, "fault.nested.4k")->value, "2500");
	assert_string_equal(param(r, "fault.nested.4k")->how, "measured");
	cpu_file_free(keep);

	/* What the OS reports is used only when it is a geometry; an L3
	 * capacity measured is rounded to whole sets of the ways the preset
	 * has. */
	r->host.cache_ways[0] = 7;      /* 32 KiB / (7 x 64) is not whole */
	r->host.cache_ways[1] = 24;
	r->host.cache_bytes[1] = 1536 << 10;
	r->llc_knee = 24 << 20;
	assert_int_equal(calibrate_fit(r, NULL), 0);
	assert_int_equal(cpu_check(&r->fit.cpu), 0);
	assert_string_equal(param(r, "cache.l1d.ways")->how, "base");
	assert_string_equal(param(r, "cache.l2.ways")->value, "24");
	assert_string_equal(param(r, "cache.l2.size")->value, "1536KiB");
	assert_string_equal(param(r, "cache.llc.size")->how, "measured");
	assert_string_equal(param(r, "cache.llc.size")->value, "24640KiB");   /* 35 x 11 ways x 64 KiB */
	r->llc_knee = 0;

	/* A gradual L2 TLB knee (half the step paid short of the reach) is a
	 * hashed set index; the staircase's sharp one is not. */
	assert_string_equal(param(r, "stlb.4k.hash")->how, "base");
	static const uint64_t gp[] = { 8, 16, 32, 64, 128, 256, 512, 1024, 1448, 1722, 2048, 2435, 2896, 3444, 4096, 4870 };
	static const double gy[] = { 0, 0, 0, 0, 7, 7, 7, 7, 7.6, 9.3, 28, 40, 47, 48.7, 50.3, 50.8 };
	struct calibrate_reach saved = r->reach[CALIBRATE_4K];
	set_reach(&r->reach[CALIBRATE_4K], gp, gy, 16);
	assert_int_equal(calibrate_fit(r, NULL), 0);
	assert_string_equal(param(r, "stlb.4k.hash")->value, "1");
	assert_non_null(strstr(param(r, "stlb.4k.hash")->note, "gradual"));
	r->reach[CALIBRATE_4K] = saved;

	/* Without 2 MiB reach the THP sweep measured the same 4 KiB entries:
	 * the fit takes the geometric mean of the two sweeps' knees. */
	r->reach[CALIBRATE_THP] = r->reach[CALIBRATE_4K];
	r->reach[CALIBRATE_THP].knee[1] = 2400;           /* the 4 KiB sweep's: 1536 */
	assert_int_equal(calibrate_fit(r, NULL), 0);
	assert_string_equal(param(r, "stlb.4k.entries")->value, "1920");   /* sqrt(1536 x 2400), 160 sets x 12 */
	assert_non_null(strstr(param(r, "stlb.4k.entries")->note, "THP"));
	r->huge_reach = CALIBRATE_HUGE_UNKNOWN;            /* not the same entries: the 4 KiB sweep's alone */
	assert_int_equal(calibrate_fit(r, NULL), 0);
	assert_string_equal(param(r, "stlb.4k.entries")->value, "1536");
	r->huge_reach = CALIBRATE_HUGE_NO;
	memset(&r->reach[CALIBRATE_THP], 0, sizeof r->reach[CALIBRATE_THP]);

	/* A user's base wins over CPUID. */
	struct calibrate_options o;
	calibrate_options_init(&o);
	o.base = "zen3";
	r->huge_reach = CALIBRATE_HUGE_UNKNOWN;
	assert_int_equal(calibrate_fit(r, &o), 0);
	assert_string_equal(r->fit.base->name, "zen3");
	o.base = "no-such-cpu";
	assert_int_equal(calibrate_fit(r, &o), -EINVAL);
	free(r);
}

static void stats(void **state)
{
	(void)state;
	struct calibrate_stat s, t, d;
	static const double v[] = { 10, 12, 11, 50, 9 };   /* one outlier */
	static const double w[] = { 4, 4, 4, 4, 4 };

	calh_stat(&s, v, 5);
	assert_true(s.median == 11);
	assert_true(s.lo == 9 && s.hi == 50);
	assert_true(fabs(s.iqr - 2) < 1e-12);       /* quartiles 10 and 12 */
	assert_true(fabs(s.spread - 2.0 / 11) < 1e-12);
	assert_true(calibrate_stable(&s));
	calh_stat(&t, w, 5);
	calh_stat_diff(&d, &s, &t);
	assert_true(d.median == 7 && d.lo == 5 && d.hi == 46);
	assert_true(fabs(d.spread - 2.0 / 7) < 1e-12);
	assert_false(calibrate_stable(&d));
	/* A zero median is never stable. */
	static const double z[] = { -1, 0, 1 };
	calh_stat(&s, z, 3);
	assert_false(calibrate_stable(&s));
}

/* ---- the command, on this machine --------------------------------------------------- */

static char *json_field(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	return p ? (char *)p + strlen(pat) : NULL;
}

static double json_num(const char *json, const char *key)
{
	char *p = json_field(json, key);
	if (!p)
		fail_msg("no \"%s\" in the JSON", key);
	return strtod(p, NULL);
}

static void command_quick(void **state)
{
	(void)state;
	char args[512], path[256], *out = NULL;
	int rc;

	snprintf(path, sizeof path, "%s/host.ini", test_tmpdir());
	snprintf(args, sizeof args, "calibrate --quick --quiet --json --out %s", path);
	rc = run_xlat(args, 0, &out);
	if (rc)
		print_error("exit %d: %s\n", rc, out);
	assert_int_equal(rc, 0);
	/* What was measured makes physical sense (loose bounds: a busy VM). */
	double ghz = json_num(out, "ghz");
	assert_true(ghz > 0.2 && ghz < 10);
	/* L1D and L2 are always within the quick sweep; L3 and memory may
	 * not be (a big L3), and a busy L3 is too noisy to bound. */
	double l1 = json_num(out, "lat_l1d"), l2 = json_num(out, "lat_l2");
	assert_true(l1 >= 1 && l1 < 20);
	assert_true(l2 > l1);
	assert_true(json_num(out, "reach_4k_l1_pages") >= 16);
	assert_true(json_num(out, "fault_4k_cycles") > 100);
	assert_non_null(json_field(out, "huge_reach"));
	assert_non_null(json_field(out, "series"));
	assert_non_null(strstr(out, "\"key\":\"walk_cycles\""));
	if (strstr(out, "THP could not be obtained"))
		print_message("THP not obtained here (see the notes): its series not checked\n");
	else
		assert_non_null(strstr(out, "\"backing\":\"thp\""));
	assert_non_null(json_field(out, "notes"));
	/* The preset file loads as a machine's (it may say how to run it). */
	struct cpu_preset *p;
	struct machine_config mc;
	machine_config_init(&mc);
	assert_int_equal(machine_config_load_file(&mc, path, &p), 0);
	assert_non_null(strstr(p->source, "xlat calibrate"));
	if (strstr(out, "\"nested\":true"))
		assert_int_equal(mc.mode, MACHINE_NESTED);
	cpu_file_free(p);
	free(out);

	/* Text mode says what it found, in words. */
	rc = run_xlat("calibrate --quick --quiet --no-fit --no-thp --reps 3", 0, &out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "cache latency"));
	assert_non_null(strstr(out, "TLB reach"));
	free(out);
}

static void command_refuses_bad_usage(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "calibrate --max-mem 1k", "--max-mem: at least 4 MiB" },
		{ "calibrate --max-mem lots", "--max-mem:" },
		{ "calibrate --max-mem 1P --no-fit", "more than 80 % of MemAvailable" },
		{ "calibrate --reps 2", "--reps: a number from 3" },
		{ "calibrate --base pentium", "--base: unknown CPU preset" },
		{ "calibrate --no-fit --out x.ini", "--out needs the fit" },
		{ "calibrate --frobnicate", "unknown or incomplete option" },
		{ "calibrate extra", "unexpected argument 'extra'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *out = NULL;
		int rc = run_xlat(bad[i][0], 1, &out);
		if (rc != 2 || !strstr(out, bad[i][1]))
			print_error("'%s': exit %d, '%s'\n", bad[i][0], rc, out);
		assert_int_equal(rc, 2);
		assert_non_null(strstr(out, bad[i][1]));
		assert_non_null(strstr(out, "xlat calibrate: "));
		free(out);
	}
	char *out = NULL;
	assert_int_equal(run_xlat("calibrate --help", 0, &out), 0);
	assert_non_null(strstr(out, "--cpu-file"));
	free(out);
}

/* Can this machine run the microbenchmarks with THP? */
static const char *cannot_run(void)
{
#if !defined(__x86_64__) || !defined(__linux__)
	return "the calibration microbenchmarks need Linux on x86-64";
#else
	static char why[160];
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128] = "";
	if (!f)
		return "no /sys/kernel/mm/transparent_hugepage: this kernel has no THP";
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	fclose(f);
	if (strstr(line, "[never]")) {
		snprintf(why, sizeof why, "THP is disabled here (transparent_hugepage/enabled: %.60s)", line);
		return why;
	}
	if (access("/proc/self/smaps", R_OK))
		return "no /proc/self/smaps to verify THP with";
	return NULL;
#endif
}

int main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(knees_of_a_staircase),
		cmocka_unit_test(huge_reach_verdicts),
		cmocka_unit_test(closest_presets),
		cmocka_unit_test(stats),
		cmocka_unit_test(fit_recovers_the_known_answer),
		cmocka_unit_test(fit_models_a_vm_without_huge_reach_as_nested),
		cmocka_unit_test(command_refuses_bad_usage),
	};
	const struct CMUnitTest host[] = {
		cmocka_unit_test(command_quick),
	};
	int rc = cmocka_run_group_tests_name("calibrate", unit, NULL, NULL);
	if (rc)
		return rc;
	const char *why = cannot_run();
	if (why) {
		printf("skip: xlat calibrate --quick not run: %s\n", why);
		return 77;
	}
	return cmocka_run_group_tests_name("calibrate on this machine", host, NULL, NULL);
}
