/*
 * Input-layer throughput, measured in one run:
 *  - lackey text parsing, MB/s, on ~200 MB of generated lackey text held in
 *    memory (target: >= 300 MB/s on one core);
 *  - .xlt encoding and decoding, records/s, on a 30M-record trace written
 *    to /tmp (removed afterwards), and its size in bytes per record;
 *  - a workload generator's rate, for scale.
 * The stream imitates a real lackey trace: ~70% fetches of 1-15 bytes
 * walking basic blocks, loads and stores to a stack and a 64 MiB heap.
 * Each figure is the best of a few runs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "xlat/trace.h"
#include "xlat/workload.h"

#define TEXT_BYTES (200u << 20)
#define XLT_RECORDS 30000000u
#define BATCH 4096
#define RUNS 3
#define TARGET_MBS 300.0

static uint64_t rng(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A program-like stream. */
struct prog {
	uint64_t x, ip, sp;
	unsigned left;   /* instructions left in the basic block */
};

static void prog_next(struct prog *p, struct xlat_access *a)
{
	uint64_t r = rng(&p->x);
	unsigned pick = (unsigned)(r % 100);
	if (pick < 70) {
		if (p->left == 0) {
			p->ip = 0x401000 + (r >> 8) % (2u << 20);
			p->left = 3 + (unsigned)(r >> 40) % 12;
		}
		uint32_t len = 1 + (uint32_t)((r >> 32) % 15);
		*a = (struct xlat_access){ .va = p->ip, .size = len, .kind = XLAT_FETCH };
		p->ip += len;
		p->left--;
	} else if (pick < 82) {
		p->sp += (r >> 20) % 3 == 0 ? -8 : (r >> 20) % 3 == 1 ? 8 : 0;
		*a = (struct xlat_access){ .va = p->sp + ((r >> 24) & 0x38), .size = 8,
					   .kind = pick < 78 ? XLAT_READ : XLAT_WRITE };
	} else {
		static const uint32_t sizes[] = { 1, 2, 4, 8, 8, 8, 16, 32 };
		*a = (struct xlat_access){ .va = 0x4a00000 + ((r >> 16) % (64u << 20)),
					   .size = sizes[(r >> 8) & 7],
					   .kind = pick < 93 ? XLAT_READ : XLAT_WRITE };
	}
}

/* Lackey text for the program stream, until `bytes`. */
static char *make_text(size_t bytes, size_t *len, uint64_t *lines)
{
	static const char digits[] = "0123456789abcdef";
	static const char prefix[3][4] = { " L ", " S ", "I  " };
	char *t = malloc(bytes + 64);
	struct prog p = { .x = 1, .ip = 0x401000, .sp = 0x1fff000800 };
	size_t o = 0;
	uint64_t n = 0;
	memcpy(t, "==1== Lackey, an example Valgrind tool\n", 39);
	o = 39;
	while (o < bytes) {
		struct xlat_access a;
		prog_next(&p, &a);
		memcpy(t + o, prefix[a.kind], 3);
		o += 3;
		int nd = 8;
		while (nd < 16 && (a.va >> (4 * nd)))
			nd++;
		for (int k = nd - 1; k >= 0; k--)
			t[o++] = digits[(a.va >> (4 * k)) & 15];
		t[o++] = ',';
		if (a.size >= 10)
			t[o++] = (char)('0' + a.size / 10);
		t[o++] = (char)('0' + a.size % 10);
		t[o++] = '\n';
		n++;
	}
	*len = o;
	*lines = n;
	return t;
}

/* Drains a source; returns records, or -1 on error. */
static int64_t drain(struct xlat_source *s, struct xlat_access *buf)
{
	int64_t n, total = 0;
	uint64_t sink = 0;
	while ((n = xlat_source_next(s, buf, BATCH)) > 0) {
		total += n;
		sink += buf[n - 1].va;   /* keep the work observable */
	}
	if (n < 0) {
		fprintf(stderr, "bench_trace: %s\n", xlat_error());
		return -1;
	}
	return total + (int64_t)(sink & 0);
}

