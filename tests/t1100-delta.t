#!/bin/sh
test_description='git dc delta: fill, validate and commit one delta'
. "$(dirname "$0")/lib-dc.sh"

# Scratch files (inputs, out, err, expect) live in the trash directory, never
# in the repositories under test, so that dc_snapshot sees only what git dc
# did. Every git dc call runs as `git -C <repo> dc ...`.

UTC=2026-03-28T03:00:00Z
D=state/stream_deltas
SQ="'"

# snap <repo> <name> / unchanged <repo> <name>: dc_snapshot and dc_unchanged
# run inside <repo>.
snap () {
	(cd "$1" && dc_snapshot "$2")
}

unchanged () {
	(cd "$1" && dc_unchanged "$2")
}

# commit_paths <repo> <rev>: the paths <rev> changed, sorted, one a line.
commit_paths () {
	git -C "$1" diff-tree --no-commit-id --name-only -r "$2" | LC_ALL=C sort
}

# tracked_clean <repo>: the index and the tracked files equal HEAD.
tracked_clean () {
	git -C "$1" status --porcelain --untracked-files=no >status &&
	test_must_be_empty status
}

# committed_as <repo> <path> <commit output>: <commit output> is what git dc
# delta printed for a commit of <path> at HEAD, the commit changes <path> and
# nothing else, and the work tree and the index hold the committed bytes.
committed_as () {
	short=$(git -C "$1" rev-parse --short=12 HEAD) &&
	echo "Committed $2 in $short" >expect.out &&
	test_cmp expect.out "$3" &&
	echo "$2" >expect.paths &&
	commit_paths "$1" HEAD >actual.paths &&
	test_cmp expect.paths actual.paths &&
	git -C "$1" cat-file blob "HEAD:$2" >committed &&
	test_cmp committed "$1/$2" &&
	test "$(git -C "$1" rev-parse ":$2")" = "$(git -C "$1" rev-parse "HEAD:$2")"
}

# message_is <repo> <frame> <stream>: HEAD's message is the delta's.
message_is () {
	git -C "$1" log -1 --format=%B >msg &&
	printf "dc: delta frame %s stream %s\n\nDc-Frame: %s\nDc-Stream: %s\n\n" \
		"$2" "$3" "$2" "$3" >expect.msg &&
	test_cmp expect.msg msg
}

test_expect_success 'setup: a dc repository with the minimal preset' '
	dc_repo repo &&
	git -C repo log --format=%s >log &&
	printf "%s\n" "dc: init with the preset minimal" first >expect &&
	test_cmp expect log
'

test_expect_success 'a delta from a file gets frame, stream_id and utc (now) filled' '
	printf "{\"events\": [{\"a\": 1}]}" >in.json &&
	before=$(git -C repo rev-parse HEAD) &&
	t0=$(date -u +%s) &&
	test_tick &&
	git -C repo dc delta --stream s1 "$TRASH_DIRECTORY/in.json" >out 2>err &&
	t1=$(date -u +%s) &&
	test_must_be_empty err &&
	committed_as repo $D/frame-1-s1.json out &&
	message_is repo 1 s1 &&
	test "$(git -C repo rev-parse HEAD^)" = "$before" &&
	git -C repo cat-file -p HEAD >raw &&
	test $(grep -c "^parent " raw) = 1 &&
	git -C repo show --stat=80 --format= HEAD >stat &&
	cat >expect <<-EOF &&
	 $D/frame-1-s1.json | 10 ++++++++++
	 1 file changed, 10 insertions(+)
	EOF
	test_cmp expect stat &&

	# the bytes: the input laid out, the three members added last
	git -C repo show HEAD:$D/frame-1-s1.json >delta &&
	sed "s/^  \"utc\": \"[^\"]*\"\$/  \"utc\": \"NOW\"/" delta >actual &&
	cat >expect <<-\EOF &&
	{
	  "events": [
	    {
	      "a": 1
	    }
	  ],
	  "frame": 1,
	  "stream_id": "s1",
	  "utc": "NOW"
	}
	EOF
	test_cmp expect actual &&
	utc=$(jq -r .utc delta) &&
	expr "$utc" : "[0-9]\{4\}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]\{6\}Z\$" &&
	t=$(date -u -d "$utc" +%s) &&
	test $t -ge $t0 &&
	test $t -le $t1 &&
	tracked_clean repo
'

test_expect_success 'a delta from stdin ("-") with --utc' '
	printf "{\"events\": [{\"n\": 2}]}" >s2.json &&
	test_tick &&
	git -C repo dc delta --stream s2 --utc $UTC - <s2.json >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-1-s2.json out &&
	message_is repo 1 s2 &&
	cat >expect <<-\EOF &&
	{
	  "events": [
	    {
	      "n": 2
	    }
	  ],
	  "frame": 1,
	  "stream_id": "s2",
	  "utc": "2026-03-28T03:00:00Z"
	}
	EOF
	git -C repo show HEAD:$D/frame-1-s2.json >actual &&
	test_cmp expect actual
'

