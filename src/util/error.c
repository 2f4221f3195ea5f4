/* The per-thread error message behind xlat_fail()/xlat_error().
 *
 * A message has no length limit: a long path must keep the byte offset at
 * its end. Two buffers are used in turn, each grown as needed and then
 * kept: a message is formatted into the one not holding the current
 * message, so a caller may pass xlat_error() itself as an argument
 * (`xlat_fail(rc, "--tlb: %s", xlat_error())`) to add context. Some callers
 * record a message on paths that run per access (a lookup that finds
 * nothing), so the common case is one vsnprintf and no allocation. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "xlat/base.h"

#define FIRST_CAP 256

static _Thread_local char *buf[2];
static _Thread_local size_t cap[2];
static _Thread_local int cur = -1;   /* buffer holding the current message; -1: none yet */
/* The current message: what xlat_error returns, read on hot paths (phys
 * views snapshot it on every resolve), so one load. */
static _Thread_local const char *current = "";
/* Only when growing a buffer fails: the message is cut to what fits. */
static _Thread_local char spare[2][FIRST_CAP];
/* The err of the last xlat_fail: why a constructor returned NULL. */
static _Thread_local int last_code;

int xlat_fail(int err, const char *fmt, ...)
{
	int i = cur == 0 ? 1 : 0;
	va_list ap, again;

	last_code = err;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(buf[i], cap[i], fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= cap[i]) {
		size_t want = (size_t)n + 1 > FIRST_CAP ? (size_t)n + 1 : FIRST_CAP;
		char *p = realloc(buf[i] == spare[i] ? NULL : buf[i], want);
		if (p) {
			buf[i] = p;
			cap[i] = want;
		} else if (!buf[i]) {
			buf[i] = spare[i];
			cap[i] = sizeof spare[i];
		}
		vsnprintf(buf[i], cap[i], fmt, again);
	}
	va_end(again);
	if (n < 0 && cap[i])
		buf[i][0] = 0;   /* a bad format: an empty message rather than stale text */
	if (cap[i]) {
		cur = i;
		current = buf[i];
	}
	return err;
}

const char *xlat_error(void)
{
	return current;
}

int xlat_error_code(void)
{
	return last_code;
}

void xlat_bug(const char *func, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "xlat: BUG in %s: ", func);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
