/*
 * xlat/cpu.h: every preset loads, is sane and cited; names and aliases;
 * every parameter can be listed, read back and overridden; bad keys and
 * values are refused with a message naming them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlat/cpu.h"
#include "xlat/mmu.h"
#include "xlat/phys.h"

static const char *const required[] = { "skylake", "icelake", "sapphirerapids", "zen2", "zen3", "zen4", "zen5" };

static void presets_load_and_are_sane(void **state)
{
	(void)state;
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);

	assert_true(n >= 8);
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		assert_non_null(cpu_preset_by_name(required[i]));
	for (size_t i = 0; i < n; i++) {
		const struct cpu_preset *p = &all[i];
		if (cpu_check(p))
			print_error("%s: %s\n", p->name, xlat_error());
		assert_int_equal(cpu_check(p), 0);
		assert_ptr_equal(cpu_preset_by_name(p->name), p);
		assert_true(!strcmp(p->vendor, "Intel") || !strcmp(p->vendor, "AMD"));
		assert_true(p->ghz > 1.0 && p->ghz < 7.0);
		assert_non_null(p->model);
		assert_non_null(p->source);

		/* Geometry: every array divides into whole sets; L1 small, L2 big. */
		const struct cpu_tlb_side *sides[2] = { &p->data, &p->inst };
		for (int s = 0; s < 2; s++) {
			assert_true(sides[s]->nlevels >= 1 && sides[s]->nlevels <= CPU_TLB_LEVELS);
			assert_int_equal(sides[s]->hit_cycles[0], 0);
			unsigned sizes = 0;
			for (unsigned l = 0; l < sides[s]->nlevels; l++) {
				const struct tlb_config *c = &sides[s]->level[l];
				assert_true(c->narrays >= 1 && c->narrays <= TLB_MAX_ARRAYS);
				for (unsigned a = 0; a < c->narrays; a++) {
					unsigned e = c->array[a].entries, w = c->array[a].ways ? c->array[a].ways : e;
					assert_true(e > 0);
					assert_int_equal(e % w, 0);
					if (l == 0)
						sizes |= c->array[a].sizes;
				}
				if (l > 0) {
					assert_true(sides[s]->hit_cycles[l] >= 5 && sides[s]->hit_cycles[l] <= 12);
					assert_true(c->array[0].entries >= 512);
				}
			}
			/* The L1 holds 4K and 2M translations natively. */
			assert_true(sizes & TLB_4K);
			assert_true(sizes & TLB_2M);
		}
		assert_int_equal(p->data.level[1].array[0].entries >= 1536, 1);
		/* Intel shares the STLB with fetches; AMD has an L2 ITLB. */
		assert_int_equal(p->stlb_shared, !strcmp(p->vendor, "Intel"));
		assert_int_equal(p->inst.nlevels, p->stlb_shared ? 1 : 2);
		assert_int_equal(p->pwc.style, p->stlb_shared ? PWC_SPLIT : PWC_AMD);
		/* Costs: a 2 MiB fault zeroes 512 times a 4 KiB page's bytes
		 * (~150 us), a 1 GiB one 512 times that again; a guest's fault
		 * and the host's backing cost the same per size; the accesses'
		 * lines compete in the cache model. */
		assert_true(p->fault[0][1] > 100 * p->fault[0][0]);
		assert_true(p->fault[0][2] > 500 * (uint64_t)p->fault[0][1] && p->fault[0][2] < 520 * (uint64_t)p->fault[0][1]);
		for (int m = 1; m < 3; m++)
			assert_memory_equal(p->fault[m], p->fault[0], sizeof p->fault[0]);
		assert_memory_equal(p->host_fault, p->fault[0], sizeof p->host_fault);
		assert_int_equal(p->walk_ref_cycles, 1);
		assert_true(p->cache_data);

		/* Caches: bigger and slower going down, memory slowest. */
		for (int l = 0; l < PCACHE_LEVELS; l++) {
			const struct pcache_level_config *c = &p->cache.level[l];
			assert_true(c->bytes > 0);
			assert_int_equal(c->bytes % ((uint64_t)c->ways * p->cache.line_bytes), 0);
			if (l > 0) {
				assert_true(c->bytes > p->cache.level[l - 1].bytes);
				assert_true(c->latency > p->cache.level[l - 1].latency);
			}
		}
		assert_int_equal(p->cache.line_bytes, 64);
		assert_true(p->cache.level[0].latency >= 4 && p->cache.level[0].latency <= 5);
		assert_true(p->cache.mem_latency > p->cache.level[2].latency);
		assert_true(p->fault[0][0] >= 1000);
		assert_true(p->exit_cycles >= 500 && p->exit_cycles <= 5000);
		assert_true(p->ntlb.array[0].entries > 0);
		/* Every group is cited, and unpublished numbers say so. */
		const char *srcs[] = { p->src_clock, p->src_tlb, p->src_tlb_latency, p->src_pwc, p->src_ntlb,
				       p->src_cache, p->src_mem, p->src_walk, p->src_fault, p->src_exit, p->src_base };
		for (size_t k = 0; k < sizeof srcs / sizeof srcs[0]; k++) {
			assert_non_null(srcs[k]);
			assert_true(strlen(srcs[k]) > 10);
		}
		assert_non_null(strstr(p->src_ntlb, "estimate"));
		assert_non_null(strstr(p->src_ntlb, "not published"));
		assert_non_null(strstr(p->src_pwc, "estimate"));
		assert_non_null(strstr(p->src_fault, "estimate"));
	}
}

