/*
 * xlat/workload.h — synthetic workloads, as sources (xlat/trace.h).
 *
 * Every stream is a pure function of its parameters: the same options give
 * the same records, on every machine.
 *
 * Option syntax (xlat_workload_parse): comma-separated key=value pairs,
 *
 *   "size=1g,count=10M,seed=1,write=0.3"
 *
 * with sizes and addresses in the binary syntax of xlat/parse.h ("64m",
 * "4k", "0x7f0000000000", "128T"), counts in its decimal one ("10M" =
 * 10,000,000), fractions as decimals ("0.3"). Keys:
 *
 *   size=BYTES    heap the stream covers                     (default 64m;
 *                 mmapbench and forkbench 1m)
 *   count=N       records to emit                            (default 1M)
 *   seed=N        random seed                                (default 1)
 *   write=F       fraction of data accesses that are writes  (default 0;
 *                 mmapbench and forkbench 1)
 *   base=ADDR     lowest address                             (default 0x10000000000 = 1 TiB)
 *   stride=BYTES  seq, stride: step between accesses         (seq: access, stride: 4k)
 *   access=BYTES  size of each access, 1..4096               (default 8)
 *   alpha=F       zipf: exponent, >= 0 (0 = uniform)         (default 1)
 *   unit=BYTES    chase: element size, 64 = lines, 4k = pages (default 64)
 *   procs=N       forkbench: child address spaces, 1..65534  (default 4)
 *   slots=N       mmapbench: regions cycled through          (default 1)
 *   huge=0|1      mmapbench, forkbench: maps are XLAT_ACC_HUGE (default 0)
 *   obj=BYTES     gc: mean object size, 24..2048                (default 80)
 *   live=F        gc: fraction of objects live, (0, 1]          (default 0.5)
 *   ptrs=F        gc: pointer density, the fraction of an object's
 *                 fields that are references, [0, 1]            (default 0.25)
 *   roots=F       gc: fraction of live objects that are roots, (0, 1]
 *                                                               (default 0.001)
 *   marks=bitmap|header  gc: where mark bits live              (default bitmap)
 *   phase=P       gc: what the stream holds: all (fill+mark+sweep), or
 *                 phases joined by '+': fill, mark, sweep     (default all)
 *
 * A key a generator does not use is an error, so typos don't pass silently.
 *
 * Generators (the write fraction decides each data access independently):
 *   seq       base + (i * stride mod span), span = size rounded down to a
 *             multiple of stride: a linear scan, wrapping
 *   stride    the same with stride 4 KiB by default: one access per page
 *   random    uniform over [base, base + size), access-aligned
 *   zipf      a page of [base, base + size) drawn Zipf(alpha) by rank; ranks
 *             are scattered over the pages by a seeded permutation; the
 *             offset inside the page is uniform, access-aligned
 *   chase     pointer chase: element P(i mod n) of n = size / unit, P a
 *             seeded random permutation, so the stream visits every element
 *             once per cycle in a random cyclic order (reads by default);
 *             an element of two lines or more is read at one of its lines,
 *             each block of unit/64 consecutive elements using every line
 *             offset once (the L1D sets share a page chase's lines)
 *   sparse    the seed's 64 MiB process: `size` bytes (default 64 MiB,
 *             128k..512g)
 *             spread over the 47-bit user space in seven regions like a
 *             Linux PIE process: text size/16 at 0x555555554000 (fetches);
 *             heap size/2 from the next 1 GiB boundary; four mmap regions of
 *             3*size/32 each from 0x7f0000000000, 64 GiB apart; stack
 *             size/16 ending at 0x7ffe00000000. The first size/4096
 *             accesses touch every page once in address order, the rest pick
 *             a page uniformly. base and stride are not used.
 *   mmapbench page-table churn: rounds of EV_MAP [a, a + size) writable,
 *             one access per page, EV_UNMAP; a = base + (round mod slots) *
 *             size rounded up to 2 MiB
 *   forkbench several address spaces: asid 0 maps and touches
 *             [base, base + size); then each round, for each child asid
 *             1..procs: EV_SWITCH, EV_MAP, touch every page, EV_UNMAP; then
 *             EV_SWITCH back to 0 and touch every page again
 *   gc        a managed heap and one mark-sweep collection of it: fill
 *             (allocation's first touch of each page, at its first header;
 *             the side bitmap, roots and free-list heads written), mark (from the roots, through the object
 *             graph, with a mark stack), sweep (a linear scan of every
 *             header, runs of dead objects linked into free lists). The heap is
 *             regenerated from the seed, never stored; docs/gc.md has the
 *             model. count, write and access are not used.
 * For mmapbench and forkbench, count is a budget: the stream holds as many
 * whole rounds as fit in it (at least one), so a stream never ends with a
 * region still mapped by an unfinished round. Event sizes are in pages
 * (size rounded up to 4 KiB).
 */
