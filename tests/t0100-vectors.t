#!/bin/sh
test_description='fold vectors: the same bytes whatever the order of arrival and of merging

Each directory of tests/vectors/fold/ holds rules.json; state/, the genesis
canonical files (the repository state/ directory); deltas/, the files of the
delta directory the rules name; and expected/, the canonical files under
state/ after merging everything, byte for byte, plus quarantined.txt (the
quarantined deltas, relative to the delta directory, sorted bytewise).

Each vector is run three times, in three repositories whose genesis commit
holds state/ and .dc/rules.json, committed by hand:
 a. deltas committed in sorted order, one commit each, one merge;
 b. committed in reverse order, then merged frame by frame (--frame N);
 c. committed in an order fixed by the sha1 of their names, merging after
    each commit (a delta arriving after its frame was merged must be
    reported late), then merging once more, which must make no commit.'
. "$(dirname "$0")/lib-dc.sh"

VECTORS=$SHARNESS_TEST_DIRECTORY/vectors/fold

# The files of the vector's deltas/, relative to it, sorted bytewise.
vec_deltas () {
	(cd "$VEC/deltas" && find . -type f) | sed 's|^\./||' | LC_ALL=C sort
}

# The valid deltas: neither quarantined nor ignored (a name starting with ".").
vec_valid () {
	vec_deltas | grep -v '\(^\|/\)\.' | grep -vxF -f "$VEC/expected/quarantined.txt"
}

# The frame of a delta path, without leading zeros; empty if it has none.
vec_frame () {
	printf '%s\n' "$1" | sed -n 's|^frame-0*\([0-9][0-9]*\)[-/].*|\1|p'
}

# The newest frame among the valid deltas, of those at most $1 if given;
# empty if there is none.
vec_max_frame () {
	vec_valid | while read -r rel
	do
		vec_frame "$rel"
	done | awk -v lim="$1" '(lim == "" || $1 + 0 <= lim + 0) && $1 + 0 >= max + 0 { max = $1; any = 1 }
		END { if (any) print max }'
}

# The frame recorded in the last commit of repository $1; empty if none.
vec_head_frame () {
	if git -C "$1" cat-file -e HEAD:.dc/head.json 2>/dev/null
	then
		git -C "$1" cat-file blob HEAD:.dc/head.json | jq -r .frame
	fi
}

# A repository whose first commit holds the vector's state and rules.
vec_init () {
	git init -q "$1" &&
	mkdir -p "$1/.dc" "$1/state" &&
	cp "$VEC/rules.json" "$1/.dc/rules.json" &&
	cp -R "$VEC/state/." "$1/state/" &&
	rm -f "$1/state/.gitkeep" &&
	git -C "$1" add -A &&
	test_tick &&
	git -C "$1" commit -q -m genesis
}

# Commit the vector's delta $2 into repository $1, as a worker would.
vec_commit () {
	mkdir -p "$1/$DELTAS/$(dirname "$2")" &&
	cp "$VEC/deltas/$2" "$1/$DELTAS/$2" &&
	git -C "$1" add -- "$DELTAS/$2" &&
	test_tick &&
	git -C "$1" commit -q -m "delta $2"
}

