#!/bin/sh
test_description='git dc worktree: a worktree per stream; remove keeps unpushed deltas; prune

A shared bare repository holds the genesis; "fleet" is a clone of it where
the worker worktrees are made, as on a machine running several workers.
Scratch files live in the trash directory.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
SQ="'"
TAB=$(printf '\t')

# delta_in <worktree> <frame>: commit a small delta of the worktree's stream
delta_in () {
	printf '{"utc": "2026-03-28T03:00:0%sZ", "observations": [{"n": %s}]}\n' "$2" "$2" |
	git -C "$1" dc delta --frame "$2" >/dev/null
}

# short <rev> [<repo>]: the 12-digit id git dc prints
short () {
	git -C "${2:-.}" rev-parse "$1" | cut -c1-12
}

# primary_merge: the primary merges a delta of its own and pushes main
primary_merge () {
	(
		cd primary &&
		git fetch -q origin &&
		git reset -q --hard origin/main &&
		printf '{"utc": "2026-03-28T02:00:00Z", "observations": [{"p": %s}]}\n' "$1" |
		git dc delta --frame "$1" --stream primary >/dev/null &&
		git dc merge -q >/dev/null &&
		git push -q origin main
	)
}

test_expect_success 'setup: a shared repository and a fleet clone' '
	git init -q --bare shared.git &&
	git init -q primary &&
	(
		cd primary &&
		git remote add origin ../shared.git &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		git push -q origin main
	) &&
	git clone -q shared.git fleet
'

test_expect_success 'add: a worktree on dc/streams/<id> from the merged main' '
	git -C fleet dc worktree add s1 ../w1 >out &&
	echo "Worktree of stream ${SQ}s1${SQ} at ${SQ}$PWD/w1${SQ} (new branch dc/streams/s1 from main $(short main shared.git))" >expect &&
	test_cmp expect out &&
	test "$(git -C w1 symbolic-ref HEAD)" = refs/heads/dc/streams/s1 &&
	test "$(git -C w1 rev-parse HEAD)" = "$(git -C shared.git rev-parse main)" &&
	git -C w1 status --porcelain >status &&
	test_must_be_empty status &&
	test "$(git -C fleet config branch.dc/streams/s1.remote)" = origin &&
	test "$(git -C fleet config branch.dc/streams/s1.merge)" = refs/heads/main &&
	test "$(git -C fleet config branch.dc/streams/s1.dcworktree)" = true
'

test_expect_success 'add: the default path is <repository>.<stream>, --json' '
	git -C fleet dc worktree add --json s2 >out.json &&
	jq -c "[.version, .command, .action, .stream, .path, .branch, .start_name, .branch_existed]" \
		out.json >actual &&
	echo "[1,\"worktree\",\"add\",\"s2\",\"$PWD/fleet.s2\",\"dc/streams/s2\",\"main\",false]" >expect &&
	test_cmp expect actual &&
	test "$(git -C fleet.s2 symbolic-ref HEAD)" = refs/heads/dc/streams/s2
'

test_expect_success 'add: starts from the newest main, fetched first (--no-fetch: as fetched)' '
	old=$(git -C fleet rev-parse origin/main) &&
	primary_merge 1 &&
	new=$(git -C shared.git rev-parse main) &&
	test "$old" != "$new" &&
	git -C fleet dc worktree add --no-fetch s3 ../w3 >out &&
	grep "from main $(echo $old | cut -c1-12))\$" out &&
	test "$(git -C w3 rev-parse HEAD)" = "$old" &&
	git -C fleet dc worktree add s4 ../w4 >out &&
	grep "from origin/main $(echo $new | cut -c1-12))\$" out &&
	test "$(git -C w4 rev-parse HEAD)" = "$new" &&
	test "$(git -C fleet rev-parse main)" = "$old"
'

test_expect_success 'add: an invalid stream id is refused before any path or ref is made' '
	for id in ../x a/b .hidden "a..b" ""
	do
		test_expect_code 129 git -C fleet dc worktree add "$id" ../bad 2>err &&
		echo "error: ${SQ}$id${SQ} is not a valid stream id" >expect &&
		head -1 err >actual &&
		test_cmp expect actual || return 1
	done &&
	! test -e bad &&
	git -C fleet for-each-ref refs/heads/dc >refs &&
	test $(wc -l <refs) = 4
'

test_expect_success 'add: a stream that has a worktree is refused' '
	test_expect_code 1 git -C fleet dc worktree add s1 ../again 2>err &&
	cat >expect <<-EOF &&
	error: stream ${SQ}s1${SQ} already has a work tree: ${SQ}$PWD/w1${SQ}
	hint: work there, or remove it with ${SQ}git dc worktree remove s1${SQ}
	EOF
	test_cmp expect err &&
	! test -e again
