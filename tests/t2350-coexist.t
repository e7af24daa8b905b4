#!/bin/sh
test_description='git dc init next to git-lfs, pre-commit, husky and lefthook

Each framework is installed before and after git dc init; both hooks must
keep working: git-dc still refuses a commit or a push that breaks PROTOCOL
section 9, and the framework still does its own work. What a framework
does to git-dc when it installs over it is found by git dc doctor and
repaired by git dc init, which chains the framework'"'"'s hook.

git-lfs and pre-commit are the real programs (Debian packages git-lfs and
pre-commit). husky (an npm package) and lefthook (not in Debian) are not
available here: their hook files are written by the functions below as
husky 9 and lefthook 1.x write them, and a stand-in lefthook program logs
the hook it is asked to run.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
LOG=$TRASH_DIRECTORY/ran
ZERO_OID=0000000000000000000000000000000000000000
command -v git-lfs >/dev/null 2>&1 && test_set_prereq LFS
command -v pre-commit >/dev/null 2>&1 && test_set_prereq PRECOMMIT
PRE_COMMIT_HOME=$TRASH_DIRECTORY/.pre-commit-home
export PRE_COMMIT_HOME

# a_delta <frame> <stream>: a valid delta, committed by git dc delta
a_delta () {
	dc_delta_json "$1" "$2" "2026-03-28T03:0$1:00Z" "\"events\": [{\"n\": $1}]" |
		git dc delta >/dev/null
}

# is_shim <file>: git-dc's hook shim
is_shim () {
	sed -n 2p "$1" | grep -q "^# git-dc hook: written by 'git dc init'"
}

# break_delta: change the bytes of the first committed delta and stage it
break_delta () {
	f=$(git ls-files "$D" | head -n 1) &&
	test -n "$f" &&
	echo "{}" >"$f" &&
	git add "$f"
}

# refuses_bad_commit: git-dc's pre-commit hook refuses a commit that
# modifies a committed delta (exit 1, its message, HEAD unchanged); the
# work tree is reset afterwards
refuses_bad_commit () {
	head=$(git rev-parse HEAD) &&
	break_delta &&
	test_expect_code 1 git commit -q -m "modify a delta" >out 2>err &&
	grep "^error: git-dc's pre-commit hook refused the commit (broken: delta-modified" err &&
	test "$(git rev-parse HEAD)" = "$head" &&
	git reset -q --hard
}

# passes_commit <file>: an ordinary commit of <file> that touches a delta
# path passes, checked by git-dc (its trace in err)
passes_commit () {
	dc_delta_json 9 "$1" 2026-03-28T03:09:00Z "\"events\": [{\"n\": 9}]" >"$D/frame-9-$1.json" &&
	git add "$D/frame-9-$1.json" &&
	test_tick &&
	DC_TRACE_HOOKS=1 git commit -q -m "a delta by hand: $1" >out 2>err &&
	grep "^trace: git-dc-hook pre-commit: only new deltas staged: checked without git dc\$" err &&
	git cat-file -e "HEAD:$D/frame-9-$1.json"
}

# refuses_bad_push <remote>: a commit that modifies a delta, made with
# --no-verify, is refused by git-dc's pre-push hook; the remote gets no ref
refuses_bad_push () {
	git checkout -q -b bad &&
	break_delta &&
	test_tick &&
	git commit -q --no-verify -m "modify a delta" &&
	test_expect_code 1 git push -q "$1" bad >out 2>err &&
	grep "^error: git-dc's pre-push hook refused the push (broken: delta-modified" err &&
	test_must_fail git -C "$1" rev-parse -q --verify refs/heads/bad &&
	git checkout -q main &&
	git branch -q -D bad
}

# hooks_state <dir>: names, modes and bytes of the files in a hooks directory
hooks_state () {
	for f in $(ls -A "$1" | LC_ALL=C sort)
	do
		printf "%s %s %s\n" "$f" "$(stat -c %a "$1/$f")" \
			"$(git hash-object --no-filters "$1/$f")" || return 1
	done
}

# problems: the checks and paths git dc doctor reports, one a line, sorted
problems () {
	test_expect_code 1 git dc doctor --json >doctor.json &&
	jq -r ".problems[] | .check + \" \" + .path" doctor.json | LC_ALL=C sort
}

# ---- git-lfs (the real one) --------------------------------------------

# lfs_oid <rev:path>: the object id an lfs pointer names
lfs_oid () {
	git cat-file -p "$1" | sed -n "s/^oid sha256://p"
}

# lfs_stored <bare repository> <oid>: the object is in its lfs store
lfs_stored () {
	test -f "$1/lfs/objects/$(echo "$2" | cut -c1-2)/$(echo "$2" | cut -c3-4)/$2"
}

