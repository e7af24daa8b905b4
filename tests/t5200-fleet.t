#!/bin/sh
test_description='the fleet under faults: 8 workers x 20 frames at once over git daemon

contrib/pump runs the whole fleet against git daemon on 127.0.0.1: 8
worker worktrees pushing to their own refs at the same time, some of them
killed (SIGKILL, their whole process group) while they commit and push and
then cleaned up with git dc worktree prune and run again, some deltas
written a frame late, and two primaries merging every frame at the same
time. The pump proves, with jq over what the workers wrote, that every
event is in the final state exactly once, that no canonical file holds a
conflict marker and that the state equals a replay of the log. This test
then checks the faults really happened and that the final tree is, byte
for byte, the one a serial run of the same deltas gives: one writer, one
delta at a time, one merge per frame.'
. "$(dirname "$0")/lib-dc.sh"

STREAMS=8
FRAMES=20
D=state/stream_deltas

test_expect_success 'the pump, with kills, late deltas and two racing primaries' '
	DC_PUMP_DIR="$TRASH_DIRECTORY/chaos" DC_PUMP_STREAMS=$STREAMS DC_PUMP_FRAMES=$FRAMES \
	DC_PUMP_KILL="2:3:15 3:2 5:5:40 7:7:80 9:1:150 12:4:250 15:8 17:6:400" \
	DC_PUMP_LATE="4:6 10:2 14:5" DC_PUMP_PRIMARIES=2 \
		"$DC_SOURCE_DIR/contrib/pump" >pump.out 2>pump.err ||
	{ cat pump.out pump.err; false; }
'

test_expect_success 'one line per frame, totals and the three proofs' '
	test $(grep -c "^frame  *[0-9]*/$FRAMES: " pump.out) = $FRAMES &&
	grep "^total: $FRAMES frames, $STREAMS streams, " pump.out &&
	grep "^proof: every event any worker wrote is in the state exactly once: " pump.out &&
	grep "^proof: zero conflict markers in the canonical files\$" pump.out &&
	grep "^proof: the final state equals a replay of the log " pump.out
'

test_expect_success 'the faults happened: workers killed mid-way, deltas merged late' '
	test $(wc -l <chaos/log/faults) = 8 &&
	grep -c "^killed " chaos/log/faults >killed &&
	test $(cat killed) -ge 1 &&
	for late in frame-4-w06 frame-10-w02 frame-14-w05
	do
		jq -s -e --arg p "$D/$late.json" "any(.[].late[]; .path == \$p)" \
			chaos/log/merge-*-*.json >/dev/null || {
			echo "$late was not merged late"; return 1
		}
	done &&
	jq -s "map(.lost_races) | add" chaos/log/merge-*-*.json >lost &&
	echo "# killed mid-way: $(cat killed) of 8; primary races lost: $(cat lost)"
'

test_expect_success 'no delta lost, none doubled: every worker and frame once in main' '
	git -C chaos/check ls-tree --name-only HEAD $D/ >deltas &&
	test $(wc -l <deltas) = $((STREAMS * FRAMES)) &&
	for i in $(seq 1 $STREAMS)
	do
		for f in $(seq 1 $FRAMES)
		do
			printf "%s/frame-%d-w%02d.json\n" $D $f $i
		done
	done | LC_ALL=C sort >expect &&
	LC_ALL=C sort deltas >actual &&
	test_cmp expect actual
'

test_expect_success 'a serial run of the same deltas gives the same final tree, byte for byte' '
	genesis=$(jq -r .genesis chaos/check/.dc/head.json) &&
	git clone -q --no-checkout chaos/check serial &&
	(
		cd serial &&
		git reset -q --hard "$genesis" &&
		for f in $(seq 1 $FRAMES)
		do
			for i in $(seq 1 $STREAMS)
			do
				w=$(printf "w%02d" $i) &&
				git dc delta --frame $f --stream $w \
					"$TRASH_DIRECTORY/chaos/written/frame-$f-$w.json" >/dev/null ||
				return 1
			done &&
			git dc merge -q --frame $f >/dev/null || return 1
		done
	) &&
	git -C serial rev-parse HEAD^{tree} >expect &&
	git -C chaos/check rev-parse HEAD^{tree} >actual &&
	test_cmp expect actual
'

test_done
