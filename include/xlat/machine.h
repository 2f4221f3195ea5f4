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
 *   struct machine *m;
 *   if (machine_create(&cfg, &m))
 *           die(xlat_error());
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
#include "xlat/dirty.h"
#include "xlat/hv.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/tee.h"
#include "xlat/trace.h"

XLAT_API_BEGIN

/* native: an OS on the host; nested, shadow: a guest OS in a VM; secure:
 * a guest OS in a confidential VM whose memory a secure monitor owns
 * (xlat/tee.h; `tee` says which hardware model). */
enum machine_mode { MACHINE_NATIVE = 0, MACHINE_NESTED, MACHINE_SHADOW, MACHINE_SECURE };

/* Smallest RAM a machine may have: 1 MiB of firmware (reserved, as on a PC)
 * and room for the first tables and pages. */
#define MACHINE_MIN_RAM (2ULL << 20)

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
	enum tee_model tee;                /* secure: the confidential-computing hardware */
	unsigned monitor_levels;           /* secure, stage3: the monitor's stage, 4 or 5 */
	bool itlb_shared_said;             /* the itlb spec ended ",shared" (internal) */
	uint64_t set;                      /* machine keys the user set (bit per key; internal) */
	uint64_t from_file;                /* machine keys a preset file set (internal) */
};

/* Defaults: the default CPU preset, native, 4 levels, 4 KiB pages. */
void machine_config_init(struct machine_config *c);
/* Sets one key. "cpu" selects a preset and must come before the CPU's own
 * keys. 0, or -EINVAL with xlat_error() naming the key and saying why. */
XLAT_MUST_CHECK int machine_config_set(struct machine_config *c, const char *key, const char *value);
/* Takes the whole CPU part from p (a preset file's, say: its strings must
 * outlive every use of c and of machines built from it). As the `cpu` key,
 * it must come before CPU parameters. 0 or -EINVAL. */
XLAT_MUST_CHECK int machine_config_set_cpu(struct machine_config *c, const struct cpu_preset *p);
/* Loads a preset file (xlat/cpu.h) into c: its CPU part as the preset (as
 * machine_config_set_cpu: before any CPU key), then the machine's keys it
 * carries ("mode = nested", "host_page_policy = 4k", as xlat calibrate
 * writes for a VM) in file order, so that keys set after the load win.
 * *keep receives the loaded preset: free it (cpu_file_free) after the last
 * use of c and of machines built from it. The key `cpu` is refused in a
 * file (its `base` line says it). 0, or -errno with "FILE:LINE: why" and c
 * as it was. */
XLAT_MUST_CHECK int machine_config_load_file(struct machine_config *c, const char *path, struct cpu_preset **keep);
/* "key=value" in one string, as `--set` gives it. */
XLAT_MUST_CHECK int machine_config_set_spec(struct machine_config *c, const char *spec);
/* The value of a key as the listing prints it. 0 or -EINVAL. */
XLAT_MUST_CHECK int machine_config_get(const struct machine_config *c, const char *key, char *buf, size_t len);
/* Checks the whole configuration (the CPU's geometries, RAM sizes against
 * address widths, ...). 0 or -EINVAL with xlat_error(). */
XLAT_MUST_CHECK int machine_config_check(const struct machine_config *c);

/* Forgets that keys were set which do not apply to the current mode (so
 * that a native twin of a VM's configuration passes the check). */
void machine_config_drop_inapplicable(struct machine_config *c);

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
/* "native", "nested", "shadow" -> *m; 0 or -EINVAL. */
XLAT_MUST_CHECK int machine_mode_parse(const char *name, enum machine_mode *m);

/* ---- the machine -------------------------------------------------------- */

struct machine;

/* Builds the machine: 0, or -EINVAL (a bad configuration) / -ENOMEM with
 * xlat_error() saying what. *out is set on success only. */
XLAT_MUST_CHECK int machine_create(const struct machine_config *cfg, struct machine **out);
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
XLAT_MUST_CHECK int machine_run(struct machine *m, struct xlat_source *src, uint64_t max, uint64_t *done);
/* Consumes n records given by the caller (a study's own workload). */
XLAT_MUST_CHECK int machine_feed(struct machine *m, const struct xlat_access *acc, size_t n);

/* Zeroes every counter (TLBs, caches and tables stay as they are): what
 * ran before is warm-up. */
void machine_reset_stats(struct machine *m);

/* ---- between steps ------------------------------------------------------ */

/* Flushes every TLB, paging-structure cache and the nested TLB. */
void machine_flush_tlbs(struct machine *m);
/* Applies one event record (XLAT_EV_MAP / UNMAP / PROTECT / SWITCH) as the
 * OS (or the guest OS) would, shootdowns included. */
