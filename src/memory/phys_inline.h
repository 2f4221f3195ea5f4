/*
 * memory/phys_inline.h — the common case of phys_read64, inline, for the
 * walker, which reads every page-table entry through it: an 8-byte read
 * of a sparse space's frame that the hot-frame table holds (a frame read
 * lately). Anything else takes phys_read64. Internal to libxlat: layers
 * above memory may include it; it is not API.
 */
#ifndef XLAT_MEMORY_PHYS_INLINE_H
#define XLAT_MEMORY_PHYS_INLINE_H

#include <string.h>

#include "memory/phys_internal.h"

/* phys_read64 (xlat/phys.h), its fast path inline. */
static inline __attribute__((always_inline)) int
phys_read64_inline(struct phys *space, xlat_pa pa, uint64_t *val)
{
	uint64_t pfn = pa >> XLAT_PAGE_SHIFT;

	if (space->kind == PHYS_SPARSE && pfn < space->nframes && !(pa & 7)) {
		const struct fstore_hot *h = &space->fs.hot[pfn & (FSTORE_HOT_SLOTS - 1)];
		if (h->pfn == pfn) {
			memcpy(val, h->frame + (pa & (XLAT_PAGE_SIZE - 1)), 8);
			return 0;
		}
	}
	return phys_read64(space, pa, val);
}

#endif
