/*
 * xlat/trace.h — inputs that produce batches of accesses, and trace writers.
 *
 * A source is anything that yields struct xlat_access records in order: a
 * trace file (.xlt, valgrind lackey text, ChampSim), a pipe, a buffer in
 * memory, or a workload generator (xlat/workload.h). Consumers pull batches:
 *
 *   struct xlat_source *s;
 *   if (xlat_source_open(&s, "ls.xlt") < 0) die(xlat_error());
 *   struct xlat_access buf[4096];
 *   int64_t n;
 *   while ((n = xlat_source_next(s, buf, 4096)) > 0)
 *           consume(buf, n);
 *   if (n < 0) die(xlat_error());    // "ls.xlt: ... at byte 1234"
 *   xlat_source_close(s);
 *
 * Format detection (xlat_source_open, XLAT_TRACE_AUTO), first rule wins:
 *   0. an empty input (0 bytes)                -> error -ENODATA, "empty trace"
 *   1. the file starts with "XLT\0", or is 1-3 bytes that
 *      begin it (a cut .xlt)                               -> .xlt
 *   2. the name, minus a trailing .gz/.xz/.zst/.bz2, ends in
 *      .xlt                                                -> .xlt
 *      .lackey, .txt or .log                               -> lackey text
 *      .champsim, .champsimtrace or .trace                 -> ChampSim
 *   3. the first 4 KiB (decompressed) are text              -> lackey text
 *   4. anything else                                       -> ChampSim, if its
 *      first records look like ChampSim records (below); else an error
 *      saying what the data looks like
 * Compression is always taken from the magic, never from the name: a gzip,
 * xz, zstd or bzip2 stream is decompressed whatever the format (.xlt
 * excepted: it is zstd inside).
 *
 * Formats (details in docs/traces.md):
 *  - lackey: `valgrind --tool=lackey --trace-mem=yes` output. "I  addr,size"
 *    is a fetch, " L" a read, " S" and " M" a write (a modify is one write
 *    access); lines starting "==" or "--" (valgrind's own messages) and
 *    blank lines are skipped; a trailing '\r' is allowed; anything else is an
 *    error naming the line. addr is hex (no 0x), size decimal,
 *    1..XLAT_TRACE_MAX_ACCESS.
 *    Text written by xlat starts with a line "==xlat== begin ..." and ends
 *    with "==xlat== end records=N": a file with the first line and without
 *    a matching last line is reported truncated. Valgrind's own output has
 *    neither and stays valid (a cut one cannot be told from a whole one).
 *  - ChampSim `input_instr`: 64-byte little-endian records
 *      ip u64, is_branch u8, branch_taken u8, destination_registers[2] u8,
 *      source_registers[4] u8, destination_memory[2] u64, source_memory[4] u64
 *    Each record yields one fetch at ip (size 1: the record has no
 *    instruction length), then one read of size 8 per nonzero
 *    source_memory, then one write of size 8 per nonzero
 *    destination_memory (the record has no operand sizes either).
 *    Before reading, the first records (up to 64) must look like ChampSim's:
 *    is_branch and branch_taken 0 or 1, ip and memory addresses canonical
 *    (bits 63..47 all equal); otherwise the open fails saying what the data
 *    looks like (text, say).
 *  - .xlt: xlat's own lossless format (every field, events included); see
 *    the layout below.
 *
 * Limits (bounded cost whatever the input):
 *  - an access (read, write, fetch) is 1..XLAT_TRACE_MAX_ACCESS bytes, the
 *    model's largest page; a larger one is an error naming the file and
 *    the line or record. (Events count pages, up to 2^32-1.)
 *  - a lackey line is at most 1 MiB; an .xlt source string at most
 *    XLAT_XLT_MAX_SOURCE; asids are 16 bits (at most 65,536 address spaces).
 *  - decompressors stream with fixed windows: xz at most 256 MiB of
 *    decoder memory, zstd 2^27 bytes of window (its default limit), gzip
 *    32 KiB, bzip2 at most 3.7 MB (its 900k blocks).
 */
