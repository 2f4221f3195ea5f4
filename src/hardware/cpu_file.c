/*
 * Preset files (xlat/cpu.h, the "preset files" block): a built-in preset
 * plus overrides, one `key = value` per line, as `xlat calibrate --out`
 * writes them and `xlat sim --cpu-file` reads them.
 *
 * The loader is a parser of untrusted input (fuzz/fuzz_cpu_file.c): it
 * never reads past `len`, bounds every line, and answers every bad line
 * with "FILE:LINE: what".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xlat/cpu.h"

#define LINE_MAX_BYTES 1024
#define MAX_KEYS 512

/* The heap block behind a loaded preset: the preset first, so that the
 * preset's address is the block's (cpu_file_free). */
struct cpu_file_block {
	struct cpu_preset p;
	char name[64];
	char source[512];
	unsigned nother;
	struct {
		char key[64];
		char value[128];
		unsigned line;
	} other[CPU_FILE_MAX_OTHER];
};

void cpu_file_free(struct cpu_preset *p)
{
	free(p);
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* Cuts a comment: '#' at the start or after a blank. */
static void cut_comment(char *s)
{
	for (char *c = s; *c; c++)
		if (*c == '#' && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = 0;
			return;
		}
}

int cpu_file_parse(const char *text, size_t len, const char *name, struct cpu_preset **out)
{
	return cpu_file_parse_with(text, len, name, NULL, NULL, out);
}

int cpu_file_other(const struct cpu_preset *p, size_t i, const char **key, const char **value, unsigned *line)
{
	/* Only presets this file loaded have a block; others keep nothing. */
	size_t n;
	const struct cpu_preset *all = cpu_preset_list(&n);
	if (!p || (p >= all && p < all + n))
		return -ENOENT;
	const struct cpu_file_block *b = (const struct cpu_file_block *)p;
	if (i >= b->nother)
		return -ENOENT;
	if (key)
		*key = b->other[i].key;
	if (value)
		*value = b->other[i].value;
	if (line)
		*line = b->other[i].line;
	return 0;
}

int cpu_file_parse_with(const char *text, size_t len, const char *name, cpu_file_other_fn other, void *ctx,
			struct cpu_preset **out)
{
	struct cpu_file_block *b = NULL;
	char line[LINE_MAX_BYTES + 1];
	char *seen[MAX_KEYS];
	unsigned seen_line[MAX_KEYS], nseen = 0, lineno = 0;
	bool have_base = false;
	char src[400] = "";
	size_t pos = 0;
	int rc = 0;

	*out = NULL;
	if (!name || !*name)
		name = "preset file";
	if (len > CPU_FILE_MAX_BYTES)
		return xlat_fail(-EINVAL, "%s: larger than %d bytes: not a preset file", name, CPU_FILE_MAX_BYTES);
	b = calloc(1, sizeof *b);
	if (!b)
		return xlat_fail(-ENOMEM, "%s: out of memory", name);

	while (pos < len) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		if (end - pos > LINE_MAX_BYTES) {
			rc = xlat_fail(-EINVAL, "%s:%u: line longer than %d bytes", name, lineno, LINE_MAX_BYTES);
			goto out;
		}
		if (memchr(text + pos, 0, end - pos)) {
			rc = xlat_fail(-EINVAL, "%s:%u: NUL byte: not a text file", name, lineno);
			goto out;
		}
		memcpy(line, text + pos, end - pos);
		line[end - pos] = 0;
		pos = end + 1;

		char *s = trim(line);
		if (!*src && !strncasecmp(s, "# source:", 9))
			snprintf(src, sizeof src, "%s", trim(s + 9));
		cut_comment(s);
		s = trim(s);
		if (!*s)
			continue;

		char *eq = strchr(s, '=');
		if (!eq) {
			rc = xlat_fail(-EINVAL, "%s:%u: expected 'key = value', not '%.60s'", name, lineno, s);
			goto out;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		if (!*key) {
			rc = xlat_fail(-EINVAL, "%s:%u: no key before '='", name, lineno);
			goto out;
		}
		if (!*val) {
			rc = xlat_fail(-EINVAL, "%s:%u: %.60s: no value after '='", name, lineno, key);
			goto out;
		}
		if (!strcasecmp(key, "base")) {
			if (have_base) {
				rc = xlat_fail(-EINVAL, "%s:%u: a second 'base' line (one preset file has one base)", name, lineno);
				goto out;
			}
			const struct cpu_preset *base = cpu_preset_by_name(val);
			if (!base) {
				char msg[256];
				snprintf(msg, sizeof msg, "%s", xlat_error());
				rc = xlat_fail(-EINVAL, "%s:%u: base: %s", name, lineno, msg);
				goto out;
			}
			b->p = *base;
			have_base = true;
			continue;
		}
		if (!have_base) {
			rc = xlat_fail(-EINVAL, "%s:%u: '%.60s' before the 'base = PRESET' line (it comes first)",
				       name, lineno, key);
			goto out;
		}
		for (unsigned i = 0; i < nseen; i++)
			if (!strcasecmp(seen[i], key)) {
				rc = xlat_fail(-EINVAL, "%s:%u: %.60s is set twice (first on line %u)", name, lineno,
					       key, seen_line[i]);
				goto out;
			}
		if (nseen == MAX_KEYS) {
			rc = xlat_fail(-EINVAL, "%s:%u: more than %d keys", name, lineno, MAX_KEYS);
			goto out;
		}
		if (other && !cpu_key_exists(key)) {
			if (b->nother == CPU_FILE_MAX_OTHER) {
				rc = xlat_fail(-EINVAL, "%s:%u: more than %d lines that are not CPU keys", name, lineno,
					       CPU_FILE_MAX_OTHER);
				goto out;
			}
			if (strlen(key) >= sizeof b->other[0].key || strlen(val) >= sizeof b->other[0].value) {
				rc = xlat_fail(-EINVAL, "%s:%u: %.60s: key or value too long", name, lineno, key);
				goto out;
			}
			if (other(ctx, key, val)) {
				char msg[256];
				snprintf(msg, sizeof msg, "%s", xlat_error());
				rc = xlat_fail(-EINVAL, "%s:%u: %s", name, lineno, msg);
				goto out;
			}
			snprintf(b->other[b->nother].key, sizeof b->other[0].key, "%s", key);
			snprintf(b->other[b->nother].value, sizeof b->other[0].value, "%s", val);
			b->other[b->nother++].line = lineno;
		} else if (cpu_override(&b->p, key, val)) {
			char msg[256];
			snprintf(msg, sizeof msg, "%s", xlat_error());
			rc = xlat_fail(-EINVAL, "%s:%u: %s", name, lineno, msg);
			goto out;
		}
		seen[nseen] = strdup(key);
		if (!seen[nseen]) {
			rc = xlat_fail(-ENOMEM, "%s: out of memory", name);
			goto out;
		}
		seen_line[nseen++] = lineno;
	}
	if (!have_base) {
		rc = xlat_fail(-EINVAL, "%s: no 'base = PRESET' line (a preset file starts from a built-in preset)", name);
		goto out;
	}
	if (cpu_check(&b->p)) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", xlat_error());
		rc = xlat_fail(-EINVAL, "%s: the preset it describes is not valid: %s", name, msg);
		goto out;
	}
	snprintf(b->name, sizeof b->name, "%s", basename_of(name));
	snprintf(b->source, sizeof b->source, "preset file %s (base %s)%s%s", basename_of(name), b->p.name,
		 *src ? ": " : "", src);
	b->p.name = b->name;
	b->p.aliases = "";
	b->p.source = b->source;
out:
	for (unsigned i = 0; i < nseen; i++)
		free(seen[i]);
	if (rc) {
		free(b);
		return rc;
	}
	*out = &b->p;
	return 0;
}

