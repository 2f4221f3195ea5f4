/*
 * The model's live migration (xlat/migrate.h, docs/migrate.md): a source
 * machine whose guest runs its workload while its memory goes, as a
 * stream of records over a modelled link, into the destination's memory;
 * QEMU's policy (migrate_policy.c) decides when to sync the dirty log and
 * when to switch over.
 *
 * Time. The migration has one clock (seconds since it started). Sending
 * takes bytes / bandwidth; syncing the dirty log takes the host cycles
 * the log reports at the preset's clock; meanwhile the guest runs: it is
 * given the elapsed time (times 1 - throttle) in cycles at the preset's
 * clock, and runs records until its cycles (accesses x
 * base_cycles_per_access + TLB, walk, fault and exit cycles, + the dirty
 * log's handler cycles) have used them. So tracking slows the guest as
 * its exits and flushes cost, and the dirty rate follows. A twin machine
 * without tracking runs the same records: the slowdown is the ratio of
 * their cycles.
 *
 * Bytes. The guest's writes carry values: after each batch, each write
 * record's bytes (a value derived from its address and a sequence
 * number) are written into guest memory through the guest's page table,
 * so touched pages hold contents and untouched ones zeros. Pages leave the
 * source as records (migrate_stream.c) that the destination's parser
 * writes into its own memory; at the end the two are compared.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"
#include "xlat/parse.h"


/* ---- configuration ------------------------------------------------------------------- */

void mig_config_init(struct mig_config *c)
{
	memset(c, 0, sizeof *c);
	machine_config_init(&c->machine);
	c->machine.mode = MACHINE_NESTED;
	c->machine.guest_ram = 1ULL << 30;
	if (xlat_workload_init(&c->workload, "random"))
		XLAT_BUG("the random workload is not registered");
	c->workload.size = 256ULL << 20;
	c->workload.write = 0.3;
	c->prefill = true;
	dirty_config_init(&c->dirty);
	mig_link_preset(&c->link, MIG_LINK_DC);
	mig_policy_config_init(&c->policy);
	/* QEMU iterates until it converges or is cancelled; the model stops
	 * after 30 rounds and switches over (reported as forced). */
	c->policy.max_rounds = 30;
	c->zero_detect = true;
	c->tee_key = 0x6b65792d6d696731ull;
}

/* Guest RAM the workload's range needs: its pages, a table page per 2 MiB
 * of them (4 KiB pages; fewer with huge ones), the firmware's first MiB
 * and room for the upper tables. */
static uint64_t footprint(const struct mig_config *c)
{
	uint64_t pages = xlat_align_up(c->workload.size, XLAT_PAGE_SIZE) >> XLAT_PAGE_SHIFT;
	return (pages + pages / 512 + 64) * XLAT_PAGE_SIZE + (1ULL << 20);
}

int mig_check(const struct mig_config *c)
{
	const struct machine_config *m = &c->machine;
	int rc;

	if ((rc = machine_config_check(m)))
		return rc;
	if (m->mode == MACHINE_NATIVE)
		return xlat_fail(-EINVAL, "migration moves a VM: give mode nested, shadow or secure, not native");
	if (!(c->link.bandwidth > 0) || !isfinite(c->link.bandwidth))
		return xlat_fail(-EINVAL, "bandwidth: %g bytes/s moves nothing: give a positive rate", c->link.bandwidth);
	if (!(c->link.rtt >= 0) || !isfinite(c->link.rtt) || c->link.rtt > 10)
		return xlat_fail(-EINVAL, "rtt: %g s is not a round trip of 0 to 10 s", c->link.rtt);
	if (!(c->policy.downtime_limit > 0) || c->policy.downtime_limit > 2000)
		return xlat_fail(-EINVAL, "downtime-limit: %g s is not in (0, 2000] s (QEMU's range)",
				 c->policy.downtime_limit);
	if (c->policy.throttle_initial < 1 || c->policy.throttle_initial > 99 || c->policy.throttle_increment < 1 ||
	    c->policy.throttle_increment > 99 || c->policy.throttle_max < 1 || c->policy.throttle_max > 99 ||
	    c->policy.throttle_trigger < 1 || c->policy.throttle_trigger > 100)
		return xlat_fail(-EINVAL, "auto-converge: throttles are 1..99 %% and the trigger 1..100 %%");
	if (!(c->guest_rate >= 0) || !isfinite(c->guest_rate))
		return xlat_fail(-EINVAL, "guest-rate: %g accesses per second is not a rate", c->guest_rate);
	if (c->workload.size > m->guest_ram || footprint(c) > m->guest_ram) {
		char a[32], b[32];
		xlat_parse_size_str(c->workload.size, a, sizeof a);
		xlat_parse_size_str(m->guest_ram, b, sizeof b);
		return xlat_fail(-EINVAL, "the workload's memory (size %s) does not fit the guest RAM (%s) with its "
				 "page tables: give the VM more memory or the workload less", a, b);
	}
	if (m->mode == MACHINE_SHADOW && c->dirty.mech != DIRTY_WP && c->dirty.mech != DIRTY_SHADOW)
		return xlat_fail(-EINVAL, "tracking %s needs the EPT's accessed/dirty flags, and shadow paging has no EPT "
				 "(wp write-protects the shadow entries)", dirty_mech_name(c->dirty.mech));
	if (m->mode == MACHINE_NESTED && c->dirty.mech == DIRTY_SHADOW)
		return xlat_fail(-EINVAL, "tracking shadow write-protects shadow entries: it needs mode shadow");
	if (m->mode == MACHINE_NESTED && (c->dirty.mech == DIRTY_AD || c->dirty.mech == DIRTY_PML) && !m->ept_ad)
		return xlat_fail(-EINVAL, "tracking %s needs EPT accessed/dirty flags (--ept-ad, ept_ad=1)%s",
				 dirty_mech_name(c->dirty.mech),
				 c->dirty.mech == DIRTY_PML ? ": the CPU logs a page when it sets its EPT D bit" : "");
	struct xlat_source *s = NULL;
	if ((rc = xlat_workload_open(&s, &c->workload)))
		return rc;
	xlat_source_close(s);
	return m->mode == MACHINE_SECURE ? mig_secure_check(c) : 0;
}

