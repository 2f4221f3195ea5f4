/* xlat migrate — live migration of a running guest over a modelled link:
 * rounds of pre-copy under QEMU's rules, or post-copy, the guest's memory
 * moved as real bytes and checked at the destination. */
#define _GNU_SOURCE   /* pipe2, open_memstream */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"
#include "params.h"
#include "progress.h"
#include "xlat/migrate.h"
#include "xlat/outfile.h"
#include "xlat/parse.h"

#define CMD "migrate"

static const char usage[] =
	"usage: xlat migrate [--mem SIZE] [--workload NAME] [--size S] [--seed N] [--write F]\n"
	"                    [--wl-opt K=V,...] [--warmup N] [--no-prefill] [--guest-rate ACCESSES_PER_S]\n"
	"                    [--link dc|wan] [--bandwidth RATE] [--rtt MS] [--downtime-limit MS]\n"
	"                    [--tracking wp|ad|pml] [--huge eager|split|whole] [--postcopy[=ROUNDS]]\n"
	"                    [--auto-converge] [--max-rounds N] [--no-zero-detect]\n"
	"                    [--mode nested|shadow|secure] [--tee MODEL] [--ept-ad] [--page-policy P]\n"
	"                    [--host-page-policy P] [--cpu NAME] [--set KEY=VALUE ...]\n"
	"                    [--json|--csv] [--plot FILE.png] [--quiet]\n"
	"\n"
	"A VM whose guest keeps running its workload is migrated to a destination over a\n"
	"link: pre-copy rounds (round 0 sends every page, each later round the pages the\n"
	"previous one dirtied) until QEMU's rule lets it stop and copy the rest within the\n"
	"downtime limit, or post-copy. The guest's time runs on the machine's cost model,\n"
	"so dirty tracking slows it and the dirty rate is a result. Its writes carry\n"
	"values; the destination parses the stream into its own memory, which must equal\n"
	"the source's at switch-over byte for byte (verified). docs/migrate.md.\n"
	"\n"
	"the VM and its guest:\n"
	"  --mem SIZE             [guest_ram] the VM's memory, all of which migrates (default 1G)\n"
	"  --workload NAME        what the guest runs, endlessly (default random; seq, stride,\n"
	"                         random, zipf, chase, sparse, ... as xlat sim)\n"
	"  --size S               the workload's memory (default 256m; at most --mem with its tables)\n"
	"  --seed N, --write F    the workload's seed and share of writes (default 0.3)\n"
	"  --wl-opt K=V,...       its other options (docs/traces.md)\n"
	"  --warmup N             records run before the migration starts\n"
	"  --no-prefill           do not write every page of the workload's range first\n"
	"  --guest-rate R         pin the guest to R accesses per second of its time (default:\n"
	"                         the cost model's: accesses x base_cycles_per_access + translation,\n"
	"                         faults and exits at the preset's clock)\n"
	"the link and the policy:\n"
	"  --link L               dc: 10 Gbit/s, 0.1 ms (default); wan: 1 Gbit/s, 40 ms\n"
	"  --bandwidth RATE       10G (bits/s), 1.25GB/s (bytes/s)\n"
	"  --rtt MS               round-trip time, milliseconds\n"
	"  --downtime-limit MS    QEMU's downtime-limit (default 300)\n"
	"  --max-rounds N         switch over after N rounds whatever the estimate (default 30;\n"
	"                         0: never, as QEMU)\n"
	"  --auto-converge        QEMU's throttle: 20 %, +10 % steps, up to 99 %\n"
	"  --postcopy[=ROUNDS]    post-copy after ROUNDS pre-copy rounds (default 0: at once)\n"
	"  --no-zero-detect       send zero pages whole\n"
	"dirty tracking:\n"
	"  --tracking T           wp (EPT write protection, default; under --mode shadow the\n"
	"                         shadow entries), ad (EPT D bits, scanned), pml (page-\n"
	"                         modification logging); ad and pml need --ept-ad\n"
	"  --huge H               huge host pages: eager (split when logging starts, KVM's\n"
	"                         default), split (on the first write), whole (logged whole)\n"
	"the machine:\n"
	"  --mode M               [mode] nested (default), shadow, secure\n"
	"  --tee MODEL            [tee] secure: fold, stage3, rmp, gpt, tdx\n"
	"  --ept-ad               [ept_ad=1] EPT accessed/dirty flags\n"
	"  --page-policy P        [page_policy] guest pages: 4k, thp, 1g\n"
	"  --host-page-policy P   [host_page_policy] host pages backing the guest: 4k, thp, 1g\n"
	"  --cpu NAME             [cpu] CPU preset (default skylake)\n"
	"  --set KEY=VALUE        any machine or CPU key, or a dirty-tracking cost\n"
	"                         (dirty.wp_fault_cycles, ...: printed with every result)\n"
	"output:\n"
	"  --json, --csv          machine-readable output\n"
	"  --plot FILE.png        pages still to send and the dirty rate against time, a line\n"
	"                         per round (gnuplot)\n"
	"  -q, --quiet            no progress line\n";