int cpu_file_load(const char *path, struct cpu_preset **out)
{
	return cpu_file_load_with(path, NULL, NULL, out);
}

int cpu_file_load_with(const char *path, cpu_file_other_fn other, void *ctx, struct cpu_preset **out)
{
	FILE *f;
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		return xlat_fail(-errno, "%s: %s", path, strerror(errno));
	buf = malloc(CPU_FILE_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		return xlat_fail(-ENOMEM, "%s: out of memory", path);
	}
	n = fread(buf, 1, CPU_FILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		rc = xlat_fail(-EIO, "%s: read error", path);
	} else {
		rc = cpu_file_parse_with(buf, n, path, other, ctx, out);
	}
	fclose(f);
	free(buf);
	return rc;
}

/* ---- writing ------------------------------------------------------------------ */

static bool clean_token(const char *s, bool allow_space)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '#' || *s == '=' || (!allow_space && isspace((unsigned char)*s)) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

/* Appends to a growing string; false when out of memory. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!b->s || b->len + (size_t)n >= b->cap) {
		size_t cap = (b->cap ? b->cap : 1024);
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

int cpu_file_format(const char *base, const char *header, const struct cpu_file_line *lines, size_t n, char **out)
{
	return cpu_file_format_with(base, header, lines, n, NULL, NULL, out);
}

int cpu_file_format_with(const char *base, const char *header, const struct cpu_file_line *lines, size_t n,
			 cpu_file_other_fn other, void *ctx, char **out)
{
	struct sbuf b = { 0 };
	struct cpu_preset *check;
	int rc;

	*out = NULL;
	if (!base || !cpu_preset_by_name(base))
		return xlat_fail(-EINVAL, "preset file: unknown base preset '%s'", base ? base : "");
	sb_printf(&b, "# xlat CPU preset file: load it with `xlat sim --cpu-file FILE`.\n");
	for (const char *h = header; h && *h;) {
		size_t l = strcspn(h, "\n");
		sb_printf(&b, "# %.*s\n", (int)l, h);
		h += l;
		if (*h)
			h++;
	}
	sb_printf(&b, "base = %s\n", base);
	for (size_t i = 0; i < n; i++) {
		if (!clean_token(lines[i].key, false) || !clean_token(lines[i].value, false)) {
			free(b.s);
			return xlat_fail(-EINVAL, "preset file: '%s = %s' cannot be written as one line",
					 lines[i].key ? lines[i].key : "", lines[i].value ? lines[i].value : "");
		}
		if (lines[i].comment && *lines[i].comment) {
			char c[256];
			snprintf(c, sizeof c, "%s", lines[i].comment);
			for (char *p = c; *p; p++)
				if (*p == '\n' || *p == '\r')
					*p = ' ';
			sb_printf(&b, "# %s\n", c);
		}
		sb_printf(&b, "%s = %s\n", lines[i].key, lines[i].value);
	}
	if (b.oom) {
		free(b.s);
		return xlat_fail(-ENOMEM, "preset file: out of memory");
	}
	/* It must load: a writer never produces a file its reader refuses. */
	rc = cpu_file_parse_with(b.s, b.len, "preset file", other, ctx, &check);
	if (rc) {
		free(b.s);
		return rc;
	}
	cpu_file_free(check);
	*out = b.s;
	return 0;
}

