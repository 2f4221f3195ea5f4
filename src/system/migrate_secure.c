/*
 * Live migration of a confidential VM (mode secure): the hypervisor moves
 * what the monitors give it (xlat/tee.h, tee_mig_*), never the guest's
 * plaintext. See docs/migrate.md.
 *
 *  - Pages: the source monitor exports each private page encrypted and
 *    MAC'd (TDX's TDH.EXPORT.MEM); the stream carries it as a blob record;
 *    the destination's hypervisor hands it, with a free frame, to its
 *    monitor, which imports it only if its MAC holds and it is newer than
 *    the copy it has. Pages never backed leave as zero pages (that much the
 *    hypervisor knows).
 *  - Dirty tracking: the host dimension's D bits (the monitor's table, or
 *    under rmp the hypervisor's NPT), which the walker sets once logging
 *    turns them on; a sync has the table scanned and cleared, as `ad`
 *    does an EPT. Stores of the guest's own software (its page tables)
 *    reach the log through tee_hv_ops.wrote. Write protection and PML are
 *    not modelled under a monitor (TDX blocks writes to exported pages
 *    with TDH.EXPORT.BLOCKW, a wp through the module: not modelled).
 *  - The end: the source monitor's token, which the destination commits
 *    only if it holds the latest copy of every page exported.
 *  - Not possible: Arm CCA's RMM 1.0 has no migration (gpt is refused);
 *    post-copy would need the destination to fetch pages out of order
 *    from a source that has lost them to the token, which the protocol
 *    (in-order import, a final commit) does not allow (refused).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"
#include "xlat/phys.h"
#include "xlat/tee.h"

/* The monitor's export of one page: an estimate (printed with the result
 * as the secure export's cost): AES-GCM over 4 KiB at about a cycle per
 * byte and a SEAMCALL-class round trip into the module. */
#define EXPORT_CYCLES 8000

struct mig_secure {
	struct tee_vm *src;             /* the source VM (the machine's) */
	struct tee *src_tee;
	struct tee *dst_tee;            /* the destination machine's monitor */
	struct tee_vm *dst;
	struct pt npt;                  /* rmp: the destination hypervisor's NPT */
	bool npt_up;
	struct tee_mig *exp, *imp;
	uint64_t *wrote;                /* pages the guest's software stored to since the sync */
	bool logging;
	unsigned saved_ctl;
	int commit_rc;                  /* tee_mig_import_commit's verdict (1: not yet) */
	char commit_msg[120];
};

int mig_secure_check(const struct mig_config *c)
{
	if (c->machine.tee == TEE_GPT)
		return xlat_fail(-EINVAL, "a realm cannot migrate: Arm CCA's RMM 1.0 has no migration (give --tee fold, "
				 "stage3, rmp or tdx; docs/migrate.md)");
	if (c->policy.postcopy_after >= 0)
		return xlat_fail(-EINVAL, "post-copy cannot move a confidential VM: the monitors import pages in order "
				 "and commit once, at the end (pre-copy only)");
	if (c->dirty.mech != DIRTY_AD)
		return xlat_fail(-EINVAL, "tracking %s: under a monitor only the host dimension's D bits are modelled "
				 "(--tracking ad; the hypervisor cannot write-protect a table the monitor owns)",
				 dirty_mech_name(c->dirty.mech));
	return 0;
}

static struct pt *src_table(struct mrun *r)
{
	return tee_vm_host_table(r->sec->src);
}

/* ---- setup ------------------------------------------------------------------------- */

