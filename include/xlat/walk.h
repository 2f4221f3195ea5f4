/*
 * xlat/walk.h — the one page walker: N stages, any format.
 *
 * A translation is a chain of stages. A stage is one radix table: a format,
 * a root, and control bits. The table pages of stage k live in the *input*
 * space of stage k+1; those of the last stage, and its output, live in the
 * chain's bottom space `mem`. To read one entry of stage k the walker first
 * translates the entry's address through stages k+1 .. n-1, so
 *
 *   native  VA  -> PA                      1 stage : 4 refs (4-level, 4K)
 *   nested  GVA -> GPA -> HPA              2 stages: (4+1)(4+1)-1 = 24 refs
 *   shadow  GVA -> HPA (shadow table)      1 stage : 4 refs
 *   secure  GVA -> GPA -> HPA -> MPA       3 stages
 *
 * all come from one loop. References are recorded in architectural order:
 * for each level of stage k, the walk of the entry's address through the
 * later stages, then the entry itself; then the walk of the output address.
 *
 * Faults are data (struct walk_fault), never longjmps: an x86 stage raises a
 * page fault (error code + CR2, SDM 4.7), an EPT stage an EPT violation
 * (exit qualification, SDM 29.3.3.2 / table 28-7) or misconfiguration.
 * Accessed/dirty bits are written when the stage asks for it (SDM 4.8,
 * 29.3.5), only when they change, and only when the translation succeeds.
 */
#ifndef XLAT_WALK_H
#define XLAT_WALK_H

#include "xlat/access.h"
#include "xlat/base.h"
#include "xlat/format.h"

XLAT_API_BEGIN

struct phys;
struct pwc;
struct tlb;

#define WALK_MAX_STAGES 4
/* (5+1)^4 - 1: the most references one walk can make with 4 stages of 5 levels. */
#define WALK_MAX_REFS   1295

/* Stage control bits. x86 stages: */
#define WALK_WP     (1u << 0)   /* CR0.WP: supervisor writes obey R/W */
#define WALK_SMEP   (1u << 1)   /* CR4.SMEP */
#define WALK_SMAP   (1u << 2)   /* CR4.SMAP */
#define WALK_NXE    (1u << 3)   /* IA32_EFER.NXE: bit 63 is XD */
#define WALK_SET_AD (1u << 4)   /* write accessed/dirty bits (x86: always on real CPUs; EPT: EPTP[6]) */
/* EPT stages: */
#define WALK_MBEC      (1u << 8)  /* mode-based execute control (EPT UX bit) */
#define WALK_EXEC_ONLY (1u << 9)  /* execute-only EPT entries allowed (IA32_VMX_EPT_VPID_CAP[0]) */
/* Any stage: 1 GiB leaves allowed (CPUID pdpe1gb / EPT capability). */
#define WALK_1G        (1u << 10)
#define WALK_X86_DEFAULT (WALK_WP | WALK_NXE | WALK_SET_AD | WALK_1G)
#define WALK_EPT_DEFAULT (WALK_EXEC_ONLY | WALK_1G)

/* A stage's accessed/dirty hook: hardware beside the walker that sees the
 * walker set A/D flags in the stage's entries, as Intel's page-modification
 * logging sees the EPT's (SDM vol. 3C 29.3.6: before it sets an EPT A or D
 * flag the CPU checks the log's index; when it sets a leaf's D from 0 to 1
 * it logs the guest-physical address). fn runs before the flags are
 * written, once per translation unit that writes any: in is the stage's
 * input address being translated, dirty says that the leaf's D goes from 0
 * to 1. A stage without a hook (NULL) walks as if none existed. */
struct walk_ad_hook {
	void (*fn)(void *ctx, xlat_va in, bool dirty);
	void *ctx;
};

struct walk_stage {
	const struct xlat_format *fmt;
	xlat_pa root;            /* address of the top table in this stage's table space */
	unsigned maxphyaddr;     /* physical-address width of this stage's entries */
	unsigned ctl;            /* WALK_* */
	uint32_t tag;            /* PCID (x86) or VPID/EP4TA tag (EPT) for the caches */
	struct pwc *pwc;         /* this stage's paging-structure cache, or NULL */
	const struct walk_ad_hook *ad_hook;   /* NULL: none (above) */
};

/* A request: translate va (an input address of stage 0). */
struct walk_req {
	xlat_va va;
	uint8_t kind;            /* enum xlat_kind */
	bool supervisor;         /* CPL < 3 */
	bool ac;                 /* EFLAGS.AC (SMAP override for explicit supervisor accesses) */
	bool implicit;           /* implicit supervisor access (GDT, TSS ...): supervisor-mode
				  * even at CPL 3, and SMAP ignores AC */
};

