/*
 * Radix page tables as real bytes in a physical space (xlat/pt.h).
 *
 * An input address selects one entry per level (xlat/base.h draws the
 * layout); level L's table is a 4 KiB frame of 512 8-byte entries, each
 * covering xlat_level_size(L) bytes of input. Every range operation is one
 * recursive loop over a table, in the style of Linux mm/pagewalk.c:
 *
 *	for (; addr != end; addr = next) {
 *		next = addr_end(level, addr, end);     // end of this entry's span
 *		e = entry at entry_pa(table, level, addr);
 *		... leaf: act on it; table: recurse into [addr, next) one level down
 *	}
 *
 * Ranges are half-open; end == 0 stands for 2^64 (the top of the x86 high
 * half), which addr_end handles by comparing "last byte" addresses.
 * Entries are read and written only through phys_read64/phys_write64.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tables/pt_internal.h"
#include "xlat/phys.h"
#include "xlat/pt.h"

/* ---- per-level helpers, the same for every operation ------------------- */

/* End of the span of the level-`level` entry holding addr, clipped to end. */
static inline xlat_va addr_end(int level, xlat_va addr, xlat_va end)
{
	xlat_va size = xlat_level_size(level);
	xlat_va boundary = (addr + size) & ~(size - 1);
	return boundary - 1 < end - 1 ? boundary : end;
}

/* Where the level-`level` entry for addr lives in a table at `table`. */
static inline xlat_pa entry_pa(xlat_pa table, int level, xlat_va addr)
{
	return table + 8 * (xlat_pa)xlat_index(level, addr);
}

/* Does [addr, next) cover the whole span of a level-`level` entry? */
static inline bool covers_entry(int level, xlat_va addr, xlat_va next)
{
	xlat_va size = xlat_level_size(level);
	return xlat_aligned(addr, size) && next - addr == size;
}

/* May this table hold a leaf at level? */
static inline bool leaf_allowed(const struct pt *pt, int level)
{
	if (level < 1 || level > 3 || !((pt->fmt->leaf_levels >> level) & 1u))
		return false;
	return level != 3 || (pt->ctl & FMT_CTL_1G);
}

static inline int rd(struct pt *pt, xlat_pa pa, uint64_t *e)
{
	return phys_read64(pt->mem, pa, e);
}

static inline int wr(struct pt *pt, xlat_pa pa, uint64_t e)
{
	return phys_write64(pt->mem, pa, e);
}

static inline xlat_pa child_of(const struct pt *pt, int level, uint64_t e)
{
	return e & pt->priv->table_mask[level];
}

/* ---- table pages ------------------------------------------------------- */

static uint32_t *count_of(struct pt *pt, xlat_pa table)
{
	struct pt_priv *p = pt->priv;
	if (p->l1_valid && table == p->l1_table) {
		if (!p->l1_count)
			p->l1_count = ptc_find(p, table);
		return p->l1_count;
	}
	return ptc_find(p, table);
}

/* A zeroed table page that will hold level-`level` entries. 0 or -errno. */
static int table_new(struct pt *pt, int level, xlat_pa *out)
{
	uint64_t pfn;
	int err = phys_alloc(pt->mem, 1, 1, &pfn);
	if (err)
		return err;
	xlat_pa pa = pfn << XLAT_PAGE_SHIFT;
	if (pa >> pt->maxphyaddr) {
		err = xlat_fail(-ENOMEM, "pt: table frame %#llx is above MAXPHYADDR (%u bits)",
				(unsigned long long)pa, pt->maxphyaddr);
		goto fail;
	}
	err = phys_zero(pt->mem, pfn, 1);
	if (err)
		goto fail;
	if (ptc_insert(pt->priv, pa)) {
		err = xlat_fail(-ENOMEM, "pt: out of host memory for table bookkeeping");
		goto fail;
	}
	pt->table_pages[level]++;
	*out = pa;
	return 0;
fail:
	phys_free(pt->mem, pfn, 1);
	return err;
}