'

test_expect_success 'remove: refused while the stream has unpushed deltas, nothing changed' '
	delta_in w1 2 &&
	(cd w1 && dc_snapshot w1) &&
	test_expect_code 1 git -C fleet dc worktree remove s1 2>err &&
	cat >expect <<-EOF &&
	${TAB}$D/frame-2-s1.json
	error: stream ${SQ}s1${SQ} has 1 delta not pushed to ${SQ}origin${SQ}
	hint: push them with ${SQ}git dc push${SQ} in ${SQ}$PWD/w1${SQ}, or drop them with --force
	EOF
	test_cmp expect err &&
	(cd w1 && dc_unchanged w1) &&
	test_expect_code 1 git -C fleet dc worktree remove --json s1 >out.json 2>/dev/null &&
	jq -c "[.removed, .unpushed, .error.kind, .error.exit_code]" out.json >actual &&
	echo "[false,[\"$D/frame-2-s1.json\"],\"refused\",1]" >expect &&
	test_cmp expect actual
'

test_expect_success 'remove: once pushed, the worktree and its branch go' '
	git -C w1 dc push >/dev/null &&
	git -C fleet dc worktree remove s1 >out &&
	echo "Removed the worktree of stream ${SQ}s1${SQ} (${SQ}$PWD/w1${SQ}) and its branch dc/streams/s1" >expect &&
	test_cmp expect out &&
	! test -e w1 &&
	test_must_fail git -C fleet rev-parse -q --verify refs/heads/dc/streams/s1 &&
	test_must_fail git -C fleet config branch.dc/streams/s1.dcworktree &&
	git -C shared.git cat-file -e dc/streams/s1:$D/frame-2-s1.json
'

test_expect_success 'remove: a delta merged into main counts as pushed' '
	delta_in w4 3 &&
	git -C w4 push -q origin HEAD:refs/heads/main &&
	git -C fleet fetch -q origin &&
	git -C fleet dc worktree remove s4 >out &&
	! test -e w4
'

test_expect_success 'remove --force drops unpushed deltas and uncommitted files' '
	delta_in w3 4 &&
	echo scratch >w3/notes.txt &&
	test_expect_code 1 git -C fleet dc worktree remove s3 2>err &&
	git -C fleet dc worktree remove --force s3 >out &&
	cat >expect <<-EOF &&
	Removed the worktree of stream ${SQ}s3${SQ} (${SQ}$PWD/w3${SQ}) and its branch dc/streams/s3, dropping unpushed deltas:
	${TAB}$D/frame-4-s3.json
	EOF
	test_cmp expect out &&
	! test -e w3
'

test_expect_success 'remove: uncommitted files are kept unless --force (git refuses)' '
	git -C fleet dc worktree add s5 ../w5 >/dev/null &&
	echo scratch >w5/notes.txt &&
	test_expect_code 1 git -C fleet dc worktree remove s5 2>err &&
	grep "^error: cannot remove the work tree of stream ${SQ}s5${SQ}: .*use --force" err &&
	test -f w5/notes.txt &&
	git -C fleet rev-parse -q --verify refs/heads/dc/streams/s5
'

test_expect_success 'remove: a stream without a worktree' '
	test_expect_code 1 git -C fleet dc worktree remove nope 2>err &&
	cat >expect <<-EOF &&
	error: stream ${SQ}nope${SQ} has no work tree
	hint: ${SQ}git dc worktree prune${SQ} deletes stream branches without a work tree once their deltas are pushed
	EOF
	test_cmp expect err
'

test_expect_success 'prune: locks left by a killed git block the worker until pruned' '
	rm w5/notes.txt &&
	gd=$(git -C w5 rev-parse --absolute-git-dir) &&
	common=$(git -C fleet rev-parse --absolute-git-dir) &&
	: >"$gd/index.lock" &&
	: >"$common/refs/heads/dc/streams/s5.lock" &&
	test_must_fail git -C w5 add -A 2>err &&
	grep "index.lock" err &&
	git -C fleet dc worktree prune >out &&
	echo "Nothing to prune" >expect &&
	test_cmp expect out &&
	git -C fleet dc worktree prune --dry-run --expire 0 >out &&
	cat >expect <<-EOF &&
	Would remove stale lock ${SQ}$gd/index.lock${SQ} (stream ${SQ}s5${SQ}, N s old)
	Would remove stale lock ${SQ}$common/refs/heads/dc/streams/s5.lock${SQ} (N s old)
	EOF
	sed "s/[0-9][0-9]* s old)\$/N s old)/" out >actual &&
	test_cmp expect actual &&
	test -e "$gd/index.lock" &&
	git -C fleet dc worktree prune --expire 0 >out &&
	sed "s/^Would remove/Removed/" expect >expect.done &&
	sed "s/[0-9][0-9]* s old)\$/N s old)/" out >actual &&
	test_cmp expect.done actual &&
	! test -e "$gd/index.lock" &&
	! test -e "$common/refs/heads/dc/streams/s5.lock" &&
	delta_in w5 5
