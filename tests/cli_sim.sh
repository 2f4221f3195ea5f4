#!/bin/bash
# xlat sim end to end: the JSON contract, the counting rules on small inputs,
# every mode on generated and recorded inputs, and bad input.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

field() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }

# The JSON contract of the issue.
"$XLAT" sim --workload random --size 16m --count 100k --json >"$tmp/r.json" || fail "sim --json failed"
for k in accesses tlb_misses walks walk_refs faults table_bytes translation_cycles params; do
	python3 -c "import json; d=json.load(open('$tmp/r.json')); assert '$k' in d" || fail "no '$k' in sim --json"
done
[ "$(field "$tmp/r.json" accesses)" = 100000 ] || fail "accesses != 100000"

# A sequential scan of N distinct pages through a 64-entry L1-only TLB
# misses exactly N times (4096 pages, one access each).
"$XLAT" sim --workload stride --size 16m --count 4096 --tlb 64 --json >"$tmp/s.json"
[ "$(field "$tmp/s.json" tlb_misses)" = 4096 ] || fail "stride scan: $(field "$tmp/s.json" tlb_misses) misses, want 4096"
# ... and with caches off, 4 references per walk once the pages exist.
"$XLAT" sim --workload stride --size 16m --count 8192 --tlb 64 --pwc none --cpu-param ntlb.entries=0 --json >"$tmp/s2.json"
python3 - "$tmp/s2.json" <<'PY' || fail "second pass over mapped pages is not 4 refs per walk"
import json, sys
d = json.load(open(sys.argv[1]))
# 4096 first touches: a faulting walk + a 4-reference retry; then 4096 plain 4-reference walks
assert d["tlb_misses"] == 8192, d["tlb_misses"]
assert d["faults"] == 4096, d["faults"]
assert d["walks"] == 8192, d["walks"]
assert d["fault_retry_walks"] == 4096, d["fault_retry_walks"]
assert d["refs_per_walk"] > 3, d["refs_per_walk"]
PY

# Every mode runs the generated inputs, and CSV has a header and a row.
for mode in native nested shadow; do
	for wl in "random --size 64m --count 50k" "mmapbench --size 1m --count 50k" "forkbench --size 512k --count 50k" "sparse --count 50k"; do
		"$XLAT" sim --workload $wl --mode $mode --json >"$tmp/m.json" 2>"$tmp/e" || fail "sim $wl --mode $mode: $(cat "$tmp/e")"
		python3 -c "import json; json.load(open('$tmp/m.json'))" || fail "sim $wl --mode $mode: bad JSON"
	done
	[ "$("$XLAT" sim --workload seq --count 1000 --mode $mode --csv | wc -l)" = 2 ] || fail "--csv is not two lines"
done
# Nested walks are longer than native ones; shadow ones as long.
n=$("$XLAT" sim --workload random --size 64m --count 100k --pwc none --cpu-param ntlb.entries=0 --mode nested --json | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['walk_refs'] > 10 * d['walks'])")
[ "$n" = True ] || fail "nested walks are not long"

# A recorded trace of a real program, through every mode.
if command -v valgrind >/dev/null; then
	"$XLAT" trace record -o "$tmp/ls.xlt" -- ls / >/dev/null 2>&1 || fail "trace record failed"
	for mode in native nested shadow; do
		"$XLAT" sim --trace "$tmp/ls.xlt" --mode $mode --json >"$tmp/t.json" || fail "sim --trace ls.xlt --mode $mode"
		a=$(field "$tmp/t.json" accesses)
		[ "$a" -gt 100000 ] || fail "ls trace: only $a accesses"
	done
	"$XLAT" sim --trace "$tmp/ls.xlt" --no-fetch --json >"$tmp/nf.json"
	[ "$(field "$tmp/nf.json" fetches)" = 0 ] || fail "--no-fetch kept fetches"
fi

# Bad input: one line on stderr, non-zero exit.
bad() {
	local want=$1
	shift
	"$XLAT" sim "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	[ "$got" = "$want" ] || fail "sim $*: exit $got, want $want ($(cat "$tmp/err"))"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "sim $*: stderr is not one line: $(cat "$tmp/err")"
}
bad 2
bad 2 --workload nosuch
bad 2 --workload random --size 12q
bad 2 --workload random --trace x
bad 2 --workload random --cpu pentium
bad 2 --workload random --cpu-param nosuch=1
bad 2 --workload random --cpu-param stlb.ways=7
bad 2 --workload random --tlb 64x3x
bad 2 --workload random --tlb 63x4
bad 2 --workload random --mode sideways
bad 2 --workload random --page-policy 3m
bad 2 --workload random --levels 6
bad 2 --workload random --pwc sometimes
bad 1 --trace /nonexistent.xlt
printf 'XLT\0garbage' >"$tmp/bad.xlt"
bad 1 --trace "$tmp/bad.xlt"
printf 'I  0400d7d4,8\nthis is not lackey\n' >"$tmp/bad.lackey"
bad 1 --trace "$tmp/bad.lackey"

[ "$fails" = 0 ] && echo "cli_sim: all passed"
exit $((fails > 0))