/* #PF error code bits (SDM 4.7, figure 4-12). */
#define WALK_PF_P    (1u << 0)   /* 0: not present; 1: protection violation */
#define WALK_PF_W    (1u << 1)   /* write */
#define WALK_PF_U    (1u << 2)   /* user-mode access */
#define WALK_PF_RSVD (1u << 3)   /* reserved bit set in some entry */
#define WALK_PF_I    (1u << 4)   /* instruction fetch (only when NXE or SMEP) */
#define WALK_PF_PK   (1u << 5)   /* protection key */

/* Extra bit of walk_result.perms (and so of a TLB entry's perms): every
 * stage after stage 0 allows writes (always set for a one-stage chain).
 * With CR0.WP = 0 a supervisor write ignores stage 0's R/W but never a
 * later stage's, which the AND in XLAT_W alone cannot tell apart. */
#define WALK_PERM_LOWER_W (1u << 16)

/* EPT violation exit qualification bits (SDM vol. 3C table 28-7). */
#define WALK_EPTQ_READ        (1ull << 0)
#define WALK_EPTQ_WRITE       (1ull << 1)
#define WALK_EPTQ_FETCH       (1ull << 2)
#define WALK_EPTQ_READABLE    (1ull << 3)  /* the GPA's translation was readable (AND of R over levels) */
#define WALK_EPTQ_WRITABLE    (1ull << 4)
#define WALK_EPTQ_EXECUTABLE  (1ull << 5)  /* supervisor-executable with MBEC */
#define WALK_EPTQ_UEXECUTABLE (1ull << 6)  /* user-executable (MBEC) */
#define WALK_EPTQ_GLA_VALID   (1ull << 7)  /* guest linear address field is valid */
#define WALK_EPTQ_GLA_XLATE   (1ull << 8)  /* 1: access to the translated address; 0: to a guest paging-structure entry */
/* A #PF raised by an x86 stage after stage 0 (AMD nested paging, #NPF):
 * exit_qual says what was being translated (APM vol. 2 15.25.6, EXITINFO1). */
#define WALK_NPF_FINAL        (1ull << 32) /* the final guest-physical address */
#define WALK_NPF_TABLE        (1ull << 33) /* a guest paging-structure entry */

enum walk_fault_kind {
	WALK_OK = 0,
	WALK_PAGE_FAULT,        /* #PF raised by an x86 stage */
	WALK_EPT_VIOLATION,     /* EPT stage: permission or not-present */
	WALK_EPT_MISCONFIG,     /* EPT stage: reserved bits / bad memory type / W without R */
	WALK_BAD_ADDRESS,       /* an address beyond the bottom space or a view that cannot resolve */
	WALK_CHECK_FAULT,       /* the chain's physical-access check refused an access
				 * (error_code: its verdict; addr: the site's address) */
};
#define WALK_FAULT_KINDS (WALK_CHECK_FAULT + 1)

struct walk_fault {
	enum walk_fault_kind kind;
	uint8_t stage;          /* stage that faulted */
	uint8_t level;          /* level of the entry that caused it */
	uint32_t error_code;    /* #PF: PF_* */
	xlat_va addr;           /* #PF: CR2 (the stage's input address); EPT: the guest-physical address */
	xlat_va gla;            /* EPT: guest linear address when WALK_EPTQ_GLA_VALID */
	uint64_t exit_qual;     /* EPT violation: EPTQ_*; #PF of a stage > 0: NPF_* */
	uint64_t entry;         /* the entry read at `level`, raw (a not-present entry keeps
				 * its bits; 0 if none was read) */
};

/* One memory reference: one entry read. */
struct walk_ref {
	uint8_t stage;          /* whose entry (0 = first stage) */
	uint8_t level;          /* its level */
	uint8_t for_stage;      /* this read serves stage for_stage's ... */
	uint8_t for_level;      /* ... entry at this level (0: the final output address) */
	xlat_va in_addr;        /* entry address in the stage's table space (a GPA for a guest entry) */
	xlat_pa addr;           /* entry address in the bottom space */
	uint64_t entry;         /* value read (before A/D updates) */
	uint8_t check;          /* 0: an entry of stage `stage`; else a read of the chain's
				 * check (walk_check_ref's tag), made for the access of
				 * stage `stage` (level 0: an output) */
};

