/* xlat/parse.h: every unit, every boundary, and the garbage we reject. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xlat/parse.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define PiB (1ULL << 50)
#define EiB (1ULL << 60)

static void size_is(const char *s, uint64_t want)
{
	uint64_t v = 0xdeadbeef;
	int rc = xlat_parse_size(s, &v);
	if (rc)
		print_error("xlat_parse_size(\"%s\"): %s\n", s, xlat_error());
	assert_int_equal(rc, 0);
	assert_int_equal(v, want);
}

static void count_is(const char *s, uint64_t want)
{
	uint64_t v = 0xdeadbeef;
	int rc = xlat_parse_count(s, &v);
	if (rc)
		print_error("xlat_parse_count(\"%s\"): %s\n", s, xlat_error());
	assert_int_equal(rc, 0);
	assert_int_equal(v, want);
}

/* Rejects s with err, leaves *out alone, and the message quotes the input
 * and contains `hint`. */
static void rejects(int (*parse)(const char *, uint64_t *), const char *s, int err, const char *hint)
{
	uint64_t v = 12345;
	int rc = parse(s, &v);
	assert_int_equal(rc, err);
	assert_int_equal(v, 12345);
	const char *msg = xlat_error();
	bool quotable = s && *s && strlen(s) < 60;
	for (const char *c = s; quotable && *c; c++)
		quotable = *c >= 0x20 && *c < 0x7f;
	if ((quotable && !strstr(msg, s)) || !strstr(msg, hint))
		print_error("input \"%s\": message \"%s\" lacks \"%s\"\n", s ? s : "(null)", msg, hint);
	if (quotable)
		assert_non_null(strstr(msg, s));
	assert_non_null(strstr(msg, hint));
	assert_null(strchr(msg, '\n'));
}

static void test_plain(void **state)
{
	(void)state;
	size_is("0", 0);
	size_is("1", 1);
	size_is("4096", 4096);
	size_is("007", 7);
	size_is("18446744073709551615", UINT64_MAX);
	size_is("0x0", 0);
	size_is("0x7fff00000000", 0x7fff00000000ULL);
	size_is("0X7FFF00000000", 0x7fff00000000ULL);
	size_is("0xffffffffffffffff", UINT64_MAX);
	size_is("0x00000000000000000000ffffffffffffffff", UINT64_MAX);
	size_is("4096b", 4096);
	size_is("4096B", 4096);
}