static void names_and_aliases(void **state)
{
	(void)state;
	static const struct { const char *alias, *name; } al[] = {
		{ "SKYLAKE", "skylake" }, { "skl", "skylake" }, { "skx", "skylake-sp" },
		{ "SKX", "skylake-sp" }, { "icl", "icelake" }, { "Ice-Lake", "icelake" },
		{ "spr", "sapphirerapids" }, { "zen4", "zen4" }, { "Zen-4", "zen4" },
		{ "genoa", "zen4" }, { "milan", "zen3" }, { "rome", "zen2" }, { "ZEN2", "zen2" },
		{ "zen5", "zen5" }, { "Turin", "zen5" }, { "granite-ridge", "zen5" }, { "r9-9950x", "zen5" },
		{ "epyc-9005", "zen5" },
	};
	for (size_t i = 0; i < sizeof al / sizeof al[0]; i++) {
		const struct cpu_preset *p = cpu_preset_by_name(al[i].alias);
		if (!p)
			print_error("alias %s: %s\n", al[i].alias, xlat_error());
		assert_non_null(p);
		assert_string_equal(p->name, al[i].name);
	}
	assert_null(cpu_preset_by_name("pentium"));
	assert_non_null(strstr(xlat_error(), "unknown CPU preset 'pentium'"));
	assert_non_null(strstr(xlat_error(), "zen4"));
	assert_null(cpu_preset_by_name(""));
	assert_null(cpu_preset_by_name(NULL));
	assert_null(cpu_preset_by_name("sky"));       /* no prefixes */
	assert_null(cpu_preset_by_name("skl,"));
	assert_string_equal(cpu_preset_default()->name, CPU_DEFAULT_PRESET);

	/* No alias names two presets. */
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);
	for (size_t i = 0; i < n; i++) {
		char buf[256];
		snprintf(buf, sizeof buf, "%s", all[i].aliases);
		for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
			assert_ptr_equal(cpu_preset_by_name(t), &all[i]);
	}
}

/* ---- the listing ------------------------------------------------------------ */

struct kv {
	char key[64], value[64], source[400];
};

struct listing {
	struct kv kv[256];
	size_t n;
	size_t stop_at;
};

static int collect(void *ctx, const char *key, const char *value, const char *source)
{
	struct listing *l = ctx;
	assert_true(l->n < 256);
	snprintf(l->kv[l->n].key, sizeof l->kv[0].key, "%s", key);
	snprintf(l->kv[l->n].value, sizeof l->kv[0].value, "%s", value);
	snprintf(l->kv[l->n].source, sizeof l->kv[0].source, "%s", source);
	l->n++;
	return l->stop_at && l->n == l->stop_at ? 42 : 0;
}

static const struct kv *find(const struct listing *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->kv[i].key, key))
			return &l->kv[i];
	return NULL;
}

static void list_of(const struct cpu_preset *p, struct listing *l)
{
	memset(l, 0, sizeof *l);
	assert_int_equal(cpu_foreach_param(p, collect, l), 0);
}

static void listing_round_trips(void **state)
{
	(void)state;
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);
	static struct listing l, l2;

	for (size_t i = 0; i < n; i++) {
		list_of(&all[i], &l);
		assert_true(l.n > 30);
		assert_string_equal(l.kv[0].key, "preset");
		assert_string_equal(l.kv[0].value, all[i].name);
		for (size_t k = 0; k < l.n; k++) {
			assert_true(strlen(l.kv[k].source) > 0);
			assert_true(strcmp(l.kv[k].source, "override") != 0);
			for (size_t j = 0; j < k; j++)
				assert_true(strcmp(l.kv[j].key, l.kv[k].key) != 0);
		}
		/* Every listed parameter reads back, and setting it to its own
		 * value succeeds and changes nothing but the source. */
		struct cpu_preset copy = all[i];
		for (size_t k = 3; k < l.n; k++) {
			char buf[64];
			if (cpu_get(&all[i], l.kv[k].key, buf, sizeof buf))
				print_error("%s: get %s: %s\n", all[i].name, l.kv[k].key, xlat_error());
			assert_int_equal(cpu_get(&all[i], l.kv[k].key, buf, sizeof buf), 0);
			assert_string_equal(buf, l.kv[k].value);
			int rc = cpu_override(&copy, l.kv[k].key, l.kv[k].value);
			if (rc)
				print_error("%s: set %s=%s: %s\n", all[i].name, l.kv[k].key, l.kv[k].value, xlat_error());
			assert_int_equal(rc, 0);
		}
		assert_int_equal(cpu_check(&copy), 0);
		list_of(&copy, &l2);
		assert_int_equal(l2.n, l.n);
		for (size_t k = 0; k < l.n; k++) {
			assert_string_equal(l2.kv[k].key, l.kv[k].key);
			assert_string_equal(l2.kv[k].value, l.kv[k].value);
			if (k >= 3)
				assert_string_equal(l2.kv[k].source, "override");
		}
	}

	/* Stop early. */
	memset(&l, 0, sizeof l);
	l.stop_at = 5;
	assert_int_equal(cpu_foreach_param(cpu_preset_default(), collect, &l), 42);
	assert_int_equal(l.n, 5);
}

