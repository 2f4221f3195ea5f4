/* Shared by the test programs: run the xlat command and capture its output. */
#ifndef XLAT_TEST_HELPERS_H
#define XLAT_TEST_HELPERS_H

#include <stddef.h>

/* Runs `$XLAT_BIN args` through the shell; returns its exit status and a
 * malloc'd string holding stdout (and stderr if merge_stderr). */
int run_xlat(const char *args, int merge_stderr, char **output);
/* Path of a fresh temporary directory (removed by the OS's tmp cleaner). */
const char *test_tmpdir(void);

#include "xlat/mmu.h"

/* A small MMU for tests: one unified fully associative L1 per side of
 * l1_entries (ways: 0 = fully associative), no STLB, no PWC, no nested TLB,
 * no cache model (every reference costs 100 cycles). */
void test_mmu_config(struct mmu_config *mc, unsigned l1_entries, unsigned ways);

#endif