test_expect_success LFS 'git lfs install, then git dc init: lfs hooks kept, chained' '
	git init -q lfs1 &&
	(
		cd lfs1 &&
		test_commit first README &&
		git lfs install >out &&
		grep "^Git LFS initialized" out &&
		git config lfs.locksverify false &&
		mkdir ../lfs-hooks &&
		cp .git/hooks/pre-push .git/hooks/post-checkout .git/hooks/post-merge \
			.git/hooks/post-commit ../lfs-hooks/ &&
		grep "git lfs pre-push" ../lfs-hooks/pre-push &&
		test_tick &&
		git dc init --preset minimal >out &&
		for h in pre-push post-checkout post-merge
		do
			grep "^Kept the $h hook that was there: it runs after git-dc" out &&
			test_cmp ../lfs-hooks/$h .git/hooks/$h.dc-chained &&
			is_shim .git/hooks/$h || return 1
		done &&
		test_cmp ../lfs-hooks/post-commit .git/hooks/post-commit &&
		git dc doctor
	)
'

test_expect_success LFS 'lfs: git lfs track and an lfs file commit through both hooks' '
	(
		cd lfs1 &&
		a_delta 1 s1 &&
		git lfs track "*.bin" >/dev/null &&
		git lfs track --lockable "*.psd" >/dev/null &&
		echo "binary one" >one.bin &&
		echo layers >art.psd &&
		git add .gitattributes one.bin art.psd &&
		test_tick &&
		DC_TRACE_HOOKS=1 git commit -q -m "lfs files" 2>err &&
		grep "^trace: git-dc-hook pre-commit: " err &&
		git cat-file -p HEAD:one.bin >pointer &&
		grep "^version https://git-lfs.github.com/spec/v1\$" pointer &&
		test "$(stat -c %a art.psd)" = 444 &&
		passes_commit lfs &&
		refuses_bad_commit
	)
'

test_expect_success LFS 'lfs: a push runs both pre-push hooks; the objects reach the remote' '
	git init -q --bare lfs1.git &&
	(
		cd lfs1 &&
		git remote add origin ../lfs1.git &&
		DC_TRACE_HOOKS=1 git push -q origin main 2>err &&
		grep "^trace: git-dc-hook pre-push: " err &&
		lfs_stored ../lfs1.git "$(lfs_oid HEAD:one.bin)"
	) &&
	git clone -q lfs1.git lfs1-clone &&
	echo "binary one" >expect &&
	test_cmp expect lfs1-clone/one.bin
'

test_expect_success LFS 'lfs: a bad push is refused by git-dc before lfs uploads anything' '
	(
		cd lfs1 &&
		git checkout -q -b bad &&
		echo "binary two" >two.bin &&
		git add two.bin &&
		break_delta &&
		test_tick &&
		git commit -q --no-verify -m "an lfs file and a modified delta" &&
		oid=$(lfs_oid HEAD:two.bin) &&
		test -n "$oid" &&
		test_expect_code 1 git push -q origin bad 2>err &&
		grep "^error: git-dc'"'"'s pre-push hook refused the push" err &&
		! lfs_stored ../lfs1.git "$oid" &&
		test_must_fail git -C ../lfs1.git rev-parse -q --verify refs/heads/bad &&
		git checkout -q main &&
		git branch -q -D bad
	)
'

test_expect_success LFS 'lfs: its post-checkout still runs (lockable files made read-only)' '
	(
		cd lfs1 &&
		git checkout -q -b art &&
		chmod u+w art.psd &&
		echo "layers, v2" >art.psd &&
		git add art.psd &&
		test_tick &&
		git commit -q -m "art v2" &&
		git checkout -q main &&
		test "$(stat -c %a art.psd)" = 444 &&
		mv .git/hooks/post-checkout.dc-chained ../lfs-post-checkout &&
		git checkout -q art &&
		test "$(stat -c %a art.psd)" = 644 &&
		mv ../lfs-post-checkout .git/hooks/post-checkout.dc-chained &&
		git checkout -q main &&
		test "$(stat -c %a art.psd)" = 444
	)
'

test_expect_success LFS 'git dc init, then git lfs install: lfs refuses, git-dc intact' '
	git init -q lfs2 &&
	(
		cd lfs2 &&
		test_commit first README &&
		test_tick &&
		git dc init --preset minimal >/dev/null &&
		a_delta 1 s1 &&
		hooks_state .git/hooks >before &&
		git config lfs.locksverify false &&
		test_expect_code 2 git lfs install >out 2>err &&
		grep "^Hook already exists: pre-push" err &&
		hooks_state .git/hooks >after &&
		test_cmp before after &&
		git dc doctor &&
		refuses_bad_commit
	)
