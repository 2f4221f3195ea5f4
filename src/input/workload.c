/*
 * Workloads as sources: the table of generators, option parsing and
 * formatting (syntax in xlat/workload.h), and the generic generator source.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/gen.h"
#include "xlat/parse.h"

static const struct gen_def *const gens[] = {
	&gen_seq, &gen_stride, &gen_random, &gen_zipf, &gen_chase, &gen_sparse,
	&gen_mmapbench, &gen_forkbench, &gen_gc,
};
#define NGENS (sizeof gens / sizeof gens[0])

size_t xlat_workload_count(void)
{
	return NGENS;
}

const char *xlat_workload_name(size_t i)
{
	return i < NGENS ? gens[i]->name : NULL;
}

const char *xlat_workload_summary(size_t i)
{
	return i < NGENS ? gens[i]->summary : NULL;
}

static const struct gen_def *find_gen(const char *name)
{
	for (size_t i = 0; i < NGENS; i++)
		if (!strcmp(gens[i]->name, name))
			return gens[i];
	return NULL;
}

static const struct {
	const char *key;
	unsigned bit;
} keys[] = {
	{ "size", K_SIZE }, { "count", K_COUNT }, { "seed", K_SEED }, { "write", K_WRITE },
	{ "base", K_BASE }, { "stride", K_STRIDE }, { "access", K_ACCESS }, { "alpha", K_ALPHA },
	{ "unit", K_UNIT }, { "procs", K_PROCS }, { "slots", K_SLOTS }, { "huge", K_HUGE },
	{ "obj", K_OBJ }, { "live", K_LIVE }, { "ptrs", K_PTRS }, { "roots", K_ROOTS },
	{ "marks", K_MARKS }, { "phase", K_PHASE },
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* "size, count, ..." for a key mask. */
static const char *key_list(unsigned mask, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < NKEYS; i++)
		if (mask & keys[i].bit)
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? ", " : "", keys[i].key);
	return buf;
}

int xlat_workload_init(struct xlat_workload *w, const char *name)
{
	const struct gen_def *g = find_gen(name);
	if (!g) {
		char list[160];
		size_t o = 0;
		for (size_t i = 0; i < NGENS; i++)
			o += (size_t)snprintf(list + o, o < sizeof list ? sizeof list - o : 0, "%s%s",
					      i ? ", " : "", gens[i]->name);
		return xlat_fail(-EINVAL, "unknown workload '%s' (known: %s)", name, list);
	}
	memset(w, 0, sizeof *w);
	snprintf(w->name, sizeof w->name, "%s", g->name);
	w->size = 64ULL << 20;
	w->count = 1000000;
	w->seed = 1;
	w->write = 0;
	w->base = 1ULL << 40;
	w->access = 8;
	w->alpha = 1.0;
	w->unit = 64;
	w->procs = 4;
	w->slots = 1;
	if (g->defaults)
		g->defaults(w);
	return 0;
}

