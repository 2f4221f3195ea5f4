/*
 * xlat/pt.h — radix page tables as real bytes in a physical space.
 *
 * A struct pt is one table tree of one format (x86 4/5-level, EPT 4/5-level)
 * whose table pages are frames of `mem`. Entries are the architecture's bytes
 * (xlat/format.h): such a table can be loaded into CR3 (or an EPTP) of a real
 * CPU, which is what the VMM does.
 *
 * pt keeps exact accounting: table pages per level, leaves per level. It
 * frees a table page as soon as its last entry goes, so unmapping everything
 * leaves only the root.
 *
 * pt owns the structure of its tables: other code may set or clear A/D bits
 * in entries (the walker does), but entries appear, vanish or change
 * permissions only through pt_* calls, because pt counts live entries per
 * table page on the side. Every entry access goes through phys_read64 /
 * phys_write64, so tables work on any backing of struct phys.
 *
 * Ranges of input addresses are (va, size) with size a multiple of 4 KiB;
 * the range must be valid inputs of the format (for x86: canonical, all in
 * one half) and may end exactly at 2^64 (va + size == 0). Size 0 is a
 * no-op for pt_unmap, pt_protect and pt_clear_ad, and -EINVAL for pt_map.
 */
#ifndef XLAT_PT_H
#define XLAT_PT_H

#include "xlat/base.h"
#include "xlat/format.h"

XLAT_API_BEGIN

struct phys;

struct pt {
	struct phys *mem;                 /* where the table pages live */
	const struct xlat_format *fmt;
	xlat_pa root;                     /* physical address of the top table */
	unsigned maxphyaddr;              /* width of physical addresses in entries */
	unsigned ctl;                     /* FMT_CTL_* (1G leaves need FMT_CTL_1G) */
	uint64_t table_pages[XLAT_MAX_LEVELS + 1]; /* live table pages holding level-L entries */
	uint64_t leaves[XLAT_MAX_LEVELS + 1];      /* live leaves at level L */
	struct pt_priv *priv;             /* pt.c's bookkeeping (entries per table page,
	                                   * last level-1 table used); NULL before pt_init */
};

/* Page-size requests for pt_map. */
#define PT_PAGE_LARGEST 0u   /* the largest leaf that fits alignment and size */
#define PT_PAGE_4K      12u
#define PT_PAGE_2M      21u
#define PT_PAGE_1G      30u

/* Creates an empty table (one zeroed root frame allocated from mem).
 * maxphyaddr: width of the output space (12..52); table frames must lie
 * below 2^maxphyaddr. Sets ctl = FMT_CTL_DEFAULT (clear FMT_CTL_1G after
 * init to forbid 1 GiB leaves). 0 or -errno. */
XLAT_MUST_CHECK int pt_init(struct pt *pt, struct phys *mem, const struct xlat_format *fmt, unsigned maxphyaddr);
/* Frees every table page, root included. Mapped frames are the caller's.
 * Safe on a zeroed struct pt or one already destroyed. */
void pt_destroy(struct pt *pt);

/* Maps [va, va+size) to [pa, pa+size) with perms (XLAT_* | XLAT_CACHE | XLAT_PKEY).
 * page: PT_PAGE_4K/2M/1G for exactly that leaf size (va, pa and size must be
 * aligned to it), or PT_PAGE_LARGEST to use the largest leaf that fits at
 * each step. Fails without changing anything if any page in the range is
 * already mapped (-EEXIST), on misalignment, size 0, a non-canonical /
 * out-of-range address, a page size the format or ctl does not allow, or
 * perms that would not make a present entry (EPT without R/W/X) (-EINVAL),
 * or when the space runs out of frames (-ENOMEM; the pages mapped before
 * are unmapped again). */
XLAT_MUST_CHECK int pt_map(struct pt *pt, xlat_va va, xlat_pa pa, uint64_t size, uint32_t perms, unsigned page);

/* Unmaps every page in [va, va+size) (4 KiB aligned). A huge leaf that the
 * range covers only in part is split first, so the rest stays mapped.
 * Unmapping holes is not an error. Frees table pages that become empty.
 * 0 or -errno (-ENOMEM if a split needs a frame that is not there). */
XLAT_MUST_CHECK int pt_unmap(struct pt *pt, xlat_va va, uint64_t size);

/* Sets the permissions of every mapped page in [va, va+size), splitting
 * huge leaves the range covers only in part (unless they already have those
 * permissions). Holes are skipped. A/D bits are kept. 0 or -errno: -EINVAL
 * as for pt_map; -ENOMEM if a split finds no frame, the pages before the
 * failing one having the new permissions. */
