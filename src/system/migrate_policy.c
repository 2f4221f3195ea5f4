/*
 * Live migration's policy as QEMU applies it (xlat/migrate.h), library
 * code a real backend could drive as well as the model: the bandwidth
 * measure and threshold (migration/migration.c, migration_update_counters),
 * when to sync the dirty log and when to switch over
 * (migration_iteration_run), and auto-converge's throttle
 * (migration/ram.c, migration_bitmap_sync, migration_trigger_throttle,
 * mig_throttle_guest_down). QEMU's code read for this: qemu/qemu, ram.c at
 * 033be66d and the later migration_iteration_run; docs/migrate.md cites
 * each rule.
 *
 * The links' figures, with their sources.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/migrate.h"

/* ---- links -------------------------------------------------------------------- */

static const struct {
	const char *name;
	double bits_per_s, rtt;
	const char *source;
} links[MIG_LINK_PRESETS] = {
	[MIG_LINK_DC] = { "dc", 10e9, 0.1e-3,
			  "a data-center link: 10 Gbit/s Ethernet (the speed DCTCP was evaluated at, Alizadeh et al., "
			  "SIGCOMM 2010) and a round trip of about 100 us between servers of one data center (the "
			  "same paper's figure without queueing)" },
	[MIG_LINK_WAN] = { "wan", 1e9, 40e-3,
			   "a cross-country link: 1 Gbit/s for the migration stream (an assumption: its share of a "
			   "backbone) and a 40 ms round trip (measured across the US, Austin to Los Angeles 35.8 ms and "
			   "to New Jersey 39.1 ms, kel.bz/post/physical-latency, 2021; coast to coast is 60-85 ms)" },
};

void mig_link_preset(struct mig_link *l, enum mig_link_preset p)
{
	if ((unsigned)p >= MIG_LINK_PRESETS)
		p = MIG_LINK_DC;
	l->bandwidth = links[p].bits_per_s / 8;
	l->rtt = links[p].rtt;
}

const char *mig_link_preset_name(enum mig_link_preset p)
{
	return (unsigned)p < MIG_LINK_PRESETS ? links[p].name : "?";
}

const char *mig_link_preset_source(enum mig_link_preset p)
{
	return (unsigned)p < MIG_LINK_PRESETS ? links[p].source : "?";
}

int mig_link_preset_parse(const char *name, enum mig_link_preset *p)
{
	for (unsigned i = 0; i < MIG_LINK_PRESETS; i++)
		if (!strcmp(name, links[i].name)) {
			*p = (enum mig_link_preset)i;
			return 0;
		}
	return xlat_fail(-EINVAL, "unknown link '%s' (dc: 10 Gbit/s, 0.1 ms; wan: 1 Gbit/s, 40 ms)", name);
}

int mig_parse_rate(const char *s, double *out)
{
	char *end;
	double v, mult = 1;
	bool bytes = false;

	if (!s || !*s)
		return xlat_fail(-EINVAL, "a rate is a number with a unit, e.g. 10G (bits/s) or 1.25GB/s");
	v = strtod(s, &end);
	if (end == s || !isfinite(v))
		return xlat_fail(-EINVAL, "'%s' is not a rate (e.g. 10G = 10 Gbit/s, 1.25GB/s)", s);
	switch (*end) {
	case 'k': case 'K': mult = 1e3; end++; break;
	case 'M': mult = 1e6; end++; break;
	case 'G': mult = 1e9; end++; break;
	case 'T': mult = 1e12; end++; break;
	default: break;
	}
	if (!strcmp(end, "B") || !strcmp(end, "B/s") || !strcmp(end, "Bps"))
		bytes = true;
	else if (*end && strcmp(end, "bit") && strcmp(end, "bit/s") && strcmp(end, "b") && strcmp(end, "bps") &&
		 strcmp(end, "b/s"))
		return xlat_fail(-EINVAL, "'%s' is not a rate: unit '%s' (bits: 10G, 10Gbit/s; bytes: 1.25GB/s)", s, end);
	v *= mult;
	if (!bytes)
		v /= 8;
	if (!(v > 0))
		return xlat_fail(-EINVAL, "a bandwidth of '%s' moves nothing: give a positive rate", s);
	if (v > 1e15)
		return xlat_fail(-EINVAL, "'%s' is more than a petabyte per second", s);
	*out = v;
	return 0;
}

