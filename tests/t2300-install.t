#!/bin/sh
test_description='git dc init installs the hooks and settings, uninstall puts back, doctor checks

git dc init installs the hooks (chaining those already there), the merge
driver, rebase.autoStash=false and merge.autoStash=false, in linked
worktrees and with core.hooksPath, and changes nothing the second time;
--server installs pre-receive and info/attributes in a bare repository.
git dc uninstall puts every byte back. git dc doctor finds what would
silently break the protocol.'
. "$(dirname "$0")/lib-dc.sh"

HOOKS="pre-commit pre-merge-commit pre-push pre-rebase post-checkout post-merge"

# state_of <repo>: the hooks directory (names, modes, bytes) and the
# configuration file, byte for byte
state_of () {
	(
		cd "$1" &&
		gd=$(git rev-parse --git-common-dir) &&
		for f in $(ls -A "$gd/hooks" | LC_ALL=C sort)
		do
			printf "%s %s %s\n" "$f" "$(stat -c %a "$gd/hooks/$f")" \
				"$(git hash-object --no-filters "$gd/hooks/$f")" || return 1
		done &&
		cat "$gd/config" &&
		ls "$gd"
	)
}

test_expect_success 'init installs the hooks, the merge driver and autostash off' '
	git init -q plain &&
	(
		cd plain &&
		test_commit first README &&
		write_script .git/hooks/pre-push <<-\EOF
		echo "their pre-push: $*" >>"$TRASH_DIRECTORY/pre-push-ran"
		cat >>"$TRASH_DIRECTORY/pre-push-ran"
		EOF
	) &&
	state_of plain >before &&
	test_tick &&
	git -C plain dc init --json >out &&
	jq -c ".hooks" out >actual &&
	echo "{\"dir\":\".git/hooks\",\"written\":[\"pre-commit\",\"pre-merge-commit\",\"pre-push\",\"pre-rebase\",\"post-checkout\",\"post-merge\"],\"chained\":[\"pre-push\"]}" >expect &&
	test_cmp expect actual &&
	jq -c ".config" out >actual &&
	echo "[\"rebase.autoStash\",\"merge.autoStash\",\"merge.dc.name\",\"merge.dc.driver\"]" >expect &&
	test_cmp expect actual &&
	for h in $HOOKS
	do
		test -x plain/.git/hooks/$h &&
		sed -n 2p plain/.git/hooks/$h >marker &&
		echo "# git-dc hook: written by '"'"'git dc init'"'"', removed by '"'"'git dc uninstall'"'"'" >expect &&
		test_cmp expect marker || return 1
	done &&
	test "$(git -C plain config rebase.autoStash)" = false &&
	test "$(git -C plain config merge.autoStash)" = false &&
	test "$(git -C plain config merge.dc.driver)" = "git-dc-merge-driver %O %A %B %L %P" &&
	test -f plain/.git/dc-install.json
'

test_expect_success 'the kept hook runs after the check, with the same arguments and input' '
	git init -q --bare plain-remote.git &&
	git -C plain push -q ../plain-remote.git main &&
	head -1 pre-push-ran >actual &&
	echo "their pre-push: ../plain-remote.git ../plain-remote.git" >expect &&
	test_cmp expect actual &&
	sed -n 2p pre-push-ran >actual &&
	echo "refs/heads/main $(git -C plain rev-parse main) refs/heads/main 0000000000000000000000000000000000000000" >expect &&
	test_cmp expect actual
'

test_expect_success 'init again changes nothing' '
	state_of plain >once &&
	cp plain/.git/dc-install.json record &&
	git -C plain dc init >out &&
	echo "Already a dc repository: nothing to do" >expect &&
	test_cmp expect out &&
	state_of plain >twice &&
	test_cmp once twice &&
	test_cmp record plain/.git/dc-install.json
'

