#!/bin/bash
# Confidential VMs through the command: `xlat walk --mode secure --tee M`
# gives each model's reference count with caches off (docs/model.md, the
# README's seed table), `xlat sim --mode secure` runs inputs through the
# machine with the monitor's checks counted, and what does not apply to a
# secure machine is refused with one line.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
command -v python3 >/dev/null || { echo "skip: python3 is needed to read JSON"; exit 77; }

# walk MODEL "OPTIONS" WANT_REFS WANT_CHECK_REFS
walk() {
	local model=$1 opts=$2 refs=$3 checks=$4 out
	# shellcheck disable=SC2086
	out=$("$XLAT" walk --mode secure --tee "$model" $opts --json) || { fail "walk $model $opts: exit $?"; return; }
	got=$(printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["refs"], d["check_refs"], len(d["steps"]), d["tee"])')
	[ "$got" = "$refs $checks $refs $model" ] || fail "walk $model $opts: refs checks steps tee = $got, want $refs $checks $refs $model"
}
walk fold "" 29 0
walk fold "--levels 5" 35 0
walk stage3 "" 124 0
walk stage3 "--host-levels 5" 149 0
walk stage3 "--levels 5 --host-levels 5 --monitor-levels 5" 215 0
walk rmp "" 29 5
walk rmp "--levels 5 --host-levels 5" 41 6
walk gpt "" 74 50
walk tdx "" 24 0
walk tdx "--host-levels 5" 29 0

# --explain names the structure of every reference and why it is read.
"$XLAT" walk --mode secure --tee gpt --explain >"$tmp/explain" || fail "walk --explain"
grep -q "GPT level 0: granule protection check" "$tmp/explain" || fail "explain: no GPT check described"
grep -q "RTT (the RMM's stage 2): translates the GPA" "$tmp/explain" || fail "explain: no RTT reference described"

# sim: the same input natively nested and secure; rmp and gpt read their
# tables on top of the walk, fold and tdx do not (their extra level is
# cached, or there is none).
for m in rmp gpt fold tdx; do
	"$XLAT" sim --workload random --size 64m --count 60k --warmup 20k --mode secure --tee "$m" --json \
		>"$tmp/$m.json" || fail "sim secure $m: exit $?"
done
"$XLAT" sim --workload random --size 64m --count 60k --warmup 20k --mode nested --json >"$tmp/nested.json" ||
	fail "sim nested"
python3 - "$tmp" <<'PY' || fail "sim secure figures"
import json, sys
t = sys.argv[1]
d = {m: json.load(open(f"{t}/{m}.json")) for m in ("rmp", "gpt", "fold", "tdx", "nested")}
bad = []
for m in ("rmp", "gpt", "fold", "tdx"):
    if d[m]["tee"] != m or d[m]["mode"] != "secure":
        bad.append(f"{m}: mode/tee {d[m]['mode']}/{d[m]['tee']}")
    if d[m]["tlb_misses"] != d["nested"]["tlb_misses"]:
        bad.append(f"{m}: TLB misses {d[m]['tlb_misses']} vs nested {d['nested']['tlb_misses']}")
    if d[m]["cvm_dropped"] != 0 or d[m]["unresolved"] != 0:
        bad.append(f"{m}: dropped accesses")
for m in ("rmp", "gpt"):
    if not d[m]["tee_check_refs"] > 0 or not d[m]["refs_per_walk"] > d["nested"]["refs_per_walk"]:
        bad.append(f"{m}: no check references on top of the nested walk")
for m in ("fold", "tdx"):
    if d[m]["tee_check_refs"] != 0:
        bad.append(f"{m}: check references")
if bad:
    sys.exit("; ".join(bad))
PY

# The GC pause in a confidential VM: the same heap natively beside it.
"$XLAT" gc --heap 64m --phase sweep --mode secure --tee rmp --quiet --json >"$tmp/gc.json" || fail "gc secure"
python3 - "$tmp/gc.json" <<'PY' || fail "gc secure figures"
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["key"]: x["value"] for x in d["params"]}
if d["mode"] != "secure" or p.get("tee") != "rmp":
    sys.exit(f"mode {d['mode']} tee {p.get('tee')}")
if not (d["tlb_misses"] == d["native_tlb_misses"] and d["model_added_pause_s"] > 0):
    sys.exit("the confidential VM's sweep costs no more than native")
PY

bad_says() {
	local text=$1
	shift
	"$XLAT" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ $rc -eq 2 ] || fail "$*: exit $rc, want 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$*: stderr is not one line: $(cat "$tmp/err")"
	grep -qF -- "$text" "$tmp/err" || fail "$*: message lacks '$text': $(cat "$tmp/err")"
}
bad_says "--tee applies to --mode secure" sim --workload random --tee rmp
bad_says "--host-page-policy does not apply to --mode secure" sim --workload random --mode secure --host-page-policy thp
bad_says "--monitor-levels: applies to tee=stage3" sim --workload random --mode secure --tee rmp --monitor-levels 5
bad_says "--tee: unknown model 'sev'" sim --workload random --mode secure --tee sev
bad_says "--tee: unknown model 'sev'" walk --mode secure --tee sev
bad_says "--tee applies to --mode secure" walk --tee rmp
bad_says "host pages are 4k" walk --mode secure --host-page 2m
bad_says "--monitor-levels applies to --tee stage3" walk --mode secure --tee gpt --monitor-levels 5

[ $fails -eq 0 ] && echo "cli_secure: all passed"
[ $fails -eq 0 ]
