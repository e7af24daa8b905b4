#!/bin/sh
test_description='git dc sync: up to date without autostash

It refuses when a canonical file, .dc/ or a delta has uncommitted changes,
fetches, fast-forwards, rebases (or with --merge merges) without
autostash, aborts what stops on a conflict so nothing changes, and reports
what it brought in.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas

test_expect_success 'setup: a shared repository, a primary and a worker' '
	git init -q --bare up.git &&
	git clone -q up.git primary 2>/dev/null &&
	(
		cd primary &&
		test_commit first README "shared" &&
		test_tick &&
		git dc init >/dev/null &&
		git config dc.stream p &&
		dc_delta_json 1 p 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" | git dc delta >/dev/null &&
		git dc merge -q >/dev/null &&
		git push -q origin main
	) &&
	git clone -q up.git worker &&
	git -C worker dc init >/dev/null &&
	git -C worker config dc.stream w
'

# frame <n>: the primary merges frame <n> (two deltas) and pushes
frame () {
	(
		cd primary &&
		dc_delta_json $1 p 2026-03-28T03:0$1:00Z "\"events\": [{\"n\": $1}]" | git dc delta >/dev/null &&
		dc_delta_json $1 q 2026-03-28T03:0$1:01Z "\"events\": [{\"q\": $1}]" | git dc delta >/dev/null &&
		git dc merge -q >/dev/null &&
		git push -q origin main
	)
}

test_expect_success 'up to date: nothing to do' '
	(
		cd worker &&
		git dc sync >../out &&
		echo "Already up to date with '"'"'main'"'"' of '"'"'origin'"'"'" >../expect &&
		test_cmp ../expect ../out
	)
'

test_expect_success 'fast-forward: reports the commits, the new deltas and the frame' '
	frame 2 &&
	(
		cd worker &&
		git dc sync >../out &&
		echo "Synced with '"'"'main'"'"' of '"'"'origin'"'"' (fast-forward): 3 commits, 2 new deltas, merged frame 1 -> 2: $(git rev-parse --short=12 HEAD)" >../expect &&
		test_cmp ../expect ../out &&
		test "$(git rev-parse HEAD)" = "$(git -C ../up.git rev-parse main)"
	)
'

test_expect_success 'uncommitted changes to a canonical file, .dc/ or a delta: refused, nothing changed' '
	frame 3 &&
	(
		cd worker &&
		sed -i "s/\"n\": 1\$/\"n\": 100/" state/events.json &&
		echo "x" >>.dc/head.json &&
		git add .dc/head.json &&
		echo " " >>$D/frame-1-p.json &&
		dc_snapshot worker &&
		test_expect_code 1 git dc sync >../out 2>../err &&
		test_must_be_empty ../out &&
		cat >../expect <<-EOF &&
		error: uncommitted changes to files the protocol protects: '"'"'.dc/head.json'"'"', '"'"'state/events.json'"'"', '"'"'$D/frame-1-p.json'"'"'
		hint: canonical files are written only by '"'"'git dc merge'"'"', and committed deltas never change: record the change as a delta with '"'"'git dc delta'"'"'
		hint: then put the files back with '"'"'git checkout HEAD -- <file>'"'"' (git dc sync never stashes them)
		EOF
		test_cmp ../expect ../err &&
		dc_unchanged worker &&
		git stash list >../stashes &&
		test_must_be_empty ../stashes &&
		git reset -q --hard
	)
'

test_expect_success 'other uncommitted changes stay where they are through a fast-forward' '
	(
		cd worker &&
		echo "my notes" >>README &&
		git dc sync --json >../out &&
		jq -e ".mode == \"fast-forward\" and .commits == 3 and .frame_before == 2 and .frame == 3 and (.deltas | length) == 2" ../out &&
		grep "my notes" README &&
		git diff --name-only >../changed &&
		echo README >../expect &&
		test_cmp ../expect ../changed &&
		git checkout -q README
	)
