/*
 * Internals of the secure monitor (tee.c, tee_gpt.c, tee_check.c,
 * tee_migrate.c). See xlat/tee.h and docs/tee.md.
 */
#ifndef XLAT_TEE_INT_H
#define XLAT_TEE_INT_H

#include "xlat/pt.h"
#include "xlat/tee.h"
#include "xlat/walk.h"

/*
 * An ownership record: 16 bytes per 4 KiB frame of [0, hv_bytes), at
 * rec_base + 16 * pfn in monitor memory (1/256 of the memory it covers, as
 * SNP's RMP and TDX's PAMT). Word 0 is laid out as AMD's RMP entry in the
 * PPR for family 19h model 01h (Linux arch/x86/virt/svm/sev.c, struct
 * rmpentry_raw), which is what the rmp model's hardware reads:
 *
 *   63 62  61  60     51 50                 12 11   3  2   1   0
 *  +--+---+----+---------+---------------------+------+---+---+---+
 *  |  |VAL|VMSA|  ASID   |    GPA (bits 50:12) |  0   |IMM|2M |ASG|
 *  +--+---+----+---------+---------------------+------+---+---+---+
 *
 * Word 1 is the monitor's own bookkeeping (no hardware reads it): the frame
 * is shared with VM `owner`, or was poisoned by a hypervisor write (tdx).
 */
#define REC_BYTES        16u
#define REC_ASSIGNED     (1ULL << 0)
#define REC_2M           (1ULL << 1)
#define REC_IMMUTABLE    (1ULL << 2)
#define REC_GPA_MASK     0x0007fffffffff000ULL   /* bits 50:12 */
#define REC_ASID_SHIFT   51
#define REC_ASID_MASK    (0x3ffULL << REC_ASID_SHIFT)
#define REC_VALIDATED    (1ULL << 62)
#define REC1_SHARED      (1ULL << 0)
#define REC1_POISON      (1ULL << 1)
#define REC1_OWNER_SHIFT 16
#define REC1_OWNER_MASK  (0x3ffULL << REC1_OWNER_SHIFT)

/*
 * Arm's granule protection table (RME; TF-A lib/gpt_rme/gpt_rme_private.h):
 * level 0 holds one 8-byte descriptor per 1 GiB region (L0GPTSZ = 30): a
 * block descriptor (type 1, GPI in bits 7:4) for a region of one PAS, or a
 * table descriptor (type 3, L1 table address in bits 51:12). A level 1
 * table holds 16 four-bit GPIs per 8-byte entry, one per 4 KiB granule:
 * entry (pa >> 16) & 0x3fff of the region, GPI (pa >> 12) & 0xf.
 */
#define GPT_L0_SHIFT     30u
#define GPT_L1_BYTES     (1u << 17)            /* 128 KiB: 2^18 granules x 4 bits */
#define GPT_TYPE_BLOCK   1ULL
#define GPT_TYPE_TABLE   3ULL
#define GPT_GPI_NO_ACCESS 0x0u
#define GPT_GPI_SECURE   0x8u
#define GPT_GPI_NS       0x9u
#define GPT_GPI_ROOT     0xau
#define GPT_GPI_REALM    0xbu
#define GPT_GPI_ANY      0xfu

/* A small open-addressing map of 64-bit keys (frame or page numbers). */
#define TEE_MAP_EMPTY UINT64_MAX
struct tee_map {
	uint64_t *keys, *vals;
	size_t cap, n;              /* cap: a power of two, or 0 */
};
int tee_map_put(struct tee_map *m, uint64_t key, uint64_t val);   /* 0 or -ENOMEM */
bool tee_map_get(const struct tee_map *m, uint64_t key, uint64_t *val);
bool tee_map_del(struct tee_map *m, uint64_t key);
void tee_map_free(struct tee_map *m);
/* Calls fn for every entry (the map must not change meanwhile). */
void tee_map_each(const struct tee_map *m, void (*fn)(void *priv, uint64_t key, uint64_t val),
		  void *priv);

