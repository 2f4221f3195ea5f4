/*
 * Internals of the input layer: the byte reader every file format sits on,
 * and the base of every source. Not a public header.
 */
#ifndef XLAT_INPUT_SOURCE_H
#define XLAT_INPUT_SOURCE_H

#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "xlat/outfile.h"
#include "xlat/trace.h"

/*
 * struct rd: bytes from a file descriptor or memory, optionally through a
 * decompressor. Offsets are kept for messages and progress:
 *   raw_off  bytes of the input consumed so far (compressed bytes)
 *   out_off  bytes delivered by rd_read (decompressed bytes)
 * A struct rd may be moved (copied, the old copy then unused) at any time:
 * decoder states live on the heap.
 */
enum rd_codec { RD_RAW, RD_GZIP, RD_XZ, RD_ZSTD, RD_BZIP2 };

struct rd {
	const char *name;       /* for messages; owned by the source */
	int fd;                 /* -1: memory */
	bool own_fd;
	bool pipe;              /* fd is a pipe or socket: batch small writes (see reader.c) */
	const uint8_t *in;      /* staging buffer (fd) or the memory itself */
	uint8_t *stage;         /* malloc'd staging buffer, NULL for memory */
	size_t in_pos, in_len, in_cap;
	bool raw_eof;
	uint64_t raw_off;       /* input offset of in[in_pos] */
	uint64_t total;         /* input size if known, else 0 */
	uint64_t out_off;
	enum rd_codec codec;
	bool mid;               /* inside a compressed member/frame */
	bool done;              /* reached a clean end */
	bool truncated;         /* the last error was the input ending mid-stream */
	uint8_t *pre;           /* decoded bytes rd_peek_decoded looked at, served first */
	size_t pre_pos, pre_len;
	z_stream *z;
	lzma_stream *x;
	ZSTD_DCtx *zs;
	bz_stream *bz;
};

#define RD_STAGE (256u * 1024)  /* bytes */

void rd_init_mem(struct rd *r, const void *data, size_t len);
/* total: the file's size if known, else 0. */
int rd_init_fd(struct rd *r, int fd, bool own_fd, uint64_t total);
/* Makes up to n raw bytes visible at *p without consuming them; returns how
 * many (fewer only at the end of the input) or -errno. Codec must be RAW. */
int64_t rd_peek(struct rd *r, size_t n, const uint8_t **p);
/* Consumes n raw bytes (n <= what rd_peek made visible). */
void rd_skip(struct rd *r, size_t n);
/* Switches the bytes after the current position to a decompressor. */
int rd_set_codec(struct rd *r, enum rd_codec codec);
/* The codec the magic at the current position says (RD_RAW if none), or
 * -errno. */
int rd_sniff(struct rd *r);
/* Makes up to n decoded bytes visible at *p without consuming them (after
 * rd_set_codec; n <= RD_PEEK_MAX); returns how many (fewer only at the
 * end) or -errno. */
#define RD_PEEK_MAX 4096u
int64_t rd_peek_decoded(struct rd *r, size_t n, const uint8_t **p);
/* Fills buf with up to cap decoded bytes: fewer only at the end or just
 * before an error (the bytes before a cut come first). Returns the count
 * (0 only at the end) or -errno, the message naming r->name and the raw
 * offset; r->truncated then says whether the input ended inside a
 * compressed stream (an unfinished file) rather than being corrupt. */
int64_t rd_read(struct rd *r, void *buf, size_t cap);
void rd_free(struct rd *r);
const char *rd_codec_name(enum rd_codec c);

/* The base of every source; formats embed it first and set ops. */
struct xlat_source;

struct source_ops {
	/* As xlat_source_next, without the stickiness (done by the caller).
	 * Must return >= 1 unless at the end or failing. */
	int64_t (*next)(struct xlat_source *s, struct xlat_access *buf, size_t cap);
	/* Frees the format's own state (not s itself, not s->rd). */
	void (*free)(struct xlat_source *s);
	/* Progress in records, for sources without a reader (generators). */
	void (*progress)(const struct xlat_source *s, uint64_t *done, uint64_t *total);
};

struct xlat_source {
	const struct source_ops *ops;
	struct rd rd;
	bool has_rd;
	const char *format;     /* static */
	char *name;             /* malloc'd */
	char *origin;           /* malloc'd, "" if none */
	int64_t records;        /* known up front, else -1 */
	int64_t instructions;   /* ChampSim: instruction records consumed; else -1 */
	int err;                /* sticky error */
	char *errmsg;           /* its message (malloc'd) */
};

/* Allocates a zeroed source of `size` bytes (>= sizeof(struct xlat_source))
 * with ops, format and a copy of name; takes over *r if non-NULL. NULL on
 * ENOMEM (r is then left to the caller). */
struct xlat_source *source_alloc(size_t size, const struct source_ops *ops,
				 const char *format, const char *name, struct rd *r);
/* Frees a source built by source_alloc (calls ops->free first). */
void source_free(struct xlat_source *s);

/* Format openers: they take over *r (freeing it on failure too). For
 * lackey and ChampSim, r's codec is already set (codec says which). */
int lackey_open(struct xlat_source **out, struct rd *r, enum rd_codec codec, const char *name);
/* guessed: the format was detected, not asked for (changes the message
 * when the data does not look like ChampSim). */
int champsim_open(struct xlat_source **out, struct rd *r, enum rd_codec codec, const char *name,
		  bool guessed);
int xlt_open(struct xlat_source **out, struct rd *r, const char *name);

/* Writer back ends (writer.c dispatches). */
struct xlat_trace_writer {
	int (*write)(struct xlat_trace_writer *w, const struct xlat_access *a, size_t n);
	int (*finish)(struct xlat_trace_writer *w);  /* the end marker, flushed; not the commit */
	void (*free)(struct xlat_trace_writer *w);
	struct xlat_outfile *of;
	const char *path;       /* xlat_outfile_path(of) */
	uint64_t count;
	bool failed;
};
/* Build a writer on `of` (kept by the caller until it commits or aborts).
 * 0 or -errno. */
int xlt_writer_new(struct xlat_trace_writer **out, struct xlat_outfile *of, const char *origin);
int lackey_writer_new(struct xlat_trace_writer **out, struct xlat_outfile *of);
/* Appends buf to the output; 0 or -errno with message. */
int writer_put(struct xlat_trace_writer *w, const void *buf, size_t len);
/* "record N has size S: an access is 1..XLAT_TRACE_MAX_ACCESS bytes" */
int writer_bad_size(const struct xlat_trace_writer *w, uint64_t rec, uint32_t size);

/* Lackey text written by xlat: the first line says a trailer follows, and
 * the trailer carries the record count (details in xlat/trace.h). */
#define LACKEY_BEGIN "==xlat== begin lackey text; complete only if it ends with an end line\n"
#define LACKEY_MARK "==xlat== "
#define LACKEY_END "==xlat== end records="

/* "1,234,567" into buf (at least 27 bytes); returns buf. */
const char *fmt_count(uint64_t v, char *buf, size_t len);

/* Whether the first bytes of an input look like text (no NUL, almost no
 * control bytes). */
bool looks_like_text(const uint8_t *p, size_t n);

/* Printable copy of up to `max` bytes of untrusted input, for messages. */
const char *quote_bytes(const uint8_t *p, size_t n, size_t max, char *buf, size_t len);

#endif