test_expect_success 'a delta from stdin with no argument' '
	test_tick &&
	printf "{\"events\": []}" | git -C repo dc delta --stream s3 --utc $UTC >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-1-s3.json out &&
	cat >expect <<-\EOF &&
	{
	  "events": [],
	  "frame": 1,
	  "stream_id": "s3",
	  "utc": "2026-03-28T03:00:00Z"
	}
	EOF
	git -C repo show HEAD:$D/frame-1-s3.json >actual &&
	test_cmp expect actual
'

test_expect_success '--frame, --stream and --utc fill a bare delta' '
	test_tick &&
	echo "{}" | git -C repo dc delta --frame 5 --stream s1 --utc 2026-03-28T03:00:05.5Z >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-5-s1.json out &&
	message_is repo 5 s1 &&
	cat >expect <<-\EOF &&
	{
	  "frame": 5,
	  "stream_id": "s1",
	  "utc": "2026-03-28T03:00:05.5Z"
	}
	EOF
	git -C repo show HEAD:$D/frame-5-s1.json >actual &&
	test_cmp expect actual
'

test_expect_success 'members the delta has keep their place; the layout is canonical' '
	printf "{\"stream_id\":\"s4\",\"_meta\":{\"who\":\"\303\251/x\"},\"frame\":2,\n\"events\":[{\"b\":[],\"c\":{},\"n\":1.50}],\"utc\":\"$UTC\"}" >s4.json &&
	test_tick &&
	git -C repo dc delta <s4.json >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-2-s4.json out &&
	cat >expect <<-EOF &&
	{
	  "stream_id": "s4",
	  "_meta": {
	    "who": "$(printf "\303\251")/x"
	  },
	  "frame": 2,
	  "events": [
	    {
	      "b": [],
	      "c": {},
	      "n": 1.50
	    }
	  ],
	  "utc": "$UTC"
	}
	EOF
	git -C repo show HEAD:$D/frame-2-s4.json >actual &&
	test_cmp expect actual
'

# Refusals of repo's history: the input has every member, a flag disagrees.
printf "{\"frame\": 3, \"stream_id\": \"s5\", \"utc\": \"$UTC\", \"events\": []}" >full.json

test_expect_success '--frame disagreeing with the delta is refused' '
	snap repo frame-flag &&
	test_expect_code 1 git -C repo dc delta --frame 4 <full.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: the delta says frame 3 but --frame says 4
	hint: leave --frame out, or fix the delta${SQ}s ${SQ}frame${SQ}
	EOF
	test_cmp expect err &&
	unchanged repo frame-flag
'

test_expect_success '--stream disagreeing with the delta is refused' '
	snap repo stream-flag &&
	test_expect_code 1 git -C repo dc delta --stream zz <full.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: the delta says stream ${SQ}s5${SQ} but --stream says ${SQ}zz${SQ}
	hint: leave --stream out, or fix the delta${SQ}s ${SQ}stream_id${SQ}
	EOF
	test_cmp expect err &&
	unchanged repo stream-flag
'

test_expect_success '--utc when the delta has a utc is refused' '
	snap repo utc-flag &&
	test_expect_code 1 git -C repo dc delta --utc $UTC <full.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: the delta has ${SQ}utc${SQ} already; --utc would change it
	hint: leave --utc out: the delta${SQ}s own instant is kept
	EOF
	test_cmp expect err &&
	unchanged repo utc-flag
'

test_expect_success 'flags agreeing with the delta are accepted' '
	test_tick &&
	git -C repo dc delta --frame 3 --stream s5 <full.json >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-3-s5.json out
'

test_expect_success 'the default frame is the merged frame + 1' '
	test_tick &&
	git -C repo dc merge >/dev/null &&
	git -C repo show HEAD:.dc/head.json >head.json &&
	test "$(jq .frame head.json)" = 5 &&
	test_tick &&
	echo "{\"events\": []}" | git -C repo dc delta --stream s1 --utc $UTC >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-6-s1.json out &&
	message_is repo 6 s1 &&
	git -C repo show HEAD:$D/frame-6-s1.json >delta &&
	test "$(jq .frame delta)" = 6
'

test_expect_success 'the stream comes from the branch dc/streams/<id>, before dc.stream' '
	git -C repo config dc.stream from-config &&
	git -C repo checkout -q -b dc/streams/w1 &&
	main=$(git -C repo rev-parse main) &&
	test_tick &&
	echo "{\"events\": []}" | git -C repo dc delta --utc $UTC >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-6-w1.json out &&
	message_is repo 6 w1 &&
	test "$(git -C repo rev-parse dc/streams/w1^)" = "$main" &&
	test "$(git -C repo rev-parse main)" = "$main" &&
	git -C repo show HEAD:$D/frame-6-w1.json >delta &&
	test "$(jq -r .stream_id delta)" = w1
'

test_expect_success 'a branch dc/streams/<id> whose id is not valid is refused' '
	git -C repo checkout -q -b dc/streams/a/b &&
	snap repo branch-ab &&
	test_expect_code 1 git -C repo dc delta --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	error: invalid delta: stream id '"'"'a/b'"'"' is not valid
	hint: a stream id matches [A-Za-z0-9][A-Za-z0-9._-]{0,63} and holds no '"'"'..'"'"'
	EOF
	test_cmp expect err &&
	unchanged repo branch-ab &&
	git -C repo checkout -q main
'

