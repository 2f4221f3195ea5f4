/*
 * xlat/cpu.h — CPU presets: the translation hardware and the cost model of
 * one real CPU, every number with its source.
 *
 * A preset is plain data. The sim command copies one, applies the user's
 * overrides ("stlb.entries=2048", "mem_latency=300", ...), checks it, and
 * turns it into a struct mmu_config. The parameter listing
 * (cpu_foreach_param) prints every number beside every timed figure, each
 * with its source — "override" once the user changed it, and "estimate"
 * inside the citation of any number nobody publishes.
 *
 * Keys (case-insensitive; docs/presets.md has the full table):
 *
 *   ghz                                   clock, to turn cycles into seconds
 *   LEVEL[.SIZE].FIELD                    a TLB array
 *       LEVEL  l1d (L1 DTLB), stlb (L2 data TLB, alias l2d; on Intel also
 *              the L2 of the instruction side), l1i (L1 ITLB), l2i (AMD's
 *              L2 ITLB; absent where the STLB is shared)
 *       SIZE   4k | 2m | 1g: the array holding that page size (default:
 *              the level's first array)
 *       FIELD  entries (0 removes the array; setting an array that does
 *              not exist adds it, fully associative), ways (0 = fully
 *              associative), repl (lru | plru | random), sizes (4k+2m, all)
 *   LEVEL.latency                         extra cycles for a hit there
 *   stlb.shared                           1: the ITLB misses into the STLB
 *   pwc.style                             none | split | unified | amd
 *   pwc.pde pwc.pdpte pwc.pml4e pwc.pml5e split PWC entries per level
 *   pwc.entries pwc.ways                  unified PWC (amd: its page directory cache)
 *   ntlb.entries ntlb.ways ntlb.repl ntlb.sizes   nested TLB (entries 0: none)
 *   cache.l1d.size .ways .latency, cache.l2.*, cache.llc.*  (size 0: absent)
 *   cache.line mem_latency                cache line bytes; DRAM cycles
 *   cache.data                            1: every access's line goes through the
 *                                         cache model too (0: page-table lines only)
 *   walk_cycles walk_ref_cycles           per walk; per reference beyond its cache latency
 *   fault.SIZE fault.nested.SIZE fault.shadow.SIZE host_fault.SIZE
 *                                         a fault that mapped a page of SIZE (4k, 2m,
 *                                         1g): natively, a guest OS's under nested
 *                                         (and secure) or shadow paging, the host's
 *                                         backing guest memory (fault_cycles: fault.4k)
 *   exit_cycles base_cycles_per_access
 */
#ifndef XLAT_CPU_H
#define XLAT_CPU_H

#include "xlat/base.h"
#include "xlat/cache.h"
#include "xlat/pwc.h"
#include "xlat/tlb.h"

XLAT_API_BEGIN

struct mmu_config;

#define CPU_TLB_LEVELS 3          /* up to L3 on each side (presets use two) */
#define CPU_DEFAULT_PRESET "skylake"

struct cpu_tlb_side {
	unsigned nlevels;                         /* 1 or 2 */
	struct tlb_config level[CPU_TLB_LEVELS];
	unsigned hit_cycles[CPU_TLB_LEVELS];      /* extra cycles for a hit at the level (L1: 0) */
};

struct cpu_preset {
	const char *name;         /* canonical, lower case: "skylake" */
	const char *aliases;      /* comma-separated, lower case */
	const char *vendor;       /* "Intel", "AMD" */
	const char *model;        /* the part the numbers describe */
	const char *source;       /* the main references of the preset */

	double ghz;               /* core clock the cycle figures assume */
	const char *src_clock;

	struct cpu_tlb_side data; /* level[0] L1 DTLB, level[1] STLB / L2 DTLB */
	struct cpu_tlb_side inst; /* level[0] L1 ITLB, level[1] L2 ITLB if not shared */
	bool stlb_shared;         /* fetches that miss the L1 ITLB look up data.level[1] */
	const char *src_tlb;      /* geometry */
	const char *src_tlb_latency;

	struct pwc_config pwc;
	const char *src_pwc;

	struct tlb_config ntlb;   /* one array; entries 0 = no nested TLB */
	const char *src_ntlb;

	struct pcache_config cache;   /* latencies: load-to-use cycles */
	const char *src_cache;
	const char *src_mem;          /* cache.mem_latency */
	bool cache_data;              /* the accesses' own lines visit the cache model too */
	const char *src_cache_data;

