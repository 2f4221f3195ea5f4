/*
 * Arm CCA's granule protection table (the gpt model), as bytes in monitor
 * memory, in the layout of the RME specification that TF-A's GPT library
 * builds (lib/gpt_rme/gpt_rme_private.h; docs/components/granule-
 * protection-tables-design.rst): 4 KiB granules (PGS), 1 GiB level-0
 * regions (L0GPTSZ = 30), the protected space the whole machine (PPS).
 *
 * At boot the hypervisor's memory is one block descriptor per region
 * (GPI_NS) and the monitor's is GPI_ROOT; a region is shattered into a
 * level-1 table the first time one of its granules changes PAS (TF-A's
 * granule transition service works on level-1 entries only), so a check
 * reads one descriptor in a block region and two in a shattered one.
 *
 * GPT entries may be cached in TLBs (TLBI PAALL invalidates "cached copies
 * of GPT entries from TLBs"); Arm publishes no size or organisation. The
 * model keeps a small fully associative LRU cache of descriptors, by their
 * address, whose size is tee_config.gpt_cache (an estimate, 16 by default),
 * flushed whenever the monitor changes the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tee_int.h"
#include "xlat/phys.h"

#define L1_ADDR_MASK (0xffffffffffULL << 12)

static uint64_t l1_desc_of(unsigned gpi)
{
	uint64_t d = 0;

	for (unsigned i = 0; i < 16; i++)
		d |= (uint64_t)gpi << (4 * i);
	return d;
}

int tee_gpt_init(struct tee *t)
{
	uint64_t bytes, npages, pfn;

	t->gpt_regions = 1ULL << (t->cfg.pa_bits - GPT_L0_SHIFT);
	bytes = t->gpt_regions * 8;
	npages = xlat_align_up(bytes, XLAT_PAGE_SIZE) >> XLAT_PAGE_SHIFT;
	/* The L0 table is aligned to its size (or 4 KiB). */
	if (phys_alloc(t->mem, npages, npages, &pfn))
		return xlat_fail(-ENOMEM, "tee: no monitor memory for a %llu-byte GPT",
				 (unsigned long long)bytes);
	t->gpt_l0 = pfn << XLAT_PAGE_SHIFT;
	for (uint64_t r = 0; r < t->gpt_regions; r++) {
		unsigned gpi = (r << GPT_L0_SHIFT) < t->cfg.hv_bytes ? GPT_GPI_NS : GPT_GPI_ROOT;
		int rc = phys_write64(t->mem, t->gpt_l0 + 8 * r, GPT_TYPE_BLOCK | ((uint64_t)gpi << 4));
		if (rc)
			return rc;
	}
	if (t->cfg.gpt_cache) {
		t->gcache = calloc(t->cfg.gpt_cache, sizeof *t->gcache);
		if (!t->gcache)
			return xlat_fail(-ENOMEM, "tee: out of memory");
		tee_gpt_cache_flush(t);
	}
	return 0;
}

void tee_gpt_cache_flush(struct tee *t)
{
	for (unsigned i = 0; i < t->cfg.gpt_cache && t->gcache; i++)
		t->gcache[i] = (struct gpt_cache_entry){ .addr = TEE_MAP_EMPTY };
}

void tee_flush_caches(struct tee *t)
{
	tee_gpt_cache_flush(t);
}

/* Reads the descriptor at addr as the GPC does: from the cache, or from
 * memory (one reference, recorded), filling the cache. */
static uint64_t desc_read(struct tee *t, xlat_pa addr, uint8_t kind, bool use_cache,
			  struct tee_ref *refs, unsigned *nrefs)
{
	struct gpt_cache_entry *victim = NULL;
	uint64_t val = 0;

