/*
 * The sparse frame store: host memory for the frames of a space that have
 * been written, none for the rest.
 *
 * Lookup is a 3-level radix directory indexed by the frame number:
 *
 *   pfn (up to 40 bits) = | top (<= 14) | mid (<= 14) | leaf (<= 12) |
 *
 * A leaf node holds 4096 host-frame pointers (16 MiB of the space), a mid
 * node 16384 leaf pointers (256 GiB); nodes are created on the first write
 * under them and freed when their last frame goes. Host frames are carved
 * from mmap'd arenas that grow from 64 KiB to 2 MiB, never one malloc per
 * frame; frames given back are kept on a list and handed out again (zeroed)
 * before the arena is carved further. Arenas are unmapped by fstore_fini.
 *
 * In front of the directory sits the hot-frame table (phys_internal.h):
 * pfn mod FSTORE_HOT_SLOTS -> (pfn, host frame), filled by lookups that
 * find a touched frame and cleared, slot by slot, when a frame is dropped.
 * A frame's host memory never moves while it is touched, so a slot is
 * right for as long as its frame is not dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memory/phys_internal.h"

#define FSTORE_LEAF_BITS 12u
#define FSTORE_MID_BITS  14u
#define FSTORE_ARENA_MIN (64u << 10)   /* bytes */
#define FSTORE_ARENA_MAX (2u << 20)    /* bytes */

static size_t leaf_node_bytes(const struct fstore *fs)
{
	return sizeof(struct fstore_leaf) + (sizeof(uint8_t *) << fs->leaf_bits);
}

static size_t mid_node_bytes(const struct fstore *fs)
{
	return sizeof(struct fstore_mid) + (sizeof(struct fstore_leaf *) << fs->mid_bits);
}

int fstore_init(struct fstore *fs, unsigned pfn_bits)
{
	memset(fs, 0, sizeof(*fs));
	fs->leaf_bits = pfn_bits < FSTORE_LEAF_BITS ? pfn_bits : FSTORE_LEAF_BITS;
	pfn_bits -= fs->leaf_bits;
	fs->mid_bits = pfn_bits < FSTORE_MID_BITS ? pfn_bits : FSTORE_MID_BITS;
	fs->top_bits = pfn_bits - fs->mid_bits;
	fs->top = calloc(1ULL << fs->top_bits, sizeof(*fs->top));
	fs->hot = malloc(FSTORE_HOT_SLOTS * sizeof(*fs->hot));
	if (!fs->top || !fs->hot) {
		free(fs->top);
		free(fs->hot);
		fs->top = NULL;
		fs->hot = NULL;
		return -ENOMEM;
	}
	for (unsigned i = 0; i < FSTORE_HOT_SLOTS; i++)
		fs->hot[i] = (struct fstore_hot){ FSTORE_NO_PFN, NULL };
	fs->dir_bytes = (sizeof(*fs->top) << fs->top_bits) + FSTORE_HOT_SLOTS * sizeof(*fs->hot);
	fs->next_arena = FSTORE_ARENA_MIN;
	return 0;
}

void fstore_fini(struct fstore *fs)
{
	if (!fs->top)
		return;
	for (uint64_t t = 0; t < (1ULL << fs->top_bits); t++) {
		struct fstore_mid *mid = fs->top[t];
		if (!mid)
			continue;
		for (uint64_t m = 0; m < (1ULL << fs->mid_bits); m++)
			free(mid->leaf[m]);
		free(mid);
	}
	free(fs->top);
	free(fs->hot);
	for (size_t i = 0; i < fs->narenas; i++)
		munmap(fs->arenas[i].base, fs->arenas[i].bytes);
	free(fs->arenas);
	memset(fs, 0, sizeof(*fs));
}

/* A zeroed host frame: a recycled one, or carved from the arenas. */
static uint8_t *host_frame_get(struct fstore *fs)
{
	if (fs->recycled) {
		uint8_t *p = fs->recycled;
		memcpy(&fs->recycled, p, sizeof(void *));
		memset(p, 0, XLAT_PAGE_SIZE);
		return p;
	}
	if (fs->bump == fs->bump_end) {
		if (fs->narenas == fs->arenas_cap) {
			size_t cap = fs->arenas_cap ? 2 * fs->arenas_cap : 8;
			struct fstore_arena *a = realloc(fs->arenas, cap * sizeof(*a));
			if (!a)
				return NULL;
			fs->arenas = a;
			fs->arenas_cap = cap;
		}
		size_t bytes = fs->next_arena;
		void *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			return NULL;
		fs->arenas[fs->narenas++] = (struct fstore_arena){ base, bytes };
		fs->arena_bytes += bytes;
		fs->bump = base;
		fs->bump_end = fs->bump + bytes;
		if (fs->next_arena < FSTORE_ARENA_MAX)
			fs->next_arena *= 2;
	}
	uint8_t *p = fs->bump;          /* fresh anonymous memory is zero */
	fs->bump += XLAT_PAGE_SIZE;
	return p;
}