enum {
	O_MEM = 256, O_WORKLOAD, O_SIZE, O_SEED, O_WRITE, O_WLOPT, O_WARMUP, O_NOPREFILL, O_RATE, O_LINK,
	O_BW, O_RTT, O_DOWNTIME, O_MAXROUNDS, O_AUTOCONV, O_POSTCOPY, O_NOZERO, O_TRACKING, O_HUGE,
	O_MODE, O_TEE, O_EPTAD, O_PP, O_HPP, O_CPU, O_SET, O_JSON, O_CSV, O_PLOT, O_QUIET, O_HELP,
};

static const struct cli_key_option key_opts[] = {
	{ "mem", "guest_ram", NULL },
	{ "mode", "mode", NULL },
	{ "tee", "tee", NULL },
	{ "ept-ad", "ept_ad", "1" },
	{ "page-policy", "page_policy", NULL },
	{ "host-page-policy", "host_page_policy", NULL },
};
#define NKEY_OPTS (sizeof key_opts / sizeof key_opts[0])

static int key_index(int c)
{
	switch (c) {
	case O_MEM: return 0;
	case O_MODE: return 1;
	case O_TEE: return 2;
	case O_EPTAD: return 3;
	case O_PP: return 4;
	case O_HPP: return 5;
	default: return -1;
	}
}

static void progress(void *ctx, double now, uint64_t pending, unsigned round)
{
	(void)ctx;
	cli_progress_line("  t=%.3f s  round %u  %llu pages to send", now, round, (unsigned long long)pending);
}

static double ms(double s)
{
	return s * 1e3;
}

/* ---- the plot ------------------------------------------------------------------------ */

/* gnuplot reads the script on its standard input and writes the PNG on
 * its standard output, which is the output's temporary file. */
