#!/bin/sh
test_description='chunked blobs: a big file read by its summary is deflated where it changed

A canonical file of 1 MiB or more that has a summary is written as a loose
blob deflated in chunks, with a chunk map beside its summary
(<gitdir>/dc-summaries/<blob id>.z). The next merge, which splices into
those bytes, takes every chunk it did not change from the old loose file
as it is and deflates the others. Every test here merges the same deltas
in two clones of one genesis, "main" with summaries and "twin" without:
the trees must be identical, and git must read every object back.'
. "$(dirname "$0")/lib-dc.sh"

# chunk_line <file>: main's trace for <file>, "N of M deflated"
chunk_line () {
	sed -n "s|^trace: written in chunks: state/$1, ||p" main/trace
}

# deflated <file>: N of chunk_line; chunks <file>: M
deflated () {
	chunk_line "$1" | cut -d" " -f1
}

chunks () {
	chunk_line "$1" | cut -d" " -f3
}

# map_of <rev>: main's chunk map of state/log.json at <rev>
map_of () {
	echo "main/.git/dc-summaries/$(git -C main rev-parse "$1":state/log.json).z"
}

# loose_of <rev>: main's loose object of state/log.json at <rev>
loose_of () {
	id=$(git -C main rev-parse "$1":state/log.json) &&
	echo "main/.git/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-)"
}

# sound: git reads every object of main whole, its id checked, and the
# work tree's log.json is the blob
sound () {
	git -C main fsck --full --strict --no-dangling &&
	git -C main cat-file blob HEAD:state/log.json >blob &&
	test_cmp blob main/state/log.json
}

test_expect_success 'setup: a log of 9,000 posts (about 1.5 MiB written), and a twin' '
	git init -q main &&
	(
		cd main &&
		mkdir -p .dc state &&
		cat >.dc/rules.json <<-\EOF &&
		{"version": 1, "sections": {
		  "posts": {"op": "upsert", "file": "state/log.json", "at": "/posts", "key": "id"},
		  "comments": {"op": "add", "file": "state/log.json", "at": "/comments",
		    "key": ["post", "body"]}}}
		EOF
		awk "BEGIN {
			printf \"{\\\"title\\\": \\\"log\\\", \\\"posts\\\": [\";
			for (i = 0; i < 9000; i++)
				printf \"%s{\\\"id\\\": %d, \\\"title\\\": \\\"post %d\\\", \\\"body\\\": \\\"%s %d\\\"}\",
					i ? \", \" : \"\", i, i, \"the quick brown fox jumps over the lazy dog\", i * 7919 % 10007;
			printf \"], \\\"comments\\\": []}\\n\";
		}" >state/log.json &&
		dc_commit_genesis
	) &&
	dc_twin main twin
'

test_expect_success 'the first merge deflates every chunk and leaves a map' '
	dc_both 1 a 1 "\"posts\": [{\"id\": 9000, \"title\": \"new\"}]" &&
	dc_merge_twins &&
	test $(wc -c <main/state/log.json) -gt 1048576 &&
	test "$(deflated log.json)" = "$(chunks log.json)" &&
	test "$(chunks log.json)" -ge 8 &&
	test -s "$(map_of HEAD)" &&
	! ls twin/.git/dc-summaries 2>/dev/null | grep "\.z$" &&
	sound
'

test_expect_success 'a frame that changes three places deflates only their chunks' '
	dc_both 2 a 1 "\"posts\": [{\"id\": 4500, \"title\": \"changed\"}, {\"id\": 9001}],
		\"comments\": [{\"post\": 1, \"body\": \"first\"}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" -ge 1 &&
	test "$(deflated log.json)" -le 4 &&
	test "$(chunks log.json)" -ge 8 &&
	! test -e "$(map_of HEAD~2)" &&
	test -s "$(map_of HEAD)" &&
	test "$(jq -r ".posts[4500].title" main/state/log.json)" = changed &&
	sound
