#!/bin/sh
test_description='git dc --json: every document against its schema

Every command of `git dc -h` runs with --json where it succeeds and where it
fails, and each document is validated against the command'"'"'s JSON Schema in
Documentation/schemas (dc-json(7)). A failure document says what stderr
says: the exit status, the message of the error: or fatal: line and the
hint: lines. The validator is shown to refuse a wrong type, a missing
member, an unknown member and a second document.'
. "$(dirname "$0")/lib-dc.sh"

SCHEMAS=$DC_SOURCE_DIR/Documentation/schemas
VALIDATE=$SHARNESS_TEST_DIRECTORY/lib-json-schema.py
UTC=2026-03-28T03:00:00Z
D=state/stream_deltas
SQ="'"

# Debian's python3-jsonschema (contrib/ensure-deps installs it)
PYTHON=
for py in /usr/bin/python3 python3
do
	if "$py" -c "import jsonschema" 2>/dev/null
	then
		PYTHON=$py
		break
	fi
done
if test -z "$PYTHON"
then
	skip_all='python3-jsonschema is not installed (contrib/ensure-deps)'
	test_done
fi

# "nowhere" is outside any repository: git must not find the one the
# trash directory sits in (the source tree), or the failures below would
# run there
GIT_CEILING_DIRECTORIES=$TRASH_DIRECTORY
export GIT_CEILING_DIRECTORIES
mkdir nowhere
if git -C nowhere rev-parse --git-dir >/dev/null 2>&1 ||
   ! test_expect_code 128 git -C nowhere dc status >/dev/null 2>&1
then
	error "'nowhere' is inside a repository"
fi

# valid <command> <document file>: the schema of <command> accepts it
valid () {
	"$PYTHON" "$VALIDATE" "$SCHEMAS/$1.schema.json" "$2"
}

# ok <name> <dir> <command> [<arg>...]: `git dc <command> <arg>... --json`
# in <dir> exits 0 with one document the schema accepts, in <name>.json.
ok () {
	name=$1 dir=$2 cmd=$3
	shift 3
	git -C "$dir" dc $cmd "$@" --json >"$TRASH_DIRECTORY/$name.json" \
		2>"$TRASH_DIRECTORY/$name.err" &&
	valid $cmd "$TRASH_DIRECTORY/$name.json" &&
	jq -e --arg c $cmd ".command == \$c" "$TRASH_DIRECTORY/$name.json" >/dev/null &&
	touch "$TRASH_DIRECTORY/.ok-$cmd"
}

# fails <code> <name> <dir> <command> [<arg>...]: it exits <code> with an
# error document the schema accepts, whose exit_code is <code>, whose
# message is the error: (or fatal:) line of stderr and whose hint is the
# hint: lines of stderr (null when there is none).
fails () {
	code=$1 name=$2 dir=$3 cmd=$4
	shift 4
	out=$TRASH_DIRECTORY/$name
	test_expect_code $code git -C "$dir" dc $cmd "$@" --json >"$out.json" 2>"$out.err" &&
	valid $cmd "$out.json" &&
	jq -e --arg c $cmd --argjson x $code ".command == \$c and .error.exit_code == \$x" \
		"$out.json" >/dev/null &&
	grep -E "^(error|fatal): " "$out.err" | sed -n "1s/^[a-z]*: //p" >"$out.msg" &&
	jq -r .error.message "$out.json" >"$out.msg-json" &&
	test_cmp "$out.msg" "$out.msg-json" &&
	sed -n "s/^hint: //p" "$out.err" >"$out.hint" &&
	jq -r ".error.hint // empty" "$out.json" >"$out.hint-json" &&
	test_cmp "$out.hint" "$out.hint-json" &&
	touch "$TRASH_DIRECTORY/.fails-$cmd"
}

# hinted <code> <name> <dir> <command> [<arg>...]: fails, with a hint
hinted () {
	fails "$@" &&
	test -s "$TRASH_DIRECTORY/$2.hint"
}

