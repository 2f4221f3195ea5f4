/*
 * Page-table bytes of a live Linux process (xlat/ptsize.h: ptsize_pid).
 *
 * What the kernel counts (x86-64, 4-level paging; mm/memory.c, mm/huge_memory.c):
 *   VmPTE = mm_pgtables_bytes = 4 KiB per PTE, PMD and PUD table page.
 *   - The PGD (our root) is not counted.
 *   - A PMD-mapped *anonymous* THP, and the huge zero page, keep a
 *     preallocated PTE table deposited beside the PMD (for a later split),
 *     counted with mm_inc_nr_ptes. File and shmem PMD mappings deposit none
 *     on x86, nor do hugetlb pages.
 *   - [vsyscall] is the gate area, not in the process's tables.
 *   - Tables emptied by MADV_DONTNEED or reclaim stay until the VMA goes,
 *     and VM_PFNMAP / VM_IO mappings are invisible to pagemap: for such
 *     processes the count from pagemap falls short of VmPTE, and we say so.
 *
 * Which pages have an entry (present, swapped or any other non-none PTE)
 * and which are PMD/PUD leaves comes from the PAGEMAP_SCAN ioctl (Linux
 * >= 6.7: PAGE_IS_HUGE per range), or else from reading pagemap itself with
 * smaps' AnonHugePages/ShmemPmdMapped/FilePmdMapped telling how many
 * 2 MiB-aligned fully present blocks of each VMA are PMD-mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>

#include "xlat/parse.h"
#include "xlat/ptsize.h"
#include "ptsize_int.h"

/* The PAGEMAP_SCAN ABI (include/uapi/linux/fs.h, Linux 6.7), for C
 * libraries whose headers predate it. */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_FILE     (1 << 2)
#define PAGE_IS_PRESENT  (1 << 3)
#define PAGE_IS_SWAPPED  (1 << 4)
#define PAGE_IS_PFNZERO  (1 << 5)
#define PAGE_IS_HUGE     (1 << 6)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_SWAP     (1ULL << 62)
#define PM_PRESENT  (1ULL << 63)

/* /proc/kpageflags bit (Documentation/admin-guide/mm/pagemap.rst): set for
 * the zero page and for the huge zero page (fs/proc/page.c). */
#define KPF_ZERO_PAGE 24

#define PMD_PAGES 512u
#define MAX_ATTEMPTS 4

struct vma {
	uint64_t start, end;
	uint64_t page_size;          /* KernelPageSize: 2M/1G for hugetlb */
	uint64_t anon_huge;          /* AnonHugePages, bytes */
	uint64_t file_pmd;           /* ShmemPmdMapped + FilePmdMapped, bytes */
	bool hugetlb, pfnmap;        /* VmFlags ht; pf or io */
};

/* A run of mappings of one leaf size. */
struct run {
	uint64_t start, end;
	unsigned shift;              /* 12, 21, 30 */
	bool deposit;                /* anon PMD leaves: one PTE table each */
};

/* One consistent read of the process. */
struct snapshot {
	struct vma *vmas;
	size_t nvmas, cap_vmas;
	struct run *runs;
	size_t nruns, cap_runs;
	unsigned pfnmap_vmas;
	bool used_scan, guessed;
};

static void snapshot_free(struct snapshot *s)
{
	free(s->vmas);
	free(s->runs);
	memset(s, 0, sizeof *s);
}

static int errno_to_proc(int e, int pid, const char *file)
{
	switch (e) {
	case ENOENT:
	case ESRCH:
		return xlat_fail(-ESRCH, "no process %d", pid);
	case EACCES:
	case EPERM:
		return xlat_fail(-EACCES, "cannot read /proc/%d/%s: permission denied "
				 "(needs ptrace access: the process's owner or root)", pid, file);
	case ENOMEM:
		return xlat_fail(-ENOMEM, "out of memory reading /proc/%d/%s", pid, file);
	default:
		return xlat_fail(-EIO, "cannot read /proc/%d/%s: %s", pid, file, strerror(e));
	}
}

/* Reads /proc/pid/file whole into a NUL-terminated malloc'd buffer. */
static int read_proc(int pid, const char *file, char **out)
{
	char path[64];
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap);

	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	if (!buf)
		return xlat_fail(-ENOMEM, "out of memory");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return errno_to_proc(errno, pid, file);
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return xlat_fail(-ENOMEM, "out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return errno_to_proc(e, pid, file);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	*out = buf;
	return 0;
}

