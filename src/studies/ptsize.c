/* Page-table memory of synthetic layouts (xlat/ptsize.h): build the tables
 * with pt in a sparse phys space and count their pages; and the same count
 * done on paper (ptsize_estimate) to refuse builds that would not fit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/format.h"
#include "xlat/parse.h"
#include "xlat/phys.h"
#include "xlat/pt.h"
#include "xlat/ptsize.h"
#include "ptsize_int.h"

int ptsize_leaf_level(unsigned page_shift)
{
	switch (page_shift) {
	case PT_PAGE_4K: return 1;
	case PT_PAGE_2M: return 2;
	case PT_PAGE_1G: return 3;
	default: return 0;
	}
}

/* Mapped pages are never allocated, only pointed at: the output address is
 * the input address folded into the upper half of a 52-bit space, clear of
 * the frames the table pages come from, and as aligned as the input. */
xlat_pa ptsize_data_pa(xlat_va va)
{
	return (1ULL << 51) | (va & ((1ULL << 51) - 1));
}

int ptsize_model_init(struct ptsize_model *m, int levels, uint64_t table_pages)
{
	const struct xlat_format *fmt = fmt_x86(levels);
	if (!fmt)
		return xlat_fail(-EINVAL, "%d-level paging is not modelled (use 4 or 5)", levels);
	/* RAM for the table pages only, with slack for the allocator's rounding. */
	uint64_t ram = xlat_align_up((table_pages + 64) * XLAT_PAGE_SIZE, XLAT_SIZE_2M);
	m->mem = phys_create(52, ram);
	if (!m->mem)
		return -ENOMEM;
	int rc = pt_init(&m->pt, m->mem, fmt, 52);
	if (rc) {
		phys_destroy(m->mem);
		m->mem = NULL;
		return rc;
	}
	m->pt.ctl |= FMT_CTL_1G;
	return 0;
}

int ptsize_model_map(struct ptsize_model *m, xlat_va va, uint64_t size, unsigned page_shift)
{
	return pt_map(&m->pt, va, ptsize_data_pa(va), size, XLAT_R | XLAT_W | XLAT_U, page_shift);
}

void ptsize_model_destroy(struct ptsize_model *m)
{
	if (!m->mem)
		return;
	pt_destroy(&m->pt);
	phys_destroy(m->mem);
	m->mem = NULL;
}

static int by_start(const void *a, const void *b)
{
	const struct ptsize_region *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* A sorted copy of r[0..n) (NULL on ENOMEM; n = 0 gives a valid pointer). */
static struct ptsize_region *sorted_copy(const struct ptsize_region *r, size_t n)
{
	struct ptsize_region *s = malloc((n ? n : 1) * sizeof *s);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, r, n * sizeof *s);
	qsort(s, n, sizeof *s, by_start);
	return s;
}

/* Distinct 2^shift-byte blocks touched by the sorted regions s[0..n). The
 * last byte of a region, not its end, decides its last block, so a region
 * ending on a boundary does not count the next block. */
static uint64_t blocks_touched(const struct ptsize_region *s, size_t n, unsigned shift)
{
	uint64_t count = 0, prev_last = 0;
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (!s[i].size)
			continue;
		uint64_t first = s[i].start >> shift;
		uint64_t last = (s[i].start + s[i].size - 1) >> shift;
		if (any && first <= prev_last)
			first = prev_last + 1;
		if (any && last <= prev_last)
			continue;
		count += last - first + 1;
		prev_last = last;
		any = true;
	}
	return count;
}

uint64_t ptsize_estimate(const struct ptsize_region *r, size_t n, int levels, unsigned page_shift)
{
	int leaf = ptsize_leaf_level(page_shift);
	struct ptsize_region *s = sorted_copy(r, n);
	uint64_t pages = 1;   /* the root */

	if (!s || !leaf)
		XLAT_BUG("bad page shift %u or out of memory", page_shift);
	/* Tables holding level-L entries, L from the leaf level up to below the
	 * root; the top level (shift 12 + 9 * levels) would be past bit 63 for
	 * 5 levels, so the loop stops before the root. */
	for (int level = leaf; level < levels; level++)
		pages += blocks_touched(s, n, xlat_level_shift(level + 1));
	free(s);
	return pages;
}

/* Checks one region for ptsize_build; i and the name are for the message. */
static int check_region(const struct ptsize_region *r, size_t i, const struct xlat_format *fmt,
			unsigned page_shift)
{
	char sz[48], pg[48];
	const char *name = r->name ? r->name : "";
	uint64_t page = 1ULL << page_shift;

	xlat_parse_size_str(r->size, sz, sizeof sz);
	xlat_parse_size_str(page, pg, sizeof pg);
	if (!r->size)
		return xlat_fail(-EINVAL, "region %zu%s%s at 0x%llx is empty", i + 1,
				 *name ? " " : "", name, (unsigned long long)r->start);
	if (!xlat_aligned(r->start, page) || !xlat_aligned(r->size, page))
		return xlat_fail(-EINVAL,
				 "region %zu%s%s (%s at 0x%llx) is not aligned to the %s page: "
				 "start and size must be multiples of it",
				 i + 1, *name ? " " : "", name, sz, (unsigned long long)r->start, pg);
	uint64_t last = r->start + r->size - 1;
	bool same_half = ((r->start ^ last) >> (fmt->va_bits - 1)) == 0;
	if (last < r->start || !pt_valid_va(fmt, r->start) || !pt_valid_va(fmt, last) || !same_half)
		return xlat_fail(-EINVAL,
				 "region %zu%s%s (%s at 0x%llx) leaves the canonical %u-bit address "
				 "space of %d-level paging",
				 i + 1, *name ? " " : "", name, sz, (unsigned long long)r->start,
				 fmt->va_bits, fmt->levels);
	return 0;
}