	unsigned walk_cycles;     /* fixed cost of a walk beyond its references */
	const char *src_walk;
	unsigned walk_ref_cycles; /* per entry read, beyond its cache latency */
	const char *src_walk_ref;
	/* A fault the OS handles, end to end, by the size of the page it
	 * mapped ([XLAT_NPSIZES]: 4K, 2M, 1G): [0] natively, [1] a guest OS's
	 * under nested paging (and in a confidential VM), [2] under shadow
	 * paging; the exits and host faults around a guest's are charged apart. */
	unsigned fault[3][XLAT_NPSIZES];
	const char *src_fault, *src_fault_guest;
	unsigned host_fault[XLAT_NPSIZES];   /* the hypervisor backs guest memory with a host page */
	const char *src_host_fault;
	unsigned exit_cycles;     /* a VM exit + VM entry round trip (no handler work) */
	const char *src_exit;
	double base_cycles_per_access; /* non-translation work per access */
	const char *src_base;

	/* Which numbers the user overrode (bit per field; internal to
	 * cpu_presets.c, zero in the presets). */
	uint32_t ovr_tlb[2][CPU_TLB_LEVELS][TLB_MAX_ARRAYS];
	uint32_t ovr_level[2][CPU_TLB_LEVELS];
	uint64_t ovr_scalar;
};

/* The preset called name or one of its aliases (case-insensitive), or NULL
 * with xlat_error() listing the known names. */
const struct cpu_preset *cpu_preset_by_name(const char *name);
/* All presets; *n set to their number. */
const struct cpu_preset *cpu_preset_list(size_t *n);
/* The default preset (CPU_DEFAULT_PRESET). */
const struct cpu_preset *cpu_preset_default(void);

/* Sets one parameter of a copy. 0, or -EINVAL with xlat_error() naming the
 * key or value (unknown key, bad number, value out of range). The result
 * may be inconsistent until all overrides are applied: call cpu_check. */
XLAT_MUST_CHECK int cpu_override(struct cpu_preset *p, const char *key, const char *value);
/* "key=value" in one string, as the command line gives it. */
XLAT_MUST_CHECK int cpu_override_spec(struct cpu_preset *p, const char *spec);
/* Checks the whole preset as the hardware models will take it (TLB, PWC
 * and cache geometries, positive clock). 0 or -EINVAL with xlat_error(). */
XLAT_MUST_CHECK int cpu_check(const struct cpu_preset *p);

/* The value of one parameter as cpu_foreach_param prints it, into buf.
 * 0 or -EINVAL (unknown key). */
XLAT_MUST_CHECK int cpu_get(const struct cpu_preset *p, const char *key, char *buf, size_t len);

/* Calls fn for every parameter, in a fixed order: key, value (parseable by
 * cpu_override) and its source ("override" if the user set it). Stops at
 * and returns the first non-zero value fn returns; 0 when all were seen. */
typedef int (*cpu_param_fn)(void *ctx, const char *key, const char *value, const char *source);
int cpu_foreach_param(const struct cpu_preset *p, cpu_param_fn fn, void *ctx);

/* A whole side of the TLB hierarchy as one string (side 0: data, 1:
 * instruction fetch), the `tlb` / `itlb` keys of the machine:
 * "64x4@4k+32x4@2m+4@1g,1536x12@4k/2m+16x4@1g"; ",shared" ends an itlb
 * spec whose L1 misses into the data side's STLB (syntax in
 * cpu_tlb_spec.c). cpu_set_tlb_spec replaces the side's levels (marked as
 * overrides); 0 or -EINVAL with xlat_error(). cpu_tlb_spec writes the
 * side's current spec; 0 or -ENOSPC. */
XLAT_MUST_CHECK int cpu_set_tlb_spec(struct cpu_preset *p, int side, const char *spec);
int cpu_tlb_spec(const struct cpu_preset *p, int side, char *buf, size_t len);

/* Fills the hardware part of an mmu configuration (TLB levels of both
 * sides, sharing, PWC, nested TLB, cache model on, costs). Fields of *cfg
 * that a preset does not describe (no_fetch) are left as they are. */
void cpu_mmu_config(const struct cpu_preset *p, struct mmu_config *cfg);

/* ---- preset files (src/hardware/cpu_file.c) ---------------------------------
 *
 * A preset file is a built-in preset plus overrides, one per line, as
 * `xlat calibrate --out FILE` writes it and `xlat sim --cpu-file FILE`
 * reads it:
 *
 *   # source: measured by xlat calibrate on 2026-12-01, host1
 *   base = sapphirerapids
 *   # measured: L1 TLB reach
 *   l1d.4k.entries = 96
 *   walk_cycles = 120            # a comment may also end a line
 *
 * `base = NAME` (a built-in preset or alias) comes before any key; every
 * other line is `KEY = VALUE` with a key cpu_override accepts, each key at
 * most once, applied in order. '#' starts a comment at the start of a line
 * or after a blank; blank lines are ignored. The first "# source:" comment
 * becomes part of the loaded preset's source. A bad line is refused with
 * "FILE:LINE: what is wrong".
 *
 * A file may also carry keys that are not the CPU's ("mode = nested",
 * "host_page_policy = 4k": how the machine it describes must be run, as
 * xlat calibrate writes for a VM). The layer that knows them reads the file
 * with cpu_file_parse_with / cpu_file_load_with and a callback that checks
 * each one; the loaded preset keeps them, in order (cpu_file_other), and
 * machine_config_load_file (xlat/machine.h) applies them. Without a
 * callback they are refused, as unknown keys.
 */
