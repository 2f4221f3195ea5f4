/*
 * xlat/migrate.h — live migration of a VM between two machines: the
 * pre-copy policy QEMU applies (written once, for the model and for any
 * real backend), the stream of records the link carries and the parser
 * that reads it, and the model's migration of a running guest over a
 * modelled link (docs/migrate.md).
 *
 * Pre-copy (QEMU, migration/migration.c and migration/ram.c): the source
 * starts dirty logging, marks every page dirty (round 0 sends them all),
 * and sends dirty pages while the guest runs. The bandwidth is measured
 * every 100 ms (BUFFER_DELAY: bytes sent in the window / its length) and
 * the threshold is bandwidth x downtime-limit; when the pages still to
 * send fall below it, the dirty log is synced (migration_bitmap_sync: the
 * pages written since join the set: a new round) and, if the set is still
 * below the threshold, the guest is stopped, the log synced once more,
 * and the rest sent with the vCPU state: the downtime. Auto-converge
 * (migration_trigger_throttle, at a sync at least a second after the last
 * check): when the bytes dirtied in the period exceed 50 % of the bytes
 * sent in it twice, the vCPUs are throttled to 20 %, then 10 % more each
 * time, up to 99 % (cpu-throttle: the vCPU sleeps that share of the
 * time). Post-copy switches over at once (or after N rounds): the
 * destination runs and asks for each missing page it touches (a round
 * trip and the page), while the source pushes the rest.
 */
#ifndef XLAT_MIGRATE_H
#define XLAT_MIGRATE_H

#include "xlat/dirty.h"
#include "xlat/machine.h"
#include "xlat/phys.h"
#include "xlat/workload.h"

XLAT_API_BEGIN

/* ---- the link --------------------------------------------------------------- */

struct mig_link {
	double bandwidth;            /* bytes per second, > 0 */
	double rtt;                  /* round-trip time, seconds, >= 0 */
};

enum mig_link_preset { MIG_LINK_DC = 0, MIG_LINK_WAN, MIG_LINK_PRESETS };
/* dc: 10 Gbit/s, 0.1 ms; wan: 1 Gbit/s, 40 ms (sources in migrate.c and
 * docs/migrate.md). */
void mig_link_preset(struct mig_link *l, enum mig_link_preset p);
const char *mig_link_preset_name(enum mig_link_preset p);
const char *mig_link_preset_source(enum mig_link_preset p);
/* "dc", "wan" -> *p. 0 or -EINVAL. */
XLAT_MUST_CHECK int mig_link_preset_parse(const char *name, enum mig_link_preset *p);
/* A rate: "10G" / "10Gbit" (bits per second, k M G T = 10^3..), "1.25GB" /
 * "1.25GB/s" (bytes per second). 0 or -EINVAL (zero, negative, junk). */
XLAT_MUST_CHECK int mig_parse_rate(const char *s, double *bytes_per_s);

/* ---- the policy: QEMU's rules ---------------------------------------------- */

#define MIG_BUFFER_DELAY 0.1         /* s: QEMU's BUFFER_DELAY, the bandwidth window */
#define MIG_THROTTLE_PERIOD 1.0      /* s: migration_bitmap_sync checks the throttle at most this often */
#define MIG_MAX_WAIT 0.05            /* s: ram_save_iterate sends for at most this long (MAX_WAIT)
				      * before the pending estimate is looked at again */

struct mig_policy_config {
	double downtime_limit;       /* s: QEMU's downtime-limit (default 300 ms) */
	unsigned max_rounds;         /* switch over after this many rounds whatever the estimate;
				      * 0: never (QEMU has no such limit) */
	bool auto_converge;          /* QEMU's auto-converge capability */
	unsigned throttle_trigger;   /* %: throttle-trigger-threshold (50) */
	unsigned throttle_initial;   /* %: cpu-throttle-initial (20) */
	unsigned throttle_increment; /* %: cpu-throttle-increment (10) */
	unsigned throttle_max;       /* %: max-cpu-throttle (99) */
	int postcopy_after;          /* rounds of pre-copy before post-copy starts; -1: no post-copy */
};
void mig_policy_config_init(struct mig_policy_config *c);

/* What the source decides at a sync. */
enum mig_decision {
	MIG_ITERATE = 0,             /* another round */
	MIG_COMPLETE,                /* stop and copy: the rest fits the downtime limit */
	MIG_COMPLETE_FORCED,         /* stop and copy: max_rounds reached */
	MIG_POSTCOPY,                /* switch to post-copy */
};