'

test_expect_success LFS 'lfs: git lfs update --force over git-dc: doctor finds it, init chains' '
	(
		cd lfs2 &&
		git lfs update --force >out &&
		grep "^Updated Git hooks" out &&
		problems >actual &&
		cat >expect <<-\EOF &&
		hook-foreign .git/hooks/post-checkout
		hook-foreign .git/hooks/post-merge
		hook-foreign .git/hooks/pre-push
		EOF
		test_cmp expect actual &&
		git dc init >out &&
		grep "^Kept the pre-push hook that was there" out &&
		for h in pre-push post-checkout post-merge
		do
			test_cmp ../lfs-hooks/$h .git/hooks/$h.dc-chained &&
			is_shim .git/hooks/$h || return 1
		done &&
		git dc doctor &&
		refuses_bad_commit &&
		git lfs track "*.bin" >/dev/null &&
		echo "binary three" >three.bin &&
		git add .gitattributes three.bin &&
		test_tick &&
		git commit -q -m "an lfs file" &&
		git init -q --bare ../lfs2.git &&
		git remote add origin ../lfs2.git &&
		DC_TRACE_HOOKS=1 git push -q origin main 2>err &&
		grep "^trace: git-dc-hook pre-push: " err &&
		lfs_stored ../lfs2.git "$(lfs_oid HEAD:three.bin)" &&
		refuses_bad_push ../lfs2.git
	)
'

test_expect_success LFS 'lfs: its hooks written again over the chain: init chains them again' '
	(
		cd lfs2 &&
		git lfs update --force >/dev/null &&
		! is_shim .git/hooks/pre-push &&
		git dc init >out &&
		grep "^Kept the pre-push hook that was there" out &&
		is_shim .git/hooks/pre-push &&
		test_cmp ../lfs-hooks/pre-push .git/hooks/pre-push.dc-chained &&
		git dc doctor
	)
'

test_expect_success LFS 'lfs: git dc uninstall leaves lfs hooks in place and working' '
	(
		cd lfs2 &&
		git dc uninstall >out 2>err &&
		test_must_be_empty err &&
		for h in pre-push post-checkout post-merge post-commit
		do
			test_cmp ../lfs-hooks/$h .git/hooks/$h &&
			! test -e .git/hooks/$h.dc-chained || return 1
		done &&
		! test -e .git/hooks/pre-commit &&
		git lfs install >out &&
		grep "^Git LFS initialized" out &&
		echo "binary four" >four.bin &&
		git add four.bin &&
		test_tick &&
		git commit -q -m "another lfs file" &&
		git push -q origin main &&
		lfs_stored ../lfs2.git "$(lfs_oid HEAD:four.bin)"
	)
'

# ---- pre-commit, the framework (the real one) ----------------------------

# pc_config <fail file>: a .pre-commit-config.yaml with one local hook that
# logs to $LOG and fails while <fail file> exists
pc_config () {
	cat >.pre-commit-config.yaml <<-EOF
	repos:
	- repo: local
	  hooks:
	  - id: mark
	    name: mark
	    entry: sh -c 'echo "pre-commit framework ran" >>"$LOG"; test ! -e "$1"'
	    language: system
	    pass_filenames: false
	    always_run: true
	EOF
}

# pc_commit <file>: an ordinary commit; both the framework's hook ($LOG)
# and git-dc's (its trace, once) ran
pc_commit () {
	: >"$LOG" &&
	echo "$1" >"$1" &&
	git add "$1" &&
	test_tick &&
	DC_TRACE_HOOKS=1 git commit -q -m "$1" >out 2>err &&
	echo "pre-commit framework ran" >expect &&
	test_cmp expect "$LOG" &&
	test "$(grep -c "^trace: git-dc-hook pre-commit: staged changes " err)" = 1
}

test_expect_success PRECOMMIT 'pre-commit install, then git dc init: both hooks run' '
	git init -q pc1 &&
	(
		cd pc1 &&
		test_commit first README &&
		pc_config "$TRASH_DIRECTORY/pc1-fail" &&
		git add .pre-commit-config.yaml &&
		git commit -q -m "pre-commit config" &&
		pre-commit install >out &&
		grep "^pre-commit installed at .git/hooks/pre-commit\$" out &&
		cp .git/hooks/pre-commit ../pc-hook &&
		test_tick &&
		git dc init --preset minimal >out &&
		grep "^Kept the pre-commit hook that was there" out &&
		test_cmp ../pc-hook .git/hooks/pre-commit.dc-chained &&
		git dc doctor &&
		a_delta 1 s1 &&
		pc_commit x &&
		passes_commit pc &&
		: >"$LOG" &&
		refuses_bad_commit &&
		test_must_be_empty "$LOG"
	)
