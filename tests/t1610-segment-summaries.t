#!/bin/sh
test_description='segment summaries: a segmented file read segment by segment

The merge keeps, per segment file content, a summary of what the fold needs
of a segment it does not parse (its length, its key hashes, its tallies for
the derived counts) under <gitdir>/dc-summaries/. With them a frame reads
only the segments its events reach. Every test here merges the same deltas
in two clones of one genesis, "main" with summaries and "twin" without
(DC_SEGMENT_SUMMARIES=0): the trees must be identical, bit for bit.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas

# posts: add keyed by id (or pid); people: upsert keyed by id; log: append.
# Counts: posts per author, people per team, and every log entry.
write_rules () {
	mkdir -p .dc &&
	cat >.dc/rules.json <<-\EOF
	{"version": 1, "sections": {
	  "posts": {"op": "add", "file": "state/posts.json", "key": "id",
	    "normalize": {"id": ["id", "pid"]}, "segment": 2},
	  "people": {"op": "upsert", "file": "state/people.json", "key": "id", "segment": 3},
	  "log": {"op": "append", "file": "state/log.json", "segment": 2}},
	 "derived": [
	  {"op": "count", "file": "state/stats.json", "at": "/authors",
	   "of": "posts", "group_by": "author", "field": "posts"},
	  {"op": "count", "file": "state/stats.json", "at": "/teams",
	   "of": "people", "group_by": "team", "field": "people"},
	  {"op": "count", "file": "state/stats.json", "at": "/log_total", "of": "log"}]}
	EOF
}

# read_line <file>: main's trace line for <file>, "segments read: ..."
read_line () {
	sed -n "s|^trace: segments read: state/$1 ||p" main/trace
}

test_expect_success 'setup: a genesis with duplicate keys across segments, and a twin' '
	git init -q main &&
	(
		cd main &&
		write_rules &&
		mkdir state &&
		cat >state/posts.json <<-\EOF &&
		[{"id": 0, "author": "z"}, {"id": 1, "author": "y"}, {"id": 0, "author": "dup"}]
		EOF
		cat >state/people.json <<-\EOF &&
		[{"id": "p0", "team": "t1"}, {"id": "p1", "team": "t1"}, {"id": "p2", "team": "t2"},
		 {"id": "p0", "team": "second"}]
		EOF
		dc_commit_genesis
	) &&
	dc_twin main twin
'

test_expect_success 'the first merge splits the plain files and leaves summaries of the segments' '
	dc_both 1 a 1 "\"posts\": [{\"id\": 2, \"author\": \"a\"}], \"log\": [1, 2, 3]" &&
	dc_merge_twins &&
	test "$(read_line posts.json)" = "0 of 0" &&
	git -C main ls-tree --name-only HEAD state/ | grep "\.0000" | sort >segs &&
	test $(wc -l <segs) = 4 &&
	for s in $(cat segs)
	do
		id=$(git -C main rev-parse HEAD:$s) &&
		test -s main/.git/dc-summaries/$id || return 1
	done &&
	! test -e twin/.git/dc-summaries
'

test_expect_success 'a frame that only appends reads no segment: the new elements are spliced in' '
	dc_both 2 a 1 "\"log\": [4]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "0 of 2 (from summaries)" &&
	test "$(jq -c . main/state/log.000001.json)" = "[3,4]" &&
	test "$(jq .log_total main/state/stats.json)" = 4 &&
	dc_both 3 a 1 "\"log\": [5]" &&
	dc_merge_twins &&
	test "$(read_line log.json)" = "0 of 2 (from summaries)" &&
	test "$(jq -c . main/state/log.000002.json)" = "[5]"
'

test_expect_success 'an add of a key an old segment holds is found there, once' '
	dc_both 4 a 1 "\"posts\": [{\"id\": 5, \"author\": \"b\"}, {\"id\": 6, \"author\": \"b\"}]" &&
	dc_merge_twins &&
	dc_both 5 b 1 "\"posts\": [{\"pid\": 1, \"author\": \"again\"}, {\"id\": 0, \"author\": \"x\"}]" &&
	dc_merge_twins &&
	test "$(read_line posts.json)" = "1 of 3 (from summaries)" &&
	(cd main && git dc log --json) >/dev/null &&
	test "$(git -C main show HEAD:state/posts.000000.json | jq -c "[.[].author]")" = "[\"z\",\"y\"]" &&
	test "$(jq -c .authors main/state/stats.json)" = \
		"{\"z\":{\"posts\":1},\"y\":{\"posts\":1},\"dup\":{\"posts\":1},\"a\":{\"posts\":1},\"b\":{\"posts\":2}}"
'

test_expect_success 'an upsert changes the first of equal keys, in its old segment, and the tallies follow' '
	dc_both 6 a 1 "\"people\": [{\"id\": \"p3\", \"team\": \"t2\"}]" &&
	dc_merge_twins &&
	dc_both 7 a 1 "\"people\": [{\"id\": \"p0\", \"team\": \"t3\"}]" &&
	dc_merge_twins &&
	test "$(read_line people.json)" = "1 of 2 (from summaries)" &&
	test "$(jq -c "[.[].team]" main/state/people.000000.json)" = "[\"t3\",\"t1\",\"t2\"]" &&
	test "$(jq -c "[.[].team]" main/state/people.000001.json)" = "[\"second\",\"t2\"]" &&
	test "$(jq -c .teams main/state/stats.json)" = \
		"{\"t3\":{\"people\":1},\"t1\":{\"people\":1},\"t2\":{\"people\":2},\"second\":{\"people\":1}}"
'

