#!/bin/bash
# xlat walk end to end: the reference counts of every dimension and page-size
# combination (issue "Virtualization"), the JSON contract, bad input.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# refs ARGS...: the walk's "refs" from --json (and checks steps has as many)
refs() {
	"$XLAT" walk "$@" --json >"$tmp/j" 2>"$tmp/e" || { echo "error: $(cat "$tmp/e")"; return; }
	python3 - "$tmp/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["refs"] == len(d["steps"]), (d["refs"], len(d["steps"]))
print(d["refs"])
PY
}

check() {
	local want=$1
	shift
	local got
	got=$(refs "$@")
	[ "$got" = "$want" ] || fail "walk $*: refs $got, want $want"
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

# The order of a 4+4 walk: for each guest level, EPT 4,3,2,1 then the guest
# entry; then EPT 4,3,2,1 for the data's GPA.
"$XLAT" walk --mode nested --json >"$tmp/j" || fail "walk --json failed"
python3 - "$tmp/j" <<'PY' || fail "4+4 walk is not in architectural order"
import json, sys
d = json.load(open(sys.argv[1]))
seq = [(s["dim"], s["level"], s["for_level"]) for s in d["steps"]]
want = []
for g in (4, 3, 2, 1):
    want += [("host", h, g) for h in (4, 3, 2, 1)] + [("guest", g, g)]
want += [("host", h, 0) for h in (4, 3, 2, 1)]
assert seq == want, seq
PY

# Warm caches cut the walk; the text output draws the grid.
w=$(refs --mode nested --warm)
[ "$w" -lt 24 ] 2>/dev/null || fail "warm nested walk: $w refs, want fewer than 24"
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
bad 2 --mode sideways
bad 2 --levels 3
bad 2 --host-levels six
bad 2 --guest-page 3k
bad 2 --va 0xzz
bad 2 --bogus
bad 2 extra-argument
bad 1 --va 0xffff800000000000
bad 1 --va 0x1000000000000

[ "$fails" = 0 ] && echo "cli_walk: all passed"
exit $((fails > 0))
