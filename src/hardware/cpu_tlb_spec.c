/*
 * A whole side of a CPU's TLB hierarchy in one string (xlat/cpu.h:
 * cpu_set_tlb_spec, cpu_tlb_spec), the value of the `tlb` and `itlb` keys:
 *
 *   side   := level { "," level } [ ",shared" | ",private" ]   (itlb only)
 *   level  := array { "+" array }
 *   array  := ENTRIES [ "x" WAYS ] [ "@" SIZES ] [ ":" lru | plru | random ]
 *   SIZES  := 4k | 2m | 1g { "/" 4k | 2m | 1g }        (default: all sizes)
 *
 *   "64"                         one fully associative level, all sizes
 *   "64x4,1536x12:plru"          two levels
 *   "64x4@4k+32x4@2m+4@1g,1536x12@4k/2m+16x4@1g"   Skylake's data side
 *   "128x8@4k+8@2m,shared"       an L1 ITLB that misses into the STLB
 *
 * After an itlb spec's levels, fetches go on into the data side's further
 * levels (one STLB for both, as most CPUs and ChampSim have it) unless the
 * spec ends ",private" (then fetches have its levels only).
 *
 * No WAYS means fully associative. A level keeps the hit latency the preset
 * gave the level of its rank (a new level costs 0 until `LEVEL.latency` says
 * otherwise).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlat/cpu.h"

static const char *const size_names[3] = { "4k", "2m", "1g" };
static const char *const level_names[2][CPU_TLB_LEVELS] = {
	{ "L1 DTLB", "STLB", "L3 DTLB" },
	{ "L1 ITLB", "L2 ITLB", "L3 ITLB" },
};

/* "4k/2m" -> TLB_4K | TLB_2M. */
static int parse_sizes(const char *what, const char *s, size_t n, unsigned *out)
{
	unsigned m = 0;

	while (n) {
		const char *e = memchr(s, '/', n);
		size_t len = e ? (size_t)(e - s) : n;
		int z = -1;
		for (int i = 0; i < 3; i++)
			if (len == 2 && !strncasecmp(s, size_names[i], 2))
				z = i;
		if (z < 0)
			return xlat_fail(-EINVAL, "%s: unknown page size '%.*s' after '@' (4k, 2m or 1g, joined by '/')",
					 what, (int)len, s);
		m |= 1u << z;
		s += len + (e != NULL);
		n -= len + (e != NULL);
	}
	if (!m)
		return xlat_fail(-EINVAL, "%s: no page size after '@'", what);
	*out = m;
	return 0;
}

/* One array: ENTRIES[xWAYS][@SIZES][:REPL]. tlb_parse_level knows the
 * number and replacement syntax; the sizes are cut out first. */
static int parse_array(const char *what, const char *s, size_t n, struct tlb_array_config *a)
{
	char buf[64];
	const char *at = memchr(s, '@', n);
	unsigned sizes = TLB_ALL_SIZES;
	int rc;

	if (n == 0)
		return xlat_fail(-EINVAL, "%s: empty TLB array", what);
	if (n >= sizeof buf)
		return xlat_fail(-EINVAL, "%s: TLB array '%.*s' is too long", what, (int)n, s);
	memcpy(buf, s, n);
	buf[n] = 0;
	if (at) {
		size_t off = (size_t)(at - s);
		const char *colon = memchr(at, ':', n - off);
		size_t szlen = colon ? (size_t)(colon - at) - 1 : n - off - 1;
		if ((rc = parse_sizes(what, at + 1, szlen, &sizes)))
			return rc;
		/* buf without "@SIZES": the number, then any ":REPL". */
		memmove(buf + off, buf + off + 1 + szlen, n - off - szlen);
	}
	struct tlb_config one;
	if ((rc = tlb_parse_level(buf, &one)))
		return xlat_fail(-EINVAL, "%s: %s", what, xlat_error());
	*a = one.array[0];
	a->sizes = sizes;
	return 0;
}

static int parse_level(const char *what, const char *s, size_t n, struct tlb_config *c)
{
	memset(c, 0, sizeof *c);
	while (1) {
		const char *plus = memchr(s, '+', n);
		size_t len = plus ? (size_t)(plus - s) : n;
		if (c->narrays == TLB_MAX_ARRAYS)
			return xlat_fail(-EINVAL, "%s: a level has at most %d arrays", what, TLB_MAX_ARRAYS);
		int rc = parse_array(what, s, len, &c->array[c->narrays]);
		if (rc)
			return rc;
		c->narrays++;
		if (!plus)
			break;
		s += len + 1;
		n -= len + 1;
	}
	/* One array per page size: lookups and fills find a size's array by
	 * its bit. */
	unsigned seen = 0;
	for (unsigned i = 0; i < c->narrays; i++) {
		if (seen & c->array[i].sizes)
			return xlat_fail(-EINVAL, "%s: two arrays of one level hold the same page size", what);
		seen |= c->array[i].sizes;
	}
	return 0;
}