static void table_free(struct pt *pt, int level, xlat_pa table)
{
	struct pt_priv *p = pt->priv;
	if (p->l1_valid && p->l1_table == table)
		p->l1_valid = false;
	ptc_remove(p, table);
	phys_free(pt->mem, table >> XLAT_PAGE_SHIFT, 1);
	pt->table_pages[level]--;
}

/* If the table at `child`, pointed to by the entry at epa of a level-`level`
 * table, has no entries left, unlinks and frees it. */
static int prune(struct pt *pt, int level, xlat_pa table, xlat_pa epa, xlat_pa child)
{
	if (*count_of(pt, child) != 0)
		return 0;
	int err = wr(pt, epa, 0);
	if (err)
		return err;
	(*count_of(pt, table))--;
	table_free(pt, level - 1, child);
	return 0;
}

/* ---- argument checks --------------------------------------------------- */

bool pt_valid_va(const struct xlat_format *fmt, xlat_va va)
{
	unsigned bits = fmt->va_bits;
	if (bits >= 64)
		return true;
	if (fmt->sign_extended)
		return (xlat_va)((int64_t)(va << (64 - bits)) >> (64 - bits)) == va;
	return (va >> bits) == 0;
}

/* Is [va, va+size) a range of valid inputs, all in one half? size > 0. */
static int check_va_range(const struct pt *pt, const char *fn, xlat_va va, uint64_t size)
{
	xlat_va last = va + size - 1;
	if (last < va || !pt_valid_va(pt->fmt, va) || !pt_valid_va(pt->fmt, last) ||
	    (pt->fmt->sign_extended && ((va ^ last) >> 63)))
		return xlat_fail(-EINVAL, "%s: [%#llx, +%#llx) is not a range of valid %s input addresses",
				 fn, (unsigned long long)va, (unsigned long long)size, pt->fmt->name);
	return 0;
}

static int check_range_4k(const struct pt *pt, const char *fn, xlat_va va, uint64_t size)
{
	if (!xlat_aligned(va, XLAT_PAGE_SIZE) || !xlat_aligned(size, XLAT_PAGE_SIZE))
		return xlat_fail(-EINVAL, "%s: va %#llx and size %#llx must be 4 KiB aligned", fn,
				 (unsigned long long)va, (unsigned long long)size);
	return check_va_range(pt, fn, va, size);
}

/* Would a leaf with these perms be present in this format? */
static bool perms_present(const struct pt *pt, uint32_t perms)
{
	return fmt_present(pt->fmt, fmt_make_leaf(pt->fmt, 1, 0, perms));
}

/* ---- init / destroy ------------------------------------------------------ */

int pt_init(struct pt *pt, struct phys *mem, const struct xlat_format *fmt, unsigned maxphyaddr)
{
	memset(pt, 0, sizeof(*pt));
	if (!mem || !fmt || fmt->levels < 2 || fmt->levels > XLAT_MAX_LEVELS)
		return xlat_fail(-EINVAL, "pt_init: need a space and a format of 2..%d levels", XLAT_MAX_LEVELS);
	if (maxphyaddr < XLAT_PAGE_SHIFT || maxphyaddr > XLAT_MAX_PA_BITS)
		return xlat_fail(-EINVAL, "pt_init: MAXPHYADDR %u is outside [12, 52]", maxphyaddr);
	struct pt_priv *p = calloc(1, sizeof(*p));
	if (!p || ptc_init(p)) {
		free(p);
		return xlat_fail(-ENOMEM, "pt_init: out of host memory");
	}
	for (int l = 2; l <= fmt->levels; l++)
		p->table_mask[l] = fmt_addr_mask(l, false, maxphyaddr);
	pt->mem = mem;
	pt->fmt = fmt;
	pt->maxphyaddr = maxphyaddr;
	pt->ctl = FMT_CTL_DEFAULT;
	pt->priv = p;
	int err = table_new(pt, fmt->levels, &pt->root);
	if (err) {
		ptc_fini(p);
		free(p);
		memset(pt, 0, sizeof(*pt));
	}
	return err;
}

