/*
 * xlat/ptsize.h — the page-table memory study (`xlat ptsize`).
 *
 * How many bytes of page tables does a set of mappings cost? Two sources of
 * mappings, one engine: the tables are built for real with xlat/pt.h in a
 * sparse xlat/phys.h space, and their pages counted (pt_get_stats), so the
 * figures are the model's, not a formula's.
 *
 *  - synthetic: regions of virtual memory, every page of each one mapped
 *    with one page size (4 KiB, 2 MiB, 1 GiB) at 4 or 5 levels, beside the
 *    cost of a flat one-level table for the same address space;
 *  - linux: a live process, from /proc/PID/{smaps,pagemap}, checked against
 *    the kernel's own count, VmPTE in /proc/PID/status.
 *
 * Only table pages cost host memory; the mapped pages are never allocated
 * (each maps to an arbitrary physical address of the right alignment).
 */
#ifndef XLAT_PTSIZE_H
#define XLAT_PTSIZE_H

#include "xlat/base.h"
#include "xlat/pt.h"

XLAT_API_BEGIN

/* ---- synthetic layouts -------------------------------------------------- */

/* [start, start + size): every page in it gets mapped. */
struct ptsize_region {
	xlat_va start;
	uint64_t size;       /* bytes */
	const char *name;    /* for reports; may be NULL */
};

struct ptsize_result {
	int levels;                 /* 4 or 5 */
	unsigned page_shift;        /* 12, 21 or 30: the leaf size used */
	unsigned va_bits;           /* 48 or 57 */
	struct pt_stats st;         /* table pages per level (root at [levels]), bytes, leaves */
	uint64_t flat_bytes;        /* one flat table for the whole va_bits space on
	                               the same page size, 8-byte entries */
};

/* Default --map placement: a region without an explicit start goes at
 * 1 GiB (aligned to every page size), or right after the previous one,
 * rounded up to the page size. */
#define PTSIZE_DEFAULT_START (1ULL << 30)

/* No limit on the table bytes ptsize_build may build. */
#define PTSIZE_NO_LIMIT UINT64_MAX

/* Builds the tables for regions r[0..n) with leaves of 2^page_shift bytes
 * (12, 21 or 30) at `levels` (4 or 5) and fills *res.
 * Each region must be non-empty, aligned to the page size in start and size,
 * and canonical for the format; regions must not overlap. Refuses (-E2BIG)
 * to build tables larger than max_table_bytes (PTSIZE_NO_LIMIT: no limit;
 * 0 means zero bytes, so every build is refused) — see ptsize_estimate.
 * 0 or -errno with xlat_error() naming the bad region. */
XLAT_MUST_CHECK int ptsize_build(const struct ptsize_region *r, size_t n, int levels, unsigned page_shift,
		 uint64_t max_table_bytes, struct ptsize_result *res);

/* Table pages (root included) the same tables need, computed without
 * building them: a table page holding level-L entries exists for every
 * 2^(12+9L)-byte block that the union of the regions touches, for each L
 * from the leaf level up; plus the root. Exact for page-aligned regions, in
 * any order, overlapping or not (it counts their union). Used to refuse
 * builds that would not fit in memory, and as an independent check of pt. */
uint64_t ptsize_estimate(const struct ptsize_region *r, size_t n, int levels, unsigned page_shift);

/* A typical process in the 47-bit user space (the numbers of a small
 * dynamically linked program on x86-64 Linux, at the bases Linux uses with
 * ASLR off, as under `setarch -R`):
 *
 *   text   0x555555554000   2 MiB     program code + rodata
 *   data   0x555555754000   1 MiB     data + bss
 *   heap   0x555556000000  64 MiB     brk heap
 *   mmap   0x7fffe7c00000 128 MiB     anonymous mmap()s (malloc arenas, ...)
 *   libs   0x7ffff7c00000   4 MiB     libc, libm, ld.so, vdso
 *   stack  0x7ffffffde000 132 KiB     main thread stack (touched part)
 *
 * Every page of each region counts as touched. With a page size above 4 KiB
 * the regions are rounded out to it and merged where they then overlap (as if
 * the process got huge pages for all of it; a merged region keeps the first
 * one's name). Up to PTSIZE_LAYOUT_MAX regions are written to out.
 * Returns the number of regions. */
#define PTSIZE_LAYOUT_MAX 8
size_t ptsize_layout_process(unsigned page_shift, struct ptsize_region *out);

/* ---- live Linux processes ---------------------------------------------- */

struct ptsize_proc {
	int pid;
	char comm[32];               /* from /proc/PID/comm */
	unsigned vmas;               /* VMAs in smaps ([vsyscall] excluded) */
	uint64_t pages_4k;           /* 4 KiB pages present or swapped (non-none PTEs) */
	uint64_t leaves_2m;          /* PMD-mapped huge pages (THP, hugetlb) */
	uint64_t leaves_1g;          /* PUD-mapped huge pages (hugetlb) */
	uint64_t deposited;          /* PTE tables the kernel keeps for anon PMD THPs */
	unsigned va_levels;          /* levels of the tables built (4) */
	struct pt_stats st;          /* xlat's tables for the same mappings, root included */
	uint64_t computed_kernel_bytes; /* kernel's accounting of them: tables below the
	                                   root + deposited PTE tables, in bytes */
	uint64_t kernel_vmpte_bytes; /* VmPTE of /proc/PID/status, in bytes */
	bool match;                  /* computed_kernel_bytes == kernel_vmpte_bytes */
	bool used_scan;              /* PAGEMAP_SCAN ioctl (else pagemap + smaps) */
	unsigned attempts;           /* reads until VmPTE was stable around the scan */
	char note[256];              /* why they differ (if known), else "" */
};

/* Flags for ptsize_pid. */
#define PTSIZE_NO_SCAN (1u << 0)  /* use the pagemap read + smaps fallback even
                                     where PAGEMAP_SCAN works (for tests) */

/* Reads process pid's mappings and computes its page-table bytes.
 * 0 with *out filled (whether or not it matches), or:
 *   -ESRCH  no such process (or it exited during the read),
 *   -EACCES its /proc files are not readable by us,
 *   -ENODATA it has no address space (kernel thread, zombie),
 *   -ENOMEM, -EIO.
 * Reading races with the process: VmPTE is read before and after the
 * pagemap scan and the whole read retried (up to 4 times) until they agree. */
XLAT_MUST_CHECK int ptsize_pid(int pid, unsigned flags, struct ptsize_proc *out);

/* Does this kernel have the PAGEMAP_SCAN ioctl (Linux >= 6.7)? */
bool ptsize_have_pagemap_scan(void);

XLAT_API_END

#endif
