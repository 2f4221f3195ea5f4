/* Live migration (xlat/migrate.h): QEMU's policy (bandwidth windows, the
 * threshold, syncs, auto-converge's steps), the stream and its parser
 * (round trips in pieces of any size, every kind of damage refused), and
 * the model's migration: every run verified byte for byte for all four
 * mechanisms, with and without huge pages, pre-copy and post-copy, with a
 * guest that writes during every round; a corrupted destination page
 * caught; convergence as QEMU decides it; post-copy's small downtime and
 * its faults; the slowdown wp costs over pml. Small VMs and a pinned guest
 * rate keep it quick. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/migrate.h"

/* ---- the policy ---------------------------------------------------------------------- */

static void test_policy_threshold(void **state)
{
	(void)state;
	struct mig_policy_config pc;
	struct mig_policy p;

	mig_policy_config_init(&pc);
	assert_true(pc.downtime_limit == 0.3);
	assert_int_equal(pc.throttle_initial, 20);
	assert_int_equal(pc.throttle_increment, 10);
	assert_int_equal(pc.throttle_max, 99);
	mig_policy_init(&p, &pc, 0);
	/* No measure before 100 ms: no threshold, nothing below it. */
	mig_policy_sent(&p, 0.05, 1000000);
	assert_true(p.bandwidth == 0);
	assert_false(mig_policy_want_sync(&p, 1));
	assert_int_equal(mig_policy_decide(&p, 4096, 1), MIG_ITERATE);
	assert_int_equal(mig_policy_decide(&p, 0, 1), MIG_COMPLETE);   /* nothing left */
	/* 125 MB in the first 100 ms: 1.25 GB/s, threshold 375 MB. */
	mig_policy_sent(&p, 0.1, 125000000);
	assert_true(p.bandwidth > 1.2499e9 && p.bandwidth < 1.2501e9);
	assert_true(p.threshold > 374.99e6 && p.threshold < 375.01e6);
	assert_true(mig_policy_want_sync(&p, 374000000));
	assert_false(mig_policy_want_sync(&p, 376000000));
	assert_int_equal(mig_policy_decide(&p, 374000000, 1), MIG_COMPLETE);
	assert_int_equal(mig_policy_decide(&p, 376000000, 1), MIG_ITERATE);
	assert_true(mig_policy_expected_downtime(&p, 125000000) > 0.0999 &&
		    mig_policy_expected_downtime(&p, 125000000) < 0.1001);
	/* The next window: 50 MB in 200 ms. */
	mig_policy_sent(&p, 0.3, 175000000);
	assert_true(p.bandwidth > 0.2499e9 && p.bandwidth < 0.2501e9);
	/* max rounds, then post-copy before it when asked. */
	pc.max_rounds = 3;
	mig_policy_init(&p, &pc, 0);
	assert_int_equal(mig_policy_decide(&p, 1 << 20, 2), MIG_ITERATE);
	assert_int_equal(mig_policy_decide(&p, 1 << 20, 3), MIG_COMPLETE_FORCED);
	pc.postcopy_after = 2;
	mig_policy_init(&p, &pc, 0);
	assert_int_equal(mig_policy_decide(&p, 1 << 20, 1), MIG_ITERATE);
	assert_int_equal(mig_policy_decide(&p, 1 << 20, 2), MIG_POSTCOPY);
}