uint8_t *fstore_get_slow(struct fstore *fs, uint64_t pfn)
{
	struct fstore_mid *mid = fs->top[pfn >> (fs->leaf_bits + fs->mid_bits)];
	if (!mid)
		return NULL;
	struct fstore_leaf *leaf = mid->leaf[(pfn >> fs->leaf_bits) & ((1ULL << fs->mid_bits) - 1)];
	if (!leaf)
		return NULL;
	uint8_t *p = leaf->frame[pfn & ((1ULL << fs->leaf_bits) - 1)];
	if (p)
		fs->hot[pfn & (FSTORE_HOT_SLOTS - 1)] = (struct fstore_hot){ pfn, p };
	return p;
}

static void host_frame_put(struct fstore *fs, uint8_t *p)
{
	memcpy(p, &fs->recycled, sizeof(void *));
	fs->recycled = p;
}

uint8_t *fstore_touch(struct fstore *fs, uint64_t pfn)
{
	uint64_t t = pfn >> (fs->leaf_bits + fs->mid_bits);
	uint64_t m = (pfn >> fs->leaf_bits) & ((1ULL << fs->mid_bits) - 1);
	uint64_t l = pfn & ((1ULL << fs->leaf_bits) - 1);
	struct fstore_mid *mid = fs->top[t];
	bool new_mid = false;

	if (!mid) {
		mid = calloc(1, mid_node_bytes(fs));
		if (!mid)
			return NULL;
		fs->top[t] = mid;
		fs->dir_bytes += mid_node_bytes(fs);
		new_mid = true;
	}
	struct fstore_leaf *leaf = mid->leaf[m];
	bool new_leaf = false;
	if (!leaf) {
		leaf = calloc(1, leaf_node_bytes(fs));
		if (!leaf)
			goto undo_mid;
		mid->leaf[m] = leaf;
		mid->used++;
		fs->dir_bytes += leaf_node_bytes(fs);
		new_leaf = true;
	}
	if (leaf->frame[l])
		return leaf->frame[l];
	uint8_t *p = host_frame_get(fs);
	if (!p)
		goto undo_leaf;
	leaf->frame[l] = p;
	leaf->used++;
	fs->touched++;
	return p;

undo_leaf:
	if (new_leaf) {
		mid->leaf[m] = NULL;
		mid->used--;
		free(leaf);
		fs->dir_bytes -= leaf_node_bytes(fs);
	}
undo_mid:
	if (new_mid) {
		fs->top[t] = NULL;
		free(mid);
		fs->dir_bytes -= mid_node_bytes(fs);
	}
	return NULL;
}

void fstore_drop(struct fstore *fs, uint64_t pfn, uint64_t n)
{
	const uint64_t leaf_span = 1ULL << fs->leaf_bits;
	const uint64_t mid_span = 1ULL << (fs->leaf_bits + fs->mid_bits);
	uint64_t end = pfn + n;

	while (pfn < end) {
		uint64_t t = pfn >> (fs->leaf_bits + fs->mid_bits);
		struct fstore_mid *mid = fs->top[t];
		if (!mid) {             /* nothing touched in this mid's span */
			pfn = xlat_align_down(pfn, mid_span) + mid_span;
			continue;
		}
		uint64_t m = (pfn >> fs->leaf_bits) & ((1ULL << fs->mid_bits) - 1);
		struct fstore_leaf *leaf = mid->leaf[m];
		uint64_t leaf_end = xlat_align_down(pfn, leaf_span) + leaf_span;
		if (leaf_end > end)
			leaf_end = end;
		if (!leaf) {
			pfn = leaf_end;
			continue;
		}
		for (; pfn < leaf_end; pfn++) {
			uint8_t **slot = &leaf->frame[pfn & (leaf_span - 1)];
			if (!*slot)
				continue;
			struct fstore_hot *h = &fs->hot[pfn & (FSTORE_HOT_SLOTS - 1)];
			if (h->pfn == pfn)
				h->pfn = FSTORE_NO_PFN;
			host_frame_put(fs, *slot);
			*slot = NULL;
			leaf->used--;
			fs->touched--;
		}
		if (leaf->used == 0) {
			mid->leaf[m] = NULL;
			free(leaf);
			fs->dir_bytes -= leaf_node_bytes(fs);
			if (--mid->used == 0) {
				fs->top[t] = NULL;
				free(mid);
				fs->dir_bytes -= mid_node_bytes(fs);
			}
		}
	}
}

uint64_t fstore_host_bytes(const struct fstore *fs)
{
	return fs->dir_bytes + fs->arena_bytes + fs->arenas_cap * sizeof(struct fstore_arena);
}
