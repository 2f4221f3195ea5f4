/* Fuzzes the preset-file parser (xlat/cpu.h, cpu_file_parse) on arbitrary
 * bytes. Beyond "does not crash", each input checks the contracts:
 *  - a refusal sets no preset and leaves one bounded line naming the file;
 *  - an accepted file is a valid preset (cpu_check), and writing it back
 *    (its differences from its base, as cpu_file_format renders them)
 *    loads to the same preset;
 *  - read as a machine's file (lines of machine keys handed to a callback
 *    that sets them on a scratch configuration, as machine_file.c does),
 *    the same bytes are refused the same way or accepted, and every line
 *    kept applies to a configuration built from the preset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/cpu.h"
#include "xlat/machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The built-in preset a loaded one started from: its model string. */
static const struct cpu_preset *base_of(const struct cpu_preset *p)
{
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].model, p->model))
			return &all[i];
	return NULL;
}

static int machine_line(void *ctx, const char *key, const char *value)
{
	struct machine_config scratch;
	(void)ctx;
	machine_config_init(&scratch);
	return machine_config_set(&scratch, key, value);
}

static void as_machine_file(const uint8_t *data, size_t size)
{
	struct cpu_preset *p = (struct cpu_preset *)1;
	int rc = cpu_file_parse_with((const char *)data, size, "fuzz.ini", machine_line, NULL, &p);
	const char *key, *value;
	unsigned line;

	if (rc) {
		const char *msg = xlat_error();
		XLAT_ASSERT(p == NULL);
		XLAT_ASSERT(!strncmp(msg, "fuzz.ini", 8));
		XLAT_ASSERT(strlen(msg) < 512 && !strchr(msg, '\n'));
		return;
	}
	struct machine_config c;
	machine_config_init(&c);
	XLAT_ASSERT(machine_config_set_cpu(&c, p) == 0);
	for (size_t i = 0; cpu_file_other(p, i, &key, &value, &line) == 0; i++) {
		XLAT_ASSERT(i < CPU_FILE_MAX_OTHER && line > 0);
		if (machine_config_set(&c, key, value))   /* a tlb spec may not fit this preset */
			continue;
	}
	cpu_file_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_machine_file(data, size);

	struct cpu_preset *p = (struct cpu_preset *)1;
	int rc = cpu_file_parse((const char *)data, size, "fuzz.ini", &p);

	if (rc) {
		const char *msg = xlat_error();
		XLAT_ASSERT(rc == -EINVAL || rc == -ENOMEM);
		XLAT_ASSERT(p == NULL);
		XLAT_ASSERT(!strncmp(msg, "fuzz.ini", 8));
		XLAT_ASSERT(strlen(msg) < 256 && !strchr(msg, '\n'));
		return 0;
	}
	XLAT_ASSERT(p != NULL);
	XLAT_ASSERT(cpu_check(p) == 0);

	const struct cpu_preset *base = base_of(p);
	XLAT_ASSERT(base != NULL);
	struct cpu_file_line lines[256];
	char (*store)[2][48] = malloc(256 * sizeof *store);
	size_t n;
	XLAT_ASSERT(store != NULL);
	/* Removing or adding TLB arrays may not be expressible as a diff;
	 * everything else must round-trip. */
	if (cpu_file_diff(base, p, lines, 256, &n, store) == 0) {
		char *text;
		struct cpu_preset *back;
		XLAT_ASSERT(cpu_file_format(base->name, "source: fuzz", lines, n, &text) == 0);
		XLAT_ASSERT(cpu_file_parse(text, strlen(text), "back.ini", &back) == 0);
		XLAT_ASSERT(cpu_file_same(back, p, NULL, 0) == 1);
		cpu_file_free(back);
		free(text);
	}
	free(store);
	cpu_file_free(p);
	return 0;
}
