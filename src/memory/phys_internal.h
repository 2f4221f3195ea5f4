/*
 * Internal to src/memory: the two engines a struct phys is built from.
 *
 *  - falloc: the frame allocator. It hands out frame numbers over
 *    [0, ram_frames) and never touches frame memory.
 *  - fstore: the sparse frame store. Host memory for touched frames only,
 *    found in O(1) through a 3-level radix directory.
 *
 * Frame numbers (pfn) are pa >> 12 throughout.
 */
#ifndef XLAT_PHYS_INTERNAL_H
#define XLAT_PHYS_INTERNAL_H

#include "xlat/phys.h"

/* ---- frame allocator (phys_alloc.c) ----------------------------------- */

/* Frames per 2 MiB and 1 GiB chunk. */
#define FA_M_SHIFT 9u
#define FA_G_SHIFT 18u
#define FA_M_FRAMES (1ULL << FA_M_SHIFT)
#define FA_G_FRAMES (1ULL << FA_G_SHIFT)
/* 1 GiB chunks per node of the chunk directory. */
#define FA_GNODE_SHIFT 11u

struct fa_list {
	struct fa_list *prev, *next;
};

/*
 * The allocator keeps the state of every frame in a 3-level hierarchy that
 * mirrors 1G/2M/4K pages: a chunk directory holds one state word per 1 GiB
 * chunk, a "mid" one word per 2 MiB chunk, a "small" two bitmaps per frame.
 * A state word is FREE/ALLOC/RSVD for a uniform chunk, else a pointer to its
 * split form. Partial lists (chunks with a free piece) make 4K/2M/1G O(1).
 */
struct falloc {
	uint64_t ram_frames;      /* frames managed: [0, ram_frames) */
	uint64_t nchunks;         /* 1 GiB chunks covering ram (last may be partial) */
	uintptr_t **gdir;         /* gdir[g >> 11][g & 2047]: state of chunk g; NULL node: all FREE */
	uint64_t gdir_len;        /* entries of gdir */
	uint64_t gnodes;          /* gdir nodes allocated */
	struct fa_list mids;      /* split 1G chunks with a FREE 2M entry */
	struct fa_list smalls;    /* split 2M chunks with a free frame */
	uint64_t frontier;        /* chunks >= frontier were never taken by a fast path */
	uint64_t *gfree;          /* FREE chunks below the frontier (may hold stale entries) */
	size_t ngfree, gfree_cap;
	uint64_t allocated;       /* frames */
	uint64_t reserved;        /* frames, by phys_reserve inside ram */
	uint64_t nmids, nsmalls;  /* live split descriptors */
	void *spare_mid;          /* one cached free descriptor of each kind: */
	void *spare_small;        /* alloc/free of one frame must not malloc each time */
};

int falloc_init(struct falloc *fa, uint64_t ram_frames);
void falloc_fini(struct falloc *fa);
/* 0 with *pfn set, -ENOMEM (no such range free, or no host memory) or -EINVAL. */
int falloc_alloc(struct falloc *fa, uint64_t npages, uint64_t align, uint64_t *pfn);
/* Aborts (XLAT_BUG) if any frame of the range is not allocated. */
void falloc_free(struct falloc *fa, uint64_t pfn, uint64_t npages);
/* Reserves [pfn, pfn+npages) clipped to ram. 0, -EBUSY or -ENOMEM. */
int falloc_reserve(struct falloc *fa, uint64_t pfn, uint64_t npages);
uint64_t falloc_host_bytes(const struct falloc *fa);

/* ---- sparse frame store (phys_store.c) -------------------------------- */

struct fstore_leaf {
	uint32_t used;                /* non-NULL entries */
	uint8_t *frame[];             /* 1 << leaf_bits host frames */
};

struct fstore_mid {
	uint32_t used;
	struct fstore_leaf *leaf[];   /* 1 << mid_bits */
};

struct fstore_arena {
	void *base;
	size_t bytes;
};

/* The hot-frame table: a direct-mapped cache of pfn -> host frame in front
 * of the radix directory, so that the walker's reads (a few hundred table
 * frames, read over and over) cost one load instead of a directory chase.
 * Only touched frames enter it; fstore_drop takes dropped frames out. */
#define FSTORE_HOT_SLOTS 2048u          /* power of two */
#define FSTORE_NO_PFN UINT64_MAX        /* empty slot: no pfn is this large */

struct fstore_hot {
	uint64_t pfn;                    /* FSTORE_NO_PFN: empty */
	uint8_t *frame;
};

struct fstore {
	unsigned leaf_bits, mid_bits, top_bits;  /* pfn = top | mid | leaf index */
	struct fstore_mid **top;                 /* 1 << top_bits */
	struct fstore_hot *hot;                  /* FSTORE_HOT_SLOTS, indexed by pfn mod slots */
	uint8_t *bump, *bump_end;                /* uncarved part of the newest arena */
	void *recycled;                          /* freed host frames, linked through word 0 */
	struct fstore_arena *arenas;
	size_t narenas, arenas_cap;
	size_t next_arena;                       /* bytes: doubles up to FSTORE_ARENA_MAX */
	uint64_t touched;                        /* frames with host memory */
	uint64_t dir_bytes;                      /* directory nodes, top and hot table included */
	uint64_t arena_bytes;                    /* mmap'd for frames */
};

int fstore_init(struct fstore *fs, unsigned pfn_bits);
void fstore_fini(struct fstore *fs);
/* Host memory of a touched frame through the radix directory, NULL if
 * untouched; a touched frame enters the hot table. pfn must be in range. */
uint8_t *fstore_get_slow(struct fstore *fs, uint64_t pfn);
/* Host memory of a touched frame, NULL if untouched. pfn must be in range. */
static inline uint8_t *fstore_get(struct fstore *fs, uint64_t pfn)
{
	const struct fstore_hot *h = &fs->hot[pfn & (FSTORE_HOT_SLOTS - 1)];

	if (h->pfn == pfn)
		return h->frame;
	return fstore_get_slow(fs, pfn);
}
/* Host memory of frame pfn, given zeroed memory if untouched. NULL on ENOMEM. */
uint8_t *fstore_touch(struct fstore *fs, uint64_t pfn);
/* Gives back the host memory of [pfn, pfn+n): those frames read as zero. */
void fstore_drop(struct fstore *fs, uint64_t pfn, uint64_t n);
uint64_t fstore_host_bytes(const struct fstore *fs);

/* ---- the space (phys.c) ------------------------------------------------ */

enum phys_kind { PHYS_SPARSE, PHYS_BUFFER, PHYS_VIEW };

struct phys {
	enum phys_kind kind;
	unsigned pa_bits;
	uint64_t nframes;          /* addressable frames: [0, nframes) */
	struct falloc fa;
	struct fstore fs;          /* sparse */
	uint8_t *buf;              /* buffer: frame pfn is buf + (pfn << 12) */
	struct phys *lower;        /* view: where the bytes are */
	phys_resolve_fn resolve;
	void *ctx;
};

#endif