#ifndef XLAT_TRACE_H
#define XLAT_TRACE_H

#include "xlat/access.h"

#define XLAT_TRACE_MAX_ACCESS XLAT_SIZE_1G   /* bytes: the model's largest page */

XLAT_API_BEGIN

enum xlat_trace_format {
	XLAT_TRACE_AUTO = 0,   /* detect (rules above) */
	XLAT_TRACE_XLT,
	XLAT_TRACE_LACKEY,
	XLAT_TRACE_CHAMPSIM,
};

/* "auto", "xlt", "lackey", "champsim" -> *out; 0 or -EINVAL. */
XLAT_MUST_CHECK int xlat_trace_format_parse(const char *name, enum xlat_trace_format *out);
const char *xlat_trace_format_name(enum xlat_trace_format fmt);

struct xlat_source;

/* Opens a trace file, detecting its format. 0 or -errno. */
XLAT_MUST_CHECK int xlat_source_open(struct xlat_source **out, const char *path);
/* Opens a trace file as `fmt` (XLAT_TRACE_AUTO: detect). 0 or -errno. */
XLAT_MUST_CHECK int xlat_source_open_as(struct xlat_source **out, const char *path, enum xlat_trace_format fmt);
/* Reads from a file descriptor (a pipe, say); the fd stays the caller's
 * (not closed by xlat_source_close). `name` is used in messages. */
XLAT_MUST_CHECK int xlat_source_open_fd(struct xlat_source **out, int fd, enum xlat_trace_format fmt, const char *name);
/* Reads from memory, which must outlive the source (no copy is made). */
XLAT_MUST_CHECK int xlat_source_open_mem(struct xlat_source **out, const void *data, size_t len,
			 enum xlat_trace_format fmt);

/* Fills buf[0 .. cap) with the next records. Returns how many (>= 1 while
 * any remain), 0 at the end, or -errno with xlat_error() naming the input
 * and the place (line number, byte or record offset). cap must be >= 1.
 * Errors are sticky: later calls return the same error. */
XLAT_MUST_CHECK int64_t xlat_source_next(struct xlat_source *s, struct xlat_access *buf, size_t cap);

/* For a progress bar: *done out of *total, both in bytes of the input as
 * stored (compressed bytes for compressed files) or in records for
 * generators; *total is 0 when unknown (a pipe). */
void xlat_source_progress(const struct xlat_source *s, uint64_t *done, uint64_t *total);

struct xlat_source_info {
	const char *format;  /* "xlt", "lackey", "champsim", "workload" */
	const char *codec;   /* "none", "gzip", "xz", "zstd", "bzip2" (the container; .xlt is always "zstd") */
	const char *name;    /* the path, "<fd>", "<memory>" or the workload name */
	const char *origin;  /* .xlt: the header's source string; workloads: their options; else "" */
	int64_t records;     /* records the input will yield, if known up front; else -1 */
	int64_t instructions;/* ChampSim: instruction records consumed so far (each
			      * yields 1..7 records); -1 for other formats */
};
/* The strings live as long as the source. */
void xlat_source_info(const struct xlat_source *s, struct xlat_source_info *info);

/* Frees everything (closes the file if the source opened it). NULL is ok. */
void xlat_source_close(struct xlat_source *s);

