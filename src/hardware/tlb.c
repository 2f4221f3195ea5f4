/*
 * TLB levels: set-associative arrays of small entries (xlat/tlb.h).
 *
 * Layout. An array of E entries and W ways has S = E / W sets; slot
 * set * W + way holds one entry. An entry caches one page of one size; its
 * key is (va >> shift) << 2 | size index, so one 64-bit compare checks page
 * and size, and the invalid sentinel (all ones) can never equal a key
 * (va >> 12 < 2^52).
 *
 * Finding an entry. Hardware compares the W ways of one set in parallel;
 * a sequential scan of 64 ways would cost too much on the simulator's hot
 * path, so each array also keeps a chained hash index over its valid
 * entries (key -> slot). The index only finds entries: which slot an entry
 * lives in, and which one is evicted, is decided by the set and the
 * replacement policy exactly as hardware would, so the model is exact for
 * the configured geometry. On top of that, a small direct-mapped table of
 * recently used entries, indexed by the 4 KiB page number, is checked
 * first: a pointer load and two compares for most hits. Its pointers are
 * hints only: an entry is used only if its key and tag match, so a stale
 * pointer (the entry since evicted or reused) is merely a slow-path probe.
 *
 * Replacement.
 *  - LRU, exact: every slot has a stamp, the level clock at its last use
 *    (0 when invalid), in an array of its own so that choosing a victim
 *    scans W contiguous words. A hit costs one store; a fill takes the
 *    smallest stamp, hence an invalid way first. (A recency list would
 *    make fills O(1) in wide sets but costs every hit several stores:
 *    hits are what the simulator does most.)
 *  - PLRU: a binary tree over the W ways of a set (halves split at W / 2,
 *    so W need not be a power of two: 12 ways is a 4 + ... tree of 11
 *    nodes); a fill takes the lowest invalid way if any, else the way the
 *    bits point to.
 *  - RANDOM: the lowest invalid way if any, else xorshift64 % W, seeded
 *    from the config so runs are reproducible.
 *
 * Several entries of one level may cover one va only if software changed a
 * page's size without invalidating it (SDM 4.10.2.3 leaves the choice to
 * the hardware): lookup then returns any one of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/tlb.h"

#define KEY_INVALID UINT64_MAX
#define NSIZES 3

static const uint8_t size_shift[NSIZES] = { 12, 21, 30 };

struct tlb_entry {
	uint64_t key;           /* (vpn << 2) | szi, or KEY_INVALID */
	xlat_pa pa;             /* page base */
	uint32_t tag;           /* VPID << 12 | PCID */
	uint32_t tagmask;       /* bits of tag compared: ~0, or ~0xfff for a global entry */
	uint32_t perms;
	int32_t next;           /* hash chain: next slot, or -1 */
	uint32_t set;           /* fixed position of this slot */
	uint16_t way;
	uint8_t szi;            /* 0 4K, 1 2M, 2 1G */
	uint8_t arr;            /* index of its array in the level */
	uint8_t shift;          /* size_shift[szi], kept here for the hot path */
	uint8_t global, dirty;
};

struct tlb_array {
	struct tlb_array_config cfg;
	unsigned sets, ways;
	uint64_t set_mask;      /* sets - 1 when sets is a power of two, else 0 */
	bool sets_pow2;
	struct tlb_entry *e;    /* sets * ways */
	int32_t *head;          /* hash buckets -> first slot */
	unsigned hbits;         /* log2 of the bucket count */
	uint8_t *plru;          /* PLRU: sets * pnodes tree bits, one byte each */
	unsigned pnodes;        /* heap slots per set: next_pow2(ways) - 1 */
	unsigned live[NSIZES];  /* valid entries per size */
	unsigned *nvalid;       /* per set: valid entries */
	uint64_t *stamp;        /* LRU: per slot, level clock at last use; 0 = invalid */
};

/* Slots of the recent-entry table (a power of two). */
#define TLB_MICRO 256

static inline unsigned micro_slot(xlat_va va)
{
	return (unsigned)(va >> 12) & (TLB_MICRO - 1);
}

/* One (array, page size) pair a lookup probes. */
struct tlb_probe {
	struct tlb_array *a;
	uint8_t szi, shift;
};

