/*
 * Preset files (xlat/cpu.h, src/hardware/cpu_file.c): what is written
 * loads back to the same preset, on disk too; every kind of bad line is
 * refused with FILE:LINE and what is wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "xlat/cpu.h"

static struct cpu_preset *parse_ok(const char *text)
{
	struct cpu_preset *p = NULL;
	int rc = cpu_file_parse(text, strlen(text), "t.ini", &p);
	if (rc)
		print_error("unexpected failure: %s\n", xlat_error());
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

static void minimal_file_is_the_base(void **state)
{
	(void)state;
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);

	for (size_t i = 0; i < n; i++) {
		char text[128];
		snprintf(text, sizeof text, "base = %s\n", all[i].name);
		struct cpu_preset *p = parse_ok(text);
		assert_int_equal(cpu_file_same(p, &all[i], NULL, 0), 1);
		assert_string_equal(p->name, "t.ini");
		assert_non_null(strstr(p->source, all[i].name));
		cpu_file_free(p);
	}
}

static void overrides_apply_in_order(void **state)
{
	(void)state;
	struct cpu_preset *p = parse_ok("# a comment\n"
					"\n"
					"  # source: measured by hand on a rainy day\n"
					"base = zen4\n"
					"l1d.entries = 96          # trailing comment\n"
					"STLB.ENTRIES=2400\n"
					"walk_cycles = 120\r\n"
					"\t mem_latency\t=\t500 \n");
	struct cpu_preset want = *cpu_preset_by_name("zen4");
	char what[160];

	assert_int_equal(cpu_override(&want, "l1d.entries", "96"), 0);
	assert_int_equal(cpu_override(&want, "stlb.entries", "2400"), 0);
	assert_int_equal(cpu_override(&want, "walk_cycles", "120"), 0);
	assert_int_equal(cpu_override(&want, "mem_latency", "500"), 0);
	if (cpu_file_same(p, &want, what, sizeof what) != 1)
		print_error("differs: %s\n", what);
	assert_int_equal(cpu_file_same(p, &want, NULL, 0), 1);
	assert_non_null(strstr(p->source, "measured by hand on a rainy day"));
	/* ... and differs from the base. */
	assert_int_equal(cpu_file_same(p, cpu_preset_by_name("zen4"), what, sizeof what), 0);
	assert_non_null(strstr(what, "entries"));
	/* A copy stays valid while the loaded preset lives. */
	struct cpu_preset copy = *p;
	assert_int_equal(cpu_check(&copy), 0);
	assert_string_equal(copy.name, "t.ini");
	cpu_file_free(p);
}

/* Round trip: diff -> format -> parse gives the same preset, for every
 * built-in base and a change of every kind the calibration makes. */
static void round_trip(void **state)
{
	(void)state;
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);
	static const char *const sets[][2] = {
		{ "ghz", "2.99" }, { "l1d.4k.entries", "72" }, { "stlb.4k.entries", "2240" },
		{ "stlb.latency", "11" }, { "cache.llc.size", "23040KiB" }, { "cache.llc.ways", "20" },
		{ "cache.l1d.latency", "6" }, { "mem_latency", "777" }, { "fault_cycles", "12345" },
		{ "walk_cycles", "57" }, { "base_cycles_per_access", "1.5" },
	};

	for (size_t i = 0; i < n; i++) {
		struct cpu_preset p = all[i];
		struct cpu_file_line lines[64];
		char store[64][2][48], *text, what[160];
		size_t nl;

		for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
			/* entries must divide by the ways: pick a multiple */
			if (strstr(sets[k][0], "entries")) {
				char wk[48], wv[16], v[16];
				snprintf(wk, sizeof wk, "%.*sways", (int)(strlen(sets[k][0]) - 7), sets[k][0]);
				assert_int_equal(cpu_get(&p, wk, wv, sizeof wv), 0);
				unsigned w = (unsigned)atoi(wv);
				snprintf(v, sizeof v, "%u", w ? w * 5 : 40);
				assert_int_equal(cpu_override(&p, sets[k][0], v), 0);
				continue;
			}
			assert_int_equal(cpu_override(&p, sets[k][0], sets[k][1]), 0);
		}
		assert_int_equal(cpu_check(&p), 0);
		assert_int_equal(cpu_file_diff(&all[i], &p, lines, 64, &nl, store), 0);
		assert_true(nl >= sizeof sets / sizeof sets[0] - 1);   /* a value may equal the base's */
		lines[0].comment = "measured: with a comment\nspanning lines";
		assert_int_equal(cpu_file_format(all[i].name, "source: a test\nsecond line", lines, nl, &text), 0);
		assert_non_null(strstr(text, "# source: a test\n# second line\n"));
		assert_non_null(strstr(text, "# measured: with a comment spanning lines\n"));
		struct cpu_preset *back = parse_ok(text);
		if (cpu_file_same(back, &p, what, sizeof what) != 1)
			print_error("%s: %s\n", all[i].name, what);
		assert_int_equal(cpu_file_same(back, &p, NULL, 0), 1);
		assert_non_null(strstr(back->source, "a test"));
		cpu_file_free(back);
		free(text);
	}
}

