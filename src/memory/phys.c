/*
 * Physical address spaces: one accessor interface over three backings
 * (sparse frame store, caller's buffer, view through a resolve callback),
 * each with its own frame allocator. See xlat/phys.h for the contracts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memory/phys_internal.h"
#include "xlat/phys.h"

/* What an untouched sparse frame reads as. Read-only memory: a write
 * through it faults instead of corrupting every untouched frame. */
static const uint8_t zero_page[XLAT_PAGE_SIZE] __attribute__((aligned(XLAT_PAGE_SIZE)));

static struct phys *space_new(enum phys_kind kind, unsigned pa_bits, uint64_t nframes, uint64_t ram_frames)
{
	struct phys *s = calloc(1, sizeof(*s));
	if (!s) {
		xlat_fail(-ENOMEM, "phys: out of host memory");
		return NULL;
	}
	s->kind = kind;
	s->pa_bits = pa_bits;
	s->nframes = nframes;
	if (falloc_init(&s->fa, ram_frames)) {
		free(s);
		xlat_fail(-ENOMEM, "phys: out of host memory for the frame allocator");
		return NULL;
	}
	return s;
}

static bool bad_geometry(const char *fn, unsigned pa_bits, uint64_t ram_bytes)
{
	if (pa_bits < XLAT_PAGE_SHIFT || pa_bits > XLAT_MAX_PA_BITS) {
		xlat_fail(-EINVAL, "%s: pa_bits %u is outside [12, 52]", fn, pa_bits);
		return true;
	}
	if (!xlat_aligned(ram_bytes, XLAT_PAGE_SIZE) || ram_bytes > (1ULL << pa_bits)) {
		xlat_fail(-EINVAL, "%s: ram of %#llx bytes is not a multiple of 4 KiB within the %u-bit space",
			  fn, (unsigned long long)ram_bytes, pa_bits);
		return true;
	}
	return false;
}

struct phys *phys_create(unsigned pa_bits, uint64_t ram_bytes)
{
	if (bad_geometry("phys_create", pa_bits, ram_bytes))
		return NULL;
	uint64_t nframes = 1ULL << (pa_bits - XLAT_PAGE_SHIFT);
	uint64_t ram_frames = ram_bytes ? ram_bytes >> XLAT_PAGE_SHIFT : nframes;
	struct phys *s = space_new(PHYS_SPARSE, pa_bits, nframes, ram_frames);
	if (!s)
		return NULL;
	if (fstore_init(&s->fs, pa_bits - XLAT_PAGE_SHIFT)) {
		phys_destroy(s);
		xlat_fail(-ENOMEM, "phys_create: out of host memory for the frame directory");
		return NULL;
	}
	return s;
}

struct phys *phys_create_buffer(void *buf, uint64_t size)
{
	if (!buf || size == 0 || !xlat_aligned(size, XLAT_PAGE_SIZE) || size > (1ULL << XLAT_MAX_PA_BITS)) {
		xlat_fail(-EINVAL, "phys_create_buffer: need a buffer whose size (%#llx) is a non-zero multiple of 4 KiB",
			  (unsigned long long)size);
		return NULL;
	}
	unsigned pa_bits = XLAT_PAGE_SHIFT;
	while ((1ULL << pa_bits) < size)
		pa_bits++;
	struct phys *s = space_new(PHYS_BUFFER, pa_bits, size >> XLAT_PAGE_SHIFT, size >> XLAT_PAGE_SHIFT);
	if (s)
		s->buf = buf;
	return s;
}

struct phys *phys_create_view(struct phys *lower, unsigned pa_bits, uint64_t ram_bytes,
			      phys_resolve_fn fn, void *ctx)
{
	if (!lower || !fn) {
		xlat_fail(-EINVAL, "phys_create_view: need a lower space and a resolve callback");
		return NULL;
	}
	if (bad_geometry("phys_create_view", pa_bits, ram_bytes))
		return NULL;
	uint64_t nframes = 1ULL << (pa_bits - XLAT_PAGE_SHIFT);
	struct phys *s = space_new(PHYS_VIEW, pa_bits, nframes, ram_bytes ? ram_bytes >> XLAT_PAGE_SHIFT : nframes);
	if (s) {
		s->lower = lower;
		s->resolve = fn;
		s->ctx = ctx;
	}
	return s;
}

void phys_destroy(struct phys *space)
{
	if (!space)
		return;
	falloc_fini(&space->fa);
	if (space->kind == PHYS_SPARSE)
		fstore_fini(&space->fs);
	free(space);
}

unsigned phys_pa_bits(const struct phys *space)
{
	return space->pa_bits;
}

/* ---- frame allocator ------------------------------------------------ */

int phys_alloc(struct phys *space, uint64_t npages, uint64_t align_pages, uint64_t *pfn)
{
	return falloc_alloc(&space->fa, npages, align_pages, pfn);
}

