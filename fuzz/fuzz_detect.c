/* Fuzz target: format detection on arbitrary bytes with no name (empty
 * input, a cut .xlt magic, gzip/xz/zstd/bzip2 by magic, text versus binary,
 * the ChampSim plausibility check), then whichever reader it chose, then
 * the writer round trip. This is the bzip2 decoder's target too: "BZh"
 * inputs reach it here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roundtrip.h"

#define MAX_RECORDS (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xlat_access buf[512];
	struct xlat_source *s;
	int rc = xlat_source_open_mem(&s, data, size, XLAT_TRACE_AUTO);
	if (rc < 0) {
		if (size == 0 && rc != -61 /* ENODATA */)
			abort();   /* an empty input is "empty trace" */
		if (!xlat_error()[0] || strchr(xlat_error(), '\n'))
			abort();   /* one line, always */
		return 0;
	}
	uint64_t total = 0;
	int64_t n;
	struct rt rt = { 0 };
	while (total < MAX_RECORDS && (n = xlat_source_next(s, buf, 512)) > 0) {
		rt_add(&rt, buf, (size_t)n);
		total += (uint64_t)n;
	}
	xlat_source_close(s);
	rt_finish(&rt);
	return 0;
}
