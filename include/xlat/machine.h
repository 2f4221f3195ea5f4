/*
 * xlat/machine.h — one simulated machine: host memory, an MMU (TLBs,
 * paging-structure caches, the walker, the cost model), and the software
 * that owns the tables — a native OS, or a VM whose guest OS runs under
 * nested or shadow paging. Every study (sim, gc, migrate, sweep) and any
 * program embedding libxlat drives one through this interface:
 *
 *   struct machine_config cfg;
 *   machine_config_init(&cfg);
 *   if (machine_config_set(&cfg, "mode", "nested") ||
 *       machine_config_set(&cfg, "stlb.entries", "2048"))
 *           die(xlat_error());                  // names the key
 *   struct machine *m = machine_create(&cfg);
 *   machine_run(m, src, 1000000, NULL);         // warm up
 *   machine_reset_stats(m);
 *   machine_run(m, src, MACHINE_ALL, NULL);     // measure
 *   struct machine_result r;
 *   machine_collect(m, &r);
 *   machine_result_foreach(&r, print, ctx);     // key, value, label
 *   machine_destroy(m);
 *
 * Configuration is one space of keys. The CPU's keys (xlat/cpu.h: TLB
 * geometries, caches, latencies, costs) and the machine's own (mode,
 * levels, page policies, RAM sizes, PCID, EPT A/D, ...) are set by name
 * with validation, and listed, with their values and sources, by one
 * iterator: what a run printed is what ran. Command-line flags are
 * spellings of these keys.
 *
 * Results are keys too: machine_result_foreach yields every counter and
 * every derived figure (miss rate, references per walk, cycles per access)
 * under the names `xlat sim --json` and `--csv` print.
 */
#ifndef XLAT_MACHINE_H
#define XLAT_MACHINE_H

#include "xlat/cpu.h"
#include "xlat/hv.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/trace.h"

enum machine_mode { MACHINE_NATIVE = 0, MACHINE_NESTED, MACHINE_SHADOW };

/* The machine's own settings (the CPU's are in `cpu`). Set them through
 * machine_config_set so that the listing knows what the user chose. */
struct machine_config {
	struct cpu_preset cpu;             /* hardware and cost model */
	enum machine_mode mode;
	unsigned levels;                   /* native / guest paging levels: 4 or 5 */
	unsigned host_levels;              /* EPT (or memslot table) levels: 4 or 5 */
	enum os_page_policy page_policy;   /* native / guest OS page policy */
	enum os_page_policy host_page_policy; /* host pages backing guest memory */
	unsigned host_pa_bits;             /* host MAXPHYADDR */
	uint64_t host_ram;                 /* bytes of simulated host RAM */
	uint64_t guest_ram;                /* bytes of guest-physical RAM (nested, shadow) */
	bool pcid;                         /* processes tagged by PCID (no flush on switch) */
	bool ept_ad;                       /* EPT accessed/dirty flags */
	bool unsync;                       /* shadow: KVM's unsync leaf shadow pages */
	bool fetch;                        /* instruction fetches are translated */
	uint64_t set;                      /* machine keys the user set (bit per key; internal) */
};

/* Defaults: the default CPU preset, native, 4 levels, 4 KiB pages. */
void machine_config_init(struct machine_config *c);
/* Sets one key. "cpu" selects a preset and must come before the CPU's own
 * keys. 0, or -EINVAL with xlat_error() naming the key and saying why. */
int machine_config_set(struct machine_config *c, const char *key, const char *value);
/* "key=value" in one string, as `--set` gives it. */
int machine_config_set_spec(struct machine_config *c, const char *spec);
/* The value of a key as the listing prints it. 0 or -EINVAL. */
int machine_config_get(const struct machine_config *c, const char *key, char *buf, size_t len);
/* Checks the whole configuration (the CPU's geometries, RAM sizes against
 * address widths, ...). 0 or -EINVAL with xlat_error(). */
int machine_config_check(const struct machine_config *c);

/* Every parameter that applies to this configuration, in a fixed order:
 * key, value (accepted back by machine_config_set) and source (the
 * citation, "default", or "set" when the user chose it). fn returns
 * non-zero to stop; that value is returned. */
