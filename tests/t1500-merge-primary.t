#!/bin/sh
test_description='git dc merge as the primary: stream tips, --fetch, --push, races

Workers push deltas to refs/heads/dc/streams/<id>; the primary takes the
new tips in (their commits become parents of the merge commit), folds,
and moves the shared branch by compare-and-swap. Two primaries never both
win: the loser folds again on the winner commit.'
. "$(dirname "$0")/lib-dc.sh"

# worker <name> <frame>: write, commit and push one delta of stream <name>
worker () {
	(
		cd "w-$1" &&
		printf '{"events": [{"by": "%s", "frame": %s}]}\n' "$1" "$2" >in.json &&
		git dc delta --frame "$2" --utc "2026-01-01T00:0$2:00Z" in.json >/dev/null &&
		rm in.json &&
		git push -q origin HEAD:refs/heads/dc/streams/"$1"
	)
}

test_expect_success 'set up a shared bare repository, a primary and three workers' '
	git init -q --bare shared.git &&
	git clone -q shared.git p1 2>/dev/null &&
	(
		cd p1 &&
		test_commit first README "a fleet" &&
		git dc init >/dev/null &&
		git push -q origin main
	) &&
	for s in s1 s2 s3
	do
		git clone -q shared.git w-$s &&
		git -C w-$s checkout -q -b dc/streams/$s || return 1
	done &&
	worker s1 1 && worker s2 1 && worker s3 1
'

test_expect_success '--fetch --push takes every stream tip in as a parent and pushes' '
	(
		cd p1 &&
		git dc merge --frame 1 --fetch --push >../out &&
		grep "^Merged frame 1: 3 deltas applied" ../out &&
		grep "^Took in 3 streams" ../out &&
		test $(git rev-list --parents -1 HEAD | wc -w) = 5 &&
		git log -1 --format=%B >../msg &&
		grep "refs/remotes/origin/dc/streams/s2" ../msg &&
		test "$(git rev-parse HEAD)" = "$(git -C ../shared.git rev-parse main)" &&
		git dc check HEAD &&
		git status --porcelain >../status &&
		test_must_be_empty ../status
	)
'

test_expect_success 'a second run has nothing to take in and makes no commit' '
	(
		cd p1 &&
		before=$(git rev-parse HEAD) &&
		git dc merge --frame 1 --fetch --push >../out &&
		grep "^Nothing to merge: frame 1 is up to date" ../out &&
		test "$(git rev-parse HEAD)" = "$before"
	)
'

test_expect_success 'deltas of a later frame come in with their tip and wait in the tree' '
	worker s1 2 &&
	(
		cd p1 &&
		git dc merge --frame 1 --fetch --push --json >../out.json &&
		jq -e ".commit != null and (.streams | length) == 1 and (.applied | length) == 0" \
			../out.json &&
		git cat-file -e HEAD:state/stream_deltas/frame-2-s1.json &&
		jq -e ".frame == 1" .dc/head.json &&
		git dc merge --frame 2 --fetch --push >../out &&
		grep "^Merged frame 2: 1 delta applied" ../out
	)
'

test_expect_success '--streams in the shared bare repository takes the local stream refs' '
	worker s2 3 &&
	git -C shared.git dc merge --frame 3 --streams >out &&
	grep "^Merged frame 3: 1 delta applied" out &&
	grep "^Took in 1 stream" out &&
	git -C shared.git dc check main
'

test_expect_success 'a stream tip that rewrites a merged delta is left out and reported' '
	git clone -q shared.git bad &&
	(
		cd bad &&
		git checkout -q -b dc/streams/s1 origin/dc/streams/s1 &&
		printf "{\"frame\": 1, \"stream_id\": \"s1\", \"utc\": \"2026-01-01T00:01:00Z\", \"events\": [{\"by\": \"forged\"}]}\n" \
			>state/stream_deltas/frame-1-s1.json &&
		git commit -q -a --no-verify -m forged &&
		git push -q -f origin HEAD:refs/heads/dc/streams/s1
	) &&
	(
		cd p1 &&
		before=$(git rev-parse HEAD) &&
		git fetch -q origin &&
		git reset -q --hard origin/main &&
		git dc merge --fetch --push >../out &&
		grep "^skipped     refs/remotes/origin/dc/streams/s1: delta .state/stream_deltas/frame-1-s1.json. is there with other bytes; deltas are immutable" ../out &&
		git show HEAD:state/stream_deltas/frame-1-s1.json >../kept &&
		! grep forged ../kept
	) &&
	git -C w-s1 push -q -f origin HEAD:refs/heads/dc/streams/s1
