/* Fuzz target: the lackey text parser on arbitrary bytes (our begin/end
 * lines included). It must return records or a clean error, never crash,
 * hang or allocate without bound; what it returned must survive the
 * writer round trip. The first byte picks the batch size, so batch
 * boundaries get fuzzed too. */
#include <stdint.h>
#include <stdlib.h>

#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xlat_access buf[4096];
	size_t cap = size ? (size_t)data[0] % 64 + 1 : 1;
	if (size && data[0] >= 0xc0)
		cap = 4096;
	struct xlat_source *s;
	if (xlat_source_open_mem(&s, data, size, XLAT_TRACE_LACKEY) < 0)
		return 0;
	struct rt rt = { 0 };
	int64_t n;
	while ((n = xlat_source_next(s, buf, cap)) > 0) {
		for (int64_t i = 0; i < n; i++)
			if (buf[i].kind > XLAT_FETCH || buf[i].size == 0 || buf[i].size > XLAT_TRACE_MAX_ACCESS)
				abort();
		rt_add(&rt, buf, (size_t)n);
	}
	xlat_source_close(s);
	rt_finish(&rt);
	return 0;
}
