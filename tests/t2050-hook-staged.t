#!/bin/sh
test_description='the commit hooks read what is staged from the index

pre-commit lists the staged changes itself: it reads the index, and
HEAD'"'"'s trees, walking only the directories whose cache tree does not
name HEAD'"'"'s tree. Every listing here must be the one git diff-index
--cached gives, through real commits (the cache tree up to date) and the
hook run by hand on an index git add left (the cache tree out of date). An
index it does not read (version 4, an intent-to-add entry) goes to git
diff-index, as does DC_HOOK_DIFF_INDEX=1.

The hook reads objects itself (loose, packed, offset and reference
deltas) and leaves to git cat-file what it does not read as git would:
alternates, replace refs, a pack index of another version, an object it
cannot read, DC_HOOK_CAT_FILE=1. Its trace says how many came from where.'
. "$(dirname "$0")/lib-dc.sh"

# expect_listing: what git diff-index lists as staged, as the hook traces it
expect_listing () {
	{
		git diff-index --cached --name-status --no-renames HEAD -- 2>/dev/null ||
		git diff-index --cached --name-status --no-renames \
			4b825dc642cb6eb9a060e54bf8d69288fbee4904 --
	} | sed "s/	/ /" | sort >expect
}

# hook_listing <err>: the hook's listing in its trace <err>
hook_listing () {
	sed -n "s/^trace: git-dc-hook pre-commit: staged: //p" "$1" | sort >actual
}

# same_listing [<how>]: the hook run by hand lists what git diff-index
# does, read from the index (or <how>: "git diff-index")
same_listing () {
	expect_listing &&
	DC_TRACE_HOOKS=1 "$(command -v git-dc-hook)" pre-commit .git/hooks/pre-commit 2>err &&
	grep "^trace: git-dc-hook pre-commit: staged changes ${1:-read from the index}\$" err &&
	hook_listing err &&
	test_cmp expect actual
}

# commit_listing <message>: git commit runs the hook; its listing is git
# diff-index's, read from the index
commit_listing () {
	expect_listing &&
	DC_TRACE_HOOKS=1 git commit -q -m "$1" 2>err &&
	grep "^trace: git-dc-hook pre-commit: staged changes read from the index\$" err &&
	hook_listing err &&
	test_cmp expect actual
}

# canonical_refused: a hand edit of the canonical file is refused (then undone)
canonical_refused () {
	echo "{}" >state/events.json &&
	git add state/events.json &&
	test_expect_code 1 git commit -q -m "by hand" 2>err &&
	grep "canonical" err &&
	git reset -q --hard
}

test_expect_success 'setup: a dc repository with the hooks, and a tree to change' '
	dc_repo main &&
	(
		cd main &&
		mkdir -p a/b/c d e x &&
		echo 1 >a/b/c/one && echo 2 >a/b/two && echo 3 >a-b && echo 4 >a.b &&
		echo 5 >a0 && echo 6 >d/six && echo 7 >e/seven && echo 8 >x/eight &&
		echo 9 >f && echo 10 >g && ln -s f link &&
		git add . &&
		git commit -q -m tree
	)
'

test_expect_success 'added, changed and deleted files, at the top and deep down' '
	(
		cd main &&
		echo new >a/b/c/new && echo changed >a/b/two && git rm -q a.b &&
		echo top >top && git add . &&
		same_listing &&
		commit_listing "added, changed, deleted"
	)
'

test_expect_success 'a directory deleted, a file that becomes a directory and back' '
	(
		cd main &&
		git rm -q -r d &&
		git rm -q f && mkdir f && echo in >f/in &&
		git rm -q -r e && echo e >e &&
		git add . &&
		same_listing &&
		commit_listing "types"
	)
'

test_expect_success 'names that sort around a directory: a-b, a.b, a/b, a0' '
	(
		cd main &&
		echo 3b >a-b && echo new >a.b && echo 2b >a/b/two && echo 0 >a0 &&
		echo slash >a/z && git add . &&
		same_listing &&
		commit_listing "names"
	)
'