test_expect_success 'uninstall puts back the hooks and the configuration, byte for byte' '
	git -C plain dc uninstall >out &&
	grep "^removed hook    .*/.git/hooks/pre-commit\$" out &&
	grep "^restored hook   .*/.git/hooks/pre-push (the one that was there before)\$" out &&
	grep "^restored config rebase.autoStash\$" out &&
	tail -1 out >last &&
	echo "Uninstalled git-dc'"'"'s hooks and configuration" >expect &&
	test_cmp expect last &&
	state_of plain >after &&
	test_cmp before after &&
	git -C plain dc uninstall >out &&
	echo "No installation recorded: removed the git-dc hooks found, if any" >expect &&
	test_cmp expect out
'

test_expect_success 'uninstall leaves alone what was changed since, and says so' '
	git -C plain dc init >/dev/null &&
	write_script plain/.git/hooks/pre-rebase <<-\EOF &&
	exit 0
	EOF
	git -C plain config rebase.autoStash true &&
	git -C plain dc uninstall --json >out 2>err &&
	grep "^warning: '"'"'.*/.git/hooks/pre-rebase'"'"' is not git-dc'"'"'s hook any more: left as it is\$" err &&
	grep "^warning: '"'"'rebase.autoStash'"'"' was changed since '"'"'git dc init'"'"': left as it is\$" err &&
	jq -e ".kept | length == 2" out &&
	test "$(git -C plain config rebase.autoStash)" = true &&
	test -x plain/.git/hooks/pre-rebase &&
	! test -e plain/.git/hooks/pre-commit &&
	test "$(git -C plain config merge.autoStash)" = ""
'

test_expect_success 'a hook that cannot be kept (its .dc-chained name is taken) is refused' '
	git init -q taken &&
	(
		cd taken &&
		test_commit first README &&
		write_script .git/hooks/pre-commit <<-\EOF &&
		exit 0
		EOF
		write_script .git/hooks/pre-commit.dc-chained <<-\EOF &&
		echo another hook
		EOF
		test_tick &&
		test_expect_code 1 git dc init >out 2>err &&
		grep "^error: cannot keep the hook '"'"'.*/.git/hooks/pre-commit'"'"': '"'"'.*/.git/hooks/pre-commit.dc-chained'"'"' is in the way\$" err &&
		grep "^hint: move one of them away, then run '"'"'git dc init'"'"' again\$" err &&
		! grep "git-dc hook" .git/hooks/pre-commit
	)
'

test_expect_success '--no-hooks: the configuration only' '
	git init -q nohooks &&
	(
		cd nohooks &&
		test_commit first README &&
		test_tick &&
		git dc init --no-hooks --json >out &&
		jq -e ".hooks.dir == null and (.hooks.written | length) == 0" out &&
		! test -e .git/hooks/pre-commit &&
		test "$(git config rebase.autoStash)" = false
	)
'

test_expect_success 'a linked worktree: init there installs the hooks every worktree uses' '
	git init -q wtmain &&
	(
		cd wtmain &&
		test_commit first README &&
		git worktree add -q ../wt -b wt
	) &&
	(
		cd wt &&
		test_tick &&
		git dc init >/dev/null
	) &&
	test -x wtmain/.git/hooks/pre-commit &&
	(
		cd wt &&
		mkdir -p state &&
		echo "{}" >state/events.json &&
		git add state &&
		test_expect_code 1 git commit -q -m edit 2>err &&
		grep "refused the commit" err
	)
'

test_expect_success 'core.hooksPath (absolute): installed there, and uninstalled from there' '
	git init -q abs &&
	mkdir abs-hooks &&
	(
		cd abs &&
		test_commit first README &&
		git config core.hooksPath "$TRASH_DIRECTORY/abs-hooks" &&
		test_tick &&
		git dc init >/dev/null &&
		test -x "$TRASH_DIRECTORY/abs-hooks/pre-commit" &&
		git dc doctor >out &&
		grep "^No problem found" out &&
		git dc uninstall >/dev/null &&
		! test -e "$TRASH_DIRECTORY/abs-hooks/pre-commit"
	)
'

