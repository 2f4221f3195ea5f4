#!/bin/bash
# xlat ptsize end to end: the seed's figures, every kind of bad input (exit
# status and exactly one line on stderr), JSON that parses, live processes.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${sleeper:-}" ] && kill "$sleeper" 2>/dev/null' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# expect_error STATUS HINT ARGS...: exits STATUS, prints nothing on stdout and
# one line on stderr that starts "xlat ptsize: " and contains HINT.
expect_error() {
	local want=$1 hint=$2
	shift 2
	"$XLAT" ptsize "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	local lines
	lines=$(wc -l <"$tmp/err")
	if [ "$got" != "$want" ]; then
		fail "ptsize $*: exit $got, want $want (stderr: $(cat "$tmp/err"))"
	elif [ "$lines" != 1 ]; then
		fail "ptsize $*: $lines lines on stderr, want 1: $(cat "$tmp/err")"
	elif ! grep -q '^xlat ptsize: ' "$tmp/err"; then
		fail "ptsize $*: stderr lacks the 'xlat ptsize: ' prefix: $(cat "$tmp/err")"
	elif ! grep -qF -- "$hint" "$tmp/err"; then
		fail "ptsize $*: stderr lacks '$hint': $(cat "$tmp/err")"
	elif [ -s "$tmp/out" ]; then
		fail "ptsize $*: printed on stdout: $(cat "$tmp/out")"
	fi
}

# json_field KEY < one-line JSON: the value of the first KEY (numbers and
# booleans; python3 checks separately that the whole document parses).
json_field() {
	grep -o "\"$1\":[^,}]*" | head -n 1 | cut -d: -f2
}

# expect_field KEY VALUE ARGS...: `ptsize ARGS --json` has KEY == VALUE.
expect_field() {
	local key=$1 want=$2
	shift 2
	local got
	got=$("$XLAT" ptsize "$@" --json | json_field "$key")
	[ "$got" = "$want" ] || fail "ptsize $* --json: $key = '$got', want '$want'"
}

# ---- the seed's figures ------------------------------------------------
expect_field table_pages 35 --map 64M
expect_field table_bytes 143360 --map 64MiB
expect_field table_pages 36 --map 64M --levels 5
expect_field table_bytes 12288 --map 256M --page 2m
expect_field table_bytes 536576 --map 256M --page 4k
expect_field table_pages 2 --map 1g --page 1g
expect_field flat_table_bytes 549755813888 --map 64M
expect_field table_pages 107 --layout process
expect_field table_pages 5 --layout process --page 2m
# Placement: the second region follows the first; --at moves one.
expect_field table_pages 67 --map 64M --map 64M
expect_field table_pages 69 --map 64M --map 64M --at 0x7fff00000000
expect_field table_pages 5 --map 4k --at 128T --levels 5
expect_field table_pages 3 --map 2m --page 2m --at 0xffff800000000000

"$XLAT" ptsize --map 64M >"$tmp/out" 2>"$tmp/err" || fail "ptsize --map 64M failed"
grep -q '140 KiB of page tables' "$tmp/out" || fail "text output lacks '140 KiB of page tables'"
grep -q '512 GiB' "$tmp/out" || fail "text output lacks the flat table's 512 GiB"
[ -s "$tmp/err" ] && fail "ptsize --map 64M wrote to stderr: $(cat "$tmp/err")"
"$XLAT" ptsize --layout process --page 2m --json | python3 -c 'import json,sys; json.load(sys.stdin)' ||
	fail "synthetic --json does not parse"
# CSV: the fields' header and row, an empty line, then the regions block.
"$XLAT" ptsize --layout process --csv >"$tmp/out" || fail "--csv failed"
[ "$(sed -n 3p "$tmp/out")" = "" ] || fail "--csv: no empty line after the fields"
[ "$(sed -n 4p "$tmp/out")" = "list,name,start,size" ] || fail "--csv: regions header '$(sed -n 4p "$tmp/out")'"
[ "$(grep -c '^regions,' "$tmp/out")" = 6 ] || fail "--csv: want 6 region rows"
grep -q '^regions,heap,0x555556000000,67108864$' "$tmp/out" || fail "--csv: heap row"
# Text: counts grouped, no exponents.
"$XLAT" ptsize --map 64M >"$tmp/out"
grep -Eq '^  table bytes +143,360$' "$tmp/out" || fail "text: table bytes not '143,360'"
grep -Eq '[0-9]e[+-][0-9]' "$tmp/out" && fail "text has an exponent"
"$XLAT" ptsize --help >"$tmp/out" 2>&1 || fail "--help exit status"
grep -q '^usage: xlat ptsize' "$tmp/out" || fail "--help lacks usage"