/* ---- the guest's cycles -------------------------------------------------------------- */

static double mmu_cycles(struct machine *m, double base)
{
	const struct mmu_stats *s = mmu_get_stats(machine_mmu(m));
	return (double)s->accesses * base + (double)(s->tlb_cycles + s->walk_cycles + s->fault_cycles + s->exit_cycles);
}

static double dirty_cycles(struct mrun *r)
{
	struct dirty_log *d = machine_dirty_log(r->src);
	return (d ? (double)dirty_log_stats(d)->guest_cycles : 0) + (double)r->res->dirty.guest_cycles;
}

/* What the source's vCPU spent: its accesses, translation, faults, exits,
 * the dirty log's handlers and post-copy's waits. */
static double src_cycles(struct mrun *r)
{
	return mmu_cycles(r->src, r->base) + dirty_cycles(r) + r->stall_cycles;
}

static double twin_cycles(struct mrun *r)
{
	return mmu_cycles(r->twin, r->base);
}

static uint64_t log_exits(struct mrun *r)
{
	struct dirty_log *d = machine_dirty_log(r->src);
	return (d ? dirty_log_stats(d)->exits : 0) + r->res->dirty.exits;
}

/* ---- the guest's bytes ------------------------------------------------------------------ */

static void cc_flush(struct mrun *r)
{
	for (size_t i = 0; i < CCACHE; i++)
		r->cc[i].page = ~0ULL;
}

/* The host frame holding guest-virtual page va >> 12 now, or NULL (not
 * mapped: the access was dropped). */
static uint8_t *cc_frame(struct mrun *r, xlat_va va)
{
	uint64_t page = va >> XLAT_PAGE_SHIFT;
	struct ccache_ent *e = &r->cc[(page * 0x9E3779B97F4A7C15ull) >> 52];
	hpa_t hpa;

	if (e->page == page)
		return e->frame;
	uint8_t *f;
	if (r->sec)
		f = mig_secure_frame(r, va);
	else if (vm_reference_translate(r->vm, va, &hpa))
		return NULL;
	else
		f = phys_frame(r->host, hpa >> XLAT_PAGE_SHIFT, true);
	if (!f)
		return NULL;
	e->page = page;
	e->frame = f;
	return f;
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The values of a batch's writes, written into guest memory: byte k of an
 * access at va is byte (va + k) % 8 of mix64(sequence number ^ va). */
static void apply_writes(struct mrun *r, const struct xlat_access *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (xlat_is_event(a[i].kind)) {
			cc_flush(r);
			continue;
		}
		if (a[i].kind != XLAT_WRITE)
			continue;
		uint64_t v = mix64(++r->writes ^ a[i].va);
		xlat_va va = a[i].va;
		uint32_t left = a[i].size ? a[i].size : 1;
		while (left) {
			uint32_t off = (uint32_t)(va & (XLAT_PAGE_SIZE - 1));
			uint32_t k = XLAT_PAGE_SIZE - off < left ? (uint32_t)(XLAT_PAGE_SIZE - off) : left;
			uint8_t *f = cc_frame(r, va);
			if (f)
				for (uint32_t j = 0; j < k; j++)
					f[off + j] = (uint8_t)(v >> (8 * ((va + j) & 7)));
			va += k;
			left -= k;
		}
	}
}

/* ---- the guest runs ----------------------------------------------------------------------- */

/* The guest's program never ends: a generator with a record count gets
 * one it cannot reach (one that ends anyway, gc, starts again). */
static int open_workload(struct mrun *r)
{
	struct xlat_workload w = r->cfg->workload;
	w.count = MIG_ENDLESS;
	return xlat_workload_open(&r->wl, &w);
}

static int reopen(struct mrun *r)
{
	xlat_source_close(r->wl);
	r->wl = NULL;
	return open_workload(r);
}

/* n records of the workload through the source and the twin. */
static int step(struct mrun *r, size_t n)
{
	size_t got = 0;
	int rc, empty = 0;

	while (got < n) {
		int64_t k = xlat_source_next(r->wl, r->batch + got, n - got);
		if (k < 0)
			return (int)k;
		if (k == 0) {
			/* The program ends: it starts again (the guest keeps
			 * running its workload). */
			if (++empty > 1)
				return xlat_fail(-EINVAL, "the workload yields no records");
			if ((rc = reopen(r)))
				return rc;
			continue;
		}
		empty = 0;
		got += (size_t)k;
	}
	if ((rc = machine_feed(r->src, r->batch, n)) || (r->twin && (rc = machine_feed(r->twin, r->batch, n))))
		return rc;
	apply_writes(r, r->batch, n);
	r->records += n;
	return 0;
}