/* Writes data to path through a temporary file in the same directory and
 * rename(2), so a reader never sees half a file. (A shared helper for this
 * is coming from the `io` work; this one is private until then.) */
static int write_atomic(const char *path, const char *data, size_t len)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	int fd, rc = 0;

	if (!tmp)
		return xlat_fail(-ENOMEM, "%s: out of memory", path);
	snprintf(tmp, pl + 16, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = xlat_fail(-errno, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	mode_t um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um))
		rc = xlat_fail(-errno, "%s: chmod: %s", tmp, strerror(errno));
	for (size_t done = 0; !rc && done < len;) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = xlat_fail(-errno, "%s: write: %s", tmp, strerror(errno));
		else
			done += (size_t)w;
	}
	if (!rc && fsync(fd))
		rc = xlat_fail(-errno, "%s: fsync: %s", tmp, strerror(errno));
	if (close(fd) && !rc)
		rc = xlat_fail(-errno, "%s: close: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path))
		rc = xlat_fail(-errno, "%s: rename from %s: %s", path, tmp, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int cpu_file_write(const char *path, const char *base, const char *header,
		   const struct cpu_file_line *lines, size_t n)
{
	return cpu_file_write_with(path, base, header, lines, n, NULL, NULL);
}

int cpu_file_write_with(const char *path, const char *base, const char *header, const struct cpu_file_line *lines,
			size_t n, cpu_file_other_fn other, void *ctx)
{
	char *text;
	int rc = cpu_file_format_with(base, header, lines, n, other, ctx, &text);

	if (rc)
		return rc;
	rc = write_atomic(path, text, strlen(text));
	free(text);
	return rc;
}

/* ---- the difference between two presets ------------------------------------------ */

struct param_list {
	unsigned n;
	char key[256][48];
	char val[256][48];
};

static int collect(void *ctx, const char *key, const char *value, const char *source)
{
	struct param_list *l = ctx;
	(void)source;
	if (l->n == 256)
		return -ENOSPC;
	snprintf(l->key[l->n], sizeof l->key[0], "%s", key);
	snprintf(l->val[l->n], sizeof l->val[0], "%s", value);
	l->n++;
	return 0;
}

static bool informational(const char *key)
{
	return !strcmp(key, "preset") || !strcmp(key, "vendor") || !strcmp(key, "model");
}

int cpu_file_same(const struct cpu_preset *a, const struct cpu_preset *b, char *what, size_t len)
{
	struct param_list *x = malloc(sizeof *x), *y = malloc(sizeof *y);
	int same = 1;

	if (!x || !y) {
		free(x);
		free(y);
		return -ENOMEM;
	}
	x->n = y->n = 0;
	if (cpu_foreach_param(a, collect, x) || cpu_foreach_param(b, collect, y)) {
		same = -ENOSPC;
		goto out;
	}
	for (unsigned i = 0, j = 0; i < x->n || j < y->n;) {
		if (i < x->n && informational(x->key[i])) {
			i++;
			continue;
		}
		if (j < y->n && informational(y->key[j])) {
			j++;
			continue;
		}
		if (i == x->n || j == y->n || strcmp(x->key[i], y->key[j]) || strcmp(x->val[i], y->val[j])) {
			if (what)
				snprintf(what, len, "%s=%s vs %s=%s", i < x->n ? x->key[i] : "(none)",
					 i < x->n ? x->val[i] : "", j < y->n ? y->key[j] : "(none)", j < y->n ? y->val[j] : "");
			same = 0;
			break;
		}
		i++;
		j++;
	}
out:
	free(x);
	free(y);
	return same;
}

int cpu_file_diff(const struct cpu_preset *base, const struct cpu_preset *p, struct cpu_file_line *lines,
		  size_t cap, size_t *n, char (*store)[2][48])
{
	struct param_list *x = malloc(sizeof *x), *y = malloc(sizeof *y);
	struct cpu_preset check;
	int rc = 0;

	*n = 0;
	if (!x || !y) {
		free(x);
		free(y);
		return xlat_fail(-ENOMEM, "preset file: out of memory");
	}
	x->n = y->n = 0;
	if (cpu_foreach_param(base, collect, x) || cpu_foreach_param(p, collect, y)) {
		rc = xlat_fail(-EINVAL, "preset file: too many parameters");
		goto out;
	}
	/* Every key of p whose value the base does not have, in p's order. */
	for (unsigned j = 0; j < y->n; j++) {
		bool same = false;
		if (informational(y->key[j]))
			continue;
		for (unsigned i = 0; i < x->n; i++)
			if (!strcmp(x->key[i], y->key[j])) {
				same = !strcmp(x->val[i], y->val[j]);
				break;
			}
		if (same)
			continue;
		if (*n == cap) {
			rc = xlat_fail(-ENOSPC, "preset file: more than %zu differences", cap);
			goto out;
		}
		memcpy(store[*n][0], y->key[j], sizeof store[0][0]);
		memcpy(store[*n][1], y->val[j], sizeof store[0][1]);
		lines[*n] = (struct cpu_file_line){ store[*n][0], store[*n][1], NULL };
		(*n)++;
	}
	/* Check that the lines rebuild p: a difference in structure (an array
	 * removed or added) may not be expressible key by key. */
	check = *base;
	for (size_t i = 0; i < *n; i++)
		if (cpu_override(&check, lines[i].key, lines[i].value)) {
			rc = xlat_fail(-EINVAL, "preset file: %s cannot be expressed as overrides of %s (%s)",
				       p->name, base->name, xlat_error());
			goto out;
		}
	char what[128];
	if (cpu_file_same(&check, p, what, sizeof what) != 1)
		rc = xlat_fail(-EINVAL, "preset file: %s cannot be expressed as overrides of %s (%s)",
			       p->name, base->name, what);
out:
	free(x);
	free(y);
	if (rc)
		*n = 0;
	return rc;
}