test_expect_success 'the stream comes from git config dc.stream' '
	test "$(git -C repo symbolic-ref HEAD)" = refs/heads/main &&
	test_tick &&
	echo "{\"events\": []}" | git -C repo dc delta --utc $UTC >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-6-from-config.json out &&
	message_is repo 6 from-config &&
	git -C repo config --unset dc.stream
'

test_expect_success 'no stream anywhere: exit 129 with a hint' '
	snap repo no-stream &&
	test_expect_code 129 git -C repo dc delta --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	error: no stream id: the delta has no '"'"'stream_id'"'"'
	hint: pass --stream <id>, or set it once with '"'"'git config dc.stream <id>'"'"'
	EOF
	test_cmp expect err &&
	unchanged repo no-stream
'

test_expect_success 'the commit holds only the delta; other staged changes stay staged' '
	echo staged >repo/other.txt &&
	git -C repo add other.txt &&
	echo "staged line" >>repo/README &&
	git -C repo add README &&
	echo "unstaged line" >>repo/README &&
	git -C repo diff --cached >cached.before &&
	git -C repo diff >worktree.before &&
	test_tick &&
	echo "{\"events\": [1]}" | git -C repo dc delta --stream s6 --utc $UTC >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-6-s6.json out &&
	test_must_fail git -C repo cat-file -e HEAD:other.txt &&
	git -C repo show HEAD:README >readme &&
	echo "a dc repository" >expect &&
	test_cmp expect readme &&
	git -C repo diff --cached >cached.after &&
	test_cmp cached.before cached.after &&
	git -C repo diff >worktree.after &&
	test_cmp worktree.before worktree.after &&
	git -C repo status --porcelain >status &&
	cat >expect <<-\EOF &&
	MM README
	A  other.txt
	EOF
	test_cmp expect status &&
	git -C repo reset -q --hard
'

test_expect_success 'the identical delta again: exit 0, "Already committed", no commit' '
	snap repo again &&
	git -C repo dc delta --frame 1 --stream s2 --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty err &&
	echo "Already committed: $D/frame-1-s2.json (identical bytes)" >expect &&
	test_cmp expect out &&
	unchanged repo again
'

test_expect_success 'the identical delta again with --json: committed false' '
	snap repo again-json &&
	git -C repo dc delta --json --frame 1 --stream s2 --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty err &&
	test "$(jq -s length out)" = 1 &&
	jq -e ".version == 1 and .command == \"delta\" and .committed == false and
		.commit == null and .path == \"$D/frame-1-s2.json\" and .frame == 1 and
		.stream == \"s2\" and .utc == \"$UTC\"" out &&
	test "$(jq -r .blob out)" = "$(git -C repo rev-parse HEAD:$D/frame-1-s2.json)" &&
	unchanged repo again-json
'

test_expect_success 'other bytes at a used path: exit 1, deltas are immutable' '
	snap repo immutable &&
	test_expect_code 1 git -C repo dc delta --frame 1 --stream s2 --utc 2026-03-28T03:00:01Z <s2.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: delta '"'"'$D/frame-1-s2.json'"'"' is already committed with other content; deltas are immutable
	hint: a stream writes one delta per frame: put the change in the delta of a later frame
	EOF
	test_cmp expect err &&
	unchanged repo immutable
'

test_expect_success 'a delta of that frame and stream under the other layout is refused' '
	mkdir -p repo/$D/frame-8 &&
	dc_delta_json 8 s1 >repo/$D/frame-8/s1.json &&
	(cd repo && dc_commit_file $D/frame-8/s1.json "a by-frame delta, by hand") &&
	snap repo other-layout &&
	test_expect_code 1 git -C repo dc delta --frame 8 --stream s1 --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: stream '"'"'s1'"'"' already has a delta for frame 8 at '"'"'$D/frame-8/s1.json'"'"'
	hint: a stream writes one delta per frame: put the change in the delta of a later frame
	EOF
	test_cmp expect err &&
	unchanged repo other-layout
'

test_expect_success 'a file at the delta path in the work tree with other content is refused' '
	echo "by hand" >repo/$D/frame-9-s1.json &&
	snap repo worktree-file &&
	test_expect_code 1 git -C repo dc delta --frame 9 --stream s1 --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: '"'"'$D/frame-9-s1.json'"'"' exists in the work tree with other content; nothing was changed
	hint: pass that file to '"'"'git dc delta'"'"', or move it away
	EOF
	test_cmp expect err &&
	unchanged repo worktree-file
'

test_expect_success 'that file itself, passed to git dc delta, is committed in the canonical layout' '
	printf "{\"events\":[{\"x\":1}],\"frame\":9,\"stream_id\":\"s1\",\"utc\":\"$UTC\"}" >repo/$D/frame-9-s1.json &&
	test_tick &&
	git -C repo dc delta $D/frame-9-s1.json >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-9-s1.json out &&
	jq --indent 2 . repo/$D/frame-9-s1.json >expect &&
	test_cmp expect repo/$D/frame-9-s1.json &&
	tracked_clean repo
'