/* A decimal fraction "0.3", "1", "1e-3": finite, nothing after it. */
static int parse_double(const char *s, double *out)
{
	char *end;
	if (!*s || strchr(" \t+-", *s))
		return -EINVAL;
	double v = strtod(s, &end);
	if (*end || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int xlat_workload_set(struct xlat_workload *w, const char *key, const char *value)
{
	const struct gen_def *g = find_gen(w->name);
	if (!g)
		return xlat_fail(-EINVAL, "unknown workload '%s'", w->name);
	unsigned bit = 0;
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].key, key))
			bit = keys[i].bit;
	char list[200];
	if (!(bit & g->keys))
		return xlat_fail(-EINVAL, "workload %s: %s option '%s' (it takes: %s)", w->name,
				 bit ? "no" : "unknown", key, key_list(g->keys, list, sizeof list));
	uint64_t v = 0;
	double d = 0;
	int rc = 0;
	switch (bit) {
	case K_SIZE:
		rc = xlat_parse_size(value, &w->size);
		break;
	case K_COUNT:
		rc = xlat_parse_count(value, &w->count);
		break;
	case K_SEED:
		rc = xlat_parse_count(value, &w->seed);
		break;
	case K_BASE:
		rc = xlat_parse_addr(value, &w->base);
		break;
	case K_STRIDE:
		rc = xlat_parse_size(value, &w->stride);
		if (rc == 0 && w->stride == 0)
			rc = xlat_fail(-EINVAL, "workload %s: stride must be >= 1", w->name);
		break;
	case K_UNIT:
		rc = xlat_parse_size(value, &w->unit);
		if (rc == 0 && w->unit == 0)
			rc = xlat_fail(-EINVAL, "workload %s: unit must be >= 1", w->name);
		break;
	case K_ACCESS:
		rc = xlat_parse_size(value, &v);
		if (rc == 0 && (v < 1 || v > XLAT_PAGE_SIZE))
			rc = xlat_fail(-EINVAL, "workload %s: access must be 1..4096 bytes, not '%s'", w->name, value);
		if (rc == 0)
			w->access = (uint32_t)v;
		break;
	case K_PROCS:
	case K_SLOTS:
		rc = xlat_parse_count(value, &v);
		if (rc == 0 && (v < 1 || v > (bit == K_PROCS ? 65534 : UINT32_MAX)))
			rc = xlat_fail(-EINVAL, "workload %s: %s must be 1..%u, not '%s'", w->name, key,
				       bit == K_PROCS ? 65534u : UINT32_MAX, value);
		if (rc == 0)
			*(bit == K_PROCS ? &w->procs : &w->slots) = (uint32_t)v;
		break;
	case K_HUGE:
		if (!strcmp(value, "0") || !strcmp(value, "1"))
			w->huge = value[0] == '1';
		else
			rc = xlat_fail(-EINVAL, "workload %s: huge must be 0 or 1, not '%s'", w->name, value);
		break;
	case K_WRITE:
		if (parse_double(value, &d) < 0 || d < 0 || d > 1)
			rc = xlat_fail(-EINVAL, "workload %s: write must be a fraction 0..1, not '%s'", w->name, value);
		else
			w->write = d;
		break;
	case K_ALPHA:
		if (parse_double(value, &d) < 0 || d < 0 || d > 100)
			rc = xlat_fail(-EINVAL, "workload %s: alpha must be 0..100, not '%s'", w->name, value);
		else
			w->alpha = d;
		break;
	case K_OBJ:
		rc = xlat_parse_size(value, &v);
		if (rc == 0 && (v < 24 || v > 2048))   /* prefixed below */
			rc = xlat_fail(-EINVAL, "must be 24..2048 bytes, not '%s'", value);
		if (rc == 0)
			w->obj = v;
		break;
	case K_LIVE:
	case K_PTRS:
	case K_ROOTS:
		/* live and roots need one object; a pointer density may be 0 */
		if (parse_double(value, &d) < 0 || d < 0 || d > 1 || (bit != K_PTRS && d == 0))
			rc = xlat_fail(-EINVAL, "workload %s: %s must be a fraction %s, not '%s'", w->name, key,
				       bit == K_PTRS ? "0..1" : "in (0, 1]", value);
		else
			*(bit == K_LIVE ? &w->live : bit == K_PTRS ? &w->ptrs : &w->roots) = d;
		break;
	case K_MARKS:
		if (!strcmp(value, "bitmap") || !strcmp(value, "header"))
			w->marks = value[0] == 'h' ? XLAT_GC_MARKS_HEADER : XLAT_GC_MARKS_BITMAP;
		else
			rc = xlat_fail(-EINVAL, "workload %s: marks must be bitmap or header, not '%s'", w->name, value);
		break;
	case K_PHASE:
		if (gen_gc_phases_parse(value, &w->phases))
			rc = xlat_fail(-EINVAL, "workload %s: phase must be all or fill, mark, sweep joined by '+', not '%s'",
				       w->name, value);
		break;
	}
	if (rc < 0 && bit & (K_SIZE | K_COUNT | K_SEED | K_BASE | K_STRIDE | K_UNIT | K_OBJ)) {
		/* xlat_fail may quote xlat_error() itself: no copy, no cut. */
		return xlat_fail(rc, "workload %s: %s: %s", w->name, key, xlat_error());
	}
	return rc;
}

