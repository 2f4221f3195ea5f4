/* Fuzzes the workload option syntax (xlat/workload.h: "k=v,k=v"), every
 * generator's keys, the gc generator's included. The first byte picks the
 * generator, the rest is the option string. Beyond "does not crash":
 *  - failure records a message (that it is one line, control bytes
 *    escaped, is xlat_fail's contract once the cli branch's escaping is
 *    merged: workload.c quotes the offending key as given);
 *  - a success formats to a canonical string that parses back to the same
 *    canonical string;
 *  - for gc, the O(1) layout check never crashes on what parsed (the
 *    streams themselves are not opened: a parsed size may be terabytes).
 */
#include <stdlib.h>
#include <string.h>

#include "xlat/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(void)
{
	XLAT_ASSERT(xlat_error()[0] != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	const char *name = xlat_workload_name(data[0] % xlat_workload_count());
	char *opts = malloc(size);
	memcpy(opts, data + 1, size - 1);
	opts[size - 1] = 0;

	struct xlat_workload w, w2;
	XLAT_ASSERT(xlat_workload_init(&w, name) == 0);
	if (xlat_workload_parse(&w, opts)) {
		check_message();
	} else {
		char a[1024], b[1024];
		XLAT_ASSERT(xlat_workload_format(&w, a, sizeof a) < (int)sizeof a);
		XLAT_ASSERT(xlat_workload_init(&w2, name) == 0);
		XLAT_ASSERT(xlat_workload_parse(&w2, a) == 0);
		xlat_workload_format(&w2, b, sizeof b);
		XLAT_ASSERT(strcmp(a, b) == 0);
		if (!strcmp(name, "gc")) {
			struct xlat_gc_info info;
			if (xlat_workload_gc_layout(&w, &info))
				check_message();
			else
				XLAT_ASSERT(info.blocks == w.size / 4096 && info.heap == w.base);
		}
	}
	free(opts);
	return 0;
}