static int plot(const char *path, const struct mig_result *r, const char *title)
{
	struct xlat_outfile *of;
	int rc = xlat_outfile_open(&of, path, NULL);
	if (rc)
		return rc;
	int fd = xlat_outfile_fd(of);
	if (fd < 0) {
		xlat_outfile_abort(of);
		return fd;
	}
	char *script = NULL;
	size_t slen = 0;
	FILE *s = open_memstream(&script, &slen);
	if (!s) {
		xlat_outfile_abort(of);
		return xlat_fail(-ENOMEM, "%s: out of memory", path);
	}
	unsigned rounds = r->nsamples ? r->samples[r->nsamples - 1].round + 1 : 1;
	double span = r->total > 0 ? r->total : 1, unit = span > 2 ? 1 : 1e3;
	const char *uname = span > 2 ? "s" : "ms";
	fprintf(s, "set terminal pngcairo size 1000,750 font ',10'\nset output\n");
	/* Pages still to send, a block per round (post-copy's last). */
	fprintf(s, "$d << EOD\n");
	for (unsigned k = 0; k < rounds; k++) {
		bool any = false;
		for (size_t i = 0; i < r->nsamples; i++)
			if (r->samples[i].round == k) {
				fprintf(s, "%.9g %llu\n", r->samples[i].t * unit, (unsigned long long)r->samples[i].pending);
				any = true;
			}
		if (!any)
			fprintf(s, "nan nan\n");
		fprintf(s, "\n\n");
	}
	fprintf(s, "EOD\n");
	/* The dirty rate: a segment over each round. */
	fprintf(s, "$r << EOD\n");
	for (size_t k = 0; k < r->nrounds; k++)
		fprintf(s, "%.9g %.9g\n%.9g %.9g\n\n\n", r->round[k].start * unit, r->round[k].dirty_rate,
			(r->round[k].start + r->round[k].duration) * unit, r->round[k].dirty_rate);
	if (!r->nrounds)
		fprintf(s, "nan nan\n");
	fprintf(s, "EOD\n");
	bool key = rounds <= 12;
	fprintf(s, "set multiplot layout 2,1 title \"%s%s\"\n", title,
		key ? "" : "\\n(a colour per round)");
	fprintf(s, "set grid\nset key %s\nset xlabel 'time (%s)'\nset format x '%%g'\n",
		key ? "outside right" : "off", uname);
	fprintf(s, "set xrange [0:%.9g]\nset yrange [0:*]\n", span * unit);
	fprintf(s, "set ylabel 'pages still to send'\n");
	fprintf(s, "plot for [i=0:%u] $d index i using 1:2 with lines lw 2 title (i < %u ? sprintf('round %%d', i) : 'post-copy')\n",
		rounds - 1, r->postcopy ? rounds - 1 : rounds);
	fprintf(s, "set ylabel 'dirty rate (pages/s)'\n");
	if (r->nrounds)
		fprintf(s, "plot for [i=0:%zu] $r index i using 1:2 with lines lw 3 title sprintf('round %%d', i)\n",
			r->nrounds - 1);
	else
		fprintf(s, "plot $r using 1:2 with lines title 'no pre-copy round'\n");
	fprintf(s, "unset multiplot\n");
	if (fclose(s)) {
		free(script);
		xlat_outfile_abort(of);
		return xlat_fail(-ENOMEM, "%s: out of memory", path);
	}
	int in[2];
	if (pipe2(in, O_CLOEXEC)) {
		free(script);
		xlat_outfile_abort(of);
		return xlat_fail(-errno, "%s: pipe: %s", path, strerror(errno));
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		free(script);
		xlat_outfile_abort(of);
		return xlat_fail(-e, "%s: fork: %s", path, strerror(e));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
		    (null >= 0 && dup2(null, STDERR_FILENO) < 0))
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t off = 0;
	while (off < slen) {
		ssize_t put = write(in[1], script + off, slen - off);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			break;
		off += (size_t)put;
	}
	close(in[1]);
	signal(SIGPIPE, old);
	free(script);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || off < slen) {
		xlat_outfile_abort(of);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			return xlat_fail(-ENOENT, "%s: cannot run gnuplot (install gnuplot-nox: scripts/setup)", path);
		return xlat_fail(-EIO, "%s: gnuplot failed", path);
	}
	return xlat_outfile_commit(of);
}

/* ---- the report ----------------------------------------------------------------------- */

static int cost_text(void *ctx, const char *key, const char *value, const char *source)
{
	(void)ctx;
	printf("    %s=%s  (%s)\n", key, value, source);
	return 0;
}

static void rounds_text(const struct mig_result *r)
{
	printf("\n round  start (ms)  duration (ms)  pages sent  zero pages  dirtied  dirty rate (pages/s)  "
	       "throttle  guest slowdown  tracking exits\n");
	for (size_t i = 0; i < r->nrounds; i++) {
		const struct mig_round *d = &r->round[i];
		char a[32], b[32], c[32], e[32], f[32];
		printf(" %5u %11.3f %14.3f %11s %11s %8s %21s %8u%% %15.4f %15s\n", d->index, ms(d->start),
		       ms(d->duration), out_fmt_count(a, sizeof a, d->pages_sent),
		       out_fmt_count(b, sizeof b, d->zero_pages), out_fmt_count(c, sizeof c, d->pages_dirtied),
		       out_fmt_ratio(e, sizeof e, d->dirty_rate), d->throttle, d->guest_slowdown,
		       out_fmt_count(f, sizeof f, d->tracking_exits));
	}
	printf("\n");
}

