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

struct sim_config {
	enum sim_mode mode;
	struct mmu_config mmu;
	unsigned levels;                 /* native / guest paging levels: 4 or 5 */
	unsigned host_levels;            /* EPT (or memslot table) levels: 4 or 5 */
	enum os_page_policy policy;      /* native / guest OS page policy */
	enum os_page_policy host_policy; /* host pages backing guest memory */
	unsigned host_pa_bits;           /* host MAXPHYADDR */
	uint64_t guest_ram;              /* bytes (nested, shadow) */
	bool pcid;                       /* processes tagged by PCID (no flush on switch) */
	bool ept_ad;                     /* EPT A/D flags on */
	bool unsync;                     /* shadow: KVM's unsync leaf pages */
	/* Called every few batches and at the end (may be NULL). */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct sim_result {
	enum sim_mode mode;
	struct mmu_stats mmu;
	struct pcache_stats cache;
	struct os_stats os;
	struct vm_stats vm;
	struct pt_stats tables;          /* native or guest page tables (all processes) */
	struct pt_stats gpa_map;         /* EPT / memslot table */
	struct pt_stats shadow;          /* shadow tables */
	uint64_t translation_cycles;     /* TLB + walks + faults + exits */
	double base_cycles;              /* accesses * base_cycles_per_access */
	double translation_share;        /* translation / (translation + base) */
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

/* Fills cfg with defaults: native, 4 levels, 4K pages, the given mmu config. */
void sim_config_init(struct sim_config *cfg, const struct mmu_config *mmu);

/* Runs the whole input. 0 or -errno (bad input, a failed handler). */
int sim_run(const struct sim_config *cfg, struct xlat_source *src, struct sim_result *res);

const char *sim_mode_name(enum sim_mode m);
/* "native", "nested", "shadow" -> *m; 0 or -EINVAL. */
int sim_mode_parse(const char *name, enum sim_mode *m);
/* "4k", "thp" (or "2m"), "1g" -> *p; 0 or -EINVAL. */
int sim_policy_parse(const char *name, enum os_page_policy *p);
const char *sim_policy_name(enum os_page_policy p);

#endif
