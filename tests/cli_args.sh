#!/bin/bash
# The command line of sim, walk, ptsize and demo, as a whole:
#  - every option a command accepts (its getopt table) is in its --help;
#  - every option in a usage line is explained below it in --help;
#  - every option named in a message (each string literal of the command's
#    source and its study's, and what bad invocations actually print)
#    exists in that command's --help;
#  - a write error on standard output fails every command with one line.
set -u
XLAT=${XLAT_BIN:?XLAT_BIN must name the xlat command}
SRC=${XLAT_SRC:-$(dirname "$0")/..}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

cmds="sim walk ptsize demo"
for c in $cmds; do
	"$XLAT" "$c" --help >"$tmp/$c.help" 2>&1 || fail "$c --help: exit $?"
done

# Messages of bad invocations, per command (one line each is checked by the
# commands' own tests; here only the options they name).
msgs() {
	local c=$1
	shift
	"$XLAT" "$c" "$@" >/dev/null 2>>"$tmp/$c.msgs"
}
for a in "" "--workload nosuch" "--workload random --trace x" "--workload random --cpu-param nosuch=1" \
	"--workload random --tlb 64x3" "--workload random --itlb 64,shared --tlb 64" \
	"--workload random --no-fetch --itlb 64" "--workload random --guest-ram 1g" \
	"--workload random --mode nested --host-ram 1g" "--workload random --mode nested --guest-ram 4k" \
	"--workload random --mode shadow --ept-ad" "--workload random --mode nested --no-unsync" \
	"--workload random --warmup 0" "--workload random --limit 0" "--workload random --json --csv" \
	"--workload random --format xlt" "--list-cpus --mode nested" "--list-params --workload seq" \
	"--workload random --size 1g --count 100k --host-ram 4m" \
	"--workload random --size 1g --count 100k --mode nested --guest-ram 4m" \
	"--workload random --size 1m --wl-opt nosuch=1" "--bogus" "--mode" "a b"; do
	# shellcheck disable=SC2086  # word lists
	msgs sim $a
done
for a in "--host-page 2m" "--write --fetch" "--explain --json" "--json --csv" "--bogus" "--va" \
	"1 2" "--levels 3" "--guest-page 3k"; do
	# shellcheck disable=SC2086
	msgs walk $a
done
for a in "" "--map 64M --max-tables 0" "--pid 1 --levels 5" "--all --page 2m" "--map 64M --no-scan" \
	"--map 4k --pid 1" "--at 4k" "--map 2T" "--bogus" "--map" "--map 4k x"; do
	# shellcheck disable=SC2086
	msgs ptsize $a
done
for a in "x" "--bogus"; do
	msgs demo $a
done

python3 - "$tmp" "$SRC" $cmds <<'PY' || fails=$((fails + 1))
import os, re, sys

tmp, src, cmds = sys.argv[1], sys.argv[2], sys.argv[3:]
# The source files whose messages a command prints (its own file and the
# studies behind it).
sources = {
    "sim": ["cli/cmd_sim.c", "src/studies/sim.c", "src/hardware/cpu_presets.c"],
    "walk": ["cli/cmd_walk.c", "src/studies/explain.c"],
    "ptsize": ["cli/cmd_ptsize.c", "src/studies/ptsize.c", "src/studies/ptsize_linux.c"],
    "demo": ["cli/cmd_demo.c"],
}
OPT = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")
bad = 0

def fail(msg):
    global bad
    print(f"FAIL: {msg}", file=sys.stderr)
    bad += 1

def literals(path):
    """String literals outside comments (C strings on their lines)."""
    text = open(os.path.join(src, path), encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.findall(r'"((?:[^"\\\n]|\\.)*)"', text)

helps = {c: set(OPT.findall(open(os.path.join(tmp, c + ".help"), encoding="utf-8").read()))
         for c in cmds}

def named(cmd, text):
    """(command, option) for each option text names. Quoted user input
    ('--bogus') names nothing; an option after "xlat OTHER" is OTHER's."""
    text = re.sub(r"'[^']*'", "''", text.replace("\\n", "\n"))
    out = []
    owner = cmd
    for m in re.finditer(r"xlat (\w+)|(?<![\w-])--([a-z][a-z0-9-]*)", text):
        if m.group(1):
            owner = m.group(1) if m.group(1) in helps else owner
        else:
            out.append((owner, m.group(2)))
    return out

for c in cmds:
    help_text = open(os.path.join(tmp, c + ".help"), encoding="utf-8").read()
    in_help = set(OPT.findall(help_text))
    # Usage lines: from the first line to the first empty line.
    usage, _, rest = help_text.partition("\n\n")
    explained = set()
    for line in rest.splitlines():
        # An explanation line starts with its options: "  --a X, --b  text".
        m = re.match(r"\s+((?:-\w, )?--[a-z][\w-]*(?:[^\s,]*| [A-Z.=,|\[\]]+)*(?:, (?:-\w|--[a-z][\w-]*)[^\s,]*(?: [A-Z.=,|]+)?)*)", line)
        if m:
            explained |= set(OPT.findall(m.group(1)))
        # "TRACE, --trace FILE": an operand and its option.
        m = re.match(r"\s+[A-Z]+, (--[a-z][\w-]*)", line)
        if m:
            explained |= set(OPT.findall(m.group(1)))
    for o in sorted(set(OPT.findall(usage))):
        if o not in explained:
            fail(f"{c}: --{o} is in the usage lines but no help line explains it")
    # Every option of the getopt table.
    table = set()
    for path in sources[c][:1]:
        table |= set(re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:no|required|optional)_argument',
                                open(os.path.join(src, path), encoding="utf-8").read()))
    for o in sorted(table):
        if o not in in_help:
            fail(f"{c}: accepts --{o} but --help does not name it")
    # Every option a message names: in the sources' strings ...
    for path in sources[c]:
        for lit in literals(path):
            for owner, o in named(c, lit):
                if o not in helps[owner]:
                    fail(f"{c}: {path} names --{o} in \"{lit[:70]}\", not in `xlat {owner} --help`")
    # ... and in what bad invocations printed.
    path = os.path.join(tmp, c + ".msgs")
    if os.path.exists(path):
        lines = open(path, encoding="utf-8").read().splitlines()
        if c != "demo" and len(lines) < 5:
            fail(f"{c}: only {len(lines)} messages collected")
        for line in lines:
            if not line.startswith(f"xlat {c}: "):
                fail(f"{c}: message without its prefix: {line}")
            for owner, o in named(c, line[len(f"xlat {c}: "):]):
                if o not in helps[owner]:
                    fail(f"{c}: message names --{o}, not in `xlat {owner} --help`: {line}")
sys.exit(1 if bad else 0)
PY

# A write error on standard output: a non-zero exit and one line saying so.
for args in "sim --workload seq --count 1000 --json" "sim --workload seq --count 1000" \
	"sim --workload seq --count 1000 --csv" "walk --json" "walk" "ptsize --map 64M --csv" \
	"ptsize --layout process" "demo" "sim --help" "sim --list-cpus"; do
	# shellcheck disable=SC2086  # word lists
	"$XLAT" $args >/dev/full 2>"$tmp/err"
	rc=$?
	[ "$rc" != 0 ] || fail "$args >/dev/full: exit 0"
	grep -q "^xlat [a-z]*: writing standard output: No space left on device$" "$tmp/err" ||
		fail "$args >/dev/full: message '$(cat "$tmp/err")'"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$args >/dev/full: not one line: $(cat "$tmp/err")"
done

[ "$fails" = 0 ] && echo "cli_args: all passed"
exit $((fails > 0))
