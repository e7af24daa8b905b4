#!/bin/sh
test_description='segmented targets (PROTOCOL section 7, segment)

A section with "segment": N stores its array as numbered files of at most N
elements; readers see one logical array in segment order, and a frame
rewrites only the segments it touched. Commits made by hand run without
hooks, as a client that skips them would push them.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas

# rules: posts (add, keyed by id) in segments of 2, people (upsert) in
# segments of 3, and a count of posts per author into state/stats.json
write_rules () {
	mkdir -p .dc &&
	cat >.dc/rules.json <<-\EOF
	{"version": 1, "sections": {
	  "posts": {"op": "add", "file": "state/posts.json", "key": "id", "segment": 2},
	  "people": {"op": "upsert", "file": "state/people.json", "key": "id", "segment": 3}},
	 "derived": [{"op": "count", "file": "state/stats.json", "at": "/authors",
	   "of": "posts", "group_by": "author", "field": "posts"}]}
	EOF
}

# logical <repo> <stem>: the segments of <stem> in order, as one array
logical () {
	(
		cd "$1" &&
		ls state/ | grep "^$2\.[0-9][0-9][0-9][0-9][0-9][0-9]\.json$" | sort >../seglist &&
		(cd state && jq -s add $(cat ../../seglist))
	)
}

test_expect_success 'setup: a genesis with the array in one plain file' '
	git init -q main &&
	(
		cd main &&
		write_rules &&
		mkdir state &&
		printf "[\n  {\n    \"id\": 0,\n    \"author\": \"z\"\n  }\n]\n" >state/posts.json &&
		dc_commit_genesis &&
		git tag genesis
	)
'

test_expect_success 'the first merge splits the array into segments of N' '
	(
		cd main &&
		dc_commit_delta 1 a 1 "\"posts\": [{\"id\": 1, \"author\": \"a\"}, {\"id\": 2, \"author\": \"a\"}], \"people\": [{\"id\": \"p1\", \"n\": 1}]" &&
		dc_commit_delta 1 b 2 "\"posts\": [{\"id\": 3, \"author\": \"b\"}, {\"id\": 1, \"author\": \"dup\"}], \"people\": [{\"id\": \"p2\", \"n\": 2}]" &&
		git dc merge -q &&
		! test -e state/posts.json &&
		git ls-tree --name-only HEAD state/ >names &&
		cat >expect <<-\EOF &&
		state/people.000000.json
		state/posts.000000.json
		state/posts.000001.json
		state/stats.json
		state/stream_deltas
		EOF
		test_cmp expect names &&
		test "$(jq length state/posts.000000.json)" = 2 &&
		test "$(jq length state/posts.000001.json)" = 2 &&
		test "$(jq -c "[.[].id]" state/posts.000000.json)" = "[0,1]" &&
		test "$(jq -c "[.[].id]" state/posts.000001.json)" = "[2,3]" &&
		test "$(jq -c .authors state/stats.json)" = "{\"z\":{\"posts\":1},\"a\":{\"posts\":2},\"b\":{\"posts\":1}}" &&
		git dc check HEAD
	)
'

test_expect_success 'segment files are written in the canonical layout' '
	(
		cd main &&
		for f in state/posts.0*.json state/people.0*.json
		do
			jq --indent 2 . "$f" >canon &&
			test_cmp canon "$f" || return 1
		done
	)
'

test_expect_success 'a frame rewrites only the segments it touched' '
	(
		cd main &&
		dc_commit_delta 2 a 1 "\"posts\": [{\"id\": 4, \"author\": \"a\"}]" &&
		git dc merge --json >m.json &&
		jq -r ".changed[]" m.json | sort >changed &&
		cat >expect <<-\EOF &&
		.dc/head.json
		state/posts.000002.json
		state/stats.json
		EOF
		test_cmp expect changed &&
		dc_commit_delta 3 b 1 "\"people\": [{\"id\": \"p1\", \"n\": 10}, {\"id\": \"p3\", \"n\": 3}]" &&
		git dc merge --json >m.json &&
		jq -r ".changed[]" m.json | sort >changed &&
		cat >expect <<-\EOF &&
		.dc/head.json
		state/people.000000.json
		EOF
		test_cmp expect changed &&
		test "$(jq -c "[.[].n]" state/people.000000.json)" = "[10,2,3]"
	)
