#!/bin/sh
test_description='git dc archive: a snapshot replaces old deltas, and nothing changes

The history: a genesis, frames 1 to 4 merged one at a time (derived counts
in use), a quarantined delta of frame 2 and a late delta of frame 2 folded
with frame 3. A twin clone never archives: every merge after the archive
must give it the same canonical files and head.json (all but the delta
tree id, which names a different tree by design). Commits made by hand run
without hooks, as a client that skips them would push them.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
FILES="state/agents.json state/posted_log.json state/channels.json state/stats.json"

commit_delta () {
	mkdir -p "$D" &&
	cat >"$D/$1" &&
	dc_commit_file "$D/$1" "delta $1"
}

# post <frame> <stream> <utc> <number>: a delta creating post <number>
post () {
	dc_delta_json "$1" "$2" "$3" "\"posts_created\": [{\"number\": $4, \"title\": \"post $4\", \"author\": \"agent-$2\", \"channel\": \"general\"}],
  \"profile_updates\": [{\"agent\": \"agent-$2\", \"field\": \"bio\", \"value\": \"wrote $4\"}]" |
	commit_delta "frame-$1-$2.json"
}

# same_state <repo-a> <repo-b>: canonical files equal, head.json equal but
# for deltas_tree
same_state () {
	for f in $(cd "$1" && git ls-tree -r --name-only HEAD -- state | grep -v stream_deltas)
	do
		git -C "$1" show "HEAD:$f" >a.out &&
		git -C "$2" show "HEAD:$f" >b.out &&
		test_cmp a.out b.out || return 1
	done &&
	git -C "$1" show HEAD:.dc/head.json | jq "del(.deltas_tree)" >a.head &&
	git -C "$2" show HEAD:.dc/head.json | jq "del(.deltas_tree)" >b.head &&
	test_cmp a.head b.head
}

test_expect_success 'setup: four merged frames, a quarantined and a late delta' '
	git init -q main &&
	(
		cd main &&
		test_commit genesis-file README "a dc repository" &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		git config core.hooksPath /dev/null &&
		post 1 alpha 2026-03-28T03:00:02Z 1 &&
		post 1 beta 2026-03-28T03:00:01Z 2 &&
		git dc merge -q --frame 1 &&
		post 2 alpha 2026-03-28T03:10:05Z 3 &&
		printf "{\"frame\": \"2\", \"stream_id\": \"broken\", \"utc\": \"2026-03-28T03:10:00Z\"}\n" |
		commit_delta frame-2-broken.json &&
		git dc merge -q --frame 2 &&
		post 2 gamma 2026-03-28T03:10:09Z 4 &&
		post 3 alpha 2026-03-28T03:20:00Z 5 &&
		git dc merge -q --frame 3 &&
		post 4 beta 2026-03-28T03:30:00Z 6 &&
		git dc merge -q --frame 4 &&
		git tag before-archive &&
		git dc replay -q --to 2 --out ../replay-2 &&
		git dc replay -q --to 4 --out ../replay-4
	) &&
	git clone -q main twin &&
	git -C twin config core.hooksPath /dev/null
'

test_expect_success 'archive refuses a frame not merged yet, and changes nothing' '
	(
		cd main &&
		dc_snapshot &&
		test_expect_code 1 git dc archive --before 6 2>../err &&
		grep "frame 5 is not merged yet (the merged frame is 4)" ../err &&
		grep "^hint: archive with .--before 5. at most" ../err &&
		dc_unchanged
	)
'

test_expect_success 'archive needs --before, and a frame of 1 or more' '
	(
		cd main &&
		test_expect_code 129 git dc archive 2>err &&
		grep "before <frame> is required" err &&
		test_expect_code 129 git dc archive --before 0 2>err &&
		grep "1 or more" err &&
		test_expect_code 129 git dc archive --before 3 extra 2>err &&
		grep "unexpected argument" err
	)
'

test_expect_success 'archive refuses while a delta of an archived frame waits' '
	git clone -q main waiting &&
	(
		cd waiting &&
		git config core.hooksPath /dev/null &&
		post 2 delta 2026-03-28T03:10:30Z 7 &&
		dc_snapshot &&
		test_expect_code 1 git dc archive --before 3 2>../err &&
		grep "delta .state/stream_deltas/frame-2-delta.json. of frame 2 is not merged yet" ../err &&
		grep "^hint: run .git dc merge. first" ../err &&
		dc_unchanged
	)