int xlat_workload_parse(struct xlat_workload *w, const char *opts)
{
	if (!opts || !*opts)
		return 0;
	char *copy = strdup(opts);
	if (!copy)
		return xlat_fail(-ENOMEM, "out of memory");
	int rc = 0;
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq || eq == item) {
			rc = xlat_fail(-EINVAL, "workload %s: expected key=value, not '%s'", w->name, item);
			break;
		}
		*eq = 0;
		rc = xlat_workload_set(w, item, eq + 1);
	}
	free(copy);
	return rc;
}

/* A size in the largest binary unit that divides it exactly ("64m"). */
static void fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "kmgtpe";
	int u = -1;
	while (v && u < 5 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
}

int xlat_workload_format(const struct xlat_workload *w, char *buf, size_t len)
{
	const struct gen_def *g = find_gen(w->name);
	if (!g)
		return snprintf(buf, len, "?");
	size_t o = 0;
#define ADD(...) (o += (size_t)snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__))
	char s[32];
	for (size_t i = 0; i < NKEYS; i++) {
		unsigned bit = keys[i].bit;
		if (!(g->keys & bit))
			continue;
		ADD("%s%s=", o ? "," : "", keys[i].key);
		switch (bit) {
		case K_SIZE: fmt_size(w->size, s, sizeof s); ADD("%s", s); break;
		case K_COUNT: ADD("%llu", (unsigned long long)w->count); break;
		case K_SEED: ADD("%llu", (unsigned long long)w->seed); break;
		case K_WRITE: ADD("%g", w->write); break;
		case K_BASE: ADD("0x%llx", (unsigned long long)w->base); break;
		case K_STRIDE: fmt_size(w->stride ? w->stride : w->access, s, sizeof s); ADD("%s", s); break;
		case K_ACCESS: ADD("%u", w->access); break;
		case K_ALPHA: ADD("%g", w->alpha); break;
		case K_UNIT: fmt_size(w->unit, s, sizeof s); ADD("%s", s); break;
		case K_PROCS: ADD("%u", w->procs); break;
		case K_SLOTS: ADD("%u", w->slots); break;
		case K_HUGE: ADD("%d", w->huge ? 1 : 0); break;
		case K_OBJ: ADD("%llu", (unsigned long long)w->obj); break;
		case K_LIVE: ADD("%g", w->live); break;
		case K_PTRS: ADD("%g", w->ptrs); break;
		case K_ROOTS: ADD("%g", w->roots); break;
		case K_MARKS: ADD("%s", w->marks == XLAT_GC_MARKS_HEADER ? "header" : "bitmap"); break;
		case K_PHASE: gen_gc_phases_format(w->phases, s, sizeof s); ADD("%s", s); break;
		}
	}
#undef ADD
	return (int)o;
}

uint64_t xlat_workload_records(const struct xlat_workload *w)
{
	const struct gen_def *g = find_gen(w->name);
	if (!g)
		return 0;
	return g->records ? g->records(w) : w->count;
}

/* ---- the source ---- */

static int64_t gen_next(struct xlat_source *s, struct xlat_access *buf, size_t cap)
{
	struct gen *g = (struct gen *)s;
	uint64_t left = g->total - g->i;
	size_t n = left < cap ? (size_t)left : cap;
	if (n) {
		g->def->fill(g, buf, n);
		g->i += n;
	}
	return (int64_t)n;
}