int mig_secure_setup(struct mrun *r)
{
	const struct machine_config *mc = &r->cfg->machine;
	struct mig_secure *s = calloc(1, sizeof *s);
	struct tee_config tc;

	if (!s)
		return xlat_fail(-ENOMEM, "migrate: out of memory");
	r->sec = s;
	s->commit_rc = 1;
	s->src = tee_cvm_vm(machine_cvm(r->src));
	s->src_tee = machine_tee(r->src);
	s->wrote = calloc(r->words, sizeof *s->wrote);
	if (!s->wrote)
		return xlat_fail(-ENOMEM, "migrate: out of memory");
	/* The destination: another machine's monitor and a fresh VM of the
	 * same size, nothing in it yet. */
	tee_config_init(&tc, mc->tee);
	tc.pa_bits = mc->host_pa_bits;
	tc.host_levels = mc->host_levels;
	tc.monitor_levels = mc->monitor_levels;
	if (!(s->dst_tee = tee_create(&tc)))
		return xlat_error_code() ? xlat_error_code() : -ENOMEM;
	struct tee_vm_config vc = {
		.guest_pa_bits = mc->host_pa_bits < 51 ? mc->host_pa_bits : 51,
		.guest_ram = mc->guest_ram,
	};
	if (mc->tee == TEE_RMP) {
		int rc = pt_init(&s->npt, tee_host_space(s->dst_tee), fmt_ept((int)mc->host_levels), tc.pa_bits);
		if (rc)
			return rc;
		s->npt.ctl &= ~(unsigned)FMT_CTL_1G;
		s->npt_up = true;
		vc.npt = &s->npt;
	}
	if (!(s->dst = tee_vm_create(s->dst_tee, &vc)))
		return xlat_error_code() ? xlat_error_code() : -ENOMEM;
	s->exp = tee_mig_export_begin(s->src, r->cfg->tee_key);
	s->imp = tee_mig_import_begin(s->dst, r->cfg->tee_key);
	if (!s->exp || !s->imp)
		return -ENOMEM;
	return 0;
}

void mig_secure_free(struct mrun *r)
{
	struct mig_secure *s = r->sec;

	if (!s)
		return;
	if (s->logging)
		mig_secure_log_stop(r);
	tee_mig_free(s->exp);
	tee_mig_free(s->imp);
	tee_vm_destroy(s->dst);
	if (s->npt_up)
		pt_destroy(&s->npt);
	tee_destroy(s->dst_tee);
	free(s->wrote);
	free(s);
	r->sec = NULL;
}

/* ---- the guest's stores -------------------------------------------------------------- */

uint8_t *mig_secure_frame(struct mrun *r, xlat_va va)
{
	struct pt_leaf g, h;
	struct os *os = machine_os(r->src);

	if (pt_lookup(os_pt(os), va, &g))
		return NULL;
	uint64_t gpa = g.pa + (va - g.va);
	if (pt_lookup(src_table(r), gpa, &h))
		return NULL;
	/* Host-physical addresses are machine addresses (tee.h). */
	return phys_frame(tee_machine(r->sec->src_tee), (h.pa + (gpa - h.va)) >> XLAT_PAGE_SHIFT, true);
}

/* ---- the dirty log: the host dimension's D bits ---------------------------------------- */

static void wrote(void *ctx, uint64_t gpa)
{
	struct mrun *r = ctx;
	uint64_t p = gpa >> XLAT_PAGE_SHIFT;
	if (p < r->npages)
		bs(r->sec->wrote, p);
}

static int set_ad(struct mrun *r, bool on)
{
	struct mmu *mmu = machine_mmu(r->src);
	const struct walk_stage *cur = mmu_stage(mmu, MMU_STAGE_HV);
	struct walk_stage st;

	if (!cur)
		return xlat_fail(-EINVAL, "migrate: the confidential VM has no host dimension");
	st = *cur;
	if (on) {
		r->sec->saved_ctl = st.ctl;
		st.ctl |= WALK_SET_AD;
	} else {
		st.ctl = r->sec->saved_ctl;
	}
	return mmu_set_stage(mmu, MMU_STAGE_HV, &st);
}

/* A kick and INVEPT: the TLBs must forget translations whose D was cleared. */
static void flush(struct mrun *r)
{
	struct dirty_stats *d = &r->res->dirty;
	d->flushes++;
	d->kick_exits++;
	d->exits++;
	mmu_charge_exit(machine_mmu(r->src));
	mmu_flush_nested(machine_mmu(r->src));
}

int mig_secure_log_start(struct mrun *r)
{
	struct dirty_stats *d = &r->res->dirty;
	int rc = set_ad(r, true);
	if (rc)
		return rc;
	r->sec->logging = true;
	tee_cvm_set_write_hook(machine_cvm(r->src), wrote, r);
	int64_t n = pt_clear_ad(src_table(r), 0, r->npages << XLAT_PAGE_SHIFT, NULL, NULL);
	if (n < 0)
		return (int)n;
	d->protected_leaves += (uint64_t)n;
	d->host_cycles += (uint64_t)n * r->cfg->dirty.costs.protect_cycles;
	flush(r);
	return 0;
}

struct scan {
	struct mrun *r;
	uint64_t *map;
	uint64_t leaves;
};

static int count_leaf(const struct pt_leaf *leaf, void *priv)
{
	(void)leaf;
	((struct scan *)priv)->leaves++;
	return 0;
}

