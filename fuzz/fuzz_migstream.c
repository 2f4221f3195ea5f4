/* Fuzz target: the migration stream's parser (xlat/migrate.h) on arbitrary
 * bytes, fed in pieces whose size the first byte picks. It must accept or
 * refuse with one line, never crash, hang or write outside the guest RAM
 * the header declares. Then the writer round trip: the input's bytes as
 * page contents, written and parsed back in pieces, must be accepted and
 * land byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/migrate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t piece = size ? (size_t)data[0] % 97 + 1 : 1;
	struct phys *mem = phys_create(40, 0);
	if (!mem)
		return 0;
	struct mig_parser *p = mig_parser_create(mem, NULL);
	if (!p)
		abort();
	int rc = 0;
	for (size_t off = 1; off < size && rc == 0; off += piece)
		rc = mig_parser_feed(p, data + off, size - off < piece ? size - off : piece);
	if (rc == 0)
		rc = mig_parser_finish(p);
	if (rc && strchr(xlat_error(), '\n'))
		abort();
	const struct mig_parser_stats *st = mig_parser_stats(p);
	if (rc == 0 && (!st->ended || st->bytes + 1 != (size ? size : 1)))
		abort();
	mig_parser_destroy(p);
	phys_destroy(mem);

	/* The writer round trip. */
	struct mig_writer w;
	uint8_t page[4096];
	size_t npages = size / 512 + 1;
	mig_writer_init(&w);
	if (mig_write_header(&w, 1ULL << 24))
		abort();
	for (size_t i = 0; i < npages; i++) {
		memset(page, 0, sizeof page);
		size_t at = i * 512, n = size > at ? (size - at < 512 ? size - at : 512) : 0;
		if (n)
			memcpy(page + (i * 37) % 3584, data + at, n);
		if (mig_write_page(&w, (i % 4096) << 12, page, (i & 1) != 0) < 0)
			abort();
	}
	struct mig_vcpu v = { .cr3 = size, .records = npages };
	if (mig_write_vcpu(&w, &v) || mig_write_end(&w))
		abort();
	size_t len;
	const uint8_t *b = mig_writer_take(&w, &len);
	mem = phys_create(32, 1ULL << 24);
	p = mig_parser_create(mem, NULL);
	if (!mem || !p)
		abort();
	for (size_t off = 0; off < len; off += piece)
		if (mig_parser_feed(p, b + off, len - off < piece ? len - off : piece))
			abort();
	if (mig_parser_finish(p) || !mig_parser_stats(p)->have_vcpu || mig_parser_stats(p)->vcpu.cr3 != size)
		abort();
	/* The last copy of each page is what the destination holds. */
	for (size_t i = npages > 4096 ? npages - 4096 : 0; i < npages; i++) {
		uint8_t got[4096];
		memset(page, 0, sizeof page);
		size_t at = i * 512, n = size > at ? (size - at < 512 ? size - at : 512) : 0;
		if (n)
			memcpy(page + (i * 37) % 3584, data + at, n);
		if (phys_read(mem, (i % 4096) << 12, got, sizeof got) || memcmp(got, page, sizeof page))
			abort();
	}
	mig_parser_destroy(p);
	phys_destroy(mem);
	mig_writer_free(&w);
	return 0;
}