'

test_expect_success 'two primaries racing: the loser folds again on the winner and converges' '
	git clone -q shared.git p2 &&
	worker s3 4 &&
	write_script p2/.git/hooks/pre-push <<-\EOF &&
	# the other primary moves the branch between our fetch and our push, once
	if ! test -e ../raced
	then
		touch ../raced
		git -C ../p1 dc merge --frame 4 --fetch --push >../p1.out 2>&1
	fi
	exit 0
	EOF
	(
		cd p2 &&
		git dc merge --frame 4 --fetch --push >../p2.out &&
		grep "^Lost 1 race to another primary; folded again on its commit" ../p2.out
	) &&
	grep "^Pushed" p1.out &&
	test "$(git -C p2 rev-parse HEAD)" = "$(git -C shared.git rev-parse main)" &&
	test "$(git -C p1 rev-parse HEAD)" = "$(git -C shared.git rev-parse main)" &&
	git -C shared.git log --format=%s main >log &&
	test $(grep -c "^dc: merge frame 4" log) = 1
'

test_expect_success 'a primary branch holding other commits is refused, nothing changed' '
	worker s1 5 &&
	(
		cd p2 &&
		rm .git/hooks/pre-push &&
		test_commit local-note NOTE "not a merge" &&
		git -C ../p1 dc merge --frame 5 --fetch --push >/dev/null &&
		git fetch -q origin &&
		dc_snapshot refused &&
		test_expect_code 1 git dc merge --frame 5 --fetch --push 2>../err &&
		grep "^error: .refs/heads/main. has commits the remote.s .main. lacks that are not dc merges; nothing was changed" ../err &&
		dc_unchanged refused
	)
'

test_expect_success 'a primary that keeps losing gives up after 5 attempts, its merge kept locally' '
	rm -f raced-count &&
	git clone -q shared.git p3 &&
	worker s2 6 &&
	write_script p3/.git/hooks/pre-push <<-\EOF &&
	# every push, another primary wins with a fresh delta first
	n=$(cat ../raced-count 2>/dev/null || echo 0)
	n=$((n + 1))
	echo $n >../raced-count
	(
		cd ../w-s3 &&
		printf "{\"events\": [{\"race\": $n}]}\n" >in.json &&
		git dc delta --frame $((10 + n)) --utc 2026-01-01T01:00:00Z in.json >/dev/null &&
		rm in.json &&
		git push -q origin HEAD:refs/heads/dc/streams/s3
	) &&
	git -C ../p1 dc merge --fetch --push >/dev/null 2>&1 &&
	(
		# and a delta that only the next attempt of this primary sees
		cd ../w-s2 &&
		printf "{\"events\": [{\"late\": $n}]}\n" >in.json &&
		git dc delta --frame $((20 + n)) --utc 2026-01-01T02:00:00Z in.json >/dev/null &&
		rm in.json &&
		git push -q origin HEAD:refs/heads/dc/streams/s2
	)
	exit 0
	EOF
	(
		cd p3 &&
		test_expect_code 1 git dc merge --frame 6 --fetch --push >../out 2>../err &&
		grep "^error: the remote.s .main. kept moving: 5 pushes lost the race; the merge is committed locally only" ../err &&
		grep "^hint: run the command again" ../err &&
		test "$(cat ../raced-count)" = 5 &&
		git merge-base --is-ancestor origin/main HEAD &&
		test "$(git -C ../shared.git rev-parse main)" = "$(git -C ../p1 rev-parse HEAD)"
	)
'

test_expect_success 'HEAD on a ref that is not a branch is refused, nothing changed' '
	(
		cd p1 &&
		git update-ref refs/dc/elsewhere HEAD &&
		git symbolic-ref HEAD refs/dc/elsewhere &&
		dc_snapshot not-a-branch &&
		test_expect_code 1 git dc merge --streams 2>../err &&
		grep "^error: HEAD points at .refs/dc/elsewhere., not a branch" ../err &&
		dc_unchanged not-a-branch &&
		git symbolic-ref HEAD refs/heads/main &&
		git update-ref -d refs/dc/elsewhere
	)
'

test_expect_success 'usage: --push needs --fetch, --streams excludes --fetch' '
	test_expect_code 129 git -C p1 dc merge --push 2>err &&
	grep "^error: --push needs --fetch" err &&
	test_expect_code 129 git -C p1 dc merge --streams --fetch 2>err &&
	grep "^error: --streams and --fetch cannot be used together" err
'

test_done
