#!/bin/sh
test_description='hostile input: a clear error, bounded memory, nothing changed

Deltas, rules and repositories made to break git dc: paths that try to
leave the repository, symbolic links, a directory or a submodule where a
delta should be, a 1 GB delta, 100,000-deep nesting, numbers beyond int64
and double precision, invalid UTF-8, duplicate keys, conflicting rules,
names made to reach the terminal, a repository another user owns. Each
is refused or quarantined with a message naming it, and what must not
change does not.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
UTC=2026-03-28T03:00:00Z

snap () {
	(cd "$1" && dc_snapshot "$2")
}

unchanged () {
	(cd "$1" && dc_unchanged "$2")
}

# commit_raw <repo> <path>: commit the bytes on stdin at <path>, as a
# worker skipping every check would
commit_raw () {
	mkdir -p "$(dirname "$1/$2")" &&
	cat >"$1/$2" &&
	git -C "$1" add -- "$2" &&
	test_tick &&
	git -C "$1" commit -q --no-verify -m "raw $2"
}

# max_rss_kb <file> <cmd>...: run <cmd>, its peak memory (KB) into <file>;
# the exit code is <cmd>'s
max_rss_kb () {
	rss_file=$1
	shift
	/usr/bin/time -f %M -o "$rss_file" "$@"
}

test -x /usr/bin/time && test_set_prereq TIME
test "$(id -u)" = 0 && id nobody >/dev/null 2>&1 && test_set_prereq ROOT

test_expect_success 'setup: a dc repository (minimal preset) with one merged delta' '
	dc_repo repo &&
	git -C repo config core.hooksPath /dev/null &&
	dc_delta_json 1 s1 $UTC "\"events\": [{\"n\": 1}]" | commit_raw repo $D/frame-1-s1.json &&
	git -C repo dc merge -q &&
	git -C repo show HEAD:state/events.json >events.before
'

# ---- stream ids and rule paths that try to leave the repository ----------

while read -r stream shown
do
	test_expect_success "git dc delta --stream $stream is refused" "
		snap repo stream &&
		echo '{\"events\": [{\"n\": 2}]}' >in.json &&
		test_expect_code 1 git -C repo dc delta --frame 2 --stream '$stream' --utc $UTC \
			../in.json >out 2>err &&
		test_must_be_empty out &&
		printf '%s\\n' \"error: invalid delta: stream id $shown is not valid\" \\
			\"hint: a stream id matches [A-Za-z0-9][A-Za-z0-9._-]{0,63} and holds no '..'\" >expect &&
		test_cmp expect err &&
		unchanged repo stream
	"
done <<-\EOF
../x '../x'
/etc '/etc'
a\b 'a\\\\b'
a..b 'a..b'
.hidden '.hidden'
EOF

test_expect_success 'a stream id holding a NUL is refused' '
	snap repo nul &&
	printf "{\"stream_id\": \"a\\\\u0000b\", \"events\": []}" >in.json &&
	test_expect_code 1 git -C repo dc delta --frame 2 --utc $UTC ../in.json 2>err &&
	grep "^error: invalid delta .*: .stream_id. .a\\\\x00b. is not a valid stream id$" err &&
	unchanged repo nul
'

test_expect_success 'committed deltas whose stream ids escape are quarantined, never applied' '
	git clone -q repo escape &&
	git -C escape config core.hooksPath /dev/null &&
	printf "{\"frame\": 2, \"stream_id\": \"../../x\", \"utc\": \"%s\", \"events\": [{\"n\": 3}]}" $UTC |
		commit_raw escape $D/frame-2-ok.json &&
	dc_delta_json 2 a..b $UTC "\"events\": [{\"n\": 4}]" | commit_raw escape $D/frame-2-a..b.json &&
	git -C escape dc merge >out &&
	cat >expect <<-\EOF &&
	quarantined state/stream_deltas/frame-2-a..b.json: stream id '\''a..b'\'' is not valid
	quarantined state/stream_deltas/frame-2-ok.json: '\''stream_id'\'' '\''../../x'\'' is not a valid stream id
	EOF
	grep "^quarantined" out >actual &&
	test_cmp expect actual &&
	git -C escape show HEAD:state/events.json >events.after &&
	test_cmp events.before events.after
'

# rules <file member>: a rules file whose one section writes there
rules_with_file () {
	printf '{"version": 1, "sections": {"events": {"op": "append", "file": %s}}}\n' "$1"
}

