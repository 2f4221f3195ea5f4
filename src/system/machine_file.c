/*
 * Preset files as machine configurations (xlat/machine.h,
 * machine_config_load_file): the CPU part through the cpu module's loader,
 * the machine's keys the file carries checked while it is parsed and
 * applied after the preset.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "system/machine_int.h"

/* A line of the file that is no CPU key: a machine key whose value
 * machine_config_set takes (on a scratch configuration: the real one gets
 * it after the preset). */
static int check_machine_line(void *ctx, const char *key, const char *value)
{
	struct machine_config scratch;

	(void)ctx;
	if (!strcasecmp(key, "cpu"))
		return xlat_fail(-EINVAL, "cpu: a preset file names its preset with 'base = NAME'");
	machine_config_init(&scratch);
	return machine_config_set(&scratch, key, value);
}

int machine_config_load_file(struct machine_config *c, const char *path, struct cpu_preset **keep)
{
	struct cpu_preset *p;
	const char *key, *value;
	unsigned line;
	int rc;

	*keep = NULL;
	if ((rc = cpu_file_load_with(path, check_machine_line, NULL, &p)))
		return rc;
	/* On failure c is left as it was (it must not keep p's strings). */
	struct machine_config before = *c;
	if ((rc = machine_config_set_cpu(c, p))) {
		cpu_file_free(p);
		return rc;
	}
	uint64_t set0 = c->set;
	for (size_t i = 0; cpu_file_other(p, i, &key, &value, &line) == 0; i++)
		if ((rc = machine_config_set(c, key, value))) {
			char msg[256];
			snprintf(msg, sizeof msg, "%s", xlat_error());
			*c = before;
			cpu_file_free(p);
			return xlat_fail(rc, "%s:%u: %s", path, line, msg);
		}
	machine_config_mark_file_keys(c, set0);
	*keep = p;
	return 0;
}
