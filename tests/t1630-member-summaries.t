#!/bin/sh
test_description='member summaries: a file that is not segmented, read by its summary

A canonical file whose only writers are appends, adds and upserts into
arrays that are members of its top-level object ("/posts", "/comments") is
read by its summary (<gitdir>/dc-summaries/, under the file content id): its
skeleton is parsed, a base element only when an event needs it, and the file
is written as its old bytes with the new elements spliced in. Every test
here merges the same deltas in two clones of one genesis, "main" with
summaries and "twin" without (DC_SEGMENT_SUMMARIES=0): the trees must be
identical, bit for bit.'
. "$(dirname "$0")/lib-dc.sh"

# log.json: posts (upsert by id, counted) and comments (add by post and
# body); notes.json: two appends and a member nobody writes; people.json:
# an upsert counted by team; agents.json: an upsert into an object, which
# is never read this way.
write_rules () {
	mkdir -p .dc &&
	cat >.dc/rules.json <<-\EOF
	{"version": 1, "sections": {
	  "posts": {"op": "upsert", "file": "state/log.json", "at": "/posts", "key": "id"},
	  "comments": {"op": "add", "file": "state/log.json", "at": "/comments",
	    "key": ["post", "body"], "normalize": {"post": ["post", "discussion"]}},
	  "notes": {"op": "append", "file": "state/notes.json", "at": "/notes"},
	  "links": {"op": "append", "file": "state/notes.json", "at": "/links"},
	  "people": {"op": "upsert", "file": "state/people.json", "at": "/people", "key": "id"},
	  "agents": {"op": "upsert", "file": "state/agents.json", "at": "/agents", "key": "id"}},
	 "derived": [
	  {"op": "count", "file": "state/stats.json", "at": "/posts", "of": "posts"},
	  {"op": "count", "file": "state/stats.json", "at": "/comments", "of": "comments"},
	  {"op": "count", "file": "state/stats.json", "at": "/teams",
	   "of": "people", "group_by": "team", "field": "people"}]}
	EOF
}

# read_line <file>: main's trace for <file>, "N of M elements parsed"
read_line () {
	sed -n "s|^trace: read by its summary: state/$1, ||p" main/trace
}

# summary_of <file>: the first four bytes of main's summary of <file> in HEAD
summary_of () {
	id=$(git -C main rev-parse HEAD:state/$1) &&
	head -c 4 main/.git/dc-summaries/$id 2>/dev/null
}

test_expect_success 'setup: nested elements, a duplicate key, an empty array, and a twin' '
	git init -q main &&
	(
		cd main &&
		write_rules &&
		mkdir state &&
		cat >state/log.json <<-\EOF &&
		{"title": "log", "posts": [
		  {"id": 0, "title": "zero", "tags": ["a", "b"], "meta": {"x": [1, {"y": 2}], "z": {}}},
		  {"id": 1, "title": "one, with a \"]\" and \\n  ] inside", "meta": {"list": []}},
		  {"id": 0, "title": "second zero"}],
		 "comments": [{"post": 0, "body": "hi"}, {"post": 1, "body": "caf\u00e9 \u2603"}],
		 "tail": {"kept": [1, 2, 3]}}
		EOF
		printf "{\"title\": \"notes\", \"notes\": [], \"links\": []}\n" >state/notes.json &&
		cat >state/people.json <<-\EOF &&
		{"people": [{"id": "p0", "team": "t1"}, {"id": "p1", "team": "t2"}]}
		EOF
		printf "{\"agents\": {\"a1\": {\"id\": \"a1\"}}}\n" >state/agents.json &&
		dc_commit_genesis
	) &&
	dc_twin main twin
'

test_expect_success 'the first merge reads whole and leaves a summary of what it wrote' '
	dc_both 1 a 1 "\"posts\": [{\"id\": 2, \"title\": \"two\"}], \"notes\": [\"n1\"],
		\"people\": [{\"id\": \"p2\", \"team\": \"t1\"}], \"agents\": [{\"id\": \"a2\"}]" &&
	dc_merge_twins &&
	! grep "read by its summary" main/trace &&
	test "$(summary_of log.json)" = DCM1 &&
	test "$(summary_of notes.json)" = DCM1 &&
	test "$(summary_of people.json)" = DCM1 &&
	test -z "$(summary_of agents.json)" &&
	! test -e twin/.git/dc-summaries
'