test_expect_success '--server in a bare repository: pre-receive, then info/attributes' '
	git init -q --bare server.git &&
	mkdir -p server.git/info &&
	echo "*.bin -diff" >server.git/info/attributes &&
	cp server.git/info/attributes attributes.before &&
	cp server.git/config config.before &&
	git -C server.git dc init --server >out 2>err &&
	grep "^warning: info/attributes not written: HEAD holds no rules yet" err &&
	test -x server.git/hooks/pre-receive &&
	! test -e server.git/hooks/pre-commit &&
	test "$(git -C server.git config merge.dc.driver)" = "git-dc-merge-driver %O %A %B %L %P" &&
	test_must_fail git -C server.git config rebase.autoStash &&
	git -C plain push -q ../server.git main &&
	(cd plain && test_tick && git dc init >/dev/null && git push -q ../server.git main) &&
	git -C server.git dc init --server --json >out &&
	jq -e ".server_attributes_written == true and .committed == false" out &&
	head -1 server.git/info/attributes >first &&
	test_cmp attributes.before first &&
	grep "^/.dc/head.json merge=dc\$" server.git/info/attributes &&
	git -C server.git check-attr merge -- state/events.json >actual &&
	echo "state/events.json: merge: dc" >expect &&
	test_cmp expect actual &&
	git -C server.git dc doctor &&
	git -C server.git dc uninstall >out &&
	grep "^restored file   info/attributes\$" out &&
	test_cmp attributes.before server.git/info/attributes &&
	test_cmp config.before server.git/config &&
	! test -e server.git/hooks/pre-receive
'

test_expect_success '--server is refused with a work tree, and takes no other option' '
	test_expect_code 1 git -C plain dc init --server 2>err &&
	grep "^error: '"'"'git dc init --server'"'"' is for the shared bare repository" err &&
	test_expect_code 129 git -C server.git dc init --server --preset minimal 2>err &&
	grep "^error: --server takes no other option than --quiet and --json\$" err
'

# a repository doctor finds healthy, to break one thing at a time
test_expect_success 'doctor: a healthy repository' '
	dc_repo doc &&
	(
		cd doc &&
		dc_delta_json 1 s1 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" | git dc delta >/dev/null &&
		git dc merge -q >/dev/null &&
		git dc doctor >out &&
		echo "No problem found: hooks, merge driver, autostash settings, canonical files and deltas" >expect &&
		test_cmp expect out &&
		git dc doctor --json >out &&
		jq -e ".ok == true and .dc == true and .bare == false and .hooks_dir == \".git/hooks\" and .hooks_path == null and .problems == []" out
	)
'

# doctor_finds <check> <path> <message>: doctor exits 1 and reports it
doctor_finds () {
	test_expect_code 1 git dc doctor --json >out &&
	jq -e --arg c "$1" --arg p "$2" --arg m "$3" \
		"any(.problems[]; .check == \$c and .path == \$p and .message == \$m)" out &&
	jq -e ".ok == false" out
}

test_expect_success 'doctor: hooks missing, not executable, foreign, or without their program' '
	(
		cd doc &&
		mv .git/hooks/pre-push pre-push.saved &&
		doctor_finds hook-missing .git/hooks/pre-push "the pre-push hook is not installed: nothing checks PROTOCOL section 9 there" &&
		test_expect_code 1 git dc doctor >human &&
		grep "^hook-missing: the pre-push hook is not installed" human &&
		grep "^  fix: run '"'"'git dc init'"'"'\$" human &&
		grep "^1 problem found\$" human &&
		mv pre-push.saved .git/hooks/pre-push &&

		chmod -x .git/hooks/pre-rebase &&
		doctor_finds hook-not-executable .git/hooks/pre-rebase "'"'"'.git/hooks/pre-rebase'"'"' is not executable: git does not run it" &&
		chmod +x .git/hooks/pre-rebase &&

		cp .git/hooks/post-merge post-merge.saved &&
		write_script .git/hooks/post-merge <<-\EOF &&
		exit 0
		EOF
		doctor_finds hook-foreign .git/hooks/post-merge "'"'"'.git/hooks/post-merge'"'"' is not git-dc'"'"'s post-merge hook" &&
		mv post-merge.saved .git/hooks/post-merge &&

		cp .git/hooks/pre-commit pre-commit.saved &&
		sed -i "s|^p=.*|p='"'"'/nowhere/git-dc-hook'"'"'|" .git/hooks/pre-commit &&
		PATH=/usr/bin:/bin &&
		export PATH &&
		test_expect_code 1 "$SHARNESS_BUILD_DIRECTORY/git-dc" doctor --json >out &&
		jq -e "any(.problems[]; .check == \"hook-program-missing\" and .path == \".git/hooks/pre-commit\")" out
	) &&
	mv doc/pre-commit.saved doc/.git/hooks/pre-commit &&
	git -C doc dc doctor
