#!/bin/sh
test_description='every writing command survives SIGKILL at any instant

Five commands write: git dc merge, git dc delta, git dc push, git dc merge
--fetch --push (a primary) and git dc archive. Each is first run once
without interruption, recording every crash point it passes
(DC_CRASH_TRACE). Then each trial starts from a fresh copy of the same
repositories and kills the command with SIGKILL: at its n-th crash point
(DC_CRASH_AFTER=n: objects written, journal written, a ref moved, each
work-tree file, a push sent, ...), or, in the slow suite, at a seeded
random delay (the whole process group, git children included, as an OOM
kill or a power cut would). Then the same command runs again, and:

 - it succeeds (a lock the dead process left is no obstacle), or fails
   naming the lock and how to clear it, and succeeds once that is done;
 - every repository passes git fsck --strict, and git dc verify;
 - every ref, the work tree and the index are those of the uninterrupted
   run, commit for commit (the dates are fixed), so no delta is lost or
   applied twice;
 - a third run changes nothing.

DC_CRASH_TRIALS (default 20) trials in all, spread over the commands;
`make crash` runs 200 and more. DC_CRASH_SEED picks the instants.'
. "$(dirname "$0")/lib-dc.sh"

TRIALS=${DC_CRASH_TRIALS:-20}
SEED=${DC_CRASH_SEED:-1260}
D=state/stream_deltas
SCENARIOS="merge delta push primary archive"

git dc archive -h >archive.usage 2>&1
grep -q "^usage: git dc archive" archive.usage && test_set_prereq ARCHIVE