static void report(struct out *o, const struct mig_config *cfg, const struct mig_result *r, unsigned cost_set,
		   const char *link_name)
{
	char v[256];

	out_section(o, "migration");
	out_str(o, "mode", machine_mode_name(cfg->machine.mode), "mode");
	out_str(o, "tracking", dirty_mech_name(r->mech), "dirty tracking");
	out_str(o, "huge", dirty_huge_name(cfg->dirty.huge), "huge host pages");
	out_u64(o, "guest_ram", cfg->machine.guest_ram, "guest RAM (bytes)");
	out_u64(o, "guest_pages", r->guest_pages, "  4 KiB pages");
	xlat_workload_format(&cfg->workload, v, sizeof v);
	/* The guest runs its workload without end: its count says nothing. */
	char *cnt = strstr(v, "count=");
	if (cnt) {
		char *end = strchr(cnt, ',');
		memmove(cnt, end ? end + 1 : cnt + strlen(cnt), strlen(end ? end + 1 : cnt + strlen(cnt)) + 1);
	}
	out_str(o, "workload", v, "workload (without end)");
	out_str(o, "workload_name", cfg->workload.name, "  generator");
	out_f64(o, "guest_rate", cfg->guest_rate, "guest rate (accesses/s; 0: cost model)");
	out_str(o, "link", link_name, "link");
	out_f64(o, "bandwidth_bytes_per_s", cfg->link.bandwidth, "  bandwidth (bytes/s)");
	out_f64(o, "rtt_ms", ms(cfg->link.rtt), "  round trip (ms)");
	out_f64(o, "downtime_limit_ms", ms(cfg->policy.downtime_limit), "downtime limit (ms)");
	out_u64(o, "max_rounds", cfg->policy.max_rounds, "max rounds (0: none)");
	out_bool(o, "auto_converge", cfg->policy.auto_converge, "auto-converge");
	out_i64(o, "postcopy_after", cfg->policy.postcopy_after, "post-copy after rounds (-1: none)");
	out_bool(o, "zero_detect", cfg->zero_detect, "zero-page detection");
	if (out_format(o) == OUT_TEXT)
		rounds_text(r);
	else {
		out_list_begin(o, "round_table", NULL);
		for (size_t i = 0; i < r->nrounds; i++) {
			const struct mig_round *d = &r->round[i];
			out_item_begin(o);
			out_id(o, "round", d->index, NULL);
			out_f64(o, "start_ms", ms(d->start), NULL);
			out_f64(o, "duration_ms", ms(d->duration), NULL);
			out_u64(o, "pages_sent", d->pages_sent, NULL);
			out_u64(o, "zero_pages", d->zero_pages, NULL);
			out_u64(o, "bytes_sent", d->bytes_sent, NULL);
			out_u64(o, "pages_dirtied", d->pages_dirtied, NULL);
			out_f64(o, "dirty_rate_pages_per_s", d->dirty_rate, NULL);
			out_u64(o, "pending_after", d->pending_after, NULL);
			out_u64(o, "guest_accesses", d->guest_accesses, NULL);
			out_u64(o, "throttle_pct", d->throttle, NULL);
			out_f64(o, "guest_slowdown", d->guest_slowdown, NULL);
			out_u64(o, "tracking_exits", d->tracking_exits, NULL);
			out_f64(o, "expected_downtime_ms", ms(d->expected_downtime), NULL);
			out_item_end(o);
		}
		out_list_end(o);
	}

	out_section(o, "result");
	out_bool(o, "converged", r->converged, "converged (switched over by the downtime rule)");
	out_bool(o, "forced", r->forced, "switched over by --max-rounds");
	out_bool(o, "postcopy", r->postcopy, "post-copy");
	out_u64(o, "rounds", r->rounds, "pre-copy rounds");
	out_f64(o, "setup_ms", ms(r->setup), "setup: logging started (ms)");
	out_f64(o, "switchover_ms", ms(r->switchover), "source stopped at (ms)");
	out_f64(o, "expected_downtime_ms", ms(r->expected_downtime), "expected downtime (QEMU's estimate, ms)");
	out_f64(o, "downtime_ms", ms(r->downtime), "downtime (ms)");
	out_u64(o, "downtime_pages", r->downtime_pages, "  pages sent while stopped");
	out_u64(o, "downtime_bytes", r->downtime_bytes, "  bytes sent while stopped");
	out_f64(o, "total_ms", ms(r->total), "total time (ms)");
	out_u64(o, "bytes_sent", r->bytes_sent, "bytes sent");
	out_u64(o, "pages_sent", r->pages_sent, "page records sent");
	out_u64(o, "normal_pages", r->normal_pages, "  with contents");
	out_u64(o, "zero_pages", r->zero_pages, "  zero pages");
	out_f64(o, "bandwidth_measured", r->bandwidth_measured, "bandwidth measured at the decision (bytes/s)");
	out_u64(o, "final_throttle_pct", r->final_throttle, "throttle at switch-over (%)");
	out_u64(o, "throttle_steps", r->throttle_steps, "throttle raised (times)");
	out_f64(o, "guest_slowdown", r->guest_slowdown, "guest slowdown from tracking (pre-copy)");
	out_u64(o, "tracking_exits", r->tracking_exits, "tracking exits");
	out_u64(o, "guest_accesses", r->guest_accesses, "guest accesses during the migration");
	out_u64(o, "guest_writes", r->guest_writes, "  writes");
	out_f64(o, "guest_seconds", r->guest_seconds, "guest time run (s)");
	if (r->postcopy) {
		out_section(o, "post-copy");
		out_u64(o, "pc_faults", r->pc_faults, "pages the destination asked for (faults)");
		out_f64(o, "pc_stall_ms", ms(r->pc_stall), "  vCPU stalled in total (ms)");
		out_f64(o, "pc_stall_mean_ms", r->pc_faults ? ms(r->pc_stall / (double)r->pc_faults) : 0,
			"  per fault (ms)");
		out_f64(o, "pc_stall_max_ms", ms(r->pc_stall_max), "  longest (ms)");
		out_f64(o, "pc_stall_share", r->pc_duration > 0 ? r->pc_stall / r->pc_duration : 0,
			"  share of the post-copy phase stalled");
		out_u64(o, "pc_pushed", r->pc_pushed, "pages pushed by the source");
		out_f64(o, "pc_duration_ms", ms(r->pc_duration), "post-copy phase (ms)");
		out_f64(o, "pc_slowdown", r->pc_slowdown, "guest slowdown in post-copy (faults and stalls)");
	}
	if (r->secure)
		out_u64(o, "blobs", r->blobs, "pages exported by the monitor (encrypted, MAC'd)");
	out_bool(o, "verified", r->verified, "verified");
	out_str(o, "verify", r->verify_msg, "  how");

	out_section(o, "dirty tracking");
	const struct dirty_stats *d = &r->dirty;
	out_u64(o, "dirty_exits", d->exits, "exits");
	out_u64(o, "dirty_wp_faults", d->wp_faults, "  write-protection faults");
	out_u64(o, "dirty_pml_full_exits", d->pml_full_exits, "  PML log-full exits");
	out_u64(o, "dirty_kick_exits", d->kick_exits, "  kicks (drain, TLB flush)");
	out_u64(o, "dirty_pml_logged", d->pml_logged, "PML entries logged");
	out_u64(o, "dirty_scans", d->scans, "EPT scans");
	out_u64(o, "dirty_scanned_leaves", d->scanned_leaves, "  leaves read");
	out_u64(o, "dirty_protected_leaves", d->protected_leaves, "leaves re-armed (W or D cleared)");
	out_u64(o, "dirty_splits", d->splits, "huge leaves split");
	out_u64(o, "dirty_flushes", d->flushes, "TLB invalidations (INVEPT)");
	out_u64(o, "dirty_syncs", d->syncs, "syncs");
	out_u64(o, "dirty_guest_cycles", d->guest_cycles, "handler cycles (vCPU, beyond exits)");
	out_u64(o, "dirty_host_cycles", d->host_cycles, "host cycles (syncs, eager splits)");

	if (out_format(o) == OUT_TEXT) {
		printf("link: %s\n", cfg->link.bandwidth > 0 ? link_name : "?");
		printf("dirty-tracking costs (key=value (source))\n");
		dirty_costs_foreach(&cfg->dirty.costs, cost_set, cost_text, NULL);
	} else {
		out_list_begin(o, "dirty_costs", NULL);
		dirty_costs_foreach(&cfg->dirty.costs, cost_set, cli_param_item, o);
		out_list_end(o);
	}
	cli_params(o, stdout, &cfg->machine);
}

