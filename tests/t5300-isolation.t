#!/bin/sh
test_description='worktree isolation: a worker editing a canonical file is refused locally and at the remote

The shared repository is served by git daemon on 127.0.0.1 with the server
side of git-dc (pre-receive, from git dc init --server): over git:// a
client cannot skip it, as it can over file://. The fleet clone has the
client hooks (git dc init); each refusal is tried with the layer before it
skipped, and must leave the remote as it was.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
SQ="'"

# start_daemon: serve the trash directory's shared.git on a free port of
# 127.0.0.1; $url names it. The daemon dies after 5 minutes at most, and is
# stopped by the last test.
start_daemon () {
	git_daemon=$(git --exec-path)/git-daemon &&
	tries=0 &&
	while test $tries -lt 20
	do
		tries=$((tries + 1))
		port=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
		timeout 300 "$git_daemon" --listen=127.0.0.1 --port=$port --reuseaddr \
			--base-path="$TRASH_DIRECTORY" --export-all --enable=receive-pack \
			--informative-errors "$TRASH_DIRECTORY/shared.git" 2>daemon.err &
		daemon_pid=$!
		url=git://127.0.0.1:$port/shared.git
		n=0
		while test $n -lt 100
		do
			git ls-remote "$url" >/dev/null 2>&1 && return 0
			kill -0 $daemon_pid 2>/dev/null || break
			sleep 0.05
			n=$((n + 1))
		done
		kill $daemon_pid 2>/dev/null
		wait $daemon_pid 2>/dev/null
	done
	return 1
}

# remote_refs: the shared repository's refs, to prove nothing changed
remote_refs () {
	git -C "$TRASH_DIRECTORY/shared.git" for-each-ref
}

test_expect_success 'setup: the shared repository behind git daemon, its server hooks' '
	git init -q --bare shared.git &&
	git init -q primary &&
	(
		cd primary &&
		git remote add origin ../shared.git &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		git push -q origin main
	) &&
	git -C shared.git dc init --server >/dev/null &&
	test -x shared.git/hooks/pre-receive &&
	start_daemon
'

test_expect_success 'setup: a fleet clone with the client hooks, a worker worktree' '
	git clone -q "$url" fleet &&
	git -C fleet dc init >/dev/null &&
	test -x fleet/.git/hooks/pre-commit &&
	test -x fleet/.git/hooks/pre-push &&
	git -C fleet dc worktree add s1 ../w1 >/dev/null &&
	(
		cd w1 &&
		printf "{\"utc\": \"2026-03-28T03:00:00Z\", \"posts_created\": [{\"number\": 1, \"title\": \"hi\", \"author\": \"a\"}]}\n" |
		git dc delta --frame 1 >/dev/null &&
		git dc push >/dev/null
	) &&
	git -C shared.git cat-file -e dc/streams/s1:$D/frame-1-s1.json
'

test_expect_success 'the worker edits a canonical file: the commit is refused locally' '
	remote_refs >before &&
	(
		cd w1 &&
		head=$(git rev-parse HEAD) &&
		echo "{\"posts\": [{\"number\": 99, \"title\": \"forged\"}]}" >state/posted_log.json &&
		git add state/posted_log.json &&
		test_expect_code 1 git commit -q -m forged 2>../err &&
		test "$(git rev-parse HEAD)" = "$head"
	) &&
	grep "^error: git-dc${SQ}s pre-commit hook refused the commit (broken: canonical-edit" err &&
	remote_refs >after &&
	test_cmp before after
'

test_expect_success '... committed anyway (--no-verify): git dc push is refused by pre-push' '
	(
		cd w1 &&
		git commit -q --no-verify -m forged &&
		test_expect_code 1 git dc push 2>../err
	) &&
	grep "^error: the pre-push hook refused the push to ${SQ}refs/heads/dc/streams/s1${SQ}" err &&
	grep "^hint: .*canonical-edit" err &&
	remote_refs >after &&
	test_cmp before after
'

test_expect_success '... with the client hooks skipped: the remote refuses (pre-receive)' '
	(
		cd w1 &&
		test_expect_code 1 git -c core.hooksPath=/dev/null dc push 2>../err
	) &&
	grep "^error: ${SQ}origin${SQ} refused the push to ${SQ}refs/heads/dc/streams/s1${SQ} (pre-receive hook declined)" err &&
	grep "^hint: .*canonical" err &&
	remote_refs >after &&
	test_cmp before after
'

test_expect_success '... and so does a plain git push, to any branch' '
	(
		cd w1 &&
		test_must_fail git push --no-verify origin HEAD:refs/heads/dc/streams/s1 2>../err &&
		test_must_fail git push --no-verify origin HEAD:refs/heads/main 2>>../err
	) &&
	test $(grep -c "pre-receive hook declined" err) = 2 &&
	remote_refs >after &&
	test_cmp before after
'

test_expect_success 'a worker that edits a delta already pushed is refused at the remote too' '
	(
		cd w1 &&
		git reset -q --hard origin/dc/streams/s1 &&
		sed "s/hi/rewritten/" $D/frame-1-s1.json >tmp &&
		mv tmp $D/frame-1-s1.json &&
		git commit -q --no-verify -a -m "rewrite a delta" &&
		test_expect_code 1 git -c core.hooksPath=/dev/null dc push 2>../err
	) &&
	grep "^error: ${SQ}origin${SQ} refused the push to ${SQ}refs/heads/dc/streams/s1${SQ} (pre-receive hook declined)" err &&
	remote_refs >after &&
	test_cmp before after
'

test_expect_success 'the worker back on its deltas: the push goes through every layer' '
	(
		cd w1 &&
		git reset -q --hard origin/dc/streams/s1 &&
		printf "{\"utc\": \"2026-03-28T03:00:01Z\", \"observations\": [{\"n\": 2}]}\n" |
		git dc delta --frame 2 >/dev/null &&
		git dc push >../out
	) &&
	grep "^Pushed 1 delta of stream ${SQ}s1${SQ}" out &&
	git -C shared.git cat-file -e dc/streams/s1:$D/frame-2-s1.json
'

test_expect_success 'stop the daemon' '
	kill $daemon_pid &&
	wait $daemon_pid 2>/dev/null || :
'

test_done