struct mig_policy {
	struct mig_policy_config cfg;
	double bandwidth;            /* bytes/s, last window's measure (0 before the first) */
	double threshold;            /* bytes: bandwidth x downtime_limit */
	double window_start;         /* s */
	uint64_t window_bytes0;      /* bytes sent when the window started */
	double period_start;         /* s: last throttle check (time_last_bitmap_sync) */
	uint64_t period_bytes0;      /* bytes sent then (bytes_xfer_prev) */
	uint64_t period_dirty;       /* pages dirtied in the period (num_dirty_pages_period) */
	unsigned high_count;         /* dirty_rate_high_cnt */
	unsigned throttle;           /* %: the vCPU throttle now */
	unsigned syncs;              /* dirty_sync_count */
	unsigned throttle_steps;     /* times the throttle was raised */
};

/* now: seconds since the migration started. */
void mig_policy_init(struct mig_policy *p, const struct mig_policy_config *cfg, double now);
/* Bytes sent so far (total): measures the bandwidth once a window of
 * MIG_BUFFER_DELAY has passed (migration_update_counters). */
void mig_policy_sent(struct mig_policy *p, double now, uint64_t total_bytes);
/* Should the dirty log be synced now, with pending bytes still to send
 * (migration_iteration_run: pending < threshold)? */
bool mig_policy_want_sync(const struct mig_policy *p, uint64_t pending_bytes);
/* A sync added dirtied pages (new ones, those already pending excluded or
 * not: QEMU counts every page the sync found dirty); runs the
 * auto-converge check when a period has passed. Returns true if the
 * throttle changed. */
bool mig_policy_synced(struct mig_policy *p, double now, uint64_t dirtied_pages, uint64_t total_bytes);
/* After a sync, with pending bytes still to send and `rounds` syncs done
 * since the first: what next. */
enum mig_decision mig_policy_decide(const struct mig_policy *p, uint64_t pending_bytes, unsigned rounds);
/* The downtime QEMU expects: pending / bandwidth (s); 0 before a measure. */
double mig_policy_expected_downtime(const struct mig_policy *p, uint64_t pending_bytes);

/* ---- the stream ---------------------------------------------------------------
 *
 * A header (MIG_STREAM_MAGIC, version, page size, guest RAM bytes), then
 * records, each a big-endian 64-bit word: a page address with flags in its
 * low 12 bits (as QEMU's RAM stream: offset | RAM_SAVE_FLAG_*), then
 *   MIG_REC_PAGE   4096 bytes of contents
 *   MIG_REC_ZERO   one byte, the fill (0): a page of zeros
 *   MIG_REC_EOS    nothing: the end of a round (address 0)
 *   MIG_REC_VCPU   a 32-bit length and the vCPU state (address 0)
 *   MIG_REC_BLOB   a confidential page exported by the monitor: 64-bit
 *                  sequence number and MAC, then 4096 encrypted bytes
 *   MIG_REC_TOKEN  the monitor's end-of-export token: pages, digest, MAC
 *                  (three 64-bit words; address 0)
 *   MIG_REC_END    a 64-bit checksum of every byte before it: the end.
 * The parser refuses a damaged stream (bad magic or version, an unknown
 * flag or two, an address outside guest RAM or unaligned, a zero record
 * whose fill is not 0, a vCPU record of the wrong length, anything after
 * the end, a checksum that does not match, a stream that stops before its
 * end) with one line.
 */
#define MIG_STREAM_MAGIC "XLATMIG1"
#define MIG_STREAM_VERSION 1u
#define MIG_STREAM_HEADER 24u        /* bytes: magic, be32 version, be32 page size, be64 guest RAM */
#define MIG_REC_ZERO 0x002u
#define MIG_REC_PAGE 0x008u
#define MIG_REC_EOS  0x010u
#define MIG_REC_VCPU 0x020u
#define MIG_REC_BLOB 0x040u
#define MIG_REC_END  0x080u
#define MIG_REC_TOKEN 0x100u
#define MIG_REC_HEADER 8u            /* bytes of a record's word */

/* The vCPU state the model carries at switch-over: what the guest runs on
 * (its CR3, address space and TLB tag) and where its program is. */
struct mig_vcpu {
	uint64_t cr3;                /* guest-physical root of the current process */
	uint64_t records;            /* workload records consumed (its program counter) */
	uint64_t writes;             /* writes made (the content sequence) */
	uint32_t asid;               /* current guest process */
	uint32_t tag;                /* VPID << 12 | PCID */
};
#define MIG_VCPU_BYTES 32u