static void destroy_level(struct pt *pt, int level, xlat_pa table)
{
	if (level > 1 && *count_of(pt, table)) {
		for (unsigned i = 0; i < 512; i++) {
			uint64_t e;
			if (rd(pt, table + 8 * i, &e) || !fmt_present(pt->fmt, e) || fmt_is_leaf(pt->fmt, level, e))
				continue;
			destroy_level(pt, level - 1, child_of(pt, level, e));
		}
	}
	table_free(pt, level, table);
}

void pt_destroy(struct pt *pt)
{
	if (!pt || !pt->priv)
		return;
	destroy_level(pt, pt->fmt->levels, pt->root);
	ptc_fini(pt->priv);
	free(pt->priv);
	pt->priv = NULL;
	pt->root = 0;
	memset(pt->table_pages, 0, sizeof(pt->table_pages));
	memset(pt->leaves, 0, sizeof(pt->leaves));
}

/* ---- map ------------------------------------------------------------------ */

struct map_ctx {
	xlat_va va;          /* start of the request */
	xlat_pa pa;          /* what va maps to */
	uint32_t perms;
	unsigned page;       /* PT_PAGE_* */
	xlat_va fail;        /* where it failed: [va, fail) is mapped by this call */
};

/* Should [addr, next) become one leaf at level? */
static inline bool leaf_here(const struct pt *pt, const struct map_ctx *c, int level,
			     xlat_va addr, xlat_va next)
{
	if (c->page)
		return xlat_level_shift(level) == c->page;
	if (level > 1 && (!leaf_allowed(pt, level) || !covers_entry(level, addr, next)))
		return false;
	return xlat_aligned(c->pa + (addr - c->va), xlat_level_size(level));
}

static int map_level(struct pt *pt, struct map_ctx *c, int level, xlat_pa table, xlat_va addr, xlat_va end)
{
	const struct xlat_format *fmt = pt->fmt;
	xlat_va next;
	int err;

	for (; addr != end; addr = next) {
		next = addr_end(level, addr, end);
		xlat_pa epa = entry_pa(table, level, addr);
		uint64_t e;
		if ((err = rd(pt, epa, &e)))
			goto fail;
		if (leaf_here(pt, c, level, addr, next)) {
			if (fmt_present(fmt, e))
				goto exists;
			err = wr(pt, epa, fmt_make_leaf(fmt, level, c->pa + (addr - c->va), c->perms));
			if (err)
				goto fail;
			(*count_of(pt, table))++;
			pt->leaves[level]++;
			continue;
		}
		XLAT_ASSERT(level > 1);
		xlat_pa child;
		if (fmt_present(fmt, e)) {
			if (fmt_is_leaf(fmt, level, e))
				goto exists;
			child = child_of(pt, level, e);
		} else {
			if ((err = table_new(pt, level - 1, &child)))
				goto fail;
			if ((err = wr(pt, epa, fmt_make_table(fmt, level, child, false)))) {
				table_free(pt, level - 1, child);
				goto fail;
			}
			(*count_of(pt, table))++;
		}
		if (level == 2) {
			struct pt_priv *p = pt->priv;
			p->l1_valid = true;
			p->l1_base = xlat_align_down(addr, XLAT_SIZE_2M);
			p->l1_table = child;
			p->l1_count = NULL;
		}
		err = map_level(pt, c, level - 1, child, addr, next);
		if (err) {
			/* A table this call created and could not fill goes again
			 * (tables that were there before are never empty). */
			prune(pt, level, table, epa, child);
			return err;
		}
	}
	return 0;

exists:
	err = xlat_fail(-EEXIST, "pt_map: [%#llx, %#llx) already holds a mapping",
			(unsigned long long)addr, (unsigned long long)next);
fail:
	c->fail = addr;
	return err;
}

/* ---- unmap / protect ------------------------------------------------------ */