struct tlb {
	struct tlb_config cfg;
	unsigned narrays;
	struct tlb_array a[TLB_MAX_ARRAYS];
	struct tlb_probe probe[TLB_MAX_ARRAYS * NSIZES];
	unsigned nprobes;
	/* Recently used entries by (va >> 12) % TLB_MICRO; hints, see above. */
	struct tlb_entry *micro[TLB_MICRO];
	uint64_t clock;         /* LRU time; starts at 1 so 0 means "never used" */
	uint64_t rng;           /* xorshift64 state, never 0 */
	unsigned sizes;         /* union of array sizes */
	struct tlb_stats st;
};

/* ---- small helpers ---------------------------------------------------- */

static inline uint64_t make_key(xlat_va va, unsigned szi)
{
	return (va >> size_shift[szi]) << 2 | szi;
}

static inline bool tag_match(const struct tlb_entry *e, uint32_t tag)
{
	return ((e->tag ^ tag) & e->tagmask) == 0;
}

static inline unsigned hash_key(uint64_t key, unsigned hbits)
{
	return (unsigned)((key * 0x9e3779b97f4a7c15ULL) >> (64 - hbits));
}

static inline unsigned set_of(const struct tlb_array *a, uint64_t vpn)
{
	return a->sets_pow2 ? (unsigned)(vpn & a->set_mask) : (unsigned)(vpn % a->sets);
}

static bool is_pow2(unsigned x)
{
	return x && !(x & (x - 1));
}

static int size_index(unsigned shift)
{
	for (int i = 0; i < NSIZES; i++)
		if (size_shift[i] == shift)
			return i;
	return -1;
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- tree PLRU -------------------------------------------------------
 * Node n has children 2n+1 (lower half of its ways) and 2n+2 (upper half);
 * bit 0 means "the victim is in the lower half". */

static void plru_touch(struct tlb_array *a, unsigned set, unsigned way)
{
	uint8_t *bits = a->plru + (size_t)set * a->pnodes;
	unsigned node = 0, lo = 0, hi = a->ways;

	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (way < mid) {
			bits[node] = 1;         /* used the lower half: victim above */
			node = 2 * node + 1;
			hi = mid;
		} else {
			bits[node] = 0;
			node = 2 * node + 2;
			lo = mid;
		}
	}
}

static unsigned plru_victim(const struct tlb_array *a, unsigned set)
{
	const uint8_t *bits = a->plru + (size_t)set * a->pnodes;
	unsigned node = 0, lo = 0, hi = a->ways;

	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (bits[node] == 0) {
			node = 2 * node + 1;
			hi = mid;
		} else {
			node = 2 * node + 2;
			lo = mid;
		}
	}
	return lo;
}

/* ---- configuration ---------------------------------------------------- */

static const char *repl_name(enum tlb_repl r)
{
	switch (r) {
	case TLB_LRU: return "lru";
	case TLB_PLRU: return "plru";
	case TLB_RANDOM: return "random";
	}
	return "?";
}

/* Largest number of entries one array may have: far above any real TLB,
 * low enough that slot indexes fit the int32_t hash chains. */
#define TLB_MAX_ENTRIES (1u << 24)

static int check_array(const char *name, unsigned i, const struct tlb_array_config *c)
{
	const char *n = name ? name : "TLB";
	unsigned ways = c->ways ? c->ways : c->entries;

	if (c->entries == 0)
		return xlat_fail(-EINVAL, "%s array %u: entries must be > 0", n, i);
	if (c->entries > TLB_MAX_ENTRIES)
		return xlat_fail(-EINVAL, "%s array %u: %u entries is more than the model allows (%u)",
				 n, i, c->entries, TLB_MAX_ENTRIES);
	if (ways > c->entries)
		return xlat_fail(-EINVAL, "%s array %u: %u ways is more than its %u entries",
				 n, i, ways, c->entries);
	if (c->entries % ways)
		return xlat_fail(-EINVAL, "%s array %u: %u entries is not a multiple of %u ways",
				 n, i, c->entries, ways);
	if (ways > 65535)
		return xlat_fail(-EINVAL, "%s array %u: %u ways is too many (max 65535)", n, i, ways);
	if (c->sizes == 0 || (c->sizes & ~TLB_ALL_SIZES))
		return xlat_fail(-EINVAL, "%s array %u: sizes 0x%x must be a non-empty set of TLB_4K|TLB_2M|TLB_1G",
				 n, i, c->sizes);
	if (c->repl != TLB_LRU && c->repl != TLB_PLRU && c->repl != TLB_RANDOM)
		return xlat_fail(-EINVAL, "%s array %u: unknown replacement policy %d", n, i, (int)c->repl);
	return 0;
}