while read -r file reason
do
	test_expect_success "rules naming the file $file are refused before anything is written" "
		rm -rf bad && git clone -q repo bad &&
		rules_with_file '$file' | commit_raw bad .dc/rules.json &&
		dc_delta_json 2 s1 $UTC '\"events\": [{\"n\": 5}]' | commit_raw bad $D/frame-2-s1.json &&
		snap bad rules &&
		test_expect_code 1 git -C bad dc merge >out 2>err &&
		test_must_be_empty out &&
		printf '%s\\n' \"error: '.dc/rules.json': rules: sections.events.file: $reason\" >expect &&
		head -n 1 err >actual &&
		test_cmp expect actual &&
		grep '^hint: fix .\\.dc/rules\\.json.' err &&
		unchanged bad rules
	"
done <<-\EOF
"../outside.json" '../outside.json' is outside the repository
"/tmp/abs.json" '/tmp/abs.json' is outside the repository
"state/../../x.json" 'state/../../x.json' has a '..' component
"state\\x.json" 'state\\\\x.json' contains a backslash
"state/a\u0000b.json" 'state/a\x00b.json' contains a NUL byte
".GIT/config" '.GIT/config' has a component starting with '.git'
"state/.git/x.json" 'state/.git/x.json' has a component starting with '.git'
"state/./x.json" 'state/./x.json' has a '.' component
EOF

test_expect_success 'a delta directory outside the repository is refused' '
	rm -rf bad && git clone -q repo bad &&
	printf "{\"version\": 1, \"deltas\": \"../d\", \"sections\": {}}\n" | commit_raw bad .dc/rules.json &&
	snap bad deltas &&
	test_expect_code 1 git -C bad dc merge 2>err &&
	grep "^error: .\.dc/rules\.json.: rules: deltas: .\.\./d. is outside the repository$" err &&
	unchanged bad deltas
'

test_expect_success 'two sections writing one target with different ops are refused' '
	rm -rf bad && git clone -q repo bad &&
	cat <<-\EOF | commit_raw bad .dc/rules.json &&
	{"version": 1, "sections": {
	  "events": {"op": "append", "file": "state/events.json", "at": "/events"},
	  "more": {"op": "add", "file": "state/events.json", "at": "/events"}}}
	EOF
	dc_delta_json 2 s1 $UTC "\"more\": [{\"n\": 6}]" | commit_raw bad $D/frame-2-s1.json &&
	snap bad ops &&
	test_expect_code 1 git -C bad dc merge >out 2>err &&
	echo "error: '\''.dc/rules.json'\'': rules: sections '\''events'\'' and '\''more'\'' write the same target state/events.json/events with different ops (append, add)" >expect &&
	head -n 1 err >actual &&
	test_cmp expect actual &&
	unchanged bad ops
'

# ---- symbolic links, directories and submodules --------------------------

test_expect_success 'deltas that are symbolic links, a directory or a submodule are quarantined' '
	rm -rf links "$TRASH_DIRECTORY/outside" && git clone -q repo links &&
	git -C links config core.hooksPath /dev/null &&
	mkdir "$TRASH_DIRECTORY/outside" &&
	dc_delta_json 2 s9 $UTC "\"events\": [{\"secret\": 1}]" >"$TRASH_DIRECTORY/outside/frame-2-s2.json" &&
	ln -s "$TRASH_DIRECTORY/outside/frame-2-s2.json" links/$D/frame-2-s2.json &&
	ln -s frame-1-s1.json links/$D/frame-2-s3.json &&
	mkdir links/$D/frame-2-s4.json &&
	dc_delta_json 2 s4 $UTC "\"events\": [{\"n\": 7}]" >links/$D/frame-2-s4.json/x &&
	dc_delta_json 2 s1 $UTC "\"events\": [{\"n\": 8}]" >links/$D/frame-2-s1.json &&
	git -C links add $D &&
	git -C links update-index --add --cacheinfo 160000,$(git -C links rev-parse HEAD),$D/frame-2-s5.json &&
	test_tick &&
	git -C links commit -q --no-verify -m "hostile entries" &&
	git -C links dc merge >out &&
	cat >expect <<-\EOF &&
	quarantined state/stream_deltas/frame-2-s2.json: not a regular file: it is a symbolic link
	quarantined state/stream_deltas/frame-2-s3.json: not a regular file: it is a symbolic link
	quarantined state/stream_deltas/frame-2-s4.json: not a regular file: it is a directory
	quarantined state/stream_deltas/frame-2-s5.json: not a regular file: it is a submodule
	EOF
	grep "^quarantined" out >actual &&
	test_cmp expect actual &&
	grep "^Merged frame 2: 1 delta applied (0 late), 1 event, 4 deltas quarantined: " out &&
	git -C links show HEAD:state/events.json >events &&
	jq -c ".events" events >actual &&
	echo "[{\"n\":1},{\"n\":8}]" >expect &&
	test_cmp expect actual
