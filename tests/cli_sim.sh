#!/bin/bash
# xlat sim end to end: the JSON contract, the counting rules on small inputs,
# walk causes, warm-up and limit against their definition, the shared STLB
# of --itlb, bounded simulated RAM, every mode on generated and recorded
# inputs, CSV, and bad input.
#
# Runs first write their JSON to $tmp/NAME.json; one python3 at the end reads
# each file once and checks everything (no interpreter per field).
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
SRC=${XLAT_SRC:-$(dirname "$0")/..}
SORT=$SRC/bench/data/sort-3000.xlt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# run NAME ARGS...: `xlat sim ARGS --json` into $tmp/NAME.json.
run() {
	local name=$1
	shift
	"$XLAT" sim "$@" --json >"$tmp/$name.json" 2>"$tmp/$name.err" ||
		fail "sim $*: exit $? ($(cat "$tmp/$name.err"))"
}

# The JSON contract; a sequential scan of N distinct pages through a
# 64-entry L1-only TLB misses exactly N times (4096 pages, one access each);
# with caches off, 4 references per miss walk once the pages exist.
run contract --workload random --size 16m --count 100k
run stride --workload stride --size 16m --count 4096 --tlb 64
run stride2 --workload stride --size 16m --count 8192 --tlb 64 --pwc none --cpu-param ntlb.entries=0

# Options before and after the trace operand, and --trace, are one run.
if [ -f "$SORT" ]; then
	run op_after "$SORT" --limit 20k --mode nested
	run op_before --limit 20k --mode nested "$SORT"
	run op_trace --trace "$SORT" --limit 20k --mode nested
	"$XLAT" sim --limit 20k --mode nested --json -- "$SORT" >"$tmp/op_dashes.json" || fail "sim -- TRACE failed"
fi

# Warm-up and limit, by their definition: for every additive counter,
# (first N records alone) + (warm-up N, then the rest) = (all of them); on a
# trace and on generators (one with events), in every mode.
for mode in native nested shadow; do
	if [ -f "$SORT" ]; then
		run "wt_all_$mode" "$SORT" --mode $mode --limit 300k
		run "wt_head_$mode" "$SORT" --mode $mode --limit 100k
		run "wt_rest_$mode" "$SORT" --mode $mode --warmup 100k --limit 200k
	fi
	run "wr_all_$mode" --workload random --size 64m --count 150k --write 0.3 --mode $mode
	run "wr_head_$mode" --workload random --size 64m --count 150k --write 0.3 --mode $mode --limit 50k
	run "wr_rest_$mode" --workload random --size 64m --count 150k --write 0.3 --mode $mode --warmup 50k
	run "wf_all_$mode" --workload forkbench --size 512k --count 60k --mode $mode
	run "wf_head_$mode" --workload forkbench --size 512k --count 60k --mode $mode --limit 25k
	run "wf_rest_$mode" --workload forkbench --size 512k --count 60k --mode $mode --warmup 25k
done
# A warm-up longer than the input counts nothing.
run warm_long --workload seq --count 1000 --warmup 5000
# After a warm-up that touched every page, no fault cycles are left.
run warm_seq --workload seq --size 1m --count 20k --wl-opt stride=4096 --warmup 256

# A path that is not UTF-8 (and holds a terminal escape): JSON stays valid
# UTF-8 (checked below: every file is read as strict UTF-8), text shows the
# escape as \x1b.
if [ -f "$SORT" ]; then
	odd=$tmp/$(printf 'odd\377\033[31mname.xlt')
	ln -s "$(cd "$(dirname "$SORT")" && pwd)/$(basename "$SORT")" "$odd"
	run utf8 "$odd" --limit 1000
	"$XLAT" sim "$odd" --limit 1000 >"$tmp/odd.txt" || fail "sim on an odd name failed"
	grep -aq '\\x1b\[31mname' "$tmp/odd.txt" || fail "text: the escape is not shown as \\x1b"
	grep -aq "$(printf '\033')" "$tmp/odd.txt" && fail "text: a raw escape byte reached the output"
fi

# The fetch side's second level: shared with the data side's by default and
# with ",shared"; ",private" leaves it one level.
if [ -f "$SORT" ]; then
	run itlb_default "$SORT" --limit 300k --tlb 64x4,1536x12 --itlb 64x4
	run itlb_shared "$SORT" --limit 300k --tlb 64x4,1536x12 --itlb 64x4,shared
	run itlb_private "$SORT" --limit 300k --tlb 64x4,1536x12 --itlb 64x4,private
