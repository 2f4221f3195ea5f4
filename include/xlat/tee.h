/*
 * xlat/tee.h — a secure monitor and the hardware that enforces it:
 * confidential VMs whose memory the hypervisor may manage but not read,
 * write or rearrange. Five hardware models, one monitor (docs/tee.md):
 *
 *   fold    the seed's "one more security level": the monitor owns a radix
 *           level folded on top of the host dimension (a 5-level EPT whose
 *           top table lives in monitor memory): 4+4 levels cost 29 refs.
 *   stage3  a full third stage HPA -> MPA owned by the monitor, walked for
 *           every host-physical reference: (4+1)^3 - 1 = 124 refs.
 *   rmp     AMD SEV-SNP: no extra stage; a reverse-map entry per 4 KiB
 *           frame (owner, GPA, validated) read when a guest-physical
 *           translation completes: 24 + 5 = 29 refs (APM vol. 2, 15.36).
 *   gpt     Arm CCA: a two-level granule protection table read for every
 *           physical access of the walk and the final access: 24 + 2 x 25
 *           = 74 refs, caches off (Arm RME, TF-A's GPT library).
 *   tdx     Intel TDX: the secure EPT is the host dimension, owned by the
 *           TDX module; its metadata table (PAMT) is read when a page is
 *           added (TDH.MEM.PAGE.AUG), never by the walker: 24 refs.
 *
 * Machine memory is one sparse space (tee_machine): the hypervisor manages
 * [0, hv_bytes) through a view (tee_host_space) that applies the model's
 * checks to every access it makes; the rest belongs to the monitor, whose
 * tables (ownership records, GPT, secure host-dimension tables, the third
 * stage) live there, out of the hypervisor's reach. Host-physical addresses
 * equal machine addresses (the monitor's third stage maps each frame to
 * itself: placement changes no count).
 *
 * Every machine frame the hypervisor manages has an ownership record
 * (tee_record): free (the hypervisor's), shared with a VM, assigned to a VM
 * (not yet validated / accepted) or validated at one guest-physical
 * address. Only the monitor writes records. The hypervisor asks it to
 * assign, release and share frames; the guest asks it to validate (accept)
 * and to share. A frame enters a VM zeroed and leaves it scrubbed.
 *
 * Who owns the host dimension (the GPA -> HPA table) depends on the model:
 * under rmp it is the hypervisor's own NPT (it may write anything there:
 * the RMP check catches what it does wrong at the guest's next access);
 * under the other four it is the monitor's, in monitor memory, and changes
 * go through tee_assign / tee_release / tee_share, which check the records
 * at mapping time (as TDX's PAMT, CCA's granule tracking and a nested
 * kernel's mediated page tables do).
 */
#ifndef XLAT_TEE_H
#define XLAT_TEE_H

#include "xlat/base.h"
#include "xlat/os.h"
#include "xlat/walk.h"

XLAT_API_BEGIN

struct mmu;
struct phys;
struct pt;
struct tee;
struct tee_vm;

enum tee_model { TEE_FOLD = 0, TEE_STAGE3, TEE_RMP, TEE_GPT, TEE_TDX, TEE_MODEL_COUNT };

/* Largest VM id: SNP's RMP keeps a 10-bit ASID. Id 0 is the hypervisor. */
#define TEE_MAX_VMS 1023u

struct tee_config {
	enum tee_model model;
	unsigned pa_bits;        /* machine physical-address width, 36..52 */
	uint64_t hv_bytes;       /* machine memory the hypervisor manages, [0, hv_bytes),
				  * a multiple of 1 GiB; 0: half the space. The monitor
				  * owns the rest (its structures take 1/256 of hv_bytes
				  * for the records, plus tables) */
	unsigned host_levels;    /* host dimension: 4 or 5 (fold: 4, plus the monitor's level) */
	unsigned monitor_levels; /* stage3: levels of the monitor's HPA -> MPA stage, 4 or 5 */
	unsigned gpt_cache;      /* gpt: entries of the GPT-entry cache (0: none) */
};

/* Fills cfg with the defaults of a model: 46 bits, half for the hypervisor,
 * 4 host levels, 4 monitor levels, a 16-entry GPT cache. */
void tee_config_init(struct tee_config *cfg, enum tee_model model);

/* NULL + xlat_error() on a bad configuration or no memory. */
struct tee *tee_create(const struct tee_config *cfg);
/* Every VM must be destroyed first (bug otherwise). */
void tee_destroy(struct tee *t);

