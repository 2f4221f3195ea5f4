/*
 * The migration stream (xlat/migrate.h): records as QEMU's RAM stream
 * lays them out (a big-endian word holding the page address and flags in
 * its low bits, then the payload: migration/ram.c, save_page_header,
 * save_zero_page_to_file, save_normal_page), with a header and a checked
 * end of ours. The writer appends; the parser takes the stream in pieces
 * of any size and refuses a damaged one with one line.
 *
 * The checksum mixes every record (its word, then its payload as 64-bit
 * little-endian words, a short tail padded with zeros), so that a piece
 * boundary anywhere gives the same sum; it catches damage, not an
 * adversary (a confidential VM's pages carry the monitor's MACs).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/migrate.h"

#define SUM_SEED 0x6d69677261746531ull    /* "migrate1" */
#define SUM_MUL  0x9E3779B97F4A7C15ull

static inline uint64_t sum_word(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= SUM_MUL;
	return h ^ (h >> 29);
}

static uint64_t sum_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = sum_word(h, w);
	}
	if (i < n) {
		uint64_t w = 0;
		memcpy(&w, p + i, n - i);
		h = sum_word(h, w);
	}
	return h;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- the writer ------------------------------------------------------------------ */

void mig_writer_init(struct mig_writer *w)
{
	memset(w, 0, sizeof *w);
	w->sum = SUM_SEED;
}

void mig_writer_free(struct mig_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof *w);
}

static uint8_t *grow(struct mig_writer *w, size_t n)
{
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 65536;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *b = realloc(w->buf, cap);
		if (!b) {
			xlat_fail(-ENOMEM, "migration stream: out of memory");
			return NULL;
		}
		w->buf = b;
		w->cap = cap;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	w->total += n;
	return p;
}

/* A record: its word and payload (payload NULL: zeros of plen bytes are
 * not written; plen bytes of the caller's follow). */
static int record(struct mig_writer *w, uint64_t word, const uint8_t *pre, size_t prelen, const uint8_t *payload,
		  size_t plen)
{
	uint8_t *p = grow(w, MIG_REC_HEADER + prelen + plen);
	if (!p)
		return -ENOMEM;
	put_be64(p, word);
	if (prelen)
		memcpy(p + MIG_REC_HEADER, pre, prelen);
	if (plen)
		memcpy(p + MIG_REC_HEADER + prelen, payload, plen);
	w->sum = sum_word(w->sum, word);
	w->sum = sum_bytes(w->sum, p + MIG_REC_HEADER, prelen + plen);
	return 0;
}

int mig_write_header(struct mig_writer *w, uint64_t guest_ram)
{
	uint8_t *p = grow(w, MIG_STREAM_HEADER);
	if (!p)
		return -ENOMEM;
	memcpy(p, MIG_STREAM_MAGIC, 8);
	put_be32(p + 8, MIG_STREAM_VERSION);
	put_be32(p + 12, (uint32_t)XLAT_PAGE_SIZE);
	put_be64(p + 16, guest_ram);
	w->sum = sum_bytes(w->sum, p, MIG_STREAM_HEADER);
	return 0;
}

static bool all_zero(const uint8_t *d)
{
	uint64_t acc = 0;
	for (size_t i = 0; i < XLAT_PAGE_SIZE; i += 8) {
		uint64_t v;
		memcpy(&v, d + i, 8);
		acc |= v;
	}
	return acc == 0;
}

int mig_write_page(struct mig_writer *w, uint64_t gpa, const uint8_t *data, bool zero_detect)
{
	static const uint8_t zeros[XLAT_PAGE_SIZE];
	if (!data || (zero_detect && all_zero(data))) {
		if (data || zero_detect) {
			uint8_t fill = 0;
			int rc = record(w, gpa | MIG_REC_ZERO, NULL, 0, &fill, 1);
			return rc ? rc : (int)MIG_REC_ZERO;
		}
		data = zeros;
	}
	int rc = record(w, gpa | MIG_REC_PAGE, NULL, 0, data, XLAT_PAGE_SIZE);
	return rc ? rc : (int)MIG_REC_PAGE;
}

int mig_write_blob(struct mig_writer *w, uint64_t gpa, uint64_t seq, uint64_t mac, const uint8_t *data)
{
	uint8_t pre[16];
	put_be64(pre, seq);
	put_be64(pre + 8, mac);
	return record(w, gpa | MIG_REC_BLOB, pre, sizeof pre, data, XLAT_PAGE_SIZE);
}

int mig_write_eos(struct mig_writer *w)
{
	return record(w, MIG_REC_EOS, NULL, 0, NULL, 0);
}