fi

# Every mode runs the generated inputs.
for mode in native nested shadow; do
	i=0
	for wl in "random --size 64m --count 50k" "mmapbench --size 1m --count 50k" \
		"forkbench --size 512k --count 50k" "sparse --count 50k"; do
		i=$((i + 1))
		# shellcheck disable=SC2086  # a word list
		run "mode_${mode}_$i" --workload $wl --mode $mode
	done
done
run nested_long --workload random --size 64m --count 100k --pwc none --cpu-param ntlb.entries=0 --mode nested

# A recorded trace of a real program, through every mode.
if command -v valgrind >/dev/null; then
	if "$XLAT" trace record -o "$tmp/ls.xlt" -- ls / >/dev/null 2>&1; then
		for mode in native nested shadow; do
			run "ls_$mode" --trace "$tmp/ls.xlt" --mode $mode
		done
		run ls_nofetch --trace "$tmp/ls.xlt" --no-fetch
	else
		fail "trace record failed"
	fi
fi

python3 - "$tmp" <<'PY' || fails=$((fails + 1))
import glob, json, os, sys

tmp = sys.argv[1]
runs = {}
bad = 0
for path in glob.glob(os.path.join(tmp, "*.json")):
    name = os.path.basename(path)[:-5]
    try:
        with open(path, encoding="utf-8") as f:
            runs[name] = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        print(f"FAIL: {name}: not valid JSON: {e}", file=sys.stderr)
        bad += 1

def check(cond, what):
    global bad
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        bad += 1

def get(name):
    return runs.get(name, {})

d = get("contract")
for k in ("accesses", "tlb_misses", "walks", "walk_refs", "fault_retry_walks", "dirty_walks",
          "perm_walks", "faults", "table_bytes", "translation_cycles", "fault_exit_cycles",
          "total_cycles", "records", "warmup_records", "params"):
    check(k in d, f"no '{k}' in sim --json")
check(d.get("accesses") == 100000, f"accesses {d.get('accesses')} != 100000")

check(get("stride").get("tlb_misses") == 4096, f"stride scan: {get('stride').get('tlb_misses')} misses, want 4096")
d = get("stride2")
# 4096 first touches: a faulting miss walk + a 4-reference retry; then 4096
# plain 4-reference miss walks.
check(d.get("tlb_misses") == 8192, f"stride2 misses {d.get('tlb_misses')}")
check(d.get("faults") == 4096, f"stride2 faults {d.get('faults')}")
check(d.get("walks") == 8192, f"stride2 walks {d.get('walks')}, want one per miss")
check(d.get("fault_retry_walks") == 4096, f"stride2 retries {d.get('fault_retry_walks')}")
check(d.get("fault_retry_refs") == 4 * 4096, f"stride2 retry refs {d.get('fault_retry_refs')}")
check(d.get("fault_retry_hist") == "4:4096", f"stride2 retry histogram {d.get('fault_retry_hist')}")

# Cycles: translation (TLB + walks) apart from faults and exits.
for name, d in runs.items():
    if "translation_cycles" not in d:
        continue
    check(d["translation_cycles"] == d["tlb_cycles"] + d["walk_cycles"], f"{name}: translation_cycles")
    check(d["fault_exit_cycles"] == d["fault_cycles"] + d["exit_cycles"], f"{name}: fault_exit_cycles")
    check(d["total_cycles"] == d["translation_cycles"] + d["fault_exit_cycles"], f"{name}: total_cycles")

if "op_after" in runs:
    a, b, c, d = (get(n) for n in ("op_after", "op_before", "op_trace", "op_dashes"))
    check(a == b == c == d, "TRACE with options before, after, after --, and --trace FILE differ")
    check(a.get("records") == 20000 and a.get("mode") == "nested", f"TRACE --limit 20k: {a.get('records')} records")

# Additivity. Not additive: configuration, end-of-run table sizes, ratios.
STATE = {"levels", "host_levels", "host_ram", "guest_ram", "table_pages", "table_bytes",
         "gpa_map_bytes", "shadow_bytes", "warmup_records", "refs_per_walk", "miss_rate",
         "cycles_per_access", "fault_exit_cycles_per_access", "translation_share",
         "translation_seconds"}

def hist(s):
    out = {}
    for item in s.split():
        k, v = item.split(":")
        out[k] = int(v)
    return out

