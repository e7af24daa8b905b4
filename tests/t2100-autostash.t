#!/bin/sh
test_description='autostash is refused or undone by the hooks, without losing a byte

PROTOCOL section 9: autostash is never used. Every route into it with git
2.39 is covered: rebase and pull --rebase (refused by pre-rebase, which
puts the stash back first), rebase --no-verify (post-checkout keeps the
stash out of the way), pull --rebase that fast-forwards, merge and pull
(post-merge, pre-merge-commit, pre-commit keep the stash in git stash
list). After each one, the uncommitted work is compared byte for byte
with what it was: in the work tree and the index, or in stash@{0}.'
. "$(dirname "$0")/lib-dc.sh"

# upstream: a shared bare repository whose main the writer moves on
test_expect_success 'setup: a shared repository, a writer and a user with the hooks' '
	git init -q --bare up.git &&
	git clone -q up.git writer 2>/dev/null &&
	(
		cd writer &&
		test_commit first README "a dc repository" &&
		test_tick &&
		git dc init --preset minimal >/dev/null &&
		git config dc.stream w &&
		echo "{\"events\": [{\"n\": 1}]}" | git dc delta --frame 1 --utc 2026-03-28T03:01:00Z >/dev/null &&
		git dc merge -q >/dev/null &&
		git push -q origin main
	) &&
	git clone -q up.git user &&
	(
		cd user &&
		git dc init >out &&
		echo "Already a dc repository: installed git-dc'"'"'s hooks and configuration" >expect &&
		test_cmp expect out &&
		git config dc.stream u
	)
'

# advance <frame>: the writer merges one more frame and pushes it
advance () {
	(
		cd writer &&
		echo "{\"events\": [{\"n\": $1}]}" |
			git dc delta --frame "$1" --utc "2026-03-28T03:$(printf %02d "$1"):00Z" >/dev/null &&
		git dc merge -q >/dev/null &&
		git push -q origin main
	)
}

# dirty: uncommitted work in the user's clone, staged and not, in an
# ordinary file and in the canonical file the writer changes (the incident)
dirty () {
	echo "staged line" >>README &&
	git add README &&
	echo "unstaged line" >>README &&
	echo "a note" >notes.txt &&
	git add notes.txt &&
	sed -i "s/\"n\": 1\$/\"n\": 100/" state/events.json &&
	grep -q "\"n\": 100" state/events.json &&
	git diff --binary >"$TRASH_DIRECTORY/unstaged" &&
	git diff --cached --binary >"$TRASH_DIRECTORY/staged" &&
	git rev-parse HEAD >"$TRASH_DIRECTORY/base" &&
	rm -rf "$TRASH_DIRECTORY/saved" &&
	mkdir "$TRASH_DIRECTORY/saved" &&
	cp README notes.txt state/events.json "$TRASH_DIRECTORY/saved/"
}

# kept_in_tree: the work tree and the index hold the work as it was, and
# nothing was left behind (no stash, no rebase in progress)
kept_in_tree () {
	git diff --binary >actual-unstaged &&
	git diff --cached --binary >actual-staged &&
	test_cmp "$TRASH_DIRECTORY/unstaged" actual-unstaged &&
	test_cmp "$TRASH_DIRECTORY/staged" actual-staged &&
	! test -e "$(git rev-parse --git-path rebase-merge)" &&
	! test -e "$(git rev-parse --git-path rebase-apply)" &&
	git stash list >stashes &&
	test_must_be_empty stashes
}

# kept_in_stash: stash@{0} holds the work byte for byte (its index and its
# work tree against the commit it was taken on), the work tree has no
# trace of it, and no canonical file holds conflict markers
kept_in_stash () {
	base=$(cat "$TRASH_DIRECTORY/base") &&
	test "$(git rev-parse stash@{0}^1)" = "$base" &&
	git diff --binary "$base" stash@{0}^2 >actual-staged &&
	test_cmp "$TRASH_DIRECTORY/staged" actual-staged &&
	git diff --binary stash@{0}^2 stash@{0} >actual-unstaged &&
	test_cmp "$TRASH_DIRECTORY/unstaged" actual-unstaged &&
	git stash list >stashes &&
	test "$(wc -l <stashes)" = 1 &&
	grep "autostash kept by git-dc" stashes &&
	! test -e "$(git rev-parse --git-path MERGE_AUTOSTASH)" &&
	! grep -q "^<<<<<<<" state/events.json .dc/head.json &&
	jq -e . state/events.json >/dev/null &&
	! grep -q "\"n\": 100" state/events.json &&
	git status --porcelain --untracked-files=no >st &&
	test_must_be_empty st
}

