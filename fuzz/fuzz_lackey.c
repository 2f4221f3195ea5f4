/* Fuzz target: the lackey text parser on arbitrary bytes. It must return
 * records or a clean error, never crash, hang or allocate without bound.
 * The first byte picks the batch size, so batch boundaries get fuzzed too. */
#include <stdint.h>
#include <stdlib.h>

#include "xlat/trace.h"

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
	while (xlat_source_next(s, buf, cap) > 0)
		;
	xlat_source_close(s);
	return 0;
}
