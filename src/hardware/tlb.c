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
 * the model scans them. The keys live in an array of their own, so the keys
 * of a set are W contiguous words (one or two cache lines for the usual
 * 4-16 ways) and the rest of an entry (tag, frame, permissions) is read
 * only when its key matches. A lookup probes only the page sizes the level
 * holds entries of (live_probes). A fully associative array of more than
 * TLB_INDEX_WAYS ways (a nested TLB, a 64- or 72-entry L1) finds its slots
 * through a hash index over the keys instead (tlb_chain): a miss-heavy
 * stream misses it on every access, and a scan of every way would be most
 * of the miss. (A hash index for every array was measured slower: it
 * touches more host cache lines than a scan of one set; docs/speed.md.)
 * The state and the hot path are in hardware/tlb_impl.h, inline for the
 * mmu and the walker.
 *
 * Set index. vpn mod S, exactly, as the contract says (with `hash`, of a
 * 52-bit multiplicative hash of vpn). S is usually a power of two (a
 * mask); otherwise a multiply and a shift replace the 64-bit division (see
 * set_magic).
 *
 * Replacement. A fill first kills the entries for the same page that the
 * new one would shadow or that would shadow it, then takes an invalid way
 * if any, else the policy's victim:
 *  - LRU, exact: the ways of a set form a list from most to least recently
 *    used, linked through two 16-bit way numbers per slot, with invalid
 *    ways kept at the LRU end. A fill takes the tail (an invalid way if the
 *    set has one, else the least recently used); a hit moves its way to the
 *    front, nothing to do when it is there already, as it is for repeated
 *    hits. Every operation is O(1), so a 72-way fully associative L1 costs
 *    a fill no more than a 4-way one. Which invalid way a fill takes cannot
 *    be observed under LRU (victims depend on recency only).
 *  - PLRU: a binary tree over the W ways of a set (halves split at W / 2,
 *    so W need not be a power of two: 12 ways is a 4 + ... tree of 11
 *    nodes); the victim is the way the bits point to.
 *  - RANDOM: xorshift64 % W, seeded from the config so runs are
 *    reproducible.
 * PLRU and RANDOM take the lowest invalid way: there the position of an
 * entry decides its fate.
 *
 * The fill after a miss. The mmu fills a level right after that level
 * missed the same page under the same tag (and walked in between, which
 * only ever removes entries). The miss already proved that no entry of the
 * page matches the tag, so a non-global fill has nothing to kill: the level
 * remembers its last miss, and any fill forgets it.
 *
 * Several entries of one level may cover one va only if software changed a
 * page's size without invalidating it (SDM 4.10.2.3 leaves the choice to
 * the hardware): lookup then returns the first in probe order (arrays in
 * order, smaller sizes first). At most one entry per page and size matches
 * a tag: a fill kills the others.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hardware/tlb_impl.h"
#include "xlat/parse.h"

/* Bits of a vpn: va is 64 bits and pages are at least 4 KiB. */
#define VPN_BITS 52

static const uint8_t size_shift[TLB_NSIZES] = { 12, 21, 30 };

static bool is_pow2(unsigned x)
{
	return x && !(x & (x - 1));
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
 * low enough (sets <= 2^24) that set_of's multiplier fits 64 bits. */
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

	memset(a->key, 0xff, sizeof(*a->key) * n);      /* TLB_KEY_INVALID */
	if (a->link)
		for (unsigned set = 0; set < a->sets; set++) {
			struct tlb_lru_link *l = a->link + (size_t)set * a->ways;
			for (unsigned w = 0; w < a->ways; w++)
				l[w] = (struct tlb_lru_link){
					.newer = w ? (uint16_t)(w - 1) : TLB_NO_WAY,
					.older = w + 1 < a->ways ? (uint16_t)(w + 1) : TLB_NO_WAY,
				};
			a->ends[set] = (struct tlb_lru_ends){ 0, (uint16_t)(a->ways - 1) };
		}
	if (a->plru)
		memset(a->plru, 0, (size_t)a->sets * a->pnodes);
	memset(a->live, 0, sizeof a->live);
	if (a->live_probes)
		for (unsigned sz = 0; sz < TLB_NSIZES; sz++)
			*a->live_probes &= ~a->probe_bit[sz];
	if (a->bucket)
		memset(a->bucket, 0xff, sizeof(*a->bucket) << (64 - a->bshift));   /* TLB_NO_SLOT */
}

