/*
 * xlat/phys.h — physical address spaces (the "memory" layer).
 *
 * A struct phys is one physical address space of 4 KiB frames: the host's,
 * a guest's, or the machine space beneath a secure monitor. Everything that
 * reads or writes simulated memory goes through these accessors; no other
 * module holds raw host pointers into it. One interface, three backings:
 *
 *  - sparse:  xlat's own frame store. O(1) frame lookup (a radix directory
 *             of frame pointers); an untouched frame costs no host memory
 *             and reads as zeros.
 *  - buffer:  a caller-provided contiguous buffer (the VMM's guest RAM):
 *             physical address = offset in the buffer.
 *  - view:    an address space whose frames live in another space through a
 *             translation callback (guest-physical memory backed by host
 *             frames through the EPT). Bytes exist once, in the lower space;
 *             the callback may populate the translation on demand, as a
 *             hypervisor does on an EPT violation.
 *
 * Each space also has a frame allocator over its RAM range: it hands out
 * frame numbers (pfn = pa >> 12) and knows nothing of the backing.
 */
#ifndef XLAT_PHYS_H
#define XLAT_PHYS_H

#include "xlat/base.h"

XLAT_API_BEGIN

struct phys;

/* Resolves the frame holding address `pa` of a view to a frame of the lower
 * space. `pa` is the exact address accessed (the first byte of the access;
 * pfn = pa >> 12), so a hypervisor that write-protects guest page tables
 * knows which entry is written. `write` says whether the access writes.
 * Returns 0 and sets *lower_pfn, or a negative errno (the access fails). */
typedef int (*phys_resolve_fn)(void *ctx, xlat_pa pa, bool write, uint64_t *lower_pfn);

/* A sparse space of 2^pa_bits bytes (pa_bits <= 52) whose allocator hands
 * out frames from [0, ram_bytes) (0 = the whole space). NULL on ENOMEM or a
 * bad argument (xlat_error() says which). */
struct phys *phys_create(unsigned pa_bits, uint64_t ram_bytes);
/* A space backed by buf[0, size): size must be a multiple of 4 KiB. The
 * buffer stays the caller's; phys_destroy does not free it. */
struct phys *phys_create_buffer(void *buf, uint64_t size);
/* A view of 2^pa_bits bytes, RAM [0, ram_bytes), whose frames resolve into
 * `lower` through fn(ctx, ...). */
struct phys *phys_create_view(struct phys *lower, unsigned pa_bits, uint64_t ram_bytes,
			      phys_resolve_fn fn, void *ctx);
void phys_destroy(struct phys *space);

unsigned phys_pa_bits(const struct phys *space);

/* ---- frame allocator ------------------------------------------------ */

/* Allocates npages contiguous frames whose first frame number is a multiple
 * of align_pages (a power of two; 1, 512 and 262144 are the fast paths for
 * 4K/2M/1G). Sets *pfn. 0 or -ENOMEM. Contents are unspecified: callers that
 * need zeros call phys_zero (a sparse space's fresh frames are always zero). */
XLAT_MUST_CHECK int phys_alloc(struct phys *space, uint64_t npages, uint64_t align_pages, uint64_t *pfn);
/* Returns frames to the allocator. Freeing a frame that is not allocated is
 * a bug (aborts). A sparse space releases the frames' host memory. */
void phys_free(struct phys *space, uint64_t pfn, uint64_t npages);
/* Removes [start, end) (page-aligned) from what the allocator hands out,
 * e.g. a MMIO hole or the first megabyte. The part beyond RAM is ignored;
 * reserving a reserved frame again is fine. 0 or -errno (-EBUSY if any
 * frame in it is allocated, then nothing changes; -EINVAL if the range is
 * not page-aligned inside the space). */
XLAT_MUST_CHECK int phys_reserve(struct phys *space, xlat_pa start, xlat_pa end);

/* ---- byte access ---------------------------------------------------- */

/* The host address of frame `pfn` for reading (write=false) or writing.
 * Reading an untouched sparse frame returns a shared page of zeros (never
 * write through it); writing allocates its host memory. NULL with an error
 * recorded if pfn is outside the space or a view cannot resolve it. The
 * pointer stays valid until the frame is freed or zeroed. */
uint8_t *phys_frame(struct phys *space, uint64_t pfn, bool write);

/* 8-byte aligned 64-bit accesses, the walker's and the tables' unit. */
XLAT_MUST_CHECK int phys_read64(struct phys *space, xlat_pa pa, uint64_t *val);
XLAT_MUST_CHECK int phys_write64(struct phys *space, xlat_pa pa, uint64_t val);
/* Arbitrary ranges, may cross frames. 0 or -errno. */
XLAT_MUST_CHECK int phys_read(struct phys *space, xlat_pa pa, void *buf, size_t len);
XLAT_MUST_CHECK int phys_write(struct phys *space, xlat_pa pa, const void *buf, size_t len);
/* Makes frames read as zero. A sparse space drops their host memory. */
XLAT_MUST_CHECK int phys_zero(struct phys *space, uint64_t pfn, uint64_t npages);

/* ---- accounting ------------------------------------------------------ */

struct phys_stats {
	uint64_t ram_frames;        /* frames the allocator manages */
	uint64_t allocated_frames;  /* currently allocated */
	uint64_t reserved_frames;   /* removed by phys_reserve */
	uint64_t touched_frames;    /* frames with host memory (sparse only) */
	uint64_t host_bytes;        /* host memory held by this space, all overheads included
	                             * (frame arenas, freed host frames kept for reuse,
	                             * directories, allocator state); not a buffer's
	                             * caller-owned memory nor a view's lower space */
};
void phys_get_stats(const struct phys *space, struct phys_stats *st);

XLAT_API_END

#endif