'

test_expect_success PRECOMMIT 'pre-commit: a failing framework hook still refuses the commit' '
	(
		cd pc1 &&
		head=$(git rev-parse HEAD) &&
		touch "$TRASH_DIRECTORY/pc1-fail" &&
		echo y >y &&
		git add y &&
		test_expect_code 1 git commit -q -m y >out 2>&1 &&
		grep "^mark\.*Failed\$" out &&
		rm "$TRASH_DIRECTORY/pc1-fail" &&
		test "$(git rev-parse HEAD)" = "$head" &&
		git reset -q --hard
	)
'

test_expect_success PRECOMMIT 'git dc init, then pre-commit install: git-dc runs in its migration mode' '
	git init -q pc2 &&
	(
		cd pc2 &&
		test_commit first README &&
		pc_config "$TRASH_DIRECTORY/pc2-fail" &&
		git add .pre-commit-config.yaml &&
		git commit -q -m "pre-commit config" &&
		test_tick &&
		git dc init --preset minimal >/dev/null &&
		a_delta 1 s1 &&
		pre-commit install >out &&
		grep "^Running in migration mode with existing hooks at .git/hooks/pre-commit.legacy\$" out &&
		is_shim .git/hooks/pre-commit.legacy &&
		test_cmp ../pc-hook .git/hooks/pre-commit &&
		git dc doctor &&
		hooks_state .git/hooks >before &&
		git dc init >out &&
		echo "Already a dc repository: nothing to do" >expect &&
		test_cmp expect out &&
		hooks_state .git/hooks >after &&
		test_cmp before after &&
		pc_commit x &&
		passes_commit pc &&
		refuses_bad_commit
	)
'

test_expect_success PRECOMMIT 'pre-commit: git dc uninstall takes git-dc out of its migration mode' '
	(
		cd pc2 &&
		git dc uninstall >out 2>err &&
		test_must_be_empty err &&
		grep "^removed hook    .*/.git/hooks/pre-commit.legacy\$" out &&
		! test -e .git/hooks/pre-commit.legacy &&
		test_cmp ../pc-hook .git/hooks/pre-commit &&
		: >"$LOG" &&
		echo z >z &&
		git add z &&
		test_tick &&
		DC_TRACE_HOOKS=1 git commit -q -m z >out 2>err &&
		! grep "git-dc-hook" err &&
		echo "pre-commit framework ran" >expect &&
		test_cmp expect "$LOG"
	)
'

test_expect_success PRECOMMIT 'pre-commit install -f over git-dc: doctor finds it, init chains' '
	(
		cd pc2 &&
		git dc init >/dev/null &&
		is_shim .git/hooks/pre-commit &&
		pre-commit install >/dev/null &&
		is_shim .git/hooks/pre-commit.legacy &&
		pre-commit install -f >/dev/null &&
		! test -e .git/hooks/pre-commit.legacy &&
		problems >actual &&
		echo "hook-foreign .git/hooks/pre-commit" >expect &&
		test_cmp expect actual &&
		git dc init >out &&
		grep "^Kept the pre-commit hook that was there" out &&
		is_shim .git/hooks/pre-commit &&
		test_cmp ../pc-hook .git/hooks/pre-commit.dc-chained &&
		git dc doctor &&
		pc_commit w &&
		refuses_bad_commit
	)
'

test_expect_success PRECOMMIT '.pre-commit-hooks.yaml: the git-dc checks from a pre-commit config' '
	git init -q dc-hooks-repo &&
	cp "$DC_SOURCE_DIR/.pre-commit-hooks.yaml" dc-hooks-repo/ &&
	git -C dc-hooks-repo add .pre-commit-hooks.yaml &&
	git -C dc-hooks-repo commit -q -m "the hooks" &&
	rev=$(git -C dc-hooks-repo rev-parse HEAD) &&
	git init -q pc3 &&
	(
		cd pc3 &&
		test_commit first README &&
		test_tick &&
		git dc init --no-hooks --preset minimal >/dev/null &&
		a_delta 1 s1 &&
		cat >.pre-commit-config.yaml <<-EOF &&
		repos:
		- repo: $TRASH_DIRECTORY/dc-hooks-repo
		  rev: $rev
		  hooks:
		  - id: git-dc-check
		  - id: git-dc-check-push
		EOF
		git add .pre-commit-config.yaml &&
		git commit -q -m "pre-commit config" &&
		pre-commit install -t pre-commit -t pre-push >out &&
		grep "^pre-commit installed at .git/hooks/pre-push\$" out &&
		! is_shim .git/hooks/pre-commit &&
		echo ok >ok.txt &&
		git add ok.txt &&
		test_tick &&
		git commit -q -m ok >out 2>&1 &&
		grep "^git-dc check (what the commit records)\.*Passed\$" out &&
		head=$(git rev-parse HEAD) &&
		break_delta &&
		test_expect_code 1 git commit -q -m "modify a delta" >out 2>&1 &&
		grep "^git-dc check (what the commit records)\.*Failed\$" out &&
		grep "^error: delta '"'"'$D/frame-1-s1.json'"'"' was modified\$" out &&
		test "$(git rev-parse HEAD)" = "$head" &&
		git reset -q --hard
	)
