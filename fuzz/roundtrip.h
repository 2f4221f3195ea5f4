/* The writer round trip shared by the fuzz targets: records a reader
 * accepted are written with xlat's writers, read back, and must come back
 * equal (every field for .xlt; kind, address and size for lackey text,
 * which has no flags, asids or events). Files go to /dev/shm (a tmpfs, so
 * commit's fsync costs nothing) when it exists. Aborts on a mismatch. */
#ifndef XLAT_FUZZ_ROUNDTRIP_H
#define XLAT_FUZZ_ROUNDTRIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xlat/trace.h"

#define RT_MAX (1u << 16)   /* records kept for the round trip */

struct rt {
	struct xlat_access *a;
	size_t n;
	bool events;
};

static void rt_add(struct rt *rt, const struct xlat_access *a, size_t n)
{
	if (!rt->a && !(rt->a = malloc(RT_MAX * sizeof *rt->a)))
		abort();
	for (size_t i = 0; i < n && rt->n < RT_MAX; i++) {
		rt->events |= xlat_is_event(a[i].kind);
		rt->a[rt->n++] = a[i];
	}
}

static const char *rt_path(const char *ext)
{
	static char p[128];
	snprintf(p, sizeof p, "%s/xlat-fuzz-%d.%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
		 (int)getpid(), ext);
	return p;
}

static void rt_check(const struct rt *rt, enum xlat_trace_format fmt)
{
	const char *path = rt_path(fmt == XLAT_TRACE_XLT ? "xlt" : "lackey");
	struct xlat_trace_writer *w;
	if (xlat_trace_writer_open(&w, path, fmt, "fuzz", NULL) < 0 ||
	    xlat_trace_writer_write(w, rt->a, rt->n) < 0 || xlat_trace_writer_close(w) < 0) {
		fprintf(stderr, "round trip: cannot write %zu records: %s\n", rt->n, xlat_error());
		abort();
	}
	struct xlat_source *s;
	if (xlat_source_open_as(&s, path, fmt) < 0) {
		fprintf(stderr, "round trip: cannot reopen: %s\n", xlat_error());
		abort();
	}
	static struct xlat_access buf[1024];
	size_t k = 0;
	int64_t n;
	while ((n = xlat_source_next(s, buf, 1 + rt->n % 1024)) > 0) {
		for (int64_t i = 0; i < n; i++, k++) {
			const struct xlat_access *x = &buf[i], *y = &rt->a[k];
			bool same = k < rt->n && x->va == y->va && x->size == y->size && x->kind == y->kind;
			if (fmt == XLAT_TRACE_XLT)
				same = same && x->flags == y->flags && x->asid == y->asid;
			if (!same) {
				fprintf(stderr, "round trip: record %zu differs\n", k);
				abort();
			}
		}
	}
	if (n < 0 || k != rt->n) {
		fprintf(stderr, "round trip: read back %zu of %zu records: %s\n", k, rt->n,
			n < 0 ? xlat_error() : "");
		abort();
	}
	xlat_source_close(s);
	unlink(path);
}

/* Both writers where they apply; frees the records. */
static void rt_finish(struct rt *rt)
{
	if (rt->n) {
		rt_check(rt, XLAT_TRACE_XLT);
		if (!rt->events)
			rt_check(rt, XLAT_TRACE_LACKEY);
	}
	free(rt->a);
	rt->a = NULL;
	rt->n = 0;
}

#endif
