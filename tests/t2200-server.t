#!/bin/sh
test_description='pre-push and pre-receive: the layers, and every way around pre-commit

A shared bare repository is served by git daemon on 127.0.0.1, so its
pre-receive hook runs as on a real server. Each way of getting a commit
past pre-commit is tried (commit --no-verify, rebase --continue,
cherry-pick, git stash, a clone without the hooks, core.hooksPath=/dev/null,
a forced push that drops a delta) and the test shows which layer stops
it: pre-push on the client, pre-receive on the server, which no client
setting skips.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas

test_expect_success 'setup: a shared bare repository with the server side, served by git daemon' '
	mkdir srv &&
	git init -q --bare srv/shared.git &&
	git -C srv/shared.git dc init --server >out 2>err &&
	echo "Installed the git-dc server side: the pre-receive hook in hooks, the merge driver'"'"'s configuration" >expect &&
	test_cmp expect out &&
	grep "^warning: info/attributes not written: HEAD holds no rules yet" err &&
	test -x srv/shared.git/hooks/pre-receive &&
	dc_start_daemon "$TRASH_DIRECTORY/srv" shared.git &&
	echo "$DC_DAEMON_URL" >url
'

URL () {
	echo "$(cat "$TRASH_DIRECTORY/url")/shared.git"
}

# remote_tip: the shared main
remote_tip () {
	git -C "$TRASH_DIRECTORY/srv/shared.git" rev-parse main
}

test_expect_success 'the primary pushes genesis and merged frames: pre-push and pre-receive pass them' '
	git clone -q "$(URL)" primary 2>/dev/null &&
	(
		cd primary &&
		test_commit first README "a shared dc repository" &&
		test_tick &&
		git dc init >/dev/null &&
		git config dc.stream p &&
		dc_delta_json 1 p 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" | git dc delta >/dev/null &&
		git dc merge -q >/dev/null &&
		DC_TRACE_HOOKS=1 git push -q origin main 2>err &&
		# .dc/ changes in the range: every commit is checked
		grep "^trace: git-dc-hook pre-push: 4 commit(s) touch protected paths: git dc check" err
	) &&
	test "$(remote_tip)" = "$(git -C primary rev-parse HEAD)" &&
	git -C srv/shared.git dc init --server >out &&
	grep "and info/attributes" out &&
	grep "^/state/events.json merge=dc\$" srv/shared.git/info/attributes
'

test_expect_success 'a worker clone with the hooks, and one without' '
	git clone -q "$(URL)" worker &&
	git -C worker dc init >/dev/null &&
	git clone -q "$(URL)" nohooks &&
	! test -e nohooks/.git/hooks/pre-push
'

# snapshot of the remote's refs, to prove a refused push changed nothing
remote_refs () {
	git -C "$TRASH_DIRECTORY/srv/shared.git" for-each-ref --format="%(refname) %(objectname)"
}

# push_refused <layer> <git args...>: the push fails, the layer that
# refused says so, and the remote's refs did not move
push_refused () {
	layer=$1 &&
	shift &&
	remote_refs >"$TRASH_DIRECTORY/refs.before" &&
	test_must_fail git "$@" 2>err &&
	case $layer in
	pre-push)
		grep "^error: git-dc's pre-push hook refused the push" err &&
		! grep "^remote: " err ;;
	pre-receive)
		grep "^remote: error: git-dc's pre-receive hook refused the push" err &&
		grep "(pre-receive hook declined)" err ;;
	esac &&
	remote_refs >"$TRASH_DIRECTORY/refs.after" &&
	test_cmp "$TRASH_DIRECTORY/refs.before" "$TRASH_DIRECTORY/refs.after"
}

back_to_remote () {
	git -C "$1" fetch -q origin &&
	git -C "$1" checkout -q main &&
	git -C "$1" reset -q --hard origin/main
}

test_expect_success 'commit --no-verify of a hand edit: pre-push refuses it, pre-receive too' '
	test_when_finished "back_to_remote worker" &&
	(
		cd worker &&
		sed -i "s/\"n\": 1\$/\"n\": 2/" state/events.json &&
		git commit -q --no-verify -am "hand edit" &&
		push_refused pre-push push origin main &&
		grep "^error: commit [0-9a-f]\{12\}: '"'"'state/events.json'"'"' is not the projection of the deltas up to frame 1\$" err &&
		push_refused pre-receive push --no-verify origin main &&
		grep "^remote: error: commit [0-9a-f]\{12\}: '"'"'state/events.json'"'"' is not the projection" err
	)