test_expect_success '--json on success prints one document' '
	test_tick &&
	git -C repo dc delta --json --frame 10 --stream s1 --utc 2026-03-28T03:00:00.5Z <s2.json >out 2>err &&
	test_must_be_empty err &&
	test "$(jq -s length out)" = 1 &&
	jq -e ".version == 1 and .command == \"delta\" and .committed == true and
		.path == \"$D/frame-10-s1.json\" and .frame == 10 and .stream == \"s1\" and
		.utc == \"2026-03-28T03:00:00.5Z\"" out &&
	test "$(jq -r .commit out)" = "$(git -C repo rev-parse HEAD)" &&
	test "$(jq -r .blob out)" = "$(git -C repo rev-parse HEAD:$D/frame-10-s1.json)" &&
	git -C repo cat-file blob "$(jq -r .blob out)" >blob &&
	test_cmp blob repo/$D/frame-10-s1.json
'

test_expect_success '--utc keeps every digit of the instant it is given' '
	test_tick &&
	echo "{}" | git -C repo dc delta --frame 11 --stream ns --utc 2026-03-28T03:00:00.123456789Z >out 2>err &&
	test_must_be_empty err &&
	committed_as repo $D/frame-11-ns.json out &&
	git -C repo show HEAD:$D/frame-11-ns.json >delta &&
	echo 2026-03-28T03:00:00.123456789Z >expect &&
	jq -r .utc delta >actual &&
	test_cmp expect actual
'

test_expect_success '--json on a refusal prints the error document' '
	snap repo json-error &&
	test_expect_code 1 git -C repo dc delta --json --frame 4 <full.json >out 2>err &&
	test "$(jq -s length out)" = 1 &&
	jq -e ".version == 1 and .command == \"delta\" and .error.kind == \"refused\" and
		.error.message == \"the delta says frame 3 but --frame says 4\" and
		.error.hint == \"leave --frame out, or fix the delta${SQ}s ${SQ}frame${SQ}\" and
		.error.exit_code == 1" out &&
	cat >expect <<-EOF &&
	error: the delta says frame 3 but --frame says 4
	hint: leave --frame out, or fix the delta${SQ}s ${SQ}frame${SQ}
	EOF
	test_cmp expect err &&
	unchanged repo json-error
'

test_expect_success '--json on a usage error prints the error document, exit 129' '
	snap repo json-usage &&
	test_expect_code 129 git -C repo dc delta --json --utc $UTC <s2.json >out 2>err &&
	jq -e ".version == 1 and .error.kind == \"usage\" and .error.exit_code == 129 and
		.error.message == \"no stream id: the delta has no '"'"'stream_id'"'"'\"" out &&
	unchanged repo json-usage
'

test_expect_success 'an input file that cannot be read: fatal, exit 128' '
	snap repo no-file &&
	test_expect_code 128 git -C repo dc delta --json --stream s1 no-such.json >out 2>err &&
	cat >expect <<-EOF &&
	fatal: cannot read ${SQ}no-such.json${SQ}: No such file or directory
	hint: give the path of a delta file, or ${SQ}-${SQ} to read it from standard input
	EOF
	test_cmp expect err &&
	jq -e ".error.kind == \"fatal\" and .error.exit_code == 128" out &&
	unchanged repo no-file
'

test_expect_success 'two file arguments: exit 129 with the usage' '
	snap repo two-args &&
	test_expect_code 129 git -C repo dc delta a.json b.json >out 2>err &&
	test_must_be_empty out &&
	grep "^error: too many arguments\$" err &&
	grep "^usage: git dc delta \[--frame <n>\] \[--stream <id>\] \[--utc <instant>\] \[-q | --quiet\] \[--json\] \[<file> | -\]\$" err &&
	unchanged repo two-args
'

test_expect_success 'a locked branch: refused, and nothing written in the work tree' '
	dc_repo locked &&
	gitdir=$(cd locked/.git && pwd -P) &&
	>locked/.git/refs/heads/main.lock &&
	test_when_finished "rm -f locked/.git/refs/heads/main.lock" &&
	snap locked locked &&
	test_expect_code 1 git -C locked dc delta --stream s <s2.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: '"'"'refs/heads/main'"'"' is locked by another process; nothing was changed
	hint: if no git process is running, remove '"'"'$gitdir/refs/heads/main.lock'"'"'
	EOF
	test_cmp expect err &&
	unchanged locked locked
'

test_expect_success 'after a failed attempt, the same command commits once the lock is gone' '
	rm -f locked/.git/refs/heads/main.lock &&
	test_tick &&
	git -C locked dc delta --stream s <s2.json >out 2>err &&
	test_must_be_empty err &&
	committed_as locked $D/frame-1-s.json out
'

test_expect_success 'a held index.lock: the commit stays, the index and the lock are left as they are' '
	dc_repo ilock &&
	gitdir=$(cd ilock/.git && pwd -P) &&
	>ilock/.git/index.lock &&
	test_when_finished "rm -f ilock/.git/index.lock" &&
	cp ilock/.git/index index.before &&
	test_tick &&
	test_expect_code 128 git -C ilock dc delta --stream s --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty out &&
	short=$(git -C ilock rev-parse --short=12 HEAD) &&
	cat >expect <<-EOF &&
	fatal: committed $short, but the work tree was not updated: cannot write the index: '"'"'$gitdir/index.lock'"'"' exists
	hint: another git process is running here, or one was killed: if none is running, remove '"'"'$gitdir/index.lock'"'"' and run the command again
	EOF
	test_cmp expect err &&
	test -e ilock/.git/index.lock &&
	cmp index.before ilock/.git/index &&
	commit_paths ilock HEAD >paths &&
	echo $D/frame-1-s.json >expect &&
	test_cmp expect paths
