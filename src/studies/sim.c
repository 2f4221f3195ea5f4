/*
 * `xlat sim` as a library call (xlat/sim.h): one machine, warm-up, the
 * counted records, the results.
 */
#include <string.h>

#include "xlat/sim.h"

void sim_config_init(struct sim_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	machine_config_init(&cfg->machine);
	cfg->warmup = 0;
	cfg->limit = SIM_NO_LIMIT;
}

int sim_run(const struct sim_config *cfg, struct xlat_source *src, struct sim_result *res)
{
	uint64_t warm = 0, counted = 0, done, total;
	int rc = 0;

	memset(res, 0, sizeof *res);
	struct machine *m;
	if ((rc = machine_create(&cfg->machine, &m)))
		return rc;
	machine_set_progress(m, cfg->progress, cfg->progress_ctx);
	/* Without warm-up the counters start at boot (the first CR3 load
	 * and its exit included); with it, whatever ran is warm-up, even if
	 * the input ended in it. */
	if (cfg->warmup) {
		rc = machine_run(m, src, cfg->warmup, &warm);
		machine_reset_stats(m);
	}
	if (rc == 0)
		rc = machine_run(m, src, cfg->limit, &counted);
	if (rc == 0) {
		res->warmup_records = warm;
		res->records = counted;
		machine_collect(m, &res->machine);
		if (cfg->progress) {
			xlat_source_progress(src, &done, &total);
			cfg->progress(cfg->progress_ctx, total ? total : done, total ? total : done);
		}
	}
	machine_destroy(m);
	return rc;
}
