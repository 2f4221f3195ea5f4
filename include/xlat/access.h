/*
 * xlat/access.h — the unit of work that flows from inputs to the MMU.
 *
 * Inputs (traces, generators) produce batches of accesses; the mmu consumes
 * them. Data flows one way.
 */
#ifndef XLAT_ACCESS_H
#define XLAT_ACCESS_H

#include "xlat/base.h"

enum xlat_kind {
	XLAT_READ = 0,   /* data load */
	XLAT_WRITE = 1,  /* data store (a read-modify-write counts as a write) */
	XLAT_FETCH = 2,  /* instruction fetch */
};

struct xlat_access {
	xlat_va va;      /* first byte accessed */
	uint32_t size;   /* bytes, >= 1; an access that crosses a page touches both */
	uint8_t kind;    /* enum xlat_kind */
	uint8_t flags;   /* XLAT_ACC_* */
	uint16_t asid;   /* address-space id (process) for multi-process inputs, 0 default */
};

#define XLAT_ACC_SUPERVISOR (1u << 0) /* made at CPL < 3 (default: user mode) */

static inline const char *xlat_kind_name(unsigned kind)
{
	return kind == XLAT_READ ? "read" : kind == XLAT_WRITE ? "write" : kind == XLAT_FETCH ? "fetch" : "?";
}

#endif