static void diff_refuses_what_keys_cannot_say(void **state)
{
	(void)state;
	struct cpu_preset p = *cpu_preset_by_name("skylake");
	struct cpu_file_line lines[64];
	char store[64][2][48];
	size_t nl = 99;

	/* Removing an array shifts the others: not expressible key by key
	 * as a difference of values. */
	assert_int_equal(cpu_override(&p, "l1d.2m.entries", "0"), 0);
	assert_int_equal(cpu_file_diff(cpu_preset_by_name("skylake"), &p, lines, 64, &nl, store), -EINVAL);
	assert_int_equal(nl, 0);
	assert_non_null(strstr(xlat_error(), "cannot be expressed"));
	/* Nothing to say: no lines. */
	assert_int_equal(cpu_file_diff(cpu_preset_by_name("zen3"), cpu_preset_by_name("zen3"), lines, 64, &nl, store), 0);
	assert_int_equal(nl, 0);
}

static void write_is_atomic_and_loads(void **state)
{
	(void)state;
	char dir[256], path[300];
	struct cpu_file_line lines[] = {
		{ "walk_cycles", "42", "fitted" },
		{ "stlb.entries", "2400", NULL },
	};
	struct cpu_preset *p;
	struct stat st;

	snprintf(dir, sizeof dir, "%s", test_tmpdir());
	snprintf(path, sizeof path, "%s/host.ini", dir);
	assert_int_equal(cpu_file_write(path, "zen4", "source: test", lines, 2), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mode & S_IRUSR);
	/* Overwrite: still one file, no temporaries left. */
	lines[0].value = "43";
	assert_int_equal(cpu_file_write(path, "zen4", "source: test", lines, 2), 0);
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned files = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			files++;
	closedir(d);
	assert_int_equal(files, 1);
	assert_int_equal(cpu_file_load(path, &p), 0);
	char v[32];
	assert_int_equal(cpu_get(p, "walk_cycles", v, sizeof v), 0);
	assert_string_equal(v, "43");
	assert_string_equal(p->name, "host.ini");
	cpu_file_free(p);

	/* A directory that does not exist: an error naming the file. */
	assert_true(cpu_file_write("/nonexistent-dir/x.ini", "zen4", NULL, lines, 2) < 0);
	assert_non_null(strstr(xlat_error(), "/nonexistent-dir/x.ini"));
	assert_int_equal(cpu_file_load("/nonexistent-dir/x.ini", &p), -ENOENT);
	assert_null(p);
	assert_non_null(strstr(xlat_error(), "/nonexistent-dir/x.ini"));
	/* Values a line cannot carry are refused before anything is written. */
	struct cpu_file_line bad = { "walk_cycles", "4 # 2", NULL };
	assert_int_equal(cpu_file_write(path, "zen4", NULL, &bad, 1), -EINVAL);
	assert_int_equal(cpu_file_write(path, "no-such-cpu", NULL, lines, 1), -EINVAL);
	/* Nor does a writer write what its reader refuses. */
	struct cpu_file_line unknown = { "no.such.key", "1", NULL };
	assert_int_equal(cpu_file_write(path, "zen4", NULL, &unknown, 1), -EINVAL);
	assert_int_equal(cpu_file_load(path, &p), 0);   /* the old file is untouched */
	cpu_file_free(p);
}