static int array_init(struct tlb_array *a, const struct tlb_array_config *c)
{
	size_t n = c->entries;

	a->cfg = *c;
	a->ways = c->ways ? c->ways : c->entries;
	a->sets = c->entries / a->ways;
	a->sets_pow2 = is_pow2(a->sets);
	if (a->sets_pow2) {
		a->set_mask = a->sets - 1;
	} else {
		unsigned l = 0;
		while ((1u << l) < a->sets)
			l++;
		unsigned __int128 p = (unsigned __int128)1 << (VPN_BITS + l);
		a->set_magic = (uint64_t)((p + a->sets - 1) / a->sets);
		a->set_shift = VPN_BITS + l;
	}
	a->key = malloc(n * sizeof *a->key);
	a->e = calloc(n, sizeof *a->e);
	if (c->repl == TLB_LRU) {
		a->link = malloc(n * sizeof *a->link);
		a->ends = malloc(a->sets * sizeof *a->ends);
	}
	if (c->repl == TLB_PLRU && a->ways > 1) {
		/* Heap-numbered nodes of an unbalanced tree reach index
		 * 2^depth - 2 with depth = ceil(log2(ways)). */
		a->pnodes = 1;
		while (a->pnodes + 1 < a->ways)
			a->pnodes = 2 * a->pnodes + 1;
		a->plru = calloc((size_t)a->sets * a->pnodes, 1);
	}
	if (a->sets == 1 && a->ways > TLB_INDEX_WAYS) {
		/* Two buckets per way or more. */
		unsigned bits = 1;
		while ((1u << bits) < 2 * a->ways)
			bits++;
		a->bshift = 64 - bits;
		a->bucket = malloc(sizeof *a->bucket << bits);
		a->next = malloc(n * sizeof *a->next);
	}
	if (!a->key || !a->e || (c->repl == TLB_LRU && (!a->link || !a->ends)) ||
	    (c->repl == TLB_PLRU && a->ways > 1 && !a->plru) || (a->bshift && (!a->bucket || !a->next)))
		return xlat_fail(-ENOMEM, "tlb: out of memory for %zu entries", n);
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
		if (array_init(&t->a[i], &cfg->array[i])) {
			tlb_destroy(t);
			return NULL;
		}
		t->a[i].live_probes = &t->live_probes;
		for (unsigned sz = 0; sz < TLB_NSIZES; sz++)
			if (cfg->array[i].sizes & (1u << sz)) {
				t->a[i].probe_bit[sz] = 1u << t->nprobes;
				t->probe[t->nprobes++] = (struct tlb_probe){
					.a = &t->a[i], .szi = (uint8_t)sz, .shift = size_shift[sz],
				};
			}
	}
	/* A size goes to the first array holding it; a size none holds, to
	 * the first array holding the largest smaller size. Lookups probe
	 * every array, but only the chosen ones ever have live entries. */
	for (unsigned sz = 0; sz < TLB_NSIZES; sz++)
		for (int s = (int)sz; s >= 0 && !t->fill[sz].a; s--)
			for (unsigned i = 0; i < t->narrays && !t->fill[sz].a; i++)
				if (t->a[i].cfg.sizes & (1u << s))
					t->fill[sz] = (struct tlb_fill){
						.a = &t->a[i], .szi = (uint8_t)s, .shift = size_shift[s],
					};
	t->rng = cfg->seed ? cfg->seed : 0x2545f4914f6cdd1dULL;
	return t;
}