	if (use_cache && t->gcache) {
		for (unsigned i = 0; i < t->cfg.gpt_cache; i++) {
			struct gpt_cache_entry *c = &t->gcache[i];
			if (c->addr == addr) {
				c->used = ++t->gcache_clock;
				t->st.gpt_cache_hits++;
				return c->val;
			}
			if (!victim || c->addr == TEE_MAP_EMPTY ||
			    (victim->addr != TEE_MAP_EMPTY && c->used < victim->used))
				victim = c;
		}
		t->st.gpt_cache_misses++;
	}
	if (phys_read64(t->mem, addr, &val))
		val = 0;   /* unreadable: an invalid descriptor, a fault below */
	if (refs && nrefs && *nrefs < TEE_CHECK_MAX_REFS)
		refs[(*nrefs)++] = (struct tee_ref){ .pa = addr, .val = val, .kind = kind };
	else if (nrefs)
		(*nrefs)++;
	if (victim)
		*victim = (struct gpt_cache_entry){ .addr = addr, .val = val, .used = ++t->gcache_clock };
	return val;
}

unsigned tee_gpt_lookup(struct tee *t, xlat_pa pa, bool use_cache, struct tee_ref *refs, unsigned *nrefs)
{
	uint64_t region = pa >> GPT_L0_SHIFT, e;

	if (region >= t->gpt_regions)
		return GPT_GPI_NO_ACCESS;
	e = desc_read(t, t->gpt_l0 + 8 * region, TEE_REF_GPT_L0, use_cache, refs, nrefs);
	if ((e & 0xf) == GPT_TYPE_BLOCK)
		return (unsigned)(e >> 4) & 0xf;
	if ((e & 0xf) != GPT_TYPE_TABLE)
		return GPT_GPI_NO_ACCESS;
	e = desc_read(t, (e & L1_ADDR_MASK) + 8 * ((pa >> 16) & 0x3fff), TEE_REF_GPT_L1, use_cache,
		      refs, nrefs);
	return (unsigned)(e >> (4 * ((pa >> 12) & 0xf))) & 0xf;
}

int tee_gpt_set(struct tee *t, uint64_t pfn, unsigned gpi)
{
	xlat_pa pa = pfn << XLAT_PAGE_SHIFT, l0a, l1a;
	uint64_t region = pa >> GPT_L0_SHIFT, e, l1pfn;
	int rc;

	if (region >= t->gpt_regions)
		return xlat_fail(-EINVAL, "tee: %#llx is beyond the protected space", (unsigned long long)pa);
	l0a = t->gpt_l0 + 8 * region;
	if ((rc = phys_read64(t->mem, l0a, &e)))
		return rc;
	if ((e & 0xf) == GPT_TYPE_BLOCK) {
		unsigned old = (unsigned)(e >> 4) & 0xf;
		uint64_t fill = l1_desc_of(old), n = GPT_L1_BYTES >> XLAT_PAGE_SHIFT;

		if (old == gpi)
			return 0;
		/* Shatter: a level-1 table (aligned to its 128 KiB) of the
		 * region's GPI, then the table descriptor. */
		if (phys_alloc(t->mem, n, n, &l1pfn))
			return xlat_fail(-ENOMEM, "tee: no monitor memory for a level-1 GPT");
		for (uint64_t i = 0; i < GPT_L1_BYTES / 8; i++)
			if ((rc = phys_write64(t->mem, (l1pfn << XLAT_PAGE_SHIFT) + 8 * i, fill)))
				return rc;
		e = GPT_TYPE_TABLE | ((l1pfn << XLAT_PAGE_SHIFT) & L1_ADDR_MASK);
		if ((rc = phys_write64(t->mem, l0a, e)))
			return rc;
	}
	l1a = (e & L1_ADDR_MASK) + 8 * ((pa >> 16) & 0x3fff);
	if ((rc = phys_read64(t->mem, l1a, &e)))
		return rc;
	unsigned sh = 4 * ((pa >> 12) & 0xf);
	e = (e & ~(0xfULL << sh)) | ((uint64_t)gpi << sh);
	if ((rc = phys_write64(t->mem, l1a, e)))
		return rc;
	tee_gpt_cache_flush(t);   /* the monitor's TLBI PAALL */
	return 0;
}