/* Bytes a record takes on the wire. */
static inline uint64_t mig_record_bytes(unsigned flag)
{
	return MIG_REC_HEADER + (flag == MIG_REC_PAGE ? XLAT_PAGE_SIZE : flag == MIG_REC_ZERO ? 1 :
				 flag == MIG_REC_VCPU ? 4 + MIG_VCPU_BYTES : flag == MIG_REC_BLOB ? 16 + XLAT_PAGE_SIZE :
				 flag == MIG_REC_END ? 8 : flag == MIG_REC_TOKEN ? 24 : 0);
}

/* The writer: appends to a growing buffer and keeps the checksum. */
struct mig_writer {
	uint8_t *buf;
	size_t len, cap;
	uint64_t total;              /* bytes written since the start (taken or not) */
	uint64_t sum;                /* checksum state */
};
void mig_writer_init(struct mig_writer *w);
void mig_writer_free(struct mig_writer *w);
XLAT_MUST_CHECK int mig_write_header(struct mig_writer *w, uint64_t guest_ram);
/* A page: MIG_REC_ZERO if data is all zeros (zero_detect) or NULL, else
 * MIG_REC_PAGE. Returns the flag written, or -ENOMEM. */
XLAT_MUST_CHECK int mig_write_page(struct mig_writer *w, uint64_t gpa, const uint8_t *data, bool zero_detect);
XLAT_MUST_CHECK int mig_write_blob(struct mig_writer *w, uint64_t gpa, uint64_t seq, uint64_t mac, const uint8_t *data);
XLAT_MUST_CHECK int mig_write_eos(struct mig_writer *w);
XLAT_MUST_CHECK int mig_write_vcpu(struct mig_writer *w, const struct mig_vcpu *v);
XLAT_MUST_CHECK int mig_write_token(struct mig_writer *w, uint64_t pages, uint64_t digest, uint64_t mac);
XLAT_MUST_CHECK int mig_write_end(struct mig_writer *w);
/* Hands out what was written since the last take (*len bytes at the
 * returned pointer, valid until the next write). */
const uint8_t *mig_writer_take(struct mig_writer *w, size_t *len);

/* The parser: fed any pieces of the stream, it writes pages into `mem`
 * (the destination's guest-physical memory) and keeps the vCPU state. */
struct mig_parser;
struct mig_parser_ops {
	/* A page arrived (after it was written to mem): flag MIG_REC_PAGE,
	 * MIG_REC_ZERO or MIG_REC_BLOB (then seq, mac and the encrypted data
	 * are the caller's to import; nothing is written to mem). 0 or
	 * -errno (refuses the stream). May be NULL. */
	int (*page)(void *ctx, uint64_t gpa, unsigned flag, uint64_t seq, uint64_t mac, const uint8_t *data);
	/* The monitor's token arrived. 0 or -errno. May be NULL. */
	int (*token)(void *ctx, uint64_t pages, uint64_t digest, uint64_t mac);
	void *ctx;
};
/* mem NULL: the pages are only checked (a fuzz target). NULL + xlat_error()
 * on no memory. */
struct mig_parser *mig_parser_create(struct phys *mem, const struct mig_parser_ops *ops);
void mig_parser_destroy(struct mig_parser *p);
/* 0 or -EBADMSG (the stream is damaged: one line in xlat_error(), and the
 * parser refuses everything after) or the callback's -errno. */
XLAT_MUST_CHECK int mig_parser_feed(struct mig_parser *p, const uint8_t *data, size_t len);
/* The stream is over: 0 if it ended with its end record, else -EBADMSG. */
XLAT_MUST_CHECK int mig_parser_finish(struct mig_parser *p);
/* What arrived. */
struct mig_parser_stats {
	uint64_t bytes, pages, zero_pages, blobs, rounds, tokens;
	bool have_vcpu, ended;
	struct mig_vcpu vcpu;
	uint64_t guest_ram;          /* from the header */
};
const struct mig_parser_stats *mig_parser_stats(const struct mig_parser *p);

/* ---- the model's migration ---------------------------------------------------- */