static void test_policy_throttle(void **state)
{
	(void)state;
	struct mig_policy_config pc;
	struct mig_policy p;
	static const unsigned steps[] = { 20, 30, 40, 50, 60, 70, 80, 90, 99, 99 };

	mig_policy_config_init(&pc);
	mig_policy_init(&p, &pc, 0);
	/* Without auto-converge nothing throttles. */
	uint64_t sent = 0;
	double t = 0;
	for (int i = 0; i < 6; i++) {
		t += 1.5;
		sent += 1000 * 4096;
		assert_false(mig_policy_synced(&p, t, 1000, sent));
	}
	assert_int_equal(p.throttle, 0);

	pc.auto_converge = true;
	mig_policy_init(&p, &pc, 0);
	sent = 0;
	t = 0;
	/* Dirtied at most half of what was sent: no step, however often. */
	for (int i = 0; i < 4; i++) {
		t = 1.0 + 1.5 * (i + 1);
		sent += 1000 * 4096;
		assert_false(mig_policy_synced(&p, t, 500, sent));
	}
	assert_int_equal(p.throttle, 0);
	/* More than half, twice: a step each second check. */
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		t += 1.5;
		sent += 1000 * 4096;
		assert_false(mig_policy_synced(&p, t, 501, sent));
		t += 1.5;
		sent += 1000 * 4096;
		assert_true(mig_policy_synced(&p, t, 501, sent));
		assert_int_equal(p.throttle, steps[k]);
	}
	/* A sync less than a second after the period began is no check;
	 * dirtied pages add up over the syncs of a period; high periods
	 * need not follow each other (QEMU's dirty_rate_high_cnt resets only
	 * at a step). */
	mig_policy_init(&p, &pc, 0);
	assert_false(mig_policy_synced(&p, 0.5, 100000, 4096));
	assert_int_equal(p.high_count, 0);
	mig_policy_init(&p, &pc, 0);
	assert_false(mig_policy_synced(&p, 0.4, 300, 0));
	assert_false(mig_policy_synced(&p, 0.8, 300, 0));
	assert_false(mig_policy_synced(&p, 1.2, 0, 1000 * 4096));   /* 600 > 500: first */
	assert_false(mig_policy_synced(&p, 1.6, 300, 1000 * 4096));
	assert_true(mig_policy_synced(&p, 2.4, 300, 2000 * 4096));   /* 600 > 500: second */
	assert_int_equal(p.throttle, 20);
	assert_false(mig_policy_synced(&p, 4.0, 600, 3000 * 4096));   /* high */
	assert_false(mig_policy_synced(&p, 5.6, 100, 4000 * 4096));   /* low */
	assert_true(mig_policy_synced(&p, 7.2, 600, 5000 * 4096));    /* high again: a step */
	assert_int_equal(p.throttle, 30);
}

static void test_rates(void **state)
{
	(void)state;
	double v;
	assert_int_equal(mig_parse_rate("10G", &v), 0);
	assert_true(v == 1.25e9);
	assert_int_equal(mig_parse_rate("10Gbit/s", &v), 0);
	assert_true(v == 1.25e9);
	assert_int_equal(mig_parse_rate("1.25GB/s", &v), 0);
	assert_true(v == 1.25e9);
	assert_int_equal(mig_parse_rate("800M", &v), 0);
	assert_true(v == 1e8);
	assert_int_equal(mig_parse_rate("0", &v), -EINVAL);
	assert_int_equal(mig_parse_rate("-1G", &v), -EINVAL);
	assert_int_equal(mig_parse_rate("fast", &v), -EINVAL);
	assert_int_equal(mig_parse_rate("10Q", &v), -EINVAL);
	struct mig_link l;
	mig_link_preset(&l, MIG_LINK_DC);
	assert_true(l.bandwidth == 1.25e9 && l.rtt == 1e-4);
	mig_link_preset(&l, MIG_LINK_WAN);
	assert_true(l.bandwidth == 1.25e8 && l.rtt == 0.04);
}

/* ---- the stream ------------------------------------------------------------------------- */

static uint8_t *sample_stream(size_t *len)
{
	struct mig_writer w;
	uint8_t page[4096];
	static const uint8_t zeros[4096];
	struct mig_vcpu v = { .cr3 = 0x123000, .records = 77, .writes = 5, .asid = 3, .tag = 0x1003 };

	for (unsigned i = 0; i < sizeof page; i++)
		page[i] = (uint8_t)(i * 7 + 1);
	mig_writer_init(&w);
	assert_int_equal(mig_write_header(&w, 1 << 20), 0);
	assert_int_equal(mig_write_page(&w, 0x3000, page, true), MIG_REC_PAGE);
	assert_int_equal(mig_write_page(&w, 0x5000, zeros, true), MIG_REC_ZERO);
	assert_int_equal(mig_write_page(&w, 0x6000, NULL, false), MIG_REC_PAGE);   /* a zero page sent whole */
	assert_int_equal(mig_write_eos(&w), 0);
	assert_int_equal(mig_write_vcpu(&w, &v), 0);
	assert_int_equal(mig_write_end(&w), 0);
	const uint8_t *b = mig_writer_take(&w, len);
	uint8_t *copy = malloc(*len);
	memcpy(copy, b, *len);
	mig_writer_free(&w);
	return copy;
}

