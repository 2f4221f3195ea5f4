#!/bin/bash
# xlat gc end to end: the seed's example on its 8 GiB heap (run once at 4 KiB
# and once at 2 MiB pages: a few seconds each), the output contract, and bad
# parameters.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# The seed: "an increase of just 1100 cycles per TLB miss can add nearly a
# second of pause time on an 8-gigabyte heap". 8 GiB / 4 KiB = 2,097,152
# pages, each missed once by the sweep (and the bitmap's 32,768).
# The two runs side by side (two cores): each is several seconds. The 2 MiB
# run checks counts and the --extra-miss-cycles pause only, which the cache
# model does not change: it runs with page-table lines only, at twice the
# speed.
"$XLAT" gc --heap 8G --phase sweep --mode nested --extra-miss-cycles 1100 --ghz 3 --quiet --json \
	>"$tmp/4k.json" 2>"$tmp/err4k" &
p4k=$!
"$XLAT" gc --heap 8G --phase sweep --mode nested --extra-miss-cycles 1100 --ghz 3 --quiet --json \
	--page-policy thp --host-page-policy thp --set cache.data=0 >"$tmp/2m.json" 2>"$tmp/err2m" &
p2m=$!
wait $p4k || fail "the seed's example failed: $(cat "$tmp/err4k")"
wait $p2m || fail "2 MiB pages failed: $(cat "$tmp/err2m")"
python3 - "$tmp/4k.json" "$tmp/2m.json" <<'PY' || fail "the seed's example"
import json, sys
d, h = (json.load(open(f)) for f in sys.argv[1:3])
def check(cond, what):
    if not cond:
        print("  " + what, file=sys.stderr)
        sys.exit(1)
check(2_090_000 <= d["tlb_misses"] <= 2_200_000, f"tlb_misses {d['tlb_misses']}, want about 2.1 M")
check(d["tlb_misses"] == d["native_tlb_misses"], "nested and native runs miss differently")
check(0.7 <= d["added_pause_s"] <= 0.85, f"added_pause_s {d['added_pause_s']}, want 0.7..0.85")
check(d["added_pause_s"] == d["extra_added_pause_s"], "added_pause_s is not the extra cycles' pause")
check(abs(d["extra_added_pause_s"] - d["tlb_misses"] * 1100 / 3e9) < 1e-9, "misses x 1100 / 3 GHz")
check(d["added_pause_basis"] == "extra-miss-cycles", "basis")
# the model's own penalty per nested miss, beside it
check(d["model_penalty_cycles_per_miss"] > 0, "model's penalty per miss")
check(abs(d["model_penalty_cycles_per_miss"] - (d["walk_cycles_per_miss"] - d["native_walk_cycles_per_miss"])) < 1e-6,
      "model penalty != nested - native walk cycles per miss")
check(d["extra_miss_cycles"] == 1100 and d["ghz"] == 3, "echoed parameters")
p = {x["key"]: x for x in d["params"]}
check(p["ghz"]["value"] == "3" and p["ghz"]["source"] == "override", "ghz not printed as the override")
check("walk_cycles" in p and "mem_latency" in p, "cost model parameters missing")
# 2 MiB pages in both dimensions: more than 100x less
check(h["tlb_misses"] * 100 < d["tlb_misses"], f"2M: {h['tlb_misses']} misses")
check(h["added_pause_s"] * 100 < d["added_pause_s"], f"2M: added {h['added_pause_s']} vs {d['added_pause_s']}")
PY

# Text: every figure labelled, the model's penalty per miss and the
# parameters with their sources printed; CSV is one header and one row.
"$XLAT" gc --heap 16m --extra-miss-cycles 1100 >"$tmp/t.txt" 2>"$tmp/err" || fail "text run: $(cat "$tmp/err")"
for s in "model: walk cycles/miss over native" "given: misses x cycles / clock (s)" "added pause (s)" \
	"the same heap natively" "machine, hardware and cost-model parameters" "sources:" "ghz=4"; do
	grep -qF "$s" "$tmp/t.txt" || fail "text output lacks '$s'"
done
# CSV: the figures' header and row, then the parameter list as a block.
"$XLAT" gc --heap 16m --mode shadow --csv >"$tmp/gc.csv" || fail "--csv run"
[ "$(sed -n 3p "$tmp/gc.csv")" = "" ] && [ "$(sed -n 4p "$tmp/gc.csv")" = "list,key,value,source" ] ||
	fail "--csv is not the figures then the params block: $(head -4 "$tmp/gc.csv")"
python3 -c 'import csv, sys; r = list(csv.reader(open(sys.argv[1]))); sys.exit(len(r[0]) != len(r[1]))' \
	"$tmp/gc.csv" || fail "--csv header and row differ in length"
"$XLAT" gc --heap 16m --phase both --mode native --json >"$tmp/n.json" || fail "native --phase both"
python3 - "$tmp/n.json" <<'PY' || fail "native JSON"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("accesses", "tlb_misses", "walk_refs", "translation_cycles", "translation_s", "mark_accesses",
          "sweep_accesses", "fill_faults", "objects", "live_objects", "params"):
    assert k in d, k
assert "native_accesses" not in d and "added_pause_s" not in d
assert d["accesses"] == d["mark_accesses"] + d["sweep_accesses"]
PY
"$XLAT" gc --help | grep -q -- "--extra-miss-cycles N" || fail "--help"

# Bad parameters: one line on stderr, exit 2.
bad() {
	"$XLAT" gc "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	[ "$got" = 2 ] || fail "gc $*: exit $got, want 2 ($(cat "$tmp/err"))"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "gc $*: stderr is not one line: $(cat "$tmp/err")"
	[ -s "$tmp/out" ] && fail "gc $*: printed a result"
}
bad
bad --heap 80G
bad --heap 64G
bad --heap 16m --guest-ram 8m
bad --heap 0
bad --heap 5000
bad --heap 12q
bad --heap 16m --extra-miss-cycles 0
bad --heap 16m --extra-miss-cycles -1100
bad --heap 16m --mode native --extra-miss-cycles 1100
bad --heap 16m --ghz 0
bad --heap 16m --ghz -3
bad --heap 16m --cpu pentium
bad --heap 16m --mode sideways
bad --heap 16m --phase fill
bad --heap 16m --page-policy 3m
bad --heap 16m --live 0
bad --heap 16m --obj 8
bad --heap 16m --marks both
bad --heap 16m --wl-opt phase=mark
bad --heap 16m --wl-opt count=5
bad --heap 16m --cpu-param nosuch=1
bad --heap 16m --nosuch
bad --heap 16m extra

exit $((fails > 0))