/* VmPTE in bytes; -ENODATA when the process has no address space. */
static int read_vmpte(int pid, uint64_t *bytes)
{
	char *st;
	int rc = read_proc(pid, "status", &st);
	if (rc)
		return rc;
	const char *p = strstr(st, "\nVmPTE:");
	unsigned long long kb;
	if (!p || sscanf(p + 7, "%llu kB", &kb) != 1) {
		free(st);
		return xlat_fail(-ENODATA, "process %d has no address space (kernel thread or zombie)", pid);
	}
	free(st);
	*bytes = kb * 1024;
	return 0;
}

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *na = realloc(arr, ncap * elem);
	if (na)
		*cap = ncap;
	return na;
}

static int add_run(struct snapshot *s, uint64_t start, uint64_t end, unsigned shift, bool deposit)
{
	if (start >= end)
		return 0;
	/* Extend the last run when this one continues it. */
	if (s->nruns) {
		struct run *last = &s->runs[s->nruns - 1];
		if (last->end == start && last->shift == shift && last->deposit == deposit) {
			last->end = end;
			return 0;
		}
	}
	struct run *r = grow(s->runs, &s->cap_runs, s->nruns, sizeof *r);
	if (!r)
		return xlat_fail(-ENOMEM, "out of memory");
	s->runs = r;
	r[s->nruns++] = (struct run){ start, end, shift, deposit };
	return 0;
}

/* Parses smaps into s->vmas, in address order, [vsyscall] left out. */
static int read_vmas(int pid, struct snapshot *s)
{
	char *text, *line, *save = NULL;
	int rc = read_proc(pid, "smaps", &text);
	if (rc)
		return rc;
	struct vma *cur = NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, b, kb;
		int name_at = 0;
		const char *sp = strchr(line, ' ');
		const char *dash = strchr(line, '-');
		if (dash && sp && dash < sp &&
		    sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &a, &b, &name_at) == 2) {
			cur = NULL;
			if (name_at && !strcmp(line + name_at, "[vsyscall]"))
				continue;
			struct vma *v = grow(s->vmas, &s->cap_vmas, s->nvmas, sizeof *v);
			if (!v) {
				free(text);
				return xlat_fail(-ENOMEM, "out of memory");
			}
			s->vmas = v;
			cur = &v[s->nvmas++];
			*cur = (struct vma){ .start = a, .end = b, .page_size = XLAT_PAGE_SIZE };
		} else if (!cur) {
			continue;
		} else if (sscanf(line, "KernelPageSize: %llu kB", &kb) == 1) {
			cur->page_size = kb * 1024;
		} else if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1) {
			cur->anon_huge = kb * 1024;
		} else if (sscanf(line, "ShmemPmdMapped: %llu kB", &kb) == 1 ||
			   sscanf(line, "FilePmdMapped: %llu kB", &kb) == 1) {
			cur->file_pmd += kb * 1024;
		} else if (!strncmp(line, "VmFlags:", 8)) {
			cur->hugetlb = strstr(line, " ht") != NULL;
			cur->pfnmap = strstr(line, " pf") != NULL || strstr(line, " io") != NULL;
			s->pfnmap_vmas += cur->pfnmap;
		}
	}
	free(text);
	return 0;
}

/* The VMA holding va, or NULL (binary search: vmas are sorted, disjoint). */
static const struct vma *find_vma(const struct snapshot *s, uint64_t va)
{
	size_t lo = 0, hi = s->nvmas;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (va < s->vmas[mid].start)
			hi = mid;
		else if (va >= s->vmas[mid].end)
			lo = mid + 1;
		else
			return &s->vmas[mid];
	}
	return NULL;
}

/* A huge range [a, b) reported in VMA v: hugetlb leaves of its page size,
 * otherwise PMD-mapped THPs, which deposit a PTE table if anonymous. */
static int add_huge(struct snapshot *s, const struct vma *v, uint64_t a, uint64_t b, bool file)
{
	unsigned shift = v && v->hugetlb && v->page_size == XLAT_SIZE_1G ? 30 : 21;
	bool deposit = !(v && v->hugetlb) && !file;
	uint64_t size = 1ULL << shift;
	if (!xlat_aligned(a, size) || !xlat_aligned(b, size)) {
		/* Not a whole leaf: count its pages as 4K entries, and say so. */
		s->guessed = true;
		return add_run(s, a, b, 12, false);
	}
	return add_run(s, a, b, shift, deposit);
}

