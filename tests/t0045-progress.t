#!/bin/sh
test_description='progress and --quiet

Progress goes to stderr only when it is a terminal (here a pty made by
script(1) from bsdutils), only for work that has run about a second
(DC_PROGRESS_DELAY shortens the wait, as GIT_PROGRESS_DELAY does for git),
and never with --quiet. --quiet leaves errors, warnings and --json alone.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
SQ="'"

if script -qec true /dev/null </dev/null >/dev/null 2>&1
then
	test_set_prereq TTY
fi

# on_tty <file> <command>...: run <command> with stdout and stderr on a pty,
# what the terminal showed in <file> (carriage returns as newlines)
on_tty () {
	out=$1
	shift
	script -qec "$*" /dev/null </dev/null >"$out.raw" &&
	tr "\r" "\n" <"$out.raw" >"$out"
}

# progress_shown <file> <title>: "<title>: 100% (n/n), done." is in <file>
progress_shown () {
	grep "^$2: 100% ([0-9]*/[0-9]*), done\.$" "$1"
}

test_expect_success 'setup: a repository with deltas of three frames' '
	dc_repo repo &&
	for i in 1 2 3
	do
		echo "{\"events\": [{\"n\": $i}]}" >d$i.json &&
		test_tick &&
		git -C repo dc delta -q --frame $i --stream s$i --utc 2026-03-28T03:0$i:00Z \
			../d$i.json || return 1
	done
'

test_expect_success TTY 'merge: progress on a terminal' '
	DC_PROGRESS_DELAY=0 on_tty merge.out git -C repo dc merge --dry-run &&
	progress_shown merge.out "Folding deltas" &&
	grep "^Would merge frame 3" merge.out
'

test_expect_success TTY 'merge: none before the delay, none with --quiet' '
	on_tty merge-slow.out git -C repo dc merge --dry-run &&
	! grep "deltas: " merge-slow.out &&
	DC_PROGRESS_DELAY=0 on_tty merge-q.out git -C repo dc merge --dry-run -q &&
	! grep "deltas: " merge-q.out &&
	grep "^Would merge frame 3" merge-q.out
'

test_expect_success 'merge: none when stderr is not a terminal' '
	test_tick &&
	DC_PROGRESS_DELAY=0 git -C repo dc merge >out 2>err &&
	test_must_be_empty err &&
	grep "^Merged frame 3" out
'

# shows <title> <command>...: progress under a pty, none with -q, none
# without a pty
shows () {
	title=$1
	shift
	DC_PROGRESS_DELAY=0 on_tty tty.out "$@" &&
	progress_shown tty.out "$title" &&
	DC_PROGRESS_DELAY=0 on_tty tty-q.out "$@" -q &&
	! grep ": 100% (" tty-q.out &&
	DC_PROGRESS_DELAY=0 "$@" >out 2>err &&
	test_must_be_empty err
}

test_expect_success TTY 'verify' '
	shows "Verifying commits" git -C repo dc verify
'

test_expect_success TTY 'replay' '
	shows "Replaying deltas" git -C repo dc replay --out ../replayed
'

test_expect_success TTY 'diff' '
	shows "Finding writers" git -C repo dc diff 1 3
'

test_expect_success TTY 'blame' '
	shows "Replaying deltas" git -C repo dc blame state/events.json /events/0
'

test_expect_success TTY 'check' '
	shows "Checking commits" git -C repo dc check HEAD~3..HEAD
'

test_expect_success '--quiet: delta, replay --out, verify print nothing' '
	echo "{\"events\": [{\"n\": 4}]}" >d4.json &&
	test_tick &&
	git -C repo dc delta -q --frame 4 --stream s4 --utc 2026-03-28T03:04:00Z ../d4.json \
		>out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	git -C repo cat-file -e HEAD:$D/frame-4-s4.json &&
	git -C repo dc delta --quiet --frame 4 --stream s4 --utc 2026-03-28T03:04:00Z \
		../d4.json >out &&
	test_must_be_empty out &&
	git -C repo dc replay -q --out ../quiet >out &&
	test_must_be_empty out &&
	test -f quiet/state/events.json &&
	git -C repo dc verify -q >out &&
	test_must_be_empty out
'

test_expect_success '--quiet keeps --json and the errors' '
	git -C repo dc delta -q --json --frame 4 --stream s4 --utc 2026-03-28T03:04:00Z \
		../d4.json >out.json &&
	jq -e ".command == \"delta\" and .committed == false" out.json &&
	dc_delta_json 4 s4 >f4.json &&
	test_expect_code 1 git -C repo dc delta -q --frame 5 ../f4.json >out 2>err &&
	test_must_be_empty out &&
	grep "^error: the delta says frame 4 but --frame says 5" err &&
	grep "^hint: " err
'

test_expect_success '--quiet: init prints only its warnings' '
	git init -q -b main fresh &&
	(cd fresh && test_commit first) &&
	mkdir -p fresh/state &&
	echo "{\"events\": []}" >fresh/state/events.json &&
	test_tick &&
	git -C fresh dc init -q >out 2>err &&
	test_must_be_empty out &&
	grep "^warning: canonical file ${SQ}state/events.json${SQ} is not committed" err &&
	git -C fresh cat-file -e HEAD:.dc/rules.json &&
	git -C fresh dc uninstall -q >out &&
	test_must_be_empty out
'

test_expect_success '--quiet: worktree, push and sync print nothing' '
	git init -q --bare -b main shared.git &&
	git -C repo remote add origin ../shared.git &&
	git -C repo push -q origin main &&
	git -C repo dc worktree add -q w1 ../w1 >out &&
	test_must_be_empty out &&
	echo "{\"events\": [{\"n\": 5}]}" >d5.json &&
	test_tick &&
	git -C w1 dc delta -q --frame 5 --utc 2026-03-28T03:05:00Z ../d5.json &&
	git -C w1 dc push -q >out &&
	test_must_be_empty out &&
	git -C shared.git cat-file -e refs/heads/dc/streams/w1:$D/frame-5-w1.json &&
	git -C w1 dc sync -q >out &&
	test_must_be_empty out &&
	git -C repo dc worktree remove -q w1 >out &&
	test_must_be_empty out &&
	git -C repo dc worktree prune -q >out &&
	test_must_be_empty out
'

test_done