# The last commit of repository $1 holds exactly the expected canonical
# files, the work tree agrees, the quarantine list is the expected one and
# the recorded frame is the newest valid one.
vec_check () {
	(cd "$VEC/expected" && find . -type f ! -name quarantined.txt) |
		sed 's|^\./||' | LC_ALL=C sort >"$1.expect-files" &&
	git -C "$1" ls-tree -r --name-only HEAD -- state |
		awk -v d="$DELTAS/" 'index($0, d) != 1' |
		sed 's|^state/||' | LC_ALL=C sort >"$1.files" &&
	test_cmp "$1.expect-files" "$1.files" &&
	while read -r f
	do
		git -C "$1" cat-file blob "HEAD:state/$f" >"$1.blob" &&
		test_cmp "$VEC/expected/$f" "$1.blob" &&
		test_cmp "$VEC/expected/$f" "$1/state/$f" || return 1
	done <"$1.expect-files" &&
	git -C "$1" status --porcelain >"$1.porcelain" &&
	test_cmp /dev/null "$1.porcelain" &&
	git -C "$1" dc status --json >"$1.status" &&
	jq -r --arg d "$DELTAS/" '.quarantined[].path | ltrimstr($d)' "$1.status" |
		LC_ALL=C sort >"$1.quarantined" &&
	test_cmp "$VEC/expected/quarantined.txt" "$1.quarantined" &&
	echo "$(vec_max_frame)" >"$1.expect-frame" &&
	echo "$(vec_head_frame "$1")" >"$1.frame" &&
	test_cmp "$1.expect-frame" "$1.frame"
}

test_expect_success 'the vectors are there' '
	test $(ls "$VECTORS" | wc -l) -ge 15
'

for VEC in "$VECTORS"/*
do
	v=${VEC##*/}
	DELTAS=$(jq -r '.deltas // "state/stream_deltas"' "$VEC/rules.json")

	test_expect_success "$v: sorted arrival, one merge" '
		vec_init "$v.a" &&
		for rel in $(vec_deltas)
		do
			vec_commit "$v.a" "$rel" || return 1
		done &&
		git -C "$v.a" dc merge >"$v.a.out" &&
		vec_check "$v.a"
	'

	test_expect_success "$v: reverse arrival, merged frame by frame" '
		vec_init "$v.b" &&
		for rel in $(vec_deltas | LC_ALL=C sort -r)
		do
			vec_commit "$v.b" "$rel" || return 1
		done &&
		frames=$(vec_valid | while read -r rel; do vec_frame "$rel"; done | sort -n -u) &&
		test -n "$frames" &&
		for n in $frames
		do
			git -C "$v.b" dc merge --frame $n >"$v.b.out" &&
			test "$(vec_head_frame "$v.b")" = "$(vec_max_frame $n)" || return 1
		done &&
		vec_check "$v.b"
	'

	test_expect_success "$v: permuted arrival, merged at each arrival, then again" '
		vec_init "$v.c" &&
		: >"$v.c.blobs" &&
		for rel in $(vec_deltas | while read -r rel
			     do
				printf "%s %s\n" "$(printf %s "$rel" | sha1sum | cut -c1-40)" "$rel"
			     done | LC_ALL=C sort | cut -d" " -f2)
		do
			prev=$(vec_head_frame "$v.c") &&
			blob=$(git hash-object --no-filters "$VEC/deltas/$rel") &&
			vec_commit "$v.c" "$rel" &&
			git -C "$v.c" dc merge --json >"$v.c.json" || return 1
			if ! vec_valid | grep -qxF "$rel" || grep -qxF "$blob" "$v.c.blobs"
			then
				continue
			fi
			echo "$blob" >>"$v.c.blobs"
			p="$DELTAS/$rel"
			if test -n "$prev" && test "$(vec_frame "$rel")" -le "$prev"
			then
				jq -e --arg p "$p" "any(.late[]; .path == \$p)" "$v.c.json" ||
				{ echo >&2 "$p should be late (frame $prev was merged)"; return 1; }
			else
				jq -e --arg p "$p" "any(.applied[]; .path == \$p) and
					(any(.late[]; .path == \$p) | not)" "$v.c.json" ||
				{ echo >&2 "$p should be applied on time"; return 1; }
			fi
		done &&
		head=$(git -C "$v.c" rev-parse HEAD) &&
		git -C "$v.c" dc merge >"$v.c.out" &&
		grep "^Nothing to merge" "$v.c.out" &&
		test "$(git -C "$v.c" rev-parse HEAD)" = "$head" &&
		vec_check "$v.c"
	'
done

test_done