static void vcpu_encode(const struct mig_vcpu *v, uint8_t *p)
{
	put_be64(p, v->cr3);
	put_be64(p + 8, v->records);
	put_be64(p + 16, v->writes);
	put_be32(p + 24, v->asid);
	put_be32(p + 28, v->tag);
}

int mig_write_vcpu(struct mig_writer *w, const struct mig_vcpu *v)
{
	uint8_t pre[4], body[MIG_VCPU_BYTES];
	put_be32(pre, MIG_VCPU_BYTES);
	vcpu_encode(v, body);
	return record(w, MIG_REC_VCPU, pre, sizeof pre, body, sizeof body);
}

int mig_write_token(struct mig_writer *w, uint64_t pages, uint64_t digest, uint64_t mac)
{
	uint8_t body[24];
	put_be64(body, pages);
	put_be64(body + 8, digest);
	put_be64(body + 16, mac);
	return record(w, MIG_REC_TOKEN, NULL, 0, body, sizeof body);
}

int mig_write_end(struct mig_writer *w)
{
	uint8_t *p = grow(w, MIG_REC_HEADER + 8);
	if (!p)
		return -ENOMEM;
	put_be64(p, MIG_REC_END);
	put_be64(p + 8, w->sum);
	return 0;
}

const uint8_t *mig_writer_take(struct mig_writer *w, size_t *len)
{
	*len = w->len;
	w->len = 0;
	return w->buf;
}

/* ---- the parser ---------------------------------------------------------------------- */

enum pstate { P_HEADER, P_WORD, P_PAYLOAD, P_DONE, P_FAILED };

struct mig_parser {
	struct phys *mem;
	struct mig_parser_ops ops;
	enum pstate state;
	uint8_t buf[16 + XLAT_PAGE_SIZE];   /* the record part being assembled */
	size_t have, need;
	uint64_t word;                      /* the record's word */
	uint64_t sum;
	struct mig_parser_stats st;
};

struct mig_parser *mig_parser_create(struct phys *mem, const struct mig_parser_ops *ops)
{
	struct mig_parser *p = calloc(1, sizeof *p);
	if (!p) {
		xlat_fail(-ENOMEM, "migration stream: out of memory");
		return NULL;
	}
	p->mem = mem;
	if (ops)
		p->ops = *ops;
	p->need = MIG_STREAM_HEADER;
	p->sum = SUM_SEED;
	return p;
}

void mig_parser_destroy(struct mig_parser *p)
{
	free(p);
}