XLAT_MUST_CHECK int machine_event(struct machine *m, const struct xlat_access *ev);

/*
 * Dirty logging of the guest's memory between steps (xlat/dirty.h), for
 * studies such as live migration: start logs every page of guest RAM
 * (nested: wp, ad or pml; shadow: wp, which write-protects the shadow
 * entries); sync gets and clears the pages written since the last sync
 * (or the start) into bitmap (a bit per 4 KiB page of guest RAM, the
 * caller's: guest_ram / 4096 bits); stop ends logging. Costs go to the
 * machine's counters (exits) and the log's (dirty_log_stats). 0 / the
 * number of pages, or -errno: -EINVAL with one line for a native or
 * secure machine, a mechanism the mode does not have, pml or ad without
 * ept_ad, a log already on.
 */
XLAT_MUST_CHECK int machine_dirty_log_start(struct machine *m, const struct dirty_config *cfg);
XLAT_MUST_CHECK int64_t machine_dirty_log_sync(struct machine *m, uint64_t *bitmap);
void machine_dirty_log_stop(struct machine *m);
/* The log while one is on, else NULL. */
struct dirty_log *machine_dirty_log(struct machine *m);

/* The parts, for studies that go further (read-only use is the rule;
 * changing them behind the machine's back is the caller's responsibility). */
const struct machine_config *machine_get_config(const struct machine *m);
struct mmu *machine_mmu(struct machine *m);
struct os *machine_os(struct machine *m);       /* native OS or the VM's guest OS */
struct vm *machine_vm(struct machine *m);       /* nested and shadow; else NULL */
struct tee *machine_tee(struct machine *m);     /* secure: the monitor; else NULL */
struct tee_cvm *machine_cvm(struct machine *m); /* secure: the confidential VM; else NULL */
struct phys *machine_host(struct machine *m);

/* ---- results -------------------------------------------------------------- */

struct machine_result {
	/* what ran */
	enum machine_mode mode;
	const char *cpu;                 /* preset name (static storage) */
	enum os_page_policy page_policy, host_page_policy;
	unsigned levels, host_levels;
	uint64_t host_ram, guest_ram;
	unsigned tlb_levels[2];          /* data, fetch (with fetch=0 the fetch side counts nothing) */
	unsigned shared_from;            /* fetch levels >= this are the data side's */
	double base_cycles_per_access, ghz;
	bool cache_data;                 /* the accesses' lines went through the cache model */
	/* counters since the last machine_reset_stats */
	struct mmu_stats mmu;
	struct pcache_stats cache;
	struct os_stats os;
	struct vm_stats vm;
	struct tee_stats tee;            /* secure: the monitor */
	struct tee_cvm_stats cvm;        /* secure: the hypervisor's side of the VM */
	enum tee_model tee_model;
	/* state at collection */
	struct pt_stats tables;          /* native or guest page tables (all processes) */
	struct pt_stats gpa_map;         /* EPT / memslot table */
	struct pt_stats shadow;          /* shadow tables; secure, stage3: the monitor's stage */
	uint64_t sim_host_bytes;         /* host memory the simulated spaces hold */
};

void machine_collect(const struct machine *m, struct machine_result *r);

/* Derived figures, computed once here for every report. */
uint64_t machine_translation_cycles(const struct machine_result *r);   /* TLB hits beyond L1 + walks */
uint64_t machine_fault_exit_cycles(const struct machine_result *r);    /* faults + VM exits */
uint64_t machine_total_cycles(const struct machine_result *r);

enum machine_value_kind {
	MV_COUNT,        /* count */
	MV_RATIO,        /* ratio */
	MV_TEXT,         /* text */
	MV_HIST,         /* hist[64]: walks by references read ([63]: 63 or more) */
	MV_LEVELS,       /* hist[XLAT_MAX_LEVELS + 1]: by paging level, 1..5 */
};

struct machine_value {
	const char *section;             /* heading for text output */
	const char *key;                 /* JSON / CSV name */
	const char *label;               /* text label */
	enum machine_value_kind kind;
	uint64_t count;
	double ratio;
	const char *text;
	const uint64_t *hist;
};

/* Every result, counters and derived figures, in report order. Values that
 * do not apply to the mode (exits natively) are skipped. fn returns
 * non-zero to stop; that value is returned. */
typedef int (*machine_value_fn)(void *ctx, const struct machine_value *v);
int machine_result_foreach(const struct machine_result *r, machine_value_fn fn, void *ctx);

XLAT_API_END

#endif