'

test_expect_success PRECOMMIT '.pre-commit-hooks.yaml: git-dc-check-push on a push' '
	git init -q --bare pc3.git &&
	git init -q --bare pc3-new.git &&
	(
		cd pc3 &&
		git push -q ../pc3.git main >out 2>&1 &&
		grep "^git-dc check (the commits a push sends)\.*Passed\$" out &&
		git checkout -q -b bad &&
		break_delta &&
		test_tick &&
		git commit -q --no-verify -m "modify a delta" &&
		test_expect_code 1 git push -q ../pc3.git bad >out 2>&1 &&
		grep "^git-dc check (the commits a push sends)\.*Failed\$" out &&
		grep "^error: commit [0-9a-f]*: delta '"'"'$D/frame-1-s1.json'"'"' was modified\$" out &&
		test_must_fail git -C ../pc3.git rev-parse -q --verify refs/heads/bad &&
		test_expect_code 1 git push -q ../pc3-new.git bad >out 2>&1 &&
		grep "^git-dc check (the commits a push sends)\.*Failed\$" out &&
		test_must_fail git -C ../pc3-new.git rev-parse -q --verify refs/heads/bad
	)
'

# ---- husky 9 (emulated) ----------------------------------------------------

HUSKY_HOOKS="pre-commit pre-merge-commit prepare-commit-msg commit-msg post-commit
applypatch-msg pre-applypatch post-applypatch pre-rebase post-rewrite
post-checkout post-merge pre-push pre-auto-gc"

# husky_install: what `husky` (version 9, run by npm's `prepare` script at
# every `npm install`) does to a repository: core.hooksPath=.husky/_, and in
# .husky/_ a .gitignore of "*", the runner "h", and for every hook husky
# knows a two-line script, written again each time, that sources "h". "h"
# finds the user's script .husky/<hook> from $0 (its name, and the
# directory above its own) and runs it with sh -e, unless HUSKY=0. (The
# runner's optional ~/.config/husky/init.sh is left out.)
husky_install () {
	git config core.hooksPath .husky/_ &&
	mkdir -p .husky/_ &&
	printf "*" >.husky/_/.gitignore &&
	write_script .husky/_/h <<-\EOF &&
	[ "$HUSKY" = "2" ] && set -x
	n=$(basename "$0")
	s=$(dirname "$(dirname "$0")")/$n
	[ ! -f "$s" ] && exit 0
	[ "${HUSKY-}" = "0" ] && exit 0
	export PATH="node_modules/.bin:$PATH"
	sh -e "$s" "$@"
	c=$?
	[ $c != 0 ] && echo "husky - $n script failed (code $c)"
	[ $c = 127 ] && echo "husky - command not found in PATH=$PATH"
	exit $c
	EOF
	for hook in $HUSKY_HOOKS
	do
		printf "#!/usr/bin/env sh\n. \"\$(dirname \"\$0\")/h\"" >.husky/_/$hook &&
		chmod 755 .husky/_/$hook || return 1
	done
}

# husky_scripts: the user's .husky/pre-commit and .husky/pre-push (tracked
# files, as husky's users commit them): they log to $LOG, with the input
# of pre-push
husky_scripts () {
	mkdir -p .husky &&
	echo "echo \"husky pre-commit\" >>\"$LOG\"" >.husky/pre-commit &&
	echo "echo \"husky pre-push \$*\" >>\"$LOG\"; cat >>\"$LOG\"" >.husky/pre-push &&
	git add .husky/pre-commit .husky/pre-push &&
	test_tick &&
	git commit -q -m "husky scripts"
}