XLAT_MUST_CHECK int pt_protect(struct pt *pt, xlat_va va, uint64_t size, uint32_t perms);

/* One leaf mapping. */
struct pt_leaf {
	xlat_va va;         /* first address the leaf maps */
	xlat_pa pa;         /* first address it maps to */
	int level;          /* 1 (4K), 2 (2M), 3 (1G) */
	unsigned shift;     /* log2 of the page size */
	uint32_t perms;     /* XLAT_* */
	bool accessed, dirty;
	uint64_t entry;     /* the raw entry */
	xlat_pa entry_pa;   /* where the entry lives in mem */
};

/* Software walk of va (no caches, no counting, no A/D). 0 with *out filled,
 * -ENOENT if va is not mapped, -EINVAL if va is not a valid input. */
XLAT_MUST_CHECK int pt_lookup(struct pt *pt, xlat_va va, struct pt_leaf *out);

/* Calls fn for every leaf that overlaps [start, end), in address order.
 * fn returns 0 to go on, >0 to stop (pt_for_each returns it), <0 to fail
 * (returned). Must not change the table. end == 0 means 2^64, so
 * pt_for_each(pt, 0, 0, ...) visits every leaf (low half first for x86);
 * parts of the range that are not valid inputs are skipped. */
typedef int (*pt_leaf_fn)(const struct pt_leaf *leaf, void *priv);
XLAT_MUST_CHECK int pt_for_each(struct pt *pt, xlat_va start, xlat_va end, pt_leaf_fn fn, void *priv);

/* Does any leaf overlap [start, end)? (false on an invalid range) */
bool pt_range_mapped(struct pt *pt, xlat_va start, xlat_va end);

/* Clears the accessed and dirty bits of every leaf that overlaps
 * [va, va+size) (a huge leaf is cleared whole, not split): the first step
 * of dirty tracking. Entries are written only if they change. For each leaf
 * that had D set, calls fn (if not NULL) with the leaf as it was before
 * (its va, shift and pa say which page, and how large): 0 to go on, <0 to
 * stop with that error (the leaves before it stay cleared). Returns the
 * number of leaves that had D set, or -errno. Clearing bits does not touch
 * any TLB: xlat/os.h and xlat/hv.h have the calls that also invalidate the
 * cached dirty translations, so that the next write sets D again. */
XLAT_MUST_CHECK int64_t pt_clear_ad(struct pt *pt, xlat_va va, uint64_t size, pt_leaf_fn fn, void *priv);

struct pt_stats {
	uint64_t table_pages[XLAT_MAX_LEVELS + 1];  /* per level, [levels] is the root's */
	uint64_t leaves[XLAT_MAX_LEVELS + 1];
	uint64_t total_pages;       /* all table pages, root included */
	uint64_t table_bytes;       /* total_pages * 4096 */
	uint64_t mapped_bytes;      /* sum of leaf sizes */
};
void pt_get_stats(const struct pt *pt, struct pt_stats *st);
/* sum += one, field by field (accounting over several tables). */
void pt_stats_add(struct pt_stats *sum, const struct pt_stats *one);

/*
 * The page-size policy of a first-touch fault, shared by the OS (a process's
 * pages) and the hypervisor (host pages backing guest memory): maps the
 * largest page of at most 2^max_shift bytes (30, 21 or 12) around `va`
 * whose aligned block lies inside [lo, hi) with nothing of it mapped yet,
 * as Linux THP does on an anonymous fault; a 4 KiB page needs neither.
 * Frames come from the table's own space (pt->mem), naturally aligned;
 * where no such block is free the next smaller size is tried. Returns the
 * shift of the page mapped (*pa its first frame's address if pa is not
 * NULL), or -errno: -ENOMEM when not even a 4 KiB frame is left, or
 * pt_map's error (the frames are freed again).
 */
XLAT_MUST_CHECK int pt_map_demand(struct pt *pt, xlat_va va, xlat_va lo, xlat_va hi, unsigned max_shift,
		  uint32_t perms, xlat_pa *pa);

/* Bytes a single flat (one-level) table would need to map every page of a
 * va_bits-wide space with entry_bytes-sized entries: the seed's "terabytes". */
uint64_t pt_flat_table_bytes(unsigned va_bits, unsigned page_shift, unsigned entry_bytes);

/* Is va a valid input address of this format (canonical for x86)? */
bool pt_valid_va(const struct xlat_format *fmt, xlat_va va);

XLAT_API_END

#endif