/* The guest runs for dt seconds of migration time (less the throttle's
 * share): until its cycles have used them, or with a pinned rate that many
 * accesses. */
static int run_guest(struct mrun *r, double dt)
{
	double share = 1.0 - r->throttle / 100.0;
	double rate = r->cfg->guest_rate;

	if (dt <= 0 || r->stopped)
		return 0;
	r->budget += rate > 0 ? rate * dt * share : dt * share * r->ghz * 1e9;
	if (!r->batch_cap)
		r->batch_cap = BATCH;
	while (r->budget >= (rate > 0 ? 1.0 : 0.0) && r->budget > 0) {
		size_t n;
		if (rate > 0)
			n = r->budget < BATCH ? (size_t)r->budget : BATCH;
		else {
			double want = r->budget / r->cpr;
			n = want < 1 ? 1 : want > BATCH ? BATCH : (size_t)want;
		}
		/* A post-copy wait stops the vCPU: after one, records go one at
		 * a time (a batch would take several waits at once, where the
		 * pages the source pushes meanwhile would have spared some),
		 * growing back while none comes. */
		if (n > r->batch_cap)
			n = r->batch_cap;
		double c0 = src_cycles(r), s0 = r->stall_cycles;
		int rc = step(r, n);
		if (rc)
			return rc;
		double used = src_cycles(r) - c0;
		if (used < 0.01 * (double)n)
			used = 0.01 * (double)n;   /* no record is free: the clock must move */
		if (r->stall_cycles != s0)
			r->batch_cap = 1;
		else if (r->batch_cap < BATCH)
			r->batch_cap *= 2;
		if (rate > 0) {
			/* Post-copy's waits take time from a pinned rate too. */
			r->budget -= (double)n + (r->stall_cycles - s0) / (r->ghz * 1e9) * rate;
		} else {
			r->budget -= used;
			r->cpr = 0.8 * r->cpr + 0.2 * used / (double)n;
		}
	}
	return 0;
}

/* Moves the clock: the guest runs meanwhile. */
static int advance(struct mrun *r, double dt)
{
	int rc = run_guest(r, dt);
	r->now += dt;
	return rc;
}

/* ---- the stream ------------------------------------------------------------------------------ */

/* The source's page pfn as it is now (NULL: never backed, zeros). */
static const uint8_t *src_page(struct mrun *r, uint64_t pfn)
{
	if (r->in_postcopy)
		return phys_frame(r->snap, pfn, false);
	struct pt_leaf leaf;
	if (pt_lookup(vm_gpa_map(r->vm), pfn << XLAT_PAGE_SHIFT, &leaf))
		return NULL;
	hpa_t hpa = leaf.pa + ((pfn << XLAT_PAGE_SHIFT) - leaf.va);
	return phys_frame(r->host, hpa >> XLAT_PAGE_SHIFT, false);
}

/* What the writer holds goes over the link and through the destination's
 * parser. Returns the bytes, or -errno. */
static int64_t ship(struct mrun *r)
{
	size_t len;
	const uint8_t *b = mig_writer_take(&r->w, &len);
	int rc = mig_parser_feed(r->parser, b, len);

	if (rc)
		return rc;
	r->bytes += len;
	r->res->bytes_sent += len;
	return (int64_t)len;
}

/* The next pending page from the cursor on (QEMU's find_dirty_block goes
 * round RAM from where it was), or UINT64_MAX. */
static uint64_t next_pending(struct mrun *r, uint64_t *bits)
{
	for (uint64_t k = 0; k <= r->words; k++) {
		uint64_t w = (r->cursor / 64 + k) % r->words;
		uint64_t v = bits[w];
		if (k == 0)
			v &= ~0ULL << (r->cursor % 64);
		if (v)
			return w * 64 + (uint64_t)__builtin_ctzll(v);
	}
	return UINT64_MAX;
}

static int send_page(struct mrun *r, uint64_t p)
{
	int flag;
	if (r->sec) {
		int rc = mig_secure_send(r, p, &flag);
		if (rc)
			return rc;
	} else {
		flag = mig_write_page(&r->w, p << XLAT_PAGE_SHIFT, src_page(r, p), r->cfg->zero_detect);
	}
	if (flag < 0)
		return flag;
	r->res->pages_sent++;
	r->cur.pages_sent++;
	if (flag == MIG_REC_ZERO) {
		r->res->zero_pages++;
		r->cur.zero_pages++;
	} else {
		r->res->normal_pages++;
	}
	bs(r->sent, p);
	return 0;
}

/* Sends up to max pending pages; returns the bytes, or -errno. */
static int64_t send_chunk(struct mrun *r, uint64_t *bits, uint64_t *count, unsigned max)
{
	for (unsigned i = 0; i < max && *count; i++) {
		uint64_t p = next_pending(r, bits);
		if (p == UINT64_MAX)
			XLAT_BUG("%llu pages pending and none found", (unsigned long long)*count);
		bc(bits, p);
		(*count)--;
		r->cursor = p + 1 < r->npages ? p + 1 : 0;
		int rc = send_page(r, p);
		if (rc)
			return rc;
	}
	int64_t len = ship(r);
	if (len > 0)
		r->cur.bytes_sent += (uint64_t)len;
	return len;
}

