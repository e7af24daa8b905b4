#!/bin/sh
test_description='the kept fuzz corpora, replayed

`make fuzz` grows tests/fuzz/corpus/<harness>/ under libFuzzer (the merge
driver, the delta parser and validator, the rules loader, the fold); here
every kept input runs again through the same harness built without
libFuzzer, so a property it broke once (a crash, a merge that does not
parse, sides that merge differently when swapped, a lost member, an
unknown section reported under a known name) stays fixed.'
. "$(dirname "$0")/lib-dc.sh"

CORPUS=$DC_SOURCE_DIR/tests/fuzz/corpus

for harness in "$DC_SOURCE_DIR"/tests/fuzz/fuzz-*.c
do
	name=${harness##*/fuzz-}
	name=${name%.c}
	test_expect_success "$name: the corpus is there and every input keeps the properties" '
		test $(ls "$CORPUS/$name" | wc -l) -ge 10 &&
		"$SHARNESS_BUILD_DIRECTORY/fuzz/replay-$name" "$CORPUS/$name" >out &&
		echo "$(ls "$CORPUS/$name" | wc -l) inputs" >expect &&
		test_cmp expect out
	'
done

test_done
