/*
 * xlat/access.h — the unit of work that flows from inputs to the MMU.
 *
 * Inputs (traces, generators) produce batches of accesses; the mmu consumes
 * them. Data flows one way.
 */
#ifndef XLAT_ACCESS_H
#define XLAT_ACCESS_H

#include "xlat/base.h"

XLAT_API_BEGIN

enum xlat_kind {
	XLAT_READ = 0,   /* data load */
	XLAT_WRITE = 1,  /* data store (a read-modify-write counts as a write) */
	XLAT_FETCH = 2,  /* instruction fetch */
	/* Events: what the OS does to the address space, for workloads whose
	 * point is page-table updates (fork/mmap benchmarks). For these, `size`
	 * counts 4 KiB pages, not bytes. */
	XLAT_EV_MAP = 3,     /* a new mapping [va, va + size pages) appears (mmap) */
	XLAT_EV_UNMAP = 4,   /* the range is unmapped (munmap) */
	XLAT_EV_PROTECT = 5, /* the range becomes read-only (flags: XLAT_ACC_WRITABLE to make it writable) */
	XLAT_EV_SWITCH = 6,  /* context switch to address space `asid` (va, size unused) */
	XLAT_KIND_COUNT
};

static inline bool xlat_is_event(unsigned kind) { return kind >= XLAT_EV_MAP; }

struct xlat_access {
	xlat_va va;      /* first byte accessed */
	uint32_t size;   /* bytes, >= 1; an access that crosses a page touches both (events: pages) */
	uint8_t kind;    /* enum xlat_kind */
	uint8_t flags;   /* XLAT_ACC_* */
	uint16_t asid;   /* address-space id (process) for multi-process inputs, 0 default */
};

#define XLAT_ACC_SUPERVISOR (1u << 0) /* made at CPL < 3 (default: user mode) */
#define XLAT_ACC_WRITABLE   (1u << 1) /* events: the mapping is writable */
#define XLAT_ACC_HUGE       (1u << 2) /* EV_MAP: eligible for huge pages (madvise(MADV_HUGEPAGE)) */

static inline const char *xlat_kind_name(unsigned kind)
{
	static const char *const names[XLAT_KIND_COUNT] = {
		"read", "write", "fetch", "map", "unmap", "protect", "switch",
	};
	return kind < XLAT_KIND_COUNT ? names[kind] : "?";
}

XLAT_API_END

#endif