# reset_user: back to the upstream, nothing uncommitted, no stash
reset_user () {
	git -C user rebase --abort 2>/dev/null
	git -C user merge --abort 2>/dev/null
	git -C user fetch -q origin &&
	git -C user reset -q --hard origin/main &&
	git -C user stash clear &&
	rm -f user/notes.txt user/mine.txt
}

# local_commit: one delta of a frame to come, so the histories diverge
local_commit () {
	echo "{\"events\": [{\"local\": true}]}" |
		git dc delta --frame 50 --utc 2026-03-28T04:00:00Z >/dev/null
}

test_expect_success 'git rebase --autostash: refused, the work put back as it was' '
	test_when_finished reset_user &&
	advance 2 &&
	(
		cd user &&
		git fetch -q origin &&
		local_commit &&
		head=$(git rev-parse HEAD) &&
		dirty &&
		test_must_fail git rebase --autostash origin/main 2>err &&
		grep "^error: the git-dc pre-rebase hook refuses to rebase with autostash" err &&
		grep "^hint: your uncommitted changes are back in the work tree and the index, as they were" err &&
		grep "git dc sync" err &&
		test "$(git rev-parse HEAD)" = "$head" &&
		kept_in_tree
	)
'

test_expect_success 'git pull --rebase --autostash (diverged): refused, the work put back' '
	test_when_finished reset_user &&
	advance 3 &&
	(
		cd user &&
		local_commit &&
		head=$(git rev-parse HEAD) &&
		dirty &&
		test_must_fail git pull -q --rebase --autostash 2>err &&
		grep "refuses to rebase with autostash" err &&
		test "$(git rev-parse HEAD)" = "$head" &&
		kept_in_tree
	)
'

test_expect_success 'rebase.autoStash=true and a plain git pull --rebase: refused, put back' '
	test_when_finished "reset_user; git -C user config rebase.autoStash false" &&
	advance 4 &&
	(
		cd user &&
		git config rebase.autoStash true &&
		local_commit &&
		head=$(git rev-parse HEAD) &&
		dirty &&
		test_must_fail git pull -q --rebase 2>err &&
		grep "refuses to rebase with autostash" err &&
		test "$(git rev-parse HEAD)" = "$head" &&
		kept_in_tree
	)
'

test_expect_success 'an explicit --autostash wins over rebase.autoStash=false: the hook refuses it' '
	test_when_finished reset_user &&
	advance 5 &&
	(
		cd user &&
		test "$(git config rebase.autoStash)" = false &&
		git fetch -q origin &&
		local_commit &&
		dirty &&
		test_must_fail git -c rebase.autoStash=false rebase --autostash origin/main >out 2>err &&
		cat out err | grep "Created autostash" &&
		grep "refuses to rebase with autostash" err &&
		kept_in_tree
	)
'

test_expect_success 'git rebase --apply --autostash (rebase-apply): refused, put back' '
	test_when_finished reset_user &&
	advance 6 &&
	(
		cd user &&
		git fetch -q origin &&
		local_commit &&
		dirty &&
		test_must_fail git rebase --apply --autostash origin/main 2>err &&
		grep "refuses to rebase with autostash" err &&
		kept_in_tree
	)
'

test_expect_success 'git rebase -i --autostash: refused, put back' '
	test_when_finished reset_user &&
	advance 7 &&
	(
		cd user &&
		git fetch -q origin &&
		local_commit &&
		dirty &&
		test_must_fail env GIT_SEQUENCE_EDITOR=: git rebase -i --autostash origin/main 2>err &&
		grep "refuses to rebase with autostash" err &&
		kept_in_tree
	)
'

test_expect_success 'git rebase --no-verify --autostash: post-checkout keeps the stash in the list' '
	test_when_finished reset_user &&
	advance 8 &&
	(
		cd user &&
		git fetch -q origin &&
		local_commit &&
		dirty &&
		git rebase --no-verify --autostash origin/main 2>err &&
		grep "^warning: git-dc: autostash is never used in a dc repository" err &&
		! grep "Applied autostash" err &&
		test "$(git rev-parse HEAD^)" = "$(git rev-parse origin/main)" &&
		kept_in_stash
	)
'

