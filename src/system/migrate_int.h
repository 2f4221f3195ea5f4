/* Internals of live migration (migrate.c, migrate_secure.c). */
#ifndef XLAT_MIGRATE_INT_H
#define XLAT_MIGRATE_INT_H

#include "xlat/migrate.h"

#define CHUNK_PAGES 16          /* pages per send step */
#define BATCH 1024              /* workload records per step of the guest */
#define CCACHE 4096             /* content-write translation cache entries */
#define MAX_SAMPLES 200000
#define SAMPLE_EVERY 0.001      /* s between curve samples */
#define MIG_ENDLESS (1ULL << 62) /* records: the workload's count while it runs */

struct ccache_ent {
	uint64_t page;          /* va >> 12, ~0 empty */
	uint8_t *frame;
};

struct mrun {
	const struct mig_config *cfg;
	struct mig_result *res;
	struct machine *src, *twin;
	struct vm *vm;
	struct phys *host;
	struct xlat_source *wl;
	struct xlat_access *batch;
	uint64_t records, writes;
	struct ccache_ent *cc;
	double ghz;                 /* GHz */
	double base;                /* base cycles per access */
	/* clock */
	double now;                 /* s */
	double budget;              /* guest cycles (or accesses, with guest_rate) it may still run */
	double cpr;                 /* cycles per record, running estimate */
	size_t batch_cap;           /* records per step at most (1 after a post-copy wait) */
	bool stopped;
	unsigned throttle;          /* % */
	/* the guest's cycles, source and twin, and extra waits (post-copy stalls) */
	double stall_cycles;
	/* stream */
	struct mig_writer w;
	struct mig_parser *parser;
	struct phys *dest;
	uint64_t bytes;             /* on the wire so far */
	/* pages */
	uint64_t npages, words;
	uint64_t *pending, npending;
	uint64_t *sent;             /* reached the destination at least once */
	uint64_t *logmap;
	uint64_t cursor;
	struct mig_policy pol;
	/* the current round */
	struct mig_round cur;
	uint64_t round_acc0, round_exits0;
	double round_src0, round_twin0, round_guest0;
	double last_sample;
	/* post-copy */
	bool in_postcopy;
	uint64_t *missing, nmissing;
	hpa_t *frame;               /* post-copy: a page's host frame + 1 while unmapped, 0 none */
	struct phys *snap;          /* the source's memory at switch-over (the pages still to send) */
	double link_debt;           /* s of link time pulled pages took from pushing */
	/* a confidential VM (mode secure) */
	struct mig_secure *sec;
};

static inline bool bt(const uint64_t *m, uint64_t i) { return (m[i / 64] >> (i % 64)) & 1; }
static inline void bs(uint64_t *m, uint64_t i) { m[i / 64] |= 1ULL << (i % 64); }
static inline void bc(uint64_t *m, uint64_t i) { m[i / 64] &= ~(1ULL << (i % 64)); }

/* ---- bitmaps ---------------------------------------------------------------------- */




/* A confidential VM (mode secure, migrate_secure.c): the monitors export
 * and import its pages. */
struct mig_secure;
int mig_secure_check(const struct mig_config *c);
/* The destination VM, the sessions, the dirty log over the monitor's
 * host dimension. 0 or -errno. */
int mig_secure_setup(struct mrun *r);
void mig_secure_free(struct mrun *r);
/* The host frame of guest-virtual va now (the guest's own stores). */
uint8_t *mig_secure_frame(struct mrun *r, xlat_va va);
int mig_secure_log_start(struct mrun *r);
/* Gets and clears the dirty pages into map; *host_s: what it took. */
int64_t mig_secure_log_sync(struct mrun *r, uint64_t *map, double *host_s);
void mig_secure_log_stop(struct mrun *r);
/* Page p's record: a blob the monitor exported, or a zero page. Sets
 * *flag. 0 or -errno. */
int mig_secure_send(struct mrun *r, uint64_t p, int *flag);
/* The destination's parser callbacks (blobs imported, the token
 * committed). */
void mig_secure_parser_ops(struct mrun *r, struct mig_parser_ops *ops);
/* The session's token, before the end record. */
int mig_secure_finish(struct mrun *r);
/* The destination VM's memory against the source's. */
void mig_secure_verify(struct mrun *r, const struct mig_vcpu *v);

#endif