'

test_expect_success 'doctor: core.hooksPath pointing where there are no git-dc hooks' '
	(
		cd doc &&
		mkdir empty-hooks &&
		git config core.hooksPath empty-hooks &&
		doctor_finds hooks-path core.hooksPath "core.hooksPath is '"'"'empty-hooks'"'"': git runs the hooks of '"'"'empty-hooks'"'"', which lacks 6 of git-dc'"'"'s hooks" &&
		doctor_finds hook-missing empty-hooks/pre-commit "the pre-commit hook is not installed: nothing checks PROTOCOL section 9 there" &&
		git config --unset core.hooksPath &&
		rmdir empty-hooks
	)
'

test_expect_success 'doctor: the merge driver declared but not registered, or not installed' '
	(
		cd doc &&
		driver=$(git config merge.dc.driver) &&
		git config --unset merge.dc.driver &&
		doctor_finds merge-driver-unregistered merge.dc.driver "the attributes name the merge driver '"'"'dc'"'"' but merge.dc.driver is not set: git falls back to a text merge, with conflict markers in canonical files" &&
		git config merge.dc.driver "no-such-driver %O %A %B" &&
		doctor_finds merge-driver-missing merge.dc.driver "the merge driver '"'"'no-such-driver'"'"' is not installed: merges of canonical files fail" &&
		git config merge.dc.driver "$driver" &&
		git dc doctor
	)
'

test_expect_success 'doctor: autostash settings' '
	(
		cd doc &&
		git config rebase.autoStash true &&
		doctor_finds autostash rebase.autoStash "rebase.autoStash is true: git stashes uncommitted work and re-applies it over new state files (the hooks undo it)" &&
		git config rebase.autoStash false &&
		git -c merge.autoStash=true dc doctor --json >out;
		jq -e "any(.problems[]; .check == \"autostash\" and .path == \"merge.autoStash\")" out
	)
'

test_expect_success 'doctor: canonical files with markers or invalid JSON, invalid deltas, no attributes' '
	(
		cd doc &&
		printf "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> x\n" >state/events.json &&
		doctor_finds conflict-markers state/events.json "'"'"'state/events.json'"'"' holds conflict markers (in the work tree)" &&
		echo "{" >state/events.json &&
		git commit -q --no-verify -am "broken by hand" &&
		doctor_finds invalid-json state/events.json "'"'"'state/events.json'"'"' is not valid JSON (at HEAD): line 2, column 1: unexpected end of input" &&
		git reset -q --hard HEAD^ &&
		echo "{\"frame\": 2}" >state/stream_deltas/frame-2-s1.json &&
		git add state/stream_deltas &&
		git commit -q --no-verify -m "a bad delta" &&
		doctor_finds delta-invalid state/stream_deltas/frame-2-s1.json "invalid delta '"'"'state/stream_deltas/frame-2-s1.json'"'"': '"'"'stream_id'"'"' is missing" &&
		git reset -q --hard HEAD^ &&
		printf "# nothing of git-dc\n" >.gitattributes &&
		git commit -q -am "no attributes" &&
		doctor_finds attributes-missing .gitattributes "the canonical files have no '"'"'merge=dc'"'"' attribute: git merges them as text, with conflict markers" &&
		git reset -q --hard HEAD^ &&
		git dc doctor
	)
'

test_done