const struct tee_config *tee_get_config(const struct tee *t);
/* The machine: the bottom space of every secure chain. */
struct phys *tee_machine(struct tee *t);
/* The hypervisor's physical memory: a view of the machine whose allocator
 * hands out [0, hv_bytes) and whose every access is the hypervisor's,
 * checked by the model (refused accesses fail with -EACCES). */
struct phys *tee_host_space(struct tee *t);

const char *tee_model_name(enum tee_model m);
/* "fold", "stage3", "rmp", "gpt", "tdx" -> *m; 0 or -EINVAL. */
XLAT_MUST_CHECK int tee_model_parse(const char *name, enum tee_model *m);

/* ---- ownership records --------------------------------------------------- */

enum tee_state {
	TEE_FREE = 0,       /* the hypervisor's */
	TEE_SHARED,         /* the hypervisor's, mapped shared into a VM */
	TEE_ASSIGNED,       /* a VM's, not yet validated / accepted ("pending") */
	TEE_VALIDATED,      /* a VM's, validated at record.gpa */
	TEE_MONITOR,        /* the monitor's own memory (no record: beyond hv_bytes) */
};

struct tee_record {
	enum tee_state state;
	unsigned owner;          /* VM id (assigned, validated, shared), else 0 */
	uint64_t gpa;            /* assigned / validated: the guest-physical page */
	bool poisoned;           /* tdx: the hypervisor wrote a TD line (the TD's next read faults) */
};

/* The record of machine frame pfn. 0, or -EINVAL beyond the space. */
XLAT_MUST_CHECK int tee_record(struct tee *t, uint64_t pfn, struct tee_record *r);
/* Where the record of pfn lives in machine memory (the RMP entry, the
 * PAMT entry), for reports. */
xlat_pa tee_record_addr(const struct tee *t, uint64_t pfn);

/* ---- confidential VMs --------------------------------------------------------- */

/* What the hypervisor does for the monitor. */
struct tee_hv_ops {
	/* Back guest-physical page gpa (4 KiB aligned) of v: take a free frame
	 * of the hypervisor's, map it in the hypervisor's NPT (rmp only) and
	 * tee_assign it. 0 or -errno (-EFAULT outside guest RAM). */
	int (*back)(void *ctx, struct tee_vm *v, uint64_t gpa);
	/* Translations the monitor changed may be cached: flush them (the
	 * TLBs and nested TLB of every CPU running v). May be NULL. */
	void (*flush)(void *ctx, struct tee_vm *v);
	void *ctx;
	/* The guest's own software stored to gpa through tee_vm_gpa_space
	 * (its OS writing page tables): a store the CPU would have marked in
	 * the host dimension's D bit, for a dirty log. May be NULL. */
	void (*wrote)(void *ctx, struct tee_vm *v, uint64_t gpa);
};

struct tee_vm_config {
	unsigned guest_pa_bits;      /* guest-physical width (<= the machine's) */
	uint64_t guest_ram;          /* bytes of guest-physical RAM */
	struct pt *npt;              /* rmp: the hypervisor's GPA -> HPA table (its own,
				      * in tee_host_space); NULL for the other models */
	struct tee_hv_ops hv;
};

/* A confidential VM (a TD, a realm, an SNP guest) with the next free id.
 * NULL + xlat_error() when ids or memory run out. */
struct tee_vm *tee_vm_create(struct tee *t, const struct tee_vm_config *cfg);
/* Releases (scrubs) every frame still assigned to the VM, frees its
 * monitor tables and its id. */
void tee_vm_destroy(struct tee_vm *v);

unsigned tee_vm_id(const struct tee_vm *v);
struct tee *tee_vm_tee(struct tee_vm *v);
/* The GPA -> HPA table the walker uses as the chain's host stage: the
 * hypervisor's NPT (rmp) or the monitor's (the others). */
struct pt *tee_vm_host_table(struct tee_vm *v);
/* stage3: the monitor's HPA -> MPA table for this VM (NULL otherwise). */
struct pt *tee_vm_stage3(struct tee_vm *v);
/* Guest-physical memory as the guest's own software sees it (its OS
 * writes its page tables there): every access translated by the host
 * dimension and checked as the guest; a page not yet backed is backed by
 * the hypervisor (hv.back) and accepted by the guest on first touch. */
struct phys *tee_vm_gpa_space(struct tee_vm *v);