/* Counters the walker keeps per chain; reset by the owner. */
struct walk_stats {
	uint64_t walks;                                           /* walk_translate calls */
	uint64_t refs;                                            /* entries read */
	uint64_t refs_at[WALK_MAX_STAGES][XLAT_MAX_LEVELS + 1];   /* per stage and level */
	uint64_t start_level[XLAT_MAX_LEVELS + 1];                /* stage-0 walks by first level read (PWC effect) */
	uint64_t pwc_hits[WALK_MAX_STAGES], pwc_misses[WALK_MAX_STAGES];
	uint64_t ntlb_hits, ntlb_misses;                          /* nested TLB (inner translations) */
	uint64_t ad_writes;                                       /* entries whose A or D the walker set */
	uint64_t faults[WALK_FAULT_KINDS];                        /* by kind; [WALK_OK]: successes */
	uint64_t checks, check_refs;                              /* check calls, their reads */
};

/* Bits of an entry (cyclically adjacent) that may hold its rights. */
#define WALK_RIGHTS_BITS   11
#define WALK_RIGHTS_WINDOW (1u << WALK_RIGHTS_BITS)

/* Private to walk.c: what the walker derives from a stage's fmt, maxphyaddr
 * and ctl, recomputed whenever one of the three changes, so owners may edit
 * stages in place. Zero-initialised is fine. One level's masks sit together,
 * as the walker reads them. */
struct walk_level_priv {
	uint64_t leaf_bit;                        /* a present entry is a leaf iff (e & leaf_bit) */
	uint64_t rsvd[2];                         /* [leaf]: reserved bits */
	uint64_t addr[2];                         /* [leaf]: address field */
};

struct walk_stage_priv {
	const struct xlat_format *fmt;
	unsigned maxphyaddr, ctl;
	xlat_pa root;                             /* the root last validated */
	unsigned fmt_ctl;                         /* FMT_CTL_* equivalent of ctl */
	bool paging;                              /* fmt's model is FMT_MODEL_PAGING */
	bool misconfig;                           /* fmt has a misconfiguration rule */
	uint64_t present;                         /* entry present iff (e & present) */
	uint64_t flip;                            /* fmt->perm.xd with NXE, else 0 */
	uint64_t global;                          /* fmt->perm.g */
	struct walk_level_priv lv[XLAT_MAX_LEVELS + 1];   /* by level */
	/* Rights word -> XLAT_* (walk.c's rights_perms): the word rotated
	 * left by rot brings every bit a right needs into the bits of mask
	 * (at most WALK_RIGHTS_BITS of them: 4 for x86, 3 for EPT, 11 for
	 * EPT with MBEC), which index the table. Built for the grant masks in
	 * grant, and kept across refreshes that do not change them. */
	struct {
		bool valid;
		uint64_t grant[5];
		unsigned rot;
		uint64_t mask;
		uint8_t perms[WALK_RIGHTS_WINDOW];
	} rights;
};

/*
 * A physical-access check: secure hardware beside the walker that looks at
 * the physical accesses a walk makes (AMD's RMP check, Arm's granule
 * protection check; docs/tee.md). The walker calls it at two sites:
 *   WALK_CHECK_ENTRY   an entry of the chain's last stage was read at pa
 *                      (every entry a one-stage chain reads);
 *   WALK_CHECK_OUTPUT  a translation of an input of stage min(1, n-1)
 *                      reached the bottom space: in -> pa (a guest
 *                      entry's or the data's guest-physical address; the
 *                      final address of a one-stage chain). A nested-TLB
 *                      hit is no call: its entry carries the check.
 * The entries of the other stages are read at addresses an OUTPUT checked.
 * What the check reads it reports with walk_check_ref: counted in refs,
 * recorded in the traces (so the cost model charges it), never a stage's
 * entry. A chain without a check (NULL) walks as if none existed.
 */
#define WALK_CHECK_ENTRY  0
#define WALK_CHECK_OUTPUT 1

struct walk_check_site {
	uint8_t site;           /* WALK_CHECK_ENTRY / WALK_CHECK_OUTPUT */
	uint8_t stage, level;   /* ENTRY: the entry's; OUTPUT: the stage translated, level 0 */
	uint8_t for_stage, for_level;   /* whom the access serves, as walk_ref */
	bool write;             /* OUTPUT: the translated access writes (data, not a table) */
	bool table;             /* OUTPUT: pa is an earlier stage's table entry */
	bool use_cache;         /* walk_check.use_cache */
	xlat_va in;             /* OUTPUT: the input translated; ENTRY: the entry's table-space address */
	xlat_pa pa;             /* the bottom-space address accessed */
	unsigned shift;         /* OUTPUT: the translation's page size (log2) */
	unsigned max_shift;     /* OUTPUT, set by the check: the largest page the translation
				 * may be cached as (the check's granule); starts at 63 */
};

