#!/bin/sh
test_description='the JSON merge driver where git runs it

merge, rebase, cherry-pick, stash apply and pop, and the autostash of
pull --rebase (the incident the protocol was written after) each meet
canonical files changed on both sides, and the driver merges them by the
rules: a union where the rules allow it, a reported conflict (ours left
as valid JSON, never a conflict marker) where they do not. Canonical files
are edited by hand here, as the incident did, with the hooks that refuse
such commits switched off (core.hooksPath=/dev/null).'
. "$(dirname "$0")/lib-dc.sh"

if git dc doctor -h 2>/dev/null | grep -q "^usage: git dc doctor"
then
	test_set_prereq DOCTOR
fi

# set_json <file> <jq filter>: rewrite a JSON file through jq, as a tool
# (or a worker) editing canonical files by hand would
set_json () {
	jq "$2" "$1" >"$1+" &&
	mv "$1+" "$1"
}

# no_markers <dir>: no file of the work tree holds a conflict marker
no_markers () {
	! git -C "$1" grep -l -e "^<<<<<<< " -e "^>>>>>>> " -e "^=======\$" -- . ':!*.t'
}

# valid_json <dir> <file>...: every file parses
valid_json () {
	dir=$1
	shift
	for f
	do
		jq -e . "$dir/$f" >/dev/null || { echo >&2 "$f is not valid JSON"; return 1; }
	done
}

test_expect_success 'setup: a rappterbook repository with agents, posts and the driver' '
	dc_repo main rappterbook &&
	(
		cd main &&
		git config core.hooksPath /dev/null &&
		git config merge.dc.driver "git-dc-merge-driver %O %A %B %L %P" &&
		mkdir -p state &&
		echo "{\"agents\": {\"agent-a\": {\"bio\": \"writer\"}}}" >state/agents.json &&
		echo "{\"posts\": [{\"number\": 1, \"title\": \"Hello\"}], \"comments\": []}" \
			>state/posted_log.json &&
		jq . state/agents.json >a && mv a state/agents.json &&
		jq . state/posted_log.json >p && mv p state/posted_log.json &&
		git add state &&
		test_tick &&
		git commit -q -m "state by hand" &&
		git tag start
	)
'

test_expect_success 'merge: both sides add agents and posts; the driver unions them' '
	(
		cd main &&
		git checkout -q -b left start &&
		set_json state/agents.json ".agents[\"agent-l\"] = {\"bio\": \"left\"}" &&
		set_json state/posted_log.json ".posts += [{\"number\": 2, \"title\": \"L\"}]" &&
		test_tick &&
		git commit -q -am left &&
		git checkout -q -b right start &&
		set_json state/agents.json ".agents[\"agent-r\"] = {\"bio\": \"right\"}" &&
		set_json state/posted_log.json ".posts += [{\"number\": 3, \"title\": \"R\"}]" &&
		test_tick &&
		git commit -q -am right &&
		test_tick &&
		git merge -q -m "merge left" left &&
		git rev-parse -q --verify HEAD^2 &&
		jq -c ".agents | keys_unsorted" state/agents.json >../actual &&
		echo "[\"agent-a\",\"agent-r\",\"agent-l\"]" >../expect &&
		test_cmp ../expect ../actual &&
		jq -c "[.posts[].number]" state/posted_log.json >../actual &&
		echo "[1,3,2]" >../expect &&
		test_cmp ../expect ../actual &&
		git show HEAD:state/agents.json | jq . >../committed &&
		test_cmp ../committed state/agents.json
	)
'

test_expect_success 'merge: a field both sides changed is a conflict, reported, without markers' '
	(
		cd main &&
		git checkout -q -b bio1 start &&
		set_json state/agents.json ".agents[\"agent-a\"].bio = \"poet\"" &&
		test_tick &&
		git commit -q -am poet &&
		git checkout -q -b bio2 start &&
		set_json state/agents.json ".agents[\"agent-a\"].bio = \"painter\"" &&
		test_tick &&
		git commit -q -am painter &&
		git show HEAD:state/agents.json >../ours &&
		test_must_fail git merge -m "merge bio1" bio1 >../out 2>../err &&
		grep "^error: conflict: .state/agents.json. at ./agents/agent-a/bio. (entity \"agent-a\" of section .profile_updates., field ./bio.): changed on both sides: \"painter\" (ours), \"poet\" (theirs)" ../err &&
		test_cmp ../ours state/agents.json &&
		git ls-files -u -- state/agents.json >../unmerged &&
		test $(wc -l <../unmerged) = 3 &&
		no_markers . &&
		git merge --abort
	)
