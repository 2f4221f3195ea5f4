/*
 * CPU presets (xlat/cpu.h): the data, and the machinery that lists and
 * overrides every number of it.
 *
 * Citation rules. Every group of numbers carries the reference it comes
 * from. A number we could not find published is marked "estimate" with the
 * reasoning behind it. docs/presets.md repeats the tables for readers.
 *
 * Shared references (short names used in the strings below):
 *  [IOM]    Intel 64 and IA-32 Architectures Optimization Reference Manual,
 *           248966-045 (Feb 2022) / -046+: tables of TLB and cache
 *           parameters per microarchitecture (Skylake client table 2-15).
 *  [SOG17]  AMD Software Optimization Guide for AMD Family 17h Models
 *           30h and Greater Processors (pub. 56305).
 *  [SOG19]  AMD Software Optimization Guide for AMD Family 19h Processors
 *           (pub. 56665), and the Family 19h Models 10h+ (Zen 4) edition.
 *  [7CPU]   7-cpu.com measurement pages (Skylake, Zen2).
 *  [FOG]    Agner Fog, The microarchitecture of Intel, AMD and VIA CPUs.
 *  [C&C]    Chips and Cheese microarchitecture articles (chipsandcheese.com),
 *           by Chester Lam unless noted; the ones measured numbers come from:
 *  [C&C-GMP]  "Tracing Intel's Atom Journey: Goldmont Plus" (2024-06-10):
 *           an L2 TLB hit adds 9 cycles on Skylake, 7 on Zen 2.
 *  [C&C-N1]   "Deep Diving Neoverse N1" (2021-10-22): Zen 2 L2 TLB 7 cycles;
 *           "Zen 2's optimization manual says it has a 64 entry page
 *           directory cache that can hold page-map-level-4 and
 *           page-directory-pointer entries".
 *  [C&C-SNC]  "Sunny Cove: Intel's Lost Generation" (2022-06-07): L1D 5
 *           cycles; L2 (512 KiB) 8 cycles over an L1 hit; L2 TLB latency cut
 *           to Zen 2's level.
 *  [C&C-SPR]  "Sapphire Rapids: Golden Cove Hits Servers" (2023-03-12): L2
 *           16 cycles; L3 ~33 ns; DRAM ~107 ns; an L2 TLB hit adds 7
 *           cycles, as on client Golden Cove; Zen 3 L2 12, L3 ~47 cycles.
 *  [C&C-Z4M]  "AMD's Zen 4, Part 2: Memory Subsystem and Conclusion"
 *           (2022-11-08): L1 DTLB 72, L2 TLB 3072 with a 7-8 cycle
 *           penalty; L2 14 cycles; L3 2 cycles slower than Zen 3's; DRAM
 *           73.35 ns (7950X, DDR5-6000); Ryzen 3950X 72.76 ns (DDR4-3333).
 *  [C&C-Z5L]  "Zen 5's Leaked Slides" (2023-10-08): "Since Zen 1, AMD has
 *           used a 64 entry page directory cache (PDC) that holds page
 *           directory pointer table and page map level 4 entries. L2 TLB
 *           entries can cache page directory entries."
 *  [C&C-Z5M]  "AMD's Strix Point: Zen 5 Hits Mobile" (2024-08-10): L2 ITLB
 *           4x, L1/L2 DTLB +33% over Zen 4; an L2 DTLB hit costs 7 extra
 *           cycles, as on Zen 4; L1D 48 KiB at 4 cycles; L2 14 cycles,
 *           16-way; L3 2-3 cycles slower than Zen 4's.
 *  [C&C-Z5D]  "AMD's Ryzen 9950X: Zen 5 on Desktop" (2024-08-14): 32 MiB L3
 *           per CCD, cache setup otherwise Zen 4's but the L1D; boost 5.72
 *           and 5.49 GHz on the two CCDs; DRAM just over 70 ns (DDR5-6000).
 *  [CPUID18] CPUID leaf 18H, deterministic address translation parameters
 *           (Intel SDM vol. 2A): the processor's own enumeration of its
 *           TLBs. Read from two public dumps: an i7-12700K (Golden Cove;
 *           `cpuid` tool output kept as test data of a Rust CPUID crate)
 *           and an i7-1068NG7 (Sunny Cove; urd00m/System-Projects,
 *           cache_timer/i7_writeup.md). Both list the STLB as two halves of
 *           1024 entries, 8 ways x 128 sets: one holds 4K+2M/4M, the other
 *           4K+1G.
 *  [SOG1A]  Software Optimization Guide for the AMD Zen5 Microarchitecture
 *           (pub. 58455), read through [JIEGEC]'s quotes of it.
 *  [JIEGEC] jiegec, "AMD Zen 5 microarchitecture review" (in Chinese; blog
 *           source jiegec/blog-source, amd_zen5.md, 2024-11): quotes
 *           [SOG1A] (L1 ITLB 64 fully assoc., L2 ITLB 2048 8-way, L1 DTLB
 *           96 fully assoc., L2 DTLB 4096 16-way, L1D 48K 12-way, L2 1 MiB
 *           16-way inclusive >= 14 cycles, L3 16-way exclusive, integer
 *           load-to-use 4-5 cycles) and measures a 9950X: L1 DTLB knee at
 *           96 pages, load-to-use 4 cycles on an L1 DTLB hit, 11 on an L2
 *           DTLB hit; L1D 4, L2 14 cycles.
 *  [DALL16] Dall et al., "ARM Virtualization: Performance and Architectural
 *           Implications", ISCA 2016: KVM x86 hypercall (VM exit + entry)
 *           round trip about 1,300 cycles on Haswell.
 *  [KVMSVM] LKML, "KVM: SVM: ..." (Dec 2020, kernel 5.11 cycle): rdtsc
 *           around VMRUN on an AMD EPYC host, about 1,350 cycles.
 *  [BHAR08] Bhargava et al., "Accelerating Two-Dimensional Page Walks for
 *           Virtualized Systems", ASPLOS 2008: the nested TLB structure.
 *  [BARR10] Barr, Cox, Rixner, "Translation Caching: Skip, Don't Walk (the
 *           Page Table)", ISCA 2010: split vs unified translation caches.
 *  [CLRPG]  Linux, "x86/clear_page: introduce clear_pages()" (Ankur Arora;
 *           commit cb431accb36e, 2026): clearing throughput on AMD Milan,
 *           13.7 GB/s in 4 KiB chunks (how clear_huge_page clears a huge
 *           page), 15.1 in 2 MiB, 38.1 in 1 GiB chunks.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlat/cpu.h"
#include "xlat/mmu.h"
#include "xlat/parse.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)

/* An array holding `sizes`, LRU (hardware uses pseudo-LRU variants nobody
 * documents; exact LRU is the neutral choice, overridable). */
#define ARR(e, w, s) { .entries = (e), .ways = (w), .repl = TLB_LRU, .sizes = (s) }
#define TLB_4K2M (TLB_4K | TLB_2M)

/* The nested TLB: sizes are not published for any Intel or AMD part.
 * [BHAR08] describes the structure (a small cache of GPA -> HPA
 * translations consulted by the 2D walker); we choose 32 fully associative
 * entries, all page sizes: large enough to hold the guest page-table pages
 * of a walk and its neighbours, small like the L1 TLBs it sits beside. */
#define NTLB_DEFAULT { .name = "NTLB", .narrays = 1, .array = { ARR(32, 0, TLB_ALL_SIZES) }, .seed = 1 }
#define SRC_NTLB "estimate: nested-TLB sizes are not published for Intel or AMD; structure from [BHAR08], 32 entries fully associative chosen"

#define SRC_FAULT "estimate: ~1 us per Linux minor fault on a 4 KiB anonymous page, zeroing included (rdtsc microbenchmarks report 0.6-1 us medians on recent kernels), times the clock; a 2 MiB (THP) or 1 GiB fault adds zeroing the rest of its page at 13.7 GB/s ([CLRPG]: huge pages are cleared 4 KiB at a time; AMD Milan), times the clock"
/* Fault costs by page size (cycles): a 4 KiB fault's c4k (about 1 us at
 * the clock), plus, for a 2 MiB or 1 GiB page, zeroing the rest of it at
 * CLEAR_BYTES_PER_NS ([CLRPG]: the kernel clears a huge page 4 KiB at a
 * time, 13.7 GB/s on AMD Milan). A guest's faults cost its kernel the same
 * under nested and shadow paging (the exits and host faults around them
 * are charged apart), and the host backs guest memory at the same prices. */
#define CLEAR_BYTES_PER_NS 13.7
#define FAULT_2M(c4k, ghz) ((unsigned)((c4k) + (2097152.0 - 4096) / CLEAR_BYTES_PER_NS * (ghz)))
#define FAULT_1G(c4k, ghz) ((unsigned)((c4k) + (1073741824.0 - 4096) / CLEAR_BYTES_PER_NS * (ghz)))
#define FAULT_ROW(c4k, ghz) { (c4k), FAULT_2M(c4k, ghz), FAULT_1G(c4k, ghz) }
#define FAULT_COSTS(c4k, ghz)                                                                     \
	.fault = { FAULT_ROW(c4k, ghz), FAULT_ROW(c4k, ghz), FAULT_ROW(c4k, ghz) },                 \
	.host_fault = FAULT_ROW(c4k, ghz),                                                         \
	.src_fault = SRC_FAULT, .src_fault_guest = SRC_FAULT_GUEST, .src_host_fault = SRC_HOST_FAULT