struct walk_check_call;     /* a walk in progress, for walk_check_ref */

struct walk_check {
	/* 0 to allow the access, or a verdict > 0: the walk faults with
	 * WALK_CHECK_FAULT (error_code = verdict, addr = the site's in for an
	 * OUTPUT, its pa for an ENTRY). */
	int (*fn)(void *ctx, struct walk_check_call *call, struct walk_check_site *s);
	void *ctx;
	bool use_cache;         /* the check may use caches of its own (false: a cold walk) */
	uint8_t max_refs;       /* the most walk_check_ref calls one site makes */
};

/* Reports one read the check made (machine address pa, value val; tag: the
 * check's name for what it read, > 0, kept in walk_ref.check). */
void walk_check_ref(struct walk_check_call *call, xlat_pa pa, uint64_t val, uint8_t tag);

struct walk_chain {
	unsigned n;                               /* stages, 1..WALK_MAX_STAGES */
	struct walk_stage stage[WALK_MAX_STAGES];
	struct phys *mem;                         /* bottom space: every entry is read here */
	/* Nested TLB: caches translations of stage-1 inputs (GPAs of guest
	 * entries and data) to the bottom space, tagged by stage[1].tag.
	 * NULL: none. Only used when n >= 2. */
	struct tlb *ntlb;
	/* The physical-access check, or NULL (above). */
	const struct walk_check *check;
	struct walk_stats stats;
	struct walk_stage_priv priv[WALK_MAX_STAGES];  /* walk.c's cache, not API */
};

/* The translation. */
struct walk_result {
	xlat_pa pa;             /* bottom-space address of req->va (valid when fault.kind == WALK_OK) */
	unsigned shift;         /* log2 of the combined page: the smallest over the stages */
	uint32_t perms;         /* combined XLAT_R/W/X/U (W only if every stage allows it;
				 * X for this page's mode; U from stage 0) | WALK_PERM_LOWER_W */
	bool dirty;             /* every stage's leaf has D set (a write hit needs no walk);
				 * a stage without WALK_SET_AD counts as dirty */
	bool global;            /* stage-0 leaf has G (and CR4.PGE is assumed on) */
	uint32_t refs;          /* entries read by this walk */
	uint8_t start_level;    /* the first level stage 0 read (below a PWC hit), 0 if none */
	struct walk_fault fault;  /* on success only fault.kind (WALK_OK) is written */
	/* Optional traces: the first refs_cap references, in architectural
	 * order, in full to refs_out and as bottom-space addresses only to
	 * ref_addrs (what a cost model needs), each if not NULL. */
	struct walk_ref *refs_out;
	xlat_pa *ref_addrs;
	uint32_t refs_cap;
};

/* Initialises an empty chain (n = 0, no NTLB, zero stats) over the bottom
 * space mem; push stage 0 first. Owners may later edit stage fields (root,
 * tag, ctl, pwc) in place between walks. */
void walk_chain_init(struct walk_chain *c, struct phys *mem);
/* Appends a stage; returns its index or -EINVAL (too many stages). */
XLAT_MUST_CHECK int walk_chain_push(struct walk_chain *c, const struct walk_stage *st);
/* The most references one walk of the chain can make: the product over its
 * stages of (levels + 1), minus 1 (4 for one 4-level stage, 24 for 4 + 4),
 * plus, with a check, max_refs for each site (at most one per entry read
 * and one per output); what a refs_out or ref_addrs buffer needs to hold
 * every reference. */
uint32_t walk_chain_max_refs(const struct walk_chain *c);

/* Translates req->va. Returns 0 with res->fault.kind == WALK_OK, or 0 with a
 * fault recorded (the fault is the architectural outcome, not an error), or
 * -errno only for misuse (bad chain). res->refs_out, ref_addrs and refs_cap
 * are inputs. */
XLAT_MUST_CHECK int walk_translate(struct walk_chain *c, const struct walk_req *req, struct walk_result *res);

/* Checks an access against the combined permissions of a cached translation
 * (a TLB hit; perms as walk_result.perms, WALK_PERM_LOWER_W included):
 * returns true if allowed, false if it would fault (the caller then walks to
 * get the architectural fault). ctl: stage 0's WALK_* bits (an x86 stage).
 * It does not look at D: a write hit on a clean entry still needs a walk. */
bool walk_perm_ok(uint32_t perms, const struct walk_req *req, unsigned ctl);

XLAT_API_END

#endif