static void gen_progress(const struct xlat_source *s, uint64_t *done, uint64_t *total)
{
	const struct gen *g = (const struct gen *)s;
	*done = g->i;
	*total = g->total;
}

static void gen_free(struct xlat_source *s)
{
	struct gen *g = (struct gen *)s;
	if (g->priv_free)
		g->priv_free(g->priv);
}

static const struct source_ops gen_ops = {
	.next = gen_next,
	.free = gen_free,
	.progress = gen_progress,
};

/* The checks every generator shares. */
static int common_checks(const struct gen_def *d, const struct xlat_workload *w)
{
	if (w->size < w->access)
		return xlat_fail(-EINVAL, "workload %s: size %llu is smaller than one access (%u bytes)",
				 w->name, (unsigned long long)w->size, w->access);
	if (w->access < 1 || w->access > XLAT_PAGE_SIZE)
		return xlat_fail(-EINVAL, "workload %s: access must be 1..4096 bytes", w->name);
	if ((d->keys & K_BASE) && w->size - 1 > ~0ULL - w->base)
		return xlat_fail(-EINVAL, "workload %s: base 0x%llx + size %llu overflows the address space",
				 w->name, (unsigned long long)w->base, (unsigned long long)w->size);
	if ((d->keys & (K_SLOTS | K_PROCS)) && w->size > UINT32_MAX * XLAT_PAGE_SIZE)
		return xlat_fail(-EINVAL, "workload %s: size above 2^32 pages", w->name);
	if (!(w->write >= 0 && w->write <= 1))
		return xlat_fail(-EINVAL, "workload %s: write must be 0..1", w->name);
	if (!(w->alpha >= 0 && w->alpha <= 100))
		return xlat_fail(-EINVAL, "workload %s: alpha must be 0..100", w->name);
	return 0;
}

int xlat_workload_open(struct xlat_source **out, const struct xlat_workload *w)
{
	*out = NULL;
	const struct gen_def *d = find_gen(w->name);
	if (!d)
		return xlat_fail(-EINVAL, "unknown workload '%s'", w->name);
	int rc = common_checks(d, w);
	if (rc < 0)
		return rc;
	struct gen *g = (struct gen *)source_alloc(sizeof *g, &gen_ops, "workload", w->name, NULL);
	if (!g)
		return xlat_fail(-ENOMEM, "out of memory");
	g->def = d;
	g->w = *w;
	if ((d->keys & K_STRIDE) && !g->w.stride)
		g->w.stride = g->w.access;
	rng_seed(&g->rng, w->seed);
	g->wall = w->write >= 1;
	g->wthresh = w->write <= 0 || g->wall ? 0 : (uint64_t)ldexp(w->write, 64);
	if ((d->keys & (K_ALPHA | K_SLOTS | K_PROCS)) && w->size < XLAT_PAGE_SIZE) {
		source_free(&g->base);
		return xlat_fail(-EINVAL, "workload %s: size must be at least one page (4096)", w->name);
	}
	rc = d->setup(g);
	if (rc < 0) {
		source_free(&g->base);
		return rc;
	}
	if (!g->total)   /* setup may have counted them already (gc) */
		g->total = xlat_workload_records(w);
	g->base.records = (int64_t)(g->total > INT64_MAX ? INT64_MAX : g->total);
	char opts[512];
	xlat_workload_format(&g->w, opts, sizeof opts);
	free(g->base.origin);
	g->base.origin = strdup(opts);
	if (!g->base.origin) {
		g->base.origin = NULL;
		source_free(&g->base);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	*out = &g->base;
	return 0;
}

int xlat_workload_open_str(struct xlat_source **out, const char *name, const char *opts)
{
	struct xlat_workload w;
	*out = NULL;
	int rc = xlat_workload_init(&w, name);
	if (rc == 0)
		rc = xlat_workload_parse(&w, opts);
	if (rc == 0)
		rc = xlat_workload_open(out, &w);
	return rc;
}
