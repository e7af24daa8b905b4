#!/bin/sh
test_description='git dc push: to the stream own ref, and --to a shared branch with retries

Workers are worktrees of the clone "fleet" of a shared bare repository.
Races are made deterministic with pre-push hooks that move the remote
branch just before the push reaches it, as another writer would.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
SQ="'"
TAB=$(printf '\t')

# delta_in <worktree> <frame> [<value>]: commit a small delta of its stream
delta_in () {
	printf '{"utc": "2026-03-28T03:00:0%sZ", "observations": [{"n": "%s"}]}\n' "$2" "${3:-$2}" |
	git -C "$1" dc delta --frame "$2" >/dev/null
}

short () {
	git -C "${2:-.}" rev-parse "$1" | cut -c1-12
}

# a clone of the shared repository on the stream branch dc/streams/<id>
stream_clone () {
	git clone -q shared.git "$1" &&
	git -C "$1" checkout -q -b "dc/streams/$2" origin/main
}

test_expect_success 'setup: a shared repository, a fleet with two workers' '
	git init -q --bare shared.git &&
	git init -q primary &&
	(
		cd primary &&
		git remote add origin ../shared.git &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		git push -q origin main
	) &&
	git clone -q shared.git fleet &&
	git -C fleet dc worktree add s1 ../w1 >/dev/null &&
	git -C fleet dc worktree add s2 ../w2 >/dev/null
'

test_expect_success 'push: the deltas go to the stream ref, and are reported' '
	delta_in w1 1 &&
	git -C w1 dc push >out &&
	cat >expect <<-EOF &&
	Pushed 1 delta of stream ${SQ}s1${SQ} to ${SQ}origin${SQ} refs/heads/dc/streams/s1 (new ref $(short HEAD w1), 1 attempt)
	${TAB}$D/frame-1-s1.json
	EOF
	test_cmp expect out &&
	test "$(git -C shared.git rev-parse refs/heads/dc/streams/s1)" = "$(git -C w1 rev-parse HEAD)" &&
	test "$(git -C fleet rev-parse refs/remotes/origin/dc/streams/s1)" = "$(git -C w1 rev-parse HEAD)" &&
	test_must_fail git -C shared.git rev-parse -q --verify refs/heads/dc/streams/s2
'

test_expect_success 'push: nothing new is up to date, and changes nothing' '
	git -C shared.git for-each-ref >before &&
	git -C w1 dc push >out &&
	echo "Everything up-to-date: ${SQ}origin${SQ} refs/heads/dc/streams/s1 holds every delta of stream ${SQ}s1${SQ}" >expect &&
	test_cmp expect out &&
	git -C shared.git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'push --json: only the new deltas, old and new tips' '
	old=$(git -C w1 rev-parse HEAD) &&
	delta_in w1 2 &&
	delta_in w1 3 &&
	git -C w1 dc push --json >out.json &&
	jq -c "[.version, .command, .remote, .stream, .ref, .old, .new, .up_to_date, .deltas,
		.attempts, .rejected, .took_in]" out.json >actual &&
	echo "[1,\"push\",\"origin\",\"s1\",\"refs/heads/dc/streams/s1\",\"$old\",\"$(git -C w1 rev-parse HEAD)\",false,[\"$D/frame-2-s1.json\",\"$D/frame-3-s1.json\"],1,0,false]" >expect &&
	test_cmp expect actual
'

test_expect_success 'push: a worktree that writes no stream is refused' '
	test_expect_code 1 git -C fleet dc push 2>err &&
	cat >expect <<-EOF &&
	error: this work tree writes no stream: its branch is not dc/streams/<id> and dc.stream is not set
	hint: make a worker work tree with ${SQ}git dc worktree add <stream>${SQ}, or set ${SQ}git config dc.stream <id>${SQ}
	EOF
	test_cmp expect err &&
	git -C fleet config dc.stream ../x &&
	test_expect_code 1 git -C fleet dc push 2>err &&
	grep "^error: dc.stream ${SQ}../x${SQ} is not a valid stream id\$" err &&
	git -C fleet config --unset dc.stream
'