test_expect_success 'git pull --rebase --autostash that fast-forwards: post-merge keeps the stash' '
	test_when_finished reset_user &&
	advance 9 &&
	(
		cd user &&
		dirty &&
		git pull -q --rebase --autostash 2>err &&
		grep "^warning: git-dc: autostash is never used" err &&
		grep "stash@{0}" err &&
		test "$(git rev-parse HEAD)" = "$(git rev-parse origin/main)" &&
		kept_in_stash
	)
'

test_expect_success 'git merge --autostash, a fast-forward: post-merge keeps the stash' '
	test_when_finished reset_user &&
	advance 10 &&
	(
		cd user &&
		git fetch -q origin &&
		dirty &&
		git merge -q --autostash origin/main 2>err &&
		grep "^warning: git-dc: autostash is never used" err &&
		test "$(git rev-parse HEAD)" = "$(git rev-parse origin/main)" &&
		kept_in_stash
	)
'

test_expect_success 'git merge --autostash, a merge commit: pre-merge-commit keeps the stash' '
	test_when_finished reset_user &&
	advance 11 &&
	(
		cd user &&
		git fetch -q origin &&
		echo "mine" >mine.txt &&
		git add mine.txt &&
		git commit -q -m "an ordinary commit" &&
		dirty &&
		git merge -q --autostash --no-edit origin/main 2>err &&
		grep "^warning: git-dc: autostash is never used" err &&
		test "$(git rev-parse HEAD^2)" = "$(git rev-parse origin/main)" &&
		kept_in_stash
	)
'

test_expect_success 'git merge --autostash stopped on a conflict, then git commit: pre-commit keeps it' '
	test_when_finished reset_user &&
	advance 12 &&
	(
		cd writer &&
		echo "writer" >other.txt &&
		git add other.txt &&
		git commit -q -m "other: writer" &&
		git push -q origin main
	) &&
	(
		cd user &&
		git fetch -q origin &&
		echo "user" >other.txt &&
		git add other.txt &&
		git commit -q -m "other: user" &&
		dirty &&
		test_must_fail git merge -q --autostash origin/main >out 2>err &&
		grep "CONFLICT" out &&
		test -e "$(git rev-parse --git-path MERGE_AUTOSTASH)" &&
		echo "both" >other.txt &&
		git add other.txt &&
		git commit -q --no-edit 2>err &&
		grep "^warning: git-dc: autostash is never used" err &&
		test "$(git rev-parse HEAD^2)" = "$(git rev-parse origin/main)" &&
		kept_in_stash
	)
'

test_expect_success 'git pull --no-rebase --autostash (a fast-forward): post-merge keeps the stash' '
	test_when_finished reset_user &&
	advance 13 &&
	(
		cd user &&
		dirty &&
		git pull -q --no-rebase --autostash 2>err &&
		grep "^warning: git-dc: autostash is never used" err &&
		kept_in_stash
	)
'

test_expect_success 'merge.autoStash=true and a plain git pull --no-rebase: post-merge keeps the stash' '
	test_when_finished "reset_user; git -C user config merge.autoStash false" &&
	advance 14 &&
	(
		cd user &&
		git config merge.autoStash true &&
		dirty &&
		git pull -q --no-rebase 2>err &&
		grep "^warning: git-dc: autostash is never used" err &&
		kept_in_stash
	)
'

test_expect_success 'in a linked worktree too: rebase --autostash refused, the work put back' '
	test_when_finished "git -C user worktree remove --force ../linked; reset_user" &&
	advance 15 &&
	git -C user worktree add -q ../linked -b linked origin/main~2 &&
	(
		cd linked &&
		git fetch -q origin &&
		local_commit &&
		dirty &&
		test_must_fail git rebase --autostash origin/main 2>err &&
		grep "refuses to rebase with autostash" err &&
		kept_in_tree
	)
'

test_expect_success 'rebase --autostash with nothing to rebase: no hook runs, git puts the bytes back' '
	test_when_finished reset_user &&
	(
		cd user &&
		git fetch -q origin &&
		dirty &&
		git rebase --autostash origin/main >out 2>err &&
		grep "is up to date" out &&
		grep "Applied autostash" err &&
		for f in README notes.txt state/events.json
		do
			cmp "$TRASH_DIRECTORY/saved/${f##*/}" "$f" || return 1
		done &&
		git stash list >stashes &&
		test_must_be_empty stashes
	)
'

test_done