struct change_ctx {
	bool unmap;          /* else protect */
	uint32_t perms;      /* protect: the new permissions */
};

/* Replaces the huge leaf e (level `level`, at epa) by a table of 512 leaves
 * one level down mapping the same pages with the same permissions and A/D.
 * The new table is complete before the entry is switched to it, as a CPU
 * walking concurrently would need. */
static int split_leaf(struct pt *pt, int level, xlat_pa epa, uint64_t e, xlat_pa *out)
{
	const struct xlat_format *fmt = pt->fmt;
	struct pte_fields f;
	xlat_pa child;
	int err;

	fmt_decode(fmt, level, e, pt->maxphyaddr, &f);
	if ((err = table_new(pt, level - 1, &child)))
		return err;
	uint64_t ad = (f.accessed ? fmt->a_bit : 0) | (f.dirty ? fmt->d_bit : 0);
	uint64_t step = xlat_level_size(level - 1);
	for (unsigned i = 0; i < 512; i++) {
		err = wr(pt, child + 8 * i, fmt_make_leaf(fmt, level - 1, f.addr + i * step, f.perms) | ad);
		if (err)
			goto fail;
	}
	if ((err = wr(pt, epa, fmt_make_table(fmt, level, child, f.accessed))))
		goto fail;
	*count_of(pt, child) = 512;
	pt->leaves[level]--;
	pt->leaves[level - 1] += 512;
	*out = child;
	return 0;
fail:
	table_free(pt, level - 1, child);
	return err;
}

static int change_level(struct pt *pt, const struct change_ctx *c, int level, xlat_pa table,
			xlat_va addr, xlat_va end)
{
	const struct xlat_format *fmt = pt->fmt;
	xlat_va next;
	int err;

	for (; addr != end; addr = next) {
		next = addr_end(level, addr, end);
		xlat_pa epa = entry_pa(table, level, addr);
		uint64_t e;
		if ((err = rd(pt, epa, &e)))
			return err;
		if (!fmt_present(fmt, e))
			continue;
		xlat_pa child;
		if (fmt_is_leaf(fmt, level, e)) {
			if (covers_entry(level, addr, next)) {
				if (c->unmap) {
					if ((err = wr(pt, epa, 0)))
						return err;
					(*count_of(pt, table))--;
					pt->leaves[level]--;
				} else {
					uint64_t ne = fmt_set_perms(fmt, level, e, c->perms);
					if (ne != e && (err = wr(pt, epa, ne)))
						return err;
				}
				continue;
			}
			/* Part of a huge leaf: split it, unless protect would
			 * change nothing. */
			if (!c->unmap && fmt_set_perms(fmt, level, e, c->perms) == e)
				continue;
			if ((err = split_leaf(pt, level, epa, e, &child)))
				return err;
		} else {
			child = child_of(pt, level, e);
		}
		err = change_level(pt, c, level - 1, child, addr, next);
		if (c->unmap) {
			int err2 = prune(pt, level, table, epa, child);
			if (!err)
				err = err2;
		}
		if (err)
			return err;
	}
	return 0;
}

/* Unmap or protect [va, va+size), validated. Uses the level-1 hint when the
 * range lies inside it; an unmap that empties that table then walks from
 * the root to free it and any ancestor it leaves empty. */
static int change_range(struct pt *pt, const struct change_ctx *c, xlat_va va, uint64_t size)
{
	struct pt_priv *p = pt->priv;
	xlat_va end = va + size;
	int levels = pt->fmt->levels;

	if (p->l1_valid && va - p->l1_base < XLAT_SIZE_2M && end - p->l1_base <= XLAT_SIZE_2M) {
		int err = change_level(pt, c, 1, p->l1_table, va, end);
		if (err || !c->unmap || *count_of(pt, p->l1_table) != 0)
			return err;
	}
	return change_level(pt, c, levels, pt->root, va, end);
}