test_expect_success 'husky (emulated), then git dc init: installed in core.hooksPath, chained' '
	git init -q husky1 &&
	(
		cd husky1 &&
		test_commit first README &&
		husky_install &&
		husky_scripts &&
		: >"$LOG" &&
		test_commit second &&
		echo "husky pre-commit" >expect &&
		test_cmp expect "$LOG" &&
		test_tick &&
		git dc init --preset minimal >out &&
		grep "^Kept the pre-commit hook that was there: it runs after git-dc'"'"'s check (.husky/_/pre-commit.dc-chained)\$" out &&
		for h in pre-commit pre-merge-commit pre-push pre-rebase post-checkout post-merge
		do
			is_shim .husky/_/$h || return 1
		done &&
		! test -e .git/hooks/pre-commit &&
		git status --porcelain -- .husky >../husky1-status &&
		test_must_be_empty ../husky1-status &&
		git dc doctor --json >doctor.json &&
		jq -e ".ok and .hooks_path == \".husky/_\"" doctor.json &&
		a_delta 1 s1 &&
		: >"$LOG" &&
		passes_commit husky &&
		test_cmp expect "$LOG" &&
		: >"$LOG" &&
		refuses_bad_commit &&
		test_must_be_empty "$LOG"
	)
'

test_expect_success 'husky (emulated): the user pre-push runs with git'"'"'s arguments and input' '
	git init -q --bare husky1.git &&
	(
		cd husky1 &&
		: >"$LOG" &&
		DC_TRACE_HOOKS=1 git push -q ../husky1.git main 2>err &&
		grep "^trace: git-dc-hook pre-push: " err &&
		cat >expect <<-EOF &&
		husky pre-push ../husky1.git ../husky1.git
		refs/heads/main $(git rev-parse main) refs/heads/main $ZERO_OID
		EOF
		test_cmp expect "$LOG" &&
		refuses_bad_push ../husky1.git
	)
'

test_expect_success 'husky (emulated) installs again over git-dc: doctor finds it, init chains' '
	(
		cd husky1 &&
		husky_install &&
		problems >actual &&
		cat >expect <<-\EOF &&
		hook-foreign .husky/_/post-checkout
		hook-foreign .husky/_/post-merge
		hook-foreign .husky/_/pre-commit
		hook-foreign .husky/_/pre-merge-commit
		hook-foreign .husky/_/pre-push
		hook-foreign .husky/_/pre-rebase
		EOF
		test_cmp expect actual &&
		git dc init >out &&
		grep "^Kept the pre-commit hook that was there" out &&
		git dc doctor &&
		: >"$LOG" &&
		passes_commit again &&
		echo "husky pre-commit" >expect &&
		test_cmp expect "$LOG" &&
		refuses_bad_commit
	)
'

test_expect_success 'git dc init, then husky (emulated): init again installs in .husky/_' '
	dc_repo husky2 &&
	(
		cd husky2 &&
		a_delta 1 s1 &&
		husky_scripts &&
		husky_install &&
		problems >actual &&
		grep "^hook-foreign .husky/_/pre-commit\$" actual &&
		git dc init >out &&
		grep "^Kept the pre-commit hook that was there: it runs after git-dc'"'"'s check (.husky/_/pre-commit.dc-chained)\$" out &&
		git dc doctor &&
		: >"$LOG" &&
		passes_commit husky &&
		echo "husky pre-commit" >expect &&
		test_cmp expect "$LOG" &&
		refuses_bad_commit
	)
'

# husky8_install: what husky 8 (`husky install`) did: core.hooksPath=.husky,
# where the user's hooks are tracked files that source .husky/_/husky.sh,
# which runs the hook again with sh -e (and .husky/_/.gitignore of "*").
husky8_install () {
	git config core.hooksPath .husky &&
	mkdir -p .husky/_ &&
	printf "*" >.husky/_/.gitignore &&
	cat >.husky/_/husky.sh <<-\EOF
	#!/usr/bin/env sh
	if [ -z "$husky_skip_init" ]; then
	  hook_name="$(basename -- "$0")"
	  [ "$HUSKY" = "0" ] && exit 0
	  readonly husky_skip_init=1
	  export husky_skip_init
	  sh -e "$0" "$@"
	  exitCode="$?"
	  [ $exitCode != 0 ] && echo "husky - $hook_name hook exited with code $exitCode (error)"
	  exit $exitCode
	fi
	EOF
}

test_expect_success 'husky 8 (emulated): hooks tracked in core.hooksPath are refused, untouched' '
	git init -q husky8 &&
	(
		cd husky8 &&
		test_commit first README &&
		husky8_install &&
		write_script .husky/pre-commit "/usr/bin/env sh" <<-EOF &&
		. "\$(dirname -- "\$0")/_/husky.sh"
		echo "husky pre-commit" >>"$LOG"
		EOF
		git add .husky/pre-commit &&
		git commit -q -m "husky 8" &&
		test_tick &&
		test_expect_code 1 git dc init --preset minimal >out 2>err &&
		grep "^error: the hooks directory '"'"'.husky'"'"' holds files tracked in this repository" err &&
		grep "^hint: call git-dc from those hooks, '"'"'git-dc-hook <hook> \"\$0\" \"\$@\"'"'"' before their own commands" err &&
		git status --porcelain --untracked-files=all -- .husky >../husky8-status &&
		test_must_be_empty ../husky8-status &&
		! test -e .git/dc-install.json
	)