int ptsize_build(const struct ptsize_region *r, size_t n, int levels, unsigned page_shift,
		 uint64_t max_table_bytes, struct ptsize_result *res)
{
	const struct xlat_format *fmt = fmt_x86(levels);
	struct ptsize_model m = { 0 };
	int rc;

	if (!fmt)
		return xlat_fail(-EINVAL, "%d-level paging is not modelled (use 4 or 5)", levels);
	if (!ptsize_leaf_level(page_shift))
		return xlat_fail(-EINVAL, "page shift %u is not a page size (12, 21 or 30)", page_shift);
	if (!n)
		return xlat_fail(-EINVAL, "no regions to map");
	for (size_t i = 0; i < n; i++)
		if ((rc = check_region(&r[i], i, fmt, page_shift)))
			return rc;

	/* Overlaps, found on a sorted copy so the message names both regions. */
	struct ptsize_region *s = sorted_copy(r, n);
	if (!s)
		return xlat_fail(-ENOMEM, "out of memory");
	for (size_t i = 1; i < n; i++) {
		if (s[i].start < s[i - 1].start + s[i - 1].size) {
			rc = xlat_fail(-EINVAL, "regions overlap: 0x%llx+0x%llx and 0x%llx+0x%llx",
				       (unsigned long long)s[i - 1].start, (unsigned long long)s[i - 1].size,
				       (unsigned long long)s[i].start, (unsigned long long)s[i].size);
			free(s);
			return rc;
		}
	}
	free(s);

	uint64_t est = ptsize_estimate(r, n, levels, page_shift);
	if (max_table_bytes != PTSIZE_NO_LIMIT && est > max_table_bytes / XLAT_PAGE_SIZE) {
		char need[48], lim[48];
		xlat_parse_size_str(est * XLAT_PAGE_SIZE, need, sizeof need);
		xlat_parse_size_str(max_table_bytes, lim, sizeof lim);
		return xlat_fail(-E2BIG, "these mappings need %s of page tables, more than the %s "
				 "limit: use a larger page or raise the limit", need, lim);
	}

	if ((rc = ptsize_model_init(&m, levels, est)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = ptsize_model_map(&m, r[i].start, r[i].size, page_shift);
		if (rc) {
			xlat_fail(rc, "mapping region %zu (0x%llx+0x%llx): %s", i + 1,
				  (unsigned long long)r[i].start, (unsigned long long)r[i].size, xlat_error());
			ptsize_model_destroy(&m);
			return rc;
		}
	}
	memset(res, 0, sizeof *res);
	res->levels = levels;
	res->page_shift = page_shift;
	res->va_bits = fmt->va_bits;
	pt_get_stats(&m.pt, &res->st);
	res->flat_bytes = pt_flat_table_bytes(fmt->va_bits, page_shift, 8);
	ptsize_model_destroy(&m);
	return 0;
}

static const struct ptsize_region process_layout[] = {
	{ 0x555555554000ULL, 2ULL << 20, "text" },
	{ 0x555555754000ULL, 1ULL << 20, "data" },
	{ 0x555556000000ULL, 64ULL << 20, "heap" },
	{ 0x7fffe7c00000ULL, 128ULL << 20, "mmap" },
	{ 0x7ffff7c00000ULL, 4ULL << 20, "libs" },
	{ 0x7ffffffde000ULL, 132ULL << 10, "stack" },
};

size_t ptsize_layout_process(unsigned page_shift, struct ptsize_region *out)
{
	uint64_t page = 1ULL << page_shift;
	size_t n = 0;

	for (size_t i = 0; i < sizeof process_layout / sizeof process_layout[0]; i++) {
		xlat_va start = xlat_align_down(process_layout[i].start, page);
		xlat_va end = xlat_align_up(process_layout[i].start + process_layout[i].size, page);
		/* The table is sorted, so only the previous region can meet this one. */
		if (n && start < out[n - 1].start + out[n - 1].size) {
			uint64_t prev_end = out[n - 1].start + out[n - 1].size;
			if (end > prev_end)
				out[n - 1].size = end - out[n - 1].start;
			continue;
		}
		XLAT_ASSERT(n < PTSIZE_LAYOUT_MAX);
		out[n].start = start;
		out[n].size = end - start;
		out[n].name = process_layout[i].name;
		n++;
	}
	return n;
}