/* Each unit letter, in both cases, with each accepted spelling. */
static void test_binary_units(void **state)
{
	(void)state;
	static const struct { const char *s; uint64_t v; } cases[] = {
		{ "4k", 4 * KiB }, { "4K", 4 * KiB }, { "4KB", 4 * KiB }, { "4KiB", 4 * KiB },
		{ "4kib", 4 * KiB }, { "4ki", 4 * KiB }, { "4kb", 4 * KiB },
		{ "64m", 64 * MiB }, { "64M", 64 * MiB }, { "64MiB", 64 * MiB }, { "64MB", 64 * MiB },
		{ "1g", GiB }, { "1G", GiB }, { "1GiB", GiB },
		{ "2t", 2 * TiB }, { "2T", 2 * TiB }, { "128T", 1ULL << 47 }, { "256TiB", 1ULL << 48 },
		{ "3p", 3 * PiB }, { "3P", 3 * PiB }, { "3PiB", 3 * PiB },
		{ "15e", 15 * EiB }, { "15E", 15 * EiB }, { "15EiB", 15 * EiB },
		{ "0k", 0 }, { "0E", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		size_is(cases[i].s, cases[i].v);
}

static void test_addr(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(xlat_parse_addr("128T", &v), 0);
	assert_int_equal(v, 0x800000000000ULL);
	assert_int_equal(xlat_parse_addr("0xffff800000000000", &v), 0);
	assert_int_equal(v, 0xffff800000000000ULL);
	assert_int_equal(xlat_parse_addr("4k", &v), 0);
	assert_int_equal(v, 4096);
	rejects(xlat_parse_addr, "0x", -EINVAL, "address");
	rejects(xlat_parse_addr, "-4k", -EINVAL, "negative");
	rejects(xlat_parse_addr, "0x1_0000", -EINVAL, "junk");
}

/* The largest value of each unit parses; one more overflows. */
static void test_overflow(void **state)
{
	(void)state;
	size_is("16777215T", 16777215ULL * TiB);
	rejects(xlat_parse_size, "16777216T", -ERANGE, "too large");
	size_is("15E", 15 * EiB);
	rejects(xlat_parse_size, "16E", -ERANGE, "too large");
	size_is("16383P", 16383 * PiB);
	rejects(xlat_parse_size, "16384P", -ERANGE, "too large");
	size_is("17179869183G", 17179869183ULL * GiB);
	rejects(xlat_parse_size, "17179869184G", -ERANGE, "too large");
	size_is("18014398509481983k", 18014398509481983ULL * KiB);
	rejects(xlat_parse_size, "18014398509481984k", -ERANGE, "too large");
	rejects(xlat_parse_size, "18446744073709551616", -ERANGE, "too large");
	rejects(xlat_parse_size, "18446744073709551620", -ERANGE, "too large");
	rejects(xlat_parse_size, "99999999999999999999999", -ERANGE, "too large");
	rejects(xlat_parse_size, "0x10000000000000000", -ERANGE, "too large");
	count_is("18446744073709551615", UINT64_MAX);
	count_is("18E", 18000000000000000000ULL);
	rejects(xlat_parse_count, "19E", -ERANGE, "too large");
	count_is("18446744073709551k", 18446744073709551000ULL);
	rejects(xlat_parse_count, "18446744073709552k", -ERANGE, "too large");
}

static void test_garbage(void **state)
{
	(void)state;
	rejects(xlat_parse_size, "", -EINVAL, "empty size");
	rejects(xlat_parse_size, NULL, -EINVAL, "empty size");
	rejects(xlat_parse_size, "-1", -EINVAL, "negative");
	rejects(xlat_parse_size, "-0", -EINVAL, "negative");
	rejects(xlat_parse_size, "+1", -EINVAL, "digit");
	rejects(xlat_parse_size, " 1", -EINVAL, "digit");
	rejects(xlat_parse_size, "\t1", -EINVAL, "digit");
	rejects(xlat_parse_size, "k", -EINVAL, "digit");
	rejects(xlat_parse_size, "abc", -EINVAL, "digit");
	rejects(xlat_parse_size, "1 ", -EINVAL, "unit");
	rejects(xlat_parse_size, "64 M", -EINVAL, "unit");
	rejects(xlat_parse_size, "1.5G", -EINVAL, "fractions");
	rejects(xlat_parse_size, "1,5G", -EINVAL, "fractions");
	rejects(xlat_parse_size, "4x", -EINVAL, "unknown unit");
	rejects(xlat_parse_size, "4Q", -EINVAL, "unknown unit");
	rejects(xlat_parse_size, "4i", -EINVAL, "unknown unit");
	rejects(xlat_parse_size, "4kk", -EINVAL, "junk");
	rejects(xlat_parse_size, "4kibb", -EINVAL, "junk");
	rejects(xlat_parse_size, "4kbi", -EINVAL, "junk");
	rejects(xlat_parse_size, "4k ", -EINVAL, "junk");
	rejects(xlat_parse_size, "4bb", -EINVAL, "junk");
	rejects(xlat_parse_size, "0x", -EINVAL, "hex digits");
	rejects(xlat_parse_size, "0xg", -EINVAL, "hex digits");
	rejects(xlat_parse_size, "0x10M", -EINVAL, "hex takes no unit");
	rejects(xlat_parse_size, "0x1 ", -EINVAL, "junk");
	rejects(xlat_parse_size, "1e6", -EINVAL, "junk");
	rejects(xlat_parse_size, "12\n", -EINVAL, "unit '\\x0a'");
	rejects(xlat_parse_size, "12\xff", -EINVAL, "unit '\\xff'");
	/* Long junk is cut, and the message stays one bounded line. */
	char longjunk[600];
	memset(longjunk, 'z', sizeof longjunk - 1);
	longjunk[0] = '1';
	longjunk[sizeof longjunk - 1] = 0;
	rejects(xlat_parse_size, longjunk, -EINVAL, "...");
	assert_true(strlen(xlat_error()) < 256);
	/* Counts take no binary spellings. */
	rejects(xlat_parse_count, "10KiB", -EINVAL, "junk");
	rejects(xlat_parse_count, "10kb", -EINVAL, "junk");
	rejects(xlat_parse_count, "10b", -EINVAL, "unknown unit");
	rejects(xlat_parse_count, "", -EINVAL, "empty count");
	rejects(xlat_parse_count, "-5", -EINVAL, "negative");
}

static void test_counts(void **state)
{
	(void)state;
	count_is("0", 0);
	count_is("10", 10);
	count_is("10k", 10000);
	count_is("10K", 10000);
	count_is("10M", 10000000);
	count_is("10m", 10000000);
	count_is("2G", 2000000000);
	count_is("3T", 3000000000000ULL);
	count_is("4P", 4000000000000000ULL);
	count_is("5E", 5000000000000000000ULL);
	count_is("0x10", 16);
	/* A size and a count of the same text differ. */
	uint64_t sz;
	assert_int_equal(xlat_parse_size("10M", &sz), 0);
	assert_int_equal(sz, 10 * MiB);
}

static void str_is(uint64_t bytes, const char *want)
{
	char buf[64];
	int n = xlat_parse_size_str(bytes, buf, sizeof buf);
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_size_str(void **state)
{
	(void)state;
	str_is(0, "0 B");
	str_is(1, "1 B");
	str_is(1023, "1023 B");
	str_is(1024, "1 KiB");
	str_is(4097, "4097 B");
	str_is(12288, "12 KiB");
	str_is(536576, "524 KiB");
	str_is(143360, "140 KiB");
	str_is(64 * MiB, "64 MiB");
	str_is(64 * MiB + 4096, "65540 KiB");
	str_is(512 * GiB, "512 GiB");
	str_is(1ULL << 47, "128 TiB");
	str_is(3 * PiB, "3 PiB");
	str_is(EiB, "1 EiB");
	str_is(1ULL << 63, "8 EiB");
	str_is(UINT64_MAX, "18446744073709551615 B");
	/* Truncation reports the full length, snprintf style. */
	char small[4];
	assert_int_equal(xlat_parse_size_str(64 * MiB, small, sizeof small), 6);
	assert_string_equal(small, "64 ");
}

/* Digits embedded in a larger grammar: stops at the first non-digit, and
 * the bound is exact (max and max + 1), including bounds below 10. */
static void test_digits(void **state)
{
	const char *s = "1536x12";
	uint64_t v = 7;

	(void)state;
	assert_int_equal(xlat_parse_digits(&s, 65536, &v), 0);
	assert_int_equal(v, 1536);
	assert_string_equal(s, "x12");
	s = "x12";
	assert_int_equal(xlat_parse_digits(&s, 65536, &v), -EINVAL);
	assert_string_equal(s, "x12");
	s = "65536";
	assert_int_equal(xlat_parse_digits(&s, 65536, &v), 0);
	assert_int_equal(v, 65536);
	s = "65537";
	assert_int_equal(xlat_parse_digits(&s, 65536, &v), -ERANGE);
	s = "5";
	assert_int_equal(xlat_parse_digits(&s, 5, &v), 0);
	s = "7";
	assert_int_equal(xlat_parse_digits(&s, 5, &v), -ERANGE);
	s = "18446744073709551615";
	assert_int_equal(xlat_parse_digits(&s, UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	s = "18446744073709551616";
	assert_int_equal(xlat_parse_digits(&s, UINT64_MAX, &v), -ERANGE);
}

static void test_real(void **state)
{
	double d = -1;

	(void)state;
	assert_int_equal(xlat_parse_real("2.5", 1e12, &d), 0);
	assert_true(d == 2.5);
	assert_int_equal(xlat_parse_real(".5", 1e12, &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(xlat_parse_real("1e3", 1e12, &d), 0);
	assert_true(d == 1000);
	assert_int_equal(xlat_parse_real("100", 100, &d), 0);
	assert_int_equal(xlat_parse_real("100.5", 100, &d), -ERANGE);
	assert_non_null(strstr(xlat_error(), "100.5"));
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "inf", "nan", "0x10",
					   "1.5k", "1,5", "e3", "." };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		d = 42;
		if (xlat_parse_real(bad[i], 1e12, &d) != -EINVAL)
			fail_msg("xlat_parse_real(\"%s\") accepted %g", bad[i], d);
		assert_null(strchr(xlat_error(), '\n'));
	}
	assert_int_equal(xlat_parse_real(NULL, 1e12, &d), -EINVAL);
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "1", "on", "yes", "true", "ON", "Yes", "TRUE" };
	static const char *const no[] = { "0", "off", "no", "false", "OFF", "No", "False" };
	bool b;

	(void)state;
	for (unsigned i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		b = false;
		assert_int_equal(xlat_parse_bool(yes[i], &b), 0);
		assert_true(b);
		b = true;
		assert_int_equal(xlat_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	static const char *const bad[] = { "", "maybe", "2", "01", " 1", "1 ", "y", "n", "truee", "o" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		for (int was = 0; was < 2; was++) {
			b = was;
			if (xlat_parse_bool(bad[i], &b) != -EINVAL)
				fail_msg("xlat_parse_bool(\"%s\") accepted it", bad[i]);
			assert_int_equal(b, was);
		}
		const char *msg = xlat_error();
		char quoted[96];
		snprintf(quoted, sizeof quoted, "'%s' is not a boolean (1/0, on/off, yes/no, true/false)", bad[i]);
		if (strcmp(msg, quoted))
			fail_msg("xlat_parse_bool(\"%s\"): message \"%s\"", bad[i], msg);
	}
	assert_int_equal(xlat_parse_bool(NULL, &b), -EINVAL);
	assert_non_null(strstr(xlat_error(), "'' is not a boolean"));
	/* Control bytes are shown, not sent to the terminal. */
	assert_int_equal(xlat_parse_bool("\033[2J", &b), -EINVAL);
	assert_non_null(strstr(xlat_error(), "'\\x1b[2J'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_binary_units),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_size_str),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_real),
		cmocka_unit_test(test_bool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