'

test_expect_success 'a canonical file committed as a symbolic link is refused, nothing written' '
	rm -rf link2 "$TRASH_DIRECTORY/outside2" && git clone -q repo link2 &&
	mkdir "$TRASH_DIRECTORY/outside2" &&
	rm link2/state/events.json &&
	ln -s "$TRASH_DIRECTORY/outside2/events.json" link2/state/events.json &&
	git -C link2 add state/events.json &&
	dc_delta_json 2 s1 $UTC "\"events\": [{\"n\": 9}]" >link2/$D/frame-2-s1.json &&
	git -C link2 add $D &&
	test_tick &&
	git -C link2 commit -q --no-verify -m "a link for a canonical file" &&
	snap link2 link &&
	test_expect_code 1 git -C link2 dc merge >out 2>err &&
	# committed alone, the link makes a state no merge wrote: the merge
	# folds from genesis, and refuses to write over the link
	echo "error: '\''state/events.json'\'' is not a regular file" >expect &&
	test_cmp expect err &&
	unchanged link2 link &&
	test -z "$(ls -A "$TRASH_DIRECTORY/outside2")"
'

test_expect_success 'a directory of the work tree replaced by a symbolic link is never written through' '
	rm -rf link3 "$TRASH_DIRECTORY/outside3" && git clone -q repo link3 &&
	git -C link3 config core.hooksPath /dev/null &&
	dc_delta_json 2 s1 $UTC "\"events\": [{\"n\": 10}]" | commit_raw link3 $D/frame-2-s1.json &&
	mkdir "$TRASH_DIRECTORY/outside3" &&
	mv link3/state "$TRASH_DIRECTORY/outside3/state" &&
	ln -s "$TRASH_DIRECTORY/outside3/state" link3/state &&
	(cd "$TRASH_DIRECTORY/outside3" && find . -type f | LC_ALL=C sort | xargs cat) >outside.before &&
	test_expect_code 1 git -C link3 dc merge >out 2>err &&
	head -n 1 err >actual &&
	sed -n "s/^error: merged as [0-9a-f]*, but the work tree was not updated: //p" actual >msg &&
	echo "'\''state/events.json'\'' is beyond a symbolic link ('\''state'\'' is not a directory); it was left as it is" >expect &&
	test_cmp expect msg &&
	(cd "$TRASH_DIRECTORY/outside3" && find . -type f | LC_ALL=C sort | xargs cat) >outside.after &&
	test_cmp outside.before outside.after &&
	test_expect_code 1 git -C link3 dc merge 2>err2 &&
	grep "^error: cannot finish the interrupted merge: .state/events.json. is beyond a symbolic link" err2 &&
	rm link3/state &&
	git -C link3 checkout HEAD -- state &&
	git -C link3 dc merge >out3 &&
	grep "^Nothing to merge" out3 &&
	git -C link3 status --porcelain >status &&
	test_must_be_empty status
'

# ---- size and depth -----------------------------------------------------------

test_expect_success 'a 1 GB delta (a sparse file) is refused quickly' '
	truncate -s 1G big.json &&
	snap repo big &&
	test_expect_code 1 git -C repo dc delta --frame 2 --stream s1 --utc $UTC ../big.json >out 2>err &&
	cat >expect <<-\EOF &&
	error: invalid delta: more than 16777216 bytes (max_delta_bytes of '\''.dc/rules.json'\'')
	hint: split its events over several deltas, or raise max_delta_bytes in '\''.dc/rules.json'\''
	EOF
	test_cmp expect err &&
	unchanged repo big
'