'

test_expect_success 'archive refuses to overwrite uncommitted changes' '
	(
		cd main &&
		echo "{}" >$D/frame-1-alpha.json &&
		dc_snapshot &&
		test_expect_code 1 git dc archive --before 3 2>../err &&
		grep "^error: .$D/frame-1-alpha.json. has uncommitted changes; nothing was archived$" ../err &&
		grep "^hint: commit or discard the change" ../err &&
		dc_unchanged &&
		git checkout -q -- $D/frame-1-alpha.json
	)
'

test_expect_success '--dry-run builds and proves the archive, and writes no ref' '
	(
		cd main &&
		git rev-parse HEAD >before &&
		git dc archive --before 3 --dry-run --json >out.json &&
		git rev-parse HEAD >after &&
		test_cmp before after &&
		test "$(jq -r .committed out.json)" = false &&
		test "$(jq -r .dry_run out.json)" = true &&
		jq -r ".archived[]" out.json >archived &&
		cat >expect <<-EOF &&
		$D/frame-1-alpha.json
		$D/frame-1-beta.json
		$D/frame-2-alpha.json
		$D/frame-2-gamma.json
		EOF
		test_cmp expect archived &&
		test "$(jq -r .kept out.json)" = 3 &&
		test -f "$D/frame-1-alpha.json"
	)
'

test_expect_success 'archive --before 3: the deltas go, the state stays byte for byte' '
	(
		cd main &&
		git dc archive --before 3 >out &&
		grep "Archived 4 deltas of frames before 3 (3 kept)" out &&
		git log -1 --format=%B >msg &&
		grep "^Dc-Archive-Before: 3$" msg &&
		grep "^Dc-Archived: 4$" msg &&
		test "$(git rev-parse HEAD^)" = "$(git rev-parse before-archive)" &&
		git diff --name-status before-archive HEAD >changes &&
		! grep -v -e "^D	$D/frame-[12]-" -e "^A	.dc/archive/" changes &&
		grep "^D	$D/frame-1-alpha.json" changes &&
		! grep "frame-2-broken" changes &&
		for f in $FILES .dc/head.json
		do
			test "$(git rev-parse HEAD:$f)" = "$(git rev-parse before-archive:$f)" || return 1
		done &&
		! test -e "$D/frame-1-alpha.json" &&
		test -f "$D/frame-2-broken.json" &&
		git status --porcelain --untracked-files=no >st &&
		test_must_be_empty st
	)
'

test_expect_success 'the snapshot is the state of frame 2; the manifest lists blobs' '
	(
		cd main &&
		for f in $FILES
		do
			test_cmp "../replay-2/$f" ".dc/archive/snapshot/$f" || return 1
		done &&
		test "$(jq .frame .dc/archive/snapshot/.dc/head.json)" = 2 &&
		test "$(jq .before .dc/archive/manifest.json)" = 3 &&
		jq -r ".deltas[] | .path + \" \" + .blob" .dc/archive/manifest.json >listed &&
		git ls-tree -r before-archive -- $D | awk "{print \$4 \" \" \$3}" |
			grep -e frame-1- -e frame-2-alpha -e frame-2-gamma >expect &&
		test_cmp expect listed
	)
'

test_expect_success 'git dc check accepts the archive commit, and verify the history' '
	(
		cd main &&
		git dc check HEAD &&
		git dc verify -q
	)
'

test_expect_success 'the next merge folds on, as the twin does without archive' '
	(
		cd main &&
		post 5 alpha 2026-03-28T03:40:00Z 8 &&
		git dc merge -q
	) &&
	(
		cd twin &&
		post 5 alpha 2026-03-28T03:40:00Z 8 &&
		git dc merge -q
	) &&
	same_state main twin
'

test_expect_success 'a late delta after the archive re-folds from the snapshot' '
	(
		cd main &&
		post 3 beta 2026-03-28T03:20:30Z 9 &&
		git dc merge --dry-run >dry &&
		grep "^Would merge frame 5: 1 delta applied (1 late), .*, folded again from the archive snapshot$" dry &&
		git dc merge --json >m.json &&
		test "$(jq -r .refold m.json)" = true &&
		test "$(jq ".late | length" m.json)" = 1
	) &&
	(
		cd twin &&
		post 3 beta 2026-03-28T03:20:30Z 9 &&
		git dc merge -q
	) &&
	same_state main twin