static void array_clear(struct tlb_array *a)
{
	size_t n = (size_t)a->sets * a->ways;

	for (size_t i = 0; i < n; i++) {
		struct tlb_entry *e = &a->e[i];
		e->key = KEY_INVALID;
		e->next = -1;
	}
	memset(a->head, 0xff, sizeof(*a->head) << a->hbits);
	memset(a->nvalid, 0, sizeof(*a->nvalid) * a->sets);
	if (a->stamp)
		memset(a->stamp, 0, sizeof(*a->stamp) * n);
	if (a->plru)
		memset(a->plru, 0, (size_t)a->sets * a->pnodes);
	memset(a->live, 0, sizeof a->live);
}

static int array_init(struct tlb_array *a, const struct tlb_array_config *c, unsigned index)
{
	size_t n = c->entries;

	a->cfg = *c;
	a->ways = c->ways ? c->ways : c->entries;
	a->sets = c->entries / a->ways;
	a->sets_pow2 = is_pow2(a->sets);
	a->set_mask = a->sets_pow2 ? a->sets - 1 : 0;
	a->hbits = 1;
	while ((1ULL << a->hbits) < 2 * n)
		a->hbits++;
	a->e = calloc(n, sizeof *a->e);
	a->head = malloc(sizeof(*a->head) << a->hbits);
	a->nvalid = calloc(a->sets, sizeof *a->nvalid);
	if (c->repl == TLB_LRU && !(a->stamp = calloc(n, sizeof *a->stamp)))
		return xlat_fail(-ENOMEM, "tlb: out of memory for %zu entries", n);
	if (c->repl == TLB_PLRU && a->ways > 1) {
		/* Heap-numbered nodes of an unbalanced tree reach index
		 * 2^depth - 2 with depth = ceil(log2(ways)). */
		a->pnodes = 1;
		while (a->pnodes + 1 < a->ways)
			a->pnodes = 2 * a->pnodes + 1;
		a->plru = calloc((size_t)a->sets * a->pnodes, 1);
	}
	if (!a->e || !a->head || !a->nvalid || (c->repl == TLB_PLRU && a->ways > 1 && !a->plru))
		return xlat_fail(-ENOMEM, "tlb: out of memory for %zu entries", n);
	for (size_t i = 0; i < n; i++) {
		a->e[i].set = (uint32_t)(i / a->ways);
		a->e[i].way = (uint16_t)(i % a->ways);
		a->e[i].arr = (uint8_t)index;
	}
	array_clear(a);
	return 0;
}

struct tlb *tlb_create(const struct tlb_config *cfg)
{
	struct tlb *t;

	if (!cfg) {
		xlat_fail(-EINVAL, "tlb: no configuration");
		return NULL;
	}
	if (cfg->narrays == 0 || cfg->narrays > TLB_MAX_ARRAYS) {
		xlat_fail(-EINVAL, "%s: %u arrays (must be 1..%d)", cfg->name ? cfg->name : "TLB",
			  cfg->narrays, TLB_MAX_ARRAYS);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->narrays; i++)
		if (check_array(cfg->name, i, &cfg->array[i]))
			return NULL;

