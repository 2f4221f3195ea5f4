#!/bin/bash
# xlat migrate end to end: the JSON contract, the text round table, the
# plot (a PNG through a temporary file), each mechanism's run verified,
# post-copy beside pre-copy, and bad parameters refused with one line.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
small="--mem 16m --size 8m --bandwidth 100M --guest-rate 5000 --quiet"

# JSON: the fields the contract names, a round table, every run verified.
for t in "--tracking wp" "--tracking ad --ept-ad" "--tracking pml --ept-ad" "--mode shadow" \
	"--host-page-policy thp --huge split" "--postcopy" "--postcopy=1 --tracking pml --ept-ad" \
	"--mode secure --tee tdx"; do
	name=$(echo "$t" | tr -c 'a-z0-9' _)
	# shellcheck disable=SC2086
	"$XLAT" migrate $small $t --json >"$tmp/$name.json" 2>"$tmp/err" || { fail "$t: $(cat "$tmp/err")"; continue; }
	python3 - "$tmp/$name.json" "$t" <<'PY' || fail "$t: JSON"
import json, sys
d = json.load(open(sys.argv[1]))
t = sys.argv[2]
for k in ("converged", "rounds", "downtime_ms", "total_ms", "bytes_sent", "pages_sent", "guest_slowdown",
          "tracking_exits", "verified", "round_table", "params", "dirty_costs"):
    if k not in d:
        sys.exit(f"no {k}")
if d["verified"] is not True:
    sys.exit("not verified: " + d["verify"])
if d["total_ms"] < d["downtime_ms"] or d["bytes_sent"] < d["pages_sent"] * 9:
    sys.exit("totals do not add up")
if "--postcopy" in t and "=1" not in t:
    if not d["postcopy"] or d["pc_faults"] <= 0 or d["downtime_ms"] > 1:
        sys.exit(f"post-copy: {d['postcopy']} {d.get('pc_faults')} {d['downtime_ms']}")
elif len(d["round_table"]) != d["rounds"] or d["rounds"] < 1:
    sys.exit("round table")
if "pml" in t and d["tracking"] != "pml":
    sys.exit("tracking " + d["tracking"])
if "shadow" in t and d["tracking"] != "shadow":
    sys.exit("tracking " + d["tracking"])
if "secure" in t and (d["tracking"] != "ad" or d["blobs"] <= 0 or "monitors" not in d["verify"]):
    sys.exit("secure: tracking " + d["tracking"] + ", " + d["verify"])
costs = {c["key"]: c for c in d["dirty_costs"]}
if "estimate" not in costs["dirty.wp_fault_cycles"]["source"]:
    sys.exit("the costs are not labelled estimates")
PY
done

# --set takes dirty-tracking costs, listed as set.
"$XLAT" migrate $small --set dirty.wp_fault_cycles=1234 --json >"$tmp/set.json" || fail "--set dirty.*"
python3 -c '
import json, sys
c = {x["key"]: x for x in json.load(open(sys.argv[1]))["dirty_costs"]}["dirty.wp_fault_cycles"]
sys.exit(c["value"] != "1234" or c["source"] != "set")' "$tmp/set.json" || fail "--set dirty.wp_fault_cycles not listed as set"

# Text: the round table and its columns, the totals, the sources.
"$XLAT" migrate $small >"$tmp/t.txt" 2>"$tmp/err" || fail "text run: $(cat "$tmp/err")"
for s in "round  start (ms)" "pages sent" "dirty rate (pages/s)" "guest slowdown" "downtime (ms)" "verified" \
	"dirty-tracking costs" "machine, hardware and cost-model parameters"; do
	grep -qF "$s" "$tmp/t.txt" || fail "text output lacks '$s'"
done
"$XLAT" migrate $small --csv >"$tmp/m.csv" || fail "--csv"
python3 -c 'import csv, sys; r = list(csv.reader(open(sys.argv[1]))); sys.exit(len(r[0]) != len(r[1]))' \
	"$tmp/m.csv" || fail "--csv header and row differ in length"

# The plot: a PNG, written through a temporary file (an existing file is
# replaced whole; a directory is refused before anything runs).
if command -v gnuplot >/dev/null; then
	"$XLAT" migrate $small --plot "$tmp/m.png" >/dev/null 2>"$tmp/err" || fail "--plot: $(cat "$tmp/err")"
	[ "$(head -c 8 "$tmp/m.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "--plot wrote no PNG"
	ls -a "$tmp" | grep -q '\.tmp$' && fail "--plot left a temporary file"
	mkdir "$tmp/dir.png"
	"$XLAT" migrate $small --plot "$tmp/dir.png" >/dev/null 2>"$tmp/err" && fail "--plot onto a directory accepted"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "--plot onto a directory: not one line: $(cat "$tmp/err")"
else
	echo "note: gnuplot is not installed (scripts/setup): --plot not tested"
fi

# Bad parameters: one line, status 2, naming what is wrong.
bad() {
	local want=$1
	shift
	"$XLAT" migrate "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ $rc -eq 2 ] || fail "migrate $*: status $rc, want 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "migrate $*: not one line: $(cat "$tmp/err")"
	grep -qi -- "$want" "$tmp/err" || fail "migrate $*: '$(cat "$tmp/err")' does not say '$want'"
	[ -s "$tmp/out" ] && fail "migrate $*: wrote to stdout"
}
bad "bandwidth" --bandwidth 0
bad "bandwidth" --bandwidth -5G
bad "bandwidth" --bandwidth fast
bad "does not fit the guest RAM" --mem 16m --size 64m
bad "unknown dirty tracking 'dirty'" --tracking dirty
bad "ept" --tracking pml
bad "ept" --tracking ad
bad "shadow paging has no EPT" --mode shadow --tracking pml
bad "downtime-limit" --downtime-limit 0
bad "rtt" --rtt -1
bad "huge" --huge big
bad "guest-rate" --guest-rate 0
bad "native" --mode native
bad "max-rounds" --max-rounds many
bad "Arm CCA" --mode secure --tee gpt
bad "post-copy" --mode secure --postcopy
bad "monitor" --mode secure --tracking wp
bad "unexpected argument" now
bad "unknown or incomplete option" --fast

[ $fails -eq 0 ] && echo "cli_migrate: all passed"
[ $fails -eq 0 ]