static void test_stream_round_trip(void **state)
{
	(void)state;
	size_t len;
	uint8_t *s = sample_stream(&len);
	assert_int_equal(len, MIG_STREAM_HEADER + mig_record_bytes(MIG_REC_PAGE) * 2 + mig_record_bytes(MIG_REC_ZERO) +
			 mig_record_bytes(MIG_REC_EOS) + mig_record_bytes(MIG_REC_VCPU) + mig_record_bytes(MIG_REC_END));
	/* Fed in pieces of every size from 1 to 97 bytes, the same memory. */
	for (size_t piece = 1; piece < 98; piece += 8) {
		struct phys *mem = phys_create(32, 1 << 20);
		uint8_t junk[4096];
		memset(junk, 0xee, sizeof junk);
		assert_int_equal(phys_write(mem, 0x5000, junk, sizeof junk), 0);   /* the zero record clears it */
		struct mig_parser *p = mig_parser_create(mem, NULL);
		for (size_t off = 0; off < len; off += piece)
			assert_int_equal(mig_parser_feed(p, s + off, len - off < piece ? len - off : piece), 0);
		assert_int_equal(mig_parser_finish(p), 0);
		const struct mig_parser_stats *st = mig_parser_stats(p);
		assert_int_equal(st->pages, 2);
		assert_int_equal(st->zero_pages, 1);
		assert_int_equal(st->rounds, 1);
		assert_true(st->have_vcpu && st->ended);
		assert_int_equal(st->vcpu.cr3, 0x123000);
		assert_int_equal(st->vcpu.records, 77);
		assert_int_equal(st->vcpu.tag, 0x1003);
		uint8_t got[4096];
		assert_int_equal(phys_read(mem, 0x3000, got, sizeof got), 0);
		for (unsigned i = 0; i < sizeof got; i++)
			assert_int_equal(got[i], (uint8_t)(i * 7 + 1));
		assert_int_equal(phys_read(mem, 0x5000, got, sizeof got), 0);
		for (unsigned i = 0; i < sizeof got; i++)
			assert_int_equal(got[i], 0);
		mig_parser_destroy(p);
		phys_destroy(mem);
	}
	free(s);
}

/* Damage at byte `at` (xor), or a cut: refused with one line. */
static void refused(const uint8_t *s, size_t len, const char *what)
{
	struct mig_parser *p = mig_parser_create(NULL, NULL);
	int rc = mig_parser_feed(p, s, len);
	if (rc == 0)
		rc = mig_parser_finish(p);
	if (rc != -EBADMSG)
		print_error("%s: accepted\n", what);
	assert_int_equal(rc, -EBADMSG);
	assert_null(strchr(xlat_error(), '\n'));
	assert_non_null(strstr(xlat_error(), "migration stream"));
	/* And it stays refused. */
	uint8_t more = 0;
	assert_int_equal(mig_parser_feed(p, &more, 1), -EBADMSG);
	mig_parser_destroy(p);
}

static void test_stream_damage(void **state)
{
	(void)state;
	size_t len;
	uint8_t *s = sample_stream(&len);
	uint8_t *d = malloc(len + 16);
	size_t page1 = MIG_STREAM_HEADER, zero = page1 + mig_record_bytes(MIG_REC_PAGE);

	memcpy(d, s, len);
	d[0] ^= 1;
	refused(d, len, "magic");
	memcpy(d, s, len);
	d[11] = 2;
	refused(d, len, "version");
	memcpy(d, s, len);
	d[page1 + 7] |= 0x001;   /* an unknown flag beside PAGE */
	refused(d, len, "flags");
	memcpy(d, s, len);
	d[page1 + 4] = 0x10;     /* page at 256 MiB, outside the 1 MiB */
	refused(d, len, "address");
	memcpy(d, s, len);
	d[zero + 8] = 1;         /* fill byte */
	refused(d, len, "fill");
	memcpy(d, s, len);
	d[page1 + 8 + 100] ^= 0x40;   /* a content byte: the checksum */
	refused(d, len, "content");
	memcpy(d, s, len);
	refused(d, len - 1, "cut");
	refused(d, 10, "cut header");
	memcpy(d, s, len);
	d[len] = 0;
	refused(d, len + 1, "after the end");
	free(d);
	free(s);
}

/* ---- the model's migration --------------------------------------------------------------- */

