/*
 * xlat/explain.h — the study behind `xlat walk`: build real page tables for
 * one address (natively, under nested paging or under shadow paging), walk
 * it once with the walker, and return every reference in order, ready to be
 * drawn as the classic two-dimensional grid.
 */
#ifndef XLAT_EXPLAIN_H
#define XLAT_EXPLAIN_H

#include "xlat/machine.h"
#include "xlat/tee.h"
#include "xlat/walk.h"

XLAT_API_BEGIN

struct explain_config {
	enum machine_mode mode;
	unsigned levels;          /* guest (or native) paging levels: 4 or 5 */
	unsigned host_levels;     /* EPT levels: 4 or 5 */
	unsigned guest_shift;     /* guest (native) page: 12, 21 or 30 */
	unsigned host_shift;      /* host page backing guest memory: 12, 21 or 30 */
	xlat_va va;               /* the address walked */
	unsigned kind;            /* XLAT_READ / WRITE / FETCH */
	bool warm;                /* walk once first so PWCs and the nested TLB are warm */
	enum tee_model tee;       /* mode secure: the hardware model */
	unsigned monitor_levels;  /* secure, stage3: the monitor's stage, 4 or 5 */
	struct pwc_config pwc;    /* caches used when warm */
	struct tlb_config ntlb;
};

struct explain_step {
	struct walk_ref ref;      /* what the walker recorded */
	const struct xlat_format *fmt;  /* format of the entry read (NULL: a check's read) */
	char meaning[160];        /* fmt_describe of the entry, or what the check read */
	const char *structure;    /* whose structure: "guest page table", "EPT", "RMP", ... */
	char why[96];             /* what the read is for */
};

struct explain_result {
	unsigned nsteps;
	struct explain_step *steps;      /* nsteps, allocated: explain_result_free */
	struct walk_result walk;
	unsigned stages;
	unsigned levels[WALK_MAX_STAGES];
	const struct xlat_format *fmts[WALK_MAX_STAGES];
	xlat_pa root[WALK_MAX_STAGES];   /* CR3 (GPA when nested) and EPTP / shadow root */
	xlat_pa gpa;                     /* nested, secure: the data's guest-physical address */
	bool secure;                     /* a secure walk, of model tee */
	enum tee_model tee;
	unsigned check_refs;             /* references made by the model's check (RMP, GPT) */
	struct walk_stats stats;
};

void explain_config_init(struct explain_config *cfg);
/* Fills *res (overwritten: free a previous result first). 0 or -errno (bad
 * levels or page sizes, out of memory: message in xlat_error()); on failure
 * nothing is left allocated. Reentrant: no state outside *res. */
XLAT_MUST_CHECK int explain_walk(const struct explain_config *cfg, struct explain_result *res);
/* Frees what explain_walk allocated in *res (safe on a zeroed result). */
void explain_result_free(struct explain_result *res);

XLAT_API_END

#endif