test_expect_success 'push: dc.stream names the stream of another branch' '
	git clone -q shared.git solo &&
	git -C solo checkout -q -b work origin/main &&
	git -C solo config dc.stream solo &&
	delta_in solo 1 &&
	git -C solo dc push >out &&
	grep "^Pushed 1 delta of stream ${SQ}solo${SQ} to ${SQ}origin${SQ} refs/heads/dc/streams/solo " out &&
	git -C shared.git cat-file -e refs/heads/dc/streams/solo:$D/frame-1-solo.json
'

test_expect_success 'push: an unknown remote is refused' '
	test_expect_code 1 git -C w1 dc push nowhere 2>err &&
	cat >expect <<-EOF &&
	error: ${SQ}nowhere${SQ} is not a configured remote
	hint: add it with ${SQ}git remote add nowhere <url>${SQ} (or name another remote, or set dc.remote)
	EOF
	test_cmp expect err
'

test_expect_success 'push: the remote ref holds commits the branch lacks: they are taken in' '
	stream_clone other s2 &&
	delta_in other 1 &&
	git -C other dc push >/dev/null &&
	delta_in w2 2 &&
	git -C w2 dc push >out &&
	grep "^Pushed 1 delta of stream ${SQ}s2${SQ} .*, after taking in the remote${SQ}s deltas\$" out &&
	grep "^${TAB}$D/frame-2-s2.json\$" out &&
	test "$(git -C shared.git rev-parse refs/heads/dc/streams/s2)" = "$(git -C w2 rev-parse HEAD)" &&
	git -C w2 rev-parse HEAD^2 >parent &&
	test "$(cat parent)" = "$(git -C other rev-parse HEAD)" &&
	test -f w2/$D/frame-1-s2.json &&
	git -C w2 status --porcelain >status &&
	test_must_be_empty status
'

test_expect_success 'push: a delta with other bytes on the remote is refused' '
	git -C other pull -q --ff-only origin dc/streams/s2 &&
	delta_in other 3 remote &&
	git -C other dc push >/dev/null &&
	delta_in w2 3 local &&
	git -C shared.git for-each-ref >before &&
	test_expect_code 1 git -C w2 dc push 2>err &&
	cat >expect <<-EOF &&
	error: delta ${SQ}$D/frame-3-s2.json${SQ} holds other bytes on ${SQ}origin${SQ} refs/heads/dc/streams/s2
	hint: a delta is immutable: two writers used one stream id and frame; write this one under another stream or frame
	EOF
	test_cmp expect err &&
	git -C shared.git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'push --to: creates the shared branch, then adds only new deltas on its tip' '
	git -C w1 dc push --to shared >out &&
	grep "^Pushed 3 deltas of stream ${SQ}s1${SQ} to ${SQ}origin${SQ} refs/heads/shared (new ref $(short HEAD w1), 1 attempt)\$" out &&
	local=$(git -C w1 rev-parse HEAD) &&
	delta_in w1 4 &&
	git -C w1 dc push --to shared >out &&
	grep "^Pushed 1 delta of stream ${SQ}s1${SQ} to ${SQ}origin${SQ} refs/heads/shared ($(echo $local | cut -c1-12)\.\." out &&
	test "$(git -C shared.git rev-parse shared^)" = "$local" &&
	git -C shared.git log -1 --format=%B shared >msg &&
	printf "dc: 1 delta of stream ${SQ}s1${SQ}\n\n$D/frame-4-s1.json\n\n" >expect &&
	test_cmp expect msg &&
	git -C shared.git diff --name-only shared^ shared >changed &&
	echo "$D/frame-4-s1.json" >expect &&
	test_cmp expect changed &&
	test "$(git -C w1 rev-parse HEAD^)" = "$local"
'

test_expect_success 'push --to: up to date, and a conflicting delta refused' '
	git -C w1 dc push --to shared >out &&
	grep "^Everything up-to-date: ${SQ}origin${SQ} refs/heads/shared " out &&
	git -C other dc push --to shared >/dev/null &&
	test_expect_code 1 git -C w2 dc push --to shared 2>err &&
	grep "^error: delta ${SQ}$D/frame-3-s2.json${SQ} holds other bytes on ${SQ}origin${SQ} refs/heads/shared\$" err
'