void phys_free(struct phys *space, uint64_t pfn, uint64_t npages)
{
	falloc_free(&space->fa, pfn, npages);
	if (space->kind == PHYS_SPARSE)
		fstore_drop(&space->fs, pfn, npages);
}

int phys_reserve(struct phys *space, xlat_pa start, xlat_pa end)
{
	if (start > end || !xlat_aligned(start, XLAT_PAGE_SIZE) || !xlat_aligned(end, XLAT_PAGE_SIZE) ||
	    (end >> XLAT_PAGE_SHIFT) > space->nframes)
		return xlat_fail(-EINVAL, "phys_reserve: [%#llx, %#llx) is not a page-aligned range of the %u-bit space",
				 (unsigned long long)start, (unsigned long long)end, space->pa_bits);
	return falloc_reserve(&space->fa, start >> XLAT_PAGE_SHIFT, (end - start) >> XLAT_PAGE_SHIFT);
}

/* ---- byte access ---------------------------------------------------- */

static int out_of_space(const struct phys *space, uint64_t pfn)
{
	return xlat_fail(-EFAULT, "phys: frame %#llx is beyond the %u-bit space%s",
			 (unsigned long long)pfn, space->pa_bits,
			 space->kind == PHYS_BUFFER ? " (buffer)" : "");
}

/* The lower frame under view address pa (the exact byte accessed, which a
 * hypervisor's callback may want): 0 or the callback's -errno.
 *
 * On failure the callback's message is kept if it recorded one, else ours is
 * recorded. The message is never cleared beforehand, since that would lose
 * an unrelated error while some caller cleans up through a view; instead a
 * prefix is snapshotted, and an unchanged message means the callback said
 * nothing (a callback repeating the previous message word for word gets
 * ours instead, which says the same). */
static int view_resolve(struct phys *space, xlat_pa pa, bool write, uint64_t *lower_pfn)
{
	char before[96];
	size_t n = strnlen(xlat_error(), sizeof(before) - 1);
	memcpy(before, xlat_error(), n);
	before[n] = 0;
	int err = space->resolve(space->ctx, pa, write, lower_pfn);
	if (err >= 0)
		return 0;
	if (strncmp(before, xlat_error(), sizeof(before) - 1) == 0)
		xlat_fail(err, "phys: view cannot resolve address %#llx", (unsigned long long)pa);
	return err;
}

/* Host memory of the frame holding pa (the first byte accessed): 0 with
 * *out set to the frame's start, or -errno. */
static int frame_get(struct phys *space, xlat_pa pa, bool write, uint8_t **out)
{
	uint64_t pfn = pa >> XLAT_PAGE_SHIFT;
	if (pfn >= space->nframes)
		return out_of_space(space, pfn);
	switch (space->kind) {
	case PHYS_SPARSE: {
		uint8_t *p = fstore_get(&space->fs, pfn);
		if (!p) {
			if (!write) {
				*out = (uint8_t *)zero_page;
				return 0;
			}
			p = fstore_touch(&space->fs, pfn);
			if (!p)
				return xlat_fail(-ENOMEM, "phys: out of host memory for frame %#llx",
						 (unsigned long long)pfn);
		}
		*out = p;
		return 0;
	}
	case PHYS_BUFFER:
		*out = space->buf + (pfn << XLAT_PAGE_SHIFT);
		return 0;
	case PHYS_VIEW: {
		uint64_t lower_pfn;
		int err = view_resolve(space, pa, write, &lower_pfn);
		if (err)
			return err;
		if (lower_pfn >= space->lower->nframes)   /* before the shift can lose bits */
			return out_of_space(space->lower, lower_pfn);
		return frame_get(space->lower, (lower_pfn << XLAT_PAGE_SHIFT) | (pa & (XLAT_PAGE_SIZE - 1)),
				 write, out);
	}
	}
	XLAT_BUG("unknown backing %d", (int)space->kind);
}

uint8_t *phys_frame(struct phys *space, uint64_t pfn, bool write)
{
	uint8_t *p;
	if (pfn >= space->nframes) {   /* before the shift can lose bits */
		out_of_space(space, pfn);
		return NULL;
	}
	return frame_get(space, pfn << XLAT_PAGE_SHIFT, write, &p) ? NULL : p;
}