	t = calloc(1, sizeof *t);
	if (!t) {
		xlat_fail(-ENOMEM, "tlb: out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	t->narrays = cfg->narrays;
	for (unsigned i = 0; i < cfg->narrays; i++) {
		if (array_init(&t->a[i], &cfg->array[i], i)) {
			tlb_destroy(t);
			return NULL;
		}
		t->sizes |= cfg->array[i].sizes;
		for (unsigned sz = 0; sz < NSIZES; sz++)
			if (cfg->array[i].sizes & (1u << sz))
				t->probe[t->nprobes++] = (struct tlb_probe){
					.a = &t->a[i], .szi = (uint8_t)sz, .shift = size_shift[sz],
				};
	}
	t->clock = 1;
	t->rng = cfg->seed ? cfg->seed : 0x2545f4914f6cdd1dULL;
	return t;
}

void tlb_destroy(struct tlb *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < TLB_MAX_ARRAYS; i++) {
		free(t->a[i].e);
		free(t->a[i].head);
		free(t->a[i].plru);
		free(t->a[i].nvalid);
		free(t->a[i].stamp);
	}
	free(t);
}

/* ---- hash index --------------------------------------------------------- */

static void hash_link(struct tlb_array *a, struct tlb_entry *e)
{
	unsigned h = hash_key(e->key, a->hbits);
	e->next = a->head[h];
	a->head[h] = (int32_t)(e - a->e);
}

static void hash_unlink(struct tlb_array *a, struct tlb_entry *e)
{
	int32_t slot = (int32_t)(e - a->e);
	int32_t *p = &a->head[hash_key(e->key, a->hbits)];

	while (*p != slot) {
		if (*p < 0)
			XLAT_BUG("entry %d missing from its hash chain", slot);
		p = &a->e[*p].next;
	}
	*p = e->next;
	e->next = -1;
}

/* ---- entries ------------------------------------------------------------- */

/* Makes a valid entry invalid. */
static void entry_kill(struct tlb_array *a, struct tlb_entry *e)
{
	hash_unlink(a, e);
	a->live[e->szi]--;
	a->nvalid[e->set]--;
	e->key = KEY_INVALID;
	if (a->stamp)
		a->stamp[e - a->e] = 0;
}

/* The entry for key matching tag in a, or NULL. */
static inline struct tlb_entry *array_find(struct tlb_array *a, uint64_t key, uint32_t tag)
{
	for (int32_t i = a->head[hash_key(key, a->hbits)]; i >= 0; i = a->e[i].next) {
		struct tlb_entry *e = &a->e[i];
		if (e->key == key && tag_match(e, tag))
			return e;
	}
	return NULL;
}

/* Marks a valid entry most recently used. */
static inline void touch(struct tlb *t, struct tlb_array *a, struct tlb_entry *e)
{
	switch (a->cfg.repl) {
	case TLB_LRU:
		a->stamp[e - a->e] = ++t->clock;
		break;
	case TLB_PLRU:
		if (a->ways > 1)
			plru_touch(a, e->set, e->way);
		break;
	case TLB_RANDOM:
		break;
	}
}

static inline void hit(struct tlb *t, struct tlb_array *a, struct tlb_entry *e, struct tlb_xlat *x)
{
	touch(t, a, e);
	t->st.hits++;
	t->st.hits_by_size[e->szi]++;
	if (x) {
		x->pa = e->pa;
		x->shift = e->shift;
		x->global = e->global;
		x->dirty = e->dirty;
		x->perms = e->perms;
	}
}

/* ---- the hot path ------------------------------------------------------- */

/* Everything but the last-hit check: kept out of line so that the common
 * case pays no register saves. */
static __attribute__((noinline)) bool lookup_slow(struct tlb *t, uint32_t tag, xlat_va va, struct tlb_xlat *x)
{
	for (const struct tlb_probe *p = t->probe; p < t->probe + t->nprobes; p++) {
		struct tlb_array *a = p->a;
		if (!a->live[p->szi])
			continue;
		struct tlb_entry *e = array_find(a, (va >> p->shift) << 2 | p->szi, tag);
		if (e) {
			t->micro[micro_slot(va)] = e;
			hit(t, a, e, x);
			return true;
		}
	}
	t->st.misses++;
	return false;
}

bool tlb_lookup(struct tlb *t, uint32_t tag, xlat_va va, struct tlb_xlat *x)
{
	struct tlb_entry *e = t->micro[micro_slot(va)];

	t->st.lookups++;
	if (e && e->key == ((va >> e->shift) << 2 | e->szi) && tag_match(e, tag)) {
		hit(t, &t->a[e->arr], e, x);
		return true;
	}
	return lookup_slow(t, tag, va, x);
}

/* ---- fills -------------------------------------------------------------- */

static unsigned pick_victim(struct tlb *t, struct tlb_array *a, unsigned set)
{
	size_t base = (size_t)set * a->ways;
	struct tlb_entry *s = &a->e[base];
	unsigned w, best = 0;

	if (a->cfg.repl == TLB_LRU) {
		const uint64_t *st = &a->stamp[base];
		uint64_t min = st[0];
		for (w = 1; w < a->ways; w++)
			if (st[w] < min) {
				min = st[w];
				best = w;
			}
		return best;
	}
	if (a->nvalid[set] < a->ways) {
		for (w = 0; w < a->ways; w++)
			if (s[w].key == KEY_INVALID)
				return w;
		XLAT_BUG("set %u counts %u valid of %u ways but has no invalid way", set, a->nvalid[set], a->ways);
	}
	if (a->cfg.repl == TLB_PLRU)
		return a->ways > 1 ? plru_victim(a, set) : 0;
	return (unsigned)(xorshift64(&t->rng) % a->ways);
}

void tlb_insert(struct tlb *t, uint32_t tag, xlat_va va, const struct tlb_xlat *x)
{
	int szi = size_index(x->shift);
	struct tlb_array *a = NULL;
	uint32_t mask = x->global ? ~0xfffu : ~0u;

	if (szi < 0)
		XLAT_BUG("page shift %u is not 12, 21 or 30", x->shift);
	/* The array holding this size, or else the largest smaller size some
	 * array holds (splintering); nothing if the level holds only larger
	 * sizes. */
	for (; szi >= 0 && !a; szi--)
		for (unsigned i = 0; i < t->narrays && !a; i++)
			if (t->a[i].cfg.sizes & (1u << szi))
				a = &t->a[i];
	if (!a)
		return;
	szi++;

	uint64_t key = make_key(va, (unsigned)szi);
	uint64_t page_mask = (1ULL << size_shift[szi]) - 1;
	/* The new entry's base: x->pa is the base of x's page, which may be
	 * larger than the entry when splintering. */
	xlat_pa pa = x->pa + (va & ((1ULL << x->shift) - 1) & ~page_mask);

	/* Replace entries for the same page that the new one would shadow or
	 * that would shadow it (same tag, or global of the same VPID). */
	for (int32_t i = a->head[hash_key(key, a->hbits)]; i >= 0;) {
		struct tlb_entry *o = &a->e[i];
		i = o->next;
		if (o->key == key && ((o->tag ^ tag) & o->tagmask & mask) == 0)
			entry_kill(a, o);
	}

	unsigned set = set_of(a, key >> 2);
	struct tlb_entry *e = &a->e[(size_t)set * a->ways + pick_victim(t, a, set)];
	if (e->key != KEY_INVALID) {
		t->st.evictions++;
		entry_kill(a, e);
	}
	e->key = key;
	e->pa = pa;
	e->tag = tag;
	e->tagmask = mask;
	e->perms = x->perms;
	e->szi = (uint8_t)szi;
	e->shift = size_shift[szi];
	e->global = x->global ? 1 : 0;
	e->dirty = x->dirty ? 1 : 0;
	hash_link(a, e);
	a->live[szi]++;
	a->nvalid[set]++;
	touch(t, a, e);
	t->st.fills++;
	t->micro[micro_slot(va)] = e;
}

void tlb_set_dirty(struct tlb *t, uint32_t tag, xlat_va va)
{
	for (const struct tlb_probe *p = t->probe; p < t->probe + t->nprobes; p++) {
		struct tlb_array *a = p->a;
		if (!a->live[p->szi])
			continue;
		uint64_t key = make_key(va, p->szi);
		for (int32_t j = a->head[hash_key(key, a->hbits)]; j >= 0; j = a->e[j].next)
			if (a->e[j].key == key && tag_match(&a->e[j], tag))
				a->e[j].dirty = 1;
	}
}

/* ---- invalidation ------------------------------------------------------- */

void tlb_flush_all(struct tlb *t)
{
	for (unsigned i = 0; i < t->narrays; i++)
		array_clear(&t->a[i]);
	t->st.flushes++;
}

/* Invalidates every entry for which drop(e) holds. */
static void flush_if(struct tlb *t, bool (*drop)(const struct tlb_entry *, uint32_t, bool),
		     uint32_t tag, bool keep_global)
{
	for (unsigned i = 0; i < t->narrays; i++) {
		struct tlb_array *a = &t->a[i];
		size_t n = (size_t)a->sets * a->ways;
		for (size_t j = 0; j < n; j++) {
			struct tlb_entry *e = &a->e[j];
			if (e->key != KEY_INVALID && drop(e, tag, keep_global))
				entry_kill(a, e);
		}
	}
	t->st.flushes++;
}

static bool drop_tag(const struct tlb_entry *e, uint32_t tag, bool keep_global)
{
	return tag_match(e, tag) && !(keep_global && e->global);
}

static bool drop_vpid(const struct tlb_entry *e, uint32_t vpid, bool unused)
{
	return e->tag >> 12 == vpid;
}

void tlb_flush_tag(struct tlb *t, uint32_t tag, bool keep_global)
{
	flush_if(t, drop_tag, tag, keep_global);
}

void tlb_flush_vpid(struct tlb *t, uint32_t vpid)
{
	flush_if(t, drop_vpid, vpid, false);
}

void tlb_invlpg(struct tlb *t, uint32_t tag, xlat_va va)
{
	for (const struct tlb_probe *p = t->probe; p < t->probe + t->nprobes; p++) {
		struct tlb_array *a = p->a;
		if (!a->live[p->szi])
			continue;
		uint64_t key = make_key(va, p->szi);
		for (int32_t j = a->head[hash_key(key, a->hbits)]; j >= 0;) {
			struct tlb_entry *e = &a->e[j];
			j = e->next;
			if (e->key == key && tag_match(e, tag))
				entry_kill(a, e);
		}
	}
	t->st.invlpgs++;
}

/* ---- introspection ------------------------------------------------------ */

const struct tlb_stats *tlb_get_stats(const struct tlb *t)
{
	return &t->st;
}

void tlb_reset_stats(struct tlb *t)
{
	memset(&t->st, 0, sizeof t->st);
}

const struct tlb_config *tlb_get_config(const struct tlb *t)
{
	return &t->cfg;
}

unsigned tlb_entries(const struct tlb *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->narrays; i++)
		n += t->a[i].cfg.entries;
	return n;
}