'

test_expect_success 'once the lock is gone, the same command brings the index along' '
	rm -f ilock/.git/index.lock &&
	git -C ilock dc delta --stream s --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty err &&
	echo "Already committed: $D/frame-1-s.json (identical bytes)" >expect &&
	test_cmp expect out &&
	tracked_clean ilock
'

# Bad inputs, each against the repository "bad" where nothing was merged
# (so the default frame is 1).

# refused <title> <exit code> <name> [<option>...]: `git dc delta <option>...`
# in "bad", reading <name>.in on stdin, exits with <exit code>, prints
# exactly <name>.expect on stderr and nothing on stdout, and changes nothing.
refused () {
	title=$1 code=$2 name=$3
	shift 3
	test_expect_success "refused: $title" "
		snap bad $name &&
		test_expect_code $code git -C bad dc delta $* <$name.in >out 2>err &&
		test_must_be_empty out &&
		test_cmp $name.expect err &&
		unchanged bad $name &&
		test_must_fail git -C bad cat-file -e HEAD:$D
	"
}

test_expect_success 'setup: the repository for bad inputs' '
	dc_repo bad
'

printf '{"events": [' >trunc.in
cat >trunc.expect <<\EOF
error: invalid delta: invalid JSON: line 1, column 13: unexpected end of input
hint: a delta is one strict JSON object: no comments, no trailing commas, no member twice
EOF
refused 'truncated JSON' 1 trunc --stream q --utc $UTC

printf '' >empty.in
cat >empty.expect <<\EOF
error: invalid delta: invalid JSON: line 1, column 1: empty input
hint: a delta is one strict JSON object: no comments, no trailing commas, no member twice
EOF
refused 'an empty input' 1 empty --stream q --utc $UTC

printf '[{"events": []}]' >list.in
cat >list.expect <<\EOF
error: invalid delta: the top-level value is an array, expected an object
hint: a delta is one JSON object of sections: {"events": [<event>, ...]}
EOF
refused 'a top-level list' 1 list --stream q --utc $UTC

printf '{"frame": "5", "events": []}' >frame-string.in
cat >frame-string.expect <<\EOF
error: invalid delta: 'frame' is a string, expected an integer 0 <= frame < 2^53
hint: write it as a number ("frame": 3), or leave it out and give --frame <n>
EOF
refused 'a frame that is a string' 1 frame-string --stream q --utc $UTC

printf '{"frame": 9007199254740992, "events": []}' >frame-2p53.in
cat >frame-2p53.expect <<\EOF
error: invalid delta: 'frame' is 9007199254740992, expected an integer 0 <= frame < 2^53
hint: write it as a number ("frame": 3), or leave it out and give --frame <n>
EOF
refused 'frame 2^53' 1 frame-2p53 --stream q --utc $UTC

printf '{"frame": -1, "events": []}' >frame-negative.in
cat >frame-negative.expect <<\EOF
error: invalid delta: 'frame' is -1, expected an integer 0 <= frame < 2^53
hint: write it as a number ("frame": 3), or leave it out and give --frame <n>
EOF
refused 'a negative frame' 1 frame-negative --stream q --utc $UTC

printf '{"frame": 5.0, "events": []}' >frame-float.in
cat >frame-float.expect <<\EOF
error: invalid delta: 'frame' is 5.0, expected an integer 0 <= frame < 2^53
hint: write it as a number ("frame": 3), or leave it out and give --frame <n>
EOF
refused 'frame 5.0' 1 frame-float --stream q --utc $UTC

printf '{"stream_id": "../../x", "events": []}' >stream-dotdot.in
cat >stream-dotdot.expect <<\EOF
error: invalid delta: stream id '../../x' is not valid
hint: a stream id matches [A-Za-z0-9][A-Za-z0-9._-]{0,63} and holds no '..'
EOF
refused 'stream_id "../../x"' 1 stream-dotdot --utc $UTC

printf '{"events": []}' >stream-flag-dotdot.in
cp stream-dotdot.expect stream-flag-dotdot.expect
refused "--stream '../../x'" 1 stream-flag-dotdot --stream ../../x --utc $UTC

printf '{"stream_id": "a/b", "events": []}' >stream-slash.in
cat >stream-slash.expect <<\EOF
error: invalid delta: stream id 'a/b' is not valid
hint: a stream id matches [A-Za-z0-9][A-Za-z0-9._-]{0,63} and holds no '..'
EOF
refused 'a stream id with "/"' 1 stream-slash --utc $UTC

printf '{"events": []}' >stream-flag-slash.in
cp stream-slash.expect stream-flag-slash.expect
refused '--stream with "/"' 1 stream-flag-slash --stream a/b --utc $UTC

long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
printf '{"events": []}' >stream-long.in
cat >stream-long.expect <<EOF
error: invalid delta: stream id '$long' is not valid
hint: a stream id matches [A-Za-z0-9][A-Za-z0-9._-]{0,63} and holds no '..'
EOF
refused 'a stream id of 65 characters' 1 stream-long --stream $long --utc $UTC