/*
 * Writers.
 *
 * .xlt layout, version 2 (all integers little-endian):
 *
 *   offset  size  field
 *        0     4  magic "XLT\0"
 *        4     4  version (2; version 1 is still read)
 *        8     8  record count, or 2^64-1 if the writer could not seek back
 *                 to fill it in (a pipe) or did not finish
 *       16     4  flags (none defined yet: readers reject unknown bits)
 *       20     4  source length L (<= XLAT_XLT_MAX_SOURCE)
 *       24     L  source: free text, e.g. the command that produced the trace
 *     24+L   ...  zstd frame(s) (with content checksums) holding the record
 *                 stream, which ends with the end record
 *
 * Record stream: per record
 *   tag    u8: bits 0-2 kind (0..6), bits 3-6 size code, bit 7 attrs follow
 *              size code 0..11 = size 1..12, 12 = 16, 13 = 32, 14 = 64,
 *              15 = the size follows as a varint
 *   [attrs]    if tag bit 7: flags u8, then asid as a varint (<= 65535);
 *              they become the current flags/asid. Records without bit 7
 *              carry the current ones (both 0 at the start).
 *   delta      zigzag varint: va - prediction, mod 2^64, where the
 *              prediction for kind k is the previous record of kind k's
 *              va + size for reads/writes/fetches and its va for events
 *              (0 before the first)
 *   [size]     varint, if size code 15
 * Varints are LEB128 (7 bits a byte, low first, at most 10 bytes).
 *
 * End record (version 2): tag 0x07 (kind 7), then the record count (u64)
 * and the checksum (u64) of the record stream's bytes before the tag. It
 * is the last thing in the stream: a stream without it is truncated, and
 * anything after it is an error. The checksum, over the n bytes as 8-byte
 * little-endian words w (the last one zero-padded), with
 * K = 0x9e3779b97f4a7c15:
 *   h = 0;  for each w: h = (rotl64(h, 23) ^ w) * K   (mod 2^64)
 *   h ^= n; h ^= h >> 33; h *= 0xff51afd7ed558ccd; h ^= h >> 33;
 *   h *= 0xc4ceb9fe1a85ec53; h ^= h >> 33
 * Version 1 has no end record; its header count is 0 until the writer
 * finished. What that cannot detect is in docs/traces.md.
 */
#define XLAT_XLT_VERSION 2
#define XLAT_XLT_MAX_SOURCE (64u * 1024)   /* bytes */
#define XLAT_XLT_COUNT_UNKNOWN UINT64_MAX

struct xlat_trace_writer;

/* Starts writing `path` as `fmt`: XLT, or LACKEY (text: kind, va and size
 * only; flags and asid are dropped and events are an error).
 * XLAT_TRACE_AUTO picks lackey for names ending .lackey or .txt and for
 * "-" (stdout), .xlt otherwise. The file is written through xlat/outfile.h:
 * a temporary file beside `path`, which replaces `path` only when
 * xlat_trace_writer_close succeeds; `path` itself is never truncated or
 * removed, and it is refused if it is the same file as one of `inputs`
 * (NULL-terminated; NULL: none) or not a regular file ("-" excepted).
 * .xlt to stdout works (the header's count is then "unknown" and the end
 * record carries it) but not to a terminal. `origin` is the .xlt source
 * string (NULL: ""). 0 or -errno. */
XLAT_MUST_CHECK int xlat_trace_writer_open(struct xlat_trace_writer **out, const char *path,
			   enum xlat_trace_format fmt, const char *origin, const char *const *inputs);
/* Appends n records. 0 or -errno (the writer is then only good for abort).
 * An access of size 0 or above XLAT_TRACE_MAX_ACCESS is an error, and so
 * is an event in lackey text. */
XLAT_MUST_CHECK int xlat_trace_writer_write(struct xlat_trace_writer *w, const struct xlat_access *a, size_t n);
/* Records written so far. */
uint64_t xlat_trace_writer_count(const struct xlat_trace_writer *w);
/* Writes the end marker (.xlt: end record and header count; lackey: end
 * line), flushes, fsyncs and renames the file into place: `path` now holds
 * the complete trace. 0 or -errno (then `path` is as it was before open);
 * frees w either way. */
XLAT_MUST_CHECK int xlat_trace_writer_close(struct xlat_trace_writer *w);
/* Discards the trace: removes the temporary file; `path` is as it was
 * before open. NULL is ok. */
void xlat_trace_writer_abort(struct xlat_trace_writer *w);

XLAT_API_END

#endif