#define CPU_FILE_MAX_BYTES (1 << 20)

/* Parses len bytes of text (no NUL needed) named `name` in messages. On
 * success *out is a new preset (free it with cpu_file_free): the base
 * with every line applied and checked (cpu_check), named after `name`'s
 * last path component, its source naming the file and the base. Copies
 * of *out stay valid until it is freed. 0 or -EINVAL. */
XLAT_MUST_CHECK int cpu_file_parse(const char *text, size_t len, const char *name, struct cpu_preset **out);
/* Reads the file at path and parses it. 0, -EINVAL, or -errno. */
XLAT_MUST_CHECK int cpu_file_load(const char *path, struct cpu_preset **out);
void cpu_file_free(struct cpu_preset *p);

/* Lines whose key is no CPU key (cpu_key_exists): with a callback, each is
 * handed to it (0: kept; non-zero: the file is refused with its
 * xlat_error(), prefixed "FILE:LINE: "). At most CPU_FILE_MAX_OTHER. */
#define CPU_FILE_MAX_OTHER 32
typedef int (*cpu_file_other_fn)(void *ctx, const char *key, const char *value);
XLAT_MUST_CHECK int cpu_file_parse_with(const char *text, size_t len, const char *name, cpu_file_other_fn other,
					void *ctx, struct cpu_preset **out);
XLAT_MUST_CHECK int cpu_file_load_with(const char *path, cpu_file_other_fn other, void *ctx, struct cpu_preset **out);
/* The i-th kept line of a loaded preset (p as the loader returned it, not
 * a copy): 0 with its key, value and line number (any pointer may be
 * NULL), or -ENOENT past the last. */
int cpu_file_other(const struct cpu_preset *p, size_t i, const char **key, const char **value, unsigned *line);
/* Is key a CPU parameter's name (a scalar or alias, or LEVEL[.SIZE].FIELD
 * syntax), whatever its value? */
bool cpu_key_exists(const char *key);

/* One `key = value` line of a file to write, with an optional comment
 * written on the line above it. */
struct cpu_file_line {
	const char *key;
	const char *value;
	const char *comment;   /* or NULL */
};

/* The text of a preset file (malloc'd, in *out): `header` as comment lines
 * (split at '\n'; start one with "source:" to name where the numbers come
 * from), `base = BASE`, then the lines. The text is parsed back before it
 * is returned, so what is written always loads. 0 or -EINVAL. */
XLAT_MUST_CHECK int cpu_file_format(const char *base, const char *header, const struct cpu_file_line *lines, size_t n,
		    char **out);
/* The same with lines of other keys, checked by `other` when parsed back. */
XLAT_MUST_CHECK int cpu_file_format_with(const char *base, const char *header, const struct cpu_file_line *lines,
					 size_t n, cpu_file_other_fn other, void *ctx, char **out);
/* The same, written to path through a temporary file in its directory and
 * rename(2). 0 or -errno. */
XLAT_MUST_CHECK int cpu_file_write(const char *path, const char *base, const char *header,
		   const struct cpu_file_line *lines, size_t n);
XLAT_MUST_CHECK int cpu_file_write_with(const char *path, const char *base, const char *header,
					const struct cpu_file_line *lines, size_t n, cpu_file_other_fn other, void *ctx);
/* The lines that turn `base` into p: every parameter whose value differs,
 * in listing order, key and value copied into store[i]. Fails (-EINVAL)
 * when they would not rebuild p exactly (a TLB array added or removed),
 * -ENOSPC beyond cap lines. 0 with *n lines. */
XLAT_MUST_CHECK int cpu_file_diff(const struct cpu_preset *base, const struct cpu_preset *p, struct cpu_file_line *lines,
		  size_t cap, size_t *n, char (*store)[2][48]);
/* 1 if a and b list the same value for every parameter (names, vendors and
 * models aside), 0 if not (the first difference in what, if not NULL),
 * or -errno. */
XLAT_MUST_CHECK int cpu_file_same(const struct cpu_preset *a, const struct cpu_preset *b, char *what, size_t len);

XLAT_API_END

#endif