printf '{"stream_id": 5, "events": []}' >stream-int.in
cat >stream-int.expect <<\EOF
error: invalid delta: 'stream_id' is an integer, expected a string
hint: write it as a string ("stream_id": "s1"), or leave it out and give --stream <id>
EOF
refused 'a stream_id that is a number' 1 stream-int --utc $UTC

printf '{"events": ["\377"]}' >utf8.in
cat >utf8.expect <<\EOF
error: invalid delta: invalid JSON: byte 14 (line 1, column 14): invalid UTF-8
hint: a delta is one strict JSON object: no comments, no trailing commas, no member twice
EOF
refused 'invalid UTF-8' 1 utf8 --stream q --utc $UTC

printf '\357\273\277{"events": []}' >bom.in
cat >bom.expect <<\EOF
error: invalid delta: invalid JSON: line 1, column 1: unexpected byte order mark
hint: a delta is one strict JSON object: no comments, no trailing commas, no member twice
EOF
refused 'a byte order mark' 1 bom --stream q --utc $UTC

printf '{"events": [], "events": []}' >dup.in
cat >dup.expect <<\EOF
error: invalid delta: invalid JSON: line 1, column 16: duplicate key 'events'
hint: a delta is one strict JSON object: no comments, no trailing commas, no member twice
EOF
refused 'duplicate keys' 1 dup --stream q --utc $UTC

printf '{"events": [NaN]}' >nan.in
cat >nan.expect <<\EOF
error: invalid delta: invalid JSON: line 1, column 13: invalid literal 'NaN'
hint: a delta is one strict JSON object: no comments, no trailing commas, no member twice
EOF
refused 'NaN' 1 nan --stream q --utc $UTC

printf '{"events": []} x' >trailing.in
cat >trailing.expect <<\EOF
error: invalid delta: invalid JSON: line 1, column 16: unexpected 'x' after the value
hint: a delta is one strict JSON object: no comments, no trailing commas, no member twice
EOF
refused 'trailing garbage' 1 trailing --stream q --utc $UTC

printf '{"events": "str"}' >section-string.in
cat >section-string.expect <<EOF
error: invalid delta '$D/frame-1-q.json': section 'events' is a string, expected an array or an object
EOF
refused 'a section that is a string' 1 section-string --stream q --utc $UTC

printf '{"events": [], "unknown": 5}' >unknown-int.in
cat >unknown-int.expect <<EOF
error: invalid delta '$D/frame-1-q.json': section 'unknown' is an integer, expected an array or an object
EOF
refused 'an unknown section that is a number' 1 unknown-int --stream q --utc $UTC

printf '{"utc": "<UTC ISO>", "events": []}' >placeholder.in
cat >placeholder.expect <<EOF
error: invalid delta '$D/frame-1-q.json': 'utc' is not an RFC 3339 UTC instant: '<UTC ISO>'
EOF
refused 'a placeholder utc "<UTC ISO>"' 1 placeholder --stream q

printf '{"utc": null, "events": []}' >utc-null.in
cat >utc-null.expect <<EOF
error: invalid delta '$D/frame-1-q.json': 'utc' is null, expected an RFC 3339 UTC instant
EOF
refused 'a null utc' 1 utc-null --stream q

printf '{"utc": "2026-03-28T03:00:00+00:00", "events": []}' >utc-offset.in
cat >utc-offset.expect <<EOF
error: invalid delta '$D/frame-1-q.json': 'utc' is not an RFC 3339 UTC instant: '2026-03-28T03:00:00+00:00'
EOF
refused 'a utc with an offset' 1 utc-offset --stream q

printf '{"events": []}' >utc-flag.in
cat >utc-flag.expect <<\EOF
error: --utc '2026-03-28T03:00:00+00:00' is not an RFC 3339 UTC instant (YYYY-MM-DDTHH:MM:SS[.fraction]Z)
hint: for example --utc 2026-03-28T03:00:00Z (uppercase T and Z, no offset)
EOF
refused '--utc with an offset (usage)' 129 utc-flag --stream q --utc 2026-03-28T03:00:00+00:00

printf '{"events": []}' >frame-flag-big.in
cat >frame-flag-big.expect <<\EOF
error: --frame 9007199254740992 is too large (frames are < 2^53)
EOF
refused '--frame 2^53 (usage)' 129 frame-flag-big --stream q --utc $UTC --frame 9007199254740992

test_expect_success 'refused: --frame -1 (usage)' '
	snap bad frame-flag-negative &&
	test_expect_code 129 git -C bad dc delta --stream q --frame -1 <s2.json >out 2>err &&
	test_must_be_empty out &&
	grep "^error: option '"'"'--frame'"'"' expects a non-negative integer, got '"'"'-1'"'"'\$" err &&
	grep "^usage: git dc delta " err &&
	unchanged bad frame-flag-negative
'

test_expect_success 'the largest frame, 2^53 - 1, is accepted' '
	test_tick &&
	echo "{\"frame\": 9007199254740991}" | git -C bad dc delta --stream q --utc $UTC >out 2>err &&
	test_must_be_empty err &&
	committed_as bad $D/frame-9007199254740991-q.json out &&
	message_is bad 9007199254740991 q