/* ---- rounds and the curve ------------------------------------------------------------------------ */

static void sample(struct mrun *r, bool force)
{
	struct mig_result *res = r->res;
	if (!force && r->now < r->last_sample + SAMPLE_EVERY)
		return;
	if (res->nsamples >= MAX_SAMPLES)
		return;
	if (res->nsamples % 1024 == 0) {
		struct mig_sample *s = realloc(res->samples, (res->nsamples + 1024) * sizeof *s);
		if (!s)
			return;   /* the curve is thinner, the run is not wrong */
		res->samples = s;
	}
	double rate = 0;
	if (res->nrounds)
		rate = res->round[res->nrounds - 1].dirty_rate;
	res->samples[res->nsamples++] = (struct mig_sample){
		.t = r->now, .pending = r->in_postcopy ? r->nmissing : r->npending, .dirty_rate = rate,
		.round = r->cur.index,
	};
	r->last_sample = r->now;
	if (r->cfg->progress)
		r->cfg->progress(r->cfg->progress_ctx, r->now, r->in_postcopy ? r->nmissing : r->npending,
				 r->cur.index);
}

static void begin_round(struct mrun *r, unsigned index)
{
	memset(&r->cur, 0, sizeof r->cur);
	r->cur.index = index;
	r->cur.start = r->now;
	r->cur.throttle = r->throttle;
	r->round_acc0 = mmu_get_stats(machine_mmu(r->src))->accesses;
	r->round_exits0 = log_exits(r);
	r->round_src0 = src_cycles(r);
	r->round_twin0 = twin_cycles(r);
}

static int end_round(struct mrun *r, uint64_t dirtied)
{
	struct mig_result *res = r->res;
	struct mig_round *c = &r->cur;

	c->duration = r->now - c->start;
	c->pages_dirtied = dirtied;
	c->dirty_rate = c->duration > 0 ? (double)dirtied / c->duration : 0;
	c->pending_after = r->npending;
	c->guest_accesses = mmu_get_stats(machine_mmu(r->src))->accesses - r->round_acc0;
	c->tracking_exits = log_exits(r) - r->round_exits0;
	double sc = src_cycles(r) - r->round_src0, tc = twin_cycles(r) - r->round_twin0;
	c->guest_seconds = sc / (r->ghz * 1e9);
	c->guest_slowdown = tc > 0 ? sc / tc - 1 : 0;
	c->expected_downtime = mig_policy_expected_downtime(&r->pol, r->npending * XLAT_PAGE_SIZE);
	struct mig_round *v = realloc(res->round, (res->nrounds + 1) * sizeof *v);
	if (!v)
		return xlat_fail(-ENOMEM, "migrate: out of memory");
	res->round = v;
	res->round[res->nrounds++] = *c;
	sample(r, true);
	return 0;
}

/* Syncs the dirty log into the pending pages; the host's time for it
 * passes (the guest runs meanwhile, unless stopped). *dirtied: pages the
 * log reported; *added: those not already pending. */
static int sync_log(struct mrun *r, uint64_t *dirtied, uint64_t *added)
{
	struct dirty_log *d = machine_dirty_log(r->src);
	uint64_t add = 0;
	double host_s = 0;
	int64_t n;

	memset(r->logmap, 0, r->words * sizeof *r->logmap);
	if (r->sec) {
		n = mig_secure_log_sync(r, r->logmap, &host_s);
	} else {
		uint64_t host0 = dirty_log_stats(d)->host_cycles;
		n = machine_dirty_log_sync(r->src, r->logmap);
		host_s = (double)(dirty_log_stats(d)->host_cycles - host0) / (r->ghz * 1e9);
	}
	if (n < 0)
		return (int)n;
	for (uint64_t w = 0; w < r->words; w++) {
		uint64_t fresh = r->logmap[w] & ~r->pending[w];
		add += (uint64_t)__builtin_popcountll(fresh);
		r->pending[w] |= r->logmap[w];
	}
	r->npending += add;
	*dirtied = (uint64_t)n;
	*added = add;
	return advance(r, host_s);
}

/* The log's counters go into the result before it is stopped. */
static void stop_log(struct mrun *r)
{
	struct dirty_log *d = machine_dirty_log(r->src);
	if (r->sec)
		mig_secure_log_stop(r);   /* its counters are the result's already */
	if (!d)
		return;
	const struct dirty_stats *s = dirty_log_stats(d);
	uint64_t *dst = (uint64_t *)&r->res->dirty;
	const uint64_t *srcv = (const uint64_t *)s;
	for (size_t i = 0; i < sizeof *s / sizeof(uint64_t); i++)
		dst[i] += srcv[i];
	machine_dirty_log_stop(r->src);
}

static struct mig_vcpu vcpu_now(struct mrun *r)
{
	struct os *os = machine_os(r->src);
	return (struct mig_vcpu){
		.cr3 = os_cr3(os), .records = r->records, .writes = r->writes,
		.asid = os_current_asid(os), .tag = mmu_tag(machine_mmu(r->src)),
	};
}

_Static_assert(sizeof(struct dirty_stats) % sizeof(uint64_t) == 0, "dirty_stats: counters only");

/* ---- the destination's memory against the source's ------------------------------------------ */

/* Compares every page of the destination with the source at switch-over
 * (src: NULL for the source's live memory, else its snapshot) and the vCPU
 * state. */