'

test_expect_success 'a delta arriving in an archived frame is quarantined, with the reason' '
	(
		cd main &&
		post 1 late 2026-03-28T03:00:09Z 10 &&
		git rev-parse HEAD:state/posted_log.json >log-before &&
		git dc merge --json >m.json &&
		jq -r ".quarantined[] | select(.path | endswith(\"frame-1-late.json\")) | .reason" m.json >why &&
		grep "frame 1 is archived: a delta that arrives after its frame was archived" why &&
		git rev-parse HEAD:state/posted_log.json >log-after &&
		test_cmp log-before log-after &&
		git dc status >st &&
		grep "frame-1-late.json" st
	)
'

test_expect_success 'an archived delta committed again is a no-op' '
	(
		cd main &&
		git show before-archive:$D/frame-1-alpha.json >$D/frame-1-alpha.json &&
		dc_commit_file $D/frame-1-alpha.json "the same bytes again" &&
		git dc check HEAD &&
		git rev-parse HEAD >tip &&
		git dc merge --json >m.json &&
		test "$(jq .commit m.json)" = null &&
		test "$(jq ".applied | length" m.json)" = 0 &&
		git rev-parse HEAD >tip2 &&
		test_cmp tip tip2
	)
'

test_expect_success 'a rules change after the archive re-folds from the snapshot' '
	for repo in main twin
	do
		(
			cd $repo &&
			jq ".sections.notes = {\"op\": \"append\", \"file\": \"state/notes.json\"}" \
				.dc/rules.json >rules.tmp &&
			mv rules.tmp .dc/rules.json &&
			dc_commit_file .dc/rules.json "a new section" &&
			git dc merge -q
		) || return 1
	done &&
	git -C main show HEAD:.dc/head.json >h &&
	test "$(jq .applied h)" = "$(git -C twin show HEAD:.dc/head.json | jq .applied)" &&
	for f in $FILES
	do
		git -C main show HEAD:$f >a.out &&
		git -C twin show HEAD:$f >b.out &&
		test_cmp a.out b.out || return 1
	done
'

test_expect_success 'replay, blame and log still read the archived frames' '
	(
		cd main &&
		git dc replay -q --to 2 --out ../after-2 &&
		for f in $FILES
		do
			test_cmp "../replay-2/$f" "../after-2/$f" || return 1
		done &&
		git dc blame --json state/agents.json /agents/agent-gamma/bio >b.json &&
		test "$(jq -r .value b.json)" = "wrote 4" &&
		jq -r ".by.delta.path" b.json >by &&
		echo "$D/frame-2-gamma.json" >expect &&
		test_cmp expect by &&
		git dc log --frame 1 --json >l.json &&
		jq -r ".deltas[].path" l.json >paths &&
		grep "frame-1-alpha.json" paths
	)
'

test_expect_success 'diff across the archive names the archived delta' '
	(
		cd main &&
		git dc diff --json 1 2 >d.json &&
		jq -r ".files[].changes[] | select(.pointer == \"/agents/agent-gamma\") | .by.delta.path" d.json >by &&
		echo "$D/frame-2-gamma.json" >expect &&
		test_cmp expect by
	)
'

test_expect_success 'verify points at a canonical file edited after the archive' '
	(
		cd main &&
		jq --indent 2 ".agents[\"agent-gamma\"].bio = \"hacked\"" state/agents.json >a.tmp &&
		mv a.tmp state/agents.json &&
		dc_commit_file state/agents.json "hand edit, hooks off" &&
		test_expect_code 1 git dc verify 2>err &&
		grep "^error: commit $(git rev-parse --short=12 HEAD): .state/agents.json. is not the projection" err &&
		grep "^error: state/agents.json: /agents/agent-gamma/bio: expected \"wrote 4\", committed \"hacked\"" err &&
		git reset -q --hard HEAD^
	)
'