/* Hypervisor calls. gpa and hpa are 4 KiB aligned; hpa a frame of the
 * hypervisor's (below hv_bytes).
 *
 * tee_assign: the frame becomes v's, zeroed, not yet validated, bound to
 *   gpa (RMPUPDATE; TDH.MEM.PAGE.AUG; RMI_DATA_CREATE_UNKNOWN). -EBUSY if
 *   the frame is not free, -EEXIST if gpa is already mapped or pending
 *   (mediated models).
 * tee_release: the frame backing gpa leaves v: unmapped (mediated models),
 *   scrubbed and given back to the hypervisor free (TDH.MEM.PAGE.REMOVE +
 *   reclaim; RMI_DATA_DESTROY + undelegate; RMPUPDATE to hypervisor).
 *   Sets *hpa to it when not NULL. -ENOENT if nothing of v's is there.
 * tee_share: maps free frame hpa at gpa as shared (mediated models: the
 *   monitor writes the entry; rmp: the hypervisor maps its NPT itself and
 *   this records the sharing). -EBUSY / -EEXIST as for tee_assign. */
XLAT_MUST_CHECK int tee_assign(struct tee_vm *v, uint64_t gpa, uint64_t hpa);
XLAT_MUST_CHECK int tee_release(struct tee_vm *v, uint64_t gpa, uint64_t *hpa);
XLAT_MUST_CHECK int tee_share(struct tee_vm *v, uint64_t gpa, uint64_t hpa);
/* Moves v's private page at gpa to free frame new_hpa, contents and record
 * (still validated: the guest sees nothing), the old frame coming back to
 * the hypervisor scrubbed, in *old_hpa if not NULL (TDH.MEM.PAGE.RELOCATE;
 * SEV firmware's SNP_PAGE_MOVE). Mediated models remap the host dimension
 * and flush; under rmp the hypervisor updates its NPT itself. -EBUSY if
 * new_hpa is not free, -ENOENT if gpa holds no private page of v's. */
XLAT_MUST_CHECK int tee_relocate(struct tee_vm *v, uint64_t gpa, uint64_t new_hpa, uint64_t *old_hpa);

/* Guest calls.
 *
 * tee_validate: PVALIDATE / TDG.MEM.PAGE.ACCEPT / RSI_IPA_STATE_SET: the
 *   frame assigned to v at gpa becomes validated there (mediated models:
 *   the monitor now maps it). -ENOENT if no frame of v's is assigned at gpa
 *   (rmp: the NPT maps gpa to a frame whose record is not v's at gpa),
 *   -EALREADY if already validated.
 * tee_guest_share: the guest turns gpa shared (a page-state change): its
 *   private frame, if any, is released (scrubbed); the hypervisor then maps
 *   a shared frame there with tee_share.
 * tee_guest_is_shared: whether the guest treats gpa as shared (SNP's C-bit
 *   clear, TDX's shared GPA bit, CCA's unprotected IPA). */
XLAT_MUST_CHECK int tee_validate(struct tee_vm *v, uint64_t gpa);
XLAT_MUST_CHECK int tee_guest_share(struct tee_vm *v, uint64_t gpa);
bool tee_guest_is_shared(const struct tee_vm *v, uint64_t gpa);

/* The guest was told that gpa is not validated / pending (#VC, #VE, a
 * realm's RIPAS fault): it accepts the page if it never did, else it has
 * caught the hypervisor remapping, swapping or replaying its memory.
 * 0 (accepted: retry), or -EIO (an integrity fault: the guest refuses to
 * use the page; counted in integrity_faults). */
XLAT_MUST_CHECK int tee_guest_accept(struct tee_vm *v, uint64_t gpa);

/* ---- the hardware checks ------------------------------------------------------ */

/* One read of a monitor structure made by a check. */
enum tee_ref_kind { TEE_REF_RMP = 0, TEE_REF_GPT_L0, TEE_REF_GPT_L1 };
struct tee_ref {
	xlat_pa pa;              /* machine address read */
	uint64_t val;            /* what was read */
	uint8_t kind;            /* enum tee_ref_kind */
};
#define TEE_CHECK_MAX_REFS 2

/* Where a check happens. */
enum tee_site {
	TEE_SITE_GPA = 0,        /* a guest-physical translation completed (rmp) */
	TEE_SITE_PHYS,           /* any physical access (gpt) */
};

struct tee_access {
	uint8_t site;            /* enum tee_site */
	bool write;
	xlat_pa pa;              /* the machine address accessed */
	uint64_t gpa;            /* TEE_SITE_GPA: the guest-physical address translated */
};

/* Verdicts: 0 or one of these. */
enum tee_fault {
	TEE_OK = 0,
	TEE_FAULT_RMP,           /* rmp: #NPF with the RMP bit (not v's, wrong GPA, not the
				  * hypervisor's for a shared access) */
	TEE_FAULT_NOT_VALIDATED, /* rmp: #VC, page not validated */
	TEE_FAULT_GPF,           /* gpt: granule protection fault */
	TEE_FAULT_POISON,        /* tdx: the line was written by the hypervisor (#MC) */
	TEE_FAULT_COUNT
};
const char *tee_fault_name(int f);