typedef int (*machine_param_fn)(void *ctx, const char *key, const char *value, const char *source);
int machine_config_foreach(const struct machine_config *c, machine_param_fn fn, void *ctx);

/* Every key machine_config_set accepts, with a one-line description, for
 * help texts (CPU keys by pattern, e.g. "LEVEL[.SIZE].entries"). */
typedef int (*machine_key_fn)(void *ctx, const char *key, const char *description);
int machine_config_foreach_key(machine_key_fn fn, void *ctx);

const char *machine_mode_name(enum machine_mode m);

/* ---- the machine -------------------------------------------------------- */

struct machine;

/* NULL with xlat_error() on a bad configuration or out of memory. */
struct machine *machine_create(const struct machine_config *cfg);
void machine_destroy(struct machine *m);

#define MACHINE_ALL UINT64_MAX

/* Called every few batches and at the end (done, total as
 * xlat_source_progress gives them). */
typedef void (*machine_progress_fn)(void *ctx, uint64_t done, uint64_t total);
void machine_set_progress(struct machine *m, machine_progress_fn fn, void *ctx);

/* Consumes up to max records from src (MACHINE_ALL: to its end). *done
 * (if not NULL) says how many were consumed. Returns 0 when the count was
 * reached or the source ended, or -errno (bad input, a failed handler,
 * simulated memory exhausted). */
int machine_run(struct machine *m, struct xlat_source *src, uint64_t max, uint64_t *done);
/* Consumes n records given by the caller (a study's own workload). */
int machine_feed(struct machine *m, const struct xlat_access *acc, size_t n);

/* Zeroes every counter (TLBs, caches and tables stay as they are): what
 * ran before is warm-up. */
void machine_reset_stats(struct machine *m);

/* ---- between steps ------------------------------------------------------ */

/* Flushes every TLB, paging-structure cache and the nested TLB. */
void machine_flush_tlbs(struct machine *m);
/* Applies one event record (XLAT_EV_MAP / UNMAP / PROTECT / SWITCH) as the
 * OS (or the guest OS) would, shootdowns included. */
int machine_event(struct machine *m, const struct xlat_access *ev);

/* The parts, for studies that go further (read-only use is the rule;
 * changing them behind the machine's back is the caller's responsibility). */
const struct machine_config *machine_get_config(const struct machine *m);
struct mmu *machine_mmu(struct machine *m);
struct os *machine_os(struct machine *m);       /* native OS or the VM's guest OS */
struct vm *machine_vm(struct machine *m);       /* NULL natively */
struct phys *machine_host(struct machine *m);

/* ---- results -------------------------------------------------------------- */

struct machine_result {
	enum machine_mode mode;
	struct mmu_stats mmu;
	struct pcache_stats cache;
	struct os_stats os;
	struct vm_stats vm;
	struct pt_stats tables;          /* native or guest page tables (all processes) */
	struct pt_stats gpa_map;         /* EPT / memslot table */
	struct pt_stats shadow;          /* shadow tables */
	uint64_t translation_cycles;     /* TLB + walks + faults + exits */
	double base_cycles;              /* pages * base_cycles_per_access */
	double ghz;
	unsigned tlb_levels[2];          /* data, fetch */
	uint64_t sim_host_bytes;         /* host memory the simulated spaces hold */
};

void machine_collect(const struct machine *m, struct machine_result *r);

enum machine_value_kind { MV_COUNT, MV_RATIO, MV_TEXT };

struct machine_value {
	const char *section;             /* heading for text output */
	const char *key;                 /* JSON / CSV name */
	const char *label;               /* text label */
	enum machine_value_kind kind;
	uint64_t count;                  /* MV_COUNT */
	double ratio;                    /* MV_RATIO */
	const char *text;                /* MV_TEXT */
};

/* Every result, counters and derived figures, in report order. Values that
 * do not apply to the mode (exits natively) are skipped. fn returns
 * non-zero to stop. */
typedef int (*machine_value_fn)(void *ctx, const struct machine_value *v);
int machine_result_foreach(const struct machine_result *r, machine_value_fn fn, void *ctx);

#endif