static void listing_names(void **state)
{
	(void)state;
	static struct listing l;

	list_of(cpu_preset_by_name("skylake"), &l);
	static const char *const sky[] = {
		"ghz", "l1d.4k.entries", "l1d.2m.ways", "l1d.1g.entries", "l1d.latency", "stlb.4k.entries",
		"stlb.4k.sizes", "stlb.1g.entries", "stlb.latency", "l1i.4k.entries", "l1i.2m.entries",
		"l1i.latency", "stlb.shared", "pwc.style", "pwc.pde", "pwc.pdpte", "pwc.pml4e", "pwc.pml5e",
		"ntlb.entries", "ntlb.ways", "cache.l1d.size", "cache.l2.latency", "cache.llc.ways",
		"cache.line", "mem_latency", "walk_cycles", "walk_ref_cycles", "fault.4k", "fault.2m", "fault.1g",
		"fault.nested.4k", "fault.shadow.1g", "host_fault.2m", "exit_cycles", "base_cycles_per_access",
	};
	for (size_t i = 0; i < sizeof sky / sizeof sky[0]; i++) {
		if (!find(&l, sky[i]))
			print_error("skylake: no %s in the listing\n", sky[i]);
		assert_non_null(find(&l, sky[i]));
	}
	assert_null(find(&l, "l2i.entries"));
	assert_null(find(&l, "pwc.entries"));
	assert_string_equal(find(&l, "stlb.4k.entries")->value, "1536");
	assert_string_equal(find(&l, "stlb.4k.ways")->value, "12");
	assert_string_equal(find(&l, "stlb.4k.sizes")->value, "4k+2m");
	assert_string_equal(find(&l, "cache.llc.size")->value, "8MiB");
	assert_string_equal(find(&l, "l1d.4k.repl")->value, "lru");
	assert_string_equal(find(&l, "pwc.style")->value, "split");
	assert_string_equal(find(&l, "stlb.shared")->value, "1");
	assert_non_null(strstr(find(&l, "stlb.4k.entries")->source, "table 2-15"));

	list_of(cpu_preset_by_name("zen4"), &l);
	assert_string_equal(find(&l, "l1d.entries")->value, "72");
	assert_string_equal(find(&l, "l1d.sizes")->value, "4k+2m+1g");
	assert_string_equal(find(&l, "l1d.ways")->value, "0");
	assert_string_equal(find(&l, "stlb.entries")->value, "3072");
	assert_string_equal(find(&l, "l2i.entries")->value, "512");
	assert_string_equal(find(&l, "pwc.entries")->value, "64");
	assert_null(find(&l, "pwc.pde"));
	assert_string_equal(find(&l, "stlb.shared")->value, "0");
}

/* ---- the numbers the fact-check corrected ------------------------------------ */

static void get_of(const char *preset, const char *key, const char *want)
{
	char buf[64];
	const struct cpu_preset *p = cpu_preset_by_name(preset);

	assert_non_null(p);
	if (cpu_get(p, key, buf, sizeof buf))
		print_error("%s: get %s: %s\n", preset, key, xlat_error());
	assert_int_equal(cpu_get(p, key, buf, sizeof buf), 0);
	if (strcmp(buf, want))
		print_error("%s: %s is %s, want %s\n", preset, key, buf, want);
	assert_string_equal(buf, want);
}

/* Golden Cove and Sunny Cove: CPUID leaf 18H lists the STLB as two
 * 1024x8 halves (4K+2M, 4K+1G), so 2M pages get 1024 entries, not 2048;
 * the STLB hit costs 7 cycles (Chips and Cheese), and so does the lookup a
 * walk pays first. */
static void intel_corrections(void **state)
{
	(void)state;
	static const char *const intel[] = { "sapphirerapids", "icelake" };

	for (size_t i = 0; i < 2; i++) {
		get_of(intel[i], "stlb.4k.entries", "2048");
		get_of(intel[i], "stlb.4k.ways", "16");
		get_of(intel[i], "stlb.4k.sizes", "4k");
		get_of(intel[i], "stlb.2m.entries", "1024");
		get_of(intel[i], "stlb.2m.ways", "8");
		get_of(intel[i], "stlb.2m.sizes", "2m");
		get_of(intel[i], "stlb.1g.entries", "1024");
		get_of(intel[i], "stlb.1g.ways", "8");
		get_of(intel[i], "stlb.latency", "7");
		get_of(intel[i], "walk_cycles", "7");
		const struct cpu_preset *p = cpu_preset_by_name(intel[i]);
		assert_non_null(strstr(p->src_tlb, "[CPUID18]"));
		assert_non_null(strstr(p->src_tlb_latency, "[C&C-"));
	}
	get_of("sapphirerapids", "l1d.4k.entries", "96");
	get_of("sapphirerapids", "l1i.4k.entries", "256");
	get_of("sapphirerapids", "l1i.2m.entries", "32");
	get_of("sapphirerapids", "mem_latency", "320");
	get_of("icelake", "l1d.4k.entries", "64");
	get_of("icelake", "l1i.4k.entries", "128");
	get_of("icelake", "l1i.4k.ways", "8");
	get_of("icelake", "l1i.2m.entries", "16");
	get_of("icelake", "l1i.2m.ways", "0");
	/* The ITLB figures are not re-read in Intel's table: say so. */
	assert_non_null(strstr(cpu_preset_by_name("icelake")->src_tlb, "estimate"));
	/* Skylake's 9 cycles are measured now. */
	get_of("skylake", "stlb.latency", "9");
	assert_null(strstr(cpu_preset_by_name("skylake")->src_tlb_latency, "estimate"));

	/* The model takes the split: 4K pages fill 2048 entries, 2M pages 1024
	 * beside them (the simplification: they do not compete). */
	struct tlb *t = tlb_create(&cpu_preset_by_name("sapphirerapids")->data.level[1]);
	assert_non_null(t);
	assert_int_equal(tlb_entries(t), 2048 + 1024 + 1024);
	for (uint64_t i = 0; i < 4096; i++) {
		struct tlb_xlat x = { .pa = i << 12, .shift = 12, .perms = XLAT_R };
		tlb_insert(t, 0, i << 12, &x);
	}
	assert_int_equal(tlb_live(t), 2048);
	for (uint64_t i = 0; i < 2048; i++) {
		struct tlb_xlat x = { .pa = i << 21, .shift = 21, .perms = XLAT_R };
		tlb_insert(t, 0, (1ULL << 40) + (i << 21), &x);
	}
	assert_int_equal(tlb_live(t), 2048 + 1024);
	tlb_destroy(t);
}

