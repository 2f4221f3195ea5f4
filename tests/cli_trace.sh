#!/bin/bash
# `xlat trace` as a user drives it: usage and errors, workload -> .xlt ->
# lackey -> .xlt, and (with valgrind) recording a real program whose
# `trace info` counts must match a direct count of the same recording.
set -u
X=${XLAT_BIN:?XLAT_BIN must name the xlat command}
T=$(mktemp -d /tmp/xlat-cli-trace-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# expect STATUS CMD... : runs CMD, checks its exit status, keeps its output
expect() {
	local want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	local got=$?
	[ "$got" = "$want" ] || fail "$* exited $got, want $want: $(head -c 300 "$T/err")"
}

# json_field KEY FILE : a number or string field of a flat JSON object
json_field() {
	sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$2"
}

# ---- usage ----
expect 0 "$X" trace --help
grep -q "xlat trace record" "$T/out" || fail "--help lacks record"
grep -q "forkbench" "$T/out" || fail "--help lacks the workload list"
expect 0 "$X" trace info --help
expect 2 "$X" trace
expect 2 "$X" trace frobnicate
grep -q "unknown subcommand 'frobnicate'" "$T/err" || fail "unknown subcommand message: $(cat "$T/err")"
expect 2 "$X" trace info
expect 2 "$X" trace info --bogus x
expect 2 "$X" trace info --format csv x
expect 2 "$X" trace convert onlyone
expect 2 "$X" trace record -o "$T/x.xlt"
expect 2 "$X" trace info --wl-opt size=1m x

# ---- errors: one line, exit 1 ----
expect 1 "$X" trace info "$T/missing.xlt"
[ "$(wc -l <"$T/err")" = 1 ] || fail "error is not one line: $(cat "$T/err")"
grep -q "cannot open $T/missing.xlt" "$T/err" || fail "missing-file message: $(cat "$T/err")"
printf 'I  0400,8\nnot lackey\n' >"$T/bad.lackey"
expect 1 "$X" trace info "$T/bad.lackey"
grep -q "bad.lackey:2 (byte 10, record 1): not a lackey line" "$T/err" || fail "bad-line message: $(cat "$T/err")"
expect 1 "$X" trace info --workload nosuch
grep -q "unknown workload 'nosuch'" "$T/err" || fail "unknown workload message: $(cat "$T/err")"
expect 1 "$X" trace info --workload random --wl-opt alpha=2
printf 'XLT\0junk' >"$T/trunc.xlt"
expect 1 "$X" trace info "$T/trunc.xlt"
grep -q "truncated .xlt header" "$T/err" || fail "truncated header message: $(cat "$T/err")"

# ---- workload -> .xlt -> lackey -> .xlt ----
expect 0 "$X" trace convert --workload random --wl-opt size=1m,count=20000 --wl-opt write=0.25 "$T/r.xlt"
expect 0 "$X" trace info --json "$T/r.xlt"
cp "$T/out" "$T/r.json"
[ "$(json_field records "$T/r.json")" = 20000 ] || fail "records: $(cat "$T/r.json")"
[ "$(json_field format "$T/r.json")" = xlt ] || fail "format: $(cat "$T/r.json")"
[ "$(json_field pages_4k "$T/r.json")" = 256 ] || fail "pages: $(cat "$T/r.json")"
grep -q '"origin":"workload random size=1m,count=20000,seed=1,write=0.25' "$T/r.json" || fail "origin: $(cat "$T/r.json")"
expect 0 "$X" trace info --json --workload random --wl-opt size=1m,count=20000,write=0.25
for k in reads writes pages_4k regions_2m va_min va_max; do
	[ "$(json_field $k "$T/out")" = "$(json_field $k "$T/r.json")" ] || fail "workload vs its .xlt differ in $k"
done
expect 0 "$X" trace convert "$T/r.xlt" "$T/r.lackey"
# 20,000 records between xlat's begin and end lines.
[ "$(wc -l <"$T/r.lackey")" = 20002 ] || fail "lackey lines: $(wc -l <"$T/r.lackey")"
head -1 "$T/r.lackey" | grep -q '^==xlat== begin' || fail "lackey begin line: $(head -1 "$T/r.lackey")"
[ "$(tail -1 "$T/r.lackey")" = "==xlat== end records=20000" ] || fail "lackey end line: $(tail -1 "$T/r.lackey")"
expect 0 "$X" trace convert -n 1000 "$T/r.lackey" "$T/r2.xlt"
expect 0 "$X" trace info --json "$T/r2.xlt"
[ "$(json_field records "$T/out")" = 1000 ] || fail "--limit: $(cat "$T/out")"
expect 0 "$X" trace convert "$T/r.xlt" -
[ "$(wc -l <"$T/out")" = 20002 ] || fail "convert to stdout"
cmp -s "$T/out" "$T/r.lackey" || fail "convert to stdout differs from the file"
# .xlt through a pipe: the header's count is "unknown", the end record has it.
"$X" trace convert --to xlt "$T/r.xlt" - 2>"$T/err" | "$X" trace info --json --decode-only /dev/stdin >"$T/out" 2>>"$T/err" ||
	fail "xlt through a pipe: $(cat "$T/err")"
[ "$(json_field records "$T/out")" = 20000 ] || fail "xlt through a pipe: $(cat "$T/out")"
expect 0 "$X" trace info --csv "$T/r.xlt"
head -1 "$T/out" | grep -q '^input,format,codec' || fail "csv header: $(head -1 "$T/out")"
expect 0 "$X" trace info --decode-only "$T/r.xlt"
grep -q "records per second" "$T/out" || fail "decode-only output"
# Events cannot go to lackey text; the half-written file is removed.
expect 1 "$X" trace convert --workload mmapbench "$T/m.lackey"
grep -q "cannot hold events" "$T/err" || fail "events to lackey: $(cat "$T/err")"
[ ! -e "$T/m.lackey" ] || fail "half-written m.lackey left behind"
expect 0 "$X" trace convert --workload forkbench --wl-opt size=64k,count=1000 "$T/f.xlt"
expect 0 "$X" trace info --json "$T/f.xlt"
[ "$(json_field address_spaces "$T/out")" = 5 ] || fail "forkbench asids: $(cat "$T/out")"

# ---- a real program (needs valgrind) ----
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind not found: skipping the recording half of cli_trace"
	[ $fails = 0 ] || exit 1
	exit 77
fi
seq 300 | sort -R --random-source=/dev/zero >"$T/in.txt"
expect 0 "$X" trace record -o "$T/sort.xlt" --json -- sort -n "$T/in.txt"
[ "$(json_field records "$T/out")" -gt 100000 ] || fail "record: $(cat "$T/out")"
expect 0 "$X" trace info --json "$T/sort.xlt"
cp "$T/out" "$T/sort.json"
grep -q '"origin":"xlat trace record -- sort -n ' "$T/sort.json" || fail "origin: $(cat "$T/sort.json")"
expect 0 "$X" trace convert "$T/sort.xlt" "$T/sort.lackey"
# The direct count of the same recording, by awk on its lackey text.
read -r I L S <<<"$(awk '$1 == "I" { i++ } $1 == "L" { l++ } $1 == "S" { s++ } END { print i, l, s }' "$T/sort.lackey")"
[ "$(json_field fetches "$T/sort.json")" = "$I" ] || fail "fetches $(json_field fetches "$T/sort.json") vs awk $I"
[ "$(json_field reads "$T/sort.json")" = "$L" ] || fail "reads $(json_field reads "$T/sort.json") vs awk $L"
[ "$(json_field writes "$T/sort.json")" = "$S" ] || fail "writes $(json_field writes "$T/sort.json") vs awk $S"
[ "$(json_field records "$T/sort.json")" = "$((I + L + S))" ] || fail "records vs awk"
# A command valgrind cannot start is an error, not an empty trace.
expect 1 "$X" trace record -o "$T/none.xlt" -- /nonexistent/program
grep -q "valgrind produced no trace" "$T/err" || fail "no-trace message: $(cat "$T/err")"
[ ! -e "$T/none.xlt" ] || fail "failed record left none.xlt"
expect 1 "$X" trace record --valgrind /nonexistent/valgrind -o "$T/none.xlt" -- true
grep -q "cannot run '/nonexistent/valgrind': No such file" "$T/err" || fail "missing valgrind message: $(cat "$T/err")"

[ $fails = 0 ] || exit 1
echo "cli_trace: all checks passed"