test_expect_success 'a frame that only appends parses no base element' '
	dc_both 2 a 1 "\"posts\": [{\"id\": 3, \"title\": \"three\", \"deep\": [[], {}, [{\"k\": null}]]}],
		\"comments\": [{\"post\": 3, \"body\": \"new\"}], \"notes\": [\"n2\", {\"n\": 3}]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "0 of 6 elements parsed" &&
	test "$(read_line notes.json)" = "0 of 1 elements parsed" &&
	test "$(jq -c "[.posts[].id]" main/state/log.json)" = "[0,1,0,2,3]" &&
	test "$(jq -c .tail main/state/log.json)" = "{\"kept\":[1,2,3]}" &&
	test "$(jq .posts main/state/stats.json)" = 5 &&
	test "$(jq .comments main/state/stats.json)" = 3 &&
	test "$(summary_of log.json)" = DCM1
'

test_expect_success 'into an array empty in the base, then into one the summary made' '
	dc_both 3 a 1 "\"links\": [\"l1\"]" &&
	dc_merge_twins &&
	test "$(read_line notes.json)" = "0 of 3 elements parsed" &&
	test "$(jq -c .links main/state/notes.json)" = "[\"l1\"]" &&
	dc_both 4 a 1 "\"links\": [\"l2\"], \"notes\": [\"n4\"]" &&
	dc_merge_twins &&
	test "$(read_line notes.json)" = "0 of 4 elements parsed" &&
	test "$(jq -c . main/state/notes.json)" = \
		"{\"title\":\"notes\",\"notes\":[\"n1\",\"n2\",{\"n\":3},\"n4\"],\"links\":[\"l1\",\"l2\"]}"
'

test_expect_success 'an add of a comment the base holds parses that one element, and adds nothing' '
	dc_both 5 a 1 "\"comments\": [{\"discussion\": 1, \"body\": \"caf\u00e9 \u2603\"}, {\"post\": 9, \"body\": \"x\"}]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "1 of 8 elements parsed" &&
	test "$(jq ".comments | length" main/state/log.json)" = 4
'

test_expect_success 'an upsert of a base element rewrites it in place: the first of equal keys' '
	dc_both 6 a 1 "\"posts\": [{\"id\": 0, \"title\": \"ZERO\", \"meta\": {\"x\": [9]}}]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "1 of 9 elements parsed" &&
	test "$(jq -c "[.posts[].title]" main/state/log.json)" = \
		"[\"ZERO\",\"one, with a \\\"]\\\" and \\\\n  ] inside\",\"second zero\",\"two\",\"three\"]" &&
	test "$(jq -c .posts[0].meta main/state/log.json)" = "{\"x\":[9],\"z\":{}}" &&
	dc_both 7 a 1 "\"posts\": [{\"id\": 1, \"title\": \"1\"}, {\"id\": 3, \"title\": \"3\"}]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "2 of 9 elements parsed" &&
	test "$(jq -c "[.posts[].title]" main/state/log.json)" = \
		"[\"ZERO\",\"1\",\"second zero\",\"two\",\"3\"]"
'

test_expect_success 'an unchanged upsert of a base element leaves its bytes' '
	dc_both 8 a 1 "\"posts\": [{\"id\": 2, \"title\": \"two\"}], \"notes\": [\"n\"]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "1 of 9 elements parsed" &&
	git -C main diff --quiet HEAD~2 HEAD -- state/log.json
'

test_expect_success 'an upsert that moves a base element to another group reads the file whole' '
	dc_both 9 a 1 "\"people\": [{\"id\": \"p0\", \"team\": \"t3\"}]" &&
	dc_merge_twins &&
	test "$(read_line people.json)" = "then whole, 3 of 3 elements parsed" &&
	test "$(jq -c .teams main/state/stats.json)" = \
		"{\"t3\":{\"people\":1},\"t2\":{\"people\":1},\"t1\":{\"people\":1}}" &&
	dc_both 10 a 1 "\"people\": [{\"id\": \"p3\", \"team\": \"t3\"}]" &&
	dc_merge_twins &&
	test "$(read_line people.json)" = "0 of 3 elements parsed" &&
	test "$(jq -c .teams.t3 main/state/stats.json)" = "{\"people\":2}"
'

test_expect_success 'several streams in one frame, with quarantined events' '
	dc_both 11 a 1 "\"posts\": [{\"title\": \"no id\"}, {\"id\": 10}], \"comments\": [{\"body\": 1}]" &&
	dc_both 11 b 2 "\"posts\": [{\"id\": 10, \"title\": \"b\"}], \"comments\": [{\"post\": 0, \"body\": \"hi\"}]" &&
	dc_merge_twins &&
	test "$(jq -c ".posts[-1]" main/state/log.json)" = "{\"id\":10,\"title\":\"b\"}"
'