/* PAGEMAP_SCAN over the span of the VMAs. -ENOTTY/-EINVAL: not supported. */
static int scan_ioctl(int fd, struct snapshot *s)
{
	enum { VEC = 4096 };
	struct page_region *vec = malloc(VEC * sizeof *vec);
	if (!vec)
		return xlat_fail(-ENOMEM, "out of memory");
	uint64_t start = s->vmas[0].start, end = s->vmas[s->nvmas - 1].end;
	int rc = 0;

	while (start < end && !rc) {
		struct pm_scan_arg arg = {
			.size = sizeof arg,
			.start = start,
			.end = end,
			.vec = (uint64_t)(uintptr_t)vec,
			.vec_len = VEC,
			.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_FILE |
				       PAGE_IS_HUGE | PAGE_IS_PFNZERO,
		};
		long n = ioctl(fd, PAGEMAP_SCAN, &arg);
		if (n < 0) {
			rc = -errno;
			break;
		}
		for (long i = 0; i < n && !rc; i++) {
			/* Split at VMA boundaries: a range may span VMAs of
			 * different kinds that report the same categories.
			 * Clip at `start` so a range is never counted twice. */
			uint64_t a = vec[i].start > start ? vec[i].start : start, b = vec[i].end;
			while (a < b && !rc) {
				const struct vma *v = find_vma(s, a);
				uint64_t piece = v && v->end < b ? v->end : b;
				if (vec[i].categories & PAGE_IS_HUGE)
					rc = add_huge(s, v, a, piece, vec[i].categories & PAGE_IS_FILE);
				else
					rc = add_run(s, a, piece, 12, false);
				a = piece;
			}
		}
		/* A call that did not fill vec walked the whole range. (On 6.18
		 * walk_end can then lag behind the ranges it returned, so it
		 * is only trusted when vec is full.) */
		if ((uint64_t)n < VEC)
			break;
		uint64_t next = arg.walk_end > vec[n - 1].end ? arg.walk_end : vec[n - 1].end;
		if (next <= start)
			break;
		start = next;
	}
	free(vec);
	return rc;
}

/* Is the pagemap block e[0..512) one PMD mapping: every page present, and
 * (where PFNs are visible) one 2 MiB-aligned physically contiguous run? */
static bool block_pmd_candidate(const uint64_t *e)
{
	uint64_t pfn0 = e[0] & PM_PFN_MASK;
	for (unsigned i = 0; i < PMD_PAGES; i++) {
		if (!(e[i] & PM_PRESENT))
			return false;
		if (pfn0 && (e[i] & PM_PFN_MASK) != pfn0 + i)
			return false;
	}
	return !pfn0 || xlat_aligned(pfn0, PMD_PAGES);
}

/* Is the block starting at PFN pfn0 the huge zero page? Only where PFNs
 * are visible (CAP_SYS_ADMIN) and /proc/kpageflags opened (kpf >= 0). */
static bool block_huge_zero(int kpf, uint64_t pfn0)
{
	uint64_t flags;
	if (kpf < 0 || !pfn0 ||
	    pread(kpf, &flags, sizeof flags, (off_t)(pfn0 * sizeof flags)) != sizeof flags)
		return false;
	return flags >> KPF_ZERO_PAGE & 1;
}

/* The fallback for one VMA: read its pagemap entries; hugetlb blocks with
 * an entry are leaves; a block on the huge zero page is a PMD leaf with a
 * deposited table (AnonHugePages does not count it); of the other candidate
 * 2 MiB blocks the first N are PMD mappings, N from smaps (the kernel does
 * not say which ones). */