struct mig_config {
	struct machine_config machine;   /* the source (and the destination's twin) */
	struct xlat_workload workload;   /* what the guest runs, endlessly (restarted at its end) */
	bool prefill;                    /* write every page of the workload's range first */
	uint64_t warmup;                 /* workload records run before the migration starts */
	struct dirty_config dirty;
	struct mig_link link;
	struct mig_policy_config policy;
	bool zero_detect;                /* zero pages as MIG_REC_ZERO (QEMU's save_zero_page) */
	double guest_rate;               /* accesses per second of guest time; 0: the cost model's */
	uint64_t tee_key;                /* secure: the key both monitors agreed on */
	/* Called after the destination's memory is complete, before it is
	 * compared with the source's (tests corrupt a page here). */
	void (*before_verify)(void *ctx, struct phys *dest);
	void *before_verify_ctx;
	void (*progress)(void *ctx, double now, uint64_t pending_pages, unsigned round);
	void *progress_ctx;
};
/* Defaults: nested paging, 1 GiB of guest RAM, the random workload over
 * 256 MiB with 30 % writes, prefill, wp with eager splitting, the dc link,
 * QEMU's policy, zero-page detection, the cost model's rate. */
void mig_config_init(struct mig_config *c);
/* The checks mig_run makes first: one line and -EINVAL. */
XLAT_MUST_CHECK int mig_check(const struct mig_config *c);

/* One round: from the sync that started it to the one that ended it. */
struct mig_round {
	unsigned index;
	double start, duration;          /* s */
	uint64_t pages_sent;             /* records of pages (zero ones included) */
	uint64_t zero_pages;
	uint64_t bytes_sent;
	uint64_t pages_dirtied;          /* the sync that ended it found this many dirty */
	double dirty_rate;               /* pages dirtied / duration (pages per second) */
	uint64_t pending_after;          /* pages to send after that sync */
	uint64_t guest_accesses;
	double guest_seconds;            /* guest time run (throttle excluded) */
	double guest_slowdown;           /* cycles per access tracked / untracked - 1 */
	unsigned throttle;               /* % during the round */
	uint64_t tracking_exits;
	double expected_downtime;        /* s, at the sync that ended it */
};

/* The curve --plot draws: pages still to send and the dirty rate. */
struct mig_sample {
	double t;                        /* s */
	uint64_t pending;                /* pages */
	double dirty_rate;               /* pages/s of the round */
	unsigned round;
};

struct mig_result {
	bool converged;                  /* switched over by the downtime rule */
	bool forced;                     /* by max_rounds */
	bool postcopy;                   /* switched to post-copy */
	bool verified;                   /* destination == source at switch-over, byte for byte */
	char verify_msg[160];            /* why not, or what was compared */
	unsigned rounds;                 /* pre-copy rounds (syncs before switch-over) */
	double setup;                    /* s: logging started (eager splits) before round 0 */
	double switchover;               /* s: when the source stopped */
	double downtime;                 /* s: source stopped .. destination running */
	double expected_downtime;        /* s: QEMU's estimate at the decision */
	double total;                    /* s: start .. destination has every page */
	uint64_t bytes_sent, pages_sent, zero_pages, normal_pages;
	uint64_t downtime_pages, downtime_bytes;
	double guest_slowdown;           /* over the pre-copy phase */
	uint64_t tracking_exits;
	uint64_t guest_accesses, guest_writes;
	double guest_seconds;
	unsigned final_throttle;         /* % at switch-over */
	unsigned throttle_steps;
	double bandwidth_measured;       /* bytes/s at the decision */
	/* post-copy */
	uint64_t pc_faults;              /* pages the destination asked for */
	double pc_stall;                 /* s the vCPU waited for them */
	double pc_stall_max;             /* s: the longest */
	uint64_t pc_pushed;              /* pages the source pushed */
	double pc_duration;              /* s: switch-over .. last page */
	double pc_slowdown;              /* the guest's, post-copy phase, stalls included */
	struct dirty_stats dirty;
	enum dirty_mech mech;
	struct mig_round *round;         /* [rounds] */
	size_t nrounds;
	struct mig_sample *samples;
	size_t nsamples;
	uint64_t guest_pages;            /* guest RAM / 4 KiB */
	bool secure;                     /* through the monitors' export */
	uint64_t blobs;                  /* secure: pages exported encrypted */
};

/* Runs the migration. 0 (whether it converged or not: see res) or -errno
 * with one line (bad parameters, a failed run). res is the caller's to
 * free with mig_result_free. */
XLAT_MUST_CHECK int mig_run(const struct mig_config *c, struct mig_result *res);
void mig_result_free(struct mig_result *res);

XLAT_API_END

#endif