'

test_expect_success 'husky 8 (emulated): a tracked hook that calls git-dc-hook, and --no-hooks' '
	(
		cd husky8 &&
		sed "2a\\
git-dc-hook pre-commit \"\$0\" \"\$@\"" .husky/pre-commit >pre-commit.new &&
		mv pre-commit.new .husky/pre-commit &&
		chmod +x .husky/pre-commit &&
		git add .husky/pre-commit &&
		git commit -q -m "husky 8 runs git-dc" &&
		git dc init --no-hooks >/dev/null &&
		a_delta 1 s1 &&
		git dc doctor --json >doctor.json ;
		jq -r ".problems[] | .check + \" \" + .path" doctor.json >actual &&
		grep "^hook-missing .husky/pre-merge-commit\$" actual &&
		! grep " .husky/pre-commit\$" actual &&
		: >"$LOG" &&
		passes_commit husky &&
		test "$(grep -c "^trace: git-dc-hook pre-commit: staged changes " err)" = 1 &&
		echo "husky pre-commit" >expect &&
		test_cmp expect "$LOG" &&
		: >"$LOG" &&
		refuses_bad_commit &&
		test_must_be_empty "$LOG"
	)
'

# ---- lefthook (emulated) -------------------------------------------------

# The stand-in lefthook program: `lefthook run <hook> <args>` logs the hook
# and its arguments, and fails while $TRASH_DIRECTORY/lefthook-fail exists.
mkdir -p "$TRASH_DIRECTORY/bin"
cat >"$TRASH_DIRECTORY/bin/lefthook" <<\EOF
#!/bin/sh
case $1 in
-h)
	exit 0 ;;
run)
	echo "lefthook $*" >>"$TRASH_DIRECTORY/ran"
	test ! -e "$TRASH_DIRECTORY/lefthook-fail" ;;
esac
EOF
chmod +x "$TRASH_DIRECTORY/bin/lefthook"
PATH=$TRASH_DIRECTORY/bin:$PATH

# lefthook_install <hook>...: what `lefthook install` does for the hooks of
# its lefthook.yml: a hook file of its own (one that holds the word
# LEFTHOOK) is replaced; any other is renamed <hook>.old, which lefthook
# never runs (and refuses to do when <hook>.old is taken); then it writes
# its script, which runs `lefthook run <hook> <git's arguments>`.
lefthook_install () {
	dir=$(git rev-parse --git-path hooks) &&
	for hook
	do
		if grep -q LEFTHOOK "$dir/$hook" 2>/dev/null
		then
			rm "$dir/$hook"
		elif test -e "$dir/$hook"
		then
			if test -e "$dir/$hook.old"
			then
				echo "Can't rename $hook to $hook.old - file already exists" >&2
				return 1
			fi
			mv "$dir/$hook" "$dir/$hook.old"
		fi &&
		write_script "$dir/$hook" <<-EOF || return 1
		if [ "\$LEFTHOOK" = "0" ]; then
		  exit 0
		fi

		call_lefthook()
		{
		  if lefthook -h >/dev/null 2>&1
		  then
		    lefthook "\$@"
		  else
		    echo "Can't find lefthook in PATH"
		  fi
		}

		call_lefthook run "$hook" "\$@"
		EOF
	done
}

test_expect_success 'lefthook (emulated), then git dc init: both hooks run' '
	git init -q left1 &&
	(
		cd left1 &&
		test_commit first README &&
		lefthook_install pre-commit pre-push &&
		test_tick &&
		git dc init --preset minimal >out &&
		grep "^Kept the pre-commit hook that was there" out &&
		grep "^Kept the pre-push hook that was there" out &&
		git dc doctor &&
		a_delta 1 s1 &&
		: >"$LOG" &&
		passes_commit left &&
		echo "lefthook run pre-commit" >expect &&
		test_cmp expect "$LOG" &&
		: >"$LOG" &&
		refuses_bad_commit &&
		test_must_be_empty "$LOG" &&
		touch "$TRASH_DIRECTORY/lefthook-fail" &&
		echo y >y &&
		git add y &&
		head=$(git rev-parse HEAD) &&
		test_expect_code 1 git commit -q -m y &&
		rm "$TRASH_DIRECTORY/lefthook-fail" &&
		test "$(git rev-parse HEAD)" = "$head" &&
		git reset -q --hard &&
		git init -q --bare ../left1.git &&
		: >"$LOG" &&
		git push -q ../left1.git main &&
		echo "lefthook run pre-push ../left1.git ../left1.git" >expect &&
		test_cmp expect "$LOG" &&
		refuses_bad_push ../left1.git
	)
