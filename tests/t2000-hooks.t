#!/bin/sh
test_description='the commit hooks: PROTOCOL section 9 on what git commit records

pre-commit and pre-merge-commit (installed by git dc init) refuse a commit
that edits a canonical file or .dc/head.json into anything but the
projection of its deltas, adds conflict markers or invalid JSON, changes,
deletes or renames a committed delta, or adds an invalid one. Every
refusal names the file, the rule and what to do instead, and records
nothing. The fast path (no protected path staged) never starts git dc
check. A hook that was there before is kept and still runs.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas

command -v git-merge-dc >/dev/null && test_set_prereq MERGE_DC

# lines_are <n> <file>
lines_are () {
	test "$(wc -l <"$2")" -eq "$1"
}

# refused <rule> <message line> <git commit args...>: the commit is refused
# with exit 1, names the rule, prints the message, and HEAD does not move
refused () {
	rule=$1 line=$2 &&
	shift 2 &&
	head=$(git rev-parse HEAD) &&
	test_expect_code 1 git commit -q "$@" 2>err &&
	grep -F -x "$line" err &&
	grep "^error: git-dc's pre-[a-z-]* hook refused the commit (broken: [a-z, -]*$rule" err &&
	grep "^hint: canonical files change only through 'git dc merge'" err &&
	test "$(git rev-parse HEAD)" = "$head"
}

test_expect_success 'setup: a dc repository with the hooks and a merged frame' '
	dc_repo main &&
	(
		cd main &&
		test -x .git/hooks/pre-commit &&
		test -x .git/hooks/pre-merge-commit &&
		dc_delta_json 1 s1 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" |
			git dc delta >/dev/null &&
		dc_delta_json 1 s2 2026-03-28T03:00:01Z "\"events\": [{\"n\": 2}]" |
			git dc delta >/dev/null &&
		git dc merge -q >/dev/null &&
		test -f state/events.json
	)
'

test_expect_success 'an ordinary commit passes without git dc check (the fast path)' '
	(
		cd main &&
		echo hello >notes.txt &&
		git add notes.txt &&
		DC_TRACE_HOOKS=1 git commit -q -m notes 2>err &&
		grep "^trace: git-dc-hook pre-commit: no protected path staged: not checked\$" err &&
		git cat-file -e HEAD:notes.txt
	)
'

test_expect_success 'a valid delta committed by hand passes, checked (the check path)' '
	(
		cd main &&
		dc_delta_json 2 s1 2026-03-28T03:01:00Z "\"events\": [{\"n\": 3}]" >$D/frame-2-s1.json &&
		git add $D/frame-2-s1.json &&
		DC_TRACE_HOOKS=1 git commit -q -m "a delta by hand" 2>err &&
		grep "^trace: git-dc-hook pre-commit: protected paths staged: git dc check --index\$" err &&
		git cat-file -e HEAD:$D/frame-2-s1.json
	)
'

test_expect_success 'the result of git dc merge passes, because it is the projection' '
	(
		cd main &&
		git dc merge -q >/dev/null &&
		merged=$(git rev-parse HEAD^{tree}) &&
		git reset -q --soft HEAD^ &&
		git commit -q -m "the merge, committed by git commit" &&
		test "$(git rev-parse HEAD^{tree})" = "$merged"
	)
'

test_expect_success 'a canonical file edited by hand is refused' '
	(
		cd main &&
		sed -i "s/\"n\": 1\$/\"n\": 10/" state/events.json &&
		git add state/events.json &&
		refused canonical-edit "error: '"'"'state/events.json'"'"' is not the projection of the deltas up to frame 2" -m "edit" &&
		grep "^hint: canonical files are written only by '"'"'git dc merge'"'"'; record the change as a delta with '"'"'git dc delta'"'"'" err &&
		git reset -q --hard
	)
'

test_expect_success 'the refusal names the file, the rule and the alternatives, exactly' '
	(
		cd main &&
		printf "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> theirs\n" >state/events.json &&
		git add state/events.json &&
		test_expect_code 1 git commit -q -m markers 2>err &&
		cat >expect <<-\EOF &&
		error: '"'"'state/events.json'"'"' holds conflict markers
		hint: canonical files are written only by '"'"'git dc merge'"'"'; record the change as a delta with '"'"'git dc delta'"'"', and restore the file with '"'"'git checkout HEAD -- <file>'"'"'
		error: git-dc'"'"'s pre-commit hook refused the commit (broken: conflict-markers; PROTOCOL section 9)
		hint: canonical files change only through '"'"'git dc merge'"'"' (or '"'"'git merge -s dc'"'"'); record new events with '"'"'git dc delta'"'"'; bring a worktree up to date with '"'"'git dc sync'"'"'
		EOF
		test_cmp expect err &&
		git reset -q --hard
	)