/* The model's check of one access of VM v (NULL: the hypervisor / normal
 * world). Reads what the hardware reads (refs[0..*nrefs), in order) and
 * returns 0 or a TEE_FAULT_*. Models without a walk-time check return 0
 * with no refs. use_cache: consult and fill the GPT cache. */
XLAT_MUST_CHECK int tee_check(struct tee *t, struct tee_vm *v, const struct tee_access *a, bool use_cache,
	      struct tee_ref *refs, unsigned *nrefs);
/* The model's physical-access check for the hypervisor's own walks (its
 * page tables in tee_host_space, over machine memory): rmp checks its
 * writes against the RMP, gpt every access against the GPT (normal world);
 * NULL for the other models, whose hypervisor reaches a VM's frames through
 * no translation the monitor allows. */
const struct walk_check *tee_host_check(struct tee *t);
/* One line saying what a check's read found, for `xlat walk --explain`
 * (kind: enum tee_ref_kind). Returns the line's length, like snprintf. */
int tee_describe_ref(struct tee *t, unsigned kind, xlat_pa pa, uint64_t val, char *buf, size_t len);
/* Empties the GPT cache (TLBI PAALL). */
void tee_flush_caches(struct tee *t);

/* ---- migration: a monitor-mediated export of encrypted pages ---------------------
 *
 * A confidential VM moves to another machine's monitor only through the
 * monitors (modelled on TDX's TDH.EXPORT.MEM / TDH.IMPORT.MEM): the source
 * monitor exports each private page encrypted and bound by a MAC to (VM
 * session, GPA, sequence number); pre-copy rounds re-export dirty pages
 * with higher numbers; the destination imports a page only if its MAC holds
 * and it is newer than what it has for that GPA, and commits only when a
 * final token from the source says it holds the latest copy of every page
 * exported. The hypervisor carries the blobs and can neither read, alter,
 * replay, reorder nor drop one unnoticed. Shared pages are the
 * hypervisor's: it copies them itself. The cipher and MAC are the model's
 * (a keyed mix of 64-bit words), standing for AES-GCM: no cryptography. */

struct tee_mig;
#define TEE_BLOB_DATA XLAT_PAGE_SIZE
struct tee_blob {
	uint64_t gpa;
	uint64_t seq;                /* per session, increasing */
	uint64_t mac;
	uint8_t data[TEE_BLOB_DATA]; /* encrypted */
};
struct tee_mig_token {
	uint64_t pages;              /* distinct GPAs exported */
	uint64_t digest;             /* of (gpa, latest seq) over them */
	uint64_t mac;
};

/* Source: starts a session for v with the key both monitors agreed on. */
struct tee_mig *tee_mig_export_begin(struct tee_vm *v, uint64_t key);
/* Exports v's private page at gpa (validated). 0, -ENOENT (nothing private
 * of v's there), -EINVAL. */
XLAT_MUST_CHECK int tee_mig_export(struct tee_mig *m, uint64_t gpa, struct tee_blob *out);
/* The token that ends the session (the VM is paused: nothing changes any
 * more). */
void tee_mig_export_end(struct tee_mig *m, struct tee_mig_token *tok);

/* Destination: a session importing into v (a fresh VM of the same size). */
struct tee_mig *tee_mig_import_begin(struct tee_vm *v, uint64_t key);
/* Imports a blob into free frame hpa: decrypted there, assigned and
 * validated at the blob's GPA (the guest accepted it at the source: its
 * bookkeeping travels in its memory), replacing an older copy, whose frame
 * goes back scrubbed in *old_hpa (0 if none). Under rmp the hypervisor maps
 * its NPT itself. -EBADMSG (MAC), -ESTALE (not newer than the copy held),
 * -EBUSY (hpa not free). */
XLAT_MUST_CHECK int tee_mig_import(struct tee_mig *m, const struct tee_blob *b, uint64_t hpa, uint64_t *old_hpa);
/* Checks the source's token against what was imported: 0, or -EBADMSG
 * (forged token) / -ESTALE (a page missing, or not its latest copy). */
XLAT_MUST_CHECK int tee_mig_import_commit(struct tee_mig *m, const struct tee_mig_token *tok);
void tee_mig_free(struct tee_mig *m);