'

test_expect_success 'and the next one from the map that frame wrote' '
	dc_both 3 a 1 "\"posts\": [{\"id\": 10, \"title\": \"ten\"}, {\"id\": 9002}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" -le 4 &&
	sound
'

test_expect_success 'a map that does not decode: every chunk deflated, and a new map' '
	printf garbage >"$(map_of HEAD)" &&
	dc_both 4 a 1 "\"posts\": [{\"id\": 9003}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" = "$(chunks log.json)" &&
	sound &&
	map=$(map_of HEAD) &&
	size=$(wc -c <"$map") &&
	head -c $((size - 1)) "$map" >cut &&
	mv cut "$map" &&
	dc_both 5 a 1 "\"posts\": [{\"id\": 9004}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" = "$(chunks log.json)" &&
	sound
'

test_expect_success 'the map of another object: every chunk deflated' '
	cp "$(map_of HEAD)" old-map &&
	dc_both 6 a 1 "\"posts\": [{\"id\": 9005}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" -le 4 &&
	cp old-map "$(map_of HEAD)" &&
	dc_both 7 a 1 "\"posts\": [{\"id\": 9006}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" = "$(chunks log.json)" &&
	sound
'

test_expect_success 'a base object git wrote again its own way: every chunk deflated' '
	loose=$(loose_of HEAD) &&
	git -C main cat-file blob HEAD:state/log.json >bytes &&
	chmod u+w "$loose" &&
	rm "$loose" &&
	git -C main -c core.looseCompression=9 hash-object -w --stdin <bytes &&
	test -f "$loose" &&
	dc_both 8 a 1 "\"posts\": [{\"id\": 9007}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" = "$(chunks log.json)" &&
	sound
'

test_expect_success 'after git gc (the base packed): every chunk deflated, then taken again' '
	git -C main gc -q --prune=now &&
	! test -e "$(loose_of HEAD)" &&
	dc_both 9 a 1 "\"posts\": [{\"id\": 9008}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" = "$(chunks log.json)" &&
	dc_both 10 a 1 "\"posts\": [{\"id\": 9009}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" -le 4 &&
	sound
'

test_expect_success 'core.looseCompression changed: every chunk deflated at the new level' '
	git -C main config core.looseCompression 0 &&
	dc_both 11 a 1 "\"posts\": [{\"id\": 9010}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" = "$(chunks log.json)" &&
	test $(wc -c <"$(loose_of HEAD)") -gt $(wc -c <main/state/log.json) &&
	dc_both 12 a 1 "\"posts\": [{\"id\": 9011}]" &&
	dc_merge_twins &&
	test "$(deflated log.json)" -le 4 &&
	git -C main config --unset core.looseCompression &&
	sound
'

test_expect_success 'a frame that changes nothing in the file writes no blob' '
	dc_both 13 a 1 "\"posts\": [{\"id\": 10, \"title\": \"ten\"}]" &&
	dc_merge_twins &&
	test -z "$(chunk_line log.json)" &&
	git -C main diff --quiet HEAD~2 HEAD -- state/log.json
'

test_expect_success 'DC_SEGMENT_SUMMARIES=0 writes no chunks and no map' '
	dc_both 14 a 1 "\"posts\": [{\"id\": 9012}]" &&
	(cd main && DC_SEGMENT_SUMMARIES=0 DC_TRACE_PERFORMANCE=1 git dc merge -q 2>trace) &&
	(cd twin && DC_SEGMENT_SUMMARIES=0 git dc merge -q) &&
	test -z "$(chunk_line log.json)" &&
	! test -e "$(map_of HEAD)" &&
	test "$(git -C main rev-parse HEAD^{tree})" = "$(git -C twin rev-parse HEAD^{tree})" &&
	sound
'

test_expect_success 'the result checks and verifies' '
	(
		cd main &&
		git dc check HEAD &&
		git dc verify -q
	)
'

test_done