#define SRC_FAULT_GUEST "estimate: a guest OS's fault costs its kernel what a native fault of that page size costs (the same handler and zeroing); the VM exits and host faults around it are charged apart (exit_cycles, host_fault.*)"
#define SRC_HOST_FAULT "estimate: the hypervisor backs guest memory as Linux faults a page of that size into a process (KVM's EPT violation handler gets the page through the host's own fault path; its EPT update is not priced apart); the exit is charged apart (exit_cycles)"
#define SRC_WALK_REF "estimate: 1 cycle per entry beyond its load-to-use latency, for the page-miss handler to check the entry (present, reserved bits, rights) and form the next entry's address; not published (xlat calibrate fits it)"
#define SRC_WALK "estimate: the walk starts when the last TLB level has missed, so it pays that level's lookup (its hit latency) before the first reference"
#define SRC_L1_LATENCY "by definition: an L1 TLB hit overlaps the L1 cache access (its cost is in the load-to-use latency)"
#define SRC_BASE "estimate: 1 cycle of other work per access; workload-dependent, override it"
#define SRC_PWC_INTEL "estimate: Intel documents PML4E/PDPTE/PDE caches (SDM 4.10.3) but not their sizes; 2/4/32 is the configuration used in the MMU-cache literature ([BARR10]; Bhattacharjee, MICRO 2013)"
/* AMD documents the size and what it holds: a 64-entry page directory
 * cache of PML4Es and PDPEs, PDEs going to the L2 DTLB (pwc.style=amd;
 * the unified cache of [BARR10] stays selectable, pwc.style=unified). */
#define SRC_PWC_AMD "[SOG17], [SOG19]: a 64-entry page directory cache (PDC) holding PML4Es and PDPEs, PDEs cached in the L2 DTLB ([C&C-N1] quotes the Zen 2 guide; [C&C-Z5L]: 64 entries since Zen 1): pwc.style=amd; fully associative: estimate"

/* Whether the program's own lines go through the line cache model (a
 * model choice, not a hardware number; docs/model.md). */
#define CACHE_DATA_DEFAULT true
#define SRC_CACHE_DATA "model choice: 1 sends every access's line (data from the L1D, instruction fetches from the L2: no L1I is modelled) through the cache model, where it competes with the page-table lines for capacity; 0 keeps the model to page-table lines (counts-only studies; the speed benchmarks' \"page-table lines only\")"

