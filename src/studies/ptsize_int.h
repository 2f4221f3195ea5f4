/* Shared by ptsize.c (synthetic layouts) and ptsize_linux.c (live
 * processes): one table-building engine, so both count the same way. */
#ifndef XLAT_STUDIES_PTSIZE_INT_H
#define XLAT_STUDIES_PTSIZE_INT_H

#include "xlat/pt.h"

struct phys;

/* One x86 table tree in its own sparse space. */
struct ptsize_model {
	struct phys *mem;
	struct pt pt;
};

/* 1, 2, 3 for page shifts 12, 21, 30; 0 for anything else. */
int ptsize_leaf_level(unsigned page_shift);
/* Where a mapped page points (never allocated). */
xlat_pa ptsize_data_pa(xlat_va va);
/* An empty `levels`-level x86 table (1 GiB leaves enabled) whose space has
 * room for about table_pages table pages. 0 or -errno. */
int ptsize_model_init(struct ptsize_model *m, int levels, uint64_t table_pages);
/* Maps every 2^page_shift page of [va, va+size). 0 or -errno (pt_map's). */
int ptsize_model_map(struct ptsize_model *m, xlat_va va, uint64_t size, unsigned page_shift);
void ptsize_model_destroy(struct ptsize_model *m);

#endif