test_expect_success 'setup: a shared bare repository, a primary, a worker' '
	git init -q --bare -b main shared.git &&
	git init -q -b main primary &&
	git -C primary remote add origin ../shared.git &&
	test_tick &&
	ok init primary init --preset rappterbook &&
	git -C primary push -q origin main &&
	git clone -q shared.git worker &&
	git -C worker config dc.stream w1 &&
	git init -q -b main plain &&
	(cd plain && test_commit first)
'

test_expect_success 'init: --no-hooks, --server, and again' '
	git init -q -b main nohooks &&
	test_tick &&
	ok init-nohooks nohooks init --no-hooks &&
	jq -e ".hooks.dir == null and .committed" init-nohooks.json &&
	ok init-server shared.git init --server &&
	ok init-again primary init &&
	jq -e ".committed == false and .commit == null" init-again.json
'

test_expect_success 'init: failures' '
	hinted 1 init-server-err primary init --server &&
	fails 129 init-preset nohooks init --preset nope --force &&
	hinted 128 init-nowhere nowhere init
'

test_expect_success 'delta: committed, already committed, refused, usage' '
	echo "{\"profile_updates\": [{\"agent\": \"ada\", \"field\": \"bio\", \"value\": \"writer\"}]}" >d1.json &&
	test_tick &&
	ok delta primary delta --frame 1 --stream s1 --utc $UTC ../d1.json &&
	ok delta-again primary delta --frame 1 --stream s1 --utc $UTC ../d1.json &&
	jq -e ".committed == false and .commit == null" delta-again.json &&
	dc_delta_json 1 s1 >frame1.json &&
	hinted 1 delta-frame primary delta --frame 2 ../frame1.json &&
	hinted 129 delta-utc primary delta --stream s1 --utc 2026-03-28T03:00:00+00:00 ../d1.json &&
	echo "[]" >list.json &&
	hinted 1 delta-list primary delta --stream s1 ../list.json
'

test_expect_success 'merge, status, log: before and after a merge' '
	ok status-before primary status &&
	jq -e ".frame == null and (.pending | length) == 1" status-before.json &&
	ok merge-dry primary merge --dry-run &&
	jq -e ".dry_run and .commit == null" merge-dry.json &&
	test_tick &&
	ok merge primary merge &&
	jq -e ".frame == 1 and (.commit | length) == 40" merge.json &&
	ok merge-nothing primary merge &&
	echo "{\"profile_updates\": [{\"agent\": \"ada\", \"field\": \"bio\", \"value\": \"poet\"}], \"zzz\": [1]}" >d2.json &&
	test_tick &&
	git -C primary dc delta -q --frame 2 --stream s2 --utc 2026-03-28T03:10:00Z ../d2.json &&
	git -C primary dc delta -q --frame 3 --stream s2 --utc 2026-03-28T03:20:00Z ../d2.json &&
	test_tick &&
	ok merge-2 primary merge --frame 2 &&
	jq -e "(.unknown_sections | length) == 1 and any(.pending[]; .frame == 3)" merge-2.json &&
	ok log primary log --events &&
	ok log-frame primary log --frame 2 --stream s2
'

test_expect_success 'merge, status, log: a quarantined delta and a copy' '
	git clone -q primary quar &&
	git -C quar dc init -q &&
	echo "{\"frame\": \"2\", \"stream_id\": \"s3\", \"utc\": \"$UTC\"}" >quar/$D/frame-2-s3.json &&
	mkdir quar/$D/frame-1 &&
	cp quar/$D/frame-1-s1.json quar/$D/frame-1/s1.json &&
	(cd quar && dc_commit_file $D "by hand: a bad delta and a copy") &&
	ok status-quar quar status &&
	jq -e "(.quarantined | length) == 1 and any(.pending[]; .frame == 3)" status-quar.json &&
	test_tick &&
	ok merge-quar quar merge &&
	jq -e "(.quarantined | length) == 1 and .frame == 3" merge-quar.json &&
	ok log-quar quar log &&
	jq -e "(.quarantined | length) == 1 and (.copies | length) == 1" log-quar.json
