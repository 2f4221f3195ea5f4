#!/bin/bash
# Issue 8, the files side: every defect reproduced and shown fixed.
#  1. a failed convert/record leaves an existing output untouched
#  2. an output that is the input (also through links) is refused
#  3. an interrupted write (SIGKILL at many moments, a cut file) never
#     leaves a file that reads as valid
#  4. a full file system and /dev/full fail with a message, /dev/full stays
#  5. hostile inputs finish in bounded memory (ulimit -v)
#  7. walk --plot walk.png leaves walk.svg alone
#  8. trace arguments: options after operands, -n, options that do not apply
# A missing valgrind skips the record parts with a message (exit 77 if
# everything else passed); a tmpfs that cannot be mounted skips that part.
set -u
X=${XLAT_BIN:?XLAT_BIN must name the xlat command}
T=$(mktemp -d /tmp/xlat-cli-safety-XXXXXX)
MNT=""
cleanup() {
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
skipped=""

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

# has TEXT : the last command's stderr contains TEXT
has() {
	grep -qF -- "$1" "$T/err" || fail "message lacks '$1': $(head -c 400 "$T/err")"
}

# same FILE REF WHAT : FILE is byte for byte REF
same() {
	cmp -s "$1" "$2" || fail "$3: $1 was changed"
}

# no_temps DIR : no temporary output file left in DIR
no_temps() {
	local left
	left=$(find "$1" -maxdepth 1 -name '.*.tmp' | head -3)
	[ -z "$left" ] || fail "temporary files left in $1: $left"
}

json_field() {
	sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$2"
}

have_valgrind=1
command -v valgrind >/dev/null 2>&1 || have_valgrind=0

# ---- inputs ----
D=$T/d
mkdir -p "$D" "$T/ref"
expect 0 "$X" trace convert --workload random --wl-opt size=1m,count=20000 "$T/r.xlt"
expect 0 "$X" trace convert --workload seq --wl-opt size=64k,count=3000 "$D/precious.xlt"
expect 0 "$X" trace convert "$D/precious.xlt" "$D/precious.lackey"
cp "$D/precious.xlt" "$D/precious.lackey" "$T/ref/"
printf 'I  0400,8\nnot lackey\n' >"$T/bad.lackey"

# ---- 1: failures leave the output as it was ----
expect 1 "$X" trace convert "$T/bad.lackey" "$D/precious.xlt"
has "bad.lackey:2 (byte 10, record 1): not a lackey line"
has "nothing was written"
same "$D/precious.xlt" "$T/ref/precious.xlt" "convert of a bad input"
expect 1 "$X" trace convert "$T/missing.xlt" "$D/precious.xlt"
same "$D/precious.xlt" "$T/ref/precious.xlt" "convert of a missing input"
expect 1 "$X" trace convert --workload mmapbench "$D/precious.lackey"
has "cannot hold events"
same "$D/precious.lackey" "$T/ref/precious.lackey" "events to lackey"
head -c 40000 "$T/r.xlt" >"$T/cut.xlt"
expect 1 "$X" trace convert "$T/cut.xlt" "$D/precious.xlt"
has "truncated"
same "$D/precious.xlt" "$T/ref/precious.xlt" "convert of a cut input"
expect 1 "$X" trace convert -n 10 "$T/r.xlt" "$T/nodir/x.xlt"
has "cannot create a temporary file in"
no_temps "$D"
# Devices, directories and FIFOs are refused (and nothing blocks or is removed).
expect 1 "$X" trace convert "$T/r.xlt" /dev/full
has "/dev/full: is a character device"
[ -c /dev/full ] || fail "/dev/full is gone"
expect 1 "$X" trace convert "$T/r.xlt" /dev/null
[ -c /dev/null ] || fail "/dev/null is gone"
expect 1 "$X" trace convert "$T/r.xlt" "$D"
has "is a directory"
mkfifo "$T/fifo"
expect 1 "$X" trace convert "$T/r.xlt" "$T/fifo"
has "is a FIFO"
[ -p "$T/fifo" ] || fail "the FIFO is gone"
# record: valgrind missing, failing, or tracing nothing.
expect 1 "$X" trace record --valgrind /nonexistent/valgrind -o "$D/precious.xlt" -- true
has "cannot run '/nonexistent/valgrind': No such file or directory"
same "$D/precious.xlt" "$T/ref/precious.xlt" "record with a missing valgrind"
expect 1 "$X" trace record --valgrind false -o "$D/precious.xlt" -- true
has "valgrind produced no trace"
same "$D/precious.xlt" "$T/ref/precious.xlt" "record with a failing valgrind"
if [ $have_valgrind = 1 ]; then
	expect 1 "$X" trace record -o "$D/precious.xlt" -- /nonexistent/program
	has "valgrind produced no trace"
	same "$D/precious.xlt" "$T/ref/precious.xlt" "record of a missing program"
fi
no_temps "$D"

# ---- 7: walk --plot ----
echo "my own walk.svg" >"$D/walk.svg"
cp "$D/walk.svg" "$T/ref/"
if command -v rsvg-convert >/dev/null 2>&1; then
	expect 0 "$X" walk --plot "$D/walk.png"
	[ "$(head -c 4 "$D/walk.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "walk.png is not a PNG"
	same "$D/walk.svg" "$T/ref/walk.svg" "walk --plot walk.png"
	cp "$D/walk.png" "$T/ref/"
else
	echo "rsvg-convert not found: skipping the successful PNG plot"
	echo "an old png" >"$D/walk.png"
	cp "$D/walk.png" "$T/ref/"
fi
# The converter missing: an error, the old picture kept.
expect 1 env PATH=/nonexistent "$X" walk --plot "$D/walk.png"
has "cannot run rsvg-convert"
same "$D/walk.png" "$T/ref/walk.png" "a failed PNG plot"
same "$D/walk.svg" "$T/ref/walk.svg" "a failed PNG plot"
expect 0 "$X" walk --plot "$D/other.svg"
grep -q "<svg" "$D/other.svg" || fail "walk --plot other.svg wrote no SVG"
no_temps "$D"

# ---- 2: the output is the input ----
cp "$T/r.xlt" "$D/same.xlt"
cp "$D/same.xlt" "$T/ref/"
expect 1 "$X" trace convert "$D/same.xlt" "$D/same.xlt"
has "is the same file as the input"
same "$D/same.xlt" "$T/ref/same.xlt" "convert same same"
ln -s same.xlt "$D/link.xlt"
expect 1 "$X" trace convert "$D/same.xlt" "$D/link.xlt"
has "is the same file as the input"
expect 1 "$X" trace convert "$D/link.xlt" "$D/same.xlt"
ln "$D/same.xlt" "$D/hard.xlt"
expect 1 "$X" trace convert "$D/hard.xlt" "$D/same.xlt"
same "$D/same.xlt" "$T/ref/same.xlt" "convert through links"
[ -L "$D/link.xlt" ] || fail "the symlink was replaced"
cp "$D/precious.lackey" "$D/grow.lackey"
"$X" trace convert "$D/grow.lackey" - >>"$D/grow.lackey" 2>"$T/err"
[ $? = 1 ] || fail "convert IN - >> IN was not refused"
has "standard output: is the same file as the input"
same "$D/grow.lackey" "$T/ref/precious.lackey" "convert IN - >> IN"
# A symlink to another file is followed: the file it names is replaced.
ln -s precious.xlt "$D/alias.xlt"
expect 0 "$X" trace convert -n 100 "$T/r.xlt" "$D/alias.xlt"
[ -L "$D/alias.xlt" ] || fail "writing through a symlink replaced the link"
expect 0 "$X" trace info --json "$D/precious.xlt"
[ "$(json_field records "$T/out")" = 100 ] || fail "write through symlink: $(cat "$T/out")"
cp "$T/ref/precious.xlt" "$D/precious.xlt"
no_temps "$D"

# ---- 3: interrupted writes never read as valid ----
# Files of ours cut anywhere after their header say "truncated".
expect 0 "$X" trace convert "$T/r.xlt" "$T/r.lackey"
xsize=$(stat -c %s "$T/r.xlt")
lsize=$(stat -c %s "$T/r.lackey")
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	head -c $((40 + (xsize - 41) * i / 12)) "$T/r.xlt" >"$T/cut.xlt"
	expect 1 "$X" trace info "$T/cut.xlt"
	has "truncated: "
	head -c $((100 + (lsize - 101) * i / 12)) "$T/r.lackey" >"$T/cut.lackey"
	expect 1 "$X" trace info "$T/cut.lackey"
	has "truncated: "
done

# SIGKILL at spread-out moments. Afterwards the output is the previous
# file, or absent if there was none, or (killed after the rename) the
# complete new trace; any temporary file left must not read as valid.
# check_killed OUT PREV WANT_RECORDS
check_killed() {
	local out=$1 prev=$2 want=$3
	if [ -n "$prev" ] && cmp -s "$out" "$prev"; then
		:
	elif [ -z "$prev" ] && [ ! -e "$out" ]; then
		:
	else
		"$X" trace info --json --decode-only "$out" >"$T/kout" 2>"$T/kerr" ||
			fail "after SIGKILL: $out is neither the old file nor complete: $(cat "$T/kerr")"
		[ "$(json_field records "$T/kout")" = "$want" ] ||
			fail "after SIGKILL: $out holds $(json_field records "$T/kout") records, not $want"
	fi
	local t
	for t in "$(dirname "$out")"/.*.tmp; do
		[ -e "$t" ] || continue
		if "$X" trace info --decode-only "$t" >/dev/null 2>&1; then
			fail "after SIGKILL: the temporary file $t reads as a valid trace"
		fi
		rm -f "$t"
	done
}

# kill_at SECONDS CMD... : starts CMD in its own process group, SIGKILLs
# it after SECONDS, then whatever it started (valgrind).
kill_at() {
	local secs=$1
	shift
	setsid "$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$secs"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	kill -KILL -- "-$pid" 2>/dev/null
	return 0
}

# duration CMD... : wall seconds (fractional) of a full run
duration() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

expect 0 "$X" trace convert --workload random --wl-opt size=64m,count=6M "$T/big.xlt"
K=$T/k
mkdir -p "$K"
dur=$(duration "$X" trace convert "$T/big.xlt" "$K/full.xlt")
rm -f "$K/full.xlt"
echo "convert of 6M records takes ${dur}s; killing it at 12 moments, twice"
for prev in "" "$T/ref/precious.xlt"; do
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		rm -f "$K/out.xlt"
		[ -n "$prev" ] && cp "$prev" "$K/out.xlt"
		at=$(awk -v d="$dur" -v i="$i" -v r="$RANDOM" 'BEGIN { printf "%.3f", d * (i - 0.5 + (r / 32768 - 0.5) * 0.8) / 12 }')
		kill_at "$at" "$X" trace convert "$T/big.xlt" "$K/out.xlt"
		check_killed "$K/out.xlt" "$prev" 6000000
	done
done
# The same for lackey text out of a workload.
dur=$(duration "$X" trace convert --workload random --wl-opt count=2M "$K/full.lackey")
rm -f "$K/full.lackey"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	cp "$T/ref/precious.lackey" "$K/out.lackey"
	at=$(awk -v d="$dur" -v i="$i" 'BEGIN { printf "%.3f", d * (i - 0.5) / 12 }')
	kill_at "$at" "$X" trace convert --workload random --wl-opt count=2M "$K/out.lackey"
	check_killed "$K/out.lackey" "$T/ref/precious.lackey" 2000000
done
# SIGTERM and SIGINT clean up their temporary file.
cp "$T/ref/precious.xlt" "$K/out.xlt"
"$X" trace convert "$T/big.xlt" "$K/out.xlt" >/dev/null 2>&1 &
pid=$!
sleep "$(awk -v d="$dur" 'BEGIN { printf "%.3f", d / 3 }')"
kill -TERM $pid 2>/dev/null
wait $pid
same "$K/out.xlt" "$T/ref/precious.xlt" "SIGTERM during convert"
no_temps "$K"

if [ $have_valgrind = 1 ]; then
	dur=$(duration "$X" trace record -o "$K/full.xlt" -- /bin/true)
	want=$("$X" trace info --json --decode-only "$K/full.xlt" | sed -n 's/.*"records":\([0-9]*\).*/\1/p')
	rm -f "$K/full.xlt"
	echo "record of /bin/true takes ${dur}s; killing it at 10 moments"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		cp "$T/ref/precious.xlt" "$K/out.xlt"
		at=$(awk -v d="$dur" -v i="$i" 'BEGIN { printf "%.3f", d * (i - 0.5) / 10 }')
		kill_at "$at" "$X" trace record -o "$K/out.xlt" -- /bin/true
		# A recording killed after its rename is complete; its record
		# count varies a little from run to run (the environment).
		if ! cmp -s "$K/out.xlt" "$T/ref/precious.xlt"; then
			"$X" trace info --decode-only "$K/out.xlt" >/dev/null 2>"$T/kerr" ||
				fail "record killed at ${at}s left an invalid file: $(cat "$T/kerr")"
			cp "$T/ref/precious.xlt" "$K/out.xlt"
		fi
		check_killed "$K/out.xlt" "$T/ref/precious.xlt" "$want"
	done
else
	skipped="$skipped record-under-SIGKILL"
fi

# ---- 4: full file systems ----
if [ "$(id -u)" = 0 ] && mkdir -p "$T/mnt" && mount -t tmpfs -o size=512k tmpfs "$T/mnt" 2>/dev/null; then
	MNT=$T/mnt
	cp "$T/ref/precious.xlt" "$MNT/out.xlt"
	expect 1 "$X" trace convert "$T/big.xlt" "$MNT/out.xlt"
	has "No space left on device"
	has "out.xlt"
	same "$MNT/out.xlt" "$T/ref/precious.xlt" "convert onto a full file system"
	no_temps "$MNT"
	expect 1 "$X" trace convert --workload random --wl-opt count=1M "$MNT/new.lackey"
	has "No space left on device"
	[ ! -e "$MNT/new.lackey" ] || fail "a failed write created new.lackey"
	no_temps "$MNT"
	umount "$MNT" && MNT=""
else
	echo "cannot mount a small tmpfs here (needs root): skipping the full-file-system part"
	skipped="$skipped tmpfs"
fi
expect 1 sh -c "'$X' trace convert '$T/r.xlt' - >/dev/full"
has "standard output: write failed: No space left on device"
expect 1 sh -c "'$X' trace info --json '$T/r.xlt' >/dev/full"
has "No space left on device"
expect 1 sh -c "'$X' trace convert --workload random --wl-opt count=10 '$T/x.xlt' >/dev/full"
[ -c /dev/full ] || fail "/dev/full is gone"

# ---- 5: hostile inputs, bounded memory ----
# 60 KB of lackey lines: 4 GiB accesses (refused on the first line), and
# 1 GiB ones at random addresses (the page sets stop at --max-regions).
# (Addresses as two hex parts: awk's %x stops at 32 bits.)
lines() {
	awk -v seed="$1" -v size="$2" 'BEGIN { srand(seed); for (i = 0; i < 2240; i++)
		printf " L %x%05x000,%s\n", int(rand() * 16384), int(rand() * 1048576), size }'
}
lines 1 4294967295 >"$T/h4g.lackey"
lines 2 1073741824 >"$T/h1g.lackey"
if (ulimit -v 600000 && "$X" trace --help >/dev/null 2>&1); then
	( ulimit -v 600000; exec "$X" trace info "$T/h4g.lackey" ) >"$T/out" 2>"$T/err"
	[ $? = 1 ] || fail "trace info of 4 GiB accesses: $(cat "$T/err")"
	has "h4g.lackey:1 (byte 0, record 0): bad size (decimal 1..1073741824"
	( ulimit -v 600000; exec "$X" trace info "$T/h1g.lackey" ) >"$T/out" 2>"$T/err"
	[ $? = 1 ] || fail "trace info of 1 GiB accesses: $(cat "$T/err")"
	has "distinct 2 MiB regions touched; raise --max-regions"
	( ulimit -v 600000; exec "$X" trace info --max-regions 1000 "$T/h1g.lackey" ) >"$T/out" 2>"$T/err"
	[ $? = 1 ] || fail "--max-regions 1000: $(cat "$T/err")"
	has "more than 1,000 distinct 2 MiB regions"
	( ulimit -v 600000; exec "$X" trace info --decode-only --json "$T/h1g.lackey" ) >"$T/out" 2>"$T/err"
	[ $? = 0 ] || fail "--decode-only of 1 GiB accesses: $(cat "$T/err")"
	[ "$(json_field records "$T/out")" = 2240 ] || fail "--decode-only records: $(cat "$T/out")"
	# 65,535 address spaces: a lookup per record, not a scan.
	expect 0 "$X" trace convert --workload forkbench --wl-opt procs=65534,size=4k,count=400k "$T/sw.xlt"
	( ulimit -v 600000; exec "$X" trace info --json "$T/sw.xlt" ) >"$T/out" 2>"$T/err"
	[ $? = 0 ] || fail "trace info of 65,535 address spaces: $(cat "$T/err")"
	[ "$(json_field address_spaces "$T/out")" = 65535 ] || fail "address spaces: $(cat "$T/out")"
else
	echo "ulimit -v does not fit this build (a sanitizer's shadow memory?): skipping the memory bounds"
	skipped="$skipped ulimit"
fi

# Small and damaged inputs: one clear line, never read as something else.
: >"$T/empty.xlt"
expect 1 "$X" trace info "$T/empty.xlt"
has "empty trace (0 bytes)"
: >"$T/empty"
expect 1 "$X" trace info "$T/empty"
printf 'XLT' >"$T/three"
expect 1 "$X" trace info "$T/three"
has "truncated .xlt header (3 of 24 bytes)"
grep -q ChampSim "$T/err" && fail "a cut .xlt gets a ChampSim hint: $(cat "$T/err")"
head -c 5000 "$T/r.xlt" | sed 's/^XLT/XLU/' >"$T/damaged.xlt"
expect 1 "$X" trace info "$T/damaged.xlt"
has "bad magic"
expect 1 "$X" trace info --format champsim "$T/r.lackey"
has "does not look like a ChampSim trace"
has "looks like text"

# ---- 8: arguments ----
expect 0 "$X" trace info "$T/r.xlt" --json
[ "$(json_field records "$T/out")" = 20000 ] || fail "info FILE --json: $(cat "$T/out")"
expect 0 "$X" trace info "$T/r.xlt" -n 1234 --json
[ "$(json_field records "$T/out")" = 1234 ] || fail "info -n: $(cat "$T/out")"
expect 0 "$X" trace convert "$T/r.xlt" "$T/n.xlt" -n 99 --json
[ "$(json_field records "$T/out")" = 99 ] || fail "convert IN OUT -n: $(cat "$T/out")"
expect 2 "$X" trace info --to xlt "$T/r.xlt"
has "info --to: info writes no trace"
expect 2 "$X" trace info --valgrind v "$T/r.xlt"
expect 2 "$X" trace convert --decode-only "$T/r.xlt" "$T/n.xlt"
has "only info counts pages"
expect 2 "$X" trace convert -o "$T/n.xlt" "$T/r.xlt"
expect 2 "$X" trace record --format lackey -- true
has "record reads valgrind's lackey output"
expect 2 "$X" trace record --workload random -- true
expect 2 "$X" trace record -o - -- true
has "the command's own output goes to standard output"
expect 2 "$X" trace info "$T/r.xlt" "$T/r.lackey"
has "an extra operand"
expect 2 "$X" trace info --max-regions 0 "$T/r.xlt"
has "--max-regions 0"
expect 2 "$X" trace info --workload random --format xlt
expect 2 "$X" trace convert --json "$T/r.xlt" -
# Every option in a usage line is explained in --help.
expect 0 "$X" trace --help
for opt in $(grep '^ *\(usage: \)\{0,1\}xlat trace' "$T/out" | grep -o -- '--[a-z-]*\|-[a-z]\b' | sort -u); do
	[ "$opt" = "--" ] && continue
	grep -q -- "^  \(-[a-z], \)\{0,1\}$opt\b\|, $opt\b\|^  $opt[ ,]" "$T/out" ||
		fail "trace --help does not explain $opt"
done

[ $fails = 0 ] || exit 1
if [ -n "$skipped" ]; then
	echo "cli_safety: all run checks passed; skipped:$skipped"
	[ $have_valgrind = 0 ] && { echo "valgrind not found: the record checks were skipped"; exit 77; }
fi
echo "cli_safety: all checks passed"
