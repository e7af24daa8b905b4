#!/bin/sh
test_description='git dc merge survives SIGKILL at every step of its commit

A merge writes objects, then a journal, then moves the branch by
compare-and-swap, then writes the work tree and the index, then drops the
journal. Killed at any of those points, running the same command again
must give the result of an uninterrupted run: the same canonical bytes,
a clean work tree and index, a consistent repository.'
. "$(dirname "$0")/lib-dc.sh"

write_deltas () {
	mkdir -p state/stream_deltas &&
	for s in s1 s2 s3
	do
		dc_delta_json 1 $s "2026-03-28T03:00:0${s#s}Z" \
			"\"events\": [{\"by\": \"$s\", \"n\": 1}, {\"by\": \"$s\", \"n\": 2}]" \
			>state/stream_deltas/frame-1-$s.json || return 1
	done &&
	dc_delta_json 2 s1 2026-03-28T03:01:00Z '"events": [{"by": "s1", "n": 3}]' \
		>state/stream_deltas/frame-2-s1.json &&
	git add state/stream_deltas &&
	test_tick &&
	git commit -q -m "deltas of frames 1 and 2"
}

test_expect_success 'set up a repository with deltas, and a reference run' '
	dc_repo base &&
	(cd base && write_deltas) &&
	git clone -q base reference &&
	(
		cd reference &&
		git dc merge >out &&
		grep "^Merged frame 2: 4 deltas applied" out &&
		git ls-tree -r HEAD state .dc >../expected-tree
	)
'

for point in blobs journal ref worktree
do
	test_expect_success "killed at '$point': the next run finishes the merge" "
		rm -rf crash-$point &&
		git clone -q base crash-$point &&
		(
			cd crash-$point &&
			before=\$(git rev-parse HEAD) &&
			test_expect_code 137 env DC_CRASH_AT=$point git dc merge &&
			git dc merge &&
			git ls-tree -r HEAD state .dc >../actual-tree-$point &&
			test_cmp ../expected-tree ../actual-tree-$point &&
			test \$(git rev-list --count \$before..HEAD) = 1 &&
			git status --porcelain >../status-$point &&
			test_must_be_empty ../status-$point &&
			test ! -e .git/dc-merge.journal &&
			git fsck --no-progress --strict &&
			git dc merge >../again-$point &&
			grep '^Nothing to merge: frame 2 is up to date' ../again-$point
		)
	"
done

test_expect_success 'killed after the branch moved: the work tree already matches after recovery' '
	rm -rf crash-wt &&
	git clone -q base crash-wt &&
	(
		cd crash-wt &&
		test_expect_code 137 env DC_CRASH_AT=ref git dc merge &&
		test -e .git/dc-merge.journal &&
		git dc merge >../out-wt &&
		grep "^Nothing to merge" ../out-wt &&
		git diff --exit-code HEAD &&
		test ! -e .git/dc-merge.journal
	)
'

test_expect_success 'git dc delta killed after its commit: the re-run repairs work tree and index' '
	rm -rf crash-delta &&
	git clone -q base crash-delta &&
	(
		cd crash-delta &&
		echo "{\"events\": [{\"n\": 9}]}" >../in.json &&
		test_expect_code 137 env DC_CRASH_AT=worktree \
			git dc delta --frame 3 --stream s9 --utc 2026-03-28T03:03:00Z ../in.json &&
		git dc delta --frame 3 --stream s9 --utc 2026-03-28T03:03:00Z ../in.json >../out &&
		grep "^Already committed: state/stream_deltas/frame-3-s9.json" ../out &&
		git status --porcelain >../status-delta &&
		test_must_be_empty ../status-delta
	)
'

test_expect_success 'a merge refuses while another holds the lock, and changes nothing' '
	rm -rf locked &&
	git clone -q base locked &&
	(
		cd locked &&
		dc_snapshot locked &&
		flock .git/dc-merge.lock -c "git dc merge 2>../err; echo \$? >../code" &&
		test "$(cat ../code)" = 1 &&
		grep "^error: another git dc merge is running in this repository; nothing was changed" ../err &&
		dc_unchanged locked
	)
'

test_done