'

test_expect_success 'a canonical file that is not JSON is refused' '
	(
		cd main &&
		echo "{\"events\": [" >state/events.json &&
		git add state/events.json &&
		refused invalid-json "error: '"'"'state/events.json'"'"' is not valid JSON: line 2, column 1: unexpected end of input" -m broken &&
		git reset -q --hard
	)
'

test_expect_success '.dc/head.json edited by hand is refused' '
	(
		cd main &&
		sed -i "s/\"frame\": 2,/\"frame\": 3,/" .dc/head.json &&
		git add .dc/head.json &&
		refused head-edit "error: '"'"'.dc/head.json'"'"' is not what git dc merge writes for frame 3" -m head &&
		git reset -q --hard
	)
'

test_expect_success 'a committed delta modified, deleted or renamed is refused' '
	(
		cd main &&
		sed -i "s/\"n\": 1\$/\"n\": 11/" $D/frame-1-s1.json &&
		git add $D &&
		refused delta-modified "error: delta '"'"'$D/frame-1-s1.json'"'"' was modified" -m modify &&
		grep "^hint: committed deltas are immutable" err &&
		git reset -q --hard &&

		git rm -q $D/frame-1-s2.json &&
		refused delta-deleted "error: delta '"'"'$D/frame-1-s2.json'"'"' was deleted or renamed" -m delete &&
		git reset -q --hard &&

		git mv $D/frame-1-s2.json $D/frame-9-s2.json &&
		refused delta-deleted "error: delta '"'"'$D/frame-1-s2.json'"'"' was deleted or renamed" -m rename &&
		git reset -q --hard
	)
'

test_expect_success 'a new delta that is invalid, or holds conflict markers, is refused' '
	(
		cd main &&
		echo "{\"frame\": \"3\", \"stream_id\": \"s1\", \"utc\": \"2026-03-28T03:02:00Z\"}" >$D/frame-3-s1.json &&
		git add $D &&
		refused delta-invalid "error: invalid delta '"'"'$D/frame-3-s1.json'"'"': '"'"'frame'"'"' is a string, expected an integer" -m invalid &&
		printf "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> theirs\n" >$D/frame-3-s1.json &&
		git add $D &&
		refused delta-invalid "error: invalid delta '"'"'$D/frame-3-s1.json'"'"': invalid JSON: line 1, column 1: unexpected character '"'"'<'"'"'" -m markers &&
		git reset -q --hard
	)
'

test_expect_success 'removing the rules is refused' '
	(
		cd main &&
		git rm -q .dc/rules.json &&
		refused rules-removed "error: '"'"'.dc/rules.json'"'"' was removed" -m "no rules" &&
		git reset -q --hard
	)
'

test_expect_success 'rules that move the delta directory away from its deltas are refused' '
	(
		cd main &&
		jq ".deltas = \"state/elsewhere\"" .dc/rules.json >../rules &&
		cp ../rules .dc/rules.json &&
		git add .dc/rules.json &&
		refused deltas-moved "error: '"'"'.dc/rules.json'"'"' moves the delta directory from '"'"'$D'"'"' to '"'"'state/elsewhere'"'"', where 3 committed deltas would stop being deltas" -m "move" &&
		git mv $D state/elsewhere &&
		refused delta-deleted "error: delta '"'"'$D/frame-1-s1.json'"'"' was deleted or renamed" -m "move them" &&
		git reset -q --hard &&
		git -c core.hooksPath=/dev/null commit -q --allow-empty -m "nothing" &&
		cp ../rules .dc/rules.json &&
		git -c core.hooksPath=/dev/null commit -q -am "moved by hand" &&
		git -c core.hooksPath=/dev/null rm -q $D/frame-1-s1.json &&
		git -c core.hooksPath=/dev/null commit -q -m "then deleted" &&
		test_expect_code 1 git dc check HEAD~1 2>err &&
		grep "deltas-moved\|moves the delta directory" err &&
		git reset -q --hard HEAD~3
	)
'

test_expect_success 'git commit -a and git commit <path> (a temporary index) are checked too' '
	(
		cd main &&
		sed -i "s/\"n\": 1\$/\"n\": 12/" state/events.json &&
		refused canonical-edit "error: '"'"'state/events.json'"'"' is not the projection of the deltas up to frame 2" -a -m "all" &&
		refused canonical-edit "error: '"'"'state/events.json'"'"' is not the projection of the deltas up to frame 2" -m "only" state/events.json &&
		git diff --quiet --cached &&
		git reset -q --hard
	)
'

