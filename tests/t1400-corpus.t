#!/bin/sh
test_description='the rappterbook edge-case corpus, scenario by scenario

Each scenario directory holds the seeds platform state (input/state), the
deltas its workers wrote (input/stream_deltas), sometimes deltas that arrive
later (input/extra), and scenario.json: the steps to run and what the
scenario author expected. Where that expectation and PROTOCOL.md or
dc-protocol(7) disagree, the tests follow the protocol and say so.'
. "$(dirname "$0")/lib-dc.sh"

if ! test -d "$DC_CORPUS"
then
	skip_all="no corpus at $DC_CORPUS"
	test_done
fi

D=state/stream_deltas

# corpus_repo <scenario>: a repository whose genesis is the scenario's
# state, made a dc repository with the rappterbook preset, with the
# scenario's deltas committed by hand as a worker's branch brings them
corpus_repo () {
	git init -q "$1" &&
	(
		cd "$1" &&
		mkdir -p state $D &&
		cp "$DC_CORPUS/$1"/input/state/* state/ &&
		git add state &&
		test_tick &&
		git commit -q -m "state of $1" &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		cp "$DC_CORPUS/$1"/input/stream_deltas/* $D/ &&
		git add $D &&
		test_tick &&
		git commit -q --no-verify -m "deltas of $1"
	)
}

# run_steps <scenario>: run scenario.json's steps in the repository; the
# output of every merge goes to ../<scenario>.out, the steps this version
# does not run (library: books are not in this version) to ../<scenario>.skipped
run_steps () {
	jq -r '.steps[] | "\(.op) \(.frame // .name)"' "$DC_CORPUS/$1/scenario.json" >"$1.steps" &&
	: >"$1.out" &&
	: >"$1.skipped" &&
	(
		cd "$1" &&
		while read -r op arg
		do
			case "$op" in
			merge)
				git dc merge --frame "$arg" >>"../$1.out" || exit 1
				;;
			copy_in)
				cp "$DC_CORPUS/$1/input/extra/$arg" $D/ &&
				dc_commit_file "$D/$arg" "$arg arrives" || exit 1
				;;
			library)
				echo "$op $arg" >>"../$1.skipped"
				;;
			*)
				echo >&2 "unknown step '$op' in $1/scenario.json"
				exit 1
				;;
			esac
		done <"../$1.steps"
	)
}

# is <expected> <command>...: the command prints exactly <expected>
is () {
	printf '%s\n' "$1" >../expect &&
	shift &&
	"$@" >../actual &&
	test_cmp ../expect ../actual
}

# prints_nothing <command>...: the command prints nothing
prints_nothing () {
	"$@" >../actual &&
	test_must_be_empty ../actual
}

# merged_line <n> <deltas> <late> <events> <quarantined>: the summary line of
# the merge that made HEAD
merged_line () {
	d=deltas && test "$2" = 1 && d=delta
	e=events && test "$4" = 1 && e=event
	q=deltas && test "$5" = 1 && q=delta
	echo "Merged frame $1: $2 $d applied ($3 late), $4 $e, $5 $q quarantined: $(git rev-parse HEAD | cut -c1-12)"
}

# out_is <scenario>: stdin is exactly what the scenario's merges printed
out_is () {
	cat >../expect &&
	test_cmp ../expect "../$1.out"
}

numbers () {
	jq -c '[.posts[].number]' state/posted_log.json
}

post () {
	jq -c ".posts[] | select(.number == $1)" state/posted_log.json
}

# quarantined_status: path and reason of every delta status reports quarantined
quarantined_status () {
	git dc status --json | jq -r '.quarantined[] | "\(.path): \(.reason)"'
}

# ---- the checks, one per scenario ------------------------------------

check_chapters_library () {
	is '[100,101,102,600,601,602,603,604]' numbers &&
	is '[CHAPTER] Chapter 2: Noon
[CHAPTER] Chapter 2: Noon (rewrite)' \
		jq -r '.posts[] | select(.number == 601 or .number == 602) | .title' state/posted_log.json &&
	is 5 jq '.agents["agent-4"].post_count' state/agents.json &&
	is 6 jq '.channels.stories.post_count' state/channels.json &&
	is 8 jq '.total_posts' state/stats.json &&
	is 3 jq '.observations | length' state/observations.json &&
	is '3 3' jq -r '"\(.frame) \(.applied)"' .dc/head.json &&
	is '3
2
1' git log -3 --format='%(trailers:key=Dc-Frame,valueonly,separator=)'
}

check_chapters_library_no_catalog_meta () {
	# its only step is "library": nothing is merged, nothing is lost
	test_must_be_empty ../chapters_library_no_catalog_meta.out &&
	is 'null' sh -c 'git dc status --json | jq -c .frame' &&
	is 'state/stream_deltas/frame-1-stream-1.json 1 stream-1' \
		sh -c 'git dc status --json | jq -r ".pending[] | \"\(.path) \(.frame) \(.stream)\""'
}

check_comment_fingerprint_100_chars () {
	# the key is the exact (discussion, author, body), author normalized
	# from "agent": 3 distinct comments of stream-1, 1 of stream-2
	is '100 agent-2  first ending
100 agent-2  second ending
100 agent-2 same
101 agent-3 by author key' \
		jq -r '.comments[] | "\(.discussion) \(.agent // .author) \(.body | ltrimstr("x" * 100))"' \
		state/posted_log.json &&
	is 4 jq '.total_comments' state/stats.json &&
	merged_line 1 2 0 6 0 | out_is comment_fingerprint_100_chars
}

check_comments_added_is_string () {
	{
		echo "quarantined $D/frame-1-stream-2.json: section 'comments_added' is a string, expected an array or an object" &&
		merged_line 1 1 0 2 1
	} | out_is comments_added_is_string &&
	is '[100,101,102,520]' numbers &&
	is '[]' jq -c '.comments' state/posted_log.json &&
	is '4 0' jq -r '"\(.total_posts) \(.total_comments)"' state/stats.json &&
	is 1 git log -1 --format='%(trailers:key=Dc-Quarantined,valueonly,separator=)' &&
	is "$D/frame-1-stream-2.json: section 'comments_added' is a string, expected an array or an object" \
		jq -r '.quarantined[] | "\(.path): \(.reason)"' .dc/head.json
}

check_dup_post_lww_and_tie () {
	# the delta utc (completed_at) orders: stream-2 (03:00:02) is later and
	# wins both posts; created_at inside a post is data
	is '[100,101,102,290,291]' numbers &&
	is '{"number":290,"title":"v2","author":"agent-2","channel":"general","created_at":"2026-03-28T02:05:00Z"}' post 290 &&
	is '{"number":291,"title":"tie-B","author":"agent-2","channel":"general","created_at":"2026-03-28T02:00:00Z"}' post 291 &&
	is '1 3' jq -r '"\(.agents["agent-1"].post_count) \(.agents["agent-2"].post_count)"' state/agents.json &&
	is 5 jq '.total_posts' state/stats.json
}

check_frame_mismatch_and_string_frame () {
	{
		echo "quarantined $D/frame-1-stream-2.json: 'frame' is 2 but the path says 1" &&
		echo "quarantined $D/frame-1-stream-3.json: 'frame' is a string, expected an integer" &&
		merged_line 1 1 0 2 2
	} | out_is frame_mismatch_and_string_frame &&
	is '[100,101,102,270]' numbers &&
	is "$D/frame-1-stream-2.json: 'frame' is 2 but the path says 1
$D/frame-1-stream-3.json: 'frame' is a string, expected an integer" quarantined_status
}

check_idempotent_rerun () {
	{
		merged_line 1 1 0 4 0 &&
		echo "Nothing to merge: frame 1 is up to date"
	} | out_is idempotent_rerun &&
	is 'dc: merge frame 1
deltas of idempotent_rerun' git log -2 --format=%s &&
	is '[100,101,102,310]' numbers &&
	is 2 jq '.comments | length' state/posted_log.json &&
	is '4 2' jq -r '"\(.total_posts) \(.total_comments)"' state/stats.json
}

check_late_delta_and_cleanup () {
	late=$D/frame-1-macmini-2-agent-1.json &&
	is "late        $late: frame 1 arrived after frame 1 was merged" grep "^late" ../late_delta_and_cleanup.out &&
	is '[100,101,102,401,499,402,403,404,405,406,407,408,409,410,411,412]' numbers &&
	git cat-file -e HEAD:$late &&
	is '12 13' jq -r '"\(.frame) \(.applied)"' .dc/head.json &&
	is 1 jq '.agents["agent-5"].post_count' state/agents.json &&
	is 16 jq '.total_posts' state/stats.json &&
	is 12 git rev-list --count --grep='^dc: merge frame' HEAD &&
	# the same deltas all on time give the same bytes
	git init -q ../late_delta_and_cleanup.ontime &&
	(
		cd ../late_delta_and_cleanup.ontime &&
		src="$DC_CORPUS"/late_delta_and_cleanup/input &&
		mkdir -p state $D &&
		cp "$src"/state/* state/ &&
		git add state &&
		test_tick &&
		git commit -q -m "state" &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		cp "$src"/stream_deltas/* "$src"/extra/* $D/ &&
		git add $D &&
		test_tick &&
		git commit -q -m "every delta on time" &&
		git dc merge --frame 12 >/dev/null
	) &&
	for f in posted_log agents channels stats observations
	do
		test_cmp ../late_delta_and_cleanup.ontime/state/$f.json state/$f.json || return 1
	done &&
	jq 'del(.genesis)' .dc/head.json >../late.head &&
	jq 'del(.genesis)' ../late_delta_and_cleanup.ontime/.dc/head.json >../ontime.head &&
	test_cmp ../ontime.head ../late.head
}

check_llm_placeholder_timestamp () {
	# placeholders are not instants: all three are quarantined, loudly,
	# and stay reported; no commit, the state is untouched
	for s in 1 2 3
	do
		echo "quarantined $D/frame-1-stream-$s.json: 'completed_at' is not an RFC 3339 UTC instant: '<UTC ISO>'" || return 1
	done >../llm.q &&
	{
		cat ../llm.q &&
		echo "Nothing to merge: no valid delta yet"
	} | out_is llm_placeholder_timestamp &&
	is 'deltas of llm_placeholder_timestamp' git log -1 --format=%s &&
	sed "s/^quarantined //" ../llm.q >../expect.q &&
	quarantined_status >../actual.q &&
	test_cmp ../expect.q ../actual.q &&
	test_cmp "$DC_CORPUS"/llm_placeholder_timestamp/input/state/posted_log.json state/posted_log.json
}

check_meta_null () {
	# "_meta": null with a valid completed_at is a valid delta
	# (dc-protocol(7) 2): both apply, against the scenario text
	merged_line 1 2 0 4 0 | out_is meta_null &&
	is '[100,101,102,250,251]' numbers &&
	is '[]' jq -c '.quarantined' .dc/head.json
}

check_missing_timestamps () {
	# no utc at all: both quarantined, loudly; neither silently dropped
	{
		echo "quarantined $D/frame-1-stream-1.json: no utc: none of 'utc', 'completed_at', '_meta.timestamp' is present" &&
		echo "quarantined $D/frame-1-stream-2.json: no utc: none of 'utc', 'completed_at', '_meta.timestamp' is present" &&
		echo "Nothing to merge: no valid delta yet"
	} | out_is missing_timestamps &&
	is 2 sh -c 'git dc status --json | jq ".quarantined | length"' &&
	is '[100,101,102]' numbers
}

check_non_utf8 () {
	{
		echo "quarantined $D/frame-1-stream-2.json: invalid JSON: byte 142 (line 1, column 142): invalid UTF-8" &&
		merged_line 1 1 0 2 1
	} | out_is non_utf8 &&
	is '[100,101,102,260]' numbers
}

check_path_like_stream_id () {
	{
		echo "quarantined $D/frame-1-evil.json: 'stream_id' '../../outside' is not a valid stream id" &&
		echo "Nothing to merge: no valid delta yet"
	} | out_is path_like_stream_id &&
	prints_nothing find "$TRASH_DIRECTORY" -name outside -o -name pwn &&
	is '[100,101,102]' numbers
}

check_post_already_in_state () {
	# upsert into the genesis post: members keep their place, new ones last
	is '{"timestamp":"2026-03-27T00:00:00Z","title":"Seed 100 (edited)","channel":"general","number":100,"url":"https://example/discussions/100","author":"agent-1","created_at":"2026-03-28T02:59:00Z"}' post 100 &&
	is '[100,101,102]' numbers &&
	is 3 jq '.total_posts' state/stats.json &&
	is 1 jq '.agents["agent-1"].post_count' state/agents.json
}

check_post_without_number_and_string_number () {
	# the post without a number is quarantined as an event; "280" and 280
	# are different keys (PROTOCOL 5), so both are kept
	{
		echo "event       $D/frame-1-stream-1.json: posts_created[0]: key member 'number' is missing" &&
		merged_line 1 1 0 3 0
	} | out_is post_without_number_and_string_number &&
	is '[[100,"agent-1"],[101,"agent-2"],[102,"agent-3"],["280","agent-1"],[280,"agent-2"]]' \
		jq -c '[.posts[] | [.number, .author]]' state/posted_log.json &&
	is 5 jq '.total_posts' state/stats.json &&
	is '2 2' jq -r '"\(.agents["agent-1"].post_count) \(.agents["agent-2"].post_count)"' state/agents.json
}

check_same_second_two_streams () {
	is '[100,101,102,200,201,202]' numbers &&
	is 3 jq '.agents["agent-2"].post_count' state/agents.json &&
	is 6 jq '.total_posts' state/stats.json
}

check_stream_id_collision_across_workers () {
	# the second worker's path says stream w2-stream-1, its content says
	# stream-1: quarantined, and reported with both names
	{
		echo "quarantined $D/frame-1-w2-stream-1.json: 'stream_id' is 'stream-1' but the path says 'w2-stream-1'" &&
		merged_line 1 1 0 2 1
	} | out_is stream_id_collision_across_workers &&
	is '[100,101,102,500]' numbers &&
	is "$D/frame-1-w2-stream-1.json: 'stream_id' is 'stream-1' but the path says 'w2-stream-1'" quarantined_status
}

check_top_level_list () {
	{
		echo "quarantined $D/frame-1-stream-2.json: the top-level value is an array, expected an object" &&
		merged_line 1 1 0 2 1
	} | out_is top_level_list &&
	is '[100,101,102,240]' numbers
}

check_truncated_json () {
	{
		echo "quarantined $D/frame-1-stream-2.json: invalid JSON: line 16, column 6: unexpected end of input" &&
		merged_line 1 1 0 2 1
	} | out_is truncated_json &&
	is '[100,101,102,230]' numbers
}

check_unknown_author_and_channel () {
	# no reference check in the protocol: the post is kept and every
	# counter agrees with the posts
	is '[100,101,102,300]' numbers &&
	is '"ghost-99" {"post_count":1}' \
		jq -r '.agents | to_entries | last | "\(.key | tojson) \(.value | tojson)"' state/agents.json &&
	is '"no-such-channel" {"post_count":1}' \
		jq -r '.channels | to_entries | last | "\(.key | tojson) \(.value | tojson)"' state/channels.json &&
	is 4 jq '.total_posts' state/stats.json &&
	is 4 jq '[.agents[].post_count] | add' state/agents.json &&
	is 4 jq '[.channels[].post_count] | add' state/channels.json
}

check_votes_observations_profile_only () {
	# profile_updates of one delta apply in array order; their own "utc"
	# is data (dc-protocol(7) 3): the later element wins, against the
	# scenario text
	is '{"reactions":[{"discussion":100,"agent":"agent-1","reaction":"THUMBS_UP"}]}' \
		jq -c . state/reactions.json &&
	is '[{"becoming":{"agent-1":"more curious"},"relationships":{},"emerging_themes":["tides"]}]' \
		jq -c .observations state/observations.json &&
	is 'older bio' jq -r '.agents["agent-1"].bio' state/agents.json &&
	is '[100,101,102]' numbers
}

# a scenario without a check of its own: its steps run, and the work tree
# is clean afterwards
check_generic () {
	prints_nothing git status --porcelain
}

title_of () {
	case "$1" in
	chapters_library) echo 'chapters stay posts, one per number, and are collected into a book' ;;
	chapters_library_no_catalog_meta) echo 'no merge step: the chapters wait, pending' ;;
	comment_fingerprint_100_chars) echo 'comments deduplicated on the exact key' ;;
	comments_added_is_string) echo 'a string section quarantines its delta only' ;;
	dup_post_lww_and_tie) echo 'the later delta wins the same post' ;;
	frame_mismatch_and_string_frame) echo 'frame mismatch and string frame quarantined' ;;
	idempotent_rerun) echo 'the second merge changes nothing' ;;
	late_delta_and_cleanup) echo 'the late delta is merged, reported, and kept' ;;
	llm_placeholder_timestamp) echo 'placeholder timestamps quarantined, reported' ;;
	meta_null) echo '_meta null with a valid utc is valid' ;;
	missing_timestamps) echo 'deltas without a utc quarantined, reported' ;;
	non_utf8) echo 'invalid UTF-8 quarantined, the other delta applied' ;;
	path_like_stream_id) echo 'a path-like stream id quarantined, nothing written' ;;
	post_already_in_state) echo 'a post of genesis is updated in place' ;;
	post_without_number_and_string_number) echo 'no number: event quarantined; "280" and 280 differ' ;;
	same_second_two_streams) echo 'two streams in one second: every post applied' ;;
	stream_id_collision_across_workers) echo 'stream id and path disagree: quarantined' ;;
	top_level_list) echo 'a list delta quarantined, the other applied' ;;
	truncated_json) echo 'a truncated delta quarantined, the other applied' ;;
	unknown_author_and_channel) echo 'unknown author and channel counted consistently' ;;
	votes_observations_profile_only) echo 'reactions, observations, profile updates in order' ;;
	*) echo 'its steps run (no expectation written for it)' ;;
	esac
}

for dir in "$DC_CORPUS"/*/
do
	s=$(basename "$dir")
	test -f "$dir/scenario.json" || continue
	check=check_$s
	type "$check" >/dev/null 2>&1 || check=check_generic
	test_expect_success "$s: $(title_of "$s")" "
		corpus_repo $s &&
		run_steps $s &&
		(cd $s && $check)
	"
done

test_expect_success 'chapters_library: the book is published at its 4th chapter, the rewrite of chapter 2 wins' '
	printf "library 1\nlibrary 2\nlibrary 3\n" >expect &&
	test_cmp expect chapters_library.skipped &&
	jq -r ".posts[] | select(.title | startswith(\"[CHAPTER]\")) | .number" \
		chapters_library/state/posted_log.json >actual &&
	printf "600\n601\n602\n603\n604\n" >expect &&
	test_cmp expect actual &&
	jq -c "[.books[] | {book, chapters: [.chapters[].chapter]}], .in_progress" \
		chapters_library/state/book_catalog.json >actual &&
	printf "%s\n" "[{\"book\":\"agent-4\",\"chapters\":[1,2,3,4]}]" "[]" >expect &&
	test_cmp expect actual &&
	jq -r ".books[0].chapters[] | select(.chapter == 2) | .title" \
		chapters_library/state/book_catalog.json >actual &&
	echo "[CHAPTER] Chapter 2: Noon (rewrite)" >expect &&
	test_cmp expect actual
'

test_expect_success 'chapters_library_no_catalog_meta: the missing catalog is created, 3 chapters in progress' '
	echo "library 1" >expect &&
	test_cmp expect chapters_library_no_catalog_meta.skipped &&
	(
		cd chapters_library_no_catalog_meta &&
		git dc merge >/dev/null &&
		jq -r ".posts[] | select(.title | startswith(\"[CHAPTER]\")) | .number" \
			state/posted_log.json >../actual &&
		jq -c "[.in_progress[] | {book, chapters: [.chapters[].chapter]}]" \
			state/book_catalog.json >../catalog
	) &&
	printf "701\n702\n703\n" >expect &&
	test_cmp expect actual &&
	echo "[{\"book\":\"agent-4\",\"chapters\":[1,2,3]}]" >expect &&
	test_cmp expect catalog
'

test_done