# delta <frame> <stream> <minute>: a delta with posts, comments and
# observations (its events are counted after every run)
delta () {
	n=$(( $1 * 100 + ${2#w} ))
	dc_delta_json "$1" "$2" "2026-03-28T03:$3:00Z" "\"posts_created\": [{\"number\": $n, \"title\": \"post $n\", \"author\": \"agent-$2\", \"channel\": \"c$1\"}],
  \"comments_added\": [{\"discussion\": $n, \"author\": \"agent-$2\", \"body\": \"on $n\"}],
  \"observations\": [{\"seen\": $n}, {\"seen\": $n, \"twice\": true}],
  \"profile_updates\": [{\"agent\": \"agent-$2\", \"field\": \"last\", \"value\": $n}]"
}

# commit_deltas <frame>...: in the current repository, one delta per
# stream w1 w2 w3 for each frame, committed without hooks
commit_deltas () {
	mkdir -p $D &&
	for f in "$@"
	do
		for s in w1 w2 w3
		do
			delta $f $s $f$((${s#w} + 1)) >$D/frame-$f-$s.json || return 1
		done
	done &&
	git add $D &&
	test_tick &&
	git commit -q --no-verify -m "deltas of frames $*"
}

# ---- the scenarios: set_up_<name> builds tpl-<name>/; $cmd_<name> is the
# command, run in a copy of it; repos_<name> lists its repositories

# run <scenario> [<var>=<value>...]: the scenario's command in the current
# directory, with that environment and fixed dates (every run of a
# scenario makes the same commits)
run () {
	eval "run_cmd=\$cmd_$1"
	shift
	env GIT_AUTHOR_DATE="1774656000 +0000" GIT_COMMITTER_DATE="1774656000 +0000" "$@" \
		sh -c "$run_cmd"
}

set_up_merge () {
	mkdir tpl-merge &&
	dc_repo tpl-merge/repo rappterbook &&
	(cd tpl-merge/repo && git config core.hooksPath /dev/null && commit_deltas 1 2 3)
}
cmd_merge='git -C repo dc merge -q'
repos_merge () {
	echo repo
}

set_up_delta () {
	mkdir tpl-delta &&
	dc_repo tpl-delta/repo rappterbook &&
	(
		cd tpl-delta/repo &&
		git config core.hooksPath /dev/null &&
		commit_deltas 1 &&
		git dc merge -q
	) &&
	delta 2 w7 20 >tpl-delta/delta-in.json
}
cmd_delta='git -C repo dc delta -q ../delta-in.json'
# a killed worker is cleaned up by git dc worktree prune before it runs
# again (contrib/pump does the same)
recover_delta='git -C repo dc worktree prune -q'
repos_delta () {
	echo repo
}

# the push: worker w1 restarted in a second clone (repo) while its first
# pushed frame 1; repo's frame 2 push takes frame 1 in
set_up_push () {
	mkdir tpl-push &&
	dc_repo tpl-push/genesis rappterbook &&
	git clone -q --bare tpl-push/genesis tpl-push/shared.git &&
	rm -rf tpl-push/genesis &&
	git clone -q tpl-push/shared.git tpl-push/first &&
	git clone -q tpl-push/shared.git tpl-push/repo &&
	(
		cd tpl-push/first &&
		git checkout -q -b dc/streams/w1 &&
		delta 1 w1 10 >in.json &&
		git dc delta -q in.json &&
		git dc push -q
	) &&
	rm -rf tpl-push/first &&
	(
		cd tpl-push/repo &&
		git checkout -q -b dc/streams/w1 &&
		delta 2 w1 20 >../in.json &&
		git dc delta -q ../in.json
	)
}
cmd_push='git -C repo dc push -q'
recover_push=$recover_delta
repos_push () {
	echo repo shared.git
}

# the primary: a bare clone of the shared repository, three workers'
# stream refs holding frames 1 and 2
set_up_primary () {
	mkdir tpl-primary &&
	dc_repo tpl-primary/genesis rappterbook &&
	git clone -q --bare tpl-primary/genesis tpl-primary/shared.git &&
	for s in w1 w2 w3
	do
		git clone -q tpl-primary/shared.git tpl-primary/$s &&
		(
			cd tpl-primary/$s &&
			git checkout -q -b dc/streams/$s &&
			for f in 1 2
			do
				delta $f $s $f${s#w} >../in.json &&
				git dc delta -q ../in.json || return 1
			done &&
			git dc push -q
		) &&
		rm -rf tpl-primary/$s || return 1
	done &&
	git clone -q --bare tpl-primary/shared.git tpl-primary/repo
}
cmd_primary='git -C repo dc merge -q --fetch --push'
repos_primary () {
	echo repo shared.git
}

set_up_archive () {
	mkdir tpl-archive &&
	dc_repo tpl-archive/repo rappterbook &&
	(
		cd tpl-archive/repo &&
		git config core.hooksPath /dev/null &&
		commit_deltas 1 &&
		git dc merge -q &&
		commit_deltas 2 3 &&
		git dc merge -q
	)
}
cmd_archive='git -C repo dc archive -q --before 3'
repos_archive () {
	echo repo
}

# start_trial <scenario> <dir>: a fresh copy of the scenario's repositories,
# remotes pointing at the copy
start_trial () {
	rm -rf "$2" &&
	cp -R "tpl-$1" "$2" &&
	if test -d "$2/shared.git"
	then
		git -C "$2/repo" remote set-url origin "$TRASH_DIRECTORY/$2/shared.git"
	fi
}

# state_of <scenario>: every ref of every repository, the work tree and the
# index (in the current directory, a trial or the reference); a bare
# primary's remote-tracking refs are left out: a cache of the remote its
# push does not update (the remote's own refs are compared)
state_of () {
	for r in $(repos_$1)
	do
		echo "== $r" &&
		if test "$(git -C $r rev-parse --is-bare-repository)" = true
		then
			git -C $r for-each-ref --format="%(refname) %(objectname)" refs/heads refs/tags
		else
			git -C $r for-each-ref --format="%(refname) %(objectname)" |
			grep -v "^refs/remotes/origin/HEAD " &&
			git -C $r ls-files -s &&
			git -C $r status --porcelain --untracked-files=all --ignored
		fi || return 1
	done
}

# check_trial <scenario>: the repositories of the current directory are
# sound and hold what the reference run left
check_trial () {
	for r in $(repos_$1)
	do
		git -C $r fsck --no-progress --strict 2>fsck.err ||
		{ cat fsck.err >&2; return 1; }
		test -e $r/.git/dc-merge.journal && { echo >&2 "journal left in $r"; return 1; }
		test -e $r/dc-merge.journal && { echo >&2 "journal left in $r"; return 1; }
		:
	done &&
	git -C repo dc verify -q &&
	state_of $1 >state.actual &&
	test_cmp "$TRASH_DIRECTORY/ref-$1/state.expect" state.actual
}

# rerun <scenario>: recover (workers: git dc worktree prune) and run the
# command again; if it fails over a lock file a killed git left, it must
# name the file and say to remove it: remove it and run once more
rerun () {
	eval "recover=\${recover_$1-}"
	if test -n "$recover"
	then
		sh -c "$recover" || return 1
	fi
	run $1 >rerun.out 2>rerun.err && return 0
	cat rerun.err >&2
	lock=$(sed -n "s/.*'\([^']*\.lock\)'.*/\1/p" rerun.err | head -n 1)
	test -n "$lock" && grep -q "remove" rerun.err || return 1
	echo >&2 "rerun: removing '$lock' as the message says"
	rm -f "$lock" && run $1
}

for s in $SCENARIOS
do
	prereq=
	test $s = archive && prereq=ARCHIVE
	test_expect_success $prereq "$s: set up, run once uninterrupted, list its crash points" "
		set_up_$s &&
		start_trial $s ref-$s &&
		(
			cd ref-$s &&
			start=\$(date +%s%N) &&
			run $s \"DC_CRASH_TRACE=\$PWD/points\" &&
			end=\$(date +%s%N) &&
			echo \$(( (end - start) / 1000000 )) >ms &&
			test -s points &&
			state_of $s >state.expect &&
			for r in \$(repos_$s)
			do
				git -C \$r fsck --no-progress --strict || return 1
			done &&
			git -C repo dc verify -q &&
			run $s >again.out &&
			state_of $s >state.again &&
			test_cmp state.expect state.again
		)
	"
done

test_expect_success 'the uninterrupted runs applied every event exactly once' '
	git -C ref-merge/repo show HEAD:state/posted_log.json >posts.json &&
	test $(jq ".posts | length" posts.json) = 9 &&
	test $(jq "[.posts[].number] | unique | length" posts.json) = 9 &&
	test $(jq ".comments | length" posts.json) = 9 &&
	git -C ref-merge/repo show HEAD:state/observations.json >obs.json &&
	test $(jq ".observations | length" obs.json) = 18 &&
	git -C ref-primary/repo show HEAD:state/posted_log.json >primary-posts.json &&
	test $(jq ".posts | length" primary-posts.json) = 6 &&
	test "$(git -C ref-primary/repo rev-parse main)" = "$(git -C ref-primary/shared.git rev-parse main)" &&
	git -C ref-push/shared.git cat-file -e dc/streams/w1:$D/frame-1-w1.json &&
	git -C ref-push/shared.git cat-file -e dc/streams/w1:$D/frame-2-w1.json &&
	test -f ref-push/repo/$D/frame-1-w1.json
'

# the plan: trial i goes to scenario i mod S; the k-th trial of a scenario
# with P crash points kills at point 1 + k*(P-1)/(K-1) when it has K <= P
# trials (spread from the first point to the last), else at every point
# once, then at random points and random delays
nscen=0
for s in $SCENARIOS
do
	test -s ref-$s/points && nscen=$((nscen + 1))
done
test $nscen -gt 0 &&
awk -v seed="$SEED" -v n="$TRIALS" 'BEGIN { srand(seed); for (i = 0; i < n; i++) print int(rand() * 1000000) }' >random.list
i=0
k=0
while test $nscen -gt 0 && test $i -lt "$TRIALS"
do
	for s in $SCENARIOS
	do
		test $i -lt "$TRIALS" && test -s ref-$s/points || continue
		p=$(wc -l <ref-$s/points)
		ms=$(cat ref-$s/ms)
		K=$(( TRIALS / nscen + (TRIALS % nscen > 0) ))
		r=$(sed -n "$((i + 1))p" random.list)
		if test $K -le $p
		then
			n=$(( K > 1 ? 1 + k * (p - 1) / (K - 1) : 1 ))
			how=point
		elif test $k -lt $p
		then
			n=$(( k + 1 ))
			how=point
		elif test $((r % 2)) = 0
		then
			n=$(( 1 + r % p ))
			how=point
		else
			n=$(( r % (ms + 20) ))
			how=delay
		fi
		if test $how = point
		then
			what="killed at crash point $n of $p ($(sed -n ${n}p ref-$s/points))"
		else
			what="killed after $n ms (a whole run takes about $ms ms)"
		fi
		test_expect_success "$s #$i: $what; the next run gives the same repositories" "
			start_trial $s trial-$i &&
			(
				cd trial-$i &&
				if test $how = point
				then
					test_expect_code 137 run $s DC_CRASH_AFTER=$n
				else
					setsid env GIT_AUTHOR_DATE=\"1774656000 +0000\" \\
						GIT_COMMITTER_DATE=\"1774656000 +0000\" \\
						sh -c \"\$cmd_$s\" >/dev/null 2>&1 &
					pid=\$! &&
					sleep \$(printf '%d.%03d' \$(($n / 1000)) \$(($n % 1000))) &&
					{ kill -9 -\$pid 2>/dev/null || :; } &&
					{ wait \$pid; :; }
				fi &&
				rerun $s &&
				check_trial $s &&
				run $s >third.out &&
				state_of $s >state.third &&
				test_cmp state.actual state.third
			) &&
			rm -rf trial-$i
		"
		i=$((i + 1))
	done
	k=$((k + 1))
done

test_done