unsigned tlb_live(const struct tlb *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->narrays; i++)
		for (unsigned s = 0; s < NSIZES; s++)
			n += t->a[i].live[s];
	return n;
}

/* ---- the --tlb syntax ---------------------------------------------------- */

/* Reads a decimal unsigned in [1, TLB_MAX_ENTRIES] at *p, advancing it. */
static int read_uint(const char **p, unsigned *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > TLB_MAX_ENTRIES)
			return -ERANGE;
	}
	*p = s;
	*out = (unsigned)v;
	return 0;
}

int tlb_parse_level(const char *spec, struct tlb_config *cfg)
{
	const char *p = spec;
	struct tlb_array_config c = { .ways = 0, .repl = TLB_LRU, .sizes = TLB_ALL_SIZES };
	int rc;

	if (!spec || !*spec)
		return xlat_fail(-EINVAL, "empty TLB level: expected ENTRIES[xWAYS][:lru|plru|random], e.g. 1536x12:lru");
	rc = read_uint(&p, &c.entries);
	if (rc == -ERANGE)
		return xlat_fail(-EINVAL, "TLB level '%s': entries above %u", spec, TLB_MAX_ENTRIES);
	if (rc)
		return xlat_fail(-EINVAL, "TLB level '%s': must start with the number of entries (ENTRIES[xWAYS][:lru|plru|random])",
				 spec);
	if (*p == 'x' || *p == 'X') {
		p++;
		rc = read_uint(&p, &c.ways);
		if (rc == -ERANGE)
			return xlat_fail(-EINVAL, "TLB level '%s': ways above %u", spec, TLB_MAX_ENTRIES);
		if (rc)
			return xlat_fail(-EINVAL, "TLB level '%s': expected the number of ways after 'x'", spec);
		if (c.ways == 0)
			return xlat_fail(-EINVAL, "TLB level '%s': ways must be > 0 (omit xWAYS for fully associative)",
					 spec);
	}
	if (*p == ':') {
		const char *r = p + 1;
		if (!strcmp(r, "lru"))
			c.repl = TLB_LRU;
		else if (!strcmp(r, "plru"))
			c.repl = TLB_PLRU;
		else if (!strcmp(r, "random"))
			c.repl = TLB_RANDOM;
		else
			return xlat_fail(-EINVAL, "TLB level '%s': unknown replacement '%s' (lru, plru or random)",
					 spec, r);
		p += strlen(p);
	}
	if (*p)
		return xlat_fail(-EINVAL, "TLB level '%s': unexpected '%s' (expected ENTRIES[xWAYS][:lru|plru|random])",
				 spec, p);
	rc = check_array("TLB level", 0, &c);
	if (rc) {
		char why[200];
		/* Reword with the user's spelling of the level. */
		snprintf(why, sizeof why, "%s", xlat_error());
		return xlat_fail(rc, "TLB level '%s': %s", spec, strstr(why, ": ") ? strstr(why, ": ") + 2 : why);
	}
	memset(cfg, 0, sizeof *cfg);
	cfg->name = "TLB";
	cfg->narrays = 1;
	cfg->array[0] = c;
	cfg->seed = 1;
	return 0;
}

const char *tlb_repl_name(enum tlb_repl r)
{
	return repl_name(r);
}