test_expect_success 'a mode change, a symbolic link that becomes a file' '
	(
		cd main &&
		chmod +x g && rm link && echo plain >link &&
		git add . &&
		same_listing &&
		commit_listing "modes"
	)
'

test_expect_success 'nothing staged, and a partial commit (its own index)' '
	(
		cd main &&
		same_listing &&
		test_must_be_empty actual &&
		grep "nothing staged: not checked" err &&
		echo p1 >x/eight && echo p2 >top && git add x/eight &&
		expect_listing &&
		DC_TRACE_HOOKS=1 git commit -q -m partial top 2>err &&
		grep "^trace: git-dc-hook pre-commit: staged changes read from the index\$" err &&
		hook_listing err &&
		echo "M top" >expect &&
		test_cmp expect actual &&
		git reset -q --hard
	)
'

test_expect_success 'new deltas and a canonical file: the checks are the same' '
	(
		cd main &&
		mkdir -p state/stream_deltas &&
		dc_delta_json 1 s1 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" \
			>state/stream_deltas/frame-1-s1.json &&
		git add state/stream_deltas &&
		commit_listing "a delta" &&
		grep "only new deltas staged: checked without git dc" err &&
		printf "{\"frame\": 2, \"stream_id\": \"s1\"" >state/stream_deltas/frame-2-s1.json &&
		git add state/stream_deltas &&
		test_expect_code 1 git commit -q -m "truncated" 2>err &&
		grep "delta-invalid" err &&
		git reset -q --hard &&
		git dc merge -q >/dev/null &&
		canonical_refused
	)
'

test_expect_success 'the first commit of a repository (no HEAD yet)' '
	git init -q fresh &&
	(
		cd fresh &&
		git dc init --preset minimal >/dev/null &&
		echo a >a && mkdir d && echo b >d/b &&
		git add a d &&
		expect_listing &&
		DC_TRACE_HOOKS=1 git commit -q -m first 2>err &&
		grep "^trace: git-dc-hook pre-commit: staged changes read from the index\$" err &&
		hook_listing err &&
		test_cmp expect actual
	)
'

test_expect_success 'an index in version 4, or with an intent-to-add entry: git diff-index' '
	(
		cd main &&
		echo v4 >v4 && git add v4 &&
		git update-index --index-version 4 &&
		same_listing "from git diff-index" &&
		git update-index --index-version 2 &&
		same_listing &&
		echo ita >ita && git add -N ita &&
		same_listing "from git diff-index" &&
		git rm -q --cached ita &&
		DC_HOOK_DIFF_INDEX=1 same_listing "from git diff-index" &&
		git reset -q --hard
	)
'

# objects_from <here> <git>: the trace in err counted <here> objects read
# by the hook and <git> by git cat-file ("some": at least one)
objects_from () {
	sed -n "s/^trace: git-dc-hook pre-commit: objects: \([0-9]*\) read here, \([0-9]*\) by git cat-file\$/\1 \2/p" err >counts &&
	test "$(wc -l <counts)" = 1 &&
	read here by_git <counts &&
	case "$1" in some) test "$here" -gt 0 ;; *) test "$here" = "$1" ;; esac &&
	case "$2" in some) test "$by_git" -gt 0 ;; *) test "$by_git" = "$2" ;; esac
}

