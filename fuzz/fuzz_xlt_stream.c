/* Fuzz target: the .xlt record stream and end record, behind a valid
 * header and zstd frame built here, so the fuzzer spends its time on the
 * decoder, the checksum and the end-record checks rather than on producing
 * valid zstd. The first byte picks the version (1 or 2), whether the
 * header's count is the number of records the payload holds if decoded
 * cleanly (a guess: the payload's length / 2), unknown, or 0, and the batch
 * size; then the writer round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "roundtrip.h"

#define MAX_RECORDS (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0];
	data++;
	size--;
	size_t cap = ZSTD_compressBound(size);
	uint8_t *file = malloc(24 + cap);
	if (!file)
		return 0;
	memcpy(file, "XLT", 4);
	put_le(file + 4, (mode & 1) ? 1 : 2, 4);
	uint64_t count = (mode >> 1) % 3 == 0 ? size / 2 : (mode >> 1) % 3 == 1 ? UINT64_MAX : 0;
	put_le(file + 8, count, 8);
	put_le(file + 16, 0, 4);
	put_le(file + 20, 0, 4);
	size_t z = ZSTD_compress(file + 24, cap, data, size, 1);
	if (ZSTD_isError(z)) {
		free(file);
		return 0;
	}
	static struct xlat_access buf[256];
	size_t batch = mode >> 3 ? mode >> 3 : 256;
	struct xlat_source *s;
	if (xlat_source_open_mem(&s, file, 24 + z, XLAT_TRACE_XLT) < 0) {
		free(file);
		return 0;
	}
	uint64_t total = 0;
	int64_t n;
	struct rt rt = { 0 };
	while (total < MAX_RECORDS && (n = xlat_source_next(s, buf, batch)) > 0) {
		rt_add(&rt, buf, (size_t)n);
		total += (uint64_t)n;
	}
	xlat_source_close(s);
	free(file);
	rt_finish(&rt);
	return 0;
}
