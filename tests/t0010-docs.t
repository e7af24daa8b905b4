#!/bin/sh
test_description='Documentation/git-dc.adoc agrees with git dc

The SYNOPSIS holds exactly the usage lines of every command, and every
block of EXAMPLES is marked runnable, runs in a throwaway directory and
prints what the page shows (commit and blob ids aside).'
. "$(dirname "$0")/lib-dc.sh"

DOC=$DC_SOURCE_DIR/Documentation/git-dc.adoc

# the commands, as `git dc -h` lists them
test_expect_code 129 git dc -h >help
commands=$(sed -n 's/^   \([a-z][a-z0-9-]*\) .*/\1/p' help)

# the lines of the [verse] block of SYNOPSIS
sed -n '/^== SYNOPSIS$/,/^== /p' "$DOC" 2>/dev/null |
	sed -n '/^\[verse\]$/,/^$/p' | sed '1d;/^$/d' >synopsis

test_expect_success 'git dc -h lists the commands and the page has a SYNOPSIS' '
	test -n "$commands" &&
	test -s synopsis
'

for cmd in $commands
do
	test_expect_success "SYNOPSIS of '$cmd' is the usage of 'git dc $cmd -h'" "
		test_expect_code 129 git dc $cmd -h >usage-$cmd &&
		sed -n 's/^usage: //p; s/^   or: //p' usage-$cmd >expect-$cmd &&
		test -s expect-$cmd &&
		awk '\$1 == \"git\" && \$2 == \"dc\" && \$3 == \"$cmd\"' synopsis >synopsis-$cmd &&
		test_cmp expect-$cmd synopsis-$cmd
	"
done

test_expect_success 'SYNOPSIS holds no other line' '
	for cmd in $commands
	do
		sed -n "s/^usage: //p; s/^   or: //p" usage-$cmd || return 1
	done >expect &&
	test_cmp expect synopsis
'

# Split the ---- blocks of EXAMPLES: example-<n>.sh gets the commands
# ("$ " lines, "> " continues one), example-<n>.out what the page shows
# they print; unmarked lists the blocks without a "// runnable" line just
# before them.
awk '
	/^== / { in_ex = ($0 == "== EXAMPLES"); next }
	!in_ex { next }
	!inblock && $0 == "// runnable" { armed = 1; next }
	$0 == "----" {
		if (inblock) {
			inblock = 0
			close(sh); close(out)
			next
		}
		n++
		if (!armed)
			print n >"unmarked"
		armed = 0
		inblock = 1
		sh = "example-" n ".sh"; out = "example-" n ".out"
		printf "" >sh; printf "" >out
		next
	}
	inblock && /^\$ / { print substr($0, 3) >sh; next }
	inblock && /^> / { print substr($0, 3) >sh; next }
	inblock { print >out; next }
	NF { armed = 0 }
	END { print n + 0 >"examples" }
' "$DOC" 2>/dev/null
touch unmarked examples

# object ids differ from run to run (dates): compare them as <id>
mask_ids () {
	sed 's/[0-9a-f]\{40\}/<id>/g; s/[0-9a-f]\{12\}/<id>/g' "$1"
}

test_expect_success 'EXAMPLES has runnable examples, and nothing else' '
	test "$(cat examples)" -gt 0 &&
	test_must_be_empty unmarked
'

i=1
while test "$i" -le "$(cat examples)"
do
	test_expect_success "example $i runs as shown" "
		mkdir ex-$i &&
		(cd ex-$i && sh -e ../example-$i.sh >../actual-$i 2>&1) ||
		{ cat actual-$i; false; }
	"
	test_expect_success "example $i prints what the page shows" "
		mask_ids example-$i.out >expect-out-$i &&
		mask_ids actual-$i >actual-out-$i &&
		test_cmp expect-out-$i actual-out-$i
	"
	i=$((i + 1))
done

test_done
