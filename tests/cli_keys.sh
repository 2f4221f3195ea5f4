#!/bin/bash
# The machine's configuration keys through `xlat sim`: every machine and
# hardware option is a key that --list-params lists and --set takes; what
# a run prints among its parameters is what ran; bad keys and values are
# refused with one line naming the key.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
command -v python3 >/dev/null || { echo "skip: python3 is needed to read JSON"; exit 77; }

# Every option of the "machine:" and "hardware:" parts of --help names the
# key it sets in [brackets], and --list-params (of a configuration where it
# applies) lists that key.
"$XLAT" sim --help >"$tmp/help" || fail "sim --help"
"$XLAT" sim --list-params --json >"$tmp/native.json" || fail "list-params native"
"$XLAT" sim --list-params --json --mode nested >"$tmp/nested.json" || fail "list-params nested"
"$XLAT" sim --list-params --json --mode shadow >"$tmp/shadow.json" || fail "list-params shadow"
"$XLAT" sim --list-params --json --mode secure --tee stage3 >"$tmp/secure.json" || fail "list-params secure"
python3 - "$tmp" <<'PY' || fail "flags and keys"
import json, re, sys
tmp = sys.argv[1]
help_text = open(f"{tmp}/help").read()
listed = set()
for m in ("native", "nested", "shadow", "secure"):
    listed |= {p["key"] for p in json.load(open(f"{tmp}/{m}.json"))["params"]}
part = help_text[help_text.index("machine:"):help_text.index("output:")]
flags = re.findall(r"^  (--[a-z-]+)[^\n]*?\[([a-z_.]+)(?:=[0-9])?\]", part, re.M)
bad = 0
want = {"--mode", "--levels", "--page-policy", "--host-ram", "--guest-ram", "--host-levels",
        "--host-page-policy", "--no-pcid", "--ept-ad", "--no-unsync", "--cpu", "--tlb",
        "--itlb", "--pwc", "--no-fetch", "--tee", "--monitor-levels"}
seen = {f for f, _ in flags}
for f in sorted(want - seen):
    print(f"{f}: no [key] in --help"); bad += 1
for flag, key in flags:
    if key not in listed:
        print(f"{flag}: key {key} not in --list-params"); bad += 1
sys.exit(1 if bad else 0)
PY

# What ran is what is listed: one 64-entry fully associative data level,
# no fetch side at all.
"$XLAT" sim --workload random --size 16m --count 20k --tlb 64 --no-fetch --json >"$tmp/t64.json" ||
	fail "sim --tlb 64 --no-fetch"
python3 - "$tmp/t64.json" <<'PY' || fail "--tlb 64 --no-fetch listing"
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["key"]: x["value"] for x in d["params"]}
tlb = sorted(k for k in p if k.split(".")[0] in ("l1d", "stlb", "l2d", "l3d"))
ok = (tlb == ["l1d.entries", "l1d.latency", "l1d.repl", "l1d.sizes", "l1d.ways"]
      and p["l1d.entries"] == "64" and p["l1d.ways"] == "0" and p["l1d.sizes"] == "4k+2m+1g"
      and p["tlb"] == "64" and p["fetch"] == "0")
fetch = [k for k in p if k.split(".")[0] in ("l1i", "l2i", "l3i", "itlb", "stlb.shared")]
fetch += [k for k in d if k.startswith("tlb_fetch") and d[k] != 0]
if fetch or not ok:
    print("data keys", tlb, "fetch keys", fetch)
    sys.exit(1)
if d["tlb_data_l1_hits"] + d["tlb_misses"] != d["pages"]:
    sys.exit("one level: hits + misses = lookups")
PY

# --set reaches every key: a machine key and a CPU key, equal to the flags.
"$XLAT" sim --workload random --size 64m --count 20k --mode nested --host-levels 5 --pwc none --json >"$tmp/flags.json" ||
	fail "flags run"
"$XLAT" sim --workload random --size 64m --count 20k --set mode=nested --set host_levels=5 --set pwc.style=none --json >"$tmp/set.json" ||
	fail "--set run"
python3 - "$tmp/flags.json" "$tmp/set.json" <<'PY' || fail "--set equals the flags"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for d in (a, b):
    d["params"] = {x["key"]: x["value"] for x in d["params"]}
keys = [k for k in a if k != "params"]
diff = [k for k in keys if a[k] != b.get(k)] + [k for k in a["params"] if a["params"][k] != b["params"].get(k)]
if diff:
    sys.exit(f"differ: {diff}")
PY

# Refusals: one line, naming the key.
bad_says() {
	local text=$1
	shift
	"$XLAT" sim "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ $rc -eq 2 ] || fail "sim $*: exit $rc, want 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "sim $*: stderr is not one line: $(cat "$tmp/err")"
	grep -qF -- "$text" "$tmp/err" || fail "sim $*: message lacks '$text': $(cat "$tmp/err")"
}
bad_says "NO_SUCH_KEY" --workload random --set NO_SUCH_KEY=1
bad_says "l1d.4k.entries: '-3'" --workload random --set l1d.4k.entries=-3
bad_says "host_levels: does not apply to native" --workload random --set host_levels=5
bad_says "ept_ad: does not apply to shadow" --workload random --mode shadow --set ept_ad=1
bad_says "levels: 4 or 5" --workload random --set levels=6
bad_says "pcid: 'maybe' is not a boolean" --workload random --set pcid=maybe
bad_says "choose the preset before" --workload random --set stlb.entries=512 --set cpu=zen4
bad_says "tlb: two arrays of one level hold the same page size" --workload random --set tlb=64@4k+32@4k/2m
bad_says "expected KEY=VALUE" --workload random --set mode

# A preset file may carry machine keys (as xlat calibrate writes for a VM):
# --cpu-file applies them, the options after it win, and a native run of a
# VM's file is no mistake; bad lines name the file and line.
cat >"$tmp/vm.ini" <<'INI'
# source: a test
base = sapphirerapids
mode = nested
host_page_policy = 4k
stlb.4k.entries = 2144
INI
"$XLAT" sim --cpu-file "$tmp/vm.ini" --workload random --size 16m --count 10k --json >"$tmp/f1.json" || fail "cpu-file with machine keys"
"$XLAT" sim --cpu-file "$tmp/vm.ini" --mode native --workload random --size 16m --count 10k --json >"$tmp/f2.json" ||
	fail "cpu-file of a VM run natively"
python3 - "$tmp" <<'PY' || fail "cpu-file machine keys"
import json, sys
t = sys.argv[1]
a = json.load(open(f"{t}/f1.json")); b = json.load(open(f"{t}/f2.json"))
pa = {x["key"]: x for x in a["params"]}
assert a["mode"] == "nested" and a["host_page_policy"] == "4k", (a["mode"], a.get("host_page_policy"))
assert pa["mode"]["source"] == "preset file", pa["mode"]
assert pa["stlb.4k.entries"]["value"] == "2144"
assert b["mode"] == "native", b["mode"]
PY
printf 'base = zen4\nmode = sideways\n' >"$tmp/bad.ini"
bad_says "bad.ini:2: mode: unknown value 'sideways'" --workload random --cpu-file "$tmp/bad.ini"
printf 'base = zen4\ncpu = zen2\n' >"$tmp/bad.ini"
bad_says "bad.ini:2: cpu: a preset file names its preset with 'base = NAME'" --workload random --cpu-file "$tmp/bad.ini"

[ $fails -eq 0 ] && echo "cli_keys: all passed"
[ $fails -eq 0 ]