static void small(struct mig_config *c, const char *mode, double rate)
{
	mig_config_init(c);
	assert_int_equal(machine_config_set(&c->machine, "mode", mode), 0);
	assert_int_equal(machine_config_set(&c->machine, "guest_ram", "16m"), 0);
	c->workload.size = 8ULL << 20;
	c->workload.write = 0.3;
	c->guest_rate = rate;
}

static void run_ok(const struct mig_config *c, struct mig_result *r, const char *what)
{
	int rc = mig_run(c, r);
	if (rc)
		print_error("%s: %s\n", what, xlat_error());
	assert_int_equal(rc, 0);
	if (!r->verified)
		print_error("%s: not verified: %s\n", what, r->verify_msg);
	assert_true(r->verified);
}

/* Every mechanism, huge pages or not and handled each way, pre-copy over
 * several rounds with writes in each, and post-copy: verified. */
static void test_every_run_verified(void **state)
{
	(void)state;
	static const struct { const char *mode; enum dirty_mech mech; } mechs[] = {
		{ "nested", DIRTY_WP }, { "nested", DIRTY_AD }, { "nested", DIRTY_PML }, { "shadow", DIRTY_WP },
	};
	for (size_t k = 0; k < 4; k++)
		for (int huge = -1; huge < DIRTY_HUGE_COUNT; huge++)
			for (int post = 0; post < 3; post++) {
				struct mig_config c;
				struct mig_result r;
				char what[96];
				small(&c, mechs[k].mode, 8000);
				c.link.bandwidth = 100e6 / 8;
				c.dirty.mech = mechs[k].mech;
				if (mechs[k].mech != DIRTY_WP)
					assert_int_equal(machine_config_set(&c.machine, "ept_ad", "1"), 0);
				if (huge >= 0) {
					assert_int_equal(machine_config_set(&c.machine, "host_page_policy", "thp"), 0);
					c.dirty.huge = (enum dirty_huge)huge;
				}
				c.policy.postcopy_after = post == 0 ? -1 : post - 1;
				snprintf(what, sizeof what, "%s %s huge %d postcopy %d", mechs[k].mode,
					 dirty_mech_name(mechs[k].mech), huge, post - 1);
				run_ok(&c, &r, what);
				if (post == 0) {
					/* Several rounds, the guest writing in each. */
					if (r.nrounds < 2 || (!r.converged && huge != DIRTY_HUGE_WHOLE))
						print_error("%s: %zu rounds, converged %d\n", what, r.nrounds, r.converged);
					assert_true(r.nrounds >= 2);
					/* Huge pages logged whole dirty 512 pages a write:
					 * this guest's 8 MiB never converges then (as a
					 * huge-page-backed guest under QEMU). */
					assert_true(r.converged || huge == DIRTY_HUGE_WHOLE);
					for (size_t i = 0; i < r.nrounds; i++)
						assert_true(r.round[i].pages_dirtied > 0);
				} else {
					assert_true(r.postcopy);
					assert_true(r.pc_faults > 0);
				}
				assert_int_equal(r.mech, mechs[k].mode[0] == 's' ? DIRTY_SHADOW : mechs[k].mech);
				mig_result_free(&r);
			}
}

static void corrupt(void *ctx, struct phys *dest)
{
	uint64_t *gpa = ctx;
	uint8_t b;
	assert_int_equal(phys_read(dest, *gpa, &b, 1), 0);
	b ^= 0x5a;
	assert_int_equal(phys_write(dest, *gpa, &b, 1), 0);
}

static void test_corruption_caught(void **state)
{
	(void)state;
	for (int post = 0; post < 2; post++) {
		struct mig_config c;
		struct mig_result r;
		uint64_t gpa = 0x345678;
		small(&c, "nested", 5000);
		c.policy.postcopy_after = post ? 0 : -1;
		c.before_verify = corrupt;
		c.before_verify_ctx = &gpa;
		assert_int_equal(mig_run(&c, &r), 0);
		assert_false(r.verified);
		assert_non_null(strstr(r.verify_msg, "0x345000"));
		mig_result_free(&r);
	}
}