'

test_expect_success 'merge: add/add of a canonical file, merged with no base' '
	(
		cd main &&
		git checkout -q -b add1 start &&
		echo "{\"votes\": [{\"post\": 1, \"voter\": \"a\", \"type\": \"up\"},
			{\"post\": 3, \"voter\": \"c\", \"type\": \"down\"}]}" |
			jq . >state/votes.json &&
		git add state/votes.json &&
		test_tick &&
		git commit -q -m add1 &&
		git checkout -q -b add2 start &&
		echo "{\"votes\": [{\"post\": 2, \"voter\": \"b\", \"type\": \"up\"},
			{\"post\": 1, \"voter\": \"a\", \"type\": \"up\"}]}" |
			jq . >state/votes.json &&
		git add state/votes.json &&
		test_tick &&
		git commit -q -m add2 &&
		test_tick &&
		git merge -q -m "merge add1" add1 &&
		jq -c "[.votes[].post]" state/votes.json >../actual &&
		echo "[2,1,3]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'rebase: commits that edit canonical files replay with the driver' '
	(
		cd main &&
		git checkout -q -b topic start &&
		set_json state/agents.json ".agents[\"agent-t\"] = {\"bio\": \"topic\"}" &&
		test_tick &&
		git commit -q -am topic &&
		git rebase -q left &&
		git rev-parse left >../expect &&
		git rev-parse HEAD^ >../actual &&
		test_cmp ../expect ../actual &&
		jq -c ".agents | keys_unsorted" state/agents.json >../actual &&
		echo "[\"agent-a\",\"agent-l\",\"agent-t\"]" >../expect &&
		test_cmp ../expect ../actual &&
		test -z "$(git status --porcelain)"
	)
'

test_expect_success 'cherry-pick: a commit that edits a canonical file, with the driver' '
	(
		cd main &&
		git checkout -q -b pick left &&
		git cherry-pick right^ >../out 2>../err &&
		jq -c ".agents | keys_unsorted" state/agents.json >../actual &&
		echo "[\"agent-a\",\"agent-l\",\"agent-r\"]" >../expect &&
		test_cmp ../expect ../actual &&
		jq -c "[.posts[].number]" state/posted_log.json >../actual &&
		echo "[1,2,3]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'stash pop: an uncommitted edit comes back over a new upstream edit' '
	(
		cd main &&
		git checkout -q -b stashing start &&
		set_json state/agents.json ".agents[\"agent-s\"] = {\"bio\": \"stashed\"}" &&
		git stash -q &&
		git merge -q --ff-only left &&
		git stash pop >../out 2>../err &&
		jq -c ".agents | keys_unsorted" state/agents.json >../actual &&
		echo "[\"agent-a\",\"agent-l\",\"agent-s\"]" >../expect &&
		test_cmp ../expect ../actual &&
		test_must_fail git rev-parse -q --verify refs/stash &&
		git checkout -q -- state
	)
'

test_expect_success 'stash apply: a conflicting edit stays stashed, the file stays valid' '
	(
		cd main &&
		git checkout -q -b stashing2 start &&
		set_json state/agents.json ".agents[\"agent-a\"].bio = \"mine\"" &&
		git stash -q &&
		git merge -q --ff-only bio1 &&
		test_must_fail git stash apply >../out 2>../err &&
		grep "^error: conflict: .state/agents.json. at ./agents/agent-a/bio." ../err &&
		valid_json . state/agents.json &&
		jq -r ".agents[\"agent-a\"].bio" state/agents.json >../actual &&
		echo poet >../expect &&
		test_cmp ../expect ../actual &&
		git rev-parse -q --verify refs/stash &&
		no_markers . &&
		git reset -q --hard &&
		git stash drop -q
	)
'

test_expect_success 'the incident: pull --rebase --autostash over a dirty canonical file' '
	git clone -q main worker &&
	(
		cd worker &&
		git config merge.dc.driver "git-dc-merge-driver %O %A %B %L %P" &&
		git checkout -q -b w origin/left &&
		git reset -q --hard start &&
		git branch -q --set-upstream-to=origin/left &&
		set_json state/agents.json ".agents[\"agent-w\"] = {\"bio\": \"uncommitted\"}" &&
		git pull -q --rebase --autostash >../out 2>../err &&
		jq -c ".agents | keys_unsorted" state/agents.json >../actual &&
		echo "[\"agent-a\",\"agent-l\",\"agent-w\"]" >../expect &&
		test_cmp ../expect ../actual &&
		git diff --quiet --cached &&
		! git diff --quiet &&
		no_markers . &&
		valid_json . state/agents.json state/posted_log.json
	)
'

test_expect_success 'deltas: the same path with different bytes on two sides is a conflict' '
	(
		cd main &&
		git checkout -q -b d1 start &&
		mkdir -p state/stream_deltas &&
		dc_delta_json 1 s1 2026-03-28T03:00:00Z "\"observations\": [1]" \
			>state/stream_deltas/frame-1-s1.json &&
		dc_commit_file state/stream_deltas/frame-1-s1.json d1 &&
		git checkout -q -b d2 start &&
		mkdir -p state/stream_deltas &&
		dc_delta_json 1 s1 2026-03-28T03:00:00Z "\"observations\": [2]" \
			>state/stream_deltas/frame-1-s1.json &&
		dc_commit_file state/stream_deltas/frame-1-s1.json d2 &&
		git show HEAD:state/stream_deltas/frame-1-s1.json >../ours &&
		test_must_fail git merge -m "merge d1" d1 >../out 2>../err &&
		grep "^error: delta .state/stream_deltas/frame-1-s1.json. has different bytes on the two sides" ../err &&
		test_cmp ../ours state/stream_deltas/frame-1-s1.json &&
		no_markers . &&
		git merge --abort
	)
'

test_expect_success 'deltas: the same bytes added on both sides merge without the driver' '
	(
		cd main &&
		git checkout -q -b d3 start &&
		mkdir -p state/stream_deltas &&
		git show d1:state/stream_deltas/frame-1-s1.json >state/stream_deltas/frame-1-s1.json &&
		echo other >other.t &&
		git add other.t &&
		dc_commit_file state/stream_deltas/frame-1-s1.json d3 &&
		test_tick &&
		git merge -q -m "merge d1" d1 &&
		git diff --quiet d1 HEAD -- state/stream_deltas
	)
'

test_expect_success 'head.json met by a cherry-pick: a conflict that points at the dc strategy' '
	(
		cd main &&
		git checkout -q -b h1 start &&
		dc_delta_json 1 s1 2026-03-28T03:00:00Z "\"observations\": [1]" |
			git dc delta - >/dev/null &&
		git dc merge -q >/dev/null &&
		git checkout -q -b h2 start &&
		dc_delta_json 1 s2 2026-03-28T03:00:00Z "\"observations\": [2]" |
			git dc delta - >/dev/null &&
		git dc merge -q >/dev/null &&
		test_must_fail git cherry-pick h1 >../out 2>../err &&
		grep "^error: cannot merge .\.dc/head\.json. file by file" ../err &&
		grep "^hint: merge dc branches with .git merge -s dc." ../err &&
		valid_json . .dc/head.json &&
		no_markers . &&
		git cherry-pick --abort
	)
'

test_expect_success 'the driver reads the rules in a linked worktree' '
	(
		cd main &&
		git worktree add -q ../linked -b linked bio2 &&
		cd ../linked &&
		git checkout -q -b linked2 start &&
		set_json state/agents.json ".agents[\"agent-x\"] = {}" &&
		test_tick &&
		git commit -q -am x &&
		test_tick &&
		git merge -q -m "merge left" left &&
		jq -c ".agents | keys_unsorted" state/agents.json >../actual &&
		echo "[\"agent-a\",\"agent-x\",\"agent-l\"]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'without merge.dc.driver, git falls back to a text merge with markers' '
	(
		cd main &&
		git config --remove-section merge.dc &&
		git checkout -q bio2 &&
		test_must_fail git merge -m "merge bio1" bio1 >../out 2>../err &&
		grep "^<<<<<<< " state/agents.json &&
		git merge --abort
	)
'

test_expect_success DOCTOR 'git dc doctor flags the missing merge.dc.driver' '
	(
		cd main &&
		test_must_fail git dc doctor --json >../doctor.json &&
		jq -e "any(.problems[]; .check == \"merge-driver-unregistered\")" ../doctor.json &&
		git config merge.dc.driver "git-dc-merge-driver %O %A %B %L %P" &&
		git dc doctor --json >../doctor.json;
		jq -e "all(.problems[]; .check != \"merge-driver-unregistered\")" ../doctor.json
	)
'

test_done