/* ---- the policy ------------------------------------------------------------------- */

void mig_policy_config_init(struct mig_policy_config *c)
{
	memset(c, 0, sizeof *c);
	c->downtime_limit = 0.300;   /* DEFAULT_MIGRATE_SET_DOWNTIME, migration/options.c */
	c->max_rounds = 0;
	c->auto_converge = false;
	c->throttle_trigger = 50;    /* DEFAULT_MIGRATE_THROTTLE_TRIGGER_THRESHOLD */
	c->throttle_initial = 20;    /* DEFAULT_MIGRATE_CPU_THROTTLE_INITIAL */
	c->throttle_increment = 10;  /* DEFAULT_MIGRATE_CPU_THROTTLE_INCREMENT */
	c->throttle_max = 99;        /* DEFAULT_MIGRATE_MAX_CPU_THROTTLE */
	c->postcopy_after = -1;
}

void mig_policy_init(struct mig_policy *p, const struct mig_policy_config *cfg, double now)
{
	memset(p, 0, sizeof *p);
	p->cfg = *cfg;
	p->window_start = now;
	p->period_start = now;
}

void mig_policy_sent(struct mig_policy *p, double now, uint64_t total_bytes)
{
	/* migration_update_counters: nothing before BUFFER_DELAY has passed;
	 * then the window's bytes over its time, and the threshold. */
	if (now < p->window_start + MIG_BUFFER_DELAY)
		return;
	p->bandwidth = (double)(total_bytes - p->window_bytes0) / (now - p->window_start);
	p->threshold = p->bandwidth * p->cfg.downtime_limit;
	p->window_start = now;
	p->window_bytes0 = total_bytes;
}

bool mig_policy_want_sync(const struct mig_policy *p, uint64_t pending_bytes)
{
	/* migration_iteration_run: the estimate below the threshold asks
	 * for the exact figure, which syncs the dirty bitmap. */
	return (double)pending_bytes < p->threshold;
}

bool mig_policy_synced(struct mig_policy *p, double now, uint64_t dirtied_pages, uint64_t total_bytes)
{
	bool changed = false;

	p->syncs++;
	p->period_dirty += dirtied_pages;
	/* migration_bitmap_sync: the throttle is looked at when more than a
	 * second passed since the period began. */
	if (!(now > p->period_start + MIG_THROTTLE_PERIOD))
		return false;
	uint64_t xfer = total_bytes - p->period_bytes0;
	uint64_t dirty = p->period_dirty * XLAT_PAGE_SIZE;
	double limit = (double)xfer * p->cfg.throttle_trigger / 100.0;
	/* migration_trigger_throttle: dirtied more than the trigger share of
	 * what was sent, twice, starts or raises the throttle. */
	if ((double)dirty > limit && ++p->high_count >= 2) {
		p->high_count = 0;
		if (p->cfg.auto_converge) {
			unsigned t = p->throttle ? p->throttle + p->cfg.throttle_increment : p->cfg.throttle_initial;
			p->throttle = t < p->cfg.throttle_max ? t : p->cfg.throttle_max;
			p->throttle_steps++;
			changed = true;
		}
	}
	p->period_start = now;
	p->period_dirty = 0;
	p->period_bytes0 = total_bytes;
	return changed;
}

enum mig_decision mig_policy_decide(const struct mig_policy *p, uint64_t pending_bytes, unsigned rounds)
{
	/* migration_iteration_run: nothing left or less than the threshold
	 * completes; else post-copy if asked for; else iterate. */
	if (pending_bytes == 0 || (double)pending_bytes < p->threshold)
		return MIG_COMPLETE;
	if (p->cfg.postcopy_after >= 0 && rounds >= (unsigned)p->cfg.postcopy_after)
		return MIG_POSTCOPY;
	if (p->cfg.max_rounds && rounds >= p->cfg.max_rounds)
		return MIG_COMPLETE_FORCED;
	return MIG_ITERATE;
}

double mig_policy_expected_downtime(const struct mig_policy *p, uint64_t pending_bytes)
{
	return p->bandwidth > 0 ? (double)pending_bytes / p->bandwidth : 0;
}