test_expect_success TIME 'a 1 GB delta read from a pipe is refused with bounded memory' '
	snap repo pipe &&
	{ head -c 1073741824 /dev/zero 2>/dev/null || :; } |
	test_expect_code 1 max_rss_kb rss git -C repo dc delta --frame 2 --stream s1 --utc $UTC - \
		>out 2>err &&
	grep "^error: invalid delta: more than 16777216 bytes" err &&
	test $(tail -n 1 rss) -lt 200000 &&
	unchanged repo pipe
'

test_expect_success 'a committed delta over max_delta_bytes is quarantined, its frame merged' '
	rm -rf bigrepo && git clone -q repo bigrepo &&
	git -C bigrepo config core.hooksPath /dev/null &&
	sed "s/\"version\": 1,/\"version\": 1, \"max_delta_bytes\": 4096,/" repo/.dc/rules.json |
		commit_raw bigrepo .dc/rules.json &&
	oid=$(head -c 67108864 /dev/zero | git -C bigrepo hash-object -w --stdin) &&
	git -C bigrepo update-index --add --cacheinfo 100644,$oid,$D/frame-2-big.json &&
	dc_delta_json 2 s1 $UTC "\"events\": [{\"n\": 11}]" | commit_raw bigrepo $D/frame-2-s1.json &&
	git -C bigrepo dc merge >out &&
	grep "^quarantined state/stream_deltas/frame-2-big.json: 67108864 bytes is over max_delta_bytes (4096)$" out &&
	grep "^Merged frame 2: 1 delta applied" out
'

test_expect_success TIME 'merging a big delta blob does not read it into memory' '
	rm -rf bigrepo2 && cp -R bigrepo bigrepo2 &&
	git -C bigrepo2 reset -q --hard HEAD~1 &&
	max_rss_kb rss git -C bigrepo2 dc merge >out &&
	grep "^quarantined state/stream_deltas/frame-2-big.json" out &&
	test $(tail -n 1 rss) -lt 60000
'

test_expect_success '100,000-deep nesting is refused by git dc delta and quarantined in a merge' '
	{
		printf "{\"events\": [" &&
		printf "%100000s" "" | tr " " "[" &&
		printf "%100000s" "" | tr " " "]" &&
		printf "]}"
	} >deep.json &&
	snap repo deep &&
	test_expect_code 1 git -C repo dc delta --frame 2 --stream s1 --utc $UTC ../deep.json 2>err &&
	grep "^error: invalid delta: invalid JSON: line 1, column 523: nesting deeper than 512 levels$" err &&
	unchanged repo deep &&
	rm -rf deeprepo && git clone -q repo deeprepo &&
	git -C deeprepo config core.hooksPath /dev/null &&
	{
		printf "{\"frame\": 2, \"stream_id\": \"s2\", \"utc\": \"%s\", " $UTC &&
		tail -c +2 deep.json
	} | commit_raw deeprepo $D/frame-2-s2.json &&
	git -C deeprepo dc merge >out &&
	grep "^quarantined state/stream_deltas/frame-2-s2.json: invalid JSON: line 1, column 5[0-9][0-9]: nesting deeper than 512 levels$" out
'

test_expect_success 'a valid delta near the depth limit never makes the state unreadable' '
	rm -rf deepbook && mkdir deepbook &&
	dc_repo deepbook/repo rappterbook &&
	git -C deepbook/repo config core.hooksPath /dev/null &&
	{
		printf "{\"frame\": 1, \"stream_id\": \"s1\", \"utc\": \"%s\", \"posts_created\": [" $UTC &&
		printf "{\"number\": 1, \"title\": \"[CHAPTER] Chapter 1: a\", \"book\": \"B\", \"deep\": " &&
		printf "%508s" "" | tr " " "[" && printf "%508s" "" | tr " " "]" &&
		printf "}]}"
	} | commit_raw deepbook/repo $D/frame-1-s1.json &&
	git -C deepbook/repo dc merge >out &&
	grep "^Merged frame 1: 1 delta applied" out &&
	dc_delta_json 2 s1 $UTC "\"posts_created\": [{\"number\": 2, \"title\": \"[CHAPTER] Chapter 2: b\", \"book\": \"B\"}]" |
		commit_raw deepbook/repo $D/frame-2-s1.json &&
	git -C deepbook/repo dc merge >out &&
	grep "^Merged frame 2: 1 delta applied" out
'

# ---- numbers, text, keys ------------------------------------------------------

