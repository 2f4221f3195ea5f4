/*
 * xlat/sim.h — the simulation study behind `xlat sim`: an input (trace or
 * generator) runs through the MMU model natively, under nested paging or
 * under shadow paging, with a demand-paging OS (and a hypervisor) owning the
 * tables. Everything a command can do, a C program can do with this.
 */
#ifndef XLAT_SIM_H
#define XLAT_SIM_H

#include "xlat/hv.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/trace.h"

enum sim_mode { SIM_NATIVE = 0, SIM_NESTED, SIM_SHADOW };

#define SIM_NO_LIMIT UINT64_MAX
/* 64 GiB: more than any run of the generators or the traces we know needs
 * (so no figure changed when the bound came), small enough that a runaway
 * input ends with a clear message instead of taking the machine's memory.
 * Only table pages and touched frames cost real memory. */
#define SIM_DEFAULT_HOST_RAM (64ULL << 30)
/* Smallest RAM a machine may have: 1 MiB of firmware (reserved, as on a PC)
 * and room for the first tables and pages. */
#define SIM_MIN_RAM (2ULL << 20)

struct sim_config {
	enum sim_mode mode;
	struct mmu_config mmu;
	unsigned levels;                 /* native / guest paging levels: 4 or 5 */
	unsigned host_levels;            /* EPT (or memslot table) levels: 4 or 5 */
	enum os_page_policy policy;      /* native / guest OS page policy */
	enum os_page_policy host_policy; /* host pages backing guest memory */
	unsigned host_pa_bits;           /* host MAXPHYADDR */
	uint64_t guest_ram;              /* bytes (nested, shadow); default 64 GiB */
	uint64_t host_ram;               /* bytes of simulated RAM of a native run; default
	                                    SIM_DEFAULT_HOST_RAM. (Under nested or shadow
	                                    paging the host holds what guest_ram needs.) */
	/* Records (accesses and events, as the input yields them) that warm the
	 * TLBs, caches and page tables before counting starts, and records
	 * counted after them (SIM_NO_LIMIT: to the end of the input). The
	 * counters of the result cover the counted records only: for every
	 * additive counter, a run with warmup = N equals a whole run minus a
	 * run with limit = N. */
	uint64_t warmup;
	uint64_t limit;
	bool pcid;                       /* processes tagged by PCID (no flush on switch) */
	bool ept_ad;                     /* EPT A/D flags on */
	bool unsync;                     /* shadow: KVM's unsync leaf pages */
	/* Called every few batches and at the end (may be NULL). */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/* Counters (mmu, cache, os, vm) cover the counted records (after warm-up);
 * table statistics are the state at the end. */
struct sim_result {
	enum sim_mode mode;
	uint64_t warmup_records;         /* records that warmed up (fewer than asked: the input ended) */
	uint64_t records;                /* records counted */
	struct mmu_stats mmu;
	struct pcache_stats cache;
	struct os_stats os;
	struct vm_stats vm;
	struct pt_stats tables;          /* native or guest page tables (all processes) */
	struct pt_stats gpa_map;         /* EPT / memslot table */
	struct pt_stats shadow;          /* shadow tables */
	uint64_t translation_cycles;     /* TLB hits beyond L1 + walks: the cost of translating */
	uint64_t fault_exit_cycles;      /* faults (first touches, shadow fills) + VM exits */
	uint64_t total_cycles;           /* translation_cycles + fault_exit_cycles */
	double base_cycles;              /* pages * base_cycles_per_access */
	double translation_share;        /* translation / (base + total) */
	double seconds;                  /* translation_cycles / GHz */
	uint64_t sim_host_bytes;         /* host memory the simulated spaces hold */
};

/* One simulated machine: host memory, an MMU, and a native OS or a VM
 * (whose guest OS owns the tables), wired as cfg says and attached. */
struct sim_machine {
	struct phys *host;
	struct mmu *mmu;
	struct os *os;      /* native runs */
	struct vm *vm;      /* nested and shadow runs */
};

/* 0 or -errno; on failure nothing is left allocated. */
int sim_machine_boot(struct sim_machine *mc, const struct sim_config *cfg);
void sim_machine_halt(struct sim_machine *mc);
/* The OS that owns the walked tables: the native OS or the VM's guest. */
struct os *sim_machine_os(struct sim_machine *mc);

/* Fills cfg with defaults: native, 4 levels, 4K pages, the given mmu config,
 * 64 GiB of guest RAM, SIM_DEFAULT_HOST_RAM, no warm-up, no limit. */
void sim_config_init(struct sim_config *cfg, const struct mmu_config *mmu);

/* Checks the machine's sizes (RAM a multiple of 4 KiB, at least
 * SIM_MIN_RAM, within the physical address width). 0 or -EINVAL with a
 * message naming the `xlat sim` option. */
int sim_check_config(const struct sim_config *cfg);

/* Runs the input (warm-up, then up to limit records). 0 or -errno (bad
 * input, a failed handler; -ENOMEM with a message naming --host-ram or
 * --guest-ram when the simulated RAM is full). */
int sim_run(const struct sim_config *cfg, struct xlat_source *src, struct sim_result *res);

const char *sim_mode_name(enum sim_mode m);
/* "native", "nested", "shadow" -> *m; 0 or -EINVAL. */
int sim_mode_parse(const char *name, enum sim_mode *m);
/* "4k", "thp" (or "2m"), "1g" -> *p; 0 or -EINVAL. */
int sim_policy_parse(const char *name, enum os_page_policy *p);
const char *sim_policy_name(enum os_page_policy p);

#endif