static void verify(struct mrun *r, struct phys *snap, const struct mig_vcpu *at_switch)
{
	struct mig_result *res = r->res;
	const struct mig_parser_stats *ps = mig_parser_stats(r->parser);
	uint64_t bad = 0, first = 0;

	if (r->cfg->before_verify)
		r->cfg->before_verify(r->cfg->before_verify_ctx, r->dest);
	for (uint64_t p = 0; p < r->npages; p++) {
		const uint8_t *a = snap ? phys_frame(snap, p, false) : src_page(r, p);
		const uint8_t *b = phys_frame(r->dest, p, false);
		static const uint8_t zeros[XLAT_PAGE_SIZE];
		if (!a)
			a = zeros;
		if (!b || memcmp(a, b, XLAT_PAGE_SIZE)) {
			if (!bad++)
				first = p;
		}
	}
	bool vcpu_ok = ps->have_vcpu && !memcmp(&ps->vcpu, at_switch, sizeof *at_switch);
	res->verified = bad == 0 && vcpu_ok && ps->ended;
	if (bad)
		snprintf(res->verify_msg, sizeof res->verify_msg,
			 "%llu of %llu pages differ (the first at guest-physical %#llx)", (unsigned long long)bad,
			 (unsigned long long)r->npages, (unsigned long long)(first << XLAT_PAGE_SHIFT));
	else if (!vcpu_ok)
		snprintf(res->verify_msg, sizeof res->verify_msg, "the vCPU state differs");
	else if (!ps->ended)
		snprintf(res->verify_msg, sizeof res->verify_msg, "the stream did not end");
	else
		snprintf(res->verify_msg, sizeof res->verify_msg,
			 "all %llu pages and the vCPU state equal the source's at switch-over",
			 (unsigned long long)r->npages);
}

/* ---- pre-copy's end: stop and copy ---------------------------------------------------------- */

static int finish_stream(struct mrun *r, const struct mig_vcpu *v)
{
	int rc;
	if ((rc = mig_write_eos(&r->w)) || (rc = mig_write_vcpu(&r->w, v)) || (r->sec && (rc = mig_secure_finish(r))) ||
	    (rc = mig_write_end(&r->w)))
		return rc;
	int64_t len = ship(r);
	if (len < 0)
		return (int)len;
	return mig_parser_finish(r->parser);
}

static int stop_and_copy(struct mrun *r)
{
	struct mig_result *res = r->res;
	uint64_t dirtied, added, bytes0;
	int rc;

	r->stopped = true;
	res->switchover = r->now;
	res->final_throttle = r->throttle;
	res->bandwidth_measured = r->pol.bandwidth;
	/* ram_save_complete: the last sync, with the guest stopped. */
	if ((rc = sync_log(r, &dirtied, &added)))
		return rc;
	stop_log(r);
	bytes0 = r->bytes;
	res->downtime_pages = r->npending;
	while (r->npending) {
		int64_t len = send_chunk(r, r->pending, &r->npending, 256);
		if (len < 0)
			return (int)len;
	}
	struct mig_vcpu v = vcpu_now(r);
	if ((rc = finish_stream(r, &v)))
		return rc;
	res->downtime_bytes = r->bytes - bytes0;
	double send = (double)res->downtime_bytes / r->cfg->link.bandwidth + r->link_debt;
	r->link_debt = 0;
	res->downtime = (r->now - res->switchover) + send + r->cfg->link.rtt / 2;
	r->now = res->switchover + res->downtime;
	res->total = r->now;
	if (r->sec)
		mig_secure_verify(r, &v);
	else
		verify(r, NULL, &v);
	return 0;
}

/* ---- post-copy ---------------------------------------------------------------------------------- */

/* A page reached the destination: under post-copy it is placed in its
 * frame (the parsed bytes, from the destination's memory) and is no longer
 * missing. */
static int pc_arrived(void *ctx, uint64_t gpa, unsigned flag, uint64_t seq, uint64_t mac, const uint8_t *data)
{
	struct mrun *r = ctx;
	uint64_t p = gpa >> XLAT_PAGE_SHIFT;
	(void)seq;
	(void)mac;
	(void)data;

	if (!r->in_postcopy)
		return 0;
	if (r->frame[p]) {
		hpa_t hpa = r->frame[p] - 1;
		uint8_t buf[XLAT_PAGE_SIZE];
		int rc = phys_read(r->dest, gpa, buf, sizeof buf);
		if (rc || (rc = phys_write(r->host, hpa, buf, sizeof buf)))
			return rc;
	}
	if (bt(r->missing, p)) {
		bc(r->missing, p);
		r->nmissing--;
	}
	(void)flag;
	return 0;
}

/* The destination touches a GPA it has not mapped (vm_set_missing): a page
 * still at the source is asked for (the vCPU waits a round trip and the
 * page's transfer); a page here is mapped (the EPT violation a fresh
 * destination takes for every page). */