'

test_expect_success 'frame 0 is a frame' '
	test_tick &&
	echo "{}" | git -C bad dc delta --frame 0 --stream q --utc $UTC >out 2>err &&
	test_must_be_empty err &&
	committed_as bad $D/frame-0-q.json out
'

test_expect_success 'a stream id of 64 characters is accepted' '
	id=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa &&
	test_tick &&
	echo "{}" | git -C bad dc delta --stream $id --utc $UTC >out 2>err &&
	test_must_be_empty err &&
	committed_as bad $D/frame-1-$id.json out
'

test_expect_success 'the by-frame layout writes <deltas>/frame-N/S.json' '
	git init -q byframe &&
	mkdir byframe/.dc &&
	printf "{\"version\": 1, \"layout\": \"by-frame\", \"max_delta_bytes\": 114,\n \"sections\": {\"events\": {\"op\": \"append\", \"file\": \"state/ev.json\", \"at\": \"/events\"}}}\n" >byframe/.dc/rules.json &&
	(cd byframe && dc_commit_file .dc/rules.json "rules by hand") &&
	test_tick &&
	printf "{\"events\": [{\"t\": 1}]}" >t1.json &&
	git -C byframe dc delta --stream s --utc $UTC <t1.json >out 2>err &&
	test_must_be_empty err &&
	committed_as byframe $D/frame-1/s.json out &&
	message_is byframe 1 s &&
	git -C byframe ls-tree -r --name-only HEAD >actual &&
	printf "%s\n" .dc/rules.json $D/frame-1/s.json >expect &&
	test_cmp expect actual &&
	git -C byframe ls-tree HEAD $D/ >tree &&
	grep "^040000 tree [0-9a-f]*	$D/frame-1\$" tree
'

test_expect_success 'a delta of exactly max_delta_bytes is accepted' '
	git -C byframe cat-file -s HEAD:$D/frame-1/s.json >size &&
	echo 114 >expect &&
	test_cmp expect size
'

test_expect_success 'a delta over max_delta_bytes is refused' '
	printf "{\"events\": [{\"t\": 10}]}" >t10.json &&
	snap byframe too-big &&
	test_expect_code 1 git -C byframe dc delta --frame 3 --stream s --utc $UTC <t10.json >out 2>err &&
	test_must_be_empty out &&
	echo "error: invalid delta '"'"'$D/frame-3/s.json'"'"': 115 bytes is over max_delta_bytes (114)" >expect &&
	test_cmp expect err &&
	unchanged byframe too-big
'

test_expect_success 'by-frame: a flat delta of that frame and stream is refused' '
	dc_delta_json 2 s >byframe/$D/frame-2-s.json &&
	(cd byframe && dc_commit_file $D/frame-2-s.json "a flat delta, by hand") &&
	snap byframe flat-there &&
	test_expect_code 1 git -C byframe dc delta --frame 2 --stream s --utc $UTC <t1.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: stream '"'"'s'"'"' already has a delta for frame 2 at '"'"'$D/frame-2-s.json'"'"'
	hint: a stream writes one delta per frame: put the change in the delta of a later frame
	EOF
	test_cmp expect err &&
	unchanged byframe flat-there
'

test_expect_success 'not a dc repository (no rules): refused, nothing written' '
	git init -q norules &&
	(cd norules && test_commit first README "no rules here") &&
	snap norules norules &&
	test_expect_code 1 git -C norules dc delta --stream s --utc $UTC <t1.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	error: not a dc repository: '"'"'.dc/rules.json'"'"' is not in the commit
	hint: run '"'"'git dc init'"'"' to start one
	EOF
	test_cmp expect err &&
	unchanged norules norules &&
	! test -e norules/state
'

test_expect_success 'rules in the work tree but not committed are not enough' '
	mkdir norules/.dc &&
	git -C repo show main:.dc/rules.json >norules/.dc/rules.json &&
	snap norules uncommitted-rules &&
	test_expect_code 1 git -C norules dc delta --stream s --utc $UTC <t1.json 2>err &&
	grep "^error: not a dc repository: " err &&
	unchanged norules uncommitted-rules
'

test_expect_success 'an unborn branch is refused, nothing written' '
	git init -q unborn &&
	echo staged >unborn/a.txt &&
	git -C unborn add a.txt &&
	# dc_snapshot needs a HEAD commit: record what an unborn branch has
	unborn_state () {
		git -C unborn for-each-ref &&
		git -C unborn ls-files -s &&
		git -C unborn status --porcelain=v1 --untracked-files=all &&
		(cd unborn && find . -path ./.git -prune -o -type f -print | LC_ALL=C sort)
	} &&
	unborn_state >unborn.before &&
	test_expect_code 1 git -C unborn dc delta --stream s --utc $UTC <t1.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	error: '"'"'refs/heads/main'"'"' has no commits yet
	hint: run '"'"'git dc init'"'"' first
	EOF
	test_cmp expect err &&
	unborn_state >unborn.after &&
	test_cmp unborn.before unborn.after &&
	test_must_fail git -C unborn rev-parse -q --verify HEAD &&
	! test -e unborn/state
'