void tlb_destroy(struct tlb *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < TLB_MAX_ARRAYS; i++) {
		free(t->a[i].key);
		free(t->a[i].e);
		free(t->a[i].plru);
		free(t->a[i].link);
		free(t->a[i].ends);
		free(t->a[i].bucket);
		free(t->a[i].next);
	}
	free(t);
}

/* ---- lookup and fill: hardware/tlb_impl.h ------------------------------- */

bool tlb_lookup(struct tlb *t, uint32_t tag, xlat_va va, struct tlb_xlat *x)
{
	return tlb_lookup_inline(t, tag, va, x);
}

void tlb_insert(struct tlb *t, uint32_t tag, xlat_va va, const struct tlb_xlat *x)
{
	tlb_insert_inline(t, tag, va, x);
}

void tlb_set_dirty(struct tlb *t, uint32_t tag, xlat_va va)
{
	for (const struct tlb_probe *p = t->probe; p < t->probe + t->nprobes; p++) {
		struct tlb_array *a = p->a;
		uint64_t key;
		unsigned set;
		if (!tlb_probe_set(p, va, &key, &set))
			continue;
		for (size_t j = (size_t)set * a->ways; j < ((size_t)set + 1) * a->ways; j++)
			if (a->key[j] == key && tlb_tag_match(&a->e[j], tag))
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
		for (unsigned set = 0; set < a->sets; set++)
			for (unsigned w = 0; w < a->ways; w++) {
				size_t j = (size_t)set * a->ways + w;
				if (a->key[j] != TLB_KEY_INVALID && drop(&a->e[j], tag, keep_global))
					tlb_entry_kill(a, set, w);
			}
	}
	t->st.flushes++;
}

static bool drop_tag(const struct tlb_entry *e, uint32_t tag, bool keep_global)
{
	return tlb_tag_match(e, tag) && !(keep_global && e->global);
}

static bool drop_vpid(const struct tlb_entry *e, uint32_t vpid, bool unused)
{
	return tlb_tag_vpid(e->tag) == vpid;
}

void tlb_flush_tag(struct tlb *t, uint32_t tag, bool keep_global)
{
	flush_if(t, drop_tag, tag, keep_global);
}

void tlb_flush_vpid(struct tlb *t, uint32_t vpid)
{
	flush_if(t, drop_vpid, vpid, false);
}

void tlb_flush_marked(struct tlb *t, uint32_t mask, uint32_t value)
{
	for (unsigned i = 0; i < t->narrays; i++) {
		struct tlb_array *a = &t->a[i];
		for (unsigned set = 0; set < a->sets; set++)
			for (unsigned w = 0; w < a->ways; w++) {
				size_t j = (size_t)set * a->ways + w;
				if (a->key[j] != TLB_KEY_INVALID && (a->e[j].tag & mask) == value)
					tlb_entry_kill(a, set, w);
			}
	}
	t->st.flushes++;
}

void tlb_invlpg(struct tlb *t, uint32_t tag, xlat_va va)
{
	for (const struct tlb_probe *p = t->probe; p < t->probe + t->nprobes; p++) {
		struct tlb_array *a = p->a;
		uint64_t key;
		unsigned set;
		if (!tlb_probe_set(p, va, &key, &set))
			continue;
		for (unsigned w = 0; w < a->ways; w++) {
			size_t j = (size_t)set * a->ways + w;
			if (a->key[j] == key && tlb_tag_match(&a->e[j], tag))
				tlb_entry_kill(a, set, w);
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
		for (unsigned s = 0; s < TLB_NSIZES; s++)
			n += t->a[i].live[s];
	return n;
}

/* ---- the --tlb syntax ---------------------------------------------------- */

/* Reads a decimal unsigned in [0, TLB_MAX_ENTRIES] at *p, advancing it. */
static int read_uint(const char **p, unsigned *out)
{
	uint64_t v;
	int rc = xlat_parse_digits(p, TLB_MAX_ENTRIES, &v);

	if (rc == 0)
		*out = (unsigned)v;
	return rc;
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