'

test_expect_success 'git dc init, then lefthook (emulated): doctor finds git-dc moved aside, init chains' '
	dc_repo left2 &&
	(
		cd left2 &&
		a_delta 1 s1 &&
		lefthook_install pre-commit pre-push &&
		is_shim .git/hooks/pre-commit.old &&
		problems >actual &&
		cat >expect <<-\EOF &&
		hook-foreign .git/hooks/pre-commit
		hook-foreign .git/hooks/pre-push
		EOF
		test_cmp expect actual &&
		jq -r ".problems[0].message" doctor.json >actual &&
		echo "'"'"'.git/hooks/pre-commit'"'"' is not git-dc'"'"'s pre-commit hook: git-dc'"'"'s was moved aside, where nothing runs it" >expect &&
		test_cmp expect actual &&
		git dc init >out &&
		grep "^Kept the pre-commit hook that was there" out &&
		git dc doctor &&
		: >"$LOG" &&
		passes_commit left &&
		echo "lefthook run pre-commit" >expect &&
		test_cmp expect "$LOG" &&
		refuses_bad_commit
	)
'

test_expect_success 'lefthook (emulated): installing again cannot move git-dc aside twice' '
	(
		cd left2 &&
		test_must_fail lefthook_install pre-commit 2>err &&
		grep "^Can'"'"'t rename pre-commit to pre-commit.old - file already exists\$" err &&
		is_shim .git/hooks/pre-commit &&
		git dc doctor
	)
'

test_expect_success 'lefthook (emulated): git dc uninstall puts lefthook back, alone' '
	(
		cd left2 &&
		git dc uninstall >out 2>err &&
		test_must_be_empty err &&
		for h in pre-commit pre-push
		do
			grep "^call_lefthook run \"$h\"" .git/hooks/$h &&
			! test -e .git/hooks/$h.old &&
			! test -e .git/hooks/$h.dc-chained || return 1
		done &&
		: >"$LOG" &&
		echo z >z &&
		git add z &&
		test_tick &&
		DC_TRACE_HOOKS=1 git commit -q -m z 2>err &&
		! grep git-dc-hook err &&
		echo "lefthook run pre-commit" >expect &&
		test_cmp expect "$LOG" &&
		lefthook_install pre-commit pre-push
	)
'

# ---- chained shell scripts that run "$0" again ----------------------------

test_expect_success 'a chained script that runs "$0" again runs once, checked once' '
	git init -q rerun &&
	(
		cd rerun &&
		test_commit first README &&
		write_script .git/hooks/pre-commit <<-EOF &&
		if [ -z "\$BASH_VERSION" ]; then exec bash "\$0" "\$@"; fi
		if [ -z "\$guard" ]; then export guard=1; sh -e "\$0" "\$@"; exit \$?; fi
		echo "rerun: \$(basename "\$0")" >>"$LOG"
		EOF
		test_tick &&
		git dc init --preset minimal >/dev/null &&
		a_delta 1 s1 &&
		: >"$LOG" &&
		timeout 60 sh -c "DC_TRACE_HOOKS=1 git commit -q --allow-empty -m empty" 2>err &&
		test "$(grep -c "^trace: git-dc-hook pre-commit: staged changes " err)" = 1 &&
		echo "rerun: pre-commit.dc-chained" >expect &&
		test_cmp expect "$LOG"
	)
'

test_expect_success 'a git command run by a chained hook is checked (even by exec)' '
	git init -q --bare rerun.git &&
	git init -q --bare rerun-mirror.git &&
	(
		cd rerun &&
		git branch bad &&
		git checkout -q bad &&
		break_delta &&
		test_tick &&
		git commit -q --no-verify -m "modify a delta" &&
		git checkout -q main &&
		write_script .git/hooks/pre-push.dc-chained <<-EOF &&
		cat >/dev/null
		if [ -z "\$nested" ]; then nested=1 exec git push -q ../rerun-mirror.git bad 2>>"$LOG"; fi
		EOF
		: >"$LOG" &&
		test_expect_code 1 git push -q ../rerun.git main 2>err &&
		grep "^error: git-dc'"'"'s pre-push hook refused the push" "$LOG" &&
		test_must_fail git -C ../rerun-mirror.git rev-parse -q --verify refs/heads/bad
	)
'

test_done