/* A dirty rate well below the bandwidth: converges, within the limit. */
static void test_converges(void **state)
{
	(void)state;
	struct mig_config c;
	struct mig_result r;
	small(&c, "nested", 5000);
	c.link.bandwidth = 100e6 / 8;
	run_ok(&c, &r, "converges");
	assert_true(r.converged);
	assert_false(r.forced);
	assert_true(r.expected_downtime < c.policy.downtime_limit);
	assert_true(r.downtime < c.policy.downtime_limit);
	/* The downtime is what the stop sent, at the link's rate, and half a
	 * round trip: never less. */
	assert_true(r.downtime >= (double)r.downtime_bytes / c.link.bandwidth + c.link.rtt / 2);
	assert_true(r.total > r.switchover);
	mig_result_free(&r);
}

/* Write-heavy over a slow link: no convergence (max rounds force the
 * switch-over, with the long downtime it takes), auto-converge gets there. */
static void test_auto_converge(void **state)
{
	(void)state;
	struct mig_config c;
	struct mig_result r;

	small(&c, "nested", 20000);
	c.workload.write = 0.5;
	c.link.bandwidth = 100e6 / 8;
	c.policy.max_rounds = 40;
	run_ok(&c, &r, "no auto-converge");
	assert_false(r.converged);
	assert_true(r.forced);
	assert_int_equal(r.rounds, 40);
	assert_int_equal(r.final_throttle, 0);
	assert_true(r.downtime > c.policy.downtime_limit);
	assert_true(r.downtime >= (double)r.downtime_bytes / c.link.bandwidth);
	mig_result_free(&r);

	c.policy.auto_converge = true;
	c.policy.max_rounds = 0;
	run_ok(&c, &r, "auto-converge");
	assert_true(r.converged);
	assert_true(r.final_throttle >= 20);
	assert_true(r.throttle_steps >= 1);
	assert_int_equal(r.final_throttle, 20 + 10 * (r.throttle_steps - 1));
	assert_true(r.expected_downtime < c.policy.downtime_limit);
	mig_result_free(&r);
}

/* Post-copy: a small downtime, faults the guest waits for. */
static void test_postcopy(void **state)
{
	(void)state;
	struct mig_config c;
	struct mig_result pre, post;

	small(&c, "nested", 50000);
	c.link.bandwidth = 1e9 / 8;
	c.link.rtt = 0.01;
	run_ok(&c, &pre, "pre-copy");
	c.policy.postcopy_after = 0;
	run_ok(&c, &post, "post-copy");
	assert_true(post.postcopy);
	assert_true(post.downtime < pre.downtime);
	assert_true(post.downtime < 0.01);
	assert_true(post.pc_faults > 0);
	/* Each fault waits a round trip and its page at least. */
	assert_true(post.pc_stall >= (double)post.pc_faults * c.link.rtt);
	assert_true(post.pc_stall_max >= c.link.rtt);
	assert_true(post.pc_pushed + post.pc_faults <= post.pages_sent);
	assert_true(post.total > post.switchover);
	mig_result_free(&pre);
	mig_result_free(&post);
}

/* Tracking's cost to the guest: wp's exits against pml's buffer. */
static void test_slowdown_wp_over_pml(void **state)
{
	(void)state;
	struct mig_config c;
	struct mig_result wp, pml;

	/* The slowdown compares cycles (tracked / untracked) whatever the
	 * rate; a pinned one keeps the test short. */
	small(&c, "nested", 2e6);
	assert_int_equal(machine_config_set(&c.machine, "guest_ram", "4m"), 0);
	assert_int_equal(machine_config_set(&c.machine, "ept_ad", "1"), 0);
	c.workload.size = 2ULL << 20;
	c.workload.write = 0.9;
	run_ok(&c, &wp, "wp");
	c.dirty.mech = DIRTY_PML;
	run_ok(&c, &pml, "pml");
	assert_true(wp.guest_slowdown > 0);
	assert_true(pml.guest_slowdown >= 0);
	if (!(wp.guest_slowdown > pml.guest_slowdown))
		print_error("wp %g, pml %g\n", wp.guest_slowdown, pml.guest_slowdown);
	assert_true(wp.guest_slowdown > pml.guest_slowdown);
	assert_true(wp.tracking_exits > pml.tracking_exits);
	mig_result_free(&wp);
	mig_result_free(&pml);
}

/* A confidential VM goes through the monitors: every page exported
 * encrypted, imported, committed with the token, checked in plaintext. */
