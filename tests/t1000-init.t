#!/bin/sh
test_description='git dc init: the genesis commit, presets, hand-written rules, .gitattributes'
. "$(dirname "$0")/lib-dc.sh"

# Scratch files (out, err, expect, ...) live in the trash directory, never in
# the repositories under test, so that dc_snapshot sees only what git dc did.

# What the minimal preset writes, byte for byte, and its .gitattributes block.
cat >minimal.rules <<\EOF
{
  "version": 1,
  "deltas": "state/stream_deltas",
  "layout": "flat",
  "utc": [
    "utc"
  ],
  "sections": {
    "events": {
      "op": "append",
      "file": "state/events.json",
      "at": "/events"
    }
  },
  "derived": []
}
EOF

cat >minimal.attributes <<\EOF
# git-dc: begin (written by 'git dc init'; edit the rules instead)
/.dc/head.json merge=dc
/state/events.json merge=dc
/state/stream_deltas/** merge=dc
# git-dc: end
EOF

cat >rappterbook.attributes <<\EOF
# git-dc: begin (written by 'git dc init'; edit the rules instead)
/.dc/head.json merge=dc
/state/agents.json merge=dc
/state/book_catalog.json merge=dc
/state/channels.json merge=dc
/state/observations.json merge=dc
/state/posted_log.json merge=dc
/state/reactions.json merge=dc
/state/stats.json merge=dc
/state/votes.json merge=dc
/state/stream_deltas/** merge=dc
# git-dc: end
EOF

# The commit message of an init, after its subject line.
genesis_body='This commit is the genesis of the dc state: the canonical files
as they stand here are what every merge folds deltas into.'

# init_repo <dir>: a repository with one ordinary commit, not a dc repository.
init_repo () {
	git init -q "$1" &&
	(
		cd "$1" &&
		test_commit first README "not yet a dc repository"
	)
}

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

test_expect_success 'init on a repository with a first commit writes the minimal preset' '
	init_repo one &&
	first=$(git -C one rev-parse HEAD) &&
	test_tick &&
	git -C one dc init >out 2>err &&
	test_must_be_empty err &&
	short=$(git -C one rev-parse --short=12 HEAD) &&
	echo "Initialized the dc repository in $short (preset minimal): .dc/rules.json, .gitattributes" >expect &&
	test_cmp expect out &&

	# one commit on main, on top of the first one
	test "$(git -C one rev-parse HEAD^)" = "$first" &&
	test "$(git -C one symbolic-ref HEAD)" = refs/heads/main &&
	git -C one cat-file -p HEAD >raw &&
	grep "^parent $first\$" raw &&
	test $(grep -c "^parent " raw) = 1 &&
	git -C one log -1 --format=%B HEAD >msg &&
	printf "dc: init with the preset minimal\n\n%s\n\n" "$genesis_body" >expect &&
	test_cmp expect msg &&

	# exactly the rules and the attributes, in the layouts expected
	git -C one show --stat=80 --format= HEAD >stat &&
	cat >expect <<-\EOF &&
	 .dc/rules.json | 16 ++++++++++++++++
	 .gitattributes |  5 +++++
	 2 files changed, 21 insertions(+)
	EOF
	test_cmp expect stat &&
	git -C one cat-file blob HEAD:.dc/rules.json >rules &&
	test_cmp minimal.rules rules &&
	git -C one cat-file blob HEAD:.gitattributes >attrs &&
	test_cmp minimal.attributes attrs &&
	git -C one ls-tree HEAD .dc/rules.json .gitattributes >tree &&
	sed -n "s/^\(100644 blob\) [0-9a-f]*	/\1 /p" tree >actual &&
	printf "100644 blob %s\n" .dc/rules.json .gitattributes >expect &&
	test_cmp expect actual &&

	# the work tree and the index hold the same: nothing left to commit
	test_cmp rules one/.dc/rules.json &&
	test_cmp attrs one/.gitattributes &&
	tracked_clean one
'

test_expect_success 'the rules are in the canonical layout (the layout of jq .)' '
	jq --indent 2 . one/.dc/rules.json >relaid &&
	test_cmp one/.dc/rules.json relaid
'

test_expect_success 'the attributes make git use the dc driver for the state and the deltas' '
	git -C one check-attr merge -- .dc/head.json state/events.json \
		state/stream_deltas/frame-1-s.json README >actual &&
	cat >expect <<-\EOF &&
	.dc/head.json: merge: dc
	state/events.json: merge: dc
	state/stream_deltas/frame-1-s.json: merge: dc
	README: merge: unspecified
	EOF
	test_cmp expect actual
'

test_expect_success 'a second init changes nothing: "Already a dc repository", no commit' '
	snap one again &&
	test_tick &&
	git -C one dc init >out 2>err &&
	test_must_be_empty err &&
	echo "Already a dc repository: nothing to do" >expect &&
	test_cmp expect out &&
	unchanged one again &&
	git -C one rev-list --count HEAD >count &&
	echo 2 >expect &&
	test_cmp expect count
'

test_expect_success 'init --preset with that preset already there is a no-op too' '
	snap one same &&
	git -C one dc init --preset minimal >out 2>err &&
	test_must_be_empty err &&
	echo "Already a dc repository: nothing to do" >expect &&
	test_cmp expect out &&
	unchanged one same
'

test_expect_success 'init --json prints one JSON document with "version"' '
	snap one json &&
	git -C one dc init --json >out 2>err &&
	test_must_be_empty err &&
	test "$(jq -s length out)" = 1 &&
	jq -e ".version == 1 and .command == \"init\" and .committed == false and
		.commit == null and .preset == null and .rules_written == false and
		.attributes_written == false" out &&
	unchanged one json
'

test_expect_success 'init --json on a new repository reports the commit' '
	init_repo json &&
	test_tick &&
	git -C json dc init --json >out 2>err &&
	test_must_be_empty err &&
	test "$(jq -s length out)" = 1 &&
	jq -e ".version == 1 and .command == \"init\" and .committed == true and
		.preset == \"minimal\" and .rules_written == true and
		.attributes_written == true" out &&
	test "$(jq -r .commit out)" = "$(git -C json rev-parse HEAD)"
'

test_expect_success 'init on an empty repository makes a root commit on the unborn branch' '
	git init -q empty &&
	test_tick &&
	git -C empty dc init >out 2>err &&
	test_must_be_empty err &&
	short=$(git -C empty rev-parse --short=12 HEAD) &&
	echo "Initialized the dc repository in $short (preset minimal): .dc/rules.json, .gitattributes" >expect &&
	test_cmp expect out &&
	git -C empty cat-file -p HEAD >raw &&
	! grep "^parent " raw &&
	test "$(git -C empty rev-list --count HEAD)" = 1 &&
	test "$(git -C empty symbolic-ref HEAD)" = refs/heads/main &&
	printf "%s\n" .dc/rules.json .gitattributes >expect &&
	git -C empty ls-tree -r --name-only HEAD >actual &&
	test_cmp expect actual &&
	git -C empty cat-file blob HEAD:.dc/rules.json >rules &&
	test_cmp minimal.rules rules &&
	test_cmp minimal.rules empty/.dc/rules.json &&
	test_cmp minimal.attributes empty/.gitattributes &&
	tracked_clean empty
'

test_expect_success 'init on an empty repository keeps staged files staged and out of the commit' '
	git init -q empty-staged &&
	echo staged >empty-staged/a.txt &&
	git -C empty-staged add a.txt &&
	test_tick &&
	git -C empty-staged dc init >/dev/null &&
	printf "%s\n" .dc/rules.json .gitattributes >expect &&
	git -C empty-staged ls-tree -r --name-only HEAD >actual &&
	test_cmp expect actual &&
	git -C empty-staged diff --cached --name-status >actual &&
	printf "A\ta.txt\n" >expect &&
	test_cmp expect actual &&
	echo staged >expect &&
	git -C empty-staged cat-file blob :a.txt >actual &&
	test_cmp expect actual
'

test_expect_success 'init --preset rappterbook writes its rules in the canonical layout' '
	init_repo rb &&
	test_tick &&
	git -C rb dc init --preset rappterbook >out 2>err &&
	test_must_be_empty err &&
	short=$(git -C rb rev-parse --short=12 HEAD) &&
	echo "Initialized the dc repository in $short (preset rappterbook): .dc/rules.json, .gitattributes" >expect &&
	test_cmp expect out &&
	git -C rb log -1 --format=%B >msg &&
	printf "dc: init with the preset rappterbook\n\n%s\n\n" "$genesis_body" >expect &&
	test_cmp expect msg &&
	printf "%s\n" .dc/rules.json .gitattributes >expect &&
	commit_paths rb HEAD >actual &&
	test_cmp expect actual &&
	git -C rb cat-file blob HEAD:.dc/rules.json >rules &&
	jq --indent 2 . rules >relaid &&
	test_cmp relaid rules &&
	jq -r ".sections | keys_unsorted | join(\" \")" rules >actual &&
	echo "posts_created comments_added reactions_added votes observations profile_updates books stream_type agents_activated discussions_engaged soul_files_updated" >expect &&
	test_cmp expect actual &&
	jq -c ".utc" rules >actual &&
	echo "[\"utc\",\"completed_at\",\"_meta.timestamp\"]" >expect &&
	test_cmp expect actual &&
	jq -c ".sections.posts_created" rules >actual &&
	echo "{\"op\":\"upsert\",\"file\":\"state/posted_log.json\",\"at\":\"/posts\",\"key\":[\"number\"]}" >expect &&
	test_cmp expect actual &&
	jq -c "[.derived[] | .at]" rules >actual &&
	echo "[\"/total_posts\",\"/total_comments\",\"/agents\",\"/channels\"]" >expect &&
	test_cmp expect actual &&
	git -C rb cat-file blob HEAD:.gitattributes >attrs &&
	test_cmp rappterbook.attributes attrs &&
	test_cmp rules rb/.dc/rules.json &&
	tracked_clean rb
'

test_expect_success 'init --preset other than the rules there is refused without --force' '
	snap one preset &&
	test_expect_code 1 git -C one dc init --preset rappterbook >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	error: '"'"'.dc/rules.json'"'"' already exists with other rules; nothing was changed
	hint: use --force to replace them with the '"'"'rappterbook'"'"' preset (the next merge folds again from genesis)
	EOF
	test_cmp expect err &&
	unchanged one preset
'

test_expect_success 'init --preset other than the rules there with --force replaces them' '
	before=$(git -C one rev-parse HEAD) &&
	test_tick &&
	git -C one dc init --preset rappterbook --force >out 2>err &&
	test_must_be_empty err &&
	short=$(git -C one rev-parse --short=12 HEAD) &&
	echo "Initialized the dc repository in $short (preset rappterbook): .dc/rules.json, .gitattributes" >expect &&
	test_cmp expect out &&
	test "$(git -C one rev-parse HEAD^)" = "$before" &&
	printf "%s\n" .dc/rules.json .gitattributes >expect &&
	commit_paths one HEAD >actual &&
	test_cmp expect actual &&
	git -C one cat-file blob HEAD:.dc/rules.json >rules &&
	test_cmp rb/.dc/rules.json rules &&
	git -C one cat-file blob HEAD:.gitattributes >attrs &&
	test_cmp rappterbook.attributes attrs &&
	test_cmp rules one/.dc/rules.json &&
	test_cmp attrs one/.gitattributes &&
	tracked_clean one
'

test_expect_success 'an unknown preset exits 129 listing the presets, nothing written' '
	init_repo unknown &&
	snap unknown unknown &&
	test_expect_code 129 git -C unknown dc init --preset nope >out 2>err &&
	test_must_be_empty out &&
	echo "error: unknown preset '"'"'nope'"'"' (available: rappterbook, minimal)" >expect &&
	test_cmp expect err &&
	unchanged unknown unknown
'

test_expect_success 'an unexpected argument exits 129 with the usage' '
	snap unknown arg &&
	test_expect_code 129 git -C unknown dc init minimal >out 2>err &&
	test_must_be_empty out &&
	grep "^error: unexpected argument '"'"'minimal'"'"'\$" err &&
	grep "^usage: git dc init \[--preset <name>\] \[--force\] \[-q | --quiet\] \[--json\]\$" err &&
	unchanged unknown arg
'

test_expect_success 'rules written by hand in the work tree are committed as they are' '
	init_repo hand &&
	mkdir hand/.dc &&
	printf "{\"version\": 1, \"layout\": \"by-frame\",\n \"sections\": {\"events\": {\"op\": \"append\", \"file\": \"state/ev.json\", \"at\": \"/events\"}}}\n" >hand.rules &&
	cp hand.rules hand/.dc/rules.json &&
	test_tick &&
	git -C hand dc init >out 2>err &&
	test_must_be_empty err &&
	short=$(git -C hand rev-parse --short=12 HEAD) &&
	echo "Initialized the dc repository in $short: .dc/rules.json, .gitattributes" >expect &&
	test_cmp expect out &&
	git -C hand log -1 --format=%B >msg &&
	printf "dc: init\n\n%s\n\n" "$genesis_body" >expect &&
	test_cmp expect msg &&
	printf "%s\n" .dc/rules.json .gitattributes >expect &&
	commit_paths hand HEAD >actual &&
	test_cmp expect actual &&
	git -C hand cat-file blob HEAD:.dc/rules.json >rules &&
	test_cmp hand.rules rules &&
	test_cmp hand.rules hand/.dc/rules.json &&
	cat >expect <<-\EOF &&
	# git-dc: begin (written by '"'"'git dc init'"'"'; edit the rules instead)
	/.dc/head.json merge=dc
	/state/ev.json merge=dc
	/state/stream_deltas/** merge=dc
	# git-dc: end
	EOF
	git -C hand cat-file blob HEAD:.gitattributes >attrs &&
	test_cmp expect attrs &&
	tracked_clean hand
'

test_expect_success 'hand-written rules other than --preset are refused without --force' '
	init_repo hand2 &&
	mkdir hand2/.dc &&
	printf "{\"version\": 1, \"sections\": {\"events\": {\"op\": \"append\", \"file\": \"state/ev.json\"}}}\n" >hand2/.dc/rules.json &&
	snap hand2 hand2 &&
	test_expect_code 1 git -C hand2 dc init --preset minimal >out 2>err &&
	test_must_be_empty out &&
	grep "^error: '"'"'.dc/rules.json'"'"' already exists with other rules; nothing was changed\$" err &&
	unchanged hand2 hand2
'

test_expect_success 'hand-written rules other than --preset are replaced with --force' '
	test_tick &&
	git -C hand2 dc init --preset minimal --force >out &&
	git -C hand2 cat-file blob HEAD:.dc/rules.json >rules &&
	test_cmp minimal.rules rules &&
	test_cmp minimal.rules hand2/.dc/rules.json &&
	tracked_clean hand2
'

# bad_rules <title> <rules text>: the expected message is in bad.expect.
cat >rules.hint <<\EOF
hint: fix '.dc/rules.json' (git-dc(1) FILES and dc-protocol(7) describe it), then run the command again
EOF
bad_rules () {
	test_expect_success "invalid hand-written rules are refused: $1" "
		test_when_finished 'rm -rf bad' &&
		init_repo bad &&
		mkdir bad/.dc &&
		printf '%s' '$2' >bad/.dc/rules.json &&
		snap bad bad &&
		test_expect_code 1 git -C bad dc init >out 2>err &&
		test_must_be_empty out &&
		sed 's/^/error: /' bad.expect >expect &&
		cat rules.hint >>expect &&
		test_cmp expect err &&
		unchanged bad bad &&
		test_must_fail git -C bad cat-file -e HEAD:.gitattributes
	"
}

echo "'.dc/rules.json': rules: sections.events: unknown member 'bogus'" >bad.expect
bad_rules 'an unknown member of a section' \
	'{"version": 1, "sections": {"events": {"op": "append", "file": "state/ev.json", "bogus": 1}}}'

echo "'.dc/rules.json': rules: unknown member 'oops'" >bad.expect
bad_rules 'an unknown top-level member' \
	'{"version": 1, "sections": {"events": {"op": "append", "file": "state/ev.json"}}, "oops": 2}'

echo "'.dc/rules.json': rules: sections.events.op: unknown op 'frob' (expected append, add, upsert, set, collect, ignore)" >bad.expect
bad_rules 'an unknown op' \
	'{"version": 1, "sections": {"events": {"op": "frob", "file": "state/ev.json"}}}'

echo "'.dc/rules.json': rules: sections.events.file: '../x.json' is outside the repository" >bad.expect
bad_rules 'a target outside the repository' \
	'{"version": 1, "sections": {"events": {"op": "append", "file": "../x.json"}}}'

echo "'.dc/rules.json': rules: line 1, column 15: unexpected end of input" >bad.expect
bad_rules 'truncated JSON' '{"version": 1,'

test_expect_success 'other staged changes stay staged and out of the init commit' '
	init_repo staged &&
	echo staged >staged/other.txt &&
	git -C staged add other.txt &&
	echo "staged line" >>staged/README &&
	git -C staged add README &&
	echo "unstaged line" >>staged/README &&
	git -C staged diff --cached >cached.before &&
	git -C staged diff >worktree.before &&
	test_tick &&
	git -C staged dc init >/dev/null &&
	printf "%s\n" .dc/rules.json .gitattributes >expect &&
	commit_paths staged HEAD >actual &&
	test_cmp expect actual &&
	git -C staged show HEAD:README >readme &&
	echo "not yet a dc repository" >expect &&
	test_cmp expect readme &&
	test_must_fail git -C staged cat-file -e HEAD:other.txt &&
	git -C staged diff --cached >cached.after &&
	test_cmp cached.before cached.after &&
	git -C staged diff >worktree.after &&
	test_cmp worktree.before worktree.after &&
	git -C staged status --porcelain >status &&
	cat >expect <<-\EOF &&
	MM README
	A  other.txt
	EOF
	test_cmp expect status
'

test_expect_success 'an existing .gitattributes keeps its content; the block is appended' '
	git init -q gitattr &&
	printf "*.txt text\n*.png binary\n" >gitattr/.gitattributes &&
	git -C gitattr add .gitattributes &&
	(cd gitattr && test_commit first README "a repository with attributes") &&
	test_tick &&
	git -C gitattr dc init >/dev/null &&
	{
		printf "*.txt text\n*.png binary\n" &&
		cat minimal.attributes
	} >expect &&
	git -C gitattr cat-file blob HEAD:.gitattributes >actual &&
	test_cmp expect actual &&
	test_cmp expect gitattr/.gitattributes &&
	tracked_clean gitattr
'

test_expect_success 'a .gitattributes without a final newline gets one before the block' '
	git init -q attrs-nonl &&
	printf "*.txt text" >attrs-nonl/.gitattributes &&
	git -C attrs-nonl add .gitattributes &&
	(cd attrs-nonl && test_commit first README "no final newline") &&
	test_tick &&
	git -C attrs-nonl dc init >/dev/null &&
	{
		printf "*.txt text\n" &&
		cat minimal.attributes
	} >expect &&
	git -C attrs-nonl cat-file blob HEAD:.gitattributes >actual &&
	test_cmp expect actual
'

test_expect_success 're-init replaces the block in place, never duplicates it' '
	echo "*.md text" >>gitattr/.gitattributes &&
	git -C gitattr add .gitattributes &&
	test_tick &&
	git -C gitattr commit -q -m "a line after the block" &&
	test_tick &&
	git -C gitattr dc init --preset rappterbook --force >/dev/null &&
	{
		printf "*.txt text\n*.png binary\n" &&
		cat rappterbook.attributes &&
		echo "*.md text"
	} >expect &&
	git -C gitattr cat-file blob HEAD:.gitattributes >actual &&
	test_cmp expect actual &&
	test $(grep -c "^# git-dc: begin" actual) = 1 &&
	test $(grep -c "^# git-dc: end" actual) = 1 &&
	test_cmp expect gitattr/.gitattributes &&
	tracked_clean gitattr
'

test_expect_success 're-init after a hand edit of the committed rules brings the block up to date' '
	jq --indent 2 ".sections.extra = {\"op\": \"append\", \"file\": \"state/extra.json\", \"at\": \"/x\"}" \
		gitattr/.dc/rules.json >rules.new &&
	cp rules.new gitattr/.dc/rules.json &&
	git -C gitattr add .dc/rules.json &&
	test_tick &&
	git -C gitattr commit -q -m "rules: one more section" &&
	rules_blob=$(git -C gitattr rev-parse HEAD:.dc/rules.json) &&
	test_tick &&
	git -C gitattr dc init >out 2>err &&
	test_must_be_empty err &&
	short=$(git -C gitattr rev-parse --short=12 HEAD) &&
	echo "Initialized the dc repository in $short: .gitattributes" >expect &&
	test_cmp expect out &&
	echo .gitattributes >expect &&
	commit_paths gitattr HEAD >actual &&
	test_cmp expect actual &&
	test "$(git -C gitattr rev-parse HEAD:.dc/rules.json)" = "$rules_blob" &&
	git -C gitattr cat-file blob HEAD:.gitattributes >actual &&
	grep -x "/state/extra.json merge=dc" actual &&
	test $(grep -c "^# git-dc: begin" actual) = 1 &&
	grep -x "\*.md text" actual &&
	tracked_clean gitattr
'

test_expect_success 'an uncommitted change to .gitattributes is refused, nothing lost' '
	git init -q attrs-dirty &&
	echo "*.txt text" >attrs-dirty/.gitattributes &&
	git -C attrs-dirty add .gitattributes &&
	(cd attrs-dirty && test_commit first README "attributes about to change") &&
	echo "*.jpg binary" >>attrs-dirty/.gitattributes &&
	snap attrs-dirty dirty &&
	test_expect_code 1 git -C attrs-dirty dc init >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	error: '"'"'.gitattributes'"'"' has uncommitted changes; nothing was changed
	hint: commit or discard them, or use --force to overwrite them
	EOF
	test_cmp expect err &&
	unchanged attrs-dirty dirty &&
	test_must_fail git -C attrs-dirty cat-file -e HEAD:.dc/rules.json
'

test_expect_success 'a canonical file present but not committed gives the warning' '
	init_repo warn &&
	mkdir warn/state &&
	echo "{\"events\": []}" >warn/state/events.json &&
	test_tick &&
	git -C warn dc init >out 2>err &&
	grep "^Initialized the dc repository in [0-9a-f]\{12\} (preset minimal): .dc/rules.json, .gitattributes\$" out &&
	cat >expect <<-\EOF &&
	warning: canonical file '"'"'state/events.json'"'"' is not committed, so it is not part of genesis
	hint: commit it first if it holds the starting state
	EOF
	test_cmp expect err &&
	test_must_fail git -C warn cat-file -e HEAD:state/events.json &&
	git -C warn status --porcelain >status &&
	echo "?? state/" >expect &&
	test_cmp expect status
'

test_expect_success 'the warning comes again when there is nothing to commit' '
	snap warn warn &&
	git -C warn dc init >out 2>err &&
	echo "Already a dc repository: nothing to do" >expect &&
	test_cmp expect out &&
	grep "^warning: canonical file '"'"'state/events.json'"'"' is not committed" err &&
	unchanged warn warn
'

test_expect_success 'a committed canonical file gives no warning and is part of genesis' '
	git init -q genesis &&
	mkdir genesis/state &&
	echo "{\"events\": [1]}" >genesis/state/events.json &&
	git -C genesis add state &&
	(cd genesis && test_commit first README "with a starting state") &&
	test_tick &&
	git -C genesis dc init >out 2>err &&
	test_must_be_empty err &&
	git -C genesis show HEAD:state/events.json >actual &&
	echo "{\"events\": [1]}" >expect &&
	test_cmp expect actual
'

# broken_start <name> <printf format>: repository "broken" whose first
# commit holds state/events.json, which the minimal preset makes canonical
broken_start () {
	rm -rf broken && git init -q broken &&
	mkdir broken/state &&
	printf "$2" >broken/state/events.json &&
	git -C broken add state &&
	(cd broken && test_commit first README "a broken starting state") &&
	snap broken "$1"
}

# refused_broken <name> <why>: init refuses, saying <why>, nothing changed
refused_broken () {
	test_expect_code 1 git -C broken dc init >out 2>err &&
	test_must_be_empty out &&
	grep "^error: canonical file 'state/events.json' $2; nothing was changed\$" err &&
	grep "^hint: repair 'state/events.json' in a commit of its own first" err &&
	unchanged broken "$1" &&
	! test -e broken/.dc &&
	test_expect_code 1 git -C broken dc init --json >out &&
	jq -e ".error.message | endswith(\"nothing was changed\")" out
}

test_expect_success 'a committed canonical file with conflict markers: init refuses' '
	broken_start markers "<<<<<<< HEAD\n{}\n=======\n[]\n>>>>>>> side\n" &&
	refused_broken markers "holds conflict markers"
'

test_expect_success 'a committed canonical file truncated: init refuses' '
	broken_start truncated "[1, " &&
	refused_broken truncated "is not valid JSON: line 1, column 5: unexpected end of input"
'

test_expect_success 'a committed canonical file with a trailing comma: init refuses' '
	broken_start comma "{\"a\": 1,}\n" &&
	refused_broken comma "is not valid JSON: line 1, column 8: trailing comma"
'

test_expect_success 'once repaired in a commit of its own, the file is the genesis' '
	printf "[1, 2]\n" >broken/state/events.json &&
	git -C broken commit -q -am "repair the starting state" &&
	git -C broken dc init -q &&
	git -C broken show HEAD:state/events.json >actual &&
	printf "[1, 2]\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'rules committed by hand that name a broken file: the hook and check refuse' '
	rm -rf byhand && git init -q byhand &&
	(cd byhand && test_commit first README "by hand") &&
	git -C byhand dc init -q &&
	mkdir -p byhand/state &&
	printf "{\"a\": 1,}\n" >byhand/state/other.json &&
	git -C byhand add state/other.json &&
	git -C byhand commit -q -m "an ordinary file" &&
	git -C byhand dc check HEAD &&
	jq ".sections.events.file = \"state/other.json\"" byhand/.dc/rules.json >rules &&
	cp rules byhand/.dc/rules.json &&
	git -C byhand add .dc/rules.json &&
	test_must_fail git -C byhand commit -q -m "rules naming it" 2>err &&
	grep "^error: .state/other.json. is not valid JSON: line 1, column 8: trailing comma\$" err &&
	git -C byhand -c core.hooksPath=/dev/null commit -q -m "rules naming it" &&
	test_expect_code 1 git -C byhand dc check HEAD 2>err &&
	grep "state/other.json. is not valid JSON" err
'

test_expect_success 'init works in a bare repository, on the branch HEAD names' '
	git init -q --bare bare.git &&
	git -C bare.git symbolic-ref HEAD refs/heads/trunk &&
	test_tick &&
	git -C bare.git dc init >out 2>err &&
	test_must_be_empty err &&
	short=$(git -C bare.git rev-parse --short=12 refs/heads/trunk) &&
	echo "Initialized the dc repository in $short (preset minimal): .dc/rules.json, .gitattributes" >expect &&
	test_cmp expect out &&
	git -C bare.git for-each-ref --format="%(refname)" >refs &&
	echo refs/heads/trunk >expect &&
	test_cmp expect refs &&
	git -C bare.git log --format=%s trunk >log &&
	echo "dc: init with the preset minimal" >expect &&
	test_cmp expect log &&
	git -C bare.git cat-file blob trunk:.dc/rules.json >rules &&
	test_cmp minimal.rules rules &&
	git -C bare.git cat-file blob trunk:.gitattributes >attrs &&
	test_cmp minimal.attributes attrs &&
	! test -e bare.git/.dc &&
	! test -e bare.git/.gitattributes
'

test_expect_success 'init in a bare repository with history commits on top of it' '
	git init -q --bare bare2.git &&
	git -C one push -q ../bare2.git "HEAD~2:refs/heads/main" &&
	first=$(git -C bare2.git rev-parse main) &&
	test_tick &&
	git -C bare2.git dc init --preset rappterbook --json >out &&
	jq -e ".committed == true and .preset == \"rappterbook\"" out &&
	test "$(jq -r .commit out)" = "$(git -C bare2.git rev-parse main)" &&
	test "$(git -C bare2.git rev-parse main^)" = "$first" &&
	printf "%s\n" .dc/rules.json .gitattributes >expect &&
	commit_paths bare2.git main >actual &&
	test_cmp expect actual &&
	git -C bare2.git for-each-ref >refs.before &&
	git -C bare2.git dc init >out &&
	echo "Already a dc repository: nothing to do" >expect &&
	test_cmp expect out &&
	git -C bare2.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after
'

test_expect_success 'a detached HEAD is refused, nothing changed' '
	init_repo detached &&
	git -C detached checkout -q --detach &&
	snap detached detached &&
	test_expect_code 1 git -C detached dc init >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	error: HEAD is detached
	hint: check out the branch to work on first
	EOF
	test_cmp expect err &&
	unchanged detached detached &&
	! test -e detached/.dc
'

test_expect_success 'a refusal with --json prints the error document' '
	snap detached detached-json &&
	test_expect_code 1 git -C detached dc init --json >out 2>err &&
	test "$(jq -s length out)" = 1 &&
	jq -e ".version == 1 and .command == \"init\" and .error.kind == \"refused\" and
		.error.message == \"HEAD is detached\" and
		.error.hint == \"check out the branch to work on first\" and
		.error.exit_code == 1" out &&
	grep "^error: HEAD is detached\$" err &&
	unchanged detached detached-json
'

test_expect_success 'a locked branch: refused, and nothing written in the work tree' '
	init_repo locked &&
	gitdir=$(cd locked/.git && pwd -P) &&
	>locked/.git/refs/heads/main.lock &&
	test_when_finished "rm -f locked/.git/refs/heads/main.lock" &&
	snap locked locked &&
	test_expect_code 1 git -C locked dc init >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	error: '"'"'refs/heads/main'"'"' is locked by another process; nothing was changed
	hint: if no git process is running, remove '"'"'$gitdir/refs/heads/main.lock'"'"'
	EOF
	test_cmp expect err &&
	unchanged locked locked &&
	! test -e locked/.dc
'

test_expect_success 'init from a subdirectory of the work tree writes at the top' '
	init_repo sub &&
	mkdir -p sub/deep/er &&
	test_tick &&
	git -C sub/deep/er dc init >/dev/null &&
	! test -e sub/deep/er/.dc &&
	test_cmp minimal.rules sub/.dc/rules.json &&
	test_cmp minimal.attributes sub/.gitattributes &&
	tracked_clean sub
'

test_done