int pt_map(struct pt *pt, xlat_va va, xlat_pa pa, uint64_t size, uint32_t perms, unsigned page)
{
	struct pt_priv *p = pt->priv;
	int err;

	if (page != PT_PAGE_LARGEST && page != PT_PAGE_4K && page != PT_PAGE_2M && page != PT_PAGE_1G)
		return xlat_fail(-EINVAL, "pt_map: page shift %u is not 0, 12, 21 or 30", page);
	if (page && !leaf_allowed(pt, xlat_shift_level(page)))
		return xlat_fail(-EINVAL, "pt_map: %s (ctl %#x) cannot map %llu KiB pages", pt->fmt->name,
				 pt->ctl, (unsigned long long)(1ULL << page) >> 10);
	uint64_t unit = page ? 1ULL << page : XLAT_PAGE_SIZE;
	if (size == 0 || !xlat_aligned(va, unit) || !xlat_aligned(pa, unit) || !xlat_aligned(size, unit))
		return xlat_fail(-EINVAL, "pt_map: va %#llx, pa %#llx and size %#llx must be non-zero multiples of %llu KiB",
				 (unsigned long long)va, (unsigned long long)pa, (unsigned long long)size,
				 (unsigned long long)unit >> 10);
	if ((err = check_va_range(pt, "pt_map", va, size)))
		return err;
	if (pa + size - 1 < pa || ((pa + size - 1) >> pt->maxphyaddr))
		return xlat_fail(-EINVAL, "pt_map: [%#llx, +%#llx) is beyond MAXPHYADDR (%u bits)",
				 (unsigned long long)pa, (unsigned long long)size, pt->maxphyaddr);
	if (!perms_present(pt, perms))
		return xlat_fail(-EINVAL, "pt_map: perms %#x would make a non-present %s entry",
				 perms, pt->fmt->name);

	struct map_ctx c = { .va = va, .pa = pa, .perms = perms, .page = page, .fail = va };
	xlat_va end = va + size;
	if (p->l1_valid && page != PT_PAGE_2M && page != PT_PAGE_1G &&
	    va - p->l1_base < XLAT_SIZE_2M && end - p->l1_base <= XLAT_SIZE_2M)
		err = map_level(pt, &c, 1, p->l1_table, va, end);
	else
		err = map_level(pt, &c, pt->fmt->levels, pt->root, va, end);
	if (err && c.fail != va) {
		/* All or nothing: [va, fail) holds exactly what this call
		 * mapped, so unmapping it splits nothing and needs no frame. */
		static const struct change_ctx undo = { .unmap = true };
		int err2 = change_level(pt, &undo, pt->fmt->levels, pt->root, va, c.fail);
		if (err2)
			XLAT_BUG("rollback of [%#llx, %#llx) failed: %d", (unsigned long long)va,
				 (unsigned long long)c.fail, err2);
	}
	return err;
}

int pt_unmap(struct pt *pt, xlat_va va, uint64_t size)
{
	if (size == 0)
		return 0;
	int err = check_range_4k(pt, "pt_unmap", va, size);
	if (err)
		return err;
	const struct change_ctx c = { .unmap = true };
	return change_range(pt, &c, va, size);
}

int pt_protect(struct pt *pt, xlat_va va, uint64_t size, uint32_t perms)
{
	if (size == 0)
		return 0;
	int err = check_range_4k(pt, "pt_protect", va, size);
	if (err)
		return err;
	if (!perms_present(pt, perms))
		return xlat_fail(-EINVAL, "pt_protect: perms %#x would make a non-present %s entry",
				 perms, pt->fmt->name);
	const struct change_ctx c = { .unmap = false, .perms = perms };
	return change_range(pt, &c, va, size);
}

/* ---- lookup and leaf walks ------------------------------------------------ */