/* One cached GPT descriptor (by its machine address). */
struct gpt_cache_entry {
	xlat_pa addr;               /* TEE_MAP_EMPTY: empty */
	uint64_t val;
	uint64_t used;              /* LRU stamp */
};

struct tee {
	struct tee_config cfg;
	struct phys *mem;           /* the machine */
	struct phys *host;          /* the hypervisor's view of it */
	uint64_t hv_frames;         /* [0, hv_frames) is the hypervisor's */
	xlat_pa rec_base;           /* records */
	uint64_t zero_pfn;          /* a monitor frame never written: a TD line as the host reads it */
	uint64_t sink_pfn;          /* where a hypervisor write to a TD line goes (tdx) */
	uint64_t cipher_pfn;        /* the ciphertext a hypervisor read of a guest frame sees (rmp) */
	/* gpt */
	xlat_pa gpt_l0;             /* level 0 table */
	uint64_t gpt_regions;       /* its entries */
	struct gpt_cache_entry *gcache;
	uint64_t gcache_clock;
	struct tee_vm *vms[TEE_MAX_VMS + 1];
	struct walk_check host_check;   /* tee_host_check */
	bool any_poison;            /* tdx: some hypervisor write ever poisoned a line (until then
				     * the poison check has nothing to find) */
	struct tee_stats st;
};

struct tee_vm {
	struct tee *t;
	unsigned id;
	struct tee_vm_config cfg;
	struct pt own;              /* mediated models: the host dimension, in monitor memory */
	struct pt s3;               /* stage3: HPA -> MPA */
	struct phys *gpa;           /* the guest's software view */
	struct tee_map owned;       /* pfn -> gpa (| 1 when shared) of every frame of the VM's */
	struct tee_map pending;     /* mediated: gpfn -> pfn assigned, not yet accepted */
	/* The guest's own bookkeeping (what its OS knows, not the monitor's): */
	struct tee_map accepted;    /* gpfns it validated / accepted */
	struct tee_map gshared;     /* gpfns it treats as shared */
};

static inline bool tee_mediated(const struct tee *t)
{
	return t->cfg.model != TEE_RMP;
}

/* tee.c */
int tee_rec_read(struct tee *t, uint64_t pfn, uint64_t *w0, uint64_t *w1);
int tee_rec_write(struct tee *t, uint64_t pfn, uint64_t w0, uint64_t w1);
/* gpa -> hpa through v's host dimension. 0 or -ENOENT. */
int tee_host_lookup(struct tee_vm *v, uint64_t gpa, uint64_t *hpa);
/* After the monitor's host dimension changed at gpa: its table pages are
 * realm memory (gpt) and in v's third stage (stage3). */
int tee_cover_tables(struct tee_vm *v, uint64_t gpa);
int tee_s3_map(struct tee_vm *v, uint64_t hpa);
int tee_s3_unmap(struct tee_vm *v, uint64_t hpa);
/* Frame pfn leaves v: scrubbed unless shared, its record free. */
int tee_frame_leave(struct tee_vm *v, uint64_t pfn, bool shared);
/* The keystream word the model's cipher uses. */
uint64_t tee_keystream(uint64_t key, uint64_t a, uint64_t b);

/* tee_gpt.c */
int tee_gpt_init(struct tee *t);
/* The GPI of granule pfn, as the hardware finds it (refs filled when not NULL). */
unsigned tee_gpt_lookup(struct tee *t, xlat_pa pa, bool use_cache, struct tee_ref *refs, unsigned *nrefs);
/* Sets the GPI of granule pfn (shattering its region's block). 0 or -errno. */
int tee_gpt_set(struct tee *t, uint64_t pfn, unsigned gpi);
void tee_gpt_cache_flush(struct tee *t);

/* tee_check.c */
int tee_check_quiet(struct tee *t, struct tee_vm *v, const struct tee_access *a, bool use_cache,
		    struct tee_ref *refs, unsigned *nrefs);

#endif