/* AMD documents its page directory cache (64 entries, PML4E+PDPE; PDEs in
 * the L2 DTLB): the presets model it (pwc.style=amd), and their note says
 * so. The other AMD corrections. */
static void amd_corrections(void **state)
{
	(void)state;
	static const char *const amd[] = { "zen2", "zen3", "zen4", "zen5" };

	for (size_t i = 0; i < 4; i++) {
		const struct cpu_preset *p = cpu_preset_by_name(amd[i]);
		assert_non_null(p);
		get_of(amd[i], "pwc.style", "amd");
		get_of(amd[i], "pwc.entries", "64");
		get_of(amd[i], "stlb.latency", "7");
		assert_non_null(strstr(p->src_pwc, "64-entry page directory cache"));
		assert_non_null(strstr(p->src_pwc, "PML4Es and PDPEs"));
		assert_non_null(strstr(p->src_pwc, "in the L2 DTLB"));
		assert_null(strstr(p->src_pwc, "without sizes"));
	}
	get_of("zen2", "mem_latency", "330");
	get_of("zen3", "cache.llc.latency", "47");
	get_of("zen4", "mem_latency", "420");
	get_of("zen4", "stlb.entries", "3072");
}

static void zen5_preset(void **state)
{
	(void)state;
	const struct cpu_preset *p = cpu_preset_by_name("zen5");
	static const struct { const char *key, *value; } want[] = {
		{ "ghz", "5.7" },
		{ "l1d.entries", "96" }, { "l1d.ways", "0" }, { "l1d.sizes", "4k+2m+1g" },
		{ "stlb.entries", "4096" }, { "stlb.ways", "16" }, { "stlb.sizes", "4k+2m" },
		{ "stlb.latency", "7" },
		{ "l1i.entries", "64" }, { "l1i.ways", "0" },
		{ "l2i.entries", "2048" }, { "l2i.ways", "8" }, { "l2i.sizes", "4k+2m" },
		{ "stlb.shared", "0" }, { "pwc.style", "amd" }, { "pwc.entries", "64" },
		{ "cache.l1d.size", "48KiB" }, { "cache.l1d.ways", "12" }, { "cache.l1d.latency", "4" },
		{ "cache.l2.size", "1MiB" }, { "cache.l2.ways", "16" }, { "cache.l2.latency", "14" },
		{ "cache.llc.size", "32MiB" }, { "cache.llc.ways", "16" }, { "cache.llc.latency", "50" },
		{ "mem_latency", "400" }, { "walk_cycles", "7" }, { "fault_cycles", "5700" },
		{ "exit_cycles", "1350" },
	};

	assert_non_null(p);
	assert_string_equal(p->vendor, "AMD");
	assert_non_null(strstr(p->model, "9950X"));
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		get_of("zen5", want[i].key, want[i].value);
	/* Sourced where a source exists; the guesses say so. */
	assert_non_null(strstr(p->src_tlb, "[SOG1A]"));
	assert_non_null(strstr(p->src_tlb, "1G"));
	assert_non_null(strstr(p->src_tlb, "estimate"));
	assert_non_null(strstr(p->src_tlb_latency, "[C&C-Z5M]"));
	assert_non_null(strstr(p->src_cache, "L3 ~50 cycles: estimate"));
	assert_non_null(strstr(p->src_mem, "[C&C-Z5D]"));
	assert_non_null(strstr(p->src_pwc, "estimate"));
	assert_non_null(strstr(p->src_clock, "9950X"));

	/* Zen 5 grows every TLB over Zen 4 (+33% data, 4x L2 ITLB). */
	const struct cpu_preset *z4 = cpu_preset_by_name("zen4");
	assert_int_equal(p->data.level[0].array[0].entries * 3, z4->data.level[0].array[0].entries * 4);
	assert_int_equal(p->data.level[1].array[0].entries * 3, z4->data.level[1].array[0].entries * 4);
	assert_int_equal(p->inst.level[1].array[0].entries, 4 * z4->inst.level[1].array[0].entries);

	/* A 1G page the L2 DTLB cannot hold is splintered to 2M there. */
	struct tlb *t = tlb_create(&p->data.level[1]);
	assert_non_null(t);
	struct tlb_xlat x = { .pa = 1ULL << 30, .shift = 30, .perms = XLAT_R }, y;
	tlb_insert(t, 0, (1ULL << 30) + 12345, &x);
	assert_true(tlb_lookup(t, 0, (1ULL << 30) + 12345, &y));
	assert_int_equal(y.shift, 21);
	assert_false(tlb_lookup(t, 0, (1ULL << 30) + (4ULL << 20), &y));
	tlb_destroy(t);
}