static void leaf_fill(const struct pt *pt, int level, xlat_va addr, uint64_t e, xlat_pa epa,
		      struct pt_leaf *out)
{
	struct pte_fields f;
	fmt_decode(pt->fmt, level, e, pt->maxphyaddr, &f);
	out->level = level;
	out->shift = xlat_level_shift(level);
	out->va = xlat_align_down(addr, xlat_level_size(level));
	out->pa = f.addr;
	out->perms = f.perms;
	out->accessed = f.accessed;
	out->dirty = f.dirty;
	out->entry = e;
	out->entry_pa = epa;
}

int pt_lookup(struct pt *pt, xlat_va va, struct pt_leaf *out)
{
	if (!pt_valid_va(pt->fmt, va))
		return xlat_fail(-EINVAL, "pt_lookup: %#llx is not a valid %s input address",
				 (unsigned long long)va, pt->fmt->name);
	xlat_pa table = pt->root;
	for (int level = pt->fmt->levels; level >= 1; level--) {
		xlat_pa epa = entry_pa(table, level, va);
		uint64_t e;
		int err = rd(pt, epa, &e);
		if (err)
			return err;
		if (!fmt_present(pt->fmt, e))
			return xlat_fail(-ENOENT, "pt_lookup: %#llx is not mapped (no %s)",
					 (unsigned long long)va, fmt_level_name(pt->fmt, level));
		if (fmt_is_leaf(pt->fmt, level, e)) {
			leaf_fill(pt, level, va, e, epa, out);
			return 0;
		}
		table = child_of(pt, level, e);
	}
	XLAT_BUG("level-1 entry is not a leaf");
}