test_expect_success 'pre-merge-commit: a plain merge of two stream branches passes' '
	(
		cd main &&
		git checkout -q -b dc/streams/a &&
		dc_delta_json 5 a 2026-03-28T03:05:00Z "\"events\": [{\"a\": 1}]" | git dc delta >/dev/null &&
		git checkout -q main &&
		git checkout -q -b dc/streams/b &&
		dc_delta_json 5 b 2026-03-28T03:05:01Z "\"events\": [{\"b\": 1}]" | git dc delta >/dev/null &&
		git checkout -q main &&
		git merge -q --no-edit dc/streams/a dc/streams/b &&
		git cat-file -e HEAD:$D/frame-5-a.json &&
		git cat-file -e HEAD:$D/frame-5-b.json &&
		git dc merge -q >/dev/null
	)
'

test_expect_success 'pre-merge-commit: merging a branch that carries a hand edit is refused' '
	(
		cd main &&
		git checkout -q -b side &&
		sed -i "s/\"n\": 1\$/\"n\": 13/" state/events.json &&
		git commit -q --no-verify -am "a hand edit that got in" &&
		git checkout -q main &&
		echo other >other.txt &&
		git add other.txt &&
		git commit -q -m other &&
		head=$(git rev-parse HEAD) &&
		test_must_fail git merge --no-edit side 2>err &&
		grep "^error: '"'"'state/events.json'"'"' is not the projection of the deltas up to frame" err &&
		grep "^error: git-dc'"'"'s pre-merge-commit hook refused the commit (broken: canonical-edit" err &&
		test "$(git rev-parse HEAD)" = "$head" &&
		git merge --abort
	)
'

test_expect_success MERGE_DC 'git merge -s dc of the same branch passes: its result is the projection' '
	(
		cd main &&
		git merge -q --no-edit -s dc side &&
		test "$(git rev-parse HEAD^2)" = "$(git rev-parse side)" &&
		! grep "\"n\": 13" state/events.json &&
		git dc check HEAD
	)
'

test_expect_success 'the hooks work in a linked worktree' '
	(
		cd main &&
		git worktree add -q ../linked -b linked &&
		cd ../linked &&
		echo "{\"events\": []}" >state/events.json &&
		git add state/events.json &&
		refused canonical-edit "error: '"'"'state/events.json'"'"' is not the projection of the deltas up to frame $(jq .frame .dc/head.json)" -m "edit in a worktree" &&
		git reset -q --hard &&
		echo hello >linked.txt &&
		git add linked.txt &&
		git commit -q -m linked
	)
'

test_expect_success 'a hook that was there is kept, chained, and runs after the check' '
	git init -q chain &&
	(
		cd chain &&
		test_commit first README &&
		write_script .git/hooks/pre-commit <<-\EOF &&
		echo "their pre-commit ran" >>"$TRASH_DIRECTORY/chain-ran"
		test ! -e "$TRASH_DIRECTORY/chain-refuses"
		EOF
		cp .git/hooks/pre-commit their-hook &&
		test_tick &&
		git dc init >out &&
		grep "^Kept the pre-commit hook that was there: it runs after git-dc'"'"'s check (.git/hooks/pre-commit.dc-chained)\$" out &&
		test_cmp their-hook .git/hooks/pre-commit.dc-chained &&
		echo one >>README &&
		git commit -q -am one &&
		lines_are 1 "$TRASH_DIRECTORY/chain-ran" &&

		# its refusal stops the commit
		touch "$TRASH_DIRECTORY/chain-refuses" &&
		echo two >>README &&
		head=$(git rev-parse HEAD) &&
		test_must_fail git commit -q -am two &&
		test "$(git rev-parse HEAD)" = "$head" &&
		rm "$TRASH_DIRECTORY/chain-refuses" &&
		git reset -q --hard &&

		# a refusal by git-dc does not run it
		mkdir -p state &&
		echo "{}" >state/events.json &&
		git add state/events.json &&
		test_must_fail git commit -q -m canonical 2>err &&
		grep "refused the commit" err &&
		lines_are 2 "$TRASH_DIRECTORY/chain-ran"
	)
'

test_expect_success 'core.hooksPath: the hooks go where git looks for them' '
	git init -q hookspath &&
	(
		cd hookspath &&
		test_commit first README &&
		git config core.hooksPath my-hooks &&
		test_tick &&
		git dc init >/dev/null &&
		test -x my-hooks/pre-commit &&
		! test -e .git/hooks/pre-commit &&
		mkdir -p state &&
		echo "{}" >state/events.json &&
		git add state/events.json &&
		test_expect_code 1 git commit -q -m canonical 2>err &&
		grep "refused the commit" err
	)
'

test_expect_success 'an unborn branch: init, then ordinary commits pass' '
	git init -q unborn &&
	(
		cd unborn &&
		git dc init >/dev/null &&
		echo hello >README &&
		git add README &&
		git commit -q -m readme
	)
'

test_done