'

test_expect_success 'rebase --continue commits without pre-commit: pre-push refuses the result' '
	test_when_finished "back_to_remote worker" &&
	(
		cd primary &&
		dc_delta_json 2 p 2026-03-28T03:01:00Z "\"events\": [{\"n\": 3}]" | git dc delta >/dev/null &&
		git dc merge -q >/dev/null &&
		git push -q origin main
	) &&
	(
		cd worker &&
		echo "worker" >README &&
		git commit -q -am "README: worker" &&
		git fetch -q origin &&
		git rebase -q origin/main 2>/dev/null &&
		git checkout -q -b conflicted HEAD~1 &&
		echo "left" >README &&
		git commit -q -am left &&
		test_must_fail git rebase -q main >/dev/null 2>&1 &&
		printf "<<<<<<< HEAD\n{\"events\": []}\n=======\n{}\n>>>>>>> left\n" >state/events.json &&
		echo "both" >README &&
		git add README state/events.json &&
		GIT_EDITOR=: git rebase --continue >/dev/null 2>&1 &&
		grep "^<<<<<<<" state/events.json &&
		push_refused pre-push push origin HEAD:main &&
		grep "'"'"'state/events.json'"'"' holds conflict markers" err
	)
'

test_expect_success 'cherry-pick commits without pre-commit: pre-push refuses the result' '
	test_when_finished "back_to_remote worker" &&
	(
		cd worker &&
		git checkout -q -b bad &&
		echo "{\"events\": []}" >state/events.json &&
		git commit -q --no-verify -am "emptied by hand" &&
		git checkout -q main &&
		git cherry-pick bad >/dev/null &&
		push_refused pre-push push origin main &&
		grep "'"'"'state/events.json'"'"' is not the projection" err
	)
'

test_expect_success 'git stash makes commits without pre-commit: pushing one is refused' '
	test_when_finished "back_to_remote worker; git -C worker stash clear" &&
	(
		cd worker &&
		echo "{\"events\": []}" >state/events.json &&
		git stash -q &&
		push_refused pre-push push origin "stash@{0}:refs/heads/from-stash" &&
		grep "'"'"'state/events.json'"'"' is not the projection" err &&
		push_refused pre-receive push --no-verify origin "stash@{0}:refs/heads/from-stash"
	)
'

test_expect_success 'a clone without the hooks pushes a hand edit: pre-receive refuses it' '
	test_when_finished "back_to_remote nohooks" &&
	(
		cd nohooks &&
		git pull -q &&
		printf "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> x\n" >state/events.json &&
		git commit -q -am "markers" &&
		push_refused pre-receive push origin main &&
		grep "^remote: error: commit [0-9a-f]\{12\}: '"'"'state/events.json'"'"' holds conflict markers" err &&
		grep "^remote: hint: canonical files change only through '"'"'git dc merge'"'"'" err
	)
'

test_expect_success 'core.hooksPath=/dev/null skips every client hook: pre-receive still refuses' '
	test_when_finished "back_to_remote worker" &&
	(
		cd worker &&
		echo "{\"events\": [\"by hand\"]}" >state/events.json &&
		git -c core.hooksPath=/dev/null commit -q -am "hooks off" &&
		push_refused pre-receive -c core.hooksPath=/dev/null push origin main
	)
'

test_expect_success 'a forced push that drops a delta: pre-push refuses, then pre-receive' '
	test_when_finished "back_to_remote worker; back_to_remote nohooks" &&
	(
		cd primary &&
		git pull -q &&
		dc_delta_json 3 p 2026-03-28T03:02:00Z "\"events\": [{\"n\": 4}]" | git dc delta >/dev/null &&
		git push -q origin main
	) &&
	(
		cd worker &&
		git fetch -q origin &&
		git reset -q --hard origin/main~1 &&
		echo "rewritten" >README &&
		git commit -q -am "history without the frame 3 delta" &&
		push_refused pre-push push --force origin main &&
		grep "^error: updating '"'"'refs/heads/main'"'"' from [0-9a-f]\{12\} to [0-9a-f]\{12\} deletes delta '"'"'$D/frame-3-p.json'"'"'\$" err &&
		grep "^hint: committed deltas are immutable" err
	) &&
	(
		cd nohooks &&
		git fetch -q origin &&
		git reset -q --hard origin/main~1 &&
		echo "rewritten" >README &&
		git commit -q -am "history without the frame 3 delta" &&
		push_refused pre-receive push --force origin main &&
		grep "^remote: error: updating '"'"'refs/heads/main'"'"' from [0-9a-f]\{12\} to [0-9a-f]\{12\} deletes delta '"'"'$D/frame-3-p.json'"'"'" err
	)