'

test_expect_success 'an upsert into an early segment rewrites that segment only' '
	(
		cd main &&
		dc_commit_delta 4 c 1 "\"people\": [{\"id\": \"p4\"}, {\"id\": \"p5\"}, {\"id\": \"p6\"}, {\"id\": \"p7\"}]" &&
		git dc merge -q &&
		test "$(jq length state/people.000001.json)" = 3 &&
		test "$(jq length state/people.000002.json)" = 1 &&
		dc_commit_delta 5 c 1 "\"people\": [{\"id\": \"p5\", \"n\": 55}]" &&
		git dc merge --json >m.json &&
		jq -r ".changed[]" m.json | sort >changed &&
		cat >expect <<-\EOF &&
		.dc/head.json
		state/people.000001.json
		EOF
		test_cmp expect changed
	)
'

test_expect_success 'one merge of every frame gives the same bytes as frame by frame' '
	git init -q fresh &&
	(
		cd fresh &&
		git fetch -q ../main genesis:refs/tags/genesis &&
		git checkout -q genesis -b main &&
		git config core.hooksPath /dev/null &&
		git -C ../main diff --name-only --diff-filter=A genesis HEAD -- $D >../added &&
		for f in $(cat ../added)
		do
			mkdir -p $(dirname $f) &&
			git -C ../main show HEAD:$f >$f || return 1
		done &&
		git add $D &&
		test_tick &&
		git commit -q -m "every delta at once" &&
		git dc merge -q &&
		for f in $(git -C ../main ls-tree -r --name-only HEAD state | grep -v stream_deltas)
		do
			git -C ../main show HEAD:$f >a.out &&
			git show HEAD:$f >b.out &&
			test_cmp a.out b.out || return 1
		done &&
		git ls-tree -r --name-only HEAD state | grep -v stream_deltas >mine &&
		git -C ../main ls-tree -r --name-only HEAD state | grep -v stream_deltas >theirs &&
		test_cmp theirs mine
	)
'

test_expect_success 'a late delta re-folds into the right segments' '
	(
		cd main &&
		dc_commit_delta 1 late 9 "\"posts\": [{\"id\": 100, \"author\": \"l\"}]" &&
		git dc merge -q &&
		logical . posts | jq -c "[.[].id]" >ids &&
		echo "[0,1,2,3,100,4]" >expect &&
		test_cmp expect ids &&
		test "$(jq length state/posts.000002.json)" = 2 &&
		test "$(jq -c "[.[].id]" state/posts.000002.json)" = "[100,4]" &&
		git dc check HEAD &&
		git dc verify -q
	)
'

test_expect_success 'replay writes the segment files, byte for byte' '
	(
		cd main &&
		git dc replay -q --out ../replayed &&
		for f in $(git ls-tree -r --name-only HEAD state | grep -v stream_deltas)
		do
			git show HEAD:$f >a.out &&
			test_cmp a.out "../replayed/$f" || return 1
		done &&
		! test -e ../replayed/state/posts.json &&
		git dc replay state/posts.000001.json >seg1 &&
		test_cmp state/posts.000001.json seg1 &&
		git dc replay state/posts.json | jq -c "[.[].id]" >all &&
		echo "[0,1,2,3,100,4]" >expect &&
		test_cmp expect all
	)
'

test_expect_success 'check and verify refuse a hand-edited segment' '
	(
		cd main &&
		jq --indent 2 ".[0].author = \"x\"" state/posts.000001.json >edit &&
		mv edit state/posts.000001.json &&
		dc_commit_file state/posts.000001.json "edit a segment" &&
		test_expect_code 1 git dc check HEAD 2>err &&
		grep "state/posts.000001.json. is not the projection" err &&
		test_expect_code 1 git dc verify -q 2>err &&
		grep "state/posts.000001.json" err &&
		git reset -q --hard HEAD^
	)
