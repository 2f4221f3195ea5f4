/* The per-thread error message behind xlat_fail()/xlat_error(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "xlat/base.h"

static _Thread_local char last_error[256];
static _Thread_local int last_code;

int xlat_fail(int err, const char *fmt, ...)
{
	va_list ap;
	last_code = err;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	return err;
}

const char *xlat_error(void)
{
	return last_error;
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