int cpu_set_tlb_spec(struct cpu_preset *p, int side, const char *spec)
{
	const char *what = side ? "itlb" : "tlb";
	struct tlb_config lv[CPU_TLB_LEVELS];
	unsigned n = 0;
	int shared = -1;          /* -1: not said */
	int rc;

	if (side != 0 && side != 1)
		XLAT_BUG("side %d", side);
	if (!spec || !*spec)
		return xlat_fail(-EINVAL, "%s: empty TLB specification", what);
	for (const char *s = spec;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if ((len == 6 && !strncasecmp(s, "shared", 6)) || (len == 7 && !strncasecmp(s, "private", 7))) {
			if (side == 0)
				return xlat_fail(-EINVAL, "tlb: '%.*s' belongs to the itlb spec (whether fetches miss into the data side's STLB)",
						 (int)len, s);
			if (comma || n == 0)
				return xlat_fail(-EINVAL, "itlb: '%.*s' comes last, after the fetch side's own levels",
						 (int)len, s);
			shared = len == 6;
			break;
		}
		if (n == CPU_TLB_LEVELS)
			return xlat_fail(-EINVAL, "%s: at most %d levels", what, CPU_TLB_LEVELS);
		if ((rc = parse_level(what, s, len, &lv[n])))
			return rc;
		n++;
		if (!comma)
			break;
		s = comma + 1;
	}

	struct cpu_tlb_side *sd = side ? &p->inst : &p->data;
	for (unsigned l = 0; l < CPU_TLB_LEVELS; l++) {
		if (l < n) {
			lv[l].name = level_names[side][l];
			lv[l].seed = sd->level[l].seed ? sd->level[l].seed : 1 + 2 * (uint64_t)side + l;
			sd->level[l] = lv[l];
			if (l >= sd->nlevels)
				sd->hit_cycles[l] = 0;
		} else {
			memset(&sd->level[l], 0, sizeof sd->level[l]);
			sd->hit_cycles[l] = 0;
		}
		for (unsigned a = 0; a < TLB_MAX_ARRAYS; a++)
			p->ovr_tlb[side][l][a] = l < n && a < lv[l].narrays ? 0xf : 0;
	}
	sd->nlevels = n;
	if (side == 1)
		p->stlb_shared = shared != 0;   /* not said: shared */
	return 0;
}

static size_t put(char *buf, size_t len, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t put(char *buf, size_t len, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + (at < len ? at : len), at < len ? len - at : 0, fmt, ap);
	va_end(ap);
	return at + (n > 0 ? (size_t)n : 0);
}

int cpu_tlb_spec(const struct cpu_preset *p, int side, char *buf, size_t len)
{
	const struct cpu_tlb_side *sd = side ? &p->inst : &p->data;
	size_t at = 0;

	if (len)
		buf[0] = 0;
	for (unsigned l = 0; l < sd->nlevels; l++) {
		const struct tlb_config *c = &sd->level[l];
		if (l)
			at = put(buf, len, at, ",");
		for (unsigned i = 0; i < c->narrays; i++) {
			const struct tlb_array_config *a = &c->array[i];
			at = put(buf, len, at, "%s%u", i ? "+" : "", a->entries);
			if (a->ways)   /* ways == entries is fully associative too; keep the spelling */
				at = put(buf, len, at, "x%u", a->ways);
			if ((a->sizes & TLB_ALL_SIZES) != TLB_ALL_SIZES) {
				const char *sep = "@";
				for (int z = 0; z < 3; z++)
					if (a->sizes & (1u << z)) {
						at = put(buf, len, at, "%s%s", sep, size_names[z]);
						sep = "/";
					}
			}
			if (a->repl != TLB_LRU)
				at = put(buf, len, at, ":%s", tlb_repl_name(a->repl));
		}
	}
	if (side == 1)
		at = put(buf, len, at, p->stlb_shared && p->data.nlevels > sd->nlevels ? ",shared" : ",private");
	if (at >= len)
		return xlat_fail(-ENOSPC, "TLB specification longer than %zu bytes", len);
	return 0;
}