'

test_expect_success 'prune: a delta a killed git dc delta committed is put back in the index' '
	git -C fleet dc worktree add s8 ../w8 >/dev/null &&
	printf "{\"utc\": \"2026-03-28T03:00:08Z\", \"observations\": [8]}\n" >d8.json &&
	{ DC_CRASH_AT=worktree git -C w8 dc delta --frame 8 "$PWD/d8.json" >/dev/null 2>&1; echo $? >code; } &&
	echo 137 >expect &&
	test_cmp expect code &&
	git -C w8 status --porcelain >st &&
	grep "^D  $D/frame-8-s8.json\$" st &&
	test_must_fail git -C w8 dc sync 2>err &&
	grep "^error: uncommitted changes to files the protocol protects" err &&
	git -C fleet dc worktree prune >out &&
	echo "Put back ${SQ}$D/frame-8-s8.json${SQ} in the worktree of stream ${SQ}s8${SQ} (committed, missing from the index)" >expect &&
	test_cmp expect out &&
	git -C w8 status --porcelain >st &&
	test_must_be_empty st &&
	git -C w8 dc sync >/dev/null
'

test_expect_success 'prune: branches of vanished worktrees, deleted when pushed, kept if not' '
	git -C w5 dc push >/dev/null &&
	git -C fleet dc worktree add s6 ../w6 >/dev/null &&
	delta_in w6 6 &&
	git -C fleet branch dc/streams/byhand main &&
	rm -rf w5 w6 &&
	git -C fleet dc worktree prune --dry-run --json >dry.json &&
	jq -c "[.dry_run, (.pruned | length), [.deleted[].branch], [.kept[] | [.branch, .unpushed]]]" \
		dry.json >actual &&
	echo "[true,2,[\"dc/streams/s5\"],[[\"dc/streams/s6\",[\"$D/frame-6-s6.json\"]]]]" >expect &&
	test_cmp expect actual &&
	git -C fleet rev-parse -q --verify refs/heads/dc/streams/s5 &&
	git -C fleet dc worktree prune >out &&
	grep "^Removing worktrees/w5: " out &&
	grep "^Removing worktrees/w6: " out &&
	grep "^Deleted branch dc/streams/s5 (no worktree, every delta pushed)\$" out &&
	grep "^Kept branch dc/streams/s6 (no worktree, 1 delta not pushed)\$" out &&
	test_must_fail git -C fleet rev-parse -q --verify refs/heads/dc/streams/s5 &&
	git -C fleet rev-parse -q --verify refs/heads/dc/streams/s6 &&
	git -C fleet rev-parse -q --verify refs/heads/dc/streams/byhand &&
	git -C fleet worktree list --porcelain >list &&
	! grep "w5\|w6" list
'

test_expect_success 'add: a kept branch is checked out again as it is' '
	git -C fleet dc worktree add s6 ../w6 >out &&
	echo "Worktree of stream ${SQ}s6${SQ} at ${SQ}$PWD/w6${SQ} (branch dc/streams/s6 kept at $(short dc/streams/s6 fleet): it holds commits origin/main lacks)" >expect &&
	test_cmp expect out &&
	test -f w6/$D/frame-6-s6.json
'

test_expect_success 'add: a branch with nothing of its own moves up to the newest main' '
	git -C fleet dc worktree add s7 ../w7 >/dev/null &&
	git -C fleet worktree remove ../w7 &&
	primary_merge 7 &&
	git -C fleet dc worktree add s7 ../w7 >out &&
	echo "Worktree of stream ${SQ}s7${SQ} at ${SQ}$PWD/w7${SQ} (branch dc/streams/s7, moved up to origin/main $(short main shared.git))" >expect &&
	test_cmp expect out &&
	test "$(git -C w7 rev-parse HEAD)" = "$(git -C shared.git rev-parse main)"
'

test_expect_success 'usage: subcommands, -h' '
	test_expect_code 129 git dc worktree 2>err &&
	grep "^error: a subcommand is required: add, remove or prune" err &&
	test_expect_code 129 git dc worktree move s1 2>err &&
	grep "^error: unknown subcommand ${SQ}move${SQ}" err &&
	test_expect_code 129 git dc worktree -h >out &&
	test $(wc -l <out) = 3 &&
	test_expect_code 129 git -C fleet dc worktree add 2>err &&
	grep "^error: a stream id is required" err &&
	test_expect_code 129 git -C fleet dc worktree remove a b 2>err &&
	grep "^error: too many arguments" err
'

test_done