#ifndef XLAT_WORKLOAD_H
#define XLAT_WORKLOAD_H

#include "xlat/access.h"
#include "xlat/trace.h"

XLAT_API_BEGIN

#define XLAT_WORKLOAD_NAME_MAX 16

struct xlat_workload {
	char name[XLAT_WORKLOAD_NAME_MAX];
	uint64_t size;      /* bytes */
	uint64_t count;     /* records */
	uint64_t seed;
	double write;       /* [0, 1] */
	xlat_va base;
	uint64_t stride;    /* bytes; 0 = the generator's default */
	uint32_t access;    /* bytes per access */
	double alpha;
	uint64_t unit;      /* bytes */
	uint32_t procs;
	uint32_t slots;
	bool huge;
	/* gc */
	uint64_t obj;       /* bytes: mean object size */
	double live;        /* (0, 1] */
	double ptrs;        /* [0, 1] */
	double roots;       /* (0, 1] */
	uint8_t marks;      /* XLAT_GC_MARKS_* */
	uint8_t phases;     /* XLAT_GC_FILL | XLAT_GC_MARK | XLAT_GC_SWEEP */
};

enum { XLAT_GC_MARKS_BITMAP = 0, XLAT_GC_MARKS_HEADER = 1 };
#define XLAT_GC_FILL  1u
#define XLAT_GC_MARK  2u
#define XLAT_GC_SWEEP 4u
#define XLAT_GC_ALL   (XLAT_GC_FILL | XLAT_GC_MARK | XLAT_GC_SWEEP)

/* Number of generators, and the i-th one's name and one-line summary. */
size_t xlat_workload_count(void);
const char *xlat_workload_name(size_t i);
const char *xlat_workload_summary(size_t i);

/* Fills *w with `name`'s defaults. 0 or -EINVAL (unknown name, with the
 * list of known ones in the message). */
XLAT_MUST_CHECK int xlat_workload_init(struct xlat_workload *w, const char *name);
/* Sets one option (key as in the syntax above). 0 or -EINVAL / -ERANGE. */
XLAT_MUST_CHECK int xlat_workload_set(struct xlat_workload *w, const char *key, const char *value);
/* Applies "k=v,k=v" (NULL or "" change nothing). 0 or -errno. */
XLAT_MUST_CHECK int xlat_workload_parse(struct xlat_workload *w, const char *opts);
/* The canonical option string of w (every key it uses), snprintf-style. */
int xlat_workload_format(const struct xlat_workload *w, char *buf, size_t len);
/* Records the stream will hold (count, or whole rounds for event
 * generators). */
uint64_t xlat_workload_records(const struct xlat_workload *w);

/* A source that generates w's stream. Checks the parameters (sizes that
 * overflow the address space, a heap smaller than one access, ...).
 * 0 or -errno. */
XLAT_MUST_CHECK int xlat_workload_open(struct xlat_source **out, const struct xlat_workload *w);
/* xlat_workload_init + xlat_workload_parse + xlat_workload_open. */
XLAT_MUST_CHECK int xlat_workload_open_str(struct xlat_source **out, const char *name, const char *opts);

/* What a gc workload's heap holds and where its regions are, as its options
 * make it. Regenerates every block's layout: O(objects) time, no memory.
 * 0 or -errno (not a gc workload, bad parameters). */
struct xlat_gc_info {
	uint64_t blocks;         /* 4 KiB blocks = heap pages */
	uint64_t objects;
	uint64_t live;           /* objects reachable from the roots */
	uint64_t roots;
	uint64_t live_bytes;
	uint64_t live_refs;      /* reference fields of live objects */
	uint64_t chunks;         /* free chunks the sweep makes (runs of dead objects) */
	uint64_t records[3];     /* fill, mark, sweep */
	xlat_va heap, bitmap, meta, stack;   /* region starts (bitmap 0 if none) */
	uint64_t bitmap_bytes;
	uint64_t meta_bytes;     /* free-list heads + the roots array */
};
XLAT_MUST_CHECK int xlat_workload_gc_info(const struct xlat_workload *w, struct xlat_gc_info *info);
/* Only what needs no pass over the heap: checks the parameters and fills
 * blocks, the region starts and bitmap_bytes (the rest 0). O(1). */
XLAT_MUST_CHECK int xlat_workload_gc_layout(const struct xlat_workload *w, struct xlat_gc_info *info);

XLAT_API_END

#endif