test_expect_success 'numbers beyond int64 and double precision are kept verbatim' '
	rm -rf num && git clone -q repo num &&
	git -C num config core.hooksPath /dev/null &&
	dc_delta_json 2 s1 $UTC "\"events\": [{\"big\": 123456789012345678901234567890, \"huge\": 1e400, \"tiny\": -4.9e-400, \"exact\": 0.1000000000000000055511151231257827, \"neg\": -9223372036854775809, \"e\": 1E+2}]" |
		commit_raw num $D/frame-2-s1.json &&
	git -C num dc merge -q &&
	jq -c ".events[1]" num/state/events.json >/dev/null &&
	grep "^      \"big\": 123456789012345678901234567890,\$" num/state/events.json &&
	grep "^      \"huge\": 1e400,\$" num/state/events.json &&
	grep "^      \"tiny\": -4.9e-400,\$" num/state/events.json &&
	grep "^      \"exact\": 0.1000000000000000055511151231257827,\$" num/state/events.json &&
	grep "^      \"neg\": -9223372036854775809,\$" num/state/events.json &&
	grep "^      \"e\": 1E+2\$" num/state/events.json
'

test_expect_success 'frames beyond 2^53 or written as floats are quarantined' '
	rm -rf frames && git clone -q repo frames &&
	git -C frames config core.hooksPath /dev/null &&
	printf "{\"frame\": 9007199254740993, \"stream_id\": \"s1\", \"utc\": \"%s\"}\n" $UTC |
		commit_raw frames $D/frame-9007199254740993-s1.json &&
	printf "{\"frame\": 2.0, \"stream_id\": \"s2\", \"utc\": \"%s\"}\n" $UTC |
		commit_raw frames $D/frame-2-s2.json &&
	git -C frames dc merge >out &&
	grep "^quarantined state/stream_deltas/frame-9007199254740993-s1.json: frame .9007199254740993. is too large (frames are < 2^53)$" out &&
	grep "^quarantined state/stream_deltas/frame-2-s2.json: .frame. is a number, expected an integer$" out
'

test_expect_success 'a frame of 2^53 given on the command line is refused, nothing changed' '
	rm -rf big && git clone -q frames big &&
	git -C big config core.hooksPath /dev/null &&
	git -C big rev-parse HEAD >head.before &&
	for cmd in "merge --frame" "replay --out ../o --to" "archive --before" "log --frame" \
		"verify --from"
	do
		test_expect_code 129 git -C big dc $cmd 9007199254740992 >out 2>err &&
		grep "^error: --[a-z]* 9007199254740992 is too large (frames are < 2^53)\$" err &&
		grep "^usage: git dc ${cmd%% *} " err || return 1
	done &&
	git -C big rev-parse HEAD >head.after &&
	test_cmp head.before head.after &&
	! test -e o &&
	git -C big dc merge --frame 9007199254740991 >out &&
	grep "^Nothing to merge: frame 1 is up to date\$" out
'

while read -r name bytes why
do
	test_expect_success "a delta with $name is refused and quarantined" "
		printf '{\"events\": [{\"a\": \"$bytes\"}]}' >bad.json &&
		snap repo '$name' &&
		test_expect_code 1 git -C repo dc delta --frame 2 --stream s1 --utc $UTC ../bad.json 2>err &&
		grep '^error: invalid delta: invalid JSON: .*$why' err &&
		unchanged repo '$name' &&
		rm -rf enc && git clone -q repo enc &&
		git -C enc config core.hooksPath /dev/null &&
		printf '{\"frame\": 2, \"stream_id\": \"s1\", \"utc\": \"$UTC\", \"events\": [{\"a\": \"$bytes\"}]}' |
			commit_raw enc $D/frame-2-s1.json &&
		git -C enc dc merge >out &&
		grep '^quarantined state/stream_deltas/frame-2-s1.json: invalid JSON: .*$why' out &&
		git -C enc show HEAD:state/events.json >events.after &&
		test_cmp events.before events.after
	"
done <<-\EOF
invalid-UTF-8 \377 invalid UTF-8$
an-overlong-NUL \300\200 invalid UTF-8$
an-overlong-slash \340\200\257 invalid UTF-8$
a-UTF-16-surrogate \355\240\200 invalid UTF-8$
a-code-point-above-U+10FFFF \364\220\200\200 invalid UTF-8$
an-unpaired-escaped-surrogate \\ud800 unpaired surrogate
EOF