/* ---- docs/presets.md is generated from the presets ---------------------------- */

struct doc {
	char *buf;
	size_t len, cap;
	const char *src[64];
	unsigned nsrc, nparam;
};

static void doc_put(struct doc *d, const char *s)
{
	size_t n = strlen(s);
	if (d->len + n + 1 > d->cap) {
		d->cap = (d->len + n + 1) * 2;
		d->buf = realloc(d->buf, d->cap);
		assert_non_null(d->buf);
	}
	memcpy(d->buf + d->len, s, n + 1);
	d->len += n;
}

/* s with '|' escaped for a markdown table cell. */
static void doc_put_cell(struct doc *d, const char *s)
{
	for (; *s; s++)
		doc_put(d, *s == '|' ? "\\|" : (char[2]){ *s, 0 });
}

static int doc_param(void *ctx, const char *key, const char *value, const char *source)
{
	struct doc *d = ctx;
	unsigned n;
	char num[16];

	if (d->nparam++ < 3)            /* preset, vendor, model: in the heading */
		return 0;
	for (n = 0; n < d->nsrc && strcmp(d->src[n], source); n++)
		;
	if (n == d->nsrc) {
		assert_true(d->nsrc < 64);
		d->src[d->nsrc++] = source;
	}
	doc_put(d, "| `");
	doc_put(d, key);
	doc_put(d, "` | ");
	doc_put_cell(d, value);
	snprintf(num, sizeof num, " | [%u] |\n", n + 1);
	doc_put(d, num);
	return 0;
}

/* The generated part of a preset's section of docs/presets.md: heading,
 * aliases and references, the table of every parameter, the sources. */
static char *doc_section(const struct cpu_preset *p)
{
	struct doc d = { 0 };
	char num[16];

	doc_put(&d, "## ");
	doc_put(&d, p->name);
	doc_put(&d, " — ");
	doc_put(&d, p->vendor);
	doc_put(&d, " ");
	doc_put(&d, p->model);
	doc_put(&d, "\n\nAliases: ");
	doc_put(&d, p->aliases);
	doc_put(&d, ". Main references: ");
	doc_put(&d, p->source);
	doc_put(&d, ".\n\n| parameter | value | source |\n| --- | --- | --- |\n");
	assert_int_equal(cpu_foreach_param(p, doc_param, &d), 0);
	doc_put(&d, "\n");
	for (unsigned i = 0; i < d.nsrc; i++) {
		snprintf(num, sizeof num, "%u. ", i + 1);
		doc_put(&d, num);
		doc_put(&d, d.src[i]);
		doc_put(&d, "\n");
	}
	return d.buf;
}

/* Every preset's section appears verbatim in docs/presets.md. To refresh
 * the doc after changing a preset: XLAT_PRESETS_DOC_OUT=file test_cpu
 * writes every section to file, to paste over the old ones. */
static void docs_match_presets(void **state)
{
	(void)state;
	const char *src = getenv("XLAT_SRC"), *out = getenv("XLAT_PRESETS_DOC_OUT");
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);
	FILE *fo = out && *out ? fopen(out, "w") : NULL;

	if (out && *out)
		assert_non_null(fo);
	for (size_t i = 0; i < n && fo; i++) {
		char *sec = doc_section(&all[i]);
		fprintf(fo, "%s%s", i ? "\n" : "", sec);
		free(sec);
	}
	if (fo)
		assert_int_equal(fclose(fo), 0);
	if (!src || !*src) {
		skip();                 /* run outside ctest: no source tree to read */
		return;
	}

	char path[4096];
	snprintf(path, sizeof path, "%s/docs/presets.md", src);
	FILE *f = fopen(path, "r");
	if (!f)
		print_error("cannot read %s\n", path);
	assert_non_null(f);
	struct doc doc = { 0 };
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
		chunk[got] = 0;
		doc_put(&doc, chunk);
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		char *sec = doc_section(&all[i]);
		if (!strstr(doc.buf, sec))
			print_error("docs/presets.md lacks the current section of %s (regenerate: "
				    "XLAT_PRESETS_DOC_OUT=FILE build/tests/test_cpu); it should read:\n%s\n",
				    all[i].name, sec);
		assert_non_null(strstr(doc.buf, sec));
		free(sec);
	}
	free(doc.buf);
}

/* ---- overrides --------------------------------------------------------------- */

static void get_is(const struct cpu_preset *p, const char *key, const char *want)
{
	char buf[64];
	int rc = cpu_get(p, key, buf, sizeof buf);
	if (rc)
		print_error("get %s: %s\n", key, xlat_error());
	assert_int_equal(rc, 0);
	assert_string_equal(buf, want);
}

static void set_ok(struct cpu_preset *p, const char *key, const char *value)
{
	int rc = cpu_override(p, key, value);
	if (rc)
		print_error("set %s=%s: %s\n", key, value, xlat_error());
	assert_int_equal(rc, 0);
}