test_expect_success 'objects read by the hook: loose, then packed with offset and reference deltas' '
	(
		cd main &&
		mkdir many &&
		for i in $(test_seq 1 60); do echo $i >many/f$i || return 1; done &&
		echo loose >a/b/c/loose && git add . &&
		commit_listing "loose" &&
		objects_from some 0 &&
		# the smaller tree of many/ is stored as a delta of the larger
		git rm -q many/f1 && git commit -q -m "many smaller" &&
		git repack -q -a -d -f --depth=50 --window=50 &&
		tree=$(git rev-parse HEAD:many) &&
		! test -f .git/objects/$(echo $tree | cut -c1-2)/$(echo $tree | cut -c3-) &&
		git verify-pack -v .git/objects/pack/*.idx >packed &&
		grep "^$tree tree .* [0-9a-f]\{40\}\$" packed &&
		echo packed >many/f2 && echo d >d2 && git add . &&
		commit_listing "offset deltas" &&
		objects_from some 0 &&
		git rm -q many/f3 && git commit -q -m "many smaller again" &&
		git -c repack.useDeltaBaseOffset=false repack -q -a -d -f --depth=50 --window=50 &&
		tree=$(git rev-parse HEAD:many) &&
		git verify-pack -v .git/objects/pack/*.idx >packed &&
		grep "^$tree tree .* [0-9a-f]\{40\}\$" packed &&
		echo ref >many/f4 && git rm -q d2 && git add . &&
		commit_listing "reference deltas" &&
		objects_from some 0 &&
		dc_delta_json 3 s1 2026-03-28T03:00:00Z "\"events\": [{\"n\": 3}]" \
			>state/stream_deltas/frame-3-s1.json &&
		git add state/stream_deltas &&
		commit_listing "a delta, HEAD packed" &&
		grep "only new deltas staged: checked without git dc" err &&
		objects_from some 0
	)
'

test_expect_success 'DC_HOOK_CAT_FILE=1, a pack index of version 1: git cat-file answers' '
	(
		cd main &&
		echo cat >a/b/c/cat && git add . &&
		DC_HOOK_CAT_FILE=1 commit_listing "cat-file" &&
		objects_from 0 some &&
		git repack -q -a -d &&
		pack=$(ls .git/objects/pack/*.pack) &&
		rm -f "${pack%.pack}.idx" &&
		git index-pack --index-version=1 "$pack" >/dev/null &&
		echo v1 >a/b/c/cat && git add . &&
		commit_listing "an index of version 1" &&
		objects_from 0 some &&
		canonical_refused &&
		git repack -q -a -d -f &&
		echo v2 >a/b/c/cat && git add . &&
		commit_listing "an index of version 2 again" &&
		objects_from some 0
	)
'

test_expect_success 'alternates and replace refs: git cat-file reads every object' '
	git clone -q --shared main shared &&
	(
		cd shared &&
		git dc init --preset minimal >/dev/null &&
		echo s >s && git add s &&
		commit_listing "shared" &&
		objects_from 0 some &&
		canonical_refused
	) &&
	(
		cd main &&
		git replace $(git rev-parse HEAD:a-b) $(git rev-parse HEAD:a0) &&
		echo r >r && git add r &&
		commit_listing "replaced" &&
		objects_from 0 some &&
		git replace -d $(git rev-parse HEAD:a-b) &&
		echo r2 >r && git add r &&
		commit_listing "replace ref gone" &&
		objects_from some 0
	)
'

test_expect_success 'a linked worktree: objects and refs through its common directory' '
	(
		cd main &&
		git worktree add -q ../linked -b linked &&
		cd ../linked &&
		test -f .git &&
		echo w >a/b/c/w && git rm -q a0 && git add . &&
		commit_listing "in a worktree" &&
		objects_from some 0 &&
		test "$(git rev-parse HEAD^)" = "$(git -C ../main rev-parse main)"
	)
'

test_expect_success 'a tree of HEAD that cannot be read: the hook refuses (not a first commit)' '
	git clone -q --no-local main broken &&
	(
		cd broken &&
		git dc init --preset minimal >/dev/null &&
		echo x >xx && mkdir -p n && echo y >n/y && git add xx n &&
		git commit -q -m "loose trees" &&
		tree=$(git rev-parse HEAD:n) &&
		obj=.git/objects/$(echo $tree | cut -c1-2)/$(echo $tree | cut -c3-) &&
		test -f "$obj" &&
		chmod u+w "$obj" &&
		printf "not zlib" >"$obj" &&
		echo z >n/z && git add n/z &&
		test_expect_code 1 "$(command -v git-dc-hook)" pre-commit .git/hooks/pre-commit 2>err &&
		grep "cannot list the staged changes" err &&
		head=$(git rev-parse HEAD) &&
		test_must_fail git commit -q -m "broken tree" &&
		test "$(git rev-parse HEAD)" = "$head"
	)
'

test_done