static int pc_missing(void *ctx, struct vm *vm, gpa_t gpa, bool write)
{
	struct mrun *r = ctx;
	uint64_t p = gpa >> XLAT_PAGE_SHIFT;
	(void)write;

	if (p >= r->npages)
		return 1;
	if (bt(r->missing, p)) {
		int rc = send_page(r, p);
		int64_t len = rc ? rc : ship(r);
		if (len < 0)
			return (int)len;
		double wait = r->cfg->link.rtt + (double)len / r->cfg->link.bandwidth;
		r->res->pc_faults++;
		r->res->pc_stall += wait;
		if (wait > r->res->pc_stall_max)
			r->res->pc_stall_max = wait;
		r->stall_cycles += wait * r->ghz * 1e9;
		r->link_debt += (double)len / r->cfg->link.bandwidth;
	}
	hpa_t hpa;
	if (r->frame[p]) {
		hpa = r->frame[p] - 1;
		r->frame[p] = 0;
	} else {
		/* Never backed at the source: a fresh zeroed 4 KiB page (not
		 * the host policy's huge one, whose block may hold pages of
		 * ours still to place). */
		uint64_t pfn;
		int rc = phys_alloc(r->host, 1, 1, &pfn);
		if (rc || (rc = phys_zero(r->host, pfn, 1)))
			return rc == -ENOMEM ? xlat_fail(-ENOMEM, "migrate: the destination's host is out of memory") : rc;
		hpa = pfn << XLAT_PAGE_SHIFT;
	}
	int rc = vm_map_gpa(vm, gpa, hpa);
	if (rc)
		return rc;
	mmu_charge_host_fault(machine_mmu(r->src), XLAT_PAGE_SHIFT);
	return 0;
}

static int pc_unmapped(void *priv, gpa_t gpa, hpa_t hpa)
{
	struct mrun *r = priv;
	r->frame[gpa >> XLAT_PAGE_SHIFT] = hpa + 1;
	return 0;
}

/* Discard runs: QEMU tells the destination which pages it holds are stale
 * (postcopy_send_discard_bitmap), as ranges; a range is two 64-bit words
 * here. */
static uint64_t discard_bytes(struct mrun *r)
{
	uint64_t runs = 0;
	bool in = false;
	for (uint64_t p = 0; p < r->npages; p++) {
		bool stale = bt(r->pending, p) && bt(r->sent, p);
		runs += stale && !in;
		in = stale;
	}
	return MIG_REC_HEADER + 16 * runs;
}

static int postcopy(struct mrun *r)
{
	struct mig_result *res = r->res;
	uint64_t dirtied, added;
	int rc;

	res->postcopy = true;
	r->stopped = true;
	res->switchover = r->now;
	res->final_throttle = r->throttle;
	res->bandwidth_measured = r->pol.bandwidth;
	res->expected_downtime = mig_policy_expected_downtime(&r->pol, r->npending * XLAT_PAGE_SIZE);
	if ((rc = sync_log(r, &dirtied, &added)))
		return rc;
	stop_log(r);

	/* The source, stopped: its memory as it is now, kept to send from and
	 * to compare with. */
	r->snap = phys_create(phys_pa_bits(r->dest), r->npages << XLAT_PAGE_SHIFT);
	if (!r->snap)
		return -ENOMEM;
	for (uint64_t p = 0; p < r->npages; p++) {
		const uint8_t *d = src_page(r, p);
		if (d && (rc = phys_write(r->snap, p << XLAT_PAGE_SHIFT, d, XLAT_PAGE_SIZE)))
			return rc;
	}
	uint64_t discard = discard_bytes(r);
	memcpy(r->missing, r->pending, r->words * sizeof *r->missing);
	r->nmissing = r->npending;
	memset(r->pending, 0, r->words * sizeof *r->pending);
	r->npending = 0;
	res->downtime_pages = 0;
	struct mig_vcpu v = vcpu_now(r);
	uint64_t bytes0 = r->bytes;
	if ((rc = mig_write_eos(&r->w)) || (rc = mig_write_vcpu(&r->w, &v)))
		return rc;
	int64_t len = ship(r);
	if (len < 0)
		return (int)len;
	r->bytes += discard;
	res->bytes_sent += discard;
	res->downtime_bytes = r->bytes - bytes0;
	res->downtime = (r->now - res->switchover) + (double)res->downtime_bytes / r->cfg->link.bandwidth +
			r->cfg->link.rtt / 2;
	r->now = res->switchover + res->downtime;

	/* The destination runs: its EPT starts empty, the pages it holds are
	 * the bytes it received, the others are missing (their frames wait,
	 * zeroed, for the source's copy). */
	if ((rc = vm_unmap_gpa(r->vm, 0, r->npages << XLAT_PAGE_SHIFT, pc_unmapped, r)))
		return rc;
	for (uint64_t p = 0; p < r->npages; p++) {
		if (!r->frame[p])
			continue;
		uint64_t pfn = (r->frame[p] - 1) >> XLAT_PAGE_SHIFT;
		if (bt(r->missing, p)) {
			if ((rc = phys_zero(r->host, pfn, 1)))
				return rc;
		} else {
			uint8_t buf[XLAT_PAGE_SIZE];
			if ((rc = phys_read(r->dest, p << XLAT_PAGE_SHIFT, buf, sizeof buf)) ||
			    (rc = phys_write(r->host, pfn << XLAT_PAGE_SHIFT, buf, sizeof buf)))
				return rc;
		}
	}
	cc_flush(r);
	r->in_postcopy = true;
	r->stopped = false;
	r->throttle = 0;
	r->budget = 0;
	vm_set_missing(r->vm, pc_missing, r);
	begin_round(r, r->cur.index + 1);
	double start = r->now, sc0 = src_cycles(r), tc0 = twin_cycles(r);
	uint64_t pushed0 = res->pages_sent;

	while (r->nmissing) {
		int64_t n = send_chunk(r, r->missing, &r->nmissing, CHUNK_PAGES);
		if (n < 0)
			return (int)n;
		double dt = (double)n / r->cfg->link.bandwidth + r->link_debt;
		r->link_debt = 0;
		if ((rc = advance(r, dt)))
			return rc;
		sample(r, false);
	}
	res->pc_pushed = res->pages_sent - pushed0 - res->pc_faults;
	res->pc_duration = r->now - start;
	double sc = src_cycles(r) - sc0, tc = twin_cycles(r) - tc0;
	res->pc_slowdown = tc > 0 ? sc / tc - 1 : 0;
	r->cur.duration = r->now - r->cur.start;
	res->total = r->now;
	vm_set_missing(r->vm, NULL, NULL);
	/* Pages never touched at the destination go back into its map (so that
	 * its memory is whole, and freed with it). */
	for (uint64_t p = 0; p < r->npages; p++)
		if (r->frame[p]) {
			if ((rc = vm_map_gpa(r->vm, p << XLAT_PAGE_SHIFT, r->frame[p] - 1)))
				return rc;
			r->frame[p] = 0;
		}
	r->in_postcopy = false;
	if ((rc = mig_write_end(&r->w)) || (len = ship(r)) < 0 || (rc = mig_parser_finish(r->parser)))
		return rc ? rc : (int)len;
	verify(r, r->snap, &v);
	return 0;
}