# ---- bad input: one line, the right status ----------------------------
expect_error 2 "unknown unit" --map 12Q
expect_error 2 "negative" --map -1
expect_error 2 "empty size" --map ""
expect_error 2 "too large" --map 99999999999999999999
expect_error 2 "too large" --map 16E
expect_error 2 "fractions" --map 1.5G
expect_error 2 "junk" --map 4kk
expect_error 2 "not be empty" --map 0
expect_error 2 "4k, 2m or 1g" --map 64M --page 8k
expect_error 2 "unknown unit" --map 64M --page 2x
expect_error 2 "4 or 5" --map 64M --levels 3
expect_error 2 "'process'" --layout tiny
expect_error 2 "must start with a digit" --map 4k --at zz
expect_error 2 "hex digits" --map 4k --at 0x
expect_error 2 "canonical" --map 4k --at 0x800000000000
expect_error 2 "canonical" --map 8k --at 0x7ffffffff000
expect_error 2 "before any --map" --at 4k
expect_error 2 "two --at" --map 4k --at 4k --at 8k
expect_error 2 "not aligned to the 2 MiB page" --map 3M --page 2m
expect_error 2 "not aligned to the 4 KiB page" --map 4k --at 0x1001
expect_error 2 "overlap" --map 4M --at 1g --map 4M --at 0x40100000
expect_error 2 "more than the" --map 2T
expect_error 2 "more than the" --map 64M --max-tables 100k
expect_error 2 "at least one 4 KiB" --map 64M --max-tables 0
expect_error 2 "at least one 4 KiB" --map 64M --max-tables 4095
expect_field table_pages 35 --map 64M --max-tables 140k
expect_error 2 "--levels applies to --map" --pid 1 --levels 5
expect_error 2 "--page applies to --map" --all --page 2m
expect_error 2 "--max-tables applies to --map" --pid 1 --max-tables 1g
expect_error 2 "--no-scan applies to --pid" --map 64M --no-scan
expect_error 2 "choose one" --map 64M --json --csv
expect_error 2 "unknown option '--bogus'" --bogus
expect_error 2 "unknown option '-x'" -x
expect_error 2 "needs a value" --map
expect_error 2 "unexpected argument" --map 4k extra
expect_error 2 "nothing to measure"
expect_error 2 "separate studies" --map 4k --pid 1
expect_error 2 "not a process id" --pid abc
expect_error 2 "not a process id" --pid -5
expect_error 2 "not a process id" --pid 0
expect_error 1 "no process 2147483000" --pid 2147483000

# A process whose pagemap we may not read (another user's, or one the
# sandbox hides); if every process is readable, a kernel thread stands in.
unreadable=
kthread=
for d in /proc/[0-9]*; do
	p=${d#/proc/}
	[ "$p" = "$$" ] && continue
	[ -n "$unreadable" ] && [ -n "$kthread" ] && break
	if grep -q '^VmPTE:' "$d/status" 2>/dev/null; then
		if [ -z "$unreadable" ] && ! head -c 8 "$d/pagemap" >/dev/null 2>&1; then
			unreadable=$p
		fi
	elif [ -z "$kthread" ] && grep -q '^Kthread:.*1' "$d/status" 2>/dev/null; then
		kthread=$p
	fi
done
if [ -n "$unreadable" ]; then
	expect_error 1 "permission denied" --pid "$unreadable"
else
	echo "note: every process is readable; no permission-denied case" >&2
fi
[ -n "$kthread" ] && expect_error 1 "no address space" --pid "$kthread"

# ---- live processes ----------------------------------------------------
sleep 1000 &
sleeper=$!
# Wait until exec has replaced the forked shell image, without a clock.
while [ "$(cat /proc/$sleeper/comm 2>/dev/null)" != sleep ]; do :; done
"$XLAT" ptsize --pid "$sleeper" --json >"$tmp/pid.json" || fail "ptsize --pid $sleeper failed"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/pid.json" || fail "--pid --json does not parse"
for key in table_pages table_bytes kernel_vmpte_bytes computed_kernel_bytes match; do
	[ -n "$(json_field "$key" <"$tmp/pid.json")" ] || fail "--pid --json lacks $key"
done
[ "$(json_field match <"$tmp/pid.json")" = true ] || fail "sleep $sleeper: computed != VmPTE: $(cat "$tmp/pid.json")"
[ "$("$XLAT" ptsize --pid "$sleeper" --no-scan --json | json_field match)" = true ] ||
	fail "sleep $sleeper: --no-scan does not match"
"$XLAT" ptsize --pid "$sleeper" | grep -q ': match$' || fail "--pid text lacks ': match'"

"$XLAT" ptsize --all >"$tmp/all" 2>"$tmp/err" || fail "--all failed: $(cat "$tmp/err")"
tail -n 1 "$tmp/all" | grep -Eq '^[0-9,]+ of [0-9,]+ processes match$' ||
	fail "--all: last line is '$(tail -n 1 "$tmp/all")'"
grep -Eq "^ *$sleeper +sleep .* match$" "$tmp/all" || fail "--all does not list sleep $sleeper as a match"
"$XLAT" ptsize --all --json >"$tmp/all.json" || fail "--all --json failed"
python3 - "$tmp/all.json" "$sleeper" <<'EOF' || fail "--all --json is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
procs = d["processes"]
assert d["processes_total"] == len(procs) > 0, d["processes_total"]
assert d["processes_matched"] == sum(p["match"] for p in procs)
assert any(p["pid"] == int(sys.argv[2]) and p["match"] for p in procs)
for p in procs:
    for k in ("table_pages", "table_bytes", "kernel_vmpte_bytes", "computed_kernel_bytes"):
        assert isinstance(p[k], int), (k, p)
EOF

# --all --csv: the totals, then one row per process (as JSON has them).
"$XLAT" ptsize --all --csv >"$tmp/all.csv" || fail "--all --csv failed"
python3 - "$tmp/all.csv" "$sleeper" <<'EOF' || fail "--all --csv is wrong"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
totals = dict(zip(rows[0], rows[1]))
assert rows[2] == [] and rows[3][:3] == ["list", "pid", "comm"], rows[:4]
procs = [dict(zip(rows[3], r)) for r in rows[4:] if r and r[0] == "processes"]
assert int(totals["processes_total"]) == len(procs) > 0, (totals, len(procs))
assert any(p["pid"] == sys.argv[2] and p["match"] == "true" for p in procs)
EOF

if [ "$fails" != 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "cli_ptsize: all checks passed"