int main(void)
{
	struct xlat_access *buf = malloc(BATCH * sizeof *buf);
	int rc = 0;

	/* ---- lackey text ---- */
	size_t len;
	uint64_t lines;
	char *text = make_text(TEXT_BYTES, &len, &lines);
	double best = 1e30;
	for (int r = 0; r < RUNS; r++) {
		struct xlat_source *s;
		if (xlat_source_open_mem(&s, text, len, XLAT_TRACE_LACKEY) < 0) {
			fprintf(stderr, "bench_trace: %s\n", xlat_error());
			return 1;
		}
		double t0 = bench_now();
		int64_t got = drain(s, buf);
		double t = bench_now() - t0;
		xlat_source_close(s);
		if (got != (int64_t)lines) {
			fprintf(stderr, "bench_trace: parsed %" PRId64 " of %" PRIu64 " lines\n", got, lines);
			return 1;
		}
		best = t < best ? t : best;
	}
	free(text);
	double mbs = (double)len / best / 1e6;
	printf("lackey parse:  %.0f MB/s, %.1f M records/s (%.0f MB, %" PRIu64 " records, best of %d)  "
	       "target >= %.0f MB/s: %s\n", mbs, (double)lines / best / 1e6, (double)len / 1e6, lines,
	       RUNS, TARGET_MBS, mbs >= TARGET_MBS ? "target met" : "MISSED");

	/* ---- .xlt ---- */
	char path[] = "/tmp/xlat-bench-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("bench_trace: mkstemp");
		return 1;
	}
	close(fd);
	struct xlat_trace_writer *w;
	if (xlat_trace_writer_open(&w, path, XLAT_TRACE_XLT, "bench_trace", NULL) < 0) {
		fprintf(stderr, "bench_trace: %s\n", xlat_error());
		unlink(path);
		return 1;
	}
	struct prog p = { .x = 1, .ip = 0x401000, .sp = 0x1fff000800 };
	double enc = 0;
	for (uint64_t done = 0; done < XLT_RECORDS; done += BATCH) {
		for (int i = 0; i < BATCH; i++)
			prog_next(&p, &buf[i]);
		double t0 = bench_now();
		if (xlat_trace_writer_write(w, buf, BATCH) < 0) {
			fprintf(stderr, "bench_trace: %s\n", xlat_error());
			rc = 1;
			break;
		}
		enc += bench_now() - t0;
	}
	uint64_t nrec = xlat_trace_writer_count(w);
	double t0 = bench_now();
	if (xlat_trace_writer_close(w) < 0) {
		fprintf(stderr, "bench_trace: %s\n", xlat_error());
		rc = 1;
	}
	enc += bench_now() - t0;
	struct stat st;
	stat(path, &st);
	best = 1e30;
	for (int r = 0; r < RUNS - 1 && rc == 0; r++) {
		struct xlat_source *s;
		if (xlat_source_open(&s, path) < 0) {
			fprintf(stderr, "bench_trace: %s\n", xlat_error());
			rc = 1;
			break;
		}
		t0 = bench_now();
		int64_t got = drain(s, buf);
		double t = bench_now() - t0;
		xlat_source_close(s);
		if (got != (int64_t)nrec) {
			fprintf(stderr, "bench_trace: decoded %" PRId64 " of %" PRIu64 " records\n", got, nrec);
			rc = 1;
		}
		best = t < best ? t : best;
	}
	unlink(path);
	if (rc == 0) {
		printf("xlt encode:    %.1f M records/s\n", (double)nrec / enc / 1e6);
		printf("xlt decode:    %.1f M records/s (%" PRIu64 " records, best of %d)\n",
		       (double)nrec / best / 1e6, nrec, RUNS - 1);
		printf("xlt size:      %.3f bytes/record (%.1f MB; lackey text: %.1f bytes/record)\n",
		       (double)st.st_size / (double)nrec, (double)st.st_size / 1e6, (double)len / (double)lines);
	}

	/* ---- a generator, for scale ---- */
	struct xlat_source *s;
	if (xlat_workload_open_str(&s, "random", "size=1g,count=20M,write=0.3") == 0) {
		t0 = bench_now();
		int64_t got = drain(s, buf);
		double t = bench_now() - t0;
		xlat_source_close(s);
		printf("workload random: %.1f M records/s\n", (double)got / t / 1e6);
	}
	free(buf);
	return rc;
}