'

test_expect_success 'check refuses a stray segment file, and a removed one' '
	(
		cd main &&
		echo "[]" >state/posts.000009.json &&
		dc_commit_file state/posts.000009.json "a stray segment" &&
		test_expect_code 1 git dc check HEAD 2>err &&
		grep "posts.000009.json" err &&
		test_expect_code 1 git dc verify -q 2>err &&
		grep "posts.000009.json" err &&
		git reset -q --hard HEAD^ &&
		git rm -q state/posts.000002.json &&
		test_tick &&
		git commit -q --no-verify -m "drop a segment" &&
		test_expect_code 1 git dc check HEAD 2>err &&
		grep "posts.000002.json" err &&
		git reset -q --hard HEAD^
	)
'

test_expect_success 'a segment that is not an array stops the merge, nothing written' '
	git clone -q main broken &&
	(
		cd broken &&
		git config core.hooksPath /dev/null &&
		echo "{\"not\": \"an array\"}" >state/posts.000000.json &&
		# .dc/head.json rewritten in the same commit, as by a merge made by
		# hand: the merge trusts that state (an edit alone would make it
		# fold again from genesis, t1200)
		jq --indent 4 . .dc/head.json >../head.json &&
		cp ../head.json .dc/head.json &&
		git add .dc/head.json &&
		dc_commit_file state/posts.000000.json "break a segment" &&
		dc_commit_delta 9 a 1 "\"posts\": [{\"id\": 9, \"author\": \"a\"}]" &&
		git rev-parse HEAD >before &&
		test_expect_code 1 git dc merge 2>err &&
		grep "canonical file .state/posts.000000.json. is an object, a segmented section needs an array" err &&
		git rev-parse HEAD >after &&
		test_cmp before after
	)
'

test_expect_success 'an array needing more than 1,000,000 segment files is refused' '
	git init -q many &&
	(
		cd many &&
		mkdir .dc &&
		echo "{\"version\": 1, \"sections\": {\"log\": {\"op\": \"append\", \"file\": \"state/log.json\", \"segment\": 1}}}" >.dc/rules.json &&
		git add .dc && test_tick && git commit -q -m genesis &&
		git dc init -q && git config core.hooksPath /dev/null &&
		mkdir -p $D &&
		{
			printf "{\"frame\": 1, \"stream_id\": \"s\", \"utc\": \"2026-01-01T00:00:00Z\", \"log\": [0" &&
			seq 1000000 | sed "s/^/,/" | tr -d "\n" &&
			printf "]}\n"
		} >$D/frame-1-s.json &&
		dc_commit_file $D/frame-1-s.json "a million and one events" &&
		git rev-parse HEAD >before &&
		test_expect_code 1 git dc merge 2>err &&
		grep "^error: .state/log.json. would need 1000001 segment files of 1 elements; segment numbers end at 999999$" err &&
		grep "^hint: raise the section" err &&
		git rev-parse HEAD >after &&
		test_cmp before after &&
		! test -e state/log.000000.json
	)
'

test_expect_success 'rules: segment needs the whole file, and a file of its own' '
	(
		cd main &&
		jq ".sections.posts.at = \"/list\"" .dc/rules.json >r.json &&
		mv r.json .dc/rules.json &&
		git add .dc/rules.json &&
		test_expect_code 1 git dc check --index 2>err &&
		grep "segment: needs the whole file as the target" err &&
		git checkout -q HEAD -- .dc/rules.json &&
		jq ".sections.more = {\"op\": \"append\", \"file\": \"state/posts.000007.json\"}" .dc/rules.json >r.json &&
		mv r.json .dc/rules.json &&
		git add .dc/rules.json &&
		test_expect_code 1 git dc check --index 2>err &&
		grep "a file of the segmented section .posts." err &&
		git checkout -q HEAD -- .dc/rules.json
	)
'

test_done