'

test_expect_success 'a forced push that changes a delta is refused by pre-receive' '
	test_when_finished "back_to_remote nohooks" &&
	(
		cd nohooks &&
		git fetch -q origin &&
		git reset -q --hard origin/main~1 &&
		dc_delta_json 3 p 2026-03-28T03:02:00Z "\"events\": [{\"n\": 40}]" >$D/frame-3-p.json &&
		git add $D/frame-3-p.json &&
		git commit -q -m "frame 3, other bytes" &&
		push_refused pre-receive push --force origin main &&
		grep "modifies delta '"'"'$D/frame-3-p.json'"'"'" err
	)
'

test_expect_success 'stream refs: deltas pushed by workers pass; deleting an unmerged one is refused' '
	(
		cd worker &&
		git checkout -q -b dc/streams/w origin/main &&
		dc_delta_json 4 w 2026-03-28T03:03:00Z "\"events\": [{\"w\": 1}]" | git dc delta >/dev/null &&
		git push -q origin HEAD &&
		push_refused pre-receive push origin :dc/streams/w &&
		grep "^remote: error: deleting '"'"'refs/heads/dc/streams/w'"'"' drops deltas that no other ref holds" err
	) &&
	(
		cd primary &&
		git pull -q &&
		git fetch -q origin &&
		git merge -q --no-edit origin/dc/streams/w &&
		git dc merge -q >/dev/null &&
		git push -q origin main &&
		git push -q origin :dc/streams/w
	) &&
	! git -C srv/shared.git rev-parse -q --verify refs/heads/dc/streams/w
'

test_expect_success 'a JSON delta that breaks section 2 passes with a warning; invalid JSON does not' '
	test_when_finished "back_to_remote nohooks" &&
	(
		cd nohooks &&
		git fetch -q origin &&
		git checkout -q -b dc/streams/q origin/main &&
		printf "{\"frame\": 5, \"stream_id\": \"q\"" >$D/frame-5-q.json &&
		git add $D &&
		git commit -q -m "truncated" &&
		push_refused pre-receive push origin HEAD &&
		grep "^remote: error: commit [0-9a-f]\{12\}: invalid delta '"'"'$D/frame-5-q.json'"'"': invalid JSON" err &&
		git reset -q --hard HEAD~1 &&

		dc_delta_json 5 q 2026-03-28T03:05:00Z "\"events\": [{\"q\": 1}]" >$D/frame-5-q.json &&
		dc_delta_json 5 q 2026-03-28T03:05:01Z "\"events\": [{\"q\": 2}]" >$D/frame-5-q2.json &&
		git add $D &&
		git commit -q -m "a good delta and one whose stream_id is not its path'"'"'s" &&
		git push origin HEAD 2>err &&
		grep "^remote: warning: commit [0-9a-f]\{12\}: delta '"'"'$D/frame-5-q2.json'"'"' will be quarantined: '"'"'stream_id'"'"' is '"'"'q'"'"' but the path says '"'"'q2'"'"'" err &&
		! grep "error" err
	) &&
	test "$(git -C srv/shared.git rev-parse dc/streams/q)" = "$(git -C nohooks rev-parse HEAD)" &&

	# the primary takes the stream in and publishes it (pre-push, then
	# pre-receive): the bad delta arrives on main, and blocks nothing
	(
		cd primary &&
		git pull -q &&
		git dc merge --fetch --push --frame 5 >out &&
		grep "^quarantined $D/frame-5-q2.json: .stream_id. is .q. but the path says .q2.\$" out &&
		grep "^Pushed [0-9a-f]\{12\} to origin\$" out &&
		git cat-file -e HEAD^2:$D/frame-5-q2.json &&
		grep "\"q\": 1" state/events.json &&
		! grep "\"q\": 2" state/events.json
	) &&
	test "$(remote_tip)" = "$(git -C primary rev-parse HEAD)"
'

test_expect_success 'the remote holds no commit that breaks section 9' '
	git -C srv/shared.git dc check $(git -C srv/shared.git rev-list --reverse main)
'

test_done
