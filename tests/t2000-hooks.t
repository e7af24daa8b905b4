#!/bin/sh
test_description='the commit hooks: PROTOCOL section 9 on what git commit records

pre-commit and pre-merge-commit (installed by git dc init) refuse a commit
that edits a canonical file or .dc/head.json into anything but the
projection of its deltas, adds conflict markers or invalid JSON, changes,
deletes or renames a committed delta, or adds one that is not strict JSON
(one that is JSON but breaks section 2 passes with a warning). Every
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

test_expect_success 'a valid delta committed by hand passes, checked by the hook itself' '
	(
		cd main &&
		dc_delta_json 2 s1 2026-03-28T03:01:00Z "\"events\": [{\"n\": 3}]" >$D/frame-2-s1.json &&
		git add $D/frame-2-s1.json &&
		DC_TRACE_HOOKS=1 git commit -q -m "a delta by hand" 2>err &&
		grep "^trace: git-dc-hook pre-commit: only new deltas staged: checked without git dc\$" err &&
		! grep "git dc check" err &&
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

test_expect_success 'a new delta with conflict markers, or that is not strict JSON, is refused' '
	(
		cd main &&
		printf "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> theirs\n" >$D/frame-3-s1.json &&
		git add $D &&
		refused delta-invalid "error: invalid delta '"'"'$D/frame-3-s1.json'"'"': invalid JSON: line 1, column 1: unexpected character '"'"'<'"'"'" -m markers &&
		printf "{\"frame\": 3, \"stream_id\": \"s1\"" >$D/frame-3-s1.json &&
		git add $D &&
		refused delta-invalid "error: invalid delta '"'"'$D/frame-3-s1.json'"'"': invalid JSON: line 1, column 31: unexpected end of input" -m truncated &&
		printf "{\"frame\": 3, \"frame\": 3}" >$D/frame-3-s1.json &&
		git add $D &&
		refused delta-invalid "error: invalid delta '"'"'$D/frame-3-s1.json'"'"': invalid JSON: line 1, column 14: duplicate key '"'"'frame'"'"'" -m duplicate &&
		printf "{\"frame\": 3, \"s\": \"\\377\"}" >$D/frame-3-s1.json &&
		git add $D &&
		refused delta-invalid "error: invalid delta '"'"'$D/frame-3-s1.json'"'"': invalid JSON: byte 20 (line 1, column 20): invalid UTF-8" -m utf8 &&
		printf "{\"frame\": 3}" >$D/notes.json &&
		printf "not json\n" >$D/README &&
		git add $D &&
		refused delta-invalid "error: invalid delta '"'"'$D/README'"'"': not a delta path: expected frame-<frame>-<stream>.json or frame-<frame>/<stream>.json" -m names &&
		! grep "notes.json" err | grep -v "^warning:" &&
		git reset -q --hard &&
		git clean -q -f $D
	)
'

test_expect_success 'a new delta that is JSON but breaks section 2 is committed, with a warning' '
	(
		cd main &&
		before=$(git rev-parse HEAD) &&
		echo "{\"frame\": \"3\", \"stream_id\": \"s1\", \"utc\": \"2026-03-28T03:02:00Z\", \"events\": [{\"n\": 30}]}" >$D/frame-3-s1.json &&
		echo "{\"frame\": 3, \"stream_id\": \"other\", \"utc\": \"2026-03-28T03:02:00Z\", \"events\": [{\"n\": 31}]}" >$D/frame-3-s2.json &&
		echo "{\"frame\": 3}" >$D/frame-3-a..b.json &&
		git add $D &&
		git commit -q -m "two bad deltas" 2>err &&
		cat >expect <<-EOF &&
		warning: delta '"'"'$D/frame-3-a..b.json'"'"' will be quarantined: stream id '"'"'a..b'"'"' is not valid
		warning: delta '"'"'$D/frame-3-s1.json'"'"' will be quarantined: '"'"'frame'"'"' is a string, expected an integer
		warning: delta '"'"'$D/frame-3-s2.json'"'"' will be quarantined: '"'"'stream_id'"'"' is '"'"'other'"'"' but the path says '"'"'s2'"'"'
		EOF
		grep "^warning:" err >actual &&
		test_cmp expect actual &&
		git cat-file -e HEAD:$D/frame-3-s2.json &&

		dc_delta_json 3 s3 2026-03-28T03:02:01Z "\"events\": [{\"n\": 32}]" |
			git dc delta >/dev/null &&
		git dc merge -q --json >out &&
		jq -e "(.applied | length) == 1 and (.quarantined | length) == 3" out &&
		jq -e "[.events[] | .n] | index(32) != null and index(30) == null and index(31) == null" state/events.json &&
		git dc check HEAD~3..HEAD 2>err &&
		grep -c "^warning: commit [0-9a-f]*: delta .* will be quarantined" err >count &&
		echo 3 >expect &&
		test_cmp expect count &&
		git reset -q --hard $before
	)
'

test_expect_success 'new deltas alone are checked by the hook, as git dc check --index does' '
	(
		cd main &&
		before=$(git rev-parse HEAD) &&
		jq ".max_delta_bytes = 200" .dc/rules.json >../rules &&
		cp ../rules .dc/rules.json &&
		git commit -q -am "deltas of at most 200 bytes" &&
		mkdir -p $D/frame-4 &&
		dc_delta_json 4 ok 2026-03-28T03:03:00Z "\"events\": [{\"n\": 40}]" >$D/frame-4-ok.json &&
		dc_delta_json 4 big 2026-03-28T03:03:00Z "\"events\": [\"$(printf "%0300d" 0)\"]" >$D/frame-4-big.json &&
		echo "{\"frame\": 4, \"stream_id\": \"s1\", \"utc\": \"2026-03-28T03:03:00Z\"}" >$D/frame-4/wrong.json &&
		printf "{\"frame\": 4,\n<<<<<<< HEAD\n" >$D/frame-4-markers.json &&
		echo "not even JSON" >$D/.hidden.json &&
		git add $D &&
		test_expect_code 1 git dc check --index 2>check.err &&
		test_expect_code 1 env DC_TRACE_HOOKS=1 git commit -q -m "new deltas" 2>hook.err &&
		grep "^trace: git-dc-hook pre-commit: only new deltas staged: checked without git dc\$" hook.err &&
		grep "^error: git-dc.s pre-commit hook refused the commit (broken: delta-invalid;" hook.err &&
		grep "^\(warning\|error\): [^g]" check.err >expect &&
		grep "^\(warning\|error\): [^g]" hook.err >actual &&
		test_cmp expect actual &&
		lines_are 3 actual &&
		grep "^error: invalid delta .$D/frame-4-big.json.: [0-9]* bytes is over max_delta_bytes (200)\$" actual &&
		grep "^warning: delta .$D/frame-4/wrong.json. will be quarantined: .stream_id. is .s1. but the path says .wrong.\$" actual &&

		# a delta changed too: the engine checks
		echo "{}" >$D/frame-1-s1.json &&
		git add $D &&
		test_expect_code 1 env DC_TRACE_HOOKS=1 git commit -q -m "and one changed" 2>hook.err &&
		grep "^trace: git-dc-hook pre-commit: protected paths staged: git dc check --index\$" hook.err &&
		grep "^error: delta .$D/frame-1-s1.json. was modified\$" hook.err &&
		git reset -q --hard $before &&
		git clean -q -f -d $D
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
