#!/bin/bash
# libxlat as another simulator embeds it: `cmake --install` into a fresh
# prefix, examples/embed.c built against the installed library with
# pkg-config alone (no source tree), run in every mode; and the installed
# libxlat.a exports the public API only, every symbol declared in a public
# header under its module's prefix.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
SRC=${XLAT_SRC:?XLAT_SRC must name the source tree}
BUILD=$(dirname "$XLAT")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
command -v pkg-config >/dev/null || { echo "skip: pkg-config is not installed"; exit 77; }
CC=${CC:-cc}
# A library built with the sanitizers wants them at link time too.
SAN=""
nm "$BUILD/libxlat.a" 2>/dev/null | grep -q __asan_ && SAN="-fsanitize=address,undefined"

cmake --install "$BUILD" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
pc=$(find "$tmp/prefix" -name xlat.pc | head -1)
[ -n "$pc" ] || { echo "FAIL: no xlat.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
[ "$(pkg-config --modversion xlat)" = "$(sed -n 's/^#define XLAT_VERSION_STRING "\(.*\)"/\1/p' "$SRC/include/xlat/version.h")" ] ||
	fail "xlat.pc's version is not version.h's"
grep -q "project(xlat VERSION $(pkg-config --modversion xlat) " "$SRC/CMakeLists.txt" ||
	fail "CMakeLists.txt's project version is not version.h's"

# Built from the installed files only: the example is copied out of the
# tree, and the compiler sees no path into it.
cp "$SRC/examples/embed.c" "$tmp/embed.c"
# shellcheck disable=SC2046  # pkg-config's output is a word list
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror $SAN "$tmp/embed.c" $(pkg-config --cflags --libs --static xlat) -o "$tmp/embed" \
	2>"$tmp/cc.log" || { cat "$tmp/cc.log"; fail "embed.c does not build against the installed library"; }
if [ -x "$tmp/embed" ]; then
	for mode in native nested shadow; do
		"$tmp/embed" $mode >"$tmp/out" 2>&1 || fail "embed $mode: exit $? ($(cat "$tmp/out"))"
		grep -q "^libxlat .*, $mode mode: 200000 accesses" "$tmp/out" || fail "embed $mode: $(head -1 "$tmp/out")"
	done
	"$tmp/embed" sideways >"$tmp/out" 2>&1 && fail "embed sideways: accepted"
	grep -q "mode: unknown value 'sideways'" "$tmp/out" || fail "embed sideways: $(cat "$tmp/out")"
fi

# Only the public API: each exported name is declared in a public header
# and carries its module's prefix.
lib=$(find "$tmp/prefix" -name libxlat.a | head -1)
# (A sanitized build adds its own __asan_/__odr_asan bookkeeping symbols.)
nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | grep -v '^__odr_asan\|^__asan\|^__ubsan' |
	sort -u >"$tmp/syms"
[ "$(wc -l <"$tmp/syms")" -gt 150 ] || fail "libxlat.a exports $(wc -l <"$tmp/syms") symbols: too few"
cat "$SRC"/include/xlat/*.h >"$tmp/headers"
while read -r sym; do
	grep -qw -- "$sym" "$tmp/headers" || fail "libxlat.a exports $sym, which no public header declares"
	case $sym in
	xlat_* | phys_* | pt_* | fmt_* | tlb_* | pwc_* | pcache_* | walk_* | mmu_* | cpu_* | os_* | vm_* | \
	machine_* | sim_* | explain_* | ptsize_* | calibrate_* | gc_* | tee_* | dirty_* | mig_*) ;;
	*) fail "libxlat.a exports $sym without a module prefix" ;;
	esac
done <"$tmp/syms"
for internal in rd_read source_alloc gen_random shadow_init vm_charge_exit; do
	grep -qx "$internal" "$tmp/syms" && fail "libxlat.a exports the internal $internal"
done

[ $fails -eq 0 ] && echo "cli_embed: all passed"
[ $fails -eq 0 ]