/* Every refusal: its message, with the line. */
static void loader_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "t.ini: no 'base = PRESET' line" },
		{ "# only comments\n\n", "t.ini: no 'base = PRESET' line" },
		{ "walk_cycles = 3\nbase = zen4\n", "t.ini:1: 'walk_cycles' before the 'base = PRESET' line" },
		{ "base = zen4\nbase = zen3\n", "t.ini:2: a second 'base' line" },
		{ "base = pentium\n", "t.ini:1: base: unknown CPU preset 'pentium'" },
		{ "base = zen4\n\nno.such.key = 1\n", "t.ini:3: unknown parameter 'no.such.key'" },
		{ "base = zen4\nwalk_cycles = lots\n", "t.ini:2: walk_cycles: 'lots' is not a whole number" },
		{ "base = zen4\nwalk_cycles = -1\n", "t.ini:2: walk_cycles:" },
		{ "base = zen4\nwalk_cycles = 1\nWALK_CYCLES = 2\n", "t.ini:3: WALK_CYCLES is set twice (first on line 2)" },
		{ "base = zen4\njust words\n", "t.ini:2: expected 'key = value', not 'just words'" },
		{ "base = zen4\n= 3\n", "t.ini:2: no key before '='" },
		{ "base = zen4\nwalk_cycles =\n", "t.ini:2: walk_cycles: no value after '='" },
		{ "base = zen4\nwalk_cycles = # nothing\n", "t.ini:2: walk_cycles: no value after '='" },
		{ "base = zen4\nl1d.entries = 7\nl1d.ways = 2\n", "t.ini: the preset it describes is not valid" },
		{ "base = zen4\nghz = 0\n", "t.ini: the preset it describes is not valid: zen4: ghz must be > 0" },
		{ "base = skylake\nl2i.entries = 64\n", "t.ini:2: parameter 'l2i.entries': on skylake the ITLB misses" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cpu_preset *p = (struct cpu_preset *)1;
		int rc = cpu_file_parse(cases[i].text, strlen(cases[i].text), "t.ini", &p);
		if (rc != -EINVAL || !strstr(xlat_error(), cases[i].want))
			print_error("case %zu: rc %d, message '%s', wanted '%s'\n", i, rc, xlat_error(), cases[i].want);
		assert_int_equal(rc, -EINVAL);
		assert_null(p);
		assert_non_null(strstr(xlat_error(), cases[i].want));
		assert_null(strchr(xlat_error(), '\n'));
	}

	/* Bytes a text file does not have, and sizes it does not reach. */
	struct cpu_preset *p;
	static const char nul[] = "base = zen4\nwalk_cycles = 1\0 2\n";
	assert_int_equal(cpu_file_parse(nul, sizeof nul - 1, "t.ini", &p), -EINVAL);
	assert_non_null(strstr(xlat_error(), "t.ini:2: NUL byte"));
	char *lng = malloc(4096);
	memset(lng, 'x', 4095);
	lng[4095] = 0;
	memcpy(lng, "base = zen4\n# ", 14);
	assert_int_equal(cpu_file_parse(lng, 4095, "t.ini", &p), -EINVAL);
	assert_non_null(strstr(xlat_error(), "t.ini:2: line longer than"));
	assert_int_equal(cpu_file_parse(lng, CPU_FILE_MAX_BYTES + 1, "t.ini", &p), -EINVAL);
	assert_non_null(strstr(xlat_error(), "larger than"));
	free(lng);
	/* No final newline is fine; the text need not be NUL-terminated. */
	static const char cut[] = "base = zen4\nwalk_cycles = 12XYZ";
	assert_int_equal(cpu_file_parse(cut, sizeof cut - 4, "t.ini", &p), 0);
	char v[16];
	assert_int_equal(cpu_get(p, "walk_cycles", v, sizeof v), 0);
	assert_string_equal(v, "12");
	cpu_file_free(p);
}

/* ---- lines of other keys (a machine's) ----------------------------------- */

struct seen {
	unsigned n;
	char key[8][32];
};

static int accept_some(void *ctx, const char *key, const char *value)
{
	struct seen *s = ctx;
	if (!strcmp(key, "refuse_me"))
		return xlat_fail(-EINVAL, "refuse_me: not today (%s)", value);
	if (s->n < 8)
		snprintf(s->key[s->n++], sizeof s->key[0], "%s", key);
	return 0;
}