int phys_read64(struct phys *space, xlat_pa pa, uint64_t *val)
{
	uint64_t pfn = pa >> XLAT_PAGE_SHIFT;
	/* Fast path: the walker's and the tables' common case, one hot-table
	 * load when the frame was read lately (phys_internal.h). */
	if (space->kind == PHYS_SPARSE && pfn < space->nframes && !(pa & 7)) {
		const uint8_t *p = fstore_get(&space->fs, pfn);
		if (!p)
			*val = 0;
		else
			memcpy(val, p + (pa & (XLAT_PAGE_SIZE - 1)), 8);
		return 0;
	}
	if (pa & 7)
		return xlat_fail(-EINVAL, "phys_read64: %#llx is not 8-byte aligned", (unsigned long long)pa);
	uint8_t *p;
	int err = frame_get(space, pa, false, &p);
	if (err)
		return err;
	memcpy(val, p + (pa & (XLAT_PAGE_SIZE - 1)), 8);
	return 0;
}

int phys_write64(struct phys *space, xlat_pa pa, uint64_t val)
{
	uint64_t pfn = pa >> XLAT_PAGE_SHIFT;
	if (space->kind == PHYS_SPARSE && pfn < space->nframes && !(pa & 7)) {
		uint8_t *p = fstore_get(&space->fs, pfn);
		if (!p) {
			if (val == 0)   /* an untouched frame already reads as zero */
				return 0;
			p = fstore_touch(&space->fs, pfn);
			if (!p)
				return xlat_fail(-ENOMEM, "phys: out of host memory for frame %#llx",
						 (unsigned long long)pfn);
		}
		memcpy(p + (pa & (XLAT_PAGE_SIZE - 1)), &val, 8);
		return 0;
	}
	if (pa & 7)
		return xlat_fail(-EINVAL, "phys_write64: %#llx is not 8-byte aligned", (unsigned long long)pa);
	uint8_t *p;
	int err = frame_get(space, pa, true, &p);
	if (err)
		return err;
	memcpy(p + (pa & (XLAT_PAGE_SIZE - 1)), &val, 8);
	return 0;
}

static int range_check(const struct phys *space, const char *fn, xlat_pa pa, size_t len)
{
	uint64_t limit = space->nframes << XLAT_PAGE_SHIFT;
	if (pa > limit || len > limit - pa)
		return xlat_fail(-EFAULT, "%s: [%#llx, +%#zx) is beyond the %u-bit space", fn,
				 (unsigned long long)pa, len, space->pa_bits);
	return 0;
}

int phys_read(struct phys *space, xlat_pa pa, void *buf, size_t len)
{
	int err = range_check(space, "phys_read", pa, len);
	uint8_t *dst = buf;
	while (!err && len) {
		size_t off = pa & (XLAT_PAGE_SIZE - 1);
		size_t n = XLAT_PAGE_SIZE - off < len ? XLAT_PAGE_SIZE - off : len;
		uint8_t *p;
		err = frame_get(space, pa, false, &p);
		if (!err) {
			memcpy(dst, p + off, n);
			dst += n;
			pa += n;
			len -= n;
		}
	}
	return err;
}

int phys_write(struct phys *space, xlat_pa pa, const void *buf, size_t len)
{
	int err = range_check(space, "phys_write", pa, len);
	const uint8_t *src = buf;
	while (!err && len) {
		size_t off = pa & (XLAT_PAGE_SIZE - 1);
		size_t n = XLAT_PAGE_SIZE - off < len ? XLAT_PAGE_SIZE - off : len;
		uint8_t *p;
		err = frame_get(space, pa, true, &p);
		if (!err) {
			memcpy(p + off, src, n);
			src += n;
			pa += n;
			len -= n;
		}
	}
	return err;
}

int phys_zero(struct phys *space, uint64_t pfn, uint64_t npages)
{
	if (pfn > space->nframes || npages > space->nframes - pfn)
		return out_of_space(space, pfn > space->nframes ? pfn : space->nframes);
	switch (space->kind) {
	case PHYS_SPARSE:
		fstore_drop(&space->fs, pfn, npages);
		return 0;
	case PHYS_BUFFER:
		memset(space->buf + (pfn << XLAT_PAGE_SHIFT), 0, npages << XLAT_PAGE_SHIFT);
		return 0;
	case PHYS_VIEW:
		for (uint64_t i = 0; i < npages; i++) {
			uint64_t lower_pfn;
			int err = view_resolve(space, (pfn + i) << XLAT_PAGE_SHIFT, true, &lower_pfn);
			if (!err)
				err = phys_zero(space->lower, lower_pfn, 1);
			if (err)
				return err;
		}
		return 0;
	}
	XLAT_BUG("unknown backing %d", (int)space->kind);
}

/* ---- accounting ------------------------------------------------------ */

void phys_get_stats(const struct phys *space, struct phys_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->ram_frames = space->fa.ram_frames;
	st->allocated_frames = space->fa.allocated;
	st->reserved_frames = space->fa.reserved;
	st->host_bytes = sizeof(*space) + falloc_host_bytes(&space->fa);
	if (space->kind == PHYS_SPARSE) {
		st->touched_frames = space->fs.touched;
		st->host_bytes += fstore_host_bytes(&space->fs);
	}
}