/* ---- before the migration: the guest's memory holds its data ------------------------------------ */

static bool has_range(const struct xlat_workload *w)
{
	static const char *const names[] = { "seq", "stride", "random", "zipf", "chase" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(w->name, names[i]))
			return true;
	return false;
}

/* A write to every page of the workload's range: its data is there when
 * the migration starts (the guest has been running). */
static int prefill(struct mrun *r)
{
	const struct xlat_workload *w = &r->cfg->workload;
	uint64_t pages = xlat_align_up(w->size, XLAT_PAGE_SIZE) >> XLAT_PAGE_SHIFT;

	for (uint64_t i = 0; i < pages;) {
		size_t n = 0;
		for (; n < BATCH && i < pages; n++, i++)
			r->batch[n] = (struct xlat_access){ .va = w->base + i * XLAT_PAGE_SIZE, .size = 8,
							    .kind = XLAT_WRITE };
		int rc = machine_feed(r->src, r->batch, n);
		if (rc || (rc = machine_feed(r->twin, r->batch, n)))
			return rc;
		apply_writes(r, r->batch, n);
	}
	return 0;
}

/* ---- the run -------------------------------------------------------------------------------------- */

static int precopy(struct mrun *r)
{
	struct mig_result *res = r->res;
	const struct mig_config *c = r->cfg;
	unsigned rounds = 0;
	int rc;

	begin_round(r, 0);
	for (;;) {
		/* One iteration (ram_save_iterate): pages go until none is
		 * left or MAX_WAIT has passed; then the pending estimate is
		 * looked at. */
		double t0 = r->now;
		do {
			double dt;
			if (r->npending) {
				int64_t n = send_chunk(r, r->pending, &r->npending, CHUNK_PAGES);
				if (n < 0)
					return (int)n;
				dt = (double)n / c->link.bandwidth + r->link_debt;
				r->link_debt = 0;
			} else {
				/* Nothing to send and no threshold yet: QEMU
				 * iterates idle until the bandwidth is measured. */
				dt = r->pol.window_start + MIG_BUFFER_DELAY - r->now;
				if (dt < 1e-4)
					dt = 1e-4;
			}
			if ((rc = advance(r, dt)))
				return rc;
			mig_policy_sent(&r->pol, r->now, r->bytes);
			sample(r, false);
		} while (r->npending && r->now - t0 < MIG_MAX_WAIT);
		if (!mig_policy_want_sync(&r->pol, r->npending * XLAT_PAGE_SIZE))
			continue;
		uint64_t dirtied, added;
		if ((rc = sync_log(r, &dirtied, &added)))
			return rc;
		rounds++;
		if ((rc = end_round(r, dirtied)))
			return rc;
		if (mig_policy_synced(&r->pol, r->now, added, r->bytes))
			r->throttle = r->pol.throttle;
		enum mig_decision d = mig_policy_decide(&r->pol, r->npending * XLAT_PAGE_SIZE, rounds);
		res->expected_downtime = mig_policy_expected_downtime(&r->pol, r->npending * XLAT_PAGE_SIZE);
		if (d == MIG_ITERATE) {
			begin_round(r, rounds);
			continue;
		}
		res->converged = d == MIG_COMPLETE;
		res->forced = d == MIG_COMPLETE_FORCED;
		res->rounds = rounds;
		res->throttle_steps = r->pol.throttle_steps;
		return d == MIG_POSTCOPY ? postcopy(r) : stop_and_copy(r);
	}
}

static void mrun_free(struct mrun *r)
{
	mig_secure_free(r);
	if (r->vm)
		vm_set_missing(r->vm, NULL, NULL);
	machine_destroy(r->src);
	machine_destroy(r->twin);
	xlat_source_close(r->wl);
	mig_parser_destroy(r->parser);
	mig_writer_free(&r->w);
	phys_destroy(r->dest);
	phys_destroy(r->snap);
	free(r->batch);
	free(r->cc);
	free(r->pending);
	free(r->sent);
	free(r->logmap);
	free(r->missing);
	free(r->frame);
}