static void other_keys_kept_for_the_caller(void **state)
{
	(void)state;
	const char *text = "base = zen4\nmode = nested\nstlb.entries = 2400\nhost_page_policy = 4k\n";
	struct cpu_preset *p = NULL;
	struct seen s = { 0 };
	const char *k, *v;
	unsigned line;

	/* Without a callback, an unknown key is refused as before. */
	assert_int_equal(cpu_file_parse(text, strlen(text), "t.ini", &p), -EINVAL);
	assert_non_null(strstr(xlat_error(), "t.ini:2: unknown parameter 'mode'"));
	/* With one: handed over, kept in order with their lines; CPU keys
	 * still apply. */
	assert_int_equal(cpu_file_parse_with(text, strlen(text), "t.ini", accept_some, &s, &p), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(cpu_file_other(p, 0, &k, &v, &line), 0);
	assert_string_equal(k, "mode");
	assert_string_equal(v, "nested");
	assert_int_equal(line, 2);
	assert_int_equal(cpu_file_other(p, 1, &k, &v, &line), 0);
	assert_string_equal(k, "host_page_policy");
	assert_int_equal(line, 4);
	assert_int_equal(cpu_file_other(p, 2, &k, NULL, NULL), -ENOENT);
	assert_int_equal(p->data.level[1].array[0].entries, 2400);
	cpu_file_free(p);
	/* A built-in preset keeps nothing. */
	assert_int_equal(cpu_file_other(cpu_preset_by_name("zen4"), 0, &k, NULL, NULL), -ENOENT);
	/* A line the callback refuses refuses the file, at its line. */
	const char *bad = "base = zen4\nmode = nested\nrefuse_me = 1\n";
	assert_int_equal(cpu_file_parse_with(bad, strlen(bad), "t.ini", accept_some, &s, &p), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(xlat_error(), "t.ini:3: refuse_me: not today (1)"));
	/* A CPU key with a bad value is the CPU's error, not the callback's;
	 * twice the same key is refused either way. */
	const char *bad2 = "base = zen4\nstlb.entries = many\n";
	assert_int_equal(cpu_file_parse_with(bad2, strlen(bad2), "t.ini", accept_some, &s, &p), -EINVAL);
	assert_non_null(strstr(xlat_error(), "t.ini:2: stlb.entries"));
	const char *twice = "base = zen4\nmode = a\nmode = b\n";
	assert_int_equal(cpu_file_parse_with(twice, strlen(twice), "t.ini", accept_some, &s, &p), -EINVAL);
	assert_non_null(strstr(xlat_error(), "set twice"));
	/* At most CPU_FILE_MAX_OTHER of them. */
	char many[4096] = "base = zen4\n";
	for (int i = 0; i <= CPU_FILE_MAX_OTHER; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "k%d = 1\n", i);
	assert_int_equal(cpu_file_parse_with(many, strlen(many), "t.ini", accept_some, &s, &p), -EINVAL);
	assert_non_null(strstr(xlat_error(), "more than"));
	/* The writer takes them and checks them with the callback. */
	struct cpu_file_line lines[] = { { "mode", "nested", "how to run it" }, { "l1d.entries", "80", NULL } };
	char *out = NULL;
	assert_int_equal(cpu_file_format("zen4", "source: t", lines, 2, &out), -EINVAL);
	assert_int_equal(cpu_file_format_with("zen4", "source: t", lines, 2, accept_some, &s, &out), 0);
	assert_non_null(strstr(out, "# how to run it\nmode = nested\n"));
	free(out);
	assert_true(cpu_key_exists("fault_cycles"));
	assert_true(cpu_key_exists("l2d.4k.entries"));
	assert_false(cpu_key_exists("mode"));
	assert_false(cpu_key_exists("l9.entries"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minimal_file_is_the_base),
		cmocka_unit_test(overrides_apply_in_order),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(diff_refuses_what_keys_cannot_say),
		cmocka_unit_test(write_is_atomic_and_loads),
		cmocka_unit_test(loader_errors),
		cmocka_unit_test(other_keys_kept_for_the_caller),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