test_expect_success 'a detached HEAD is refused' '
	git -C bad checkout -q --detach &&
	snap bad detached &&
	test_expect_code 1 git -C bad dc delta --stream s --utc $UTC <t1.json >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	error: HEAD is detached
	hint: check out the branch to work on first
	EOF
	test_cmp expect err &&
	unchanged bad detached &&
	git -C bad checkout -q main
'

test_expect_success 'a dotted utc name is filled inside its object' '
	git init -q dotted &&
	mkdir dotted/.dc &&
	printf "{\"version\": 1, \"utc\": [\"_meta.timestamp\", \"utc\"], \"sections\": {}}\n" >dotted/.dc/rules.json &&
	(cd dotted && dc_commit_file .dc/rules.json "rules by hand") &&
	test_tick &&
	echo "{\"_meta\": {\"node\": 1}}" | git -C dotted dc delta --stream s --utc 2026-03-28T03:00:00.25Z >out 2>err &&
	test_must_be_empty err &&
	committed_as dotted $D/frame-1-s.json out &&
	cat >expect <<-\EOF &&
	{
	  "_meta": {
	    "node": 1,
	    "timestamp": "2026-03-28T03:00:00.25Z"
	  },
	  "frame": 1,
	  "stream_id": "s"
	}
	EOF
	git -C dotted show HEAD:$D/frame-1-s.json >actual &&
	test_cmp expect actual
'

test_expect_success 'a later utc name present is used; nothing is added' '
	echo "{\"utc\": \"$UTC\"}" >later.json &&
	snap dotted later &&
	test_expect_code 1 git -C dotted dc delta --stream s2 --utc $UTC <later.json >out 2>err &&
	cat >expect <<-EOF &&
	error: the delta has ${SQ}utc${SQ} already; --utc would change it
	hint: leave --utc out: the delta${SQ}s own instant is kept
	EOF
	test_cmp expect err &&
	unchanged dotted later &&
	test_tick &&
	git -C dotted dc delta --stream s2 <later.json >out 2>err &&
	test_tick &&
	test_must_be_empty err &&
	committed_as dotted $D/frame-1-s2.json out &&
	cat >expect <<-EOF &&
	{
	  "utc": "$UTC",
	  "frame": 1,
	  "stream_id": "s2"
	}
	EOF
	test_cmp expect dotted/$D/frame-1-s2.json
'

test_expect_success 'git dc delta works in a bare repository' '
	git init -q --bare bare.git &&
	test_tick &&
	git -C bare.git dc init >/dev/null &&
	init=$(git -C bare.git rev-parse main) &&
	test_tick &&
	git -C bare.git dc delta --stream s --utc $UTC <s2.json >out 2>err &&
	test_must_be_empty err &&
	short=$(git -C bare.git rev-parse --short=12 main) &&
	echo "Committed $D/frame-1-s.json in $short" >expect &&
	test_cmp expect out &&
	test "$(git -C bare.git rev-parse main^)" = "$init" &&
	commit_paths bare.git main >actual &&
	echo $D/frame-1-s.json >expect &&
	test_cmp expect actual &&
	! test -e bare.git/state
'

if test -d "$DC_CORPUS/late_delta_and_cleanup/input/stream_deltas"
then
	test_set_prereq CORPUS
fi

test_expect_success CORPUS 'rappterbook: the seeds'"'"' deltas are committed byte for byte' '
	git init -q rb &&
	test_tick &&
	git -C rb dc init --preset rappterbook >/dev/null &&
	for n in 1 2 3 4 5 6 7 8 9 10 11 12
	do
		f="$DC_CORPUS/late_delta_and_cleanup/input/stream_deltas/frame-$n-stream-1.json" &&
		test_tick &&
		git -C rb dc delta "$f" >out 2>err &&
		test_must_be_empty err &&
		committed_as rb $D/frame-$n-stream-1.json out &&
		git -C rb show HEAD:$D/frame-$n-stream-1.json >committed &&
		test_cmp "$f" committed || return 1
	done
'

test_expect_success CORPUS 'rappterbook: a placeholder completed_at is refused' '
	f="$DC_CORPUS/llm_placeholder_timestamp/input/stream_deltas/frame-1-stream-1.json" &&
	snap rb placeholder &&
	test_expect_code 1 git -C rb dc delta "$f" >out 2>err &&
	test_must_be_empty out &&
	echo "error: invalid delta '"'"'$D/frame-1-stream-1.json'"'"': '"'"'completed_at'"'"' is not an RFC 3339 UTC instant: '"'"'<UTC ISO>'"'"'" >expect &&
	test_cmp expect err &&
	unchanged rb placeholder
'

test_expect_success CORPUS 'rappterbook: a section that is a string is refused' '
	f="$DC_CORPUS/comments_added_is_string/input/stream_deltas/frame-1-stream-2.json" &&
	snap rb comments-string &&
	test_expect_code 1 git -C rb dc delta "$f" >out 2>err &&
	test_must_be_empty out &&
	echo "error: invalid delta '"'"'$D/frame-1-stream-2.json'"'"': section '"'"'comments_added'"'"' is a string, expected an array or an object" >expect &&
	test_cmp expect err &&
	unchanged rb comments-string
'

test_done