'

test_expect_success 'merge, status, log: failures' '
	hinted 1 merge-plain plain merge &&
	hinted 1 status-plain plain status &&
	hinted 128 status-nowhere nowhere status &&
	hinted 129 log-rev primary log no-such-rev &&
	hinted 1 log-plain plain log
'

test_expect_success 'replay, diff, blame, verify, check, doctor' '
	ok replay-file primary replay --to 1 state/agents.json &&
	ok replay-out primary replay --out ../out &&
	ok diff primary diff 0 2 &&
	jq -e "[.files[].changes[].kind] | index(\"added\") != null" diff.json &&
	ok diff-same primary diff 2 2 &&
	ok blame primary blame state/agents.json /agents/ada/bio &&
	jq -e ".by.kind == \"delta\" and (.beat | length) == 1" blame.json &&
	ok blame-all primary blame --all state/agents.json /agents/ada/bio &&
	jq -e ".history[0].by.kind == \"genesis\" and .history[0].present == false" blame-all.json &&
	ok blame-count primary blame state/stats.json /total_posts &&
	jq -e ".by.kind == \"count\"" blame-count.json &&
	ok verify primary verify &&
	ok verify-tip primary verify --tip &&
	ok check primary check HEAD~4 HEAD &&
	ok check-index primary check --index &&
	ok doctor primary doctor &&
	ok version primary version
'

test_expect_success 'replay, diff, blame, verify, check, doctor: failures' '
	hinted 1 replay-absent primary replay --to 0 state/reactions.json &&
	hinted 1 replay-not primary replay .gitattributes &&
	hinted 1 diff-plain plain diff 1 2 &&
	hinted 1 blame-not primary blame .gitattributes /x &&
	hinted 1 blame-nothing primary blame state/agents.json /agents/nobody &&
	hinted 129 blame-pointer primary blame state/agents.json agents &&
	hinted 1 verify-from primary verify --from 99 &&
	hinted 129 verify-rev primary verify no-such-rev &&
	hinted 129 check-rev primary check no-such-rev &&
	hinted 128 doctor-nowhere nowhere doctor
'

test_expect_success 'check, verify and doctor find problems: exit 1, ok false, no error' '
	git clone -q primary tampered &&
	(
		cd tampered &&
		git dc init -q &&
		sed "s/poet/hacked/" state/agents.json >tmp && mv tmp state/agents.json &&
		dc_commit_file state/agents.json "an edit by hand" &&
		rm .git/hooks/pre-push
	) &&
	test_expect_code 1 git -C tampered dc check --json >check-bad.json &&
	valid check check-bad.json &&
	jq -e ".ok == false and .commits[0].problems[0].rule == \"canonical-edit\"" check-bad.json &&
	test_expect_code 1 git -C tampered dc verify --json >verify-bad.json 2>verify-bad.err &&
	valid verify verify-bad.json &&
	jq -e ".ok == false and .problems[0].pointer == \"/agents/ada/bio\" and
		.problems[0].committed == \"hacked\"" verify-bad.json &&
	test_expect_code 1 git -C tampered dc doctor --json >doctor-bad.json &&
	valid doctor doctor-bad.json &&
	jq -e ".ok == false and .problems[0].check == \"hook-missing\"" doctor-bad.json
'