static int scan_vma_pagemap(int fd, int kpf, struct snapshot *s, const struct vma *v,
			    uint64_t *ent, size_t ent_cap)
{
	uint64_t want_anon = v->anon_huge / XLAT_SIZE_2M, want_file = v->file_pmd / XLAT_SIZE_2M;
	uint64_t found = 0;
	bool huge_vma = v->hugetlb && v->page_size > XLAT_PAGE_SIZE;
	uint64_t chunk = (uint64_t)ent_cap * XLAT_PAGE_SIZE;   /* a multiple of 1 GiB */

	for (uint64_t base = xlat_align_down(v->start, chunk); base < v->end; base += chunk) {
		uint64_t a = base > v->start ? base : v->start;
		uint64_t b = base + chunk < v->end ? base + chunk : v->end;
		size_t n = (size_t)((b - a) / XLAT_PAGE_SIZE);
		ssize_t got = pread(fd, ent, n * 8, (off_t)(a / XLAT_PAGE_SIZE * 8));
		if (got != (ssize_t)(n * 8))
			return got < 0 ? -errno : -ESRCH;
		for (size_t i = 0; i < n;) {
			/* Holes first, fast: a page without an entry adds
			 * nothing, and a block starting with one is no leaf
			 * (hugetlb and PMD leaves report every page). */
			while (i < n && !(ent[i] & (PM_PRESENT | PM_SWAP)))
				i++;
			if (i == n)
				break;
			uint64_t va = a + i * XLAT_PAGE_SIZE;
			bool huge_here = false, deposit = false;
			uint64_t hsize = huge_vma ? v->page_size : XLAT_SIZE_2M;
			size_t hpages = (size_t)(hsize / XLAT_PAGE_SIZE);
			if (xlat_aligned(va, hsize) && i + hpages <= n) {
				if (huge_vma) {
					huge_here = true;   /* its first page has an entry */
				} else if (block_pmd_candidate(&ent[i]) &&
					   block_huge_zero(kpf, ent[i] & PM_PFN_MASK)) {
					huge_here = deposit = true;
				} else if (found < want_anon + want_file && block_pmd_candidate(&ent[i])) {
					huge_here = true;
					deposit = want_anon > 0;
					found++;
				}
			}
			int rc;
			if (huge_here) {
				rc = add_run(s, va, va + hsize, huge_vma && hsize == XLAT_SIZE_1G ? 30 : 21,
					     deposit);
				i += hpages;
			} else {
				rc = add_run(s, va, va + XLAT_PAGE_SIZE, 12, false);
				i++;
			}
			if (rc)
				return rc;
		}
	}
	if (found != want_anon + want_file)
		s->guessed = true;
	return 0;
}

static int scan_pagemap(int fd, struct snapshot *s)
{
	size_t cap = 1u << 18;   /* 1 GiB of pages per read, 2 MiB of entries */
	uint64_t *ent = malloc(cap * sizeof *ent);
	int rc = 0;
	if (!ent)
		return xlat_fail(-ENOMEM, "out of memory");
	int kpf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);   /* -1: not root */
	for (size_t i = 0; i < s->nvmas && !rc; i++)
		rc = scan_vma_pagemap(fd, kpf, s, &s->vmas[i], ent, cap);
	if (kpf >= 0)
		close(kpf);
	free(ent);
	return rc;
}

/* One read of VMAs and page entries. */
static int take_snapshot(int pid, unsigned flags, struct snapshot *s)
{
	int rc = read_vmas(pid, s);
	if (rc || !s->nvmas)
		return rc;

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno_to_proc(errno, pid, "pagemap");
	rc = -ENOTTY;
	if (!(flags & PTSIZE_NO_SCAN)) {
		rc = scan_ioctl(fd, s);
		s->used_scan = rc == 0;
		if (rc == -ENOTTY || rc == -EINVAL || rc == -EOPNOTSUPP)
			s->nruns = 0;   /* no PAGEMAP_SCAN here: fall back */
	}
	if (rc == -ENOTTY || rc == -EINVAL || rc == -EOPNOTSUPP)
		rc = scan_pagemap(fd, s);
	close(fd);
	if (rc < 0 && rc != -ENOMEM)
		rc = errno_to_proc(-rc, pid, "pagemap");
	return rc;
}

