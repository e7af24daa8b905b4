#!/bin/sh
test_description='git dc replay, verify, diff, blame and log: the log read back

One history serves every command: a genesis state, three frames merged
one at a time, a quarantined delta, a late delta (frame 2, arriving with
frame 3) and a delta of a frame not merged yet. Commits made by hand run
without hooks (core.hooksPath=/dev/null), as a client that skips them
would push them.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
SQ="'"

# commit_delta <name>: write stdin to the delta directory as <name>, commit it
commit_delta () {
	mkdir -p "$D" &&
	cat >"$D/$1" &&
	dc_commit_file "$D/$1" "delta $1"
}

# merge_frame <n> <tag>: git dc merge --frame <n>, tagged
merge_frame () {
	git dc merge -q --frame "$1" >/dev/null &&
	git tag "$2"
}

test_expect_success 'setup: genesis, three merged frames, a late and a quarantined delta' '
	git init -q main &&
	(
		cd main &&
		mkdir state &&
		printf "{\n  \"agents\": {\n    \"agent-z\": {\n      \"bio\": \"original\"\n    }\n  }\n}\n" \
			>state/agents.json &&
		test_commit genesis-state state/agents.json "$(cat state/agents.json)" &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		git config core.hooksPath /dev/null &&
		git tag genesis &&

		dc_delta_json 1 alpha 2026-03-28T03:00:02Z "\"posts_created\": [{\"number\": 1, \"title\": \"Hello\", \"author\": \"agent-a\"}],
  \"comments_added\": [{\"discussion\": 1, \"author\": \"agent-b\", \"body\": \"first!\"}]" |
		commit_delta frame-1-alpha.json &&
		dc_delta_json 1 beta 2026-03-28T03:00:01Z "\"posts_created\": [{\"number\": 2, \"title\": \"Second\", \"author\": \"agent-b\"}],
  \"profile_updates\": [{\"agent\": \"agent-a\", \"field\": \"bio\", \"value\": \"writer\"}]" |
		commit_delta frame-1-beta.json &&
		merge_frame 1 m1 &&

		dc_delta_json 2 alpha 2026-03-28T03:10:05Z "\"profile_updates\": [{\"agent\": \"agent-a\", \"field\": \"bio\", \"value\": \"poet\"},
    {\"agent\": \"agent-z\", \"field\": \"mood\", \"value\": \"busy\"}]" |
		commit_delta frame-2-alpha.json &&
		dc_delta_json 2 beta 2026-03-28T03:10:01Z "\"profile_updates\": [{\"agent\": \"agent-a\", \"field\": \"bio\", \"value\": \"painter\"}],
  \"reactions_added\": [{\"discussion\": 1, \"agent\": \"agent-b\", \"reaction\": \"HEART\"}]" |
		commit_delta frame-2-beta.json &&
		printf "{\"frame\": \"2\", \"stream_id\": \"broken\", \"utc\": \"2026-03-28T03:10:00Z\"}\n" |
		commit_delta frame-2-broken.json &&
		merge_frame 2 m2 &&

		dc_delta_json 2 gamma 2026-03-28T03:10:09Z "\"profile_updates\": [{\"agent\": \"agent-a\", \"field\": \"bio\", \"value\": \"sculptor\"}],
  \"posts_created\": [{\"number\": 3, \"title\": \"Late\", \"author\": \"agent-c\"}]" |
		commit_delta frame-2-gamma.json &&
		dc_delta_json 3 alpha 2026-03-28T03:20:00Z "\"comments_added\": [{\"discussion\": 3, \"author\": \"agent-a\", \"body\": \"welcome\"}],
  \"profile_updates\": [{\"agent\": \"agent-z\", \"field\": \"mood\", \"value\": \"calm\"}]" |
		commit_delta frame-3-alpha.json &&
		merge_frame 3 m3 &&

		dc_delta_json 9 beta 2026-03-28T04:30:00Z "\"observations\": [{\"note\": \"later\"}]" |
		commit_delta frame-9-beta.json &&
		git show m3:state/agents.json >../m3-agents &&
		grep -q sculptor ../m3-agents
	)
'

# ---- replay ---------------------------------------------------------------

# same_as_commit <dir> <rev> <replay.json>: every canonical file the replay
# wrote under <dir> has the bytes of <rev>, every one it found absent is
# absent there
same_as_commit () {
	jq -r ".files[] | select(.blob) | .path" "$3" >present &&
	test -s present &&
	while read -r f
	do
		git show "$2:$f" >expect-file &&
		test_cmp expect-file "$1/$f" &&
		test "$(git rev-parse "$2:$f")" = "$(jq -r ".files[] | select(.path == \"$f\") | .blob" "$3")" ||
		return 1
	done <present &&
	jq -r ".files[] | select(.blob == null) | .path" "$3" >absent &&
	while read -r f
	do
		test_must_fail git cat-file -e "$2:$f" 2>/dev/null &&
		! test -e "$1/$f" || return 1
	done <absent
}

test_expect_success 'replay --to 1 gives the bytes of the merge commit of frame 1' '
	(
		cd main &&
		git dc replay --to 1 --out ../r1 --json >../r1.json &&
		test "$(jq -r .frame ../r1.json)" = 1 &&
		test "$(jq -r .deltas ../r1.json)" = 2 &&
		same_as_commit ../r1 m1 ../r1.json
	)
'

test_expect_success 'replay without --to: the merged frame, the bytes of HEAD' '
	(
		cd main &&
		git dc replay --out ../r3 >../out &&
		echo "Replayed frame 3 from genesis (6 deltas) into ${SQ}../r3${SQ}: 4 files written, 4 absent" >../expect &&
		test_cmp ../expect ../out &&
		git dc replay --out ../r3 --json >../r3.json &&
		same_as_commit ../r3 HEAD ../r3.json
	)
'

test_expect_success 'replay of one file prints its bytes' '
	(
		cd main &&
		git dc replay --to 1 state/posted_log.json >../actual &&
		git show m1:state/posted_log.json >../expect &&
		test_cmp ../expect ../actual &&
		git dc replay --to 3 state/stats.json >../actual &&
		git show m3:state/stats.json >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'replay uses the deltas of the tree: a late delta changes its frame' '
	(
		cd main &&
		git dc replay --to 2 state/agents.json >../actual &&
		git show m2:state/agents.json >../m2-agents &&
		grep -q "\"bio\": \"poet\"" ../m2-agents &&
		grep -q "\"bio\": \"sculptor\"" ../actual &&
		! test_cmp ../m2-agents ../actual
	)
'

test_expect_success 'replay --json of one file gives its value' '
	(
		cd main &&
		git dc replay --to 1 --json state/stats.json >../out.json &&
		jq -c "[.version, .command, .frame, .path, .value]" ../out.json >../actual &&
		echo "[1,\"replay\",1,\"state/stats.json\",{\"total_posts\":2,\"total_comments\":1}]" >../expect &&
		test_cmp ../expect ../actual &&
		test "$(jq -r .blob ../out.json)" = "$(git rev-parse m1:state/stats.json)"
	)
'

test_expect_success 'replay --to 0: genesis with the counts of no delta' '
	(
		cd main &&
		git dc replay --to 0 state/agents.json >../actual &&
		grep -q "\"bio\": \"original\"" ../actual &&
		! grep -q agent-a ../actual &&
		test_expect_code 1 git dc replay --to 0 state/reactions.json 2>../err &&
		cat >../expect <<-EOF &&
		error: ${SQ}state/reactions.json${SQ} does not exist at frame 0
		hint: the first merge of a delta writing it creates it: try a later frame with --to, or see ${SQ}git dc log${SQ}
		EOF
		test_cmp ../expect ../err
	)
'

test_expect_success 'replay refuses a file the rules do not name, and bad usage' '
	(
		cd main &&
		dc_snapshot replay &&
		test_expect_code 1 git dc replay --to 1 README 2>../err &&
		cat >../expect <<-EOF &&
		error: ${SQ}README${SQ} is not a canonical file of the rules
		hint: the canonical files are ${SQ}state/agents.json${SQ}, ${SQ}state/book_catalog.json${SQ}, ${SQ}state/channels.json${SQ}, ${SQ}state/observations.json${SQ}, ${SQ}state/posted_log.json${SQ}, ${SQ}state/reactions.json${SQ}, ${SQ}state/stats.json${SQ}, ${SQ}state/votes.json${SQ}
		EOF
		test_cmp ../expect ../err &&
		test_expect_code 129 git dc replay --to 1 2>../err &&
		grep "give either --out <dir> or one <file>" ../err &&
		test_expect_code 129 git dc replay --out ../x state/stats.json 2>../err &&
		test_expect_code 129 git dc replay --to x state/stats.json 2>../err &&
		dc_unchanged replay
	)
'

# ---- verify ---------------------------------------------------------------

test_expect_success 'verify: the whole history is the replay of the log' '
	(
		cd main &&
		git dc verify >../out 2>../err &&
		test_must_be_empty ../err &&
		# every commit but the first, which holds no rules
		echo "Verified $(($(git rev-list --count HEAD) - 1)) commits up to frame 3: every canonical file is the replay of the log" >../expect &&
		test_cmp ../expect ../out &&
		git dc verify --json >../out.json &&
		jq -c "[.version, .command, .ok, .frame, .compared, .rechecked, .problems]" ../out.json >../actual &&
		echo "[1,\"verify\",true,3,3,0,[]]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'verify --tip and --from, and of an older commit' '
	(
		cd main &&
		git dc verify --tip >../out &&
		echo "Verified 1 commit up to frame 3: every canonical file is the replay of the log" >../expect &&
		test_cmp ../expect ../out &&
		git dc verify --from 2 --json >../out.json &&
		test "$(jq -c "[.ok, .compared]" ../out.json)" = "[true,2]" &&
		git dc verify --json m1 >../out.json &&
		test "$(jq -c "[.ok, .frame, .compared]" ../out.json)" = "[true,1,1]" &&
		git dc verify -q &&
		test_expect_code 1 git dc verify --from 4 2>../err &&
		cat >../expect <<-EOF &&
		error: no commit records frame 4 or a later one
		hint: ${SQ}git dc status${SQ} shows the merged frame: give --from a frame up to it, or leave --from out
		EOF
		test_cmp ../expect ../err &&
		test_expect_code 129 git dc verify --tip --from 2 2>../err &&
		test_expect_code 129 git dc verify no-such-rev 2>../err &&
		cat >../expect <<-EOF &&
		error: unknown revision ${SQ}no-such-rev${SQ}
		hint: give a branch, a tag or a commit id (${SQ}git log --oneline${SQ} lists them)
		EOF
		test_cmp ../expect ../err
	)
'

test_expect_success 'verify follows a merge that folds again from genesis' '
	git clone -q main refold &&
	(
		cd refold &&
		git config core.hooksPath /dev/null &&
		dc_delta_json 1 early 2026-03-28T02:00:00Z "\"posts_created\": [{\"number\": 4, \"title\": \"Early\", \"author\": \"agent-d\"}]" |
		commit_delta frame-1-early.json &&
		git dc merge -q --frame 3 >../out &&
		grep "folded again from genesis" ../out &&
		git dc verify --json >../out.json &&
		jq -c "[.ok, .compared, .rechecked, .deltas_folded]" ../out.json >../actual &&
		echo "[true,4,0,13]" >../expect &&
		test_cmp ../expect ../actual &&
		git dc verify --tip
	)
'

test_expect_success 'verify catches a hand-edited canonical file, and points at it' '
	git clone -q main tampered &&
	(
		cd tampered &&
		git config core.hooksPath /dev/null &&
		sed "s/\"sculptor\"/\"hacked\"/" state/agents.json >../edited &&
		cp ../edited state/agents.json &&
		git commit -q -am "a hand edit, hooks off" &&
		git rev-parse HEAD >../tampered-commit &&
		dc_delta_json 4 alpha 2026-03-28T03:30:00Z "\"comments_added\": [{\"discussion\": 2, \"author\": \"agent-a\", \"body\": \"late reply\"}]" |
		commit_delta frame-4-alpha.json &&
		git dc merge -q --frame 4 >/dev/null 2>../err &&
		grep "^warning: the state is not what .git dc merge. wrote (commit [0-9a-f]* changed .state/agents.json. alone): folding again from genesis" ../err &&
		! grep -q hacked state/agents.json &&
		test_expect_code 1 git dc verify >../out 2>../err &&
		t=$(cut -c1-12 ../tampered-commit) &&
		cat >../expect <<-EOF &&
		error: commit $t: ${SQ}state/agents.json${SQ} is not the projection of the deltas up to frame 3
		error: state/agents.json: /agents/agent-a/bio: expected "sculptor", committed "hacked"
		EOF
		head -n 2 ../err >../actual &&
		test_cmp ../expect ../actual &&
		echo "Verification failed: 1 problem in 1 commit, the first in $t" >../expect &&
		test_cmp ../expect ../out
	)
'

test_expect_success 'verify --json names the commit, the file, the pointer and both values' '
	(
		cd tampered &&
		test_expect_code 1 git dc verify --json >../out.json 2>/dev/null &&
		jq -c ".problems[] | [.commit, .path, .rule, .pointer, .expected, .committed, .differences]" \
			../out.json >../actual &&
		echo "[\"$(cat ../tampered-commit)\",\"state/agents.json\",\"canonical-edit\",\"/agents/agent-a/bio\",\"sculptor\",\"hacked\",1]" >../expect &&
		test_cmp ../expect ../actual &&
		test "$(jq .ok ../out.json)" = false
	)
'

# hand_edit_tip: commit an edit of agent-a's bio at the tip, hooks off
hand_edit_tip () {
	sed "s/\"sculptor\"/\"hacked\"/" state/agents.json >../edited &&
	cp ../edited state/agents.json &&
	git commit -q -am "a hand edit at the tip, hooks off"
}

test_expect_success 'verify --tip: the tip is not the replay either' '
	(
		cd tampered &&
		hand_edit_tip &&
		test_expect_code 1 git dc verify --tip --json >../out.json 2>../err &&
		jq -c ".problems[] | [.commit, .path, .pointer, .expected, .committed]" ../out.json >../actual &&
		echo "[\"$(git rev-parse HEAD)\",\"state/agents.json\",\"/agents/agent-a/bio\",\"sculptor\",\"hacked\"]" >../expect &&
		test_cmp ../expect ../actual &&
		git reset -q --hard HEAD^
	)
'

test_expect_success 'verify --from a later frame trusts the commits before it' '
	(
		cd tampered &&
		git dc verify --from 4 >../out &&
		echo "Verified 1 commit up to frame 4: every canonical file is the replay of the log" >../expect &&
		test_cmp ../expect ../out &&
		test_expect_code 1 git dc verify --from 3 >/dev/null 2>&1
	)
'

test_expect_success 'blame warns when the committed value is not the replay' '
	(
		cd tampered &&
		hand_edit_tip &&
		git dc blame state/agents.json /agents/agent-a/bio >../out 2>../err &&
		head -n 1 ../out >../actual &&
		echo "state/agents.json /agents/agent-a/bio: \"sculptor\"" >../expect &&
		test_cmp ../expect ../actual &&
		grep "warning: the value committed in ${SQ}state/agents.json${SQ} is not the replay of the log" ../err &&
		git reset -q --hard HEAD^
	)
'

test_expect_success 'verify outside a dc repository' '
	git init -q plain &&
	(
		cd plain &&
		test_commit one &&
		test_expect_code 1 git dc verify 2>../err &&
		echo "error: not a dc repository: no commit holds ${SQ}.dc/rules.json${SQ}" >../expect &&
		head -n 1 ../err >../actual &&
		test_cmp ../expect ../actual &&
		test_expect_code 1 git dc log 2>../err &&
		test_expect_code 1 git dc verify --tip 2>../err
	)
'

test_expect_success 'verify catches a rewritten delta' '
	git clone -q main rewritten &&
	(
		cd rewritten &&
		git config core.hooksPath /dev/null &&
		sed "s/Hello/Goodbye/" $D/frame-1-alpha.json >../edited &&
		cp ../edited $D/frame-1-alpha.json &&
		git commit -q -am "rewrite a delta, hooks off" &&
		test_expect_code 1 git dc verify >../out 2>../err &&
		echo "error: commit $(git rev-parse --short=12 HEAD): delta ${SQ}$D/frame-1-alpha.json${SQ} was modified" >../expect &&
		head -n 1 ../err >../actual &&
		test_cmp ../expect ../actual &&
		test_expect_code 1 git dc verify --json >../out.json 2>/dev/null &&
		test "$(jq -r ".problems[0].rule" ../out.json)" = delta-modified
	)
'

test_expect_success 'verify catches a canonical file that is not JSON, and conflict markers' '
	git clone -q main broken &&
	(
		cd broken &&
		git config core.hooksPath /dev/null &&
		printf "{\n  \"total_posts\": 3,\n" >state/stats.json &&
		git commit -q -am "truncated, hooks off" &&
		bad=$(git rev-parse --short=12 HEAD) &&
		git checkout -q m3 -- state/stats.json &&
		git commit -q -m "restored" &&
		printf "<<<<<<< ours\n{}\n=======\n[]\n>>>>>>> theirs\n" >state/votes.json &&
		git add state/votes.json &&
		git commit -q -m "markers, hooks off" &&
		test_expect_code 1 git dc verify --json >../out.json 2>../err &&
		jq -c ".problems[] | [.commit[0:12], .path, .rule]" ../out.json >../actual &&
		cat >../expect <<-EOF &&
		["$bad","state/stats.json","invalid-json"]
		["$(git rev-parse --short=12 HEAD)","state/votes.json","conflict-markers"]
		EOF
		test_cmp ../expect ../actual
	)
'

test_expect_success 'verify catches a hand-edited .dc/head.json' '
	git clone -q main headedit &&
	(
		cd headedit &&
		git config core.hooksPath /dev/null &&
		sed "s/\"applied\": 6/\"applied\": 7/" .dc/head.json >../edited &&
		cp ../edited .dc/head.json &&
		git commit -q -am "head edit, hooks off" &&
		test_expect_code 1 git dc verify --json >../out.json 2>../err &&
		jq -c ".problems[] | [.path, .rule, .pointer, .expected, .committed]" ../out.json >../actual &&
		echo "[\".dc/head.json\",\"head-edit\",\"/applied\",6,7]" >../expect &&
		test_cmp ../expect ../actual &&
		grep "^error: .dc/head.json: /applied: expected 6, committed 7$" ../err
	)
'

# ---- diff -----------------------------------------------------------------

test_expect_success 'diff: what changed between two frames, and which delta did it' '
	(
		cd main &&
		git dc diff 1 2 >../out 2>../err &&
		test_must_be_empty ../err &&
		cat >../expect <<-EOF &&
		state/agents.json
		  added   /agents/agent-z/mood: "busy"
		          by frame 2 2026-03-28T03:10:05Z alpha ($D/frame-2-alpha.json)
		  changed /agents/agent-a/bio: "writer" -> "sculptor"
		          by frame 2 2026-03-28T03:10:09Z gamma ($D/frame-2-gamma.json)
		  added   /agents/agent-c: {"post_count":1}
		          by the derived count of ${SQ}posts_created${SQ}
		state/posted_log.json
		  added   /posts/2: {"number":3,"title":"Late","author":"agent-c"}
		          by frame 2 2026-03-28T03:10:09Z gamma ($D/frame-2-gamma.json)
		state/reactions.json
		  added   (the whole file): {"reactions":[{"discussion":1,"agent":"agent-b","reaction":"HEART"}]}
		          by frame 2 2026-03-28T03:10:01Z beta ($D/frame-2-beta.json)
		state/stats.json
		  changed /total_posts: 2 -> 3
		          by the derived count of ${SQ}posts_created${SQ}
		EOF
		test_cmp ../expect ../out
	)
'

test_expect_success 'diff --json' '
	(
		cd main &&
		git dc diff --json 2 3 >../out.json &&
		jq -c "[.version, .command, .from, .to]" ../out.json >../actual &&
		echo "[1,\"diff\",2,3]" >../expect &&
		test_cmp ../expect ../actual &&
		jq -c ".files[] | .path as \$p | .changes[] | [\$p, .kind, .pointer, .old, .new, .by.kind, .by.delta.stream, .by.of]" \
			../out.json >../actual &&
		cat >../expect <<-\EOF &&
		["state/agents.json","changed","/agents/agent-z/mood","busy","calm","delta","alpha",null]
		["state/posted_log.json","added","/comments/1",null,{"discussion":3,"author":"agent-a","body":"welcome"},"delta","alpha",null]
		["state/stats.json","changed","/total_comments",1,2,"count",null,"comments_added"]
		EOF
		test_cmp ../expect ../actual
	)
'

test_expect_success 'diff: an added field names the delta that wrote its value' '
	(
		cd main &&
		git dc diff 1 3 >../out &&
		grep -A1 "agent-z/mood" ../out >../actual &&
		cat >../expect <<-EOF &&
		  added   /agents/agent-z/mood: "calm"
		          by frame 3 2026-03-28T03:20:00Z alpha ($D/frame-3-alpha.json)
		EOF
		test_cmp ../expect ../actual &&
		grep -A1 "added   /agents/agent-c:" ../out >../actual &&
		cat >../expect <<-EOF &&
		  added   /agents/agent-c: {"post_count":1}
		          by the derived count of ${SQ}posts_created${SQ}
		EOF
		test_cmp ../expect ../actual
	)
'

test_expect_success 'diff of a frame with itself, and bad frames' '
	(
		cd main &&
		git dc diff 3 3 >../out &&
		echo "No change between frame 3 and frame 3" >../expect &&
		test_cmp ../expect ../out &&
		test_expect_code 129 git dc diff 3 1 2>../err &&
		grep "frame 3 comes after frame 1" ../err &&
		test_expect_code 129 git dc diff 01 2 2>../err &&
		test_expect_code 129 git dc diff 1 2>../err
	)
'

# ---- blame ----------------------------------------------------------------

test_expect_success 'blame: the delta that wrote a field, and the values it beat' '
	(
		cd main &&
		git dc blame state/agents.json /agents/agent-a/bio >../out 2>../err &&
		test_must_be_empty ../err &&
		added=$(git log --format=%H --diff-filter=A -- $D/frame-2-gamma.json | cut -c1-12) &&
		cat >../expect <<-EOF &&
		state/agents.json /agents/agent-a/bio: "sculptor"
		written by frame 2 2026-03-28T03:10:09Z gamma ($D/frame-2-gamma.json) in commit $added
		it beat:
		  "writer"  frame 1 2026-03-28T03:00:01Z beta ($D/frame-1-beta.json)
		  "painter"  frame 2 2026-03-28T03:10:01Z beta ($D/frame-2-beta.json)
		  "poet"  frame 2 2026-03-28T03:10:05Z alpha ($D/frame-2-alpha.json)
		EOF
		test_cmp ../expect ../out
	)
'

test_expect_success 'blame --all: every value from genesis on' '
	(
		cd main &&
		git dc blame --all state/agents.json /agents/agent-a/bio >../out &&
		sed -n "3,4p" ../out >../actual &&
		cat >../expect <<-EOF &&
		before that:
		  absent  genesis
		EOF
		test_cmp ../expect ../actual &&
		test $(wc -l <../out) = 7
	)
'

test_expect_success 'blame of a genesis value and of a derived count' '
	(
		cd main &&
		git dc blame state/agents.json /agents/agent-z/bio >../out &&
		cat >../expect <<-\EOF &&
		state/agents.json /agents/agent-z/bio: "original"
		written by genesis
		EOF
		test_cmp ../expect ../out &&
		git dc blame state/stats.json /total_posts >../out &&
		cat >../expect <<-EOF &&
		state/stats.json /total_posts: 3
		written by the derived count of ${SQ}posts_created${SQ}
		it beat:
		  absent  genesis
		EOF
		test_cmp ../expect ../out
	)
'

test_expect_success 'blame --json' '
	(
		cd main &&
		git dc blame --json state/agents.json /agents/agent-a/bio >../out.json &&
		jq -c "[.command, .file, .pointer, .frame, .value, .by.kind, .by.delta.stream, .by.delta.frame, .committed_differs]" \
			../out.json >../actual &&
		echo "[\"blame\",\"state/agents.json\",\"/agents/agent-a/bio\",3,\"sculptor\",\"delta\",\"gamma\",2,false]" >../expect &&
		test_cmp ../expect ../actual &&
		test "$(jq -r .by.commit ../out.json)" = "$(git log --format=%H --diff-filter=A -- $D/frame-2-gamma.json)" &&
		jq -c "[.beat[] | [.value, .by.delta.stream]]" ../out.json >../actual &&
		echo "[[\"writer\",\"beta\"],[\"painter\",\"beta\"],[\"poet\",\"alpha\"]]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'blame refuses what is not there' '
	(
		cd main &&
		test_expect_code 1 git dc blame state/agents.json /agents/nobody 2>../err &&
		cat >../expect <<-EOF &&
		error: ${SQ}state/agents.json${SQ} holds nothing at ${SQ}/agents/nobody${SQ} (frame 3)
		hint: ${SQ}git dc replay state/agents.json${SQ} shows what the file holds; a pointer names members and indexes: /agents/ada/bio, /posts/0
		EOF
		test_cmp ../expect ../err &&
		test_expect_code 1 git dc blame README /x 2>../err &&
		test_expect_code 129 git dc blame state/agents.json agents 2>../err &&
		grep "invalid JSON pointer ${SQ}agents${SQ}" ../err &&
		test_expect_code 129 git dc blame state/agents.json 2>../err
	)
'

# ---- log ------------------------------------------------------------------

test_expect_success 'log: the deltas in protocol order, then the quarantined' '
	(
		cd main &&
		git dc log >../out 2>../err &&
		test_must_be_empty ../err &&
		cat >../expect <<-EOF &&
		frame 1 2026-03-28T03:00:01Z beta $D/frame-1-beta.json
		    posts_created: 1 event
		    profile_updates: 1 event
		frame 1 2026-03-28T03:00:02Z alpha $D/frame-1-alpha.json
		    posts_created: 1 event
		    comments_added: 1 event
		frame 2 2026-03-28T03:10:01Z beta $D/frame-2-beta.json
		    profile_updates: 1 event
		    reactions_added: 1 event
		frame 2 2026-03-28T03:10:05Z alpha $D/frame-2-alpha.json
		    profile_updates: 2 events
		frame 2 2026-03-28T03:10:09Z gamma $D/frame-2-gamma.json
		    profile_updates: 1 event
		    posts_created: 1 event
		frame 3 2026-03-28T03:20:00Z alpha $D/frame-3-alpha.json
		    comments_added: 1 event
		    profile_updates: 1 event
		frame 9 2026-03-28T04:30:00Z beta $D/frame-9-beta.json (pending: not merged yet)
		    observations: 1 event
		quarantined $D/frame-2-broken.json: ${SQ}frame${SQ} is a string, expected an integer
		EOF
		test_cmp ../expect ../out
	)
'

test_expect_success 'log --frame, --stream and --events' '
	(
		cd main &&
		git dc log --frame 2 --stream beta --events >../out &&
		cat >../expect <<-EOF &&
		frame 2 2026-03-28T03:10:01Z beta $D/frame-2-beta.json
		    profile_updates: 1 event
		      [0] {"agent":"agent-a","field":"bio","value":"painter"}
		    reactions_added: 1 event
		      [0] {"discussion":1,"agent":"agent-b","reaction":"HEART"}
		EOF
		test_cmp ../expect ../out &&
		git dc log --stream nobody >../out &&
		test_must_be_empty ../out
	)
'

test_expect_success 'log --json, and the log of an older commit' '
	(
		cd main &&
		git dc log --json >../out.json &&
		jq -c "[.command, .frame, [.deltas[] | [.frame, .stream, .pending]], [.quarantined[] | [.path, .frame, .stream]]]" \
			../out.json >../actual &&
		echo "[\"log\",3,[[1,\"beta\",false],[1,\"alpha\",false],[2,\"beta\",false],[2,\"alpha\",false],[2,\"gamma\",false],[3,\"alpha\",false],[9,\"beta\",true]],[[\"$D/frame-2-broken.json\",2,\"broken\"]]]" >../expect &&
		test_cmp ../expect ../actual &&
		jq -c ".deltas[2].sections" ../out.json >../actual &&
		echo "[{\"name\":\"profile_updates\",\"op\":\"set\",\"applied\":true,\"count\":1},{\"name\":\"reactions_added\",\"op\":\"add\",\"applied\":true,\"count\":1}]" >../expect &&
		test_cmp ../expect ../actual &&
		git dc log --json m1 >../out.json &&
		test "$(jq -c "[.frame, (.deltas | length), .quarantined]" ../out.json)" = "[1,2,[]]"
	)
'

test_expect_success 'the commands read nothing but the log: no file, ref or index changed' '
	(
		cd main &&
		dc_snapshot all &&
		git dc log >/dev/null &&
		git dc diff 0 3 >/dev/null &&
		git dc blame state/stats.json /total_comments >/dev/null &&
		git dc verify >/dev/null &&
		git dc replay --to 2 state/agents.json >/dev/null &&
		dc_unchanged all
	)
'

test_expect_success 'verify follows upserts into old elements and the counts they move, merge after merge' '
	git init -q ups &&
	(
		cd ups &&
		mkdir state &&
		printf "{\n  \"posts\": [],\n  \"comments\": []\n}\n" >state/posted_log.json &&
		test_commit genesis-state state/posted_log.json "$(cat state/posted_log.json)" &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		git config core.hooksPath /dev/null &&
		for f in 1 2 3 4 5
		do
			dc_delta_json $f a 2026-03-28T03:0$f:00Z "\"posts_created\": [{\"number\": $f, \"title\": \"t$f\", \"author\": \"a$((f % 2))\"},
  {\"number\": 1, \"score\": $f}, {\"number\": $((f > 2 ? 2 : 1)), \"extra\": {\"f\": $f}},
  {\"number\": $((f == 4 ? 1 : f)), \"author\": \"$([ $f = 4 ] && echo moved || echo a$((f % 2)))\"}]" |
			commit_delta frame-$f-a.json &&
			git dc merge -q >/dev/null || return 1
		done &&
		test "$(jq -c ".posts[0]" state/posted_log.json)" = \
			"{\"number\":1,\"title\":\"t1\",\"author\":\"moved\",\"score\":5,\"extra\":{\"f\":2}}" &&
		test "$(jq -c "[.agents | to_entries[] | [.key, .value.post_count]]" state/agents.json)" = \
			"[[\"moved\",1],[\"a0\",2],[\"a1\",2]]" &&
		git dc verify -q &&
		git dc verify --json >../out.json &&
		test "$(jq .ok ../out.json)" = true &&

		# the same history with the last merge commit edited in one old post
		git show HEAD:state/posted_log.json |
			sed "s/\"score\": 5/\"score\": 4/" >edited.json &&
		! cmp -s edited.json state/posted_log.json &&
		blob=$(git hash-object -w edited.json) &&
		git ls-tree HEAD | sed "/\tstate$/d" >top &&
		git ls-tree HEAD:state | sed "s/[0-9a-f]\{40\}\(\tposted_log.json\)$/$blob\1/" >st &&
		st=$(git mktree <st) &&
		printf "040000 tree %s\tstate\n" $st >>top &&
		tree=$(git mktree <top) &&
		bad=$(git commit-tree $tree -p HEAD^ -m "merge with an edited post") &&
		test_expect_code 1 git dc verify -q $bad 2>err &&
		grep "posted_log.json" err
	)
'

test_done
