/*
 * Page-table-update workloads: mmapbench and forkbench (semantics in
 * xlat/workload.h). They emit EV_MAP / EV_UNMAP / EV_SWITCH events between
 * the accesses, whose `size` counts 4 KiB pages. Every record's content is
 * computed from its index in the stream (plus the rng for offsets and
 * read/write), so the structure is easy to check.
 */
#include <errno.h>

#include "input/gen.h"

static uint64_t heap_pages(const struct xlat_workload *w)
{
	return (w->size + XLAT_PAGE_SIZE - 1) / XLAT_PAGE_SIZE;
}

static uint8_t map_flags(const struct gen *g)
{
	return (uint8_t)(XLAT_ACC_WRITABLE | (g->w.huge ? XLAT_ACC_HUGE : 0));
}

/* One access somewhere in page `page` of the region at `start`. */
static void touch(struct gen *g, struct xlat_access *a, xlat_va start, uint64_t page, uint16_t asid)
{
	uint64_t off = rng_below(&g->rng, XLAT_PAGE_SIZE / g->w.access) * g->w.access;
	gen_put(a, start + page * XLAT_PAGE_SIZE + off, g->w.access, gen_data_kind(g), 0, asid);
}

static void events_defaults(struct xlat_workload *w)
{
	w->write = 1.0;
	w->size = 1ULL << 20;
}

/* ---- mmapbench ---- */

static uint64_t mmap_round_len(const struct xlat_workload *w)
{
	return heap_pages(w) + 2;
}

static uint64_t mmap_records(const struct xlat_workload *w)
{
	uint64_t len = mmap_round_len(w), rounds = w->count / len;
	return (rounds ? rounds : 1) * len;
}

static int mmap_setup(struct gen *g)
{
	if (g->w.slots == 0)
		return xlat_fail(-EINVAL, "workload mmapbench: slots must be >= 1");
	g->pages = heap_pages(&g->w);
	g->round_len = mmap_round_len(&g->w);
	g->slot_stride = xlat_align_up(g->pages * XLAT_PAGE_SIZE, XLAT_SIZE_2M);
	uint64_t room = ~0ULL - g->w.base;
	if (g->slot_stride > room / g->w.slots)
		return xlat_fail(-EINVAL, "workload mmapbench: %u slots of %llu bytes from 0x%llx overflow "
				 "the address space", g->w.slots, (unsigned long long)g->slot_stride,
				 (unsigned long long)g->w.base);
	return 0;
}

static void mmap_fill(struct gen *g, struct xlat_access *out, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		uint64_t i = g->i + k;
		uint64_t round = i / g->round_len, j = i % g->round_len;
		xlat_va start = g->w.base + (round % g->w.slots) * g->slot_stride;
		if (j == 0)
			gen_put(&out[k], start, (uint32_t)g->pages, XLAT_EV_MAP, map_flags(g), 0);
		else if (j <= g->pages)
			touch(g, &out[k], start, j - 1, 0);
		else
			gen_put(&out[k], start, (uint32_t)g->pages, XLAT_EV_UNMAP, 0, 0);
	}
}

const struct gen_def gen_mmapbench = {
	"mmapbench", "map, touch every page, unmap; repeat [slots huge]",
	K_COMMON | K_SLOTS | K_HUGE, events_defaults, mmap_setup, mmap_fill, mmap_records,
};

/* ---- forkbench ---- */

/* Layout of the stream:
 *   setup  (pages + 2): SWITCH 0, MAP, touch every page
 *   rounds (round_len each): for child c = 1..procs a block of pages + 3:
 *              SWITCH c, MAP, touch every page, UNMAP
 *            then SWITCH 0 and touch every page (pages + 1) */
static uint64_t fork_setup_len(const struct xlat_workload *w)
{
	return heap_pages(w) + 2;
}

static uint64_t fork_round_len(const struct xlat_workload *w)
{
	uint64_t pages = heap_pages(w);
	return (uint64_t)w->procs * (pages + 3) + pages + 1;
}

static uint64_t fork_records(const struct xlat_workload *w)
{
	uint64_t setup = fork_setup_len(w), len = fork_round_len(w);
	uint64_t rounds = w->count > setup ? (w->count - setup) / len : 0;
	return setup + (rounds ? rounds : 1) * len;
}

static int fork_setup(struct gen *g)
{
	if (g->w.procs < 1 || g->w.procs > 65534)
		return xlat_fail(-EINVAL, "workload forkbench: procs must be 1..65534, not %u", g->w.procs);
	g->pages = heap_pages(&g->w);
	g->round_len = fork_round_len(&g->w);
	return 0;
}

static void fork_fill(struct gen *g, struct xlat_access *out, size_t n)
{
	uint64_t setup = g->pages + 2, block = g->pages + 3;
	xlat_va base = g->w.base;
	uint32_t pages = (uint32_t)g->pages;
	for (size_t k = 0; k < n; k++) {
		uint64_t i = g->i + k;
		struct xlat_access *a = &out[k];
		if (i < setup) {
			if (i == 0)
				gen_put(a, 0, 0, XLAT_EV_SWITCH, 0, 0);
			else if (i == 1)
				gen_put(a, base, pages, XLAT_EV_MAP, map_flags(g), 0);
			else
				touch(g, a, base, i - 2, 0);
			continue;
		}
		uint64_t j = (i - setup) % g->round_len;
		uint64_t children = (uint64_t)g->w.procs * block;
		if (j >= children) {
			uint64_t t = j - children;
			if (t == 0)
				gen_put(a, 0, 0, XLAT_EV_SWITCH, 0, 0);
			else
				touch(g, a, base, t - 1, 0);
			continue;
		}
		uint16_t asid = (uint16_t)(j / block + 1);
		uint64_t t = j % block;
		if (t == 0)
			gen_put(a, 0, 0, XLAT_EV_SWITCH, 0, asid);
		else if (t == 1)
			gen_put(a, base, pages, XLAT_EV_MAP, map_flags(g), asid);
		else if (t <= g->pages + 1)
			touch(g, a, base, t - 2, asid);
		else
			gen_put(a, base, pages, XLAT_EV_UNMAP, 0, asid);
	}
}

static void fork_defaults(struct xlat_workload *w)
{
	events_defaults(w);
	w->procs = 4;
}

const struct gen_def gen_forkbench = {
	"forkbench", "address spaces switching, mapping, touching, unmapping [procs huge]",
	K_COMMON | K_PROCS | K_HUGE, fork_defaults, fork_setup, fork_fill, fork_records,
};
