#!/bin/sh
test_description='a big canonical file is read from the work tree when git says it is clean

A merge reads a canonical file of 1 MiB or more from the primary'"'"'s work
tree instead of inflating its blob, but only when the index entry names
that blob and the file'"'"'s stat data match it (git'"'"'s own test of a clean
file). Every test merges the same deltas in "main" and in "twin", where
the file is touched before each merge so that it is never clean: the
trees must be identical.'
. "$(dirname "$0")/lib-dc.sh"

write_rules () {
	mkdir -p .dc &&
	cat >.dc/rules.json <<-\EOF
	{"version": 1, "sections": {
	  "log": {"op": "append", "file": "state/log.json"},
	  "people": {"op": "upsert", "file": "state/people.json", "key": "id"}}}
	EOF
}

both () {
	(cd main && dc_commit_delta "$@") &&
	(cd twin && dc_commit_delta "$@")
}

# merge_both: merge in both (traces in main.trace and twin.trace); the
# trees must be the same
merge_both () {
	(cd main && DC_TRACE_PERFORMANCE=1 git dc merge -q 2>../main.trace) &&
	touch twin/state/log.json &&
	(cd twin && DC_TRACE_PERFORMANCE=1 git dc merge -q 2>../twin.trace) &&
	git -C main rev-parse HEAD^{tree} >main.tree &&
	git -C twin rev-parse HEAD^{tree} >twin.tree &&
	test_cmp main.tree twin.tree &&
	! grep "read from the work tree" twin.trace
}

test_expect_success 'setup: a 1.3 MiB log in one file, and a twin' '
	git init -q main &&
	(
		cd main &&
		write_rules &&
		mkdir state &&
		awk "BEGIN { printf \"[\"; for (i = 0; i < 30000; i++)
			printf \"%s\\\"entry %06d of the log, in one file\\\"\", i ? \", \" : \"\", i;
			print \"]\" }" >state/log.json &&
		echo "[]" >state/people.json &&
		test $(wc -c <state/log.json) -gt 1048576 &&
		dc_commit_genesis
	) &&
	dc_twin main twin
'

test_expect_success 'a clean file is read from the work tree' '
	both 1 a 1 "\"log\": [\"one\"], \"people\": [{\"id\": \"p\", \"n\": 1}]" &&
	merge_both &&
	grep "^trace: read from the work tree: state/log.json$" main.trace &&
	! grep "read from the work tree: state/people.json" main.trace
'

test_expect_success 'and again from what the last merge wrote there' '
	both 2 a 1 "\"log\": [\"two\"]" &&
	merge_both &&
	grep "^trace: read from the work tree: state/log.json$" main.trace &&
	git -C main cat-file blob HEAD:state/log.json >expect &&
	test_cmp expect main/state/log.json
'

test_expect_success 'a file edited in place (same size) is not read: the blob is' '
	sed "s/entry 000007/entry 00000X/" main/state/log.json >edited &&
	test $(wc -c <edited) = $(wc -c <main/state/log.json) &&
	! cmp -s edited main/state/log.json &&
	cp edited main/state/log.json &&
	git -C main rev-parse HEAD >before &&
	both 3 a 1 "\"log\": [\"three\"]" &&
	(cd main && DC_TRACE_PERFORMANCE=1 test_must_fail git dc merge -q 2>../main.trace) &&
	grep "^trace: fold" main.trace &&
	! grep "read from the work tree" main.trace &&
	grep "state/log.json. has uncommitted changes; nothing was merged" main.trace &&
	git -C main rev-parse HEAD^ >after &&
	test_cmp before after &&
	test_cmp edited main/state/log.json
'

test_expect_success 'restored by git, it is read again once its entry is not racy' '
	git -C main checkout -- state/log.json &&
	touch -d "1 minute ago" main/state/log.json &&
	git -C main update-index --refresh &&
	merge_both &&
	grep "^trace: read from the work tree: state/log.json$" main.trace
'

test_expect_success 'a staged edit is not read either' '
	both 4 a 1 "\"log\": [\"four\"]" &&
	cp edited main/state/log.json &&
	git -C main add state/log.json &&
	git -C main cat-file blob HEAD:state/log.json >main/state/log.json &&
	touch -d "1 minute ago" main/state/log.json &&
	(cd main && DC_TRACE_PERFORMANCE=1 test_must_fail git dc merge -q 2>../main.trace) &&
	grep "^trace: fold" main.trace &&
	! grep "read from the work tree" main.trace &&
	git -C main reset -q &&
	git -C main update-index --refresh &&
	merge_both &&
	grep "^trace: read from the work tree: state/log.json$" main.trace
'

test_expect_success 'the work tree file is replaced whole: a reader of the old one keeps it, no temporary left' '
	both 5 a 1 "\"log\": [\"five\"]" &&
	cp main/state/log.json old &&
	exec 8<main/state/log.json &&
	merge_both &&
	cat <&8 >seen &&
	exec 8<&- &&
	test_cmp old seen &&
	git -C main cat-file blob HEAD:state/log.json >expect &&
	test_cmp expect main/state/log.json &&
	git -C main status --porcelain --untracked-files=all >untracked &&
	test ! -s untracked &&
	ls -a main/state >listing &&
	! grep "dc-tmp" listing
'

test_expect_success 'check and verify agree with what was merged' '
	(cd main && git dc check && git dc verify -q) &&
	git -C main cat-file blob HEAD:state/log.json >expect &&
	test_cmp expect main/state/log.json &&
	grep "\"four\"" expect &&
	grep "\"five\"" expect
'

test_done
