#!/bin/bash
# The progress line (cli/progress.c) of sim, gc and migrate: drawn on a
# terminal and erased at the end, never with --quiet, never where stderr is
# not a terminal. `script` (util-linux) gives the command a terminal.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
command -v script >/dev/null || { echo "skip: script (util-linux) is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

CR=$'\r'
# The first bytes of a file, control characters shown (^M, ^[).
show() { cat -v "$1" | head -c 200; }
CLEAR=$'\r\033[K'

# tty NAME ARGS...: runs xlat ARGS with stdout in $tmp/NAME.out and stderr
# on a terminal, whose bytes land in $tmp/NAME.tty.
tty() {
	local name=$1 cmd
	shift
	cmd=$(printf '%q ' "$XLAT" "$@")
	script -qec "$cmd >$(printf '%q' "$tmp/$name.out")" /dev/null >"$tmp/$name.tty" </dev/null ||
		fail "$name: exit $?"
}

sim=(sim --workload random --size 16m --count 200k --json)
gc=(gc --heap 64m --phase sweep --json)
mig=(migrate --mem 16m --size 8m --bandwidth 100M --guest-rate 5000 --json)

for c in sim gc mig; do
	declare -n args=$c
	tty "$c" "${args[@]}"
	t=$(cat "$tmp/$c.tty")
	case $c in
	mig) [[ $t == *"${CR}  t="*"pages to send"* ]] || fail "$c: no progress line on a terminal: $(show "$tmp/$c.tty")" ;;
	*) [[ $t == *"${CR}  [####################] 100%"* ]] ||
		fail "$c: no full bar on a terminal: $(show "$tmp/$c.tty")" ;;
	esac
	# Erased at the end: the result (or an error) starts on a clean line.
	[[ $t == *"$CLEAR" ]] || fail "$c: the line is not erased at the end: $(cat -v "$tmp/$c.tty" | tail -c 80)"
	grep -q '"' "$tmp/$c.out" || fail "$c: no JSON on stdout"

	tty "$c-quiet" "${args[@]}" --quiet
	[ -s "$tmp/$c-quiet.tty" ] && fail "$c --quiet: wrote to the terminal: $(show "$tmp/$c-quiet.tty")"

	"$XLAT" "${args[@]}" >/dev/null 2>"$tmp/$c.err" || fail "$c: exit $? without a terminal"
	[ -s "$tmp/$c.err" ] && fail "$c: progress on stderr that is not a terminal: $(show "$tmp/$c.err")"
	unset -n args
done

# A line wider than the terminal is cut short of its edge: one that wraps
# could not be rewritten in place.
cmd=$(printf '%q ' "$XLAT" "${sim[@]}")
script -qec "stty cols 20; $cmd >/dev/null" /dev/null >"$tmp/narrow.tty" </dev/null || fail "narrow: exit $?"
grep -q '\[####' "$tmp/narrow.tty" || fail "narrow: no bar: $(show "$tmp/narrow.tty")"
long=$(tr '\r' '\n' <"$tmp/narrow.tty" | sed 's/\x1b\[K//g' | awk 'length($0) > 19' | head -1)
[ -z "$long" ] && [ -s "$tmp/narrow.tty" ] || fail "narrow: a line wider than 19 columns: '$long'"

[ $fails = 0 ] || exit 1
echo "cli_progress: ok"
