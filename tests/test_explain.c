/* The walk study behind `xlat walk` (xlat/explain.h): its result holds what
 * the walk read and nothing the size of the largest possible walk, and it
 * keeps no state outside the result, so two threads may run it at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/explain.h"

/* A nested 4+4 walk of 4 KiB pages: 24 references, each described. */
static void test_nested_walk_steps(void **state)
{
	struct explain_config cfg;
	struct explain_result res;
	(void)state;

	explain_config_init(&cfg);
	cfg.mode = SIM_NESTED;
	assert_int_equal(explain_walk(&cfg, &res), 0);
	assert_int_equal(res.walk.refs, 24);
	assert_int_equal(res.nsteps, 24);
	assert_int_equal(res.stages, 2);
	for (unsigned i = 0; i < res.nsteps; i++)
		assert_true(strlen(res.steps[i].meaning) > 0);
	/* The guest's PTE is the 20th reference, read after its EPT walk. */
	assert_int_equal(res.steps[19].ref.stage, 0);
	assert_int_equal(res.steps[19].ref.level, 1);
	explain_result_free(&res);
	assert_null(res.steps);
	/* The result is small: the steps are allocated to the walk. */
	assert_true(sizeof res < 16 * 1024);
}

static void test_bad_config_leaves_nothing(void **state)
{
	struct explain_config cfg;
	struct explain_result res;
	(void)state;

	explain_config_init(&cfg);
	cfg.guest_shift = 13;
	assert_int_equal(explain_walk(&cfg, &res), -EINVAL);
	assert_null(res.steps);
	explain_result_free(&res);
}

struct job {
	enum sim_mode mode;
	xlat_va va;
	unsigned rounds;
	uint32_t refs;
	uint64_t first_entry, last_entry;
	int rc;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct explain_config cfg;

	explain_config_init(&cfg);
	cfg.mode = j->mode;
	cfg.va = j->va;
	for (unsigned r = 0; r < j->rounds && j->rc == 0; r++) {
		struct explain_result res;
		j->rc = explain_walk(&cfg, &res);
		if (j->rc)
			break;
		if (r > 0 && (res.walk.refs != j->refs || res.steps[0].ref.entry != j->first_entry ||
			      res.steps[res.nsteps - 1].ref.entry != j->last_entry))
			j->rc = -1;
		j->refs = res.walk.refs;
		j->first_entry = res.steps[0].ref.entry;
		j->last_entry = res.steps[res.nsteps - 1].ref.entry;
		explain_result_free(&res);
	}
	return NULL;
}

/* Two threads, shadow and nested, each many walks: every walk of one
 * thread gives what that thread's first gave, and what a sequential run
 * gives. */
static void test_two_threads(void **state)
{
	struct job seq[2] = { { SIM_SHADOW, 0x7f0000001000ULL, 1, 0, 0, 0, 0 },
			      { SIM_NESTED, 0x7f0000203000ULL, 1, 0, 0, 0, 0 } };
	struct job par[2] = { { SIM_SHADOW, 0x7f0000001000ULL, 20, 0, 0, 0, 0 },
			      { SIM_NESTED, 0x7f0000203000ULL, 20, 0, 0, 0, 0 } };
	pthread_t t[2];
	(void)state;

	for (int i = 0; i < 2; i++) {
		run_job(&seq[i]);
		assert_int_equal(seq[i].rc, 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, run_job, &par[i]), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(par[i].rc, 0);
		assert_int_equal(par[i].refs, seq[i].refs);
		assert_int_equal(par[i].first_entry, seq[i].first_entry);
		assert_int_equal(par[i].last_entry, seq[i].last_entry);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_walk_steps),
		cmocka_unit_test(test_bad_config_leaves_nothing),
		cmocka_unit_test(test_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