/* ---- running a confidential VM ------------------------------------------------------
 *
 * The hypervisor's side of a confidential VM, as the machine runs it: a
 * guest OS (xlat/os.h) whose memory is tee_vm_gpa_space, the chain the
 * hardware walks for it (guest stage, host dimension, and under stage3 the
 * monitor's stage, all over machine memory), and the system layer that
 * resolves its faults:
 *   a guest #PF            -> the guest OS (no exit);
 *   a host-dimension fault -> an exit: the hypervisor backs the GPA with a
 *                             4 KiB frame of its own (tee_assign, or
 *                             tee_share for a page the guest shares);
 *                             under the mediated models a page that is
 *                             backed but pending is the guest's #VE:
 *                             it accepts it (or catches an attack);
 *   a check fault          -> not validated: the guest's #VC, it validates
 *                             (or catches an attack); any other verdict
 *                             cannot be resolved: the access is dropped.
 * Host pages are 4 KiB (the records are per 4 KiB frame). */

struct tee_cvm_config {
	uint64_t guest_ram;          /* bytes of guest-physical RAM */
	unsigned guest_pa_bits;      /* guest-physical width */
	unsigned vpid;               /* TLB tag (1..4095) */
	struct os_config guest;      /* the guest OS */
};
/* Costs come from the mmu's cost model: an exit per host-dimension fault
 * that goes to the hypervisor, a host fault per page it backs, and a guest
 * fault's price for each page the guest validates / accepts (#VC / #VE). */

struct tee_cvm_stats {
	uint64_t exits;              /* host-dimension faults that went to the hypervisor */
	uint64_t backed;             /* pages the hypervisor backed */
	uint64_t accepts;            /* pages the guest validated / accepted on a fault */
	uint64_t dropped;            /* accesses no one could resolve (denied or detected) */
};

struct tee_cvm;

/* A confidential VM on monitor t. NULL + xlat_error() on failure. */
struct tee_cvm *tee_cvm_create(struct tee *t, const struct tee_cvm_config *cfg);
void tee_cvm_destroy(struct tee_cvm *c);
/* Runs it on mmu (whose bottom space must be tee_machine): sets the chain,
 * the system layer, and makes guest process 0 current. 0 or -errno. */
XLAT_MUST_CHECK int tee_cvm_attach(struct tee_cvm *c, struct mmu *mmu);
/* Calls fn(ctx, gpa) for every store the guest's software makes to its
 * memory (tee_hv_ops.wrote), e.g. for a dirty log; fn NULL: none. */
void tee_cvm_set_write_hook(struct tee_cvm *c, void (*fn)(void *ctx, uint64_t gpa), void *ctx);
struct os *tee_cvm_guest(struct tee_cvm *c);
struct tee_vm *tee_cvm_vm(struct tee_cvm *c);
/* rmp: the hypervisor's NPT (NULL for the other models). */
struct pt *tee_cvm_npt(struct tee_cvm *c);
const struct tee_cvm_stats *tee_cvm_get_stats(const struct tee_cvm *c);
/* The model's physical-access check for this VM's walks (xlat/walk.h), as
 * attached (warm: with its caches) or for a cold walk; NULL for fold and
 * stage3, whose tables are the check. */
const struct walk_check *tee_cvm_check(const struct tee_cvm *c, bool warm);

/* ---- trusted access, for tests and reports ------------------------------- */

/* Reads machine memory as the monitor does (no checks). 0 or -errno. */
XLAT_MUST_CHECK int tee_monitor_read(struct tee *t, xlat_pa pa, void *buf, size_t len);

/* ---- counters ---------------------------------------------------------------- */

struct tee_stats {
	uint64_t assigned, released, shared;       /* monitor calls that succeeded */
	uint64_t refused;                           /* monitor calls refused (-EBUSY, -EEXIST ...) */
	uint64_t scrubbed;                          /* frames scrubbed before going back */
	uint64_t validations;                       /* pages validated / accepted */
	uint64_t integrity_faults;                  /* a guest caught a remap, swap or replay */
	uint64_t host_denied;                       /* hypervisor accesses that faulted */
	uint64_t host_ciphertext;                   /* rmp: hypervisor reads that saw ciphertext */
	uint64_t host_zeros;                        /* tdx: hypervisor reads of TD lines (zeros) */
	uint64_t host_poisoned;                     /* tdx: hypervisor writes that poisoned a TD line */
	uint64_t checks, check_refs;                /* tee_check calls, structure reads */
	uint64_t check_faults[TEE_FAULT_COUNT];     /* by verdict ([0]: passed) */
	uint64_t gpt_cache_hits, gpt_cache_misses;
};
const struct tee_stats *tee_get_stats(const struct tee *t);

XLAT_API_END

#endif
