#!/bin/bash
# The cost of git-dc's hooks on `git commit`, in a repository holding
# 10,000 deltas (DC_BENCH_DELTAS to change it), against the same commit
# with no hook at all. Not a test: it prints figures and never fails on a
# slow machine. Run by `make bench-hooks` with the built bin/ on PATH.
#
#   baseline      git commit of an ordinary file, hooks off (core.hooksPath=/dev/null)
#   empty hook    the same with a pre-commit hook that only exits 0
#   fast path     git-dc's hooks, an ordinary file: no `git dc check`
#   check path    git-dc's hooks, a new delta committed by hand: `git dc check --index`
#   refused       git-dc's hooks, a canonical file edited by hand: the projection, refused
#
# Each figure is the median of DC_BENCH_RUNS runs (default 25), wall clock
# and CPU time, with the difference and the ratio to the baseline.
set -e
n=${DC_BENCH_DELTAS:-10000}
runs=${DC_BENCH_RUNS:-25}
dir=$(mktemp -d "${TMPDIR:-/tmp}/dc-bench-hooks.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for v in $(env | sed -n 's/^\(GIT_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export GIT_CONFIG_NOSYSTEM=1 HOME=$dir GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

cd "$dir"
git init -q -b main repo
cd repo
echo bench >README
git add README
git commit -q -m first
git dc init --preset minimal >/dev/null
mkdir -p state/stream_deltas
i=1
while test $i -le "$n"
do
	printf '{\n  "frame": %d,\n  "stream_id": "s%d",\n  "utc": "2026-03-28T03:00:00Z",\n  "events": [\n    {\n      "n": %d\n    }\n  ]\n}\n' \
		$(( (i + 99) / 100 )) $(( i % 100 )) $i >state/stream_deltas/frame-$(( (i + 99) / 100 ))-s$(( i % 100 )).json
	i=$((i + 1))
done
git add state
git commit -q --no-verify -m "$n deltas"
git dc merge -q >/dev/null
echo "repository: $(git ls-files | wc -l) files in the index, $(ls state/stream_deltas | wc -l) deltas, merged frame $(sed -n 's/^  "frame": \([0-9]*\),/\1/p' .dc/head.json)"

ordinary () { echo "$1" >>notes.txt; git add notes.txt; }
delta () {
	printf '{"frame": 999, "stream_id": "b%s", "utc": "2026-03-28T04:00:00Z", "events": []}\n' "$1" \
		>state/stream_deltas/frame-999-b$1.json
	git add state/stream_deltas/frame-999-b$1.json
}
canonical () {
	sed -i 's/"n": 1$/"n": -1/' state/events.json
	git add state/events.json
}
mkdir -p ../empty-hooks
printf '#!/bin/sh\nexit 0\n' >../empty-hooks/pre-commit
chmod +x ../empty-hooks/pre-commit

# one timed run: <variant> <run number> <prepare> <command...>. The
# variants take turns, so a busy machine slows them all alike. Besides the
# wall clock, the CPU time of the command and of everything it waited for
# (the hooks, and the git and git-dc they start), from the shell's
# `times`: a busy machine disturbs it less.
timed () {
	local name=$1 k=$2 prepare=$3 t0 t1 u0 s0 u1 s1
	shift 3
	$prepare "$k"
	times >../times.before
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || true
	t1=$EPOCHREALTIME
	times >../times.after
	{ read -r u0 s0; read -r u0 s0; } <../times.before
	{ read -r u1 s1; read -r u1 s1; } <../times.after
	echo "$name $t0 $t1 $u0 $s0 $u1 $s1" >>../times
	git reset -q --hard
}
for k in $(seq "$runs")
do
	timed baseline "$k" ordinary git -c core.hooksPath=/dev/null commit -q -m x
	timed empty "$k" ordinary git -c core.hooksPath="$dir/empty-hooks" commit -q -m x
	timed fast "$k" ordinary git commit -q -m x
	timed check "$k" delta git commit -q -m x
	timed refused "$k" canonical git commit -q -m x
	timed hook "$k" ordinary git-dc-hook pre-commit .git/hooks/pre-commit
	timed checkonly "c$k" delta git dc check --index
done

# median <variant> <wall|cpu>, in milliseconds
median () {
	awk -v name="$1" -v what="$2" '
	function sec(t,  p) { split(t, p, "m"); sub("s", "", p[2]); return p[1] * 60 + p[2] }
	$1 == name {
		printf "%.3f\n", (what == "wall" ? $3 - $2 : sec($6) + sec($7) - sec($4) - sec($5)) * 1000
	}' ../times | sort -n |
		awk '{ a[NR] = $1 } END { printf "%.2f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
report () {
	awk -v name="$1" -v w="$(median "$2" wall)" -v c="$(median "$2" cpu)" \
		-v bw="$(median baseline wall)" -v bc="$(median baseline cpu)" 'BEGIN {
		printf "%-12s %8.1f ms %+8.1f ms  x%-5.2f   %8.1f ms %+8.1f ms  x%.2f\n",
			name, w, w - bw, w / bw, c, c - bc, (bc > 0 ? c / bc : 0) }'
}
echo "median of $runs runs each      wall clock                    CPU (user+sys, with children)"
report baseline baseline
report "empty hook" empty
report "fast path" fast
report "check path" check
report refused refused
echo "alone: git-dc-hook pre-commit (fast path) $(median hook wall) ms wall, $(median hook cpu) ms CPU;" \
	"git dc check --index (a new delta) $(median checkonly wall) ms wall, $(median checkonly cpu) ms CPU"