static int dirty_leaf(const struct pt_leaf *leaf, void *priv)
{
	struct scan *s = priv;
	for (uint64_t p = leaf->va >> XLAT_PAGE_SHIFT, e = (leaf->va + (1ULL << leaf->shift)) >> XLAT_PAGE_SHIFT;
	     p < e && p < s->r->npages; p++)
		bs(s->map, p);
	return 0;
}

int64_t mig_secure_log_sync(struct mrun *r, uint64_t *map, double *host_s)
{
	struct dirty_stats *d = &r->res->dirty;
	const struct dirty_costs *c = &r->cfg->dirty.costs;
	struct scan s = { r, map, 0 };
	uint64_t host0 = d->host_cycles;
	int rc;

	d->syncs++;
	if ((rc = pt_for_each(src_table(r), 0, r->npages << XLAT_PAGE_SHIFT, count_leaf, &s)) < 0)
		return rc;
	d->scans++;
	d->scanned_leaves += s.leaves;
	d->host_cycles += s.leaves * c->scan_cycles;
	int64_t n = pt_clear_ad(src_table(r), 0, r->npages << XLAT_PAGE_SHIFT, dirty_leaf, &s);
	if (n < 0)
		return n;
	d->protected_leaves += (uint64_t)n;
	d->host_cycles += (uint64_t)n * c->protect_cycles;
	if (n > 0)
		flush(r);
	int64_t total = 0;
	for (uint64_t w = 0; w < r->words; w++) {
		map[w] |= r->sec->wrote[w];
		r->sec->wrote[w] = 0;
		total += __builtin_popcountll(map[w]);
	}
	d->logged_pages += (uint64_t)total;
	*host_s = (double)(d->host_cycles - host0) / (r->ghz * 1e9);
	return total;
}

void mig_secure_log_stop(struct mrun *r)
{
	if (!r->sec->logging)
		return;
	r->sec->logging = false;
	tee_cvm_set_write_hook(machine_cvm(r->src), NULL, NULL);
	if (set_ad(r, false))
		XLAT_BUG("restoring the host dimension's control bits failed: %s", xlat_error());
}

/* ---- the pages -------------------------------------------------------------------------- */

int mig_secure_send(struct mrun *r, uint64_t p, int *flag)
{
	struct mig_secure *s = r->sec;
	uint64_t gpa = p << XLAT_PAGE_SHIFT;
	struct pt_leaf leaf;
	struct tee_blob blob;
	int rc;

	if (pt_lookup(src_table(r), gpa, &leaf)) {
		*flag = mig_write_page(&r->w, gpa, NULL, true);   /* never backed: zeros */
		return 0;
	}
	if (tee_guest_is_shared(s->src, gpa))
		return xlat_fail(-EINVAL, "migrate: %#llx is shared: shared pages of a confidential VM are not modelled "
				 "here", (unsigned long long)gpa);
	rc = tee_mig_export(s->exp, gpa, &blob);
	if (rc == -ENOENT) {
		/* Backed but never accepted: the guest holds nothing there
		 * yet (it accepts the page anew at the destination). */
		*flag = mig_write_page(&r->w, gpa, NULL, true);
		return 0;
	}
	if (rc)
		return rc;
	if ((rc = mig_write_blob(&r->w, gpa, blob.seq, blob.mac, blob.data)))
		return rc;
	*flag = MIG_REC_BLOB;
	r->res->blobs++;
	/* The export's time on the source host, before the link. */
	r->link_debt += (double)EXPORT_CYCLES / (r->ghz * 1e9);
	return 0;
}

static int arrived(void *ctx, uint64_t gpa, unsigned flag, uint64_t seq, uint64_t mac, const uint8_t *data)
{
	struct mrun *r = ctx;
	struct mig_secure *s = r->sec;
	struct tee_blob b;
	uint64_t pfn, old = 0;
	int rc;

	if (flag != MIG_REC_BLOB)
		return 0;   /* zero pages: the destination VM has nothing there, as the source */
	b.gpa = gpa;
	b.seq = seq;
	b.mac = mac;
	memcpy(b.data, data, sizeof b.data);
	/* The destination's hypervisor gives its monitor a free frame. */
	if (phys_alloc(tee_host_space(s->dst_tee), 1, 1, &pfn))
		return xlat_fail(-ENOMEM, "migrate: the destination's hypervisor is out of memory");
	rc = tee_mig_import(s->imp, &b, pfn << XLAT_PAGE_SHIFT, &old);
	if (rc) {
		phys_free(tee_host_space(s->dst_tee), pfn, 1);
		return rc;
	}
	if (old)
		phys_free(tee_host_space(s->dst_tee), old >> XLAT_PAGE_SHIFT, 1);
	if (s->npt_up) {
		/* rmp: the hypervisor maps its NPT itself. */
		if ((rc = pt_unmap(&s->npt, gpa, XLAT_PAGE_SIZE)) ||
		    (rc = pt_map(&s->npt, gpa, pfn << XLAT_PAGE_SHIFT, XLAT_PAGE_SIZE,
				 XLAT_RWX | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K)))
			return rc;
	}
	return 0;
}