# race <repo> <intruder> <branch> <times>: a pre-push hook in <repo> that,
# the first <times> times it runs, pushes one more commit of <intruder> to
# <branch> first, as a writer racing this push would
race () {
	echo 0 >"$TRASH_DIRECTORY/$1.raced" &&
	write_script "$1/.git/hooks/pre-push" <<-EOF
	n=\$(cat "$TRASH_DIRECTORY/$1.raced")
	test "\$n" -ge $4 && exit 0
	echo \$((n + 1)) >"$TRASH_DIRECTORY/$1.raced"
	cd "$TRASH_DIRECTORY/$2" &&
	unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX &&
	git fetch -q origin $3 &&
	git reset -q --hard FETCH_HEAD &&
	echo "\$n" >>race.txt &&
	git add race.txt &&
	git commit -q -m "race \$n" &&
	git push -q origin HEAD:refs/heads/$3
	EOF
}

test_expect_success 'push --to: a race lost is fetched, rebased and retried' '
	stream_clone racer s3 &&
	git clone -q shared.git intruder &&
	race racer intruder shared 1 &&
	delta_in racer 1 &&
	git -C racer dc push --json --to shared >out.json &&
	jq -c "[.attempts, .rejected, .deltas]" out.json >actual &&
	echo "[2,1,[\"$D/frame-1-s3.json\"]]" >expect &&
	test_cmp expect actual &&
	git -C shared.git cat-file -e shared:race.txt &&
	git -C shared.git cat-file -e shared:$D/frame-1-s3.json &&
	test "$(git -C shared.git rev-parse shared^)" = "$(git -C intruder rev-parse HEAD)"
'

test_expect_success 'push --to: the loop is bounded (--attempts)' '
	race racer intruder shared 99 &&
	delta_in racer 2 &&
	test_expect_code 1 git -C racer dc push --to shared --attempts 3 2>err &&
	cat >expect <<-EOF &&
	error: ${SQ}origin${SQ} rejected the push to ${SQ}refs/heads/shared${SQ} 3 times: the branch moved each time
	hint: run ${SQ}git dc push${SQ} again (--attempts raises the bound); many writers on one branch race, a stream${SQ}s own ref does not
	EOF
	test_cmp expect err &&
	test "$(cat racer.raced)" = 3 &&
	test_must_fail git -C shared.git cat-file -e shared:$D/frame-2-s3.json
'

test_expect_success 'push --to: six workers at once on one branch, every delta lands once' '
	for i in 1 2 3 4 5 6
	do
		git -C fleet dc worktree add "p$i" "../p$i" >/dev/null &&
		delta_in "p$i" 1 || return 1
	done &&
	for i in 1 2 3 4 5 6
	do
		git -C "p$i" dc push --json --attempts 100 --to busy >"p$i.json" &
	done &&
	wait &&
	jq -s "map(.attempts) | add" p?.json >attempts &&
	jq -s "map(.rejected) | add" p?.json >rejected &&
	test "$(($(cat attempts) - $(cat rejected)))" = 6 &&
	echo "# 6 pushes to one branch: $(cat rejected) rejected of $(cat attempts) attempts" &&
	git -C shared.git ls-tree --name-only busy $D/ >tree &&
	for i in 1 2 3 4 5 6
	do
		grep -x "$D/frame-1-p$i.json" tree || return 1
	done &&
	git -C shared.git log --format=%s busy >log &&
	test $(grep -c "^dc: 1 delta of stream" log) -ge 5
'

test_expect_success 'push: the own refs of six workers at once never race' '
	for i in 1 2 3 4 5 6
	do
		delta_in "p$i" 2 || return 1
	done &&
	for i in 1 2 3 4 5 6
	do
		git -C "p$i" dc push --json >"own$i.json" &
	done &&
	wait &&
	jq -s "map(.rejected) | add" own?.json >rejected &&
	echo 0 >expect &&
	test_cmp expect rejected
'

test_expect_success 'usage' '
	test_expect_code 129 git -C w1 dc push --attempts 0 2>err &&
	grep "^error: --attempts takes a number from 1 to 1000" err &&
	test_expect_code 129 git -C w1 dc push a b 2>err &&
	grep "^error: too many arguments" err &&
	test_expect_code 129 git -C w1 dc push --to 2>err &&
	test_expect_code 129 git -C w1 dc push --to "bad..name" 2>err &&
	grep "^error: ${SQ}bad..name${SQ} is not a valid branch name" err
'

test_done
