/*
 * ChampSim traces: a stream of 64-byte `input_instr` records, little-endian,
 * plain or compressed (gzip, xz, zstd, bzip2: whatever the magic says).
 *
 *   offset size field
 *        0    8 ip
 *        8    1 is_branch
 *        9    1 branch_taken
 *       10    2 destination_registers[2]
 *       12    4 source_registers[4]
 *       16   16 destination_memory[2]   (u64 each; 0 = unused)
 *       32   32 source_memory[4]        (u64 each; 0 = unused)
 *
 * Each record yields: a fetch of 1 byte at ip (the record has no instruction
 * length), a read of 8 bytes per nonzero source_memory, then a write of 8
 * bytes per nonzero destination_memory (nor operand sizes), in slot order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/source.h"

#define CS_REC 64
#define CS_BUF (CS_REC * 4096u)  /* bytes per read */
#define CS_MAX_OUT 7             /* accesses one record can yield */
#define CS_FETCH_SIZE 1          /* bytes */
#define CS_DATA_SIZE 8           /* bytes */

struct champsim {
	struct xlat_source base;
	uint8_t *buf;
	size_t cap;              /* CS_BUF, or the input's size if smaller */
	size_t pos, len;
	uint64_t recs;           /* records consumed */
	bool eof;
	struct xlat_access pend[CS_MAX_OUT];   /* yield of a record that did not fit */
	unsigned npend, ipend;
};

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void put(struct xlat_access *a, uint64_t va, uint32_t size, uint8_t kind)
{
	a->va = va;
	a->size = size;
	a->kind = kind;
	a->flags = 0;
	a->asid = 0;
}

/* Expands one record into out[0 .. 7); returns how many. */
static unsigned expand(const uint8_t *r, struct xlat_access *out)
{
	unsigned n = 0;
	put(&out[n++], le64(r), CS_FETCH_SIZE, XLAT_FETCH);
	for (int i = 0; i < 4; i++) {
		uint64_t va = le64(r + 32 + 8 * i);
		if (va)
			put(&out[n++], va, CS_DATA_SIZE, XLAT_READ);
	}
	for (int i = 0; i < 2; i++) {
		uint64_t va = le64(r + 16 + 8 * i);
		if (va)
			put(&out[n++], va, CS_DATA_SIZE, XLAT_WRITE);
	}
	return n;
}

static int64_t champsim_next(struct xlat_source *s, struct xlat_access *out, size_t cap)
{
	struct champsim *cs = (struct champsim *)s;
	size_t n = 0;
	while (n < cap && cs->ipend < cs->npend)
		out[n++] = cs->pend[cs->ipend++];
	while (n < cap) {
		if (cs->len - cs->pos < CS_REC) {
			if (cs->eof) {
				if (cs->pos < cs->len)
					return xlat_fail(-EINVAL, "%s: partial record at byte %llu of the trace "
							 "(%zu of %d bytes after record %llu)", s->name,
							 (unsigned long long)(s->rd.out_off - (cs->len - cs->pos)),
							 cs->len - cs->pos, CS_REC, (unsigned long long)cs->recs);
				break;
			}
			size_t keep = cs->len - cs->pos;
			memmove(cs->buf, cs->buf + cs->pos, keep);
			cs->pos = 0;
			int64_t got = rd_read(&s->rd, cs->buf + keep, cs->cap - keep);
			if (got < 0)
				return got;
			cs->len = keep + (size_t)got;
			if (got == 0)
				cs->eof = true;
			continue;
		}
		const uint8_t *r = cs->buf + cs->pos;
		cs->pos += CS_REC;
		cs->recs++;
		if (cap - n >= CS_MAX_OUT) {
			n += expand(r, out + n);
		} else {
			cs->npend = expand(r, cs->pend);
			cs->ipend = 0;
			while (n < cap && cs->ipend < cs->npend)
				out[n++] = cs->pend[cs->ipend++];
		}
	}
	s->instructions = (int64_t)cs->recs;
	return (int64_t)n;
}

static void champsim_free(struct xlat_source *s)
{
	free(((struct champsim *)s)->buf);
}

static const struct source_ops champsim_ops = {
	.next = champsim_next,
	.free = champsim_free,
};

/* Canonical for 57-bit (LA57) addresses, so 48-bit ones too: bits 63..56
 * all equal bit 56. */
static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 7) >> 7) == va;
}

/* What is wrong with record r, or NULL if it looks like ChampSim's. */
static const char *implausible(const uint8_t *r, char *why, size_t len)
{
	if (r[8] > 1 || r[9] > 1) {
		snprintf(why, len, "is_branch 0x%02x and branch_taken 0x%02x (must be 0 or 1)", r[8], r[9]);
		return why;
	}
	uint64_t ip = le64(r);
	if (ip == 0 || !canonical(ip)) {
		snprintf(why, len, "ip 0x%llx (not a canonical code address)", (unsigned long long)ip);
		return why;
	}
	for (int i = 0; i < 6; i++) {
		uint64_t va = le64(r + 16 + 8 * i);
		if (!canonical(va)) {
			snprintf(why, len, "memory operand 0x%llx (not a canonical address)", (unsigned long long)va);
			return why;
		}
	}
	return NULL;
}

/* The first records must look like ChampSim's: a text file or other binary
 * data given as ChampSim would otherwise run as garbage until its partial
 * last record. 0 or -errno. */
static int champsim_check(struct champsim *cs, bool guessed)
{
	const uint8_t *p;
	int64_t n = rd_peek_decoded(&cs->base.rd, RD_PEEK_MAX, &p);
	if (n < 0)
		return (int)n;
	const char *name = cs->base.name;
	if (n == 0)
		return xlat_fail(-ENODATA, "%s: empty trace (0 bytes after %s decompression)", name,
				 rd_codec_name(cs->base.rd.codec));
	char why[96];
	for (int64_t i = 0; i + CS_REC <= n || (n < CS_REC && i == 0); i += CS_REC) {
		if (n < CS_REC) {
			/* Not even one record: only text is worth a word here (a
			 * short binary file fails as a partial record). */
			if (!looks_like_text(p, (size_t)n))
				break;
			snprintf(why, sizeof why, "only %lld of its 64 bytes", (long long)n);
		} else if (!implausible(p + i, why, sizeof why)) {
			continue;
		}
		const char *looks = looks_like_text(p, (size_t)n) ? "text (lackey? use --format lackey)"
								  : "binary data of another kind";
		if (guessed)
			return xlat_fail(-EINVAL, "%s: not a trace xlat reads (.xlt, valgrind lackey text, "
					 "ChampSim): it looks like %s", name, looks);
		return xlat_fail(-EINVAL, "%s: does not look like a ChampSim trace: record %lld (byte %lld) "
				 "has %s; the data looks like %s", name, (long long)(i / CS_REC), (long long)i,
				 why, looks);
	}
	return 0;
}

int champsim_open(struct xlat_source **out, struct rd *r, enum rd_codec codec, const char *name,
		  bool guessed)
{
	struct champsim *cs = (struct champsim *)source_alloc(sizeof *cs, &champsim_ops, "champsim", name, r);
	if (!cs) {
		rd_free(r);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	cs->base.instructions = 0;
	uint64_t total = cs->base.rd.total;
	cs->cap = codec == RD_RAW && total && total < CS_BUF ? (size_t)total + CS_REC : CS_BUF;
	cs->buf = malloc(cs->cap);
	if (!cs->buf) {
		source_free(&cs->base);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	int rc = champsim_check(cs, guessed);
	if (rc < 0) {
		source_free(&cs->base);
		return rc;
	}
	*out = &cs->base;
	return 0;
}