static void set_bad(struct cpu_preset *p, const char *key, const char *value, const char *msg)
{
	struct cpu_preset before;
	memcpy(&before, p, sizeof before);
	int rc = cpu_override(p, key, value);
	assert_int_equal(rc, -EINVAL);
	if (!strstr(xlat_error(), msg))
		print_error("set %s=%s: message '%s' lacks '%s'\n", key, value ? value : "(null)", xlat_error(), msg);
	assert_non_null(strstr(xlat_error(), msg));
	assert_memory_equal(&before, p, sizeof before);
}

static void overrides_apply(void **state)
{
	(void)state;
	struct cpu_preset p = *cpu_preset_by_name("skylake");
	static struct listing l;

	set_ok(&p, "stlb.entries", "2048");
	set_ok(&p, "stlb.ways", "16");
	get_is(&p, "stlb.entries", "2048");
	get_is(&p, "stlb.4k.entries", "2048");
	get_is(&p, "stlb.2m.entries", "2048");
	get_is(&p, "l2d.entries", "2048");
	get_is(&p, "stlb.1g.entries", "16");
	set_ok(&p, "l1d.4k.entries", "128");
	get_is(&p, "l1d.entries", "128");
	get_is(&p, "l1d.2m.entries", "32");
	set_ok(&p, "L1D.2M.WAYS", "8");
	get_is(&p, "l1d.2m.ways", "8");
	set_ok(&p, "l1d.2m.repl", "plru");
	get_is(&p, "l1d.2m.repl", "plru");
	set_ok(&p, "mem_latency", "300");
	get_is(&p, "cache.mem_latency", "300");
	assert_int_equal(p.cache.mem_latency, 300);
	set_ok(&p, "pwc.pde", "64");
	assert_int_equal(p.pwc.entries[2], 64);
	set_ok(&p, "fault_cycles", "10k");
	assert_int_equal(p.fault[0][0], 10000);
	get_is(&p, "fault.4k", "10000");
	set_ok(&p, "fault.nested.2m", "600k");
	assert_int_equal(p.fault[1][1], 600000);
	set_ok(&p, "fault.shadow.1g", "7");
	assert_int_equal(p.fault[2][2], 7);
	set_ok(&p, "host_fault.2m", "5");
	assert_int_equal(p.host_fault[1], 5);
	set_ok(&p, "walk_ref_cycles", "3");
	assert_int_equal(p.walk_ref_cycles, 3);
	set_ok(&p, "exit_cycles", "2000");
	set_ok(&p, "ghz", "3.5");
	assert_true(p.ghz == 3.5);
	set_ok(&p, "clock.ghz", "3.6");
	assert_true(p.ghz == 3.6);
	set_ok(&p, "cache.llc.size", "16MiB");
	assert_int_equal(p.cache.level[2].bytes, 16ULL << 20);
	set_ok(&p, "cache.l3.latency", "50");
	assert_int_equal(p.cache.level[2].latency, 50);
	set_ok(&p, "stlb.latency", "7");
	assert_int_equal(p.data.hit_cycles[1], 7);
	set_ok(&p, "walk_cycles", "0");
	set_ok(&p, "base_cycles_per_access", "0.5");
	assert_true(p.base_cycles_per_access == 0.5);
	assert_int_equal(cpu_check(&p), 0);

	list_of(&p, &l);
	assert_string_equal(find(&l, "stlb.4k.entries")->source, "override");
	assert_string_equal(find(&l, "stlb.4k.ways")->source, "override");
	assert_string_equal(find(&l, "stlb.4k.repl")->source, p.src_tlb);
	assert_string_equal(find(&l, "stlb.1g.entries")->source, p.src_tlb);
	assert_string_equal(find(&l, "stlb.latency")->source, "override");
	assert_non_null(strstr(find(&l, "l1d.latency")->source, "by definition"));
	assert_string_equal(find(&l, "l1i.latency")->source, find(&l, "l1d.latency")->source);
	assert_string_equal(find(&l, "mem_latency")->source, "override");
	assert_string_equal(find(&l, "cache.llc.ways")->source, p.src_cache);
	assert_string_equal(find(&l, "pwc.pde")->source, "override");
	assert_string_equal(find(&l, "pwc.pdpte")->source, p.src_pwc);

	/* The model takes the overridden geometry. */
	struct tlb *t = tlb_create(&p.data.level[0]);
	assert_non_null(t);
	assert_int_equal(tlb_entries(t), 128 + 32 + 4);
	tlb_destroy(t);

	/* Arrays and levels come and go. */
	set_ok(&p, "stlb.1g.entries", "0");
	assert_int_equal(p.data.level[1].narrays, 1);
	assert_int_equal(cpu_get(&p, "stlb.1g.entries", (char[8]){ 0 }, 8), -EINVAL);
	set_ok(&p, "stlb.1g.entries", "0");                 /* removing nothing */
	set_ok(&p, "stlb.1g.entries", "32");                /* added, fully associative */
	get_is(&p, "stlb.1g.ways", "0");
	get_is(&p, "stlb.1g.sizes", "1g");
	set_ok(&p, "stlb.1g.ways", "4");
	list_of(&p, &l);
	assert_string_equal(find(&l, "stlb.1g.entries")->source, "override");
	assert_int_equal(cpu_check(&p), 0);

	set_ok(&p, "stlb.1g.entries", "0");
	set_ok(&p, "stlb.entries", "0");                    /* no STLB at all */
	assert_int_equal(p.data.nlevels, 1);
	assert_int_equal(cpu_check(&p), 0);
	list_of(&p, &l);
	assert_null(find(&l, "stlb.entries"));
	assert_null(find(&l, "stlb.shared"));
	struct mmu_config mc;
	memset(&mc, 0, sizeof mc);
	cpu_mmu_config(&p, &mc);
	assert_int_equal(mc.ndtlb, 1);
	assert_int_equal(mc.nitlb, 1);
	assert_int_equal(mc.shared_from, MMU_MAX_TLB_LEVELS);
	set_ok(&p, "stlb.entries", "1024");                 /* back, unified, fully assoc */
	get_is(&p, "stlb.sizes", "4k+2m+1g");
	set_ok(&p, "stlb.ways", "8");
	assert_int_equal(cpu_check(&p), 0);

	/* The L1 keeps at least one array. */
	struct cpu_preset z = *cpu_preset_by_name("zen3");
	set_bad(&z, "l1d.entries", "0", "at least one array");
	/* On a unified L1, any size names the one array. */
	set_ok(&z, "l1d.1g.entries", "96");
	get_is(&z, "l1d.entries", "96");
	/* AMD's L2 ITLB is its own. */
	set_ok(&z, "l2i.entries", "1024");
	get_is(&z, "l2i.entries", "1024");
	set_ok(&z, "pwc.entries", "32");
	set_ok(&z, "pwc.ways", "4");
	assert_int_equal(cpu_check(&z), 0);
	set_ok(&z, "ntlb.entries", "0");
	list_of(&z, &l);
	assert_null(find(&l, "ntlb.ways"));
	assert_int_equal(cpu_check(&z), 0);
	memset(&mc, 0, sizeof mc);
	cpu_mmu_config(&z, &mc);
	assert_false(mc.ntlb_enabled);
	set_ok(&z, "ntlb.entries", "64");
	set_ok(&z, "ntlb.ways", "4");
	set_ok(&z, "ntlb.sizes", "4k");
	set_ok(&z, "ntlb.repl", "random");
	assert_int_equal(z.ntlb.array[0].sizes, TLB_4K);
	assert_int_equal(cpu_check(&z), 0);

	/* cpu_override_spec */
	assert_int_equal(cpu_override_spec(&z, "stlb.ways=8"), 0);
	get_is(&z, "stlb.ways", "8");
	assert_int_equal(cpu_override_spec(&z, "stlb.ways"), -EINVAL);
	assert_non_null(strstr(xlat_error(), "KEY=VALUE"));
	assert_int_equal(cpu_override_spec(&z, "nosuch=1"), -EINVAL);
	assert_non_null(strstr(xlat_error(), "nosuch"));
	assert_int_equal(cpu_override_spec(NULL, NULL), -EINVAL);
}

