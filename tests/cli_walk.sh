#!/bin/bash
# xlat walk end to end: the reference counts of every dimension and page-size
# combination (issue "Virtualization"), the JSON and CSV contracts, options
# around the ADDR operand, bad input.
#
# Walks write their JSON to $tmp/NAME.json; one python3 at the end reads each
# file once and checks everything.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

n=0
: >"$tmp/want"
# check WANT ARGS...: `walk ARGS --json` has WANT references (and as many steps).
check() {
	local want=$1
	shift
	n=$((n + 1))
	"$XLAT" walk "$@" --json >"$tmp/c$n.json" 2>"$tmp/e" || fail "walk $*: $(cat "$tmp/e")"
	echo "c$n $want walk $*" >>"$tmp/want"
}

check 4  --mode native
check 3  --mode native --page 2m
check 2  --mode native --page 1g
check 5  --mode native --levels 5
check 24 --mode nested
check 35 --mode nested --levels 5 --host-levels 5
check 29 --mode nested --host-levels 5
check 29 --mode nested --levels 5
check 15 --mode nested --guest-page 2m --host-page 2m
check 8  --mode nested --guest-page 1g --host-page 1g
check 19 --mode nested --guest-page 2m --host-page 4k
check 4  --mode shadow
check 4  --mode shadow --guest-page 2m --host-page 4k

# The order of a 4+4 walk; a warm walk; options before and after ADDR.
"$XLAT" walk --mode nested --json >"$tmp/order.json" || fail "walk --json failed"
"$XLAT" walk --mode nested --warm --json >"$tmp/warm.json" || fail "walk --warm failed"
"$XLAT" walk 0x40001000 --mode nested --write --json >"$tmp/op1.json" || fail "walk ADDR --mode failed"
"$XLAT" walk --mode nested --write 0x40001000 --json >"$tmp/op2.json" || fail "walk --mode ADDR failed"
"$XLAT" walk --mode nested --write --va 0x40001000 --json >"$tmp/op3.json" || fail "walk --va failed"
"$XLAT" walk --mode nested --write --json -- 0x40001000 >"$tmp/op4.json" || fail "walk -- ADDR failed"
"$XLAT" walk --mode nested --csv >"$tmp/w.csv" || fail "walk --csv failed"

python3 - "$tmp" <<'PY' || fails=$((fails + 1))
import csv, json, os, sys

tmp = sys.argv[1]
bad = 0

def check(cond, what):
    global bad
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        bad += 1

def load(name):
    try:
        with open(os.path.join(tmp, name + ".json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"{name}: {e}")
        return {"refs": None, "steps": []}

for line in open(os.path.join(tmp, "want")):
    name, want, what = line.split(" ", 2)
    d = load(name)
    check(d["refs"] == len(d["steps"]), f"{what.strip()}: refs {d['refs']} but {len(d['steps'])} steps")
    check(d["refs"] == int(want), f"{what.strip()}: refs {d['refs']}, want {want}")

# For each guest level, EPT 4,3,2,1 then the guest entry; then EPT 4,3,2,1
# for the data's GPA.
d = load("order")
seq = [(s["dim"], s["level"], s["for_level"]) for s in d["steps"]]
want = []
for g in (4, 3, 2, 1):
    want += [("host", h, g) for h in (4, 3, 2, 1)] + [("guest", g, g)]
want += [("host", h, 0) for h in (4, 3, 2, 1)]
check(seq == want, f"4+4 walk is not in architectural order: {seq}")

w = load("warm")
check(w["refs"] is not None and w["refs"] < 24, f"warm nested walk: {w['refs']} refs, want fewer than 24")

a, b, c, d = load("op1"), load("op2"), load("op3"), load("op4")
check(a == b == c == d, "ADDR before options, after them, after --, and --va differ")
check(a.get("va") == "0x40001000", f"ADDR not walked: {a.get('va')}")

# CSV: the fields and their row, an empty line, then the steps block with a
# row per reference, as many as the refs field says.
rows = list(csv.reader(open(os.path.join(tmp, "w.csv"), newline="")))
check(len(rows) >= 4 and rows[2] == [], f"CSV: no empty line after the fields: {rows[:3]}")
fields = dict(zip(rows[0], rows[1]))
check(rows[3][:3] == ["list", "n", "dim"], f"CSV: steps header {rows[3]}")
steps = [r for r in rows[4:] if r and r[0] == "steps"]
check(fields.get("refs") == str(len(steps)) == "24", f"CSV: refs {fields.get('refs')}, {len(steps)} step rows")
check(all(len(r) == len(rows[3]) for r in steps), "CSV: a step row has the wrong number of cells")
sys.exit(1 if bad else 0)
PY

# The text output draws the grid; --plot writes an SVG.
"$XLAT" walk --mode nested --explain | grep -q "gPML4E" || fail "no 2D grid in the text output"
"$XLAT" walk --mode nested --plot "$tmp/w.svg" >/dev/null && grep -q "<svg" "$tmp/w.svg" || fail "--plot wrote no SVG"

# Bad input: one line on stderr, non-zero exit, nothing on stdout.
bad() {
	local want=$1
	shift
	"$XLAT" walk "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	[ "$got" = "$want" ] || fail "walk $*: exit $got, want $want"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "walk $*: stderr is not one line: $(cat "$tmp/err")"
	[ -s "$tmp/out" ] && fail "walk $*: printed on stdout"
}
bad_says() {
	local want=$1 text=$2
	shift 2
	bad "$want" "$@"
	grep -qF -- "$text" "$tmp/err" || fail "walk $*: message lacks '$text': $(cat "$tmp/err")"
}
bad 2 --mode sideways
bad 2 --levels 3
bad 2 --host-levels six
bad 2 --guest-page 3k
bad 2 --va 0xzz
bad 2 --bogus
bad 2 extra-argument
bad_says 2 "one address" 0x1000 0x2000
bad_says 2 "native" --host-page 2m
bad_says 2 "native" --mode native --host-levels 5
bad_says 2 "--write and --fetch" --write --fetch
bad_says 2 "--explain" --explain --json
bad_says 2 "choose one" --json --csv
bad 1 --va 0xffff800000000000
bad 1 --va 0x1000000000000

[ "$fails" = 0 ] && echo "cli_walk: all passed"
exit $((fails > 0))