test_expect_success 'check refuses a delta deleted without the archive' '
	(
		cd main &&
		git rm -q $D/frame-3-alpha.json &&
		test_tick &&
		git commit -q --no-verify -m "drop a delta" &&
		test_expect_code 1 git dc check HEAD 2>err &&
		grep "delta .$D/frame-3-alpha.json. was deleted or renamed" err &&
		git reset -q --hard HEAD^
	)
'

test_expect_success 'check refuses a hand-made archive' '
	(
		cd main &&
		git rm -q $D/frame-3-alpha.json &&
		blob=$(git rev-parse HEAD:$D/frame-3-alpha.json) &&
		jq --arg b "$blob" ".before = 4 | .deltas += [{\"path\": \"$D/frame-3-alpha.json\", \"blob\": \$b}] | .deltas |= sort_by(.path)" \
			.dc/archive/manifest.json >m.tmp &&
		mv m.tmp .dc/archive/manifest.json &&
		git add .dc/archive/manifest.json &&
		test_tick &&
		git commit -q --no-verify -m "archive by hand" &&
		test_expect_code 1 git dc check HEAD 2>err &&
		grep "archive-invalid\|not what .git dc archive --before 4. makes" err &&
		test_expect_code 1 git dc verify -q HEAD 2>err &&
		git reset -q --hard HEAD^
	)
'

test_expect_success 'check and verify refuse an edited snapshot' '
	(
		cd main &&
		sed "s/wrote 2/wrote two/" .dc/archive/snapshot/state/agents.json >s.tmp &&
		mv s.tmp .dc/archive/snapshot/state/agents.json &&
		git add .dc/archive/snapshot/state/agents.json &&
		test_tick &&
		git commit -q --no-verify -m "edit the snapshot" &&
		test_expect_code 1 git dc check HEAD 2>err &&
		grep "archive" err &&
		test_expect_code 1 git dc verify -q 2>err &&
		git reset -q --hard HEAD^
	)
'

test_expect_success 'a second archive chains on the first, and verify holds' '
	(
		cd main &&
		git dc archive -q --before 5 &&
		test "$(jq .before .dc/archive/manifest.json)" = 5 &&
		jq -r ".deltas[].path" .dc/archive/manifest.json >listed &&
		grep "frame-1-alpha.json" listed &&
		grep "frame-4-beta.json" listed &&
		! test -e $D/frame-4-beta.json &&
		test -f $D/frame-5-alpha.json &&
		git dc check HEAD &&
		git dc verify --json >v.json &&
		test "$(jq .ok v.json)" = true &&
		test "$(jq .rechecked v.json)" = 0 &&
		git dc archive --before 4 >out &&
		grep "Nothing to archive: frames before 4 are already archived" out
	) &&
	(
		cd main && post 6 alpha 2026-03-28T03:50:00Z 11 && git dc merge -q
	) &&
	(
		cd twin && post 6 alpha 2026-03-28T03:50:00Z 11 && git dc merge -q
	) &&
	for f in $FILES
	do
		git -C main show HEAD:$f >a.out &&
		git -C twin show HEAD:$f >b.out &&
		test_cmp a.out b.out || return 1
	done
'

test_expect_success 'archive works in a bare repository' '
	git clone -q --bare twin bare.git &&
	git -C bare.git dc archive --before 4 --json >bare.json &&
	test "$(jq -r .committed bare.json)" = true &&
	git -C bare.git ls-tree -r --name-only HEAD >names &&
	! grep "frame-3-alpha" names &&
	grep ".dc/archive/manifest.json" names &&
	git -C bare.git dc check HEAD
'

test_expect_success 'a crash at any point of an archive leaves it re-runnable' '
	for point in blobs journal ref
	do
		rm -rf crash-$point &&
		git clone -q twin crash-$point &&
		(
			cd crash-$point &&
			git config core.hooksPath /dev/null &&
			test_expect_code 137 env DC_CRASH_AT=$point git dc archive -q --before 4 &&
			git dc archive -q --before 4 &&
			git status --porcelain --untracked-files=no >st &&
			test_must_be_empty st &&
			git dc check HEAD
		) || return 1
	done &&
	git -C crash-blobs rev-parse HEAD^{tree} >a &&
	git -C crash-ref rev-parse HEAD^{tree} >b &&
	test_cmp a b
'

test_done