static void overrides_rejected(void **state)
{
	(void)state;
	struct cpu_preset p = *cpu_preset_by_name("skylake");

	set_bad(&p, "bogus", "1", "unknown parameter 'bogus'");
	set_bad(&p, "", "1", "empty");
	set_bad(&p, NULL, "1", "empty");
	set_bad(&p, "stlb", "1", "unknown parameter");
	set_bad(&p, "stlb.foo", "1", "unknown field 'foo'");
	set_bad(&p, "l4d.entries", "1", "unknown parameter 'l4d.entries'");
	set_bad(&p, "stlb.8k.entries", "1", "unknown page size '8k'");
	set_bad(&p, "stlb.4k.2m.entries", "1", "unknown parameter");
	set_bad(&p, "l1d.4k.latency", "1", "use l1d.latency");
	set_bad(&p, "l2i.entries", "512", "shared STLB");
	set_bad(&p, "l1i.1g.ways", "4", "no l1i array holds 1g pages");
	set_bad(&p, "stlb.entries", "-1", "not a whole number");
	set_bad(&p, "stlb.entries", "abc", "not a whole number");
	set_bad(&p, "stlb.entries", "", "not a whole number");
	set_bad(&p, "stlb.entries", NULL, "not a whole number");
	set_bad(&p, "stlb.entries", "99999999999", "not a whole number");
	set_bad(&p, "stlb.repl", "fifo", "unknown replacement 'fifo'");
	set_bad(&p, "stlb.sizes", "3m", "unknown page size '3m'");
	set_bad(&p, "stlb.sizes", "4k+", "expected page sizes");
	set_bad(&p, "stlb.sizes", "", "expected page sizes");
	set_bad(&p, "ghz", "-1", "non-negative number");
	set_bad(&p, "ghz", "fast", "non-negative number");
	set_bad(&p, "ghz", "3.5GHz", "non-negative number");
	set_bad(&p, "ghz", "nan", "non-negative number");
	set_bad(&p, "pwc.style", "mixed", "unknown style 'mixed'");
	set_bad(&p, "stlb.shared", "maybe", "stlb.shared: 'maybe' is not a boolean");
	set_bad(&p, "cache.l1d.size", "12q", "not a size");
	set_bad(&p, "mem_latency", "1.5", "not a whole number");

	/* Accepted one at a time, refused as a whole by cpu_check. */
	struct cpu_preset q = p;
	set_ok(&q, "stlb.entries", "1000");
	assert_int_equal(cpu_check(&q), -EINVAL);
	assert_non_null(strstr(xlat_error(), "stlb"));
	assert_non_null(strstr(xlat_error(), "multiple"));
	q = p;
	set_ok(&q, "ghz", "0");
	assert_int_equal(cpu_check(&q), -EINVAL);
	assert_non_null(strstr(xlat_error(), "ghz"));
	q = p;
	set_ok(&q, "cache.l2.size", "100000");
	assert_int_equal(cpu_check(&q), -EINVAL);
	assert_non_null(strstr(xlat_error(), "L2"));
	q = p;
	set_ok(&q, "pwc.style", "unified");
	assert_int_equal(cpu_check(&q), -EINVAL);     /* no unified size yet */
	assert_non_null(strstr(xlat_error(), "pwc"));
	set_ok(&q, "pwc.entries", "32");
	assert_int_equal(cpu_check(&q), 0);
	q = p;
	set_ok(&q, "ntlb.ways", "5");
	assert_int_equal(cpu_check(&q), -EINVAL);
	assert_non_null(strstr(xlat_error(), "ntlb"));
	/* stlb.shared=0 unlocks the l2i keys. */
	q = p;
	set_ok(&q, "stlb.shared", "0");
	set_ok(&q, "l2i.entries", "512");
	set_ok(&q, "l2i.ways", "8");
	assert_int_equal(cpu_check(&q), 0);
	struct mmu_config mc;
	memset(&mc, 0, sizeof mc);
	cpu_mmu_config(&q, &mc);
	assert_int_equal(mc.nitlb, 2);
	assert_int_equal(mc.itlb[1].array[0].entries, 512);
	assert_int_equal(mc.shared_from, MMU_MAX_TLB_LEVELS);
}