def additive(whole, head, rest, what):
    n = 0
    for k, v in whole.items():
        if k in STATE or isinstance(v, bool):
            continue
        if isinstance(v, int):
            n += 1
            check(head.get(k, 0) + rest.get(k, 0) == v,
                  f"{what}: {k}: {head.get(k, 0)} + {rest.get(k, 0)} != {v}")
        elif k.endswith("_hist") or k == "walk_start":
            n += 1
            h, r, w = hist(head.get(k, "")), hist(rest.get(k, "")), hist(v)
            s = {x: h.get(x, 0) + r.get(x, 0) for x in set(h) | set(r)}
            s = {x: c for x, c in s.items() if c}
            check(s == w, f"{what}: {k}: {head.get(k)} + {rest.get(k)} != {v}")
    check(n > 40, f"{what}: only {n} additive counters checked")
    check(rest.get("warmup_records") == head.get("records"), f"{what}: warm-up records")

for mode in ("native", "nested", "shadow"):
    for p in ("wt", "wr", "wf"):
        if f"{p}_all_{mode}" in runs:
            additive(runs[f"{p}_all_{mode}"], runs[f"{p}_head_{mode}"], runs[f"{p}_rest_{mode}"],
                     f"{p} {mode} warm-up")
    # The warm-up moved something: the counted part has fewer faults.
    check(runs["wr_rest_" + mode]["faults"] < runs["wr_all_" + mode]["faults"], f"{mode}: warm-up counted faults")

d = get("warm_long")
check(d.get("records") == 0 and d.get("warmup_records") == 1000 and d.get("accesses") == 0,
      f"warm-up past the end: {d.get('records')} records, {d.get('warmup_records')} warm-up")
d = get("warm_seq")
check(d.get("fault_cycles") == 0 and d.get("os_faults") == 0 and d.get("accesses") == 20000 - 256,
      f"warmed seq: {d.get('fault_cycles')} fault cycles, {d.get('accesses')} accesses")

if "utf8" in runs:
    check(runs["utf8"]["input"].startswith(tmp) and "\ufffd" in runs["utf8"]["input"],
          f"non-UTF-8 path: {runs['utf8']['input']!r}")

if "itlb_default" in runs:
    a, s, p = runs["itlb_default"], runs["itlb_shared"], runs["itlb_private"]
    check(a == s, "--itlb 64x4 and --itlb 64x4,shared differ")
    check("tlb_fetch_l2_hits" in a and a["tlb_fetch_l2_hits"] > 0, "shared: no fetch hits in L2")
    check("tlb_fetch_l2_hits" not in p, "private: the fetch side has an L2")
    check(p["tlb_misses_fetch"] > a["tlb_misses_fetch"], "private: no more fetch misses than shared")
    check(a["fetches"] > 0, "sort trace: no fetches")

for mode in ("native", "nested", "shadow"):
    for i in range(1, 5):
        check(f"mode_{mode}_{i}" in runs, f"mode {mode} run {i} missing")
d = get("nested_long")
check(d.get("walk_refs", 0) > 10 * d.get("walks", 1), "nested walks are not long")

for mode in ("native", "nested", "shadow"):
    if f"ls_{mode}" in runs:
        check(runs[f"ls_{mode}"]["accesses"] > 100000, f"ls trace {mode}: few accesses")
if "ls_nofetch" in runs:
    check(runs["ls_nofetch"]["fetches"] == 0, "--no-fetch kept fetches")

