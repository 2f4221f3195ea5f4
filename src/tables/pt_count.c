/*
 * Live-entry counts per table page (see pt_internal.h): a small open-
 * addressing hash from table address to count. Deletion shifts later
 * entries of the probe run back (no tombstones), so lookups stay short
 * however many tables come and go.
 */
#include <errno.h>
#include <stdlib.h>

#include "tables/pt_internal.h"

#define PTC_MIN_SLOTS 64u

static inline uint64_t home_of(const struct pt_priv *p, uint64_t key)
{
	return ((key >> XLAT_PAGE_SHIFT) * 0x9E3779B97F4A7C15ULL >> 20) & p->mask;
}

int ptc_init(struct pt_priv *p)
{
	p->keys = calloc(PTC_MIN_SLOTS, sizeof(*p->keys));
	p->vals = calloc(PTC_MIN_SLOTS, sizeof(*p->vals));
	if (!p->keys || !p->vals) {
		ptc_fini(p);
		return -ENOMEM;
	}
	p->mask = PTC_MIN_SLOTS - 1;
	p->used = 0;
	return 0;
}

void ptc_fini(struct pt_priv *p)
{
	free(p->keys);
	free(p->vals);
	p->keys = NULL;
	p->vals = NULL;
	p->mask = p->used = 0;
	p->l1_count = NULL;
}

static uint64_t slot_of(const struct pt_priv *p, uint64_t key)
{
	uint64_t i = home_of(p, key);
	while (p->keys[i] != key) {
		if (p->keys[i] == 0)
			XLAT_BUG("table %#llx is not registered", (unsigned long long)(key & ~1ULL));
		i = (i + 1) & p->mask;
	}
	return i;
}

uint32_t *ptc_find(struct pt_priv *p, xlat_pa table)
{
	return &p->vals[slot_of(p, table | 1)];
}

static int grow(struct pt_priv *p)
{
	uint64_t slots = 2 * (p->mask + 1);
	uint64_t *keys = calloc(slots, sizeof(*keys));
	uint32_t *vals = calloc(slots, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	uint64_t *old_keys = p->keys;
	uint32_t *old_vals = p->vals;
	uint64_t old_slots = p->mask + 1;
	p->keys = keys;
	p->vals = vals;
	p->mask = slots - 1;
	for (uint64_t i = 0; i < old_slots; i++) {
		if (!old_keys[i])
			continue;
		uint64_t j = home_of(p, old_keys[i]);
		while (keys[j])
			j = (j + 1) & p->mask;
		keys[j] = old_keys[i];
		vals[j] = old_vals[i];
	}
	free(old_keys);
	free(old_vals);
	p->l1_count = NULL;
	return 0;
}

int ptc_insert(struct pt_priv *p, xlat_pa table)
{
	uint64_t key = table | 1;
	/* Keep the load at most 3/4 so probe runs stay short. */
	if (4 * (p->used + 1) > 3 * (p->mask + 1) && grow(p))
		return -ENOMEM;
	uint64_t i = home_of(p, key);
	while (p->keys[i]) {
		if (p->keys[i] == key)
			XLAT_BUG("table %#llx is registered twice", (unsigned long long)table);
		i = (i + 1) & p->mask;
	}
	p->keys[i] = key;
	p->vals[i] = 0;
	p->used++;
	return 0;
}

void ptc_remove(struct pt_priv *p, xlat_pa table)
{
	uint64_t hole = slot_of(p, table | 1);
	/* Move back every later entry of the run that may no longer be
	 * reachable from its home slot across the hole. */
	for (uint64_t j = (hole + 1) & p->mask; p->keys[j]; j = (j + 1) & p->mask) {
		uint64_t home = home_of(p, p->keys[j]);
		/* Entry j may fill the hole iff its home is not in (hole, j]. */
		bool home_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (home_between)
			continue;
		p->keys[hole] = p->keys[j];
		p->vals[hole] = p->vals[j];
		hole = j;
	}
	p->keys[hole] = 0;
	p->vals[hole] = 0;
	p->used--;
	p->l1_count = NULL;
}

uint64_t ptc_host_bytes(const struct pt_priv *p)
{
	return (p->mask + 1) * (sizeof(*p->keys) + sizeof(*p->vals));
}