int mig_run(const struct mig_config *c, struct mig_result *res)
{
	struct mrun r;
	int rc;

	memset(res, 0, sizeof *res);
	if ((rc = mig_check(c)))
		return rc;
	memset(&r, 0, sizeof r);
	r.cfg = c;
	r.res = res;
	if ((rc = machine_create(&c->machine, &r.src)) || (rc = machine_create(&c->machine, &r.twin)))
		goto out;
	r.vm = machine_vm(r.src);
	r.host = machine_host(r.src);
	const struct mmu_config *mc = mmu_get_config(machine_mmu(r.src));
	r.ghz = mc->costs.ghz;
	r.base = mc->costs.base_cycles_per_access;
	r.cpr = 10;
	r.npages = c->machine.guest_ram >> XLAT_PAGE_SHIFT;
	r.words = (r.npages + 63) / 64;
	r.batch = malloc(BATCH * sizeof *r.batch);
	r.cc = malloc(CCACHE * sizeof *r.cc);
	r.pending = calloc(r.words, 8);
	r.sent = calloc(r.words, 8);
	r.logmap = calloc(r.words, 8);
	r.missing = calloc(r.words, 8);
	r.frame = calloc(r.npages, sizeof *r.frame);
	r.dest = phys_create(c->machine.host_pa_bits, c->machine.guest_ram);
	if (!r.batch || !r.cc || !r.pending || !r.sent || !r.logmap || !r.missing || !r.frame || !r.dest) {
		rc = xlat_fail(-ENOMEM, "migrate: out of memory for %llu pages", (unsigned long long)r.npages);
		goto out;
	}
	cc_flush(&r);
	struct mig_parser_ops ops = { pc_arrived, NULL, &r };
	if (c->machine.mode == MACHINE_SECURE) {
		/* The destination is another machine's monitor: the pages go
		 * into its VM, not into r.dest. */
		if ((rc = mig_secure_setup(&r)))
			goto out;
		mig_secure_parser_ops(&r, &ops);
	}
	if (!(r.parser = mig_parser_create(r.sec ? NULL : r.dest, &ops))) {
		rc = -ENOMEM;
		goto out;
	}
	mig_writer_init(&r.w);
	if ((rc = open_workload(&r)))
		goto out;

	/* Before: the guest's data, and any warm-up. */
	if (c->prefill && has_range(&c->workload) && (rc = prefill(&r)))
		goto out;
	for (uint64_t done = 0; done < c->warmup;) {
		size_t n = c->warmup - done < BATCH ? (size_t)(c->warmup - done) : BATCH;
		if ((rc = step(&r, n)))
			goto out;
		done += n;
	}

	/* Setup: logging starts (splitting eagerly takes the host's time),
	 * every page is dirty (ram_init_bitmaps: round 0 sends them all). */
	res->guest_pages = r.npages;
	uint64_t acc0 = mmu_get_stats(machine_mmu(r.src))->accesses, writes0 = r.writes;
	double sc0 = src_cycles(&r), tc0 = twin_cycles(&r);
	if ((rc = r.sec ? mig_secure_log_start(&r) : machine_dirty_log_start(r.src, &c->dirty)))
		goto out;
	res->mech = r.sec ? DIRTY_AD : dirty_log_mech(machine_dirty_log(r.src));
	if ((rc = mig_write_header(&r.w, c->machine.guest_ram)) || (rc = (int)ship(&r)) < 0)
		goto out;
	rc = 0;
	mig_policy_init(&r.pol, &c->policy, 0);
	res->setup = (double)(r.sec ? res->dirty.host_cycles : dirty_log_stats(machine_dirty_log(r.src))->host_cycles) /
		     (r.ghz * 1e9);
	if ((rc = advance(&r, res->setup)))
		goto out;
	memset(r.pending, 0xff, r.words * 8);
	if (r.npages % 64)
		r.pending[r.words - 1] = (1ULL << (r.npages % 64)) - 1;
	r.npending = r.npages;
	sample(&r, true);
	if (c->policy.postcopy_after == 0) {
		begin_round(&r, 0);
		rc = postcopy(&r);
	} else {
		rc = precopy(&r);
	}
	if (rc)
		goto out;
	if (res->postcopy && res->nrounds == 0)
		res->rounds = 0;
	/* The whole pre-copy phase: the guest's slowdown under tracking. */
	res->guest_accesses = mmu_get_stats(machine_mmu(r.src))->accesses - acc0;
	res->guest_writes = r.writes - writes0;
	res->tracking_exits = res->dirty.exits;
	double sc = 0, tc = 0;
	for (size_t i = 0; i < res->nrounds; i++) {
		sc += res->round[i].guest_seconds;
		tc += res->round[i].guest_seconds / (1 + res->round[i].guest_slowdown);
	}
	res->guest_slowdown = tc > 0 ? sc / tc - 1 : 0;
	res->guest_seconds = (src_cycles(&r) - sc0) / (r.ghz * 1e9);
	(void)tc0;
out:
	mrun_free(&r);
	if (rc)
		mig_result_free(res);
	return rc;
}

void mig_result_free(struct mig_result *res)
{
	free(res->round);
	free(res->samples);
	res->round = NULL;
	res->samples = NULL;
	res->nrounds = res->nsamples = 0;
}
