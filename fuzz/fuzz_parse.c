/* Fuzzes the size / address / count syntax (xlat/parse.h). Beyond "does not
 * crash", each input checks the contracts:
 *  - failure leaves *out alone and records one bounded line;
 *  - a success prints back (decimal) to a string that parses to the same value;
 *  - a string without a unit means the same as size and as count;
 *  - xlat_parse_size_str never overruns and always writes a unit;
 *  - xlat_parse_bool accepts one of its eight words (any case) or fails
 *    leaving *out alone.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "xlat/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(void)
{
	const char *msg = xlat_error();
	XLAT_ASSERT(msg[0] != 0);
	XLAT_ASSERT(strlen(msg) < 256);
	XLAT_ASSERT(strchr(msg, '\n') == NULL);
}

static void check(int (*parse)(const char *, uint64_t *), const char *s, int *rc, uint64_t *v)
{
	uint64_t sentinel = 0x5a5a5a5a5a5a5a5aULL;
	*v = sentinel;
	*rc = parse(s, v);
	XLAT_ASSERT(*rc == 0 || *rc == -22 /* EINVAL */ || *rc == -34 /* ERANGE */);
	if (*rc) {
		XLAT_ASSERT(*v == sentinel);
		check_message();
		return;
	}
	char back[32];
	uint64_t again = 0;
	snprintf(back, sizeof back, "%llu", (unsigned long long)*v);
	XLAT_ASSERT(parse(back, &again) == 0 && again == *v);

	char human[48];
	int n = xlat_parse_size_str(*v, human, sizeof human);
	XLAT_ASSERT(n > 0 && (size_t)n < sizeof human && strchr(human, 'B'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;   /* an embedded NUL simply ends the string early */

	int rs, ra, rc;
	uint64_t vs, va, vc;
	check(xlat_parse_size, s, &rs, &vs);
	check(xlat_parse_addr, s, &ra, &va);
	check(xlat_parse_count, s, &rc, &vc);

	/* Sizes and addresses share one syntax. */
	XLAT_ASSERT(rs == ra && (rs || vs == va));
	/* Without a unit, binary and decimal agree (hex never takes a unit). */
	size_t len = strlen(s);
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	bool digits = strspn(s, "0123456789") == len;
	if (rs == 0 && (hex || digits))
		XLAT_ASSERT(rc == 0 && vc == vs);

	for (int was = 0; was < 2; was++) {
		bool b = was;
		int rb = xlat_parse_bool(s, &b);
		XLAT_ASSERT(rb == 0 || rb == -22 /* EINVAL */);
		if (rb) {
			XLAT_ASSERT(b == was);
			check_message();
		} else {
			XLAT_ASSERT(len >= 1 && len <= 5);
		}
	}
	free(s);
	return 0;
}