'

test_expect_success 'diverged: local deltas are rebased onto what came in, without autostash' '
	frame 4 &&
	(
		cd worker &&
		dc_delta_json 9 w 2026-03-28T04:00:00Z "\"events\": [{\"w\": 9}]" | git dc delta >/dev/null &&
		mine=$(git rev-parse HEAD) &&
		git dc sync >../out &&
		grep "^Synced with '"'"'main'"'"' of '"'"'origin'"'"' (rebase): 3 commits, 2 new deltas, merged frame 3 -> 4: " ../out &&
		test "$(git rev-parse HEAD^)" = "$(git -C ../up.git rev-parse main)" &&
		git cat-file -e HEAD:$D/frame-9-w.json &&
		test "$(git rev-parse HEAD)" != "$mine"
	)
'

test_expect_success 'a rebase with other uncommitted changes is refused (never autostashed)' '
	frame 5 &&
	(
		cd worker &&
		echo "my notes" >>README &&
		git fetch -q origin &&
		dc_snapshot worker &&
		test_expect_code 1 git dc sync 2>../err &&
		grep "^error: cannot rebase onto '"'"'main'"'"' of '"'"'origin'"'"': the work tree has uncommitted changes\$" ../err &&
		grep "^hint: .*git dc sync never autostashes.*'"'"'git dc sync --merge'"'"'" ../err &&
		dc_unchanged worker
	)
'

test_expect_success '--merge: diverged histories merged, other uncommitted changes kept' '
	(
		cd worker &&
		git dc sync --merge >../out &&
		grep "^Synced with '"'"'main'"'"' of '"'"'origin'"'"' (merge): " ../out &&
		test "$(git rev-parse HEAD^2)" = "$(git -C ../up.git rev-parse main)" &&
		grep "my notes" README &&
		git checkout -q README &&
		git log -1 --format=%s >../subject &&
		echo "Merge branch '"'"'main'"'"' of origin" >../expect &&
		test_cmp ../expect ../subject
	)
'

test_expect_success 'a rebase that stops on a conflict is aborted: nothing changed' '
	(
		cd primary &&
		git pull -q &&
		echo "primary" >other.txt &&
		git add other.txt &&
		git commit -q -m "other: primary" &&
		git push -q origin main
	) &&
	(
		cd worker &&
		echo "worker" >other.txt &&
		git add other.txt &&
		git commit -q -m "other: worker" &&
		git fetch -q origin &&
		dc_snapshot worker &&
		test_expect_code 1 git dc sync 2>../err &&
		grep "^error: cannot rebase onto '"'"'main'"'"' of '"'"'origin'"'"' (nothing was changed): CONFLICT (add/add): Merge conflict in other.txt\$" ../err &&
		grep "^hint: '"'"'git dc sync --merge'"'"' merges instead\$" ../err &&
		dc_unchanged worker &&
		! test -d "$(git rev-parse --git-path rebase-merge)"
	)
'

test_expect_success 'no upstream: refused with a hint; an explicit remote and branch work' '
	(
		cd worker &&
		git checkout -q -b loose &&
		test_expect_code 1 git dc sync 2>../err &&
		grep "^error: the branch '"'"'loose'"'"' has no upstream\$" ../err &&
		git reset -q --hard origin/main~1 &&
		git dc sync origin main >../out &&
		grep "(fast-forward)" ../out &&
		test "$(git rev-parse HEAD)" = "$(git rev-parse origin/main)"
	)
'

test_expect_success 'a fetch that fails is fatal (128); usage errors exit 129' '
	(
		cd worker &&
		test_expect_code 128 git dc sync origin no-such-branch 2>../err &&
		grep "^fatal: cannot fetch '"'"'no-such-branch'"'"' from '"'"'origin'"'"'" ../err &&
		test_expect_code 129 git dc sync a b c 2>../err &&
		grep "^usage: git dc sync" ../err
	)
'

test_done