static int visit_level(struct pt *pt, int level, xlat_pa table, xlat_va addr, xlat_va end,
		       pt_leaf_fn fn, void *priv)
{
	xlat_va next;
	for (; addr != end; addr = next) {
		next = addr_end(level, addr, end);
		xlat_pa epa = entry_pa(table, level, addr);
		uint64_t e;
		int ret = rd(pt, epa, &e);
		if (ret)
			return ret;
		if (!fmt_present(pt->fmt, e))
			continue;
		if (fmt_is_leaf(pt->fmt, level, e)) {
			struct pt_leaf leaf;
			leaf_fill(pt, level, addr, e, epa, &leaf);
			ret = fn(&leaf, priv);
		} else {
			ret = visit_level(pt, level - 1, child_of(pt, level, e), addr, next, fn, priv);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* Visits [start, last] intersected with each half of the valid inputs. */
static int visit_range(struct pt *pt, xlat_va start, xlat_va last, pt_leaf_fn fn, void *priv)
{
	const struct xlat_format *fmt = pt->fmt;
	xlat_va half[2][2];      /* [lo, hi] inclusive */
	int nhalf = 0;

	if (fmt->sign_extended) {
		xlat_va span = 1ULL << (fmt->va_bits - 1);
		half[nhalf][0] = 0, half[nhalf++][1] = span - 1;
		half[nhalf][0] = -span, half[nhalf++][1] = UINT64_MAX;
	} else {
		half[nhalf][0] = 0;
		half[nhalf++][1] = fmt->va_bits >= 64 ? UINT64_MAX : (1ULL << fmt->va_bits) - 1;
	}
	for (int h = 0; h < nhalf; h++) {
		xlat_va lo = start > half[h][0] ? start : half[h][0];
		xlat_va hi = last < half[h][1] ? last : half[h][1];
		if (lo > hi)
			continue;
		int ret = visit_level(pt, fmt->levels, pt->root, lo, hi + 1, fn, priv);
		if (ret)
			return ret;
	}
	return 0;
}

int pt_for_each(struct pt *pt, xlat_va start, xlat_va end, pt_leaf_fn fn, void *priv)
{
	if (start == end && end != 0)
		return 0;
	return visit_range(pt, start, end - 1, fn, priv);
}

struct clear_ad_ctx {
	struct pt *pt;
	int64_t dirty;
	pt_leaf_fn fn;
	void *priv;
};

static int clear_ad_leaf(const struct pt_leaf *leaf, void *priv)
{
	struct clear_ad_ctx *c = priv;
	const struct xlat_format *fmt = c->pt->fmt;
	uint64_t ne = leaf->entry & ~(fmt->a_bit | fmt->d_bit);
	int err;

	if (ne != leaf->entry && (err = wr(c->pt, leaf->entry_pa, ne)))
		return err;
	if (!(leaf->entry & fmt->d_bit))
		return 0;
	c->dirty++;
	if (c->fn && (err = c->fn(leaf, c->priv)) != 0)
		return err > 0 ? xlat_fail(-EINVAL, "pt_clear_ad: the callback returned %d", err) : err;
	return 0;
}

int64_t pt_clear_ad(struct pt *pt, xlat_va va, uint64_t size, pt_leaf_fn fn, void *priv)
{
	if (size == 0)
		return 0;
	int err = check_range_4k(pt, "pt_clear_ad", va, size);
	if (err)
		return err;
	struct clear_ad_ctx c = { .pt = pt, .fn = fn, .priv = priv };
	err = visit_range(pt, va, va + size - 1, clear_ad_leaf, &c);
	return err ? err : c.dirty;
}

/* ---- accounting ----------------------------------------------------------- */

void pt_get_stats(const struct pt *pt, struct pt_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (int l = 1; l <= XLAT_MAX_LEVELS; l++) {
		st->table_pages[l] = pt->table_pages[l];
		st->leaves[l] = pt->leaves[l];
		st->total_pages += pt->table_pages[l];
		if (l <= 3)
			st->mapped_bytes += pt->leaves[l] * xlat_level_size(l);
	}
	st->table_bytes = st->total_pages * XLAT_PAGE_SIZE;
}

void pt_stats_add(struct pt_stats *sum, const struct pt_stats *one)
{
	for (int l = 0; l <= XLAT_MAX_LEVELS; l++) {
		sum->table_pages[l] += one->table_pages[l];
		sum->leaves[l] += one->leaves[l];
	}
	sum->total_pages += one->total_pages;
	sum->table_bytes += one->table_bytes;
	sum->mapped_bytes += one->mapped_bytes;
}

int pt_map_demand(struct pt *pt, xlat_va va, xlat_va lo, xlat_va hi, unsigned max_shift,
		  uint32_t perms, xlat_pa *pa)
{
	for (int level = xlat_shift_level(max_shift); level >= 1; level--) {
		unsigned shift = xlat_level_shift(level);
		uint64_t size = 1ULL << shift, npages = size >> XLAT_PAGE_SHIFT, pfn;
		xlat_va base = xlat_align_down(va, size);

		if (level > 1 && (base < lo || base + size > hi || pt_range_mapped(pt, base, base + size)))
			continue;
		if (phys_alloc(pt->mem, npages, npages, &pfn))
			continue;   /* no free block that large: a smaller page */
		int rc = pt_map(pt, base, pfn << XLAT_PAGE_SHIFT, size, perms, shift);
		if (rc) {
			phys_free(pt->mem, pfn, npages);
			return rc;
		}
		if (pa)
			*pa = pfn << XLAT_PAGE_SHIFT;
		return (int)shift;
	}
	return xlat_fail(-ENOMEM, "pt: out of frames mapping %#llx", (unsigned long long)va);
}

uint64_t pt_flat_table_bytes(unsigned va_bits, unsigned page_shift, unsigned entry_bytes)
{
	if (page_shift >= va_bits)
		return entry_bytes;
	unsigned entries_log2 = va_bits - page_shift;
	/* Saturates rather than wrap: such a table cannot exist anyway. */
	if (entries_log2 >= 64 || entry_bytes > (UINT64_MAX >> entries_log2))
		return UINT64_MAX;
	return (uint64_t)entry_bytes << entries_log2;
}

static int stop_at_first(const struct pt_leaf *leaf, void *priv)
{
	(void)leaf;
	(void)priv;
	return 1;
}

bool pt_range_mapped(struct pt *pt, xlat_va start, xlat_va end)
{
	return pt_for_each(pt, start, end, stop_at_first, NULL) > 0;
}