test_expect_success 'quarantined events and several streams in one frame' '
	dc_both 8 a 1 "\"posts\": [{\"author\": \"nokey\"}, {\"id\": 7, \"author\": \"c\"}], \"people\": [{\"team\": \"t9\"}]" &&
	dc_both 8 b 2 "\"posts\": [{\"id\": 7, \"author\": \"late\"}, {\"id\": 8, \"author\": \"c\"}], \"log\": [6, 7, 8]" &&
	dc_merge_twins &&
	test "$(jq ".quarantined | length" main/.dc/head.json)" -ge 0 &&
	test "$(jq -c "[.[].id]" main/state/posts.000003.json)" = "[7,8]"
'

test_expect_success 'a late delta folds again from genesis, with the same bytes' '
	dc_both 3 c 9 "\"posts\": [{\"id\": 100, \"author\": \"late\"}], \"people\": [{\"id\": \"p1\", \"team\": \"t4\"}]" &&
	dc_merge_twins &&
	test "$(jq -c .teams.t4 main/state/stats.json)" = "{\"people\":1}"
'

test_expect_success 'broken summaries are ignored, and replaced' '
	for f in main/.git/dc-summaries/*
	do
		printf garbage >"$f" || return 1
	done &&
	dc_both 9 a 1 "\"posts\": [{\"id\": 9, \"author\": \"d\"}], \"people\": [{\"id\": \"p2\", \"team\": \"t1\"}]" &&
	dc_merge_twins &&
	! grep "from summaries" main/trace &&
	for id in $(git -C main ls-tree HEAD state/ | sed -n "s/.* blob \([0-9a-f]*\).*\.0000.*/\1/p")
	do
		test "$(head -c 4 main/.git/dc-summaries/$id)" = DCS1 || return 1
	done &&
	for f in $(ls main/.git/dc-summaries | sed -n "1~2p")
	do
		head -c 40 main/.git/dc-summaries/$f >cut &&
		mv cut main/.git/dc-summaries/$f || return 1
	done &&
	dc_both 10 a 1 "\"posts\": [{\"id\": 10, \"author\": \"d\"}], \"log\": [9]" &&
	dc_merge_twins &&
	dc_both 11 a 1 "\"posts\": [{\"id\": 1, \"author\": \"d\"}], \"log\": [10]" &&
	dc_merge_twins &&
	grep "from summaries" main/trace
'

test_expect_success 'summaries made under other rules are not used' '
	(cd main && git tag before-rules) &&
	for r in main twin
	do
		(
			cd $r &&
			jq ".derived[1].group_by = \"id\"" .dc/rules.json >r.json &&
			jq --indent 2 . r.json >.dc/rules.json &&
			git add .dc/rules.json &&
			test_tick &&
			git commit -q -m "count people by id"
		) || return 1
	done &&
	dc_merge_twins &&
	! grep "from summaries" main/trace &&
	test "$(jq -c .teams.p0 main/state/stats.json)" = "{\"people\":2}" &&
	dc_both 12 a 1 "\"people\": [{\"id\": \"p9\"}]" &&
	dc_merge_twins &&
	test "$(read_line people.json)" = "0 of 2 (from summaries)"
'

test_expect_success 'DC_SEGMENT_SUMMARIES=0 reads every segment' '
	dc_both 13 a 1 "\"log\": [11]" &&
	(cd main && DC_SEGMENT_SUMMARIES=0 DC_TRACE_PERFORMANCE=1 git dc merge -q 2>trace) &&
	(cd twin && DC_SEGMENT_SUMMARIES=0 git dc merge -q) &&
	! grep "from summaries" main/trace &&
	test "$(git -C main rev-parse HEAD^{tree})" = "$(git -C twin rev-parse HEAD^{tree})"
'

test_expect_success 'the summaries kept follow the segments in the state' '
	dc_both 14 a 1 "\"log\": [12]" &&
	dc_merge_twins &&
	git -C main ls-tree HEAD state/ | grep "\.0000" | sed "s/.* blob \([0-9a-f]*\).*/\1/" |
		sort >want &&
	for id in $(cat want)
	do
		test -s main/.git/dc-summaries/$id || return 1
	done
'

for point in blobs journal ref worktree
do
	test_expect_success "a merge killed at '$point' gives, merged again, the twin's bytes" "
		dc_both 15 k 1 '\"posts\": [{\"id\": 150, \"author\": \"k\"}], \"log\": [15], \"people\": [{\"id\": \"p1\", \"team\": \"k\"}]' &&
		(cd twin && DC_SEGMENT_SUMMARIES=0 git dc merge -q) &&
		(
			cd main &&
			git ls-tree HEAD state/ | sed -n 's/.* blob \\([0-9a-f]*\\).*\\.0000.*/\\1/p' >../ids &&
			for id in \$(cat ../ids)
			do
				test ! -s .git/dc-summaries/\$id || echo \$id
			done >../before-ids &&
			test -s ../before-ids &&
			test_expect_code 137 env DC_CRASH_AT=$point git dc merge -q &&
			if test $point = blobs || test $point = journal
			then
				# the branch did not move: its state's summaries are still there
				for id in \$(cat ../before-ids)
				do
					test -s .git/dc-summaries/\$id || return 1
				done
			fi &&
			git dc merge -q
		) &&
		git -C main rev-parse HEAD^{tree} >main.tree &&
		git -C twin rev-parse HEAD^{tree} >twin.tree &&
		test_cmp main.tree twin.tree &&
		test -z \"\$(git -C main status --porcelain --untracked-files=no)\" &&
		for r in main twin
		do
			(cd \$r && git reset -q --hard HEAD~2) || return 1
		done
	"
done

test_expect_success 'the result checks and verifies' '
	(
		cd main &&
		git dc check HEAD &&
		git dc verify -q
	)
'

test_done