static const struct cpu_preset presets[] = {
{
	.name = "skylake",
	.aliases = "skl,skylake-client,skl-client,i7-6700k,kaby-lake,coffee-lake",
	.vendor = "Intel",
	.model = "Core i7-6700K (Skylake client, 14 nm, 2015)",
	.source = "[IOM] table 2-15 (TLBs), Skylake client cache table; [7CPU] Skylake",
	.ghz = 4.0,
	.src_clock = "Intel ARK: i7-6700K base 4.0 GHz (turbo 4.2)",
	.data = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 DTLB", .narrays = 3, .seed = 1,
			  .array = { ARR(64, 4, TLB_4K), ARR(32, 4, TLB_2M), ARR(4, 4, TLB_1G) } },
			{ .name = "STLB", .narrays = 2, .seed = 2,
			  .array = { ARR(1536, 12, TLB_4K2M), ARR(16, 4, TLB_1G) } },
		},
		.hit_cycles = { 0, 9 },
	},
	.inst = {
		.nlevels = 1,
		.level = {
			{ .name = "L1 ITLB", .narrays = 2, .seed = 3,
			  .array = { ARR(128, 8, TLB_4K), ARR(8, 0, TLB_2M) } },
		},
		.hit_cycles = { 0 },
	},
	.stlb_shared = true,
	.src_tlb = "[IOM] table 2-15: ITLB 4K 128x8, 2M 8/thread; DTLB 4K 64x4, 2M 32x4, 1G 4x4; STLB 4K+2M 1536x12, 1G 16x4",
	.src_tlb_latency = "[C&C-GMP]: an L2 TLB hit adds 9 cycles on Skylake",
	.pwc = { .style = PWC_SPLIT, .entries = { 0, 0, 32, 4, 2, 0 } },
	.src_pwc = SRC_PWC_INTEL,
	.ntlb = NTLB_DEFAULT,
	.src_ntlb = SRC_NTLB,
	.cache = {
		.level = {
			{ .bytes = 32 * KiB, .ways = 8, .latency = 4 },
			{ .bytes = 256 * KiB, .ways = 4, .latency = 12 },
			{ .bytes = 8 * MiB, .ways = 16, .latency = 44 },
		},
		.mem_latency = 250,
		.line_bytes = 64,
	},
	.src_cache = "[IOM] Skylake client cache table: L1D 32K/8 4 cycles, L2 256K/4 12 cycles, L3 up to 2 MiB/core 16-way 44 cycles (8 MiB on the i7-6700K)",
	.src_mem = "[7CPU] Skylake: RAM latency 42 cycles + 51 ns (DDR4) = ~246 cycles at 4.0 GHz, rounded",
	.cache_data = CACHE_DATA_DEFAULT,
	.src_cache_data = SRC_CACHE_DATA,
	.walk_cycles = 9,
	.src_walk = SRC_WALK,
	.walk_ref_cycles = 1,
	.src_walk_ref = SRC_WALK_REF,
	FAULT_COSTS(4000, 4.0),
	.exit_cycles = 1300,
	.src_exit = "[DALL16]: ~1,300 cycles per KVM hypercall round trip on Haswell; estimate for Skylake",
	.base_cycles_per_access = 1.0,
	.src_base = SRC_BASE,
},
{
	.name = "skylake-sp",
	.aliases = "skx,skylake-server,skylake-x,xeon-8180,cascade-lake,clx",
	.vendor = "Intel",
	.model = "Xeon Platinum 8180 (Skylake-SP, 28 cores, 2017)",
	.source = "[IOM] table 2-15 (TLBs: same core as Skylake client), Skylake server cache table",
	.ghz = 2.5,
	.src_clock = "Intel ARK: Xeon Platinum 8180 base 2.5 GHz (turbo 3.8)",
	.data = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 DTLB", .narrays = 3, .seed = 1,
			  .array = { ARR(64, 4, TLB_4K), ARR(32, 4, TLB_2M), ARR(4, 4, TLB_1G) } },
			{ .name = "STLB", .narrays = 2, .seed = 2,
			  .array = { ARR(1536, 12, TLB_4K2M), ARR(16, 4, TLB_1G) } },
		},
		.hit_cycles = { 0, 9 },
	},
	.inst = {
		.nlevels = 1,
		.level = {
			{ .name = "L1 ITLB", .narrays = 2, .seed = 3,
			  .array = { ARR(128, 8, TLB_4K), ARR(8, 0, TLB_2M) } },
		},
		.hit_cycles = { 0 },
	},
	.stlb_shared = true,
	.src_tlb = "[IOM] table 2-15 (J. McCalpin, Intel forum 2022: the Skylake Xeon TLBs equal the client's; CPUID leaf 2 misreports the STLB as 6-way)",
	.src_tlb_latency = "[C&C-GMP]: an L2 TLB hit adds 9 cycles on Skylake client; the same core: estimate for Skylake-SP",
	.pwc = { .style = PWC_SPLIT, .entries = { 0, 0, 32, 4, 2, 0 } },
	.src_pwc = SRC_PWC_INTEL,
	.ntlb = NTLB_DEFAULT,
	.src_ntlb = SRC_NTLB,
	.cache = {
		.level = {
			{ .bytes = 32 * KiB, .ways = 8, .latency = 4 },
			{ .bytes = 1 * MiB, .ways = 16, .latency = 14 },
			{ .bytes = 28 * 1408 * KiB, .ways = 11, .latency = 70 },
		},
		.mem_latency = 225,
		.line_bytes = 64,
	},
	.src_cache = "[IOM] Skylake server: L2 1 MiB/16 14 cycles, L3 1.375 MiB/core 11-way non-inclusive (38.5 MiB for 28 cores); L3 latency 70 cycles is an estimate (mesh: ~50-70 cycles reported by [C&C]-style measurements)",
	.src_mem = "estimate: ~90 ns local DDR4 at 2.5 GHz",
	.cache_data = CACHE_DATA_DEFAULT,
	.src_cache_data = SRC_CACHE_DATA,
	.walk_cycles = 9,
	.src_walk = SRC_WALK,
	.walk_ref_cycles = 1,
	.src_walk_ref = SRC_WALK_REF,
	FAULT_COSTS(2500, 2.5),
	.exit_cycles = 1300,
	.src_exit = "[DALL16]: ~1,300 cycles per KVM hypercall round trip on Haswell; estimate for Skylake-SP",
	.base_cycles_per_access = 1.0,
	.src_base = SRC_BASE,
},
{
	.name = "icelake",
	.aliases = "icl,ice-lake,icelake-client,sunny-cove,i7-1065g7",
	.vendor = "Intel",
	.model = "Core i7-1065G7 (Ice Lake client, Sunny Cove, 10 nm, 2019)",
	.source = "[IOM] Ice Lake client (Sunny Cove) TLB and cache tables",
	.ghz = 3.9,
	.src_clock = "Intel ARK: i7-1065G7 max turbo 3.9 GHz (base 1.3)",
	.data = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 DTLB", .narrays = 3, .seed = 1,
			  .array = { ARR(64, 4, TLB_4K), ARR(32, 4, TLB_2M), ARR(8, 0, TLB_1G) } },
			{ .name = "STLB", .narrays = 3, .seed = 2,
			  .array = { ARR(2048, 16, TLB_4K), ARR(1024, 8, TLB_2M), ARR(1024, 8, TLB_1G) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.inst = {
		.nlevels = 1,
		.level = {
			{ .name = "L1 ITLB", .narrays = 2, .seed = 3,
			  .array = { ARR(128, 8, TLB_4K), ARR(16, 0, TLB_2M) } },
		},
		.hit_cycles = { 0 },
	},
	.stlb_shared = true,
	.src_tlb = "[IOM] Sunny Cove, confirmed by [CPUID18] on an i7-1068NG7: DTLB loads 4K 64x4, 2M 32x4, 1G 8 fully. STLB ([CPUID18]): two 1024x8 halves, 4K+2M and 4K+1G, so 4K pages get 2048 entries, 2M and 1G 1024 each; modelled as 4K 2048x16, 2M 1024x8, 1G 1024x8 (4K and large pages do not compete for entries: a simplification). ITLB 4K 128x8, 2M 16 fully associative: estimate (the dump's ITLB entry does not decode, and the [IOM] table was not re-read here; 128x8 + 16 are the figures quoted for Sunny Cove, 128x8 is Skylake's ITLB ([IOM] table 2-15), so the former 64x8 + 8 was below Skylake's; Golden Cove has 256x8 + 32x8 ([CPUID18]))",
	.src_tlb_latency = "[C&C-SNC]: Sunny Cove cut L2 TLB latency to Zen 2's level, 7 cycles ([C&C-GMP], [C&C-N1]; Skylake 9); 7 is an estimate from that comparison",
	.pwc = { .style = PWC_SPLIT, .entries = { 0, 0, 32, 4, 2, 1 } },
	.src_pwc = SRC_PWC_INTEL " (+1 PML5E entry for LA57, estimate)",
	.ntlb = NTLB_DEFAULT,
	.src_ntlb = SRC_NTLB,
	.cache = {
		.level = {
			{ .bytes = 48 * KiB, .ways = 12, .latency = 5 },
			{ .bytes = 512 * KiB, .ways = 8, .latency = 13 },
			{ .bytes = 8 * MiB, .ways = 16, .latency = 46 },
		},
		.mem_latency = 390,
		.line_bytes = 64,
	},
	.src_cache = "[IOM] Sunny Cove: L1D 48K/12 5 cycles, L2 512K/8 13 cycles ([C&C-SNC]: L1D 5, L2 8 more than an L1 hit); L3 8 MiB 16-way with ~46-cycle latency is an estimate (~12 ns reported for Ice Lake client)",
	.src_mem = "estimate: ~100 ns LPDDR4X-3733 at 3.9 GHz",
	.cache_data = CACHE_DATA_DEFAULT,
	.src_cache_data = SRC_CACHE_DATA,
	.walk_cycles = 7,
	.src_walk = SRC_WALK,
	.walk_ref_cycles = 1,
	.src_walk_ref = SRC_WALK_REF,
	FAULT_COSTS(3900, 3.9),
	.exit_cycles = 1300,
	.src_exit = "[DALL16]: ~1,300 cycles per KVM hypercall round trip on Haswell; estimate for Ice Lake",
	.base_cycles_per_access = 1.0,
	.src_base = SRC_BASE,
},
{
	.name = "sapphirerapids",
	.aliases = "spr,sapphire-rapids,golden-cove,xeon-8480,emerald-rapids,emr",
	.vendor = "Intel",
	.model = "Xeon Platinum 8480+ (Sapphire Rapids, Golden Cove, 56 cores, 2023)",
	.source = "[IOM] Golden Cove TLB and cache tables; [C&C] Sapphire Rapids",
	.ghz = 3.0,
	.src_clock = "Intel ARK: 8480+ base 2.0, all-core turbo 3.0, max 3.8 GHz; all-core turbo chosen",
	.data = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 DTLB", .narrays = 3, .seed = 1,
			  .array = { ARR(96, 6, TLB_4K), ARR(32, 4, TLB_2M), ARR(8, 0, TLB_1G) } },
			{ .name = "STLB", .narrays = 3, .seed = 2,
			  .array = { ARR(2048, 16, TLB_4K), ARR(1024, 8, TLB_2M), ARR(1024, 8, TLB_1G) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.inst = {
		.nlevels = 1,
		.level = {
			{ .name = "L1 ITLB", .narrays = 2, .seed = 3,
			  .array = { ARR(256, 8, TLB_4K), ARR(32, 8, TLB_2M) } },
		},
		.hit_cycles = { 0 },
	},
	.stlb_shared = true,
	.src_tlb = "[IOM] Golden Cove: ITLB 4K 256x8, 2M 32x8; DTLB loads 4K 96x6, 2M 32x4, 1G 8 fully (ITLB, 2M and 1G DTLB as [CPUID18] on an i7-12700K, which reports the 4K load DTLB as 64x4: 96 is Intel's Golden Cove figure and the knee a TLB-reach sweep finds on a Raptor Cove VM). STLB ([CPUID18]): two 1024x8 halves, 4K+2M and 4K+1G, so 4K pages get 2048 entries, 2M and 1G 1024 each; modelled as 4K 2048x16, 2M 1024x8, 1G 1024x8 (4K and large pages do not compete for entries: a simplification). The former 2M figure, 4K+2M 2048x16, doubled 2M capacity",
	.src_tlb_latency = "[C&C-SPR]: an L2 TLB hit adds 7 cycles on Sapphire Rapids, as on client Golden Cove",
	.pwc = { .style = PWC_SPLIT, .entries = { 0, 0, 32, 4, 2, 1 } },
	.src_pwc = SRC_PWC_INTEL " (+1 PML5E entry for LA57, estimate)",
	.ntlb = NTLB_DEFAULT,
	.src_ntlb = SRC_NTLB,
	.cache = {
		.level = {
			{ .bytes = 48 * KiB, .ways = 12, .latency = 5 },
			{ .bytes = 2 * MiB, .ways = 16, .latency = 16 },
			{ .bytes = 105 * MiB, .ways = 15, .latency = 100 },
		},
		.mem_latency = 320,
		.line_bytes = 64,
	},
	.src_cache = "[IOM] Golden Cove: L1D 48K/12 5 cycles, L2 2 MiB/16 16 cycles ([C&C-SPR] measures 16); LLC 1.875 MiB/core x 56 = 105 MiB 15-way; LLC ~33 ns ([C&C-SPR], a Xeon 8480 run as one cluster) = ~100 cycles at 3.0 GHz (estimate: the mesh does not run at core clock; [C&C-SPR] saw 125 cycles at 3.8 GHz, and 88 at 3.0 GHz on a smaller cluster)",
	.src_mem = "[C&C-SPR]: DRAM latency just above 107 ns on a Xeon 8480 (1 GB array, 2 MB pages; cloud system, DIMMs unknown) = ~321 cycles at 3.0 GHz, rounded",
	.cache_data = CACHE_DATA_DEFAULT,
	.src_cache_data = SRC_CACHE_DATA,
	.walk_cycles = 7,
	.src_walk = SRC_WALK,
	.walk_ref_cycles = 1,
	.src_walk_ref = SRC_WALK_REF,
	FAULT_COSTS(3000, 3.0),
	.exit_cycles = 1300,
	.src_exit = "[DALL16]: ~1,300 cycles per KVM hypercall round trip on Haswell; estimate for Sapphire Rapids",
	.base_cycles_per_access = 1.0,
	.src_base = SRC_BASE,
},
{
	.name = "zen2",
	.aliases = "zen-2,rome,matisse,ryzen-3000,r7-3800x,epyc-7002",
	.vendor = "AMD",
	.model = "Ryzen 7 3800X (Zen 2, 7 nm, 2019)",
	.source = "[SOG17] 2.7 (TLBs, caches); [7CPU] Zen2 (3800X)",
	.ghz = 4.5,
	.src_clock = "AMD: 3800X max boost 4.5 GHz (base 3.9)",
	.data = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 DTLB", .narrays = 1, .seed = 1,
			  .array = { ARR(64, 0, TLB_ALL_SIZES) } },
			{ .name = "L2 DTLB", .narrays = 1, .seed = 2,
			  .array = { ARR(2048, 16, TLB_4K2M) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.inst = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 ITLB", .narrays = 1, .seed = 3,
			  .array = { ARR(64, 0, TLB_ALL_SIZES) } },
			{ .name = "L2 ITLB", .narrays = 1, .seed = 4,
			  .array = { ARR(512, 8, TLB_4K2M) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.stlb_shared = false,
	.src_tlb = "[SOG17], [7CPU] Zen2: L1 DTLB 64 fully assoc. all sizes; L2 DTLB 2048 entries 4K+2M, 1G smashed to 2M (associativity: AMD and WikiChip say 12, which does not divide 2048 - the array is skewed - so 16 ways / 128 sets is an estimate); L1 ITLB 64 fully all sizes; L2 ITLB 512x8 4K+2M",
	.src_tlb_latency = "[C&C-N1], [C&C-GMP]: an L2 DTLB hit adds 7 cycles on Zen 2 (the L2 ITLB's: estimate, the same)",
	.pwc = { .style = PWC_AMD, .unified_entries = 64, .unified_ways = 0 },
	.src_pwc = SRC_PWC_AMD,
	.ntlb = NTLB_DEFAULT,
	.src_ntlb = SRC_NTLB,
	.cache = {
		.level = {
			{ .bytes = 32 * KiB, .ways = 8, .latency = 4 },
			{ .bytes = 512 * KiB, .ways = 8, .latency = 12 },
			{ .bytes = 16 * MiB, .ways = 16, .latency = 39 },
		},
		.mem_latency = 330,
		.line_bytes = 64,
	},
	.src_cache = "[7CPU] Zen2 / [SOG17]: L1D 32K/8 4 cycles, L2 512K/8 12 cycles, L3 16 MiB per CCX 16-way (a victim cache, modelled inclusive) ~39 cycles (estimate from [7CPU]-style measurements)",
	.src_mem = "[C&C-Z4M]: a Ryzen 3950X (Zen 2, same CCD) measures 72.76 ns with DDR4-3333 = ~327 cycles at 4.5 GHz, rounded (estimate for other memory setups)",
	.cache_data = CACHE_DATA_DEFAULT,
	.src_cache_data = SRC_CACHE_DATA,
	.walk_cycles = 7,
	.src_walk = SRC_WALK,
	.walk_ref_cycles = 1,
	.src_walk_ref = SRC_WALK_REF,
	FAULT_COSTS(4500, 4.5),
	.exit_cycles = 1350,
	.src_exit = "[KVMSVM]: ~1,350 cycles across VMRUN/#VMEXIT measured with rdtsc on AMD EPYC (estimate for Zen 2)",
	.base_cycles_per_access = 1.0,
	.src_base = SRC_BASE,
},
{
	.name = "zen3",
	.aliases = "zen-3,milan,vermeer,ryzen-5000,r9-5950x,epyc-7003",
	.vendor = "AMD",
	.model = "Ryzen 9 5950X (Zen 3, 7 nm, 2020)",
	.source = "[SOG19] 2.7 (TLBs, caches); [C&C] Zen 3",
	.ghz = 4.9,
	.src_clock = "AMD: 5950X max boost 4.9 GHz (base 3.4)",
	.data = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 DTLB", .narrays = 1, .seed = 1,
			  .array = { ARR(64, 0, TLB_ALL_SIZES) } },
			{ .name = "L2 DTLB", .narrays = 1, .seed = 2,
			  .array = { ARR(2048, 16, TLB_4K2M) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.inst = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 ITLB", .narrays = 1, .seed = 3,
			  .array = { ARR(64, 0, TLB_ALL_SIZES) } },
			{ .name = "L2 ITLB", .narrays = 1, .seed = 4,
			  .array = { ARR(512, 8, TLB_4K2M) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.stlb_shared = false,
	.src_tlb = "[SOG19]: L1 DTLB 64 fully assoc. all sizes; L2 DTLB 2048 entries 4K+2M, 1G smashed to 2M (16-way: estimate); L1 ITLB 64 fully; L2 ITLB 512x8 4K+2M",
	.src_tlb_latency = "estimate: L2 TLB hit 7 cycles, as measured on Zen 2 ([C&C-N1]) and Zen 4 ([C&C-Z4M], [C&C-Z5M])",
	.pwc = { .style = PWC_AMD, .unified_entries = 64, .unified_ways = 0 },
	.src_pwc = SRC_PWC_AMD,
	.ntlb = NTLB_DEFAULT,
	.src_ntlb = SRC_NTLB,
	.cache = {
		.level = {
			{ .bytes = 32 * KiB, .ways = 8, .latency = 4 },
			{ .bytes = 512 * KiB, .ways = 8, .latency = 12 },
			{ .bytes = 32 * MiB, .ways = 16, .latency = 47 },
		},
		.mem_latency = 380,
		.line_bytes = 64,
	},
	.src_cache = "[SOG19]: L1D 32K/8 4 cycles, L2 512K/8 12 cycles ([C&C-SPR] measures 12), L3 32 MiB per CCD 16-way (victim cache, modelled inclusive); L3 ~47 cycles ([C&C-SPR])",
	.src_mem = "estimate: ~78 ns DDR4-3200 at 4.9 GHz",
	.cache_data = CACHE_DATA_DEFAULT,
	.src_cache_data = SRC_CACHE_DATA,
	.walk_cycles = 7,
	.src_walk = SRC_WALK,
	.walk_ref_cycles = 1,
	.src_walk_ref = SRC_WALK_REF,
	FAULT_COSTS(4900, 4.9),
	.exit_cycles = 1350,
	.src_exit = "[KVMSVM]: ~1,350 cycles across VMRUN/#VMEXIT on AMD EPYC (estimate for Zen 3)",
	.base_cycles_per_access = 1.0,
	.src_base = SRC_BASE,
},
{
	.name = "zen4",
	.aliases = "zen-4,genoa,raphael,ryzen-7000,r9-7950x,epyc-9004",
	.vendor = "AMD",
	.model = "Ryzen 9 7950X (Zen 4, 5 nm, 2022)",
	.source = "[SOG19] Family 19h Models 10h+ (Zen 4) edition; [C&C] Zen 4",
	.ghz = 5.7,
	.src_clock = "AMD: 7950X max boost 5.7 GHz (base 4.5)",
	.data = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 DTLB", .narrays = 1, .seed = 1,
			  .array = { ARR(72, 0, TLB_ALL_SIZES) } },
			{ .name = "L2 DTLB", .narrays = 1, .seed = 2,
			  .array = { ARR(3072, 24, TLB_4K2M) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.inst = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 ITLB", .narrays = 1, .seed = 3,
			  .array = { ARR(64, 0, TLB_ALL_SIZES) } },
			{ .name = "L2 ITLB", .narrays = 1, .seed = 4,
			  .array = { ARR(512, 8, TLB_4K2M) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.stlb_shared = false,
	.src_tlb = "[SOG19] Zen 4: L1 DTLB 72 fully assoc. all sizes; L2 DTLB 3072x24 (1G held as 2M: estimate); L1 ITLB 64 fully; L2 ITLB 512x8 4K+2M ([C&C-Z4M] measures 72 and 3072; [C&C-Z5M]: Zen 5's L2 ITLB is 4x this one)",
	.src_tlb_latency = "[C&C-Z4M]: an L2 DTLB hit costs 7-8 cycles; [C&C-Z5M]: 7 (the L2 ITLB's: estimate, the same)",
	.pwc = { .style = PWC_AMD, .unified_entries = 64, .unified_ways = 0 },
	.src_pwc = SRC_PWC_AMD,
	.ntlb = NTLB_DEFAULT,
	.src_ntlb = SRC_NTLB,
	.cache = {
		.level = {
			{ .bytes = 32 * KiB, .ways = 8, .latency = 4 },
			{ .bytes = 1 * MiB, .ways = 8, .latency = 14 },
			{ .bytes = 32 * MiB, .ways = 16, .latency = 50 },
		},
		.mem_latency = 420,
		.line_bytes = 64,
	},
	.src_cache = "[SOG19] Zen 4: L1D 32K/8 4 cycles, L2 1 MiB/8 14 cycles ([C&C-Z4M] measures 14), L3 32 MiB per CCD 16-way (victim cache, modelled inclusive); L3 ~50 cycles ([C&C-Z4M]: 2 cycles more than Zen 3's ~47 ([C&C-SPR]); 49-50: estimate)",
	.src_mem = "[C&C-Z4M]: 73.35 ns on a 7950X with DDR5-6000 (1 GB test) = ~418 cycles at 5.7 GHz, rounded (estimate for other memory setups)",
	.cache_data = CACHE_DATA_DEFAULT,
	.src_cache_data = SRC_CACHE_DATA,
	.walk_cycles = 7,
	.src_walk = SRC_WALK,
	.walk_ref_cycles = 1,
	.src_walk_ref = SRC_WALK_REF,
	FAULT_COSTS(5700, 5.7),
	.exit_cycles = 1350,
	.src_exit = "[KVMSVM]: ~1,350 cycles across VMRUN/#VMEXIT on AMD EPYC (estimate for Zen 4)",
	.base_cycles_per_access = 1.0,
	.src_base = SRC_BASE,
},
{
	.name = "zen5",
	.aliases = "zen-5,granite-ridge,turin,ryzen-9000,r9-9950x,epyc-9005",
	.vendor = "AMD",
	.model = "Ryzen 9 9950X (Zen 5, 4 nm, 2024)",
	.source = "[SOG1A] via [JIEGEC]; [C&C-Z5M], [C&C-Z5D]",
	.ghz = 5.7,
	.src_clock = "AMD: 9950X max boost 5.7 GHz (base 4.3); [C&C-Z5D] measured 5.72 GHz on one CCD, 5.49 on the other",
	.data = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 DTLB", .narrays = 1, .seed = 1,
			  .array = { ARR(96, 0, TLB_ALL_SIZES) } },
			{ .name = "L2 DTLB", .narrays = 1, .seed = 2,
			  .array = { ARR(4096, 16, TLB_4K2M) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.inst = {
		.nlevels = 2,
		.level = {
			{ .name = "L1 ITLB", .narrays = 1, .seed = 3,
			  .array = { ARR(64, 0, TLB_ALL_SIZES) } },
			{ .name = "L2 ITLB", .narrays = 1, .seed = 4,
			  .array = { ARR(2048, 8, TLB_4K2M) } },
		},
		.hit_cycles = { 0, 7 },
	},
	.stlb_shared = false,
	.src_tlb = "[SOG1A] via [JIEGEC]: L1 DTLB 96 fully assoc., L2 DTLB 4096 16-way, L1 ITLB 64 fully assoc., L2 ITLB 2048 8-way ([C&C-Z5M]: +33% and 4x over Zen 4; [JIEGEC] finds the 96-page knee on a 9950X). Page sizes: the L1 TLBs hold all sizes; the L2 TLBs 4K+2M with 1G splintered to 2M, as on earlier Zen: estimate (how Zen 5's L2 DTLB holds 1G pages was not found)",
	.src_tlb_latency = "[C&C-Z5M]: an L2 DTLB hit costs 7 extra cycles, as on Zen 4; [JIEGEC]: 11-cycle load-to-use on an L2 DTLB hit vs 4 on an L1 hit (the L2 ITLB's: estimate, the same)",
	.pwc = { .style = PWC_AMD, .unified_entries = 64, .unified_ways = 0 },
	.src_pwc = "estimate: earlier Zen have a 64-entry page directory cache of PML4Es and PDPEs, PDEs in the L2 DTLB ([SOG17], [SOG19], [C&C-Z5L]); no Zen 5 size was found (a leaked Zen 5 slide promised a larger page walk cache, [C&C-Z5L]), so 64 and the same semantics are assumed; modelled as earlier Zen's (pwc.style=amd), fully associative",
	.ntlb = NTLB_DEFAULT,
	.src_ntlb = SRC_NTLB,
	.cache = {
		.level = {
			{ .bytes = 48 * KiB, .ways = 12, .latency = 4 },
			{ .bytes = 1 * MiB, .ways = 16, .latency = 14 },
			{ .bytes = 32 * MiB, .ways = 16, .latency = 50 },
		},
		.mem_latency = 400,
		.line_bytes = 64,
	},
	.src_cache = "[SOG1A] via [JIEGEC]: L1D 48K/12, L2 1 MiB/16 inclusive >= 14 cycles, L3 16-way victim (modelled inclusive) of 32 MiB per CCD ([C&C-Z5D]); L1D 4 cycles and L2 14 measured ([C&C-Z5M], [JIEGEC]; the guide gives 4-5 for integer loads: +1 with an index register or across 64 bytes); L3 ~50 cycles: estimate (desktop Zen 5 keeps Zen 4's L3 ([C&C-Z5D]); mobile Zen 5's 16 MiB L3 is 2-3 cycles slower than Zen 4's ([C&C-Z5M]))",
	.src_mem = "[C&C-Z5D]: just over 70 ns on a 9950X with DDR5-6000 = ~400 cycles at 5.7 GHz (estimate for other memory setups)",
	.cache_data = CACHE_DATA_DEFAULT,
	.src_cache_data = SRC_CACHE_DATA,
	.walk_cycles = 7,
	.src_walk = SRC_WALK,
	.walk_ref_cycles = 1,
	.src_walk_ref = SRC_WALK_REF,
	FAULT_COSTS(5700, 5.7),
	.exit_cycles = 1350,
	.src_exit = "[KVMSVM]: ~1,350 cycles across VMRUN/#VMEXIT on AMD EPYC (estimate for Zen 5)",
	.base_cycles_per_access = 1.0,
	.src_base = SRC_BASE,
},
};

#define NPRESETS (sizeof presets / sizeof presets[0])

/* ---- lookup -------------------------------------------------------------- */

const struct cpu_preset *cpu_preset_list(size_t *n)
{
	if (n)
		*n = NPRESETS;
	return presets;
}

const struct cpu_preset *cpu_preset_default(void)
{
	return cpu_preset_by_name(CPU_DEFAULT_PRESET);
}

/* Is name one of the comma-separated words of list (case-insensitive)? */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

const struct cpu_preset *cpu_preset_by_name(const char *name)
{
	char known[256] = "";

	if (name && *name)
		for (size_t i = 0; i < NPRESETS; i++)
			if (!strcasecmp(presets[i].name, name) || in_list(presets[i].aliases, name))
				return &presets[i];
	for (size_t i = 0; i < NPRESETS; i++) {
		size_t n = strlen(known);
		snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "", presets[i].name);
	}
	xlat_fail(-EINVAL, "unknown CPU preset '%s' (known: %s)", name ? name : "", known);
	return NULL;
}

/* ---- parameters ------------------------------------------------------------
 * Two kinds: scalars (a table of key, type and offsets into the preset) and
 * TLB arrays (LEVEL[.SIZE].FIELD, resolved against the preset's levels). */

enum ptype { T_UINT, T_DOUBLE, T_BYTES, T_BOOL, T_PWCSTYLE, T_REPL, T_SIZES };

struct scalar {
	const char *key;
	const char *alias;      /* or NULL */
	enum ptype type;
	size_t off;             /* of the value in struct cpu_preset */
	size_t src;             /* of its `const char *` source */
};

#define S(k, a, t, field, srcfield) \
	{ k, a, t, offsetof(struct cpu_preset, field), offsetof(struct cpu_preset, srcfield) }

static const struct scalar scalars[] = {
	S("ghz", "clock.ghz", T_DOUBLE, ghz, src_clock),
	S("stlb.shared", NULL, T_BOOL, stlb_shared, src_tlb),
	S("pwc.style", NULL, T_PWCSTYLE, pwc.style, src_pwc),
	S("pwc.pde", NULL, T_UINT, pwc.entries[2], src_pwc),
	S("pwc.pdpte", NULL, T_UINT, pwc.entries[3], src_pwc),
	S("pwc.pml4e", NULL, T_UINT, pwc.entries[4], src_pwc),
	S("pwc.pml5e", NULL, T_UINT, pwc.entries[5], src_pwc),
	S("pwc.entries", NULL, T_UINT, pwc.unified_entries, src_pwc),
	S("pwc.ways", NULL, T_UINT, pwc.unified_ways, src_pwc),
	S("ntlb.entries", NULL, T_UINT, ntlb.array[0].entries, src_ntlb),
	S("ntlb.ways", NULL, T_UINT, ntlb.array[0].ways, src_ntlb),
	S("ntlb.repl", NULL, T_REPL, ntlb.array[0].repl, src_ntlb),
	S("ntlb.sizes", NULL, T_SIZES, ntlb.array[0].sizes, src_ntlb),
	S("cache.l1d.size", NULL, T_BYTES, cache.level[0].bytes, src_cache),
	S("cache.l1d.ways", NULL, T_UINT, cache.level[0].ways, src_cache),
	S("cache.l1d.latency", NULL, T_UINT, cache.level[0].latency, src_cache),
	S("cache.l2.size", NULL, T_BYTES, cache.level[1].bytes, src_cache),
	S("cache.l2.ways", NULL, T_UINT, cache.level[1].ways, src_cache),
	S("cache.l2.latency", NULL, T_UINT, cache.level[1].latency, src_cache),
	S("cache.llc.size", "cache.l3.size", T_BYTES, cache.level[2].bytes, src_cache),
	S("cache.llc.ways", "cache.l3.ways", T_UINT, cache.level[2].ways, src_cache),
	S("cache.llc.latency", "cache.l3.latency", T_UINT, cache.level[2].latency, src_cache),
	S("cache.line", NULL, T_UINT, cache.line_bytes, src_cache),
	S("mem_latency", "cache.mem_latency", T_UINT, cache.mem_latency, src_mem),
	S("cache.data", NULL, T_BOOL, cache_data, src_cache_data),
	S("walk_cycles", NULL, T_UINT, walk_cycles, src_walk),
	S("walk_ref_cycles", NULL, T_UINT, walk_ref_cycles, src_walk_ref),
	S("fault.4k", "fault_cycles", T_UINT, fault[0][0], src_fault),
	S("fault.2m", NULL, T_UINT, fault[0][1], src_fault),
	S("fault.1g", NULL, T_UINT, fault[0][2], src_fault),
	S("fault.nested.4k", NULL, T_UINT, fault[1][0], src_fault_guest),
	S("fault.nested.2m", NULL, T_UINT, fault[1][1], src_fault_guest),
	S("fault.nested.1g", NULL, T_UINT, fault[1][2], src_fault_guest),
	S("fault.shadow.4k", NULL, T_UINT, fault[2][0], src_fault_guest),
	S("fault.shadow.2m", NULL, T_UINT, fault[2][1], src_fault_guest),
	S("fault.shadow.1g", NULL, T_UINT, fault[2][2], src_fault_guest),
	S("host_fault.4k", NULL, T_UINT, host_fault[0], src_host_fault),
	S("host_fault.2m", NULL, T_UINT, host_fault[1], src_host_fault),
	S("host_fault.1g", NULL, T_UINT, host_fault[2], src_host_fault),
	S("exit_cycles", NULL, T_UINT, exit_cycles, src_exit),
	S("base_cycles_per_access", NULL, T_DOUBLE, base_cycles_per_access, src_base),
};

#define NSCALARS (sizeof scalars / sizeof scalars[0])
_Static_assert(NSCALARS <= 64, "ovr_scalar has 64 bits");

enum tfield { F_ENTRIES, F_WAYS, F_REPL, F_SIZES, F_LATENCY, F_HASH };
static const char *const tfield_name[] = { "entries", "ways", "repl", "sizes", "latency", "hash" };

/* The TLB levels by key: side (0 data, 1 instruction) and level index. */
static const struct { const char *key; const char *alias; int side, level; const char *hw_name; } tlb_levels[] = {
	{ "l1d", NULL, 0, 0, "L1 DTLB" },
	{ "stlb", "l2d", 0, 1, "STLB" },
	{ "l3d", NULL, 0, 2, "L3 DTLB" },
	{ "l1i", NULL, 1, 0, "L1 ITLB" },
	{ "l2i", NULL, 1, 1, "L2 ITLB" },
	{ "l3i", NULL, 1, 2, "L3 ITLB" },
};

#define NLEVEL_KEYS (sizeof tlb_levels / sizeof tlb_levels[0])

/* The entry of tlb_levels for a side and level. */
static unsigned level_key(int side, int level)
{
	for (unsigned i = 0; i < NLEVEL_KEYS; i++)
		if (tlb_levels[i].side == side && tlb_levels[i].level == level)
			return i;
	XLAT_BUG("no key for side %d level %d", side, level);
}


/* A resolved key. */
struct pref {
	const struct scalar *s;         /* scalar, or NULL for a TLB key */
	unsigned si;                    /* its index */
	int side, level, size;          /* TLB: size -1 when not named */
	int array;                      /* -1: no array holds `size` / no such level */
	enum tfield field;
	const char *lkey;               /* the level's key as the user spelt it */
};

static struct cpu_tlb_side *side_of(struct cpu_preset *p, int side)
{
	return side ? &p->inst : &p->data;
}

static const struct cpu_tlb_side *cside_of(const struct cpu_preset *p, int side)
{
	return side ? &p->inst : &p->data;
}

/* The array of a level holding size s (first match), or -1. */
static int array_holding(const struct tlb_config *c, int s)
{
	for (unsigned i = 0; i < c->narrays; i++)
		if (c->array[i].sizes & (1u << s))
			return (int)i;
	return -1;
}

static int resolve(const struct cpu_preset *p, const char *key, struct pref *r)
{
	char buf[64], *tok[4], *save = NULL;
	int n = 0;

	memset(r, 0, sizeof *r);
	if (!key || !*key)
		return xlat_fail(-EINVAL, "empty parameter name");
	for (unsigned i = 0; i < NSCALARS; i++)
		if (!strcasecmp(key, scalars[i].key) || (scalars[i].alias && !strcasecmp(key, scalars[i].alias))) {
			r->s = &scalars[i];
			r->si = i;
			return 0;
		}
	if (strlen(key) >= sizeof buf)
		return xlat_fail(-EINVAL, "unknown parameter '%.40s...'", key);
	strcpy(buf, key);
	for (char *t = strtok_r(buf, ".", &save); t && n < 4; t = strtok_r(NULL, ".", &save))
		tok[n++] = t;
	if (n < 2 || n > 3)
		goto unknown;

	int li = -1;
	for (unsigned i = 0; i < NLEVEL_KEYS; i++)
		if (!strcasecmp(tok[0], tlb_levels[i].key) || (tlb_levels[i].alias && !strcasecmp(tok[0], tlb_levels[i].alias)))
			li = (int)i;
	if (li < 0)
		goto unknown;
	r->side = tlb_levels[li].side;
	r->level = tlb_levels[li].level;
	r->lkey = tlb_levels[li].key;
	r->size = -1;
	if (n == 3) {
		for (int s = 0; s < 3; s++)
			if (!strcasecmp(tok[1], xlat_psize_name((unsigned)s)))
				r->size = s;
		if (r->size < 0)
			return xlat_fail(-EINVAL, "parameter '%s': unknown page size '%s' (4k, 2m or 1g)", key, tok[1]);
	}
	const char *f = tok[n - 1];
	unsigned nf = sizeof tfield_name / sizeof tfield_name[0];
	for (r->field = 0; r->field < nf && strcasecmp(f, tfield_name[r->field]); r->field++)
		;
	if (r->field == nf)
		return xlat_fail(-EINVAL, "parameter '%s': unknown field '%s' (entries, ways, repl, sizes, hash or latency)",
				 key, f);
	if (r->field == F_LATENCY && r->size >= 0)
		return xlat_fail(-EINVAL, "parameter '%s': latency belongs to the level: use %s.latency", key, r->lkey);
	if (r->side == 1 && r->level >= (int)p->inst.nlevels && p->stlb_shared)
		return xlat_fail(-EINVAL, "parameter '%s': on %s the ITLB misses into the shared STLB: set stlb.* (or stlb.shared=0 first)",
				 key, p->name);

	const struct cpu_tlb_side *sd = cside_of(p, r->side);
	r->array = -1;
	if ((unsigned)r->level < sd->nlevels && r->field != F_LATENCY)
		r->array = r->size >= 0 ? array_holding(&sd->level[r->level], r->size) : 0;
	return 0;
unknown:
	return xlat_fail(-EINVAL, "unknown parameter '%s' (see `xlat sim --list-params` or docs/presets.md)", key);
}

bool cpu_key_exists(const char *key)
{
	char buf[64];

	if (!key || !*key || strlen(key) >= sizeof buf)
		return false;
	for (unsigned i = 0; i < NSCALARS; i++)
		if (!strcasecmp(key, scalars[i].key) || (scalars[i].alias && !strcasecmp(key, scalars[i].alias)))
			return true;
	/* LEVEL[.SIZE].FIELD: the level names it (the rest is checked when
	 * it is set). */
	const char *dot = strchr(key, '.');
	if (!dot)
		return false;
	memcpy(buf, key, (size_t)(dot - key));
	buf[dot - key] = 0;
	for (unsigned i = 0; i < NLEVEL_KEYS; i++)
		if (!strcasecmp(buf, tlb_levels[i].key) || (tlb_levels[i].alias && !strcasecmp(buf, tlb_levels[i].alias)))
			return true;
	return false;
}

/* ---- value formatting and parsing --------------------------------------- */

static void fmt_sizes(unsigned sizes, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (int s = 0; s < 3; s++)
		if (sizes & (1u << s))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "+" : "", xlat_psize_name((unsigned)s));
	if (!n)
		snprintf(buf, len, "none");
}

/* Bytes in the largest binary unit that divides them, re-parseable. */
static void fmt_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (b && u < 4 && (b & 1023) == 0) {
		b >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)b, unit[u]);
}

static const char *style_name(enum pwc_style s)
{
	return s == PWC_SPLIT ? "split" : s == PWC_UNIFIED ? "unified" : s == PWC_AMD ? "amd" : "none";
}

static int parse_uint(const char *key, const char *v, unsigned *out)
{
	uint64_t x;
	if (xlat_parse_count(v, &x) || x > 0xffffffffu)
		return xlat_fail(-EINVAL, "%s: '%s' is not a whole number (0..4294967295)", key, v ? v : "");
	*out = (unsigned)x;
	return 0;
}

static int parse_sizes(const char *key, const char *v, unsigned *out)
{
	char buf[32], *save = NULL;
	unsigned m = 0;

	if (!v || !*v || strlen(v) >= sizeof buf)
		return xlat_fail(-EINVAL, "%s: expected page sizes like 4k+2m or all", key);
	if (!strcasecmp(v, "all")) {
		*out = TLB_ALL_SIZES;
		return 0;
	}
	strcpy(buf, v);
	for (char *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save)) {
		int s = -1;
		for (int i = 0; i < 3; i++)
			if (!strcasecmp(t, xlat_psize_name((unsigned)i)))
				s = i;
		if (s < 0)
			return xlat_fail(-EINVAL, "%s: unknown page size '%s' in '%s' (4k, 2m, 1g joined by +, or all)",
					 key, t, v);
		m |= 1u << s;
	}
	if (!m || v[strlen(v) - 1] == '+' || v[0] == '+')
		return xlat_fail(-EINVAL, "%s: expected page sizes like 4k+2m or all, not '%s'", key, v);
	*out = m;
	return 0;
}

static int parse_repl(const char *key, const char *v, enum tlb_repl *out)
{
	static const enum tlb_repl all[] = { TLB_LRU, TLB_PLRU, TLB_RANDOM };
	for (unsigned i = 0; i < 3; i++)
		if (v && !strcasecmp(v, tlb_repl_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return xlat_fail(-EINVAL, "%s: unknown replacement '%s' (lru, plru or random)", key, v ? v : "");
}

static int parse_double(const char *key, const char *v, double *out)
{
	if (!v || !*v)
		return xlat_fail(-EINVAL, "%s: expected a number", key);
	if (xlat_parse_real(v, 1e12, out))
		return xlat_fail(-EINVAL, "%s: '%s' is not a non-negative number", key, v);
	return 0;
}

/* A boolean key: the parse module's message after the key's name. */
static int parse_bool(const char *key, const char *v, bool *out)
{
	if (xlat_parse_bool(v, out))
		return xlat_fail(-EINVAL, "%s: %s", key, xlat_error());
	return 0;
}

static void fmt_scalar(const struct cpu_preset *p, const struct scalar *s, char *buf, size_t len)
{
	const char *base = (const char *)p + s->off;

	switch (s->type) {
	case T_UINT: snprintf(buf, len, "%u", *(const unsigned *)base); break;
	case T_DOUBLE: snprintf(buf, len, "%g", *(const double *)base); break;
	case T_BYTES: fmt_bytes(*(const uint64_t *)base, buf, len); break;
	case T_BOOL: snprintf(buf, len, "%d", *(const bool *)base ? 1 : 0); break;
	case T_PWCSTYLE: snprintf(buf, len, "%s", style_name(*(const enum pwc_style *)base)); break;
	case T_REPL: snprintf(buf, len, "%s", tlb_repl_name(*(const enum tlb_repl *)base)); break;
	case T_SIZES: fmt_sizes(*(const unsigned *)base, buf, len); break;
	}
}

static int set_scalar(struct cpu_preset *p, const struct scalar *s, const char *key, const char *v)
{
	char *base = (char *)p + s->off;

	switch (s->type) {
	case T_UINT: return parse_uint(key, v, (unsigned *)base);
	case T_DOUBLE: return parse_double(key, v, (double *)base);
	case T_BYTES: {
		uint64_t b;
		if (xlat_parse_size(v, &b))
			return xlat_fail(-EINVAL, "%s: '%s' is not a size (e.g. 32k, 1MiB, 0 for none)", key, v ? v : "");
		*(uint64_t *)base = b;
		return 0;
	}
	case T_BOOL: return parse_bool(key, v, (bool *)base);
	case T_PWCSTYLE:
		if (v && !strcasecmp(v, "none"))
			*(enum pwc_style *)base = PWC_NONE;
		else if (v && !strcasecmp(v, "split"))
			*(enum pwc_style *)base = PWC_SPLIT;
		else if (v && !strcasecmp(v, "unified"))
			*(enum pwc_style *)base = PWC_UNIFIED;
		else if (v && !strcasecmp(v, "amd"))
			*(enum pwc_style *)base = PWC_AMD;
		else
			return xlat_fail(-EINVAL, "%s: unknown style '%s' (none, split, unified or amd)", key, v ? v : "");
		return 0;
	case T_REPL: return parse_repl(key, v, (enum tlb_repl *)base);
	case T_SIZES: return parse_sizes(key, v, (unsigned *)base);
	}
	XLAT_BUG("scalar type %d", (int)s->type);
}

/* ---- TLB parameters --------------------------------------------------------- */

static void fmt_tlb(const struct cpu_preset *p, const struct pref *r, char *buf, size_t len)
{
	const struct cpu_tlb_side *sd = cside_of(p, r->side);
	if (r->field == F_LATENCY) {
		snprintf(buf, len, "%u", sd->hit_cycles[r->level]);
		return;
	}
	const struct tlb_array_config *a = &sd->level[r->level].array[r->array];
	switch (r->field) {
	case F_ENTRIES: snprintf(buf, len, "%u", a->entries); break;
	case F_WAYS: snprintf(buf, len, "%u", a->ways); break;
	case F_REPL: snprintf(buf, len, "%s", tlb_repl_name(a->repl)); break;
	case F_SIZES: fmt_sizes(a->sizes, buf, len); break;
	case F_HASH: snprintf(buf, len, "%d", a->hash ? 1 : 0); break;
	default: break;
	}
}

static void remove_array(struct cpu_preset *p, int side, int level, int i)
{
	struct tlb_config *c = &side_of(p, side)->level[level];
	uint32_t *ov = p->ovr_tlb[side][level];

	for (unsigned j = (unsigned)i; j + 1 < c->narrays; j++) {
		c->array[j] = c->array[j + 1];
		ov[j] = ov[j + 1];
	}
	c->narrays--;
	memset(&c->array[c->narrays], 0, sizeof c->array[0]);
	ov[c->narrays] = 0;
}

static int set_tlb(struct cpu_preset *p, const struct pref *r, const char *key, const char *v)
{
	struct cpu_tlb_side *sd = side_of(p, r->side);
	bool exists = (unsigned)r->level < sd->nlevels;
	unsigned u = 0;
	int rc;

	if (r->field == F_LATENCY) {
		if (!exists)
			return xlat_fail(-EINVAL, "%s: %s has no %s level (set %s.entries to add one)",
					 key, p->name, r->lkey, r->lkey);
		rc = parse_uint(key, v, &sd->hit_cycles[r->level]);
		if (!rc)
			p->ovr_level[r->side][r->level] |= 1u << F_LATENCY;
		return rc;
	}
	if (r->array < 0 && r->field != F_ENTRIES) {
		if (!exists)
			return xlat_fail(-EINVAL, "%s: %s has no %s level (set %s.entries to add one)",
					 key, p->name, r->lkey, r->lkey);
		return xlat_fail(-EINVAL, "%s: no %s array holds %s pages (set %s.%s.entries to add one)",
				 key, r->lkey, xlat_psize_name((unsigned)r->size), r->lkey, xlat_psize_name((unsigned)r->size));
	}

	struct tlb_array_config *a = r->array >= 0 ? &sd->level[r->level].array[r->array] : NULL;
	uint32_t *ov = r->array >= 0 ? &p->ovr_tlb[r->side][r->level][r->array] : NULL;
	switch (r->field) {
	case F_ENTRIES:
		if ((rc = parse_uint(key, v, &u)))
			return rc;
		if (a && u) {
			a->entries = u;
			*ov |= 1u << F_ENTRIES;
			return 0;
		}
		if (a) {                /* entries 0: remove the array */
			if (r->level == 0 && sd->level[0].narrays == 1)
				return xlat_fail(-EINVAL, "%s: the %s level needs at least one array", key, r->lkey);
			remove_array(p, r->side, r->level, r->array);
			if (sd->level[r->level].narrays == 0)
				sd->nlevels = (unsigned)r->level;
			return 0;
		}
		if (!u)
			return 0;       /* removing what is not there */
		if (!exists) {
			if ((unsigned)r->level > sd->nlevels)
				return xlat_fail(-EINVAL, "%s: add the levels above it first", key);
			struct tlb_config *c = &sd->level[r->level];
			memset(c, 0, sizeof *c);
			c->name = tlb_levels[level_key(r->side, r->level)].hw_name;
			c->seed = 1;
			sd->nlevels = (unsigned)r->level + 1;
			sd->hit_cycles[r->level] = 0;
			p->ovr_level[r->side][r->level] = 1u << F_LATENCY;
		}
		struct tlb_config *c = &sd->level[r->level];
		if (c->narrays == TLB_MAX_ARRAYS)
			return xlat_fail(-EINVAL, "%s: %s already has %d arrays", key, r->lkey, TLB_MAX_ARRAYS);
		c->array[c->narrays] = (struct tlb_array_config){
			.entries = u, .ways = 0, .repl = TLB_LRU,
			.sizes = r->size >= 0 ? 1u << r->size : TLB_ALL_SIZES,
		};
		p->ovr_tlb[r->side][r->level][c->narrays] = 0xf;
		c->narrays++;
		return 0;
	case F_WAYS:
		rc = parse_uint(key, v, &a->ways);
		break;
	case F_REPL:
		rc = parse_repl(key, v, &a->repl);
		break;
	case F_SIZES:
		rc = parse_sizes(key, v, &a->sizes);
		break;
	case F_HASH:
		rc = parse_bool(key, v, &a->hash);
		break;
	default:
		XLAT_BUG("field %d", (int)r->field);
	}
	if (!rc)
		*ov |= 1u << r->field;
	return rc;
}

/* ---- public: override, get, check ---------------------------------------- */

int cpu_override(struct cpu_preset *p, const char *key, const char *value)
{
	struct pref r;
	int rc = resolve(p, key, &r);

	if (rc)
		return rc;
	if (r.s) {
		rc = set_scalar(p, r.s, key, value);
		if (!rc)
			p->ovr_scalar |= 1ULL << r.si;
		return rc;
	}
	return set_tlb(p, &r, key, value);
}

int cpu_override_spec(struct cpu_preset *p, const char *spec)
{
	char key[64];
	const char *eq = spec ? strchr(spec, '=') : NULL;

	if (!eq)
		return xlat_fail(-EINVAL, "CPU parameter '%s': expected KEY=VALUE", spec ? spec : "");
	if ((size_t)(eq - spec) >= sizeof key)
		return xlat_fail(-EINVAL, "CPU parameter '%.40s...': key too long", spec);
	memcpy(key, spec, (size_t)(eq - spec));
	key[eq - spec] = 0;
	return cpu_override(p, key, eq + 1);
}

int cpu_get(const struct cpu_preset *p, const char *key, char *buf, size_t len)
{
	struct pref r;
	int rc = resolve(p, key, &r);

	if (rc)
		return rc;
	if (r.s) {
		fmt_scalar(p, r.s, buf, len);
		return 0;
	}
	if ((unsigned)r.level >= cside_of(p, r.side)->nlevels)
		return xlat_fail(-EINVAL, "%s: %s has no %s level", key, p->name, r.lkey);
	if (r.field != F_LATENCY && r.array < 0)
		return xlat_fail(-EINVAL, "%s: no %s array holds %s pages", key, r.lkey, xlat_psize_name((unsigned)r.size));
	fmt_tlb(p, &r, buf, len);
	return 0;
}

/* Re-prefixes the current error with `what`. */
static int refail(int rc, const char *what)
{
	return xlat_fail(rc, "%s: %s", what, xlat_error());
}

int cpu_check(const struct cpu_preset *p)
{
	char what[64];

	if (!(p->ghz > 0))
		return xlat_fail(-EINVAL, "%s: ghz must be > 0", p->name);
	for (int s = 0; s < 2; s++) {
		const struct cpu_tlb_side *sd = cside_of(p, s);
		if (sd->nlevels < 1 || sd->nlevels > CPU_TLB_LEVELS)
			return xlat_fail(-EINVAL, "%s: %s side has %u TLB levels (1..%d)", p->name,
					 s ? "instruction" : "data", sd->nlevels, CPU_TLB_LEVELS);
		for (unsigned l = 0; l < sd->nlevels; l++) {
			struct tlb *t = tlb_create(&sd->level[l]);
			if (!t) {
				snprintf(what, sizeof what, "%s %s", p->name, tlb_levels[level_key(s, (int)l)].key);
				return refail(-EINVAL, what);
			}
			tlb_destroy(t);
		}
	}
	struct pwc *w = pwc_create(&p->pwc);
	if (!w) {
		snprintf(what, sizeof what, "%s pwc", p->name);
		return refail(-EINVAL, what);
	}
	pwc_destroy(w);
	if (p->ntlb.array[0].entries) {
		struct tlb *t = tlb_create(&p->ntlb);
		if (!t) {
			snprintf(what, sizeof what, "%s ntlb", p->name);
			return refail(-EINVAL, what);
		}
		tlb_destroy(t);
	}
	struct pcache *c = pcache_create(&p->cache);
	if (!c) {
		snprintf(what, sizeof what, "%s cache", p->name);
		return refail(-EINVAL, what);
	}
	pcache_destroy(c);
	return 0;
}

/* ---- the listing ------------------------------------------------------------ */

static const char *src_of(const struct cpu_preset *p, const struct scalar *s)
{
	const char *src = *(const char *const *)((const char *)p + s->src);
	return src ? src : "unknown";
}

/* Is scalar i worth listing for this preset (e.g. no split sizes for a
 * unified PWC)? */
static bool scalar_relevant(const struct cpu_preset *p, unsigned i)
{
	const char *k = scalars[i].key;

	if (!strncmp(k, "pwc.p", 5))
		return p->pwc.style == PWC_SPLIT;
	if (!strcmp(k, "pwc.entries") || !strcmp(k, "pwc.ways"))
		return p->pwc.style == PWC_UNIFIED || p->pwc.style == PWC_AMD;
	if (!strncmp(k, "ntlb.", 5) && strcmp(k, "ntlb.entries"))
		return p->ntlb.array[0].entries != 0;
	for (int l = 0; l < PCACHE_LEVELS; l++) {
		static const char *const lv[] = { "cache.l1d.", "cache.l2.", "cache.llc." };
		if (!strncmp(k, lv[l], strlen(lv[l])) && strcmp(k + strlen(lv[l]), "size"))
			return p->cache.level[l].bytes != 0;
	}
	if (!strcmp(k, "stlb.shared"))
		return p->data.nlevels >= 2;
	return true;
}

int cpu_foreach_param(const struct cpu_preset *p, cpu_param_fn fn, void *ctx)
{
	char key[64], val[64];
	int rc;

#define EMIT(k, v, s) do { if ((rc = fn(ctx, (k), (v), (s)))) return rc; } while (0)
	EMIT("preset", p->name, p->source ? p->source : "");
	EMIT("vendor", p->vendor ? p->vendor : "", p->source ? p->source : "");
	EMIT("model", p->model ? p->model : "", p->source ? p->source : "");

	for (unsigned i = 0; i < NSCALARS; i++) {
		if (strcmp(scalars[i].key, "ghz"))
			continue;
		fmt_scalar(p, &scalars[i], val, sizeof val);
		EMIT(scalars[i].key, val, (p->ovr_scalar >> i & 1) ? "override" : src_of(p, &scalars[i]));
	}

	for (int s = 0; s < 2; s++) {
		const struct cpu_tlb_side *sd = cside_of(p, s);
		for (unsigned l = 0; l < sd->nlevels; l++) {
			const struct tlb_config *c = &sd->level[l];
			const char *lk = tlb_levels[level_key(s, (int)l)].key;
			for (unsigned a = 0; a < c->narrays; a++) {
				struct pref r = { .side = s, .level = (int)l, .array = (int)a };
				char prefix[32];
				if (c->narrays > 1) {
					int small = 0;
					while (small < 2 && !(c->array[a].sizes & (1u << small)))
						small++;
					snprintf(prefix, sizeof prefix, "%s.%s", lk, xlat_psize_name((unsigned)small));
				} else {
					snprintf(prefix, sizeof prefix, "%s", lk);
				}
				for (r.field = F_ENTRIES; r.field <= F_HASH; r.field++) {
					/* hash only where it is on (no preset has it). */
					if (r.field == F_LATENCY || (r.field == F_HASH && !c->array[a].hash))
						continue;
					snprintf(key, sizeof key, "%s.%s", prefix, tfield_name[r.field]);
					fmt_tlb(p, &r, val, sizeof val);
					EMIT(key, val, (p->ovr_tlb[s][l][a] >> r.field & 1) ? "override" :
					     p->src_tlb ? p->src_tlb : "unknown");
				}
			}
			snprintf(key, sizeof key, "%s.latency", lk);
			snprintf(val, sizeof val, "%u", sd->hit_cycles[l]);
			EMIT(key, val, (p->ovr_level[s][l] >> F_LATENCY & 1) ? "override" :
			     l == 0 ? SRC_L1_LATENCY :
			     p->src_tlb_latency ? p->src_tlb_latency : "unknown");
		}
	}

	for (unsigned i = 0; i < NSCALARS; i++) {
		if (!strcmp(scalars[i].key, "ghz") || !scalar_relevant(p, i))
			continue;
		fmt_scalar(p, &scalars[i], val, sizeof val);
		EMIT(scalars[i].key, val, (p->ovr_scalar >> i & 1) ? "override" : src_of(p, &scalars[i]));
	}
#undef EMIT
	return 0;
}

/* ---- to the mmu -------------------------------------------------------------- */

void cpu_mmu_config(const struct cpu_preset *p, struct mmu_config *cfg)
{
	/* Shared: the fetch side's own levels, then the data side's further
	 * ones (one structure for both sides from shared_from on). */
	bool shared = p->stlb_shared && p->data.nlevels > p->inst.nlevels;

	cfg->ndtlb = p->data.nlevels;
	for (unsigned l = 0; l < p->data.nlevels; l++)
		cfg->dtlb[l] = p->data.level[l];
	if (shared) {
		cfg->nitlb = p->data.nlevels;
		for (unsigned l = 0; l < p->data.nlevels; l++)
			cfg->itlb[l] = l < p->inst.nlevels ? p->inst.level[l] : p->data.level[l];
		cfg->shared_from = p->inst.nlevels;
	} else {
		cfg->nitlb = p->inst.nlevels;
		for (unsigned l = 0; l < p->inst.nlevels; l++)
			cfg->itlb[l] = p->inst.level[l];
		cfg->shared_from = MMU_MAX_TLB_LEVELS;
	}
	cfg->pwc = p->pwc;
	cfg->ntlb_enabled = p->ntlb.array[0].entries != 0;
	cfg->ntlb = p->ntlb;
	cfg->cache_enabled = true;
	cfg->cache_data = p->cache_data;
	cfg->cache = p->cache;
	/* One latency per level in the mmu: the data side's (the sides agree
	 * in every preset). */
	memset(cfg->costs.tlb_hit_cycles, 0, sizeof cfg->costs.tlb_hit_cycles);
	for (unsigned l = 0; l < p->data.nlevels; l++)
		cfg->costs.tlb_hit_cycles[l] = p->data.hit_cycles[l];
	cfg->costs.walk_overhead_cycles = p->walk_cycles;
	cfg->costs.walk_ref_cycles = p->walk_ref_cycles;
	memcpy(cfg->costs.fault_cycles, p->fault, sizeof cfg->costs.fault_cycles);
	memcpy(cfg->costs.host_fault_cycles, p->host_fault, sizeof cfg->costs.host_fault_cycles);
	cfg->costs.fault_mode = MMU_FAULTS_NATIVE;   /* the machine chooses the row (machine.c) */
	cfg->costs.exit_cycles = p->exit_cycles;
	cfg->costs.base_cycles_per_access = p->base_cycles_per_access;
	cfg->costs.ghz = p->ghz;
}
