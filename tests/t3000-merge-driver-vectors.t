#!/bin/sh
test_description='merge driver vectors: base, ours, theirs and the expected result

Each directory of tests/vectors/driver/ holds path (the path git passes as
%P), ours.json, theirs.json, base.json (absent: git passes an empty base,
as for add/add), optionally rules.json (else tests/vectors/driver/rules.json)
and the expected outcome:
 - expected.json: the driver exits 0 and leaves exactly these bytes in %A;
   expected-swapped.json, when present, is the result with the two sides
   swapped (the additions come in the other order), else the swapped run
   must give expected.json to the byte;
 - no expected.json: the driver exits 1 both ways and leaves %A as it was;
 - stderr: what the driver prints on the straight run, exactly (a swapped
   conflict names the same conflicts, with ours and theirs exchanged).'
. "$(dirname "$0")/lib-dc.sh"

VECTORS=$SHARNESS_TEST_DIRECTORY/vectors/driver
# a conflict line cut after its file and pointer (the values swap sides)
LOCATION="s/^\(error: conflict: '[^']*'\( at '[^']*'\)\{0,1\}\).*/\1/"

# run_driver <vector> <ours> <theirs> <name>: the driver on a copy of
# <ours>, as git runs it; leaves <name>.A, <name>.err and <name>.rc
run_driver () {
	rules=$VECTORS/rules.json
	test -f "$1/rules.json" && rules=$1/rules.json
	if test -f "$1/base.json"
	then
		cp "$1/base.json" "$4.O"
	else
		: >"$4.O"
	fi &&
	cp "$2" "$4.A" &&
	cp "$3" "$4.B" &&
	{
		git-dc-merge-driver --rules "$rules" "$4.O" "$4.A" "$4.B" 7 "$(cat "$1/path")" \
			2>"$4.err"
		echo $? >"$4.rc"
	}
}

test_expect_success 'the vectors are there' '
	test $(ls -d "$VECTORS"/0* | wc -l) -ge 20
'

for VEC in "$VECTORS"/0*
do
	v=${VEC##*/}
	if test -f "$VEC/expected.json"
	then
		test_expect_success "$v: merged" '
			run_driver "$VEC" "$VEC/ours.json" "$VEC/theirs.json" "$v" &&
			echo 0 >expect.rc &&
			test_cmp expect.rc "$v.rc" &&
			test_cmp "$VEC/expected.json" "$v.A" &&
			if test -f "$VEC/stderr"
			then
				test_cmp "$VEC/stderr" "$v.err"
			else
				test_cmp /dev/null "$v.err"
			fi
		'
		test_expect_success "$v: merged with the sides swapped" '
			run_driver "$VEC" "$VEC/theirs.json" "$VEC/ours.json" "$v.swapped" &&
			echo 0 >expect.rc &&
			test_cmp expect.rc "$v.swapped.rc" &&
			if test -f "$VEC/expected-swapped.json"
			then
				test_cmp "$VEC/expected-swapped.json" "$v.swapped.A" &&
				! test_cmp "$VEC/expected.json" "$VEC/expected-swapped.json" 2>/dev/null
			else
				test_cmp "$VEC/expected.json" "$v.swapped.A"
			fi
		'
	else
		test_expect_success "$v: a conflict, ours left as it was" '
			run_driver "$VEC" "$VEC/ours.json" "$VEC/theirs.json" "$v" &&
			echo 1 >expect.rc &&
			test_cmp expect.rc "$v.rc" &&
			test_cmp "$VEC/ours.json" "$v.A" &&
			test_cmp "$VEC/stderr" "$v.err"
		'
		test_expect_success "$v: the same conflicts with the sides swapped" '
			run_driver "$VEC" "$VEC/theirs.json" "$VEC/ours.json" "$v.swapped" &&
			echo 1 >expect.rc &&
			test_cmp expect.rc "$v.swapped.rc" &&
			test_cmp "$VEC/theirs.json" "$v.swapped.A" &&
			grep "^error: " "$VEC/stderr" | sed "$LOCATION" >expect.err &&
			grep "^error: " "$v.swapped.err" | sed "$LOCATION" >actual.err &&
			test_cmp expect.err actual.err
		'
	fi
done

test_expect_success 'every merged result is valid JSON with no conflict marker' '
	n=0 &&
	for a in 0*.A
	do
		test "$(cat "${a%.A}.rc")" = 0 || continue
		jq -e . "$a" >/dev/null &&
		! grep "^\(<<<<<<<\|=======\|>>>>>>>\)" "$a" || return 1
		n=$(($n + 1))
	done &&
	test $n -ge 20
'

test_expect_success 'usage: -h exits 129 on stdout, a wrong call 129 on stderr' '
	test_expect_code 129 git-dc-merge-driver -h >out &&
	grep "^usage: git-dc-merge-driver" out &&
	test_expect_code 129 git-dc-merge-driver a b c 2>err &&
	grep "^usage: git-dc-merge-driver" err &&
	test_expect_code 129 git-dc-merge-driver --frobnicate a b c 7 p 2>err &&
	grep "unknown option" err &&
	test_expect_code 129 git-dc-merge-driver a b c seven p 2>err &&
	grep "marker size" err
'

test_expect_success 'a missing input file is fatal and leaves ours alone' '
	echo "{}" >ours &&
	cp ours ours.before &&
	test_expect_code 128 git-dc-merge-driver --rules "$VECTORS/rules.json" \
		no-such-base ours ours 7 state/agents.json 2>err &&
	grep "^fatal: cannot open .no-such-base." err &&
	test_cmp ours.before ours
'

test_expect_success 'no rules anywhere: a conflict, ours left alone' '
	mkdir norepo &&
	echo "{\"a\": 1}" >norepo/o &&
	echo "{\"a\": 1, \"b\": 2}" >norepo/a &&
	echo "{\"a\": 1, \"c\": 3}" >norepo/b &&
	cp norepo/a a.before &&
	(
		cd norepo &&
		GIT_CEILING_DIRECTORIES=$TRASH_DIRECTORY &&
		export GIT_CEILING_DIRECTORIES &&
		test_expect_code 1 git-dc-merge-driver o a b 7 state/x.json 2>../err
	) &&
	grep "^error: cannot merge .state/x.json.: .\.dc/rules\.json. is neither in the index nor in HEAD" err &&
	test_cmp a.before norepo/a
'

test_expect_success 'invalid rules: a conflict that names them, ours left alone' '
	echo "{\"version\": 1, \"frobs\": 1}" >bad-rules.json &&
	echo "{\"a\": 1}" >o &&
	echo "{\"a\": 2}" >a &&
	echo "{\"a\": 3}" >b &&
	cp a a.before &&
	test_must_fail git-dc-merge-driver --rules bad-rules.json o a b 7 state/x.json 2>err &&
	grep "bad-rules.json" err &&
	test_cmp a.before a
'

test_done
