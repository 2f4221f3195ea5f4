/*
 * xlat/parse.h — the size, address and count syntax every command speaks.
 *
 * Sizes and addresses are BINARY: a unit multiplies by a power of 1024.
 *
 *   size    := decimal [unit] | "0x" hex
 *   decimal := [0-9]+
 *   hex     := [0-9a-fA-F]+           (no unit: "0x1e" would be ambiguous)
 *   unit    := "b" | K [ "i" ] [ "b" ]  where K is one of k m g t p e
 *              (case-insensitive: "4k" = "4K" = "4KB" = "4KiB" = 4096;
 *               "b" alone means bytes, so "4096b" = 4096)
 *
 *   "4096" 4096   "4k" 4096   "64M" 64 MiB   "64MiB" 64 MiB   "1g" 1 GiB
 *   "2T" 2 TiB    "128T" 2^47 "0x7fff00000000"
 *
 * Counts (numbers of accesses, operations, ...) are DECIMAL: k = 10^3,
 * M = 10^6, G = 10^9, T = 10^12, P = 10^15, E = 10^18 ("10M" = 10,000,000),
 * no "i"/"b" suffix; hex ("0x...") is accepted without a unit.
 *
 * Booleans: 1/0, on/off, yes/no, true/false, in any case.
 *
 * Everything else is rejected with a one-line message (xlat_error()) that
 * quotes the input: empty strings, signs ("-1", "+1"), spaces, fractions,
 * unknown units, trailing junk, and values above 2^64-1. All functions
 * return 0 and set *out, or -EINVAL (bad syntax) / -ERANGE (too large)
 * leaving *out unchanged.
 */
#ifndef XLAT_PARSE_H
#define XLAT_PARSE_H

#include "xlat/base.h"

XLAT_API_BEGIN

/* A size in bytes, binary units. */
XLAT_MUST_CHECK int xlat_parse_size(const char *s, uint64_t *out);
/* An address: the size syntax, so "128T" = 0x800000000000. Any 64-bit value
 * is accepted; whether it is canonical is the caller's question. */
XLAT_MUST_CHECK int xlat_parse_addr(const char *s, uint64_t *out);
/* A count, decimal units. */
XLAT_MUST_CHECK int xlat_parse_count(const char *s, uint64_t *out);

/* The digits of a decimal whole number at *s (no sign, no unit), at most
 * max: sets *out and advances *s past them. For grammars that embed
 * numbers ("1536x12:lru"). 0, -EINVAL (no digit at *s) or -ERANGE (above
 * max), without a message: the caller names what it was reading. */
XLAT_MUST_CHECK int xlat_parse_digits(const char **s, uint64_t max, uint64_t *out);
/* A non-negative real number in decimal ("2.5", "100", "1e3", ".5"), at
 * most max. Signs, spaces, hex, "inf" and "nan" are rejected. 0, -EINVAL
 * or -ERANGE, with a message. */
XLAT_MUST_CHECK int xlat_parse_real(const char *s, double max, double *out);

/* A yes/no setting: 1, on, yes, true or 0, off, no, false, in any case.
 * 0, or -EINVAL with a message quoting s ("'maybe' is not a boolean
 * (1/0, on/off, yes/no, true/false)"; NULL reads as ""): the caller
 * prefixes what it was reading. */
XLAT_MUST_CHECK int xlat_parse_bool(const char *s, bool *out);

/* Writes `bytes` exactly, in the largest binary unit that divides it
 * ("64 MiB", "524 KiB", "4097 B", "0 B"): exact, never rounded.
 * Returns the snprintf-style length. */
int xlat_parse_size_str(uint64_t bytes, char *buf, size_t len);

XLAT_API_END

#endif
