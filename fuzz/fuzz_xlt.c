/* Fuzz target: the .xlt reader (header checks, zstd stream, record decoder,
 * end record) on arbitrary bytes, then the writer round trip: what it
 * decoded, written again, must read back equal. The record count per input
 * is capped so a tiny input that decompresses to gigabytes of valid records
 * (zstd RLE blocks) stays quick; the decoder itself streams, so memory
 * stays bounded regardless. */
#include <stdint.h>
#include <stdlib.h>

#include "roundtrip.h"

#define MAX_RECORDS (1u << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xlat_access buf[4096];
	struct xlat_source *s;
	if (xlat_source_open_mem(&s, data, size, XLAT_TRACE_XLT) < 0)
		return 0;
	uint64_t total = 0;
	int64_t n;
	size_t cap = size > 30 ? (size_t)data[size - 1] % 200 + 1 : 4096;
	struct rt rt = { 0 };
	while (total < MAX_RECORDS && (n = xlat_source_next(s, buf, cap)) > 0) {
		for (int64_t i = 0; i < n; i++)
			if (buf[i].kind >= XLAT_KIND_COUNT ||
			    (!xlat_is_event(buf[i].kind) && (buf[i].size == 0 || buf[i].size > XLAT_TRACE_MAX_ACCESS)))
				abort();   /* the decoder must never yield a bad kind or size */
		rt_add(&rt, buf, (size_t)n);
		total += (uint64_t)n;
	}
	xlat_source_close(s);
	rt_finish(&rt);
	return 0;
}
