/* The size / address / count syntax of xlat/parse.h. Hand-written rather
 * than strtoull: strtoull skips spaces, accepts signs and wraps "-1" to
 * 2^64-1, all of which we must reject. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlat/parse.h"

enum base { BINARY, DECIMAL };

/* The unit letters in order: the n-th multiplies by 1024^(n+1) or 1000^(n+1). */
static const char unit_letters[] = "kmgtpe";

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* v * m into *out; false on overflow. */
static bool mul_ok(uint64_t v, uint64_t m, uint64_t *out)
{
	if (m && v > UINT64_MAX / m)
		return false;
	*out = v * m;
	return true;
}

/* A printable copy of user input for a one-line message: control and
 * non-ASCII bytes become \xNN, and long input is cut with "...". */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	for (; *s && n + 8 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f)
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
	}
	if (*s)
		n += (size_t)snprintf(buf + n, len - n, "...");
	buf[n] = 0;
	return buf;
}

int xlat_parse_digits(const char **s, uint64_t max, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*s = p;
	*out = v;
	return 0;
}

int xlat_parse_real(const char *in, double max, double *out)
{
	char qbuf[80];
	const char *s = in ? quote(in, qbuf, sizeof qbuf) : "";
	char *end;
	double d;

	if (!in || !*in)
		return xlat_fail(-EINVAL, "empty number");
	/* strtod would take signs, spaces, "inf", "nan" and hex: not numbers
	 * a user writes for a latency or a clock. */
	if ((*in < '0' || *in > '9') && *in != '.')
		return xlat_fail(-EINVAL, "bad number '%s': must start with a digit", s);
	if (strpbrk(in, "xX"))
		return xlat_fail(-EINVAL, "bad number '%s': hex is not allowed here", s);
	errno = 0;
	d = strtod(in, &end);
	if (*end || end == in)
		return xlat_fail(-EINVAL, "bad number '%s'", s);
	if (errno || d > max)
		return xlat_fail(-ERANGE, "number '%s' is too large (max %g)", s, max);
	*out = d;
	return 0;
}

int xlat_parse_bool(const char *in, bool *out)
{
	static const char *const yes[] = { "1", "on", "yes", "true" }, *const no[] = { "0", "off", "no", "false" };
	char qbuf[80];

	for (unsigned i = 0; in && i < sizeof yes / sizeof yes[0]; i++) {
		if (!strcasecmp(in, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(in, no[i])) {
			*out = false;
			return 0;
		}
	}
	return xlat_fail(-EINVAL, "'%s' is not a boolean (1/0, on/off, yes/no, true/false)",
			 in ? quote(in, qbuf, sizeof qbuf) : "");
}

/* Shared by all three parsers; `what` names the value in messages. */
static int parse_number(const char *in, uint64_t *out, enum base base, const char *what)
{
	char qbuf[80], pbuf[80];
	const char *s = in ? quote(in, qbuf, sizeof qbuf) : "";
	const char *p = in;
	uint64_t v = 0;

	if (!in || !*in)
		return xlat_fail(-EINVAL, "empty %s", what);
	if (*p == '-')
		return xlat_fail(-EINVAL, "bad %s '%s': negative values are not allowed", what, s);
	if (*p == '+' || *p == ' ' || *p == '\t')
		return xlat_fail(-EINVAL, "bad %s '%s': must start with a digit", what, s);

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		if (hexval(*p) < 0)
			return xlat_fail(-EINVAL, "bad %s '%s': no hex digits after 0x", what, s);
		for (; hexval(*p) >= 0; p++) {
			if (v >> 60)
				return xlat_fail(-ERANGE, "%s '%s' is too large (max 2^64-1)", what, s);
			v = v << 4 | (uint64_t)hexval(*p);
		}
		if (*p)
			return xlat_fail(-EINVAL, "bad %s '%s': junk '%s' after hex number (hex takes no unit)",
					 what, s, quote(p, pbuf, sizeof pbuf));
		*out = v;
		return 0;
	}

	int rc = xlat_parse_digits(&p, UINT64_MAX, &v);
	if (rc == -ERANGE)
		return xlat_fail(-ERANGE, "%s '%s' is too large (max 2^64-1)", what, s);
	if (rc)
		return xlat_fail(-EINVAL, "bad %s '%s': must start with a digit", what, s);
	if (!*p) {
		*out = v;
		return 0;
	}
	if (*p == '.' || *p == ',')
		return xlat_fail(-EINVAL, "bad %s '%s': fractions are not supported (write 1536M, not 1.5G)",
				 what, s);

	/* The unit. */
	const char *unit = p;
	const char *letter = *p ? strchr(unit_letters, lower(*p)) : NULL;
	uint64_t mult = 1;
	if (letter) {
		uint64_t step = base == BINARY ? 1024 : 1000;
		for (const char *l = unit_letters; l <= letter; l++)
			mult *= step;
		p++;
		if (base == BINARY && lower(*p) == 'i')
			p++;
		if (base == BINARY && lower(*p) == 'b')
			p++;
	} else if (base == BINARY && lower(*p) == 'b') {
		p++;
	} else {
		return xlat_fail(-EINVAL, "bad %s '%s': unknown unit '%s' (use %s)", what, s,
				 quote(unit, pbuf, sizeof pbuf),
				 base == BINARY ? "k, M, G, T, P, E: powers of 1024"
						: "k, M, G, T, P, E: powers of 1000");
	}
	if (*p)
		return xlat_fail(-EINVAL, "bad %s '%s': junk '%s' after the unit", what, s,
				      quote(p, pbuf, sizeof pbuf));
	if (!mul_ok(v, mult, &v))
		return xlat_fail(-ERANGE, "%s '%s' is too large (max 2^64-1)", what, s);
	*out = v;
	return 0;
}

int xlat_parse_size(const char *s, uint64_t *out)
{
	return parse_number(s, out, BINARY, "size");
}

int xlat_parse_addr(const char *s, uint64_t *out)
{
	return parse_number(s, out, BINARY, "address");
}

int xlat_parse_count(const char *s, uint64_t *out)
{
	return parse_number(s, out, DECIMAL, "count");
}

int xlat_parse_size_str(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (bytes && u + 1 < sizeof names / sizeof names[0] && (bytes & 1023) == 0) {
		bytes >>= 10;
		u++;
	}
	return snprintf(buf, len, "%llu %s", (unsigned long long)bytes, names[u]);
}