/* ---- options -------------------------------------------------------------------------------- */

static int parse_ms(const char *opt, const char *arg, double *out, bool zero_ok)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !isfinite(v) || v < 0 || (!zero_ok && v == 0))
		return cli_fail(2, CMD, "--%s: '%s' is not a%s number of milliseconds", opt, arg,
				zero_ok ? " non-negative" : " positive");
	*out = v / 1e3;
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mem", required_argument, 0, O_MEM },
		{ "workload", required_argument, 0, O_WORKLOAD },
		{ "size", required_argument, 0, O_SIZE },
		{ "seed", required_argument, 0, O_SEED },
		{ "write", required_argument, 0, O_WRITE },
		{ "wl-opt", required_argument, 0, O_WLOPT },
		{ "warmup", required_argument, 0, O_WARMUP },
		{ "no-prefill", no_argument, 0, O_NOPREFILL },
		{ "guest-rate", required_argument, 0, O_RATE },
		{ "link", required_argument, 0, O_LINK },
		{ "bandwidth", required_argument, 0, O_BW },
		{ "rtt", required_argument, 0, O_RTT },
		{ "downtime-limit", required_argument, 0, O_DOWNTIME },
		{ "max-rounds", required_argument, 0, O_MAXROUNDS },
		{ "auto-converge", no_argument, 0, O_AUTOCONV },
		{ "postcopy", optional_argument, 0, O_POSTCOPY },
		{ "no-zero-detect", no_argument, 0, O_NOZERO },
		{ "tracking", required_argument, 0, O_TRACKING },
		{ "huge", required_argument, 0, O_HUGE },
		{ "mode", required_argument, 0, O_MODE },
		{ "tee", required_argument, 0, O_TEE },
		{ "ept-ad", no_argument, 0, O_EPTAD },
		{ "page-policy", required_argument, 0, O_PP },
		{ "host-page-policy", required_argument, 0, O_HPP },
		{ "cpu", required_argument, 0, O_CPU },
		{ "set", required_argument, 0, O_SET },
		{ "cpu-param", required_argument, 0, O_SET },
		{ "json", no_argument, 0, O_JSON },
		{ "csv", no_argument, 0, O_CSV },
		{ "plot", required_argument, 0, O_PLOT },
		{ "quiet", no_argument, 0, O_QUIET },
		{ "help", no_argument, 0, O_HELP },
		{ 0, 0, 0, 0 },
	};
	struct mig_config cfg;
	const char *workload = NULL, *cpu = NULL, *plot_path = NULL, *wl_key[64], *wl_val[64];
	const char *set_arg[64];
	const struct cli_key_option *set_opt[64];
	bool given[NKEY_OPTS] = { false }, quiet = false, bw_given = false, rtt_given = false;
	int nwl = 0, nsets = 0, c;
	enum out_format fmt = OUT_TEXT;
	enum mig_link_preset link = MIG_LINK_DC;
	double bw = 0, rtt = 0;
	unsigned cost_set = 0;
	bool tracking_given = false;

	mig_config_init(&cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case O_WORKLOAD: workload = optarg; break;
		case O_SIZE: case O_SEED: case O_WRITE: case O_WLOPT:
			if (nwl == 64)
				return cli_fail(2, CMD, "too many workload options (at most 64)");
			wl_key[nwl] = c == O_SIZE ? "size" : c == O_SEED ? "seed" : c == O_WRITE ? "write" : NULL;
			wl_val[nwl++] = optarg;
			break;
		case O_WARMUP:
			if (xlat_parse_count(optarg, &cfg.warmup))
				return cli_fail(2, CMD, "--warmup: %s", xlat_error());
			break;
		case O_NOPREFILL: cfg.prefill = false; break;
		case O_RATE: {
			char *end;
			double r = strtod(optarg, &end);
			uint64_t n;
			if (!(end != optarg && !*end && isfinite(r) && r > 0)) {
				if (xlat_parse_count(optarg, &n) || n == 0)
					return cli_fail(2, CMD, "--guest-rate: '%s' is not a positive number of accesses "
							"per second", optarg);
				r = (double)n;
			}
			cfg.guest_rate = r;
			break;
		}
		case O_LINK:
			if (mig_link_preset_parse(optarg, &link))
				return cli_fail(2, CMD, "--link: %s", xlat_error());
			break;
		case O_BW:
			if (mig_parse_rate(optarg, &bw))
				return cli_fail(2, CMD, "--bandwidth: %s", xlat_error());
			bw_given = true;
			break;
		case O_RTT:
			if ((c = parse_ms("rtt", optarg, &rtt, true)))
				return c;
			rtt_given = true;
			break;
		case O_DOWNTIME:
			if ((c = parse_ms("downtime-limit", optarg, &cfg.policy.downtime_limit, false)))
				return c;
			break;
		case O_MAXROUNDS: {
			uint64_t n;
			if (xlat_parse_count(optarg, &n) || n > 100000)
				return cli_fail(2, CMD, "--max-rounds: '%s' is not a count 0..100000", optarg);
			cfg.policy.max_rounds = (unsigned)n;
			break;
		}
		case O_AUTOCONV: cfg.policy.auto_converge = true; break;
		case O_POSTCOPY: {
			uint64_t n = 0;
			if (optarg && (xlat_parse_count(optarg, &n) || n > 100000))
				return cli_fail(2, CMD, "--postcopy: '%s' is not a number of rounds", optarg);
			cfg.policy.postcopy_after = (int)n;
			break;
		}
		case O_NOZERO: cfg.zero_detect = false; break;
		case O_TRACKING:
			if (dirty_mech_parse(optarg, &cfg.dirty.mech))
				return cli_fail(2, CMD, "--tracking: %s", xlat_error());
			tracking_given = true;
			break;
		case O_HUGE:
			if (dirty_huge_parse(optarg, &cfg.dirty.huge))
				return cli_fail(2, CMD, "--huge: %s", xlat_error());
			break;
		case O_MEM: case O_MODE: case O_TEE: case O_EPTAD: case O_PP: case O_HPP: case O_SET:
			if (c == O_SET && !strncmp(optarg, "dirty.", 6)) {
				char key[64];
				const char *eq = strchr(optarg, '=');
				if (!eq || (size_t)(eq - optarg) >= sizeof key)
					return cli_fail(2, CMD, "--set %s: give KEY=VALUE", optarg);
				memcpy(key, optarg, (size_t)(eq - optarg));
				key[eq - optarg] = 0;
				if (dirty_costs_set(&cfg.dirty.costs, key, eq + 1, &cost_set))
					return cli_fail(2, CMD, "--set %s", xlat_error());
				break;
			}
			if (nsets == 64)
				return cli_fail(2, CMD, "too many machine options (at most 64)");
			set_opt[nsets] = c == O_SET ? NULL : &key_opts[key_index(c)];
			set_arg[nsets++] = optarg;
			if (c != O_SET)
				given[key_index(c)] = true;
			break;
		case O_CPU: cpu = optarg; break;
		case O_JSON: fmt = OUT_JSON; break;
		case O_CSV: fmt = OUT_CSV; break;
		case O_PLOT: plot_path = optarg; break;
		case 'q':
		case O_QUIET: quiet = true; break;
		case 'h':
		case O_HELP:
			fputs(usage, stdout);
			return 0;
		default:
			return cli_fail(2, CMD, "unknown or incomplete option '%s' (see xlat migrate --help)",
					argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_fail(2, CMD, "unexpected argument '%s'", argv[optind]);

	/* The workload. */
	if (workload) {
		struct xlat_workload w;
		if (xlat_workload_init(&w, workload))
			return cli_fail(2, CMD, "--workload: %s", xlat_error());
		w.write = cfg.workload.write;
		if (!strcmp(workload, "random") || !strcmp(workload, "zipf") || !strcmp(workload, "seq") ||
		    !strcmp(workload, "stride") || !strcmp(workload, "chase"))
			w.size = cfg.workload.size;
		cfg.workload = w;
	}
	for (int i = 0; i < nwl; i++) {
		int bad = wl_key[i] ? xlat_workload_set(&cfg.workload, wl_key[i], wl_val[i])
				    : xlat_workload_parse(&cfg.workload, wl_val[i]);
		if (bad)
			return cli_fail(2, CMD, "--%s: %s", wl_key[i] ? wl_key[i] : "wl-opt", xlat_error());
	}

	/* The machine: mode nested and 1 GiB unless said otherwise. */
	static const struct cli_key_option cpu_key = { "cpu", "cpu", NULL };
	if (cpu && (c = cli_set_key(CMD, &cfg.machine, &cpu_key, cpu)))
		return c;
	for (int i = 0; i < nsets; i++)
		if ((c = cli_set_key(CMD, &cfg.machine, set_opt[i], set_arg[i])))
			return c;
	if ((c = cli_check_keys(CMD, &cfg.machine, key_opts, NKEY_OPTS, given)))
		return c;
	/* Under a monitor the host dimension's D bits are the tracking. */
	if (!tracking_given && cfg.machine.mode == MACHINE_SECURE)
		cfg.dirty.mech = DIRTY_AD;

	/* The link: a preset, then what was given. */
	mig_link_preset(&cfg.link, link);
	if (bw_given)
		cfg.link.bandwidth = bw;
	if (rtt_given)
		cfg.link.rtt = rtt;
	char link_name[160];
	snprintf(link_name, sizeof link_name, "%s%s: %.6g Gbit/s, %.6g ms", mig_link_preset_name(link),
		 bw_given || rtt_given ? " (changed)" : "", cfg.link.bandwidth * 8 / 1e9, cfg.link.rtt * 1e3);

	if (mig_check(&cfg))
		return cli_fail(2, CMD, "%s", xlat_error());
	if (plot_path && xlat_outfile_check(plot_path, NULL))
		return cli_fail(2, CMD, "--plot: %s", xlat_error());

	bool progress_on = cli_progress_wanted(quiet);
	if (progress_on)
		cfg.progress = progress;
	struct mig_result res;
	int rc = mig_run(&cfg, &res);
	if (progress_on)
		cli_progress_clear();
	if (rc)
		return cli_fail(1, CMD, "%s", xlat_error());
	struct out *o = out_begin(fmt, stdout);
	report(o, &cfg, &res, cost_set, link_name);
	out_end(o);
	int status = 0;
	if (plot_path) {
		char title[200];
		snprintf(title, sizeof title, "xlat migrate: %s, %s, %s", dirty_mech_name(res.mech), link_name,
			 res.postcopy ? "post-copy" : "pre-copy");
		if (plot(plot_path, &res, title))
			status = cli_fail(1, CMD, "--plot: %s", xlat_error());
	}
	mig_result_free(&res);
	return status;
}