test_expect_success 'duplicate keys are refused and quarantined' '
	printf "{\"events\": [{\"n\": 1, \"n\": 2}]}" >dup.json &&
	snap repo dup &&
	test_expect_code 1 git -C repo dc delta --frame 2 --stream s1 --utc $UTC ../dup.json 2>err &&
	grep "^error: invalid delta: invalid JSON: line 1, column [0-9]*: duplicate key .n.$" err &&
	unchanged repo dup &&
	rm -rf dup && git clone -q repo dup &&
	git -C dup config core.hooksPath /dev/null &&
	printf "{\"frame\": 2, \"stream_id\": \"s1\", \"utc\": \"%s\", \"frame\": 3}" $UTC |
		commit_raw dup $D/frame-2-s1.json &&
	git -C dup dc merge >out &&
	grep "^quarantined state/stream_deltas/frame-2-s1.json: invalid JSON: line 1, column [0-9]*: duplicate key .frame.$" out
'

test_expect_success 'section names holding NUL or escape bytes are reported escaped, never applied' '
	rm -rf names && git clone -q repo names &&
	git -C names config core.hooksPath /dev/null &&
	printf "{\"frame\": 2, \"stream_id\": \"s1\", \"utc\": \"%s\", \"x\\\\u001b[2J\": [1], \"events\\\\u0000x\": [{\"n\": 12}], \"events\": [{\"n\": 13}]}" $UTC |
		commit_raw names $D/frame-2-s1.json &&
	git -C names dc merge >out &&
	grep "^unknown     state/stream_deltas/frame-2-s1.json: unknown section .x\\\\x1b\[2J., .events\\\\x00x.: not applied$" out &&
	! grep "$(printf "\033")" out &&
	git -C names dc log --frame 2 >log &&
	grep "^    events\\\\x00x: 1 event (unknown section, not applied)$" log &&
	grep "^    x\\\\x1b\[2J: 1 event (unknown section, not applied)$" log &&
	grep "^    events: 1 event$" log &&
	! grep "$(printf "\033")" log &&
	jq -c ".events" names/state/events.json >actual &&
	echo "[{\"n\":1},{\"n\":13}]" >expect &&
	test_cmp expect actual
'

test_expect_success 'delta paths holding escape bytes are printed quoted' '
	rm -rf esc && git clone -q repo esc &&
	git -C esc config core.hooksPath /dev/null &&
	echo "{}" | commit_raw esc "$D/frame-2-$(printf "\033")[2J.json" &&
	git -C esc dc merge >out &&
	git -C esc dc status >>out &&
	! grep "$(printf "\033")" out
'

# ---- a repository another user owns (git's safe.directory) --------------------

test_expect_success ROOT 'a repository owned by another user is refused with the safe.directory hint' '
	rm -rf owned && git clone -q repo owned &&
	dc_delta_json 2 s1 $UTC "\"events\": [{\"n\": 14}]" >owned-in.json &&
	cp owned-in.json owned/$D/frame-2-s1.json &&
	git -C owned add $D && test_tick && git -C owned commit -q --no-verify -m "a delta" &&
	snap owned owned &&
	chown -R nobody owned &&
	test_when_finished "chown -R root owned" &&
	for cmd in "merge" "status" "delta --frame 3 --stream s1 --utc $UTC ../owned-in.json"
	do
		test_expect_code 128 git -C owned dc $cmd >out 2>err &&
		test_must_be_empty out &&
		cat >expect <<-EOF &&
		fatal: detected dubious ownership in repository at '\''$TRASH_DIRECTORY/owned'\'': it is owned by another user (uid $(id -u nobody)); nothing was changed
		hint: if you trust it: git config --global --add safe.directory '\''$TRASH_DIRECTORY/owned'\''
		EOF
		test_cmp expect err || return 1
	done &&
	chown -R root owned &&
	unchanged owned owned
'

test_expect_success 'check --index refuses a staged delta whose object is missing' '
	git clone -q repo missing &&
	git -C missing config core.hooksPath /dev/null &&
	mkdir -p missing/$D &&
	dc_delta_json 2 s2 $UTC "\"events\": [{\"n\": 2}]" >missing/$D/frame-2-s2.json &&
	git -C missing add $D/frame-2-s2.json &&
	id=$(git -C missing rev-parse :$D/frame-2-s2.json) &&
	rm -f missing/.git/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-) &&
	test_expect_code 128 git -C missing dc check --index 2>err &&
	grep "frame-2-s2.json" err
'

test_done