static void to_mmu_config(void **state)
{
	(void)state;
	struct mmu_config mc;
	const struct cpu_preset *s = cpu_preset_by_name("skylake");

	memset(&mc, 0, sizeof mc);
	mc.no_fetch = true;
	cpu_mmu_config(s, &mc);
	assert_true(mc.no_fetch);                      /* left alone */
	assert_int_equal(mc.ndtlb, 2);
	assert_int_equal(mc.nitlb, 2);
	assert_int_equal(mc.shared_from, 1);
	assert_int_equal(mc.itlb[1].array[0].entries, 1536);
	assert_int_equal(mc.itlb[0].array[0].entries, 128);
	assert_int_equal(mc.dtlb[0].narrays, 3);
	assert_int_equal(mc.pwc.style, PWC_SPLIT);
	assert_int_equal(mc.pwc.entries[2], 32);
	assert_true(mc.ntlb_enabled);
	assert_true(mc.cache_enabled);
	assert_int_equal(mc.cache.level[2].bytes, 8ULL << 20);
	assert_int_equal(mc.costs.tlb_hit_cycles[0], 0);
	assert_int_equal(mc.costs.tlb_hit_cycles[1], 9);
	assert_int_equal(mc.costs.walk_overhead_cycles, s->walk_cycles);
	for (unsigned m = 0; m < MMU_FAULT_MODES; m++)
		for (unsigned z = 0; z < XLAT_NPSIZES; z++)
			assert_int_equal(mc.costs.fault_cycles[m][z], s->fault[m][z]);
	assert_int_equal(mc.costs.host_fault_cycles[1], s->host_fault[1]);
	assert_int_equal(mc.costs.walk_ref_cycles, s->walk_ref_cycles);
	assert_int_equal(mc.costs.fault_mode, MMU_FAULTS_NATIVE);
	assert_int_equal(mc.costs.exit_cycles, s->exit_cycles);
	assert_true(mc.costs.ghz == s->ghz);

	const struct cpu_preset *z = cpu_preset_by_name("zen2");
	memset(&mc, 0, sizeof mc);
	cpu_mmu_config(z, &mc);
	assert_int_equal(mc.nitlb, 2);
	assert_int_equal(mc.shared_from, MMU_MAX_TLB_LEVELS);
	assert_int_equal(mc.itlb[1].array[0].entries, 512);
	assert_int_equal(mc.dtlb[1].array[0].entries, 2048);
	assert_int_equal(mc.pwc.style, PWC_AMD);
	assert_true(mc.cache_data);
}

/* Every preset, and one with overrides, builds a working mmu. */
static void presets_build_an_mmu(void **state)
{
	(void)state;
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);
	struct phys *mem = phys_create(40, 1ULL << 30);

	assert_non_null(mem);
	for (size_t i = 0; i <= n; i++) {
		struct cpu_preset p = all[i < n ? i : 0];
		if (i == n) {
			set_ok(&p, "stlb.entries", "0");
			set_ok(&p, "pwc.style", "none");
			set_ok(&p, "ntlb.entries", "0");
			set_ok(&p, "cache.l2.size", "0");
		}
		struct mmu_config mc;
		memset(&mc, 0, sizeof mc);
		cpu_mmu_config(&p, &mc);
		struct mmu *m = mmu_create(&mc, mem);
		if (!m)
			print_error("%s: mmu_create: %s\n", p.name, xlat_error());
		assert_non_null(m);
		mmu_destroy(m);
	}
	phys_destroy(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(presets_load_and_are_sane),
		cmocka_unit_test(names_and_aliases),
		cmocka_unit_test(listing_round_trips),
		cmocka_unit_test(listing_names),
		cmocka_unit_test(intel_corrections),
		cmocka_unit_test(amd_corrections),
		cmocka_unit_test(zen5_preset),
		cmocka_unit_test(docs_match_presets),
		cmocka_unit_test(overrides_apply),
		cmocka_unit_test(overrides_rejected),
		cmocka_unit_test(to_mmu_config),
		cmocka_unit_test(presets_build_an_mmu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