static void count_and_build(struct snapshot *s, struct ptsize_proc *out, int *rc)
{
	/* 5-level tables only if the process maps above the 47-bit space. */
	int levels = s->nvmas && s->vmas[s->nvmas - 1].end > (1ULL << 47) ? 5 : 4;
	struct ptsize_region *regions = malloc((s->nruns ? s->nruns : 1) * sizeof *regions);
	struct ptsize_model m = { 0 };

	if (!regions) {
		*rc = xlat_fail(-ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < s->nruns; i++) {
		const struct run *r = &s->runs[i];
		regions[i] = (struct ptsize_region){ r->start, r->end - r->start, NULL };
		uint64_t leaves = (r->end - r->start) >> r->shift;
		if (r->shift == 12)
			out->pages_4k += leaves;
		else if (r->shift == 21)
			out->leaves_2m += leaves;
		else
			out->leaves_1g += leaves;
		if (r->deposit)
			out->deposited += leaves;
	}
	/* An upper bound on the tables: as if every page were 4 KiB. */
	uint64_t bound = ptsize_estimate(regions, s->nruns, levels, 12);
	free(regions);
	if ((*rc = ptsize_model_init(&m, levels, bound)))
		return;
	for (size_t i = 0; i < s->nruns && !*rc; i++) {
		const struct run *r = &s->runs[i];
		*rc = ptsize_model_map(&m, r->start, r->end - r->start, r->shift);
		if (*rc) {
			xlat_fail(*rc, "building tables for 0x%llx-0x%llx: %s",
				  (unsigned long long)r->start, (unsigned long long)r->end, xlat_error());
		}
	}
	if (!*rc) {
		out->va_levels = (unsigned)levels;
		pt_get_stats(&m.pt, &out->st);
		/* The kernel counts PTE, PMD and PUD pages: levels 1..3. */
		uint64_t below_root = out->st.table_pages[1] + out->st.table_pages[2] +
				      out->st.table_pages[3];
		out->computed_kernel_bytes = (below_root + out->deposited) * XLAT_PAGE_SIZE;
	}
	ptsize_model_destroy(&m);
}

static void explain(struct ptsize_proc *out, const struct snapshot *s, bool stable)
{
	char diff[48];
	uint64_t k = out->kernel_vmpte_bytes, c = out->computed_kernel_bytes;

	if (out->match)
		return;
	xlat_parse_size_str(k > c ? k - c : c - k, diff, sizeof diff);
	if (!stable)
		snprintf(out->note, sizeof out->note,
			 "VmPTE changed during each of %u reads: the process is busy", out->attempts);
	else if (k > c)
		snprintf(out->note, sizeof out->note,
			 "kernel holds %s more: tables left empty by MADV_DONTNEED/reclaim%s%s",
			 diff, s->pfnmap_vmas ? ", or VM_PFNMAP/VM_IO mappings pagemap cannot see" : "",
			 s->guessed ? "; THP placement guessed (no PAGEMAP_SCAN)" : "");
	else
		snprintf(out->note, sizeof out->note, "kernel counts %s less%s", diff,
			 s->guessed ? ": THP placement guessed (no PAGEMAP_SCAN)"
				    : ": shared hugetlb PMD tables?");
}

int ptsize_pid(int pid, unsigned flags, struct ptsize_proc *out)
{
	struct snapshot s = { 0 };
	uint64_t before = 0, after = 0;
	bool stable = false;
	char *comm;
	int rc;

	memset(out, 0, sizeof *out);
	out->pid = pid;
	if (pid <= 0)
		return xlat_fail(-ESRCH, "no process %d", pid);
	if ((rc = read_proc(pid, "comm", &comm)))
		return rc;
	comm[strcspn(comm, "\n")] = 0;
	snprintf(out->comm, sizeof out->comm, "%s", comm);
	free(comm);

	while (!stable && out->attempts < MAX_ATTEMPTS) {
		snapshot_free(&s);
		out->attempts++;
		if ((rc = read_vmpte(pid, &before)) || (rc = take_snapshot(pid, flags, &s)) ||
		    (rc = read_vmpte(pid, &after)))
			goto out;
		stable = before == after;
	}
	out->vmas = (unsigned)s.nvmas;
	out->used_scan = s.used_scan;
	out->kernel_vmpte_bytes = after;
	count_and_build(&s, out, &rc);
	if (rc)
		goto out;
	out->match = out->computed_kernel_bytes == out->kernel_vmpte_bytes && stable;
	explain(out, &s, stable);
out:
	snapshot_free(&s);
	return rc;
}

bool ptsize_have_pagemap_scan(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* An empty range: the kernel checks the argument and scans nothing. */
	struct pm_scan_arg arg = { .size = sizeof arg, .start = 0, .end = 0 };
	bool ok = ioctl(fd, PAGEMAP_SCAN, &arg) >= 0;
	close(fd);
	return ok;
}
