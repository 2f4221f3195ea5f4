/* Fuzz target: the ChampSim reader on arbitrary bytes, plain or through
 * whatever decompressor (gzip, xz, zstd, bzip2) the leading magic selects,
 * with its up-front plausibility check; then the writer round trip. Output
 * is capped per input for speed (compressed inputs can expand a lot);
 * memory is bounded by the readers' streaming design. */
#include <stdint.h>
#include <stdlib.h>

#include "roundtrip.h"

#define MAX_RECORDS (1u << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xlat_access buf[4096];
	struct xlat_source *s;
	if (xlat_source_open_mem(&s, data, size, XLAT_TRACE_CHAMPSIM) < 0)
		return 0;
	size_t cap = size > 8 ? (size_t)data[size - 1] % 16 + 1 : 4096;
	uint64_t total = 0;
	int64_t n;
	struct rt rt = { 0 };
	while (total < MAX_RECORDS && (n = xlat_source_next(s, buf, cap)) > 0) {
		for (int64_t i = 0; i < n; i++)
			if (buf[i].kind > XLAT_FETCH || buf[i].size == 0)
				abort();
		rt_add(&rt, buf, (size_t)n);
		total += (uint64_t)n;
	}
	struct xlat_source_info info;
	xlat_source_info(s, &info);
	if (info.instructions < 0 || (uint64_t)info.instructions > total)
		abort();   /* each instruction yields at least its fetch */
	xlat_source_close(s);
	rt_finish(&rt);
	return 0;
}