static int bad(struct mig_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct mig_parser *p, const char *fmt, ...)
{
	char msg[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->state = P_FAILED;
	return xlat_fail(-EBADMSG, "migration stream: byte %llu: %s", (unsigned long long)p->st.bytes, msg);
}

/* The record's word is in; what follows it. */
static int begin_record(struct mig_parser *p)
{
	uint64_t flags = p->word & (XLAT_PAGE_SIZE - 1), addr = p->word & ~(XLAT_PAGE_SIZE - 1);

	switch (flags) {
	case MIG_REC_PAGE:
	case MIG_REC_ZERO:
	case MIG_REC_BLOB:
		if (addr >= p->st.guest_ram)
			return bad(p, "a page at %#llx, outside the guest's RAM", (unsigned long long)addr);
		p->need = flags == MIG_REC_PAGE ? XLAT_PAGE_SIZE : flags == MIG_REC_ZERO ? 1 : 16 + XLAT_PAGE_SIZE;
		break;
	case MIG_REC_EOS:
	case MIG_REC_VCPU:
	case MIG_REC_TOKEN:
	case MIG_REC_END:
		if (addr)
			return bad(p, "a control record with an address (%#llx)", (unsigned long long)addr);
		p->need = flags == MIG_REC_EOS ? 0 : flags == MIG_REC_VCPU ? 4 + MIG_VCPU_BYTES :
			  flags == MIG_REC_TOKEN ? 24 : 8;
		break;
	default:
		return bad(p, "a record with flags %#llx, not one known flag", (unsigned long long)flags);
	}
	p->have = 0;
	p->state = P_PAYLOAD;
	return 0;
}

static int end_record(struct mig_parser *p)
{
	uint64_t flags = p->word & (XLAT_PAGE_SIZE - 1), addr = p->word & ~(XLAT_PAGE_SIZE - 1);
	int rc = 0;

	if (flags == MIG_REC_END) {
		if (get_be64(p->buf) != p->sum)
			return bad(p, "the checksum does not match what came before it");
		p->st.ended = true;
		p->state = P_DONE;
		return 0;
	}
	p->sum = sum_word(p->sum, p->word);
	p->sum = sum_bytes(p->sum, p->buf, p->need);
	switch (flags) {
	case MIG_REC_PAGE:
		if (p->mem && (rc = phys_write(p->mem, addr, p->buf, XLAT_PAGE_SIZE)))
			return rc;
		p->st.pages++;
		if (p->ops.page)
			rc = p->ops.page(p->ops.ctx, addr, MIG_REC_PAGE, 0, 0, p->buf);
		break;
	case MIG_REC_ZERO:
		if (p->buf[0])
			return bad(p, "a zero page whose fill byte is %#x", p->buf[0]);
		if (p->mem && (rc = phys_zero(p->mem, addr >> XLAT_PAGE_SHIFT, 1)))
			return rc;
		p->st.zero_pages++;
		if (p->ops.page)
			rc = p->ops.page(p->ops.ctx, addr, MIG_REC_ZERO, 0, 0, NULL);
		break;
	case MIG_REC_BLOB:
		p->st.blobs++;
		if (p->ops.page)
			rc = p->ops.page(p->ops.ctx, addr, MIG_REC_BLOB, get_be64(p->buf), get_be64(p->buf + 8),
					 p->buf + 16);
		break;
	case MIG_REC_EOS:
		p->st.rounds++;
		break;
	case MIG_REC_TOKEN:
		p->st.tokens++;
		if (p->ops.token)
			rc = p->ops.token(p->ops.ctx, get_be64(p->buf), get_be64(p->buf + 8), get_be64(p->buf + 16));
		break;
	case MIG_REC_VCPU: {
		const uint8_t *b = p->buf + 4;
		if (get_be32(p->buf) != MIG_VCPU_BYTES)
			return bad(p, "a vCPU state of %u bytes", get_be32(p->buf));
		p->st.vcpu = (struct mig_vcpu){
			.cr3 = get_be64(b), .records = get_be64(b + 8), .writes = get_be64(b + 16),
			.asid = get_be32(b + 24), .tag = get_be32(b + 28),
		};
		p->st.have_vcpu = true;
		break;
	}
	}
	if (rc) {
		p->state = P_FAILED;
		return rc;
	}
	p->state = P_WORD;
	p->need = MIG_REC_HEADER;
	p->have = 0;
	return 0;
}

static int header_done(struct mig_parser *p)
{
	if (memcmp(p->buf, MIG_STREAM_MAGIC, 8))
		return bad(p, "not an xlat migration stream (no %s magic)", MIG_STREAM_MAGIC);
	if (get_be32(p->buf + 8) != MIG_STREAM_VERSION)
		return bad(p, "stream version %u (this xlat reads version 1)", get_be32(p->buf + 8));
	if (get_be32(p->buf + 12) != XLAT_PAGE_SIZE)
		return bad(p, "a page size of %u bytes (4096 expected)", get_be32(p->buf + 12));
	uint64_t ram = get_be64(p->buf + 16);
	if (ram == 0 || (ram & (XLAT_PAGE_SIZE - 1)) || ram > (1ULL << XLAT_MAX_PA_BITS))
		return bad(p, "a guest RAM of %#llx bytes", (unsigned long long)ram);
	p->st.guest_ram = ram;
	p->sum = sum_bytes(p->sum, p->buf, MIG_STREAM_HEADER);
	p->state = P_WORD;
	p->need = MIG_REC_HEADER;
	p->have = 0;
	return 0;
}

int mig_parser_feed(struct mig_parser *p, const uint8_t *data, size_t len)
{
	while (len) {
		if (p->state == P_FAILED)
			return -EBADMSG;
		if (p->state == P_DONE)
			return bad(p, "%zu bytes after the end record", len);
		size_t take = p->need - p->have < len ? p->need - p->have : len;
		memcpy(p->buf + p->have, data, take);
		p->have += take;
		p->st.bytes += take;
		data += take;
		len -= take;
		while (p->have == p->need && p->state != P_DONE && p->state != P_FAILED) {
			int rc;
			switch (p->state) {
			case P_HEADER:
				rc = header_done(p);
				break;
			case P_WORD:
				p->word = get_be64(p->buf);
				rc = begin_record(p);
				break;
			case P_PAYLOAD:
				rc = end_record(p);
				break;
			default:
				rc = -EBADMSG;
			}
			if (rc)
				return rc;
		}
	}
	return p->state == P_FAILED ? -EBADMSG : 0;
}

int mig_parser_finish(struct mig_parser *p)
{
	if (p->state == P_FAILED)
		return -EBADMSG;
	if (p->state != P_DONE)
		return bad(p, "the stream stops before its end record");
	return 0;
}

const struct mig_parser_stats *mig_parser_stats(const struct mig_parser *p)
{
	return &p->st;
}