test_expect_success 'worktree, push, sync and merge --fetch --push' '
	git -C primary push -q origin main &&
	ok wt-add primary worktree add s4 ../wt-s4 &&
	echo "{\"observations\": [{\"note\": \"n\"}]}" >d4.json &&
	test_tick &&
	git -C wt-s4 dc delta -q --frame 4 --utc 2026-03-28T03:30:00Z ../d4.json &&
	fails 1 wt-remove-unpushed primary worktree remove s4 &&
	jq -e ".removed == false and (.unpushed | length) == 1" wt-remove-unpushed.json &&
	ok push wt-s4 push &&
	jq -e ".old == null and (.deltas | length) == 1" push.json &&
	ok push-again wt-s4 push &&
	jq -e ".up_to_date" push-again.json &&
	ok sync wt-s4 sync &&
	test_tick &&
	ok merge-fetch primary merge --fetch --push &&
	jq -e ".pushed and (.streams | length) == 1" merge-fetch.json &&
	ok merge-streams shared.git merge --streams &&
	ok wt-remove primary worktree remove s4 &&
	ok wt-prune primary worktree prune --dry-run
'

test_expect_success 'worktree, push, sync: failures' '
	hinted 129 wt-add-bad primary worktree add "../x" &&
	hinted 1 wt-remove-none primary worktree remove s7 &&
	hinted 128 wt-prune-nowhere nowhere worktree prune &&
	hinted 1 push-nostream primary push &&
	hinted 1 sync-noupstream nohooks sync &&
	hinted 128 sync-nowhere nowhere sync
'

test_expect_success 'archive' '
	test_tick &&
	ok archive primary archive --before 2 --dry-run &&
	jq -e ".dry_run and .commit == null" archive.json &&
	hinted 1 archive-plain plain archive --before 2
'

test_expect_success 'uninstall' '
	ok uninstall primary uninstall &&
	ok uninstall-again primary uninstall &&
	jq -e ".recorded == false" uninstall-again.json &&
	hinted 128 uninstall-nowhere nowhere uninstall
'

test_expect_success 'every command of git dc -h was validated, in success and failure' '
	test_expect_code 129 git dc -h >help &&
	sed -n "s/^   \([a-z][a-z0-9-]*\) .*/\1/p" help >commands &&
	test -s commands &&
	while read cmd
	do
		test -f "$SCHEMAS/$cmd.schema.json" &&
		test -f .ok-$cmd &&
		{ test -f .fails-$cmd || test $cmd = version; } || {
			echo >&2 "not covered: $cmd"
			return 1
		}
	done <commands
'

test_expect_success 'at least ten distinct errors carry a hint, in stderr and in the document' '
	cat *.hint | sort -u >hints &&
	test $(wc -l <hints) -ge 10
'

test_expect_success 'the validator refuses a wrong type' '
	jq ".frame = \"1\"" merge.json >bad-type.json &&
	test_expect_code 1 valid merge bad-type.json 2>err &&
	grep "/frame: .1. is not of type .integer." err
'

test_expect_success 'the validator refuses a missing member' '
	jq "del(.commit)" merge.json >bad-missing.json &&
	test_expect_code 1 valid merge bad-missing.json 2>err &&
	grep "${SQ}commit${SQ} is a required property" err
'

test_expect_success 'the validator refuses an unknown member, and a wrong one nested' '
	jq ".bogus = 1" status-quar.json >bad-extra.json &&
	test_expect_code 1 valid status bad-extra.json 2>err &&
	grep "bogus" err &&
	jq ".applied[0].utc = \"2026-03-28 03:00:00\"" merge.json >bad-utc.json &&
	test_expect_code 1 valid merge bad-utc.json &&
	jq ".error.exit_code = 128" merge-plain.json >bad-code.json &&
	test_expect_code 1 valid merge bad-code.json &&
	jq ".command = \"status\"" merge-plain.json >bad-command.json &&
	test_expect_code 1 valid merge bad-command.json
'

test_expect_success 'the validator refuses two documents and duplicate members' '
	cat version.json version.json >two.json &&
	test_expect_code 1 valid version two.json &&
	printf "{\"version\": 1, \"version\": 1}" >dup.json &&
	test_expect_code 1 valid version dup.json 2>err &&
	grep "duplicate member" err
'

test_done