print(f"cli_sim: {len(runs)} runs checked", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# CSV: the fields' header and row, then the params list as a block.
"$XLAT" sim --workload seq --count 1000 --csv >"$tmp/c.csv" || fail "--csv failed"
[ "$(sed -n 1p "$tmp/c.csv" | cut -d, -f1-2)" = "input,format" ] || fail "--csv header: $(sed -n 1p "$tmp/c.csv")"
[ "$(sed -n 3p "$tmp/c.csv")" = "" ] && [ "$(sed -n 4p "$tmp/c.csv")" = "list,key,value,source" ] ||
	fail "--csv: no params block after the fields"
grep -q '^params,ghz,' "$tmp/c.csv" || fail "--csv: params rows missing"

# Text: counts grouped, no exponents.
"$XLAT" sim --workload random --size 64m --count 200k >"$tmp/t.txt" || fail "text run failed"
grep -q '  accesses  *200,000$' "$tmp/t.txt" || fail "text: accesses not '200,000'"
grep -qE '[0-9]e[+-][0-9]' "$tmp/t.txt" && fail "text has an exponent: $(grep -E '[0-9]e[+-][0-9]' "$tmp/t.txt")"

# Bad input: one line on stderr, non-zero exit.
bad() {
	local want=$1
	shift
	"$XLAT" sim "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	[ "$got" = "$want" ] || fail "sim $*: exit $got, want $want ($(cat "$tmp/err"))"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "sim $*: stderr is not one line: $(cat "$tmp/err")"
	grep -q '^xlat sim: ' "$tmp/err" || fail "sim $*: message lacks 'xlat sim: ': $(cat "$tmp/err")"
}
# bad_says STATUS TEXT ARGS...: as bad, and the message contains TEXT.
bad_says() {
	local want=$1 text=$2
	shift 2
	bad "$want" "$@"
	grep -qF -- "$text" "$tmp/err" || fail "sim $*: message lacks '$text': $(cat "$tmp/err")"
}
bad 2
bad 2 --workload nosuch
bad 2 --workload random --size 12q
bad 2 --workload random --trace x
bad 2 --workload random --cpu pentium
bad_says 2 "--list-params" --workload random --cpu-param nosuch=1
bad 2 --workload random --cpu-param stlb.ways=7
bad 2 --workload random --tlb 64x3x
bad 2 --workload random --tlb 63x4
bad_says 2 "xlat sim: --tlb: TLB level '64x3': 64 entries is not a multiple of 3 ways" --workload random --tlb 64x3
bad 2 --workload random --mode sideways
bad 2 --workload random --page-policy 3m
bad 2 --workload random --levels 6
bad 2 --workload random --pwc sometimes
bad 2 --workload random --json --csv
bad_says 2 "too small" --workload random --mode nested --guest-ram 4k
bad_says 2 "too small" --workload random --mode shadow --guest-ram 1m
bad_says 2 "too large" --workload random --mode nested --guest-ram 128t
bad_says 2 "multiple of 4 KiB" --workload random --host-ram 12345
bad_says 2 "--warmup" --workload random --warmup 0
bad_says 2 "--limit" --workload random --limit 0
bad_says 2 "native" --workload random --guest-ram 1g
bad_says 2 "native" --workload random --host-levels 5
bad_says 2 "native" --workload random --host-page-policy thp
bad_says 2 "native" --workload random --ept-ad
bad_says 2 "native" --workload random --no-unsync
bad_says 2 "--guest-ram" --workload random --mode nested --host-ram 1g
bad_says 2 "nested" --workload random --mode shadow --ept-ad
bad_says 2 "shadow" --workload random --mode nested --no-unsync
bad_says 2 "--no-fetch" --workload random --no-fetch --itlb 64
bad_says 2 "level 2" --workload random --tlb 64 --itlb 64x4,shared
bad_says 2 "last" --workload random --itlb 64x4,private,512
bad_says 2 "--workload" --workload random --format xlt
bad_says 2 "--list-cpus" --list-cpus --mode nested
bad_says 2 "--list-params" --list-params --workload random
bad_says 2 "one trace" a.xlt b.xlt
# Simulated RAM that fills up ends the run with one line naming the option.
bad_says 1 "--host-ram" --workload random --size 1g --count 100k --host-ram 4m
bad_says 1 "--guest-ram" --workload random --size 1g --count 100k --mode nested --guest-ram 4m
bad_says 1 "--guest-ram" --workload random --size 1g --count 100k --mode shadow --guest-ram 4m
bad 1 --trace /nonexistent.xlt
# A long path keeps the byte offset at the end of its message.
if [ -f "$SORT" ]; then
	long=$tmp
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		long=$long/directory-name-of-sixty-characters-to-make-a-long-path-$i
	done
	mkdir -p "$long"
	head -c 100000 "$SORT" >"$long/cut.xlt"
	bad 1 "$long/cut.xlt"
	grep -q "$long/cut.xlt: .*byte 100000" "$tmp/err" || fail "long path: message cut: $(tail -c 80 "$tmp/err")"
fi
printf 'XLT\0garbage' >"$tmp/bad.xlt"
bad 1 --trace "$tmp/bad.xlt"
printf 'I  0400d7d4,8\nthis is not lackey\n' >"$tmp/bad.lackey"
bad 1 --trace "$tmp/bad.lackey"

[ "$fails" = 0 ] && echo "cli_sim: all passed"
exit $((fails > 0))
