/*
 * Internal to src/tables/pt*.c: pt's side bookkeeping.
 *
 * Table pages hold only architectural bytes, so how many live entries each
 * one has is kept here, in a hash keyed by the table's physical address:
 * that is what lets pt free a table page the moment its last entry goes
 * without rescanning 512 entries.
 */
#ifndef XLAT_PT_INTERNAL_H
#define XLAT_PT_INTERNAL_H

#include "xlat/pt.h"

struct pt_priv {
	/* Live (present) entries per table page: open addressing with linear
	 * probing; key = table pa | 1 (0 marks an empty slot). */
	uint64_t *keys;
	uint32_t *vals;
	uint64_t mask;              /* slots - 1, slots a power of two */
	uint64_t used;              /* occupied slots */

	/* The level-1 table pt_map last descended into and the 2 MiB of input
	 * addresses it covers [l1_base, l1_base + 2 MiB): a run of 4 KiB maps
	 * goes straight to it. Dropped when that table is freed. */
	bool l1_valid;
	xlat_va l1_base;
	xlat_pa l1_table;
	uint32_t *l1_count;         /* its slot in vals; NULL: look it up */

	uint64_t table_mask[XLAT_MAX_LEVELS + 1];  /* address field of a table entry at level L */
};

int ptc_init(struct pt_priv *p);
void ptc_fini(struct pt_priv *p);
/* The count of table `table`, which must be registered (bug otherwise).
 * Valid until the next ptc_insert or ptc_remove. */
uint32_t *ptc_find(struct pt_priv *p, xlat_pa table);
/* Registers a new table with count 0. 0 or -ENOMEM. */
int ptc_insert(struct pt_priv *p, xlat_pa table);
void ptc_remove(struct pt_priv *p, xlat_pa table);
/* Host bytes the counts use. */
uint64_t ptc_host_bytes(const struct pt_priv *p);

#endif