static void corrupt_machine(void *ctx, struct phys *machine)
{
	uint64_t *flipped = ctx;
	/* The first non-zero frame the destination's hypervisor handed out. */
	for (uint64_t pfn = 256; pfn < 65536; pfn++) {
		const uint8_t *f = phys_frame(machine, pfn, false);
		uint64_t acc = 0;
		for (unsigned i = 0; f && i < 4096; i += 8) {
			uint64_t w;
			memcpy(&w, f + i, 8);
			acc |= w;
		}
		if (acc) {
			uint8_t b = f[0] ^ 0x5a;
			assert_int_equal(phys_write(machine, pfn << 12, &b, 1), 0);
			*flipped = pfn;
			return;
		}
	}
}

static void test_secure(void **state)
{
	(void)state;
	static const char *const models[] = { "fold", "stage3", "rmp", "tdx" };
	for (size_t k = 0; k < 4; k++) {
		struct mig_config c;
		struct mig_result r;
		small(&c, "secure", 8000);
		assert_int_equal(machine_config_set(&c.machine, "tee", models[k]), 0);
		c.link.bandwidth = 100e6 / 8;
		c.dirty.mech = DIRTY_AD;
		run_ok(&c, &r, models[k]);
		assert_true(r.secure);
		assert_true(r.blobs >= 2048);
		assert_true(r.nrounds >= 2);
		for (size_t i = 0; i < r.nrounds; i++)
			assert_true(r.round[i].pages_dirtied > 0);
		mig_result_free(&r);
		if (k == 3) {
			uint64_t flipped = 0;
			c.before_verify = corrupt_machine;
			c.before_verify_ctx = &flipped;
			assert_int_equal(mig_run(&c, &r), 0);
			assert_true(flipped != 0);
			assert_false(r.verified);
			mig_result_free(&r);
		}
	}
	struct mig_config c;
	small(&c, "secure", 8000);
	c.dirty.mech = DIRTY_AD;
	assert_int_equal(machine_config_set(&c.machine, "tee", "gpt"), 0);
	assert_int_equal(mig_check(&c), -EINVAL);
	assert_non_null(strstr(xlat_error(), "Arm CCA"));
	small(&c, "secure", 8000);
	c.dirty.mech = DIRTY_AD;
	c.policy.postcopy_after = 0;
	assert_int_equal(mig_check(&c), -EINVAL);
	assert_non_null(strstr(xlat_error(), "post-copy"));
	small(&c, "secure", 8000);
	assert_int_equal(mig_check(&c), -EINVAL);   /* wp */
	assert_non_null(strstr(xlat_error(), "monitor"));
}

static void test_bad_parameters(void **state)
{
	(void)state;
	struct mig_config c;

	small(&c, "nested", 0);
	c.link.bandwidth = 0;
	assert_int_equal(mig_check(&c), -EINVAL);
	c.link.bandwidth = -5;
	assert_int_equal(mig_check(&c), -EINVAL);
	small(&c, "nested", 0);
	c.workload.size = 32ULL << 20;
	assert_int_equal(mig_check(&c), -EINVAL);
	assert_non_null(strstr(xlat_error(), "does not fit the guest RAM"));
	small(&c, "nested", 0);
	c.dirty.mech = DIRTY_PML;
	assert_int_equal(mig_check(&c), -EINVAL);
	assert_non_null(strstr(xlat_error(), "ept"));
	small(&c, "shadow", 0);
	c.dirty.mech = DIRTY_AD;
	assert_int_equal(mig_check(&c), -EINVAL);
	small(&c, "native", 0);
	assert_int_equal(mig_check(&c), -EINVAL);
	small(&c, "nested", 0);
	c.policy.downtime_limit = 0;
	assert_int_equal(mig_check(&c), -EINVAL);
	small(&c, "nested", -1);
	assert_int_equal(mig_check(&c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_threshold),
		cmocka_unit_test(test_policy_throttle),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_stream_round_trip),
		cmocka_unit_test(test_stream_damage),
		cmocka_unit_test(test_every_run_verified),
		cmocka_unit_test(test_corruption_caught),
		cmocka_unit_test(test_converges),
		cmocka_unit_test(test_auto_converge),
		cmocka_unit_test(test_postcopy),
		cmocka_unit_test(test_slowdown_wp_over_pml),
		cmocka_unit_test(test_secure),
		cmocka_unit_test(test_bad_parameters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
