/* The per-thread error message behind xlat_fail()/xlat_error().
 *
 * A message has no length limit: a long path must keep the byte offset at
 * its end. It is formatted into a fresh buffer before the previous one is
 * freed, so a caller may pass xlat_error() itself as an argument
 * (`xlat_fail(rc, "--tlb: %s", xlat_error())`) to add context. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "xlat/base.h"

static _Thread_local char *last_error;     /* malloc'd; NULL: none yet */
/* Used only when malloc fails: two buffers taken in turn, so the previous
 * message stays readable while the next is formatted. Such a message is
 * cut at the buffer's size (the only case where one is). */
static _Thread_local char spare[2][1024];
static _Thread_local unsigned spare_next;
static _Thread_local bool last_is_spare;

int xlat_fail(int err, const char *fmt, ...)
{
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf) {
		vsnprintf(buf, (size_t)n + 1, fmt, again);
		if (!last_is_spare)
			free(last_error);
		last_error = buf;
		last_is_spare = false;
	} else {
		char *s = spare[spare_next];
		spare_next ^= 1;
		vsnprintf(s, sizeof spare[0], fmt, again);
		if (!last_is_spare)
			free(last_error);
		last_error = s;
		last_is_spare = true;
	}
	va_end(again);
	return err;
}

const char *xlat_error(void)
{
	return last_error ? last_error : "";
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