static int token(void *ctx, uint64_t pages, uint64_t digest, uint64_t mac)
{
	struct mrun *r = ctx;
	struct tee_mig_token t = { pages, digest, mac };

	r->sec->commit_rc = tee_mig_import_commit(r->sec->imp, &t);
	if (r->sec->commit_rc)
		snprintf(r->sec->commit_msg, sizeof r->sec->commit_msg, "%s", xlat_error());
	return 0;
}

void mig_secure_parser_ops(struct mrun *r, struct mig_parser_ops *ops)
{
	*ops = (struct mig_parser_ops){ arrived, token, r };
}

int mig_secure_finish(struct mrun *r)
{
	struct tee_mig_token t;
	tee_mig_export_end(r->sec->exp, &t);
	return mig_write_token(&r->w, t.pages, t.digest, t.mac);
}

/* ---- the destination against the source ------------------------------------------------- */

/* The plaintext of gpa in VM v (the monitors' view, which the model may
 * read to check its work), or NULL if nothing is there. */
static const uint8_t *plain(struct tee *t, struct tee_vm *v, uint64_t gpa)
{
	struct pt_leaf leaf;
	if (pt_lookup(tee_vm_host_table(v), gpa, &leaf))
		return NULL;
	return phys_frame(tee_machine(t), (leaf.pa + (gpa - leaf.va)) >> XLAT_PAGE_SHIFT, false);
}

void mig_secure_verify(struct mrun *r, const struct mig_vcpu *v)
{
	struct mig_secure *s = r->sec;
	struct mig_result *res = r->res;
	const struct mig_parser_stats *ps = mig_parser_stats(r->parser);
	static const uint8_t zeros[XLAT_PAGE_SIZE];
	uint64_t bad = 0, first = 0;

	if (r->cfg->before_verify)
		r->cfg->before_verify(r->cfg->before_verify_ctx, tee_machine(s->dst_tee));
	for (uint64_t p = 0; p < r->npages; p++) {
		uint64_t gpa = p << XLAT_PAGE_SHIFT;
		const uint8_t *a = plain(s->src_tee, s->src, gpa), *b = plain(s->dst_tee, s->dst, gpa);
		bool ok = !memcmp(a ? a : zeros, b ? b : zeros, XLAT_PAGE_SIZE);
		if (ok && b) {
			/* The destination's record: its VM's, validated there. */
			struct pt_leaf leaf;
			struct tee_record rec;
			ok = pt_lookup(tee_vm_host_table(s->dst), gpa, &leaf) == 0 &&
			     tee_record(s->dst_tee, leaf.pa >> XLAT_PAGE_SHIFT, &rec) == 0 &&
			     rec.state == TEE_VALIDATED && rec.owner == tee_vm_id(s->dst) && rec.gpa == gpa;
		}
		if (!ok && !bad++)
			first = p;
	}
	bool vcpu_ok = ps->have_vcpu && !memcmp(&ps->vcpu, v, sizeof *v);
	res->verified = bad == 0 && vcpu_ok && ps->ended && s->commit_rc == 0;
	if (bad)
		snprintf(res->verify_msg, sizeof res->verify_msg,
			 "%llu of %llu pages differ (the first at guest-physical %#llx)", (unsigned long long)bad,
			 (unsigned long long)r->npages, (unsigned long long)(first << XLAT_PAGE_SHIFT));
	else if (s->commit_rc)
		snprintf(res->verify_msg, sizeof res->verify_msg, "the destination monitor refused to commit: %.100s",
			 s->commit_rc > 0 ? "no token came" : s->commit_msg);
	else if (!vcpu_ok)
		snprintf(res->verify_msg, sizeof res->verify_msg, "the vCPU state differs");
	else
		snprintf(res->verify_msg, sizeof res->verify_msg,
			 "all %llu pages (%llu imported through the monitors, validated) and the vCPU state equal "
			 "the source's at switch-over", (unsigned long long)r->npages, (unsigned long long)res->blobs);
	res->secure = true;
}