test_expect_success 'a late delta folds again from genesis, with the same bytes' '
	dc_both 3 c 9 "\"posts\": [{\"id\": 0, \"title\": \"late\"}], \"people\": [{\"id\": \"p1\", \"team\": \"t4\"}]" &&
	dc_merge_twins &&
	test "$(jq -c .teams.t4 main/state/stats.json)" = "{\"people\":1}"
'

test_expect_success 'broken summaries are ignored, and replaced' '
	for f in main/.git/dc-summaries/*
	do
		printf garbage >"$f" || return 1
	done &&
	dc_both 12 a 1 "\"posts\": [{\"id\": 11}], \"notes\": [11], \"people\": [{\"id\": \"p11\"}]" &&
	dc_merge_twins &&
	! grep "read by its summary" main/trace &&
	test "$(summary_of log.json)" = DCM1 &&
	id=$(git -C main rev-parse HEAD:state/log.json) &&
	size=$(wc -c <main/.git/dc-summaries/$id) &&
	head -c $((size - 1)) main/.git/dc-summaries/$id >cut &&
	mv cut main/.git/dc-summaries/$id &&
	dc_both 13 a 1 "\"posts\": [{\"id\": 12}], \"notes\": [12]" &&
	dc_merge_twins &&
	! grep "read by its summary: state/log.json" main/trace &&
	grep "read by its summary: state/notes.json" main/trace &&
	dc_both 14 a 1 "\"posts\": [{\"id\": 13}]" &&
	dc_merge_twins &&
	grep "read by its summary: state/log.json" main/trace
'

test_expect_success 'a summary is not used for other bytes, nor under other rules' '
	id=$(git -C main rev-parse HEAD:state/log.json) &&
	cp main/.git/dc-summaries/$id old-summary &&
	dc_both 15 a 1 "\"posts\": [{\"id\": 15}]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "0 of 13 elements parsed" &&
	! test -e main/.git/dc-summaries/$id &&
	new=$(git -C main rev-parse HEAD:state/log.json) &&
	cp old-summary main/.git/dc-summaries/$new &&
	dc_both 16 a 1 "\"posts\": [{\"id\": 16}]" &&
	dc_merge_twins &&
	! grep "read by its summary: state/log.json" main/trace &&
	for r in main twin
	do
		(
			cd $r &&
			jq ".sections.comments.key = [\"body\", \"post\"]" .dc/rules.json >r.json &&
			jq --indent 2 . r.json >.dc/rules.json &&
			git add .dc/rules.json &&
			test_tick &&
			git commit -q -m "comments keyed by body, then post"
		) || return 1
	done &&
	dc_merge_twins &&
	! grep "read by its summary: state/log.json" main/trace &&
	dc_both 17 a 1 "\"comments\": [{\"post\": 0, \"body\": \"hi\"}]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "1 of 15 elements parsed" &&
	test "$(jq "[.comments[] | select(.body == \"hi\")] | length" main/state/log.json)" = 1
'

test_expect_success 'DC_SEGMENT_SUMMARIES=0 reads the file whole' '
	dc_both 19 a 1 "\"notes\": [16]" &&
	(cd main && DC_SEGMENT_SUMMARIES=0 DC_TRACE_PERFORMANCE=1 git dc merge -q 2>trace) &&
	(cd twin && DC_SEGMENT_SUMMARIES=0 git dc merge -q) &&
	! grep "read by its summary" main/trace &&
	test "$(git -C main rev-parse HEAD^{tree})" = "$(git -C twin rev-parse HEAD^{tree})"
'

test_expect_success 'a merge killed before its ref moved gives, merged again, the twin bytes' '
	dc_both 20 a 1 "\"notes\": [17]" &&
	dc_merge_twins &&
	dc_both 21 k 1 "\"posts\": [{\"id\": 0, \"title\": \"k\"}], \"notes\": [18]" &&
	(cd twin && DC_SEGMENT_SUMMARIES=0 git dc merge -q) &&
	(
		cd main &&
		test_expect_code 137 env DC_CRASH_AT=journal git dc merge -q &&
		test "$(head -c 4 .git/dc-summaries/$(git rev-parse HEAD:state/log.json))" = DCM1 &&
		DC_TRACE_PERFORMANCE=1 git dc merge -q 2>../main/trace
	) &&
	test "$(read_line log.json)" = "1 of 15 elements parsed" &&
	test "$(git -C main rev-parse HEAD^{tree})" = "$(git -C twin rev-parse HEAD^{tree})"
'

test_expect_success 'the result checks and verifies' '
	(
		cd main &&
		git dc check HEAD &&
		git dc verify -q
	)
'

test_done
