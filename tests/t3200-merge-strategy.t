#!/bin/sh
test_description='git merge -s dc: the merge strategy of git-dc

Two primaries, a worker branch, an octopus of eight stream branches and a
criss-cross history merge without a human: the result holds the union of
every side'"'"'s deltas and the canonical files of the projection, byte for
byte those of a repository where the same deltas were merged once, and
git dc check accepts the merge commit. Also: git pull -s dc and
pull.twohead, the exit codes git relies on (1: conflicts left, 2: not
handled, nothing changed), delta paths with other bytes, conflicts in
ordinary files, -X options, cherry-pick and rebase with --strategy=dc.'
. "$(dirname "$0")/lib-dc.sh"

D=state/stream_deltas
CANONICAL=".dc/head.json state/agents.json state/channels.json state/observations.json
state/posted_log.json state/reactions.json state/stats.json state/votes.json"

# delta <frame> <stream> <second> <sections>: commit one delta with git dc delta
delta () {
	dc_delta_json "$1" "$2" "2026-03-28T03:00:$3Z" "$4" | git dc delta - >/dev/null
}

# post <frame> <stream> <second> <number> <author> [<channel>]
post () {
	delta "$1" "$2" "$3" "\"posts_created\": [{\"number\": $4, \"title\": \"P$4\",
	  \"author\": \"$5\", \"channel\": \"${6:-general}\"}], \"observations\": [{\"n\": $4}]"
}

# state_of <repo> <rev>: the canonical files and head.json of a commit
state_of () {
	for f in $CANONICAL
	do
		echo "== $f" &&
		{ git -C "$1" show "$2:$f" 2>/dev/null || echo "(absent)"; }
	done
}

# reference <name> <frame> <repo>...: a clone of main at genesis holding
# every delta of the repositories' HEADs, merged at once up to <frame>;
# prints its state
reference () {
	name=$1 frame=$2 &&
	shift 2 &&
	rm -rf "$name" &&
	git clone -q main "$name" &&
	git -C "$name" reset -q --hard genesis &&
	for repo
	do
		git -C "$repo" archive HEAD "$D" | tar -x -C "$name" || return 1
	done &&
	git -C "$name" add -A "$D" &&
	test_tick &&
	git -C "$name" commit -q -m "every delta" &&
	git -C "$name" dc merge -q --frame "$frame" >/dev/null &&
	state_of "$name" HEAD
}

# deltas_of <repo> <rev>: the delta paths of a commit
deltas_of () {
	git -C "$1" ls-tree -r --name-only "$2" -- "$D"
}

# checked <repo>: git dc check accepts HEAD, and the work tree and the
# index are HEAD
checked () {
	git -C "$1" dc check HEAD >/dev/null &&
	test -z "$(git -C "$1" status --porcelain --untracked-files=no)"
}

test_expect_success 'setup: main, with genesis and a second primary' '
	dc_repo main rappterbook &&
	git -C main tag genesis &&
	git clone -q main p2 &&
	(
		cd main &&
		post 1 alpha 01 1 agent-a &&
		git dc merge -q >/dev/null &&
		post 2 alpha 01 2 agent-a news &&
		git dc merge -q >/dev/null
	) &&
	(
		cd p2 &&
		post 1 beta 02 10 agent-b &&
		git dc merge -q >/dev/null &&
		post 2 beta 00 11 agent-b &&
		delta 2 gamma 03 "\"profile_updates\": [{\"agent\": \"agent-b\", \"field\": \"bio\", \"value\": \"b\"}]" &&
		git dc merge -q >/dev/null
	)
'

test_expect_success 'two primaries: git merge -s dc takes both, as one merge of every delta would' '
	(
		cd main &&
		git fetch -q ../p2 main:p2 &&
		git rev-parse HEAD >../before &&
		test_tick &&
		git merge -s dc -m "merge p2" p2 >../out 2>../err &&
		grep "^dc: 3 new deltas; canonical state recomputed at frame 2" ../out &&
		grep "Merge made by the .dc. strategy" ../out &&
		echo "$(git rev-parse HEAD) $(cat ../before) $(git rev-parse p2)" >../expect &&
		git rev-list --parents -1 HEAD >../actual &&
		test_cmp ../expect ../actual
	) &&
	checked main &&
	{ deltas_of main HEAD^1 && deltas_of p2 HEAD; } | sort -u >expect &&
	deltas_of main HEAD >actual &&
	test_cmp expect actual &&
	reference ref1 2 main p2 >expect &&
	state_of main HEAD >actual &&
	test_cmp expect actual &&
	git -C main dc merge >out &&
	grep "^Nothing to merge" out
'

test_expect_success 'the other way round gives the same state' '
	(
		cd p2 &&
		git fetch -q ../main main:m &&
		test_tick &&
		git merge -q -s dc -m "merge main" m^1 >../out
	) &&
	checked p2 &&
	state_of main HEAD >expect &&
	state_of p2 HEAD >actual &&
	test_cmp expect actual
'

test_expect_success 'git pull -s dc' '
	git clone -q main p3 &&
	(
		cd p3 &&
		git reset -q --hard genesis &&
		post 1 delta 05 20 agent-d &&
		git dc merge -q >/dev/null &&
		test_tick &&
		git pull -q -s dc --no-rebase --no-edit origin main >../out &&
		grep "^dc: " ../out
	) &&
	checked p3 &&
	reference ref3 2 main p3 >expect &&
	state_of p3 HEAD >actual &&
	test_cmp expect actual
'

test_expect_success 'pull.twohead = dc makes git pull use the strategy' '
	git clone -q main p4 &&
	(
		cd p4 &&
		git reset -q --hard genesis &&
		post 1 epsilon 06 30 agent-e &&
		git dc merge -q >/dev/null &&
		git config pull.twohead dc &&
		test_tick &&
		git pull --no-rebase --no-edit origin main >../out &&
		grep "^dc: " ../out &&
		grep "Merge made by the .dc. strategy" ../out
	) &&
	checked p4
'

test_expect_success 'a worker branch: its late delta is folded, the frame stays the merged one' '
	(
		cd main &&
		git checkout -q -b dc/streams/w &&
		post 1 w 09 40 agent-w &&
		post 4 w 09 41 agent-w &&
		git checkout -q main &&
		post 3 alpha 01 3 agent-a &&
		git dc merge -q >/dev/null &&
		test_tick &&
		git merge -s dc -m "merge w" dc/streams/w >../out &&
		grep "^dc: 2 new deltas; canonical state recomputed at frame 3 (.*from genesis)" ../out &&
		jq -e ".frame == 3" .dc/head.json &&
		jq -e "any(.posts[]; .number == 40)" state/posted_log.json &&
		jq -e "all(.posts[]; .number != 41)" state/posted_log.json
	) &&
	checked main &&
	reference ref4 3 main >expect &&
	state_of main HEAD >actual &&
	test_cmp expect actual &&
	git -C main dc merge >out &&
	grep "^Merged frame 4" out
'

test_expect_success 'an octopus of eight stream branches' '
	(
		cd main &&
		for i in 1 2 3 4 5 6 7 8
		do
			git checkout -q -b dc/streams/s$i main &&
			post 5 s$i 1$i $((100 + $i)) agent-$i &&
			if test $(($i % 2)) = 0
			then
				post 2 s$i 2$i $((200 + $i)) agent-$i || return 1
			fi
			git checkout -q main || return 1
		done &&
		echo "eight streams" >>README &&
		test_tick &&
		git commit -q -am "main moves on" &&
		test_tick &&
		git merge -s dc -m octopus dc/streams/s1 dc/streams/s2 dc/streams/s3 \
			dc/streams/s4 dc/streams/s5 dc/streams/s6 dc/streams/s7 dc/streams/s8 >../out &&
		grep "^dc: 12 new deltas; canonical state recomputed at frame 4" ../out &&
		test $(git rev-list --parents -1 HEAD | wc -w) = 10
	) &&
	checked main &&
	reference ref5 4 main >expect &&
	state_of main HEAD >actual &&
	test_cmp expect actual &&
	git -C main dc merge -q >out &&
	grep "^Merged frame 5: 8 deltas applied" out &&
	checked main
'

test_expect_success 'an octopus whose branches conflict in an ordinary file: exit 2, unchanged' '
	(
		cd main &&
		git checkout -q -b oc1 main &&
		echo one >notes.t &&
		git add notes.t &&
		test_tick &&
		git commit -q -m one &&
		git checkout -q -b oc2 main &&
		echo two >notes.t &&
		git add notes.t &&
		test_tick &&
		git commit -q -m two &&
		git checkout -q -b oc main &&
		echo three >other.t &&
		git add other.t &&
		test_tick &&
		git commit -q -m three &&
		dc_snapshot octopus &&
		test_must_fail git merge -s dc -m oc oc1 oc2 >../out 2>../err &&
		grep "^error: an octopus merge needs every step clean, and .notes.t. conflicts" ../err &&
		dc_unchanged octopus &&
		git checkout -q main
	)
'

test_expect_success 'a criss-cross history: two merge bases' '
	git clone -q main x &&
	(
		cd x &&
		git checkout -q -b a &&
		post 6 xa 01 300 agent-x &&
		git dc merge -q >/dev/null &&
		git checkout -q -b b main &&
		post 6 xb 02 301 agent-y &&
		git dc merge -q >/dev/null &&
		git checkout -q a &&
		test_tick &&
		git merge -q -s dc -m "a takes b" b &&
		git checkout -q b &&
		test_tick &&
		git merge -q -s dc -m "b takes a" a^1 &&
		post 7 xb 03 302 agent-y &&
		git dc merge -q >/dev/null &&
		git checkout -q a &&
		post 7 xa 04 303 agent-x &&
		git dc merge -q >/dev/null &&
		test $(git merge-base --all a b | wc -l) = 2 &&
		test_tick &&
		git merge -s dc -m "criss-cross" b >../out &&
		grep "^dc: 1 new delta; canonical state recomputed at frame 7" ../out
	) &&
	checked x &&
	reference ref6 7 x >expect &&
	state_of x HEAD >actual &&
	test_cmp expect actual
'

test_expect_success 'add/add: one delta path with other bytes is a conflict, no markers' '
	(
		cd main &&
		git checkout -q -b aa1 &&
		post 8 zed 01 400 agent-z &&
		git checkout -q -b aa2 main &&
		post 8 zed 02 401 agent-z &&
		git show HEAD:$D/frame-8-zed.json >../ours &&
		test_expect_code 1 git merge -s dc -m aa aa1 >../out 2>../err &&
		grep "^CONFLICT (delta): $D/frame-8-zed.json has other bytes" ../out &&
		grep "^Automatic merge failed" ../out &&
		git ls-files -u >../unmerged &&
		test $(wc -l <../unmerged) = 2 &&
		grep " 2	$D/frame-8-zed.json\$" ../unmerged &&
		grep " 3	$D/frame-8-zed.json\$" ../unmerged &&
		test_cmp ../ours $D/frame-8-zed.json &&
		! git grep -l "^<<<<<<< " &&
		git merge --abort &&
		git checkout -q main
	)
'

test_expect_success 'add/add with the same bytes merges clean' '
	(
		cd main &&
		git checkout -q -b same1 &&
		post 8 yan 01 410 agent-y &&
		git checkout -q -b same2 main &&
		git show same1:$D/frame-8-yan.json | git dc delta - >/dev/null &&
		echo x >x.t &&
		git add x.t &&
		test_tick &&
		git commit -q -m x &&
		test_tick &&
		git merge -q -s dc -m same same1 >../out
	) &&
	checked main &&
	git -C main checkout -q main
'

test_expect_success 'a conflict in an ordinary file: markers there only, the state is merged' '
	(
		cd main &&
		git checkout -q -b ord1 &&
		echo "left" >README &&
		git commit -q -am left &&
		post 6 o1 01 500 agent-o &&
		git dc merge -q >/dev/null &&
		git checkout -q -b ord2 main &&
		echo "right" >README &&
		git commit -q -am right &&
		post 6 o2 02 501 agent-p &&
		git dc merge -q >/dev/null &&
		test_expect_code 1 git merge -s dc -m ord ord1 >../out 2>../err &&
		grep "^CONFLICT (content): Merge conflict in README" ../out &&
		grep "^<<<<<<< HEAD" README &&
		grep "^>>>>>>> ord1" README &&
		git ls-files -u >../unmerged &&
		test $(cut -f2 ../unmerged | sort -u) = README &&
		for f in $CANONICAL
		do
			test -e "$f" || continue
			jq -e . "$f" >/dev/null || return 1
		done &&
		test -z "$(git grep -l "^<<<<<<< " -- state .dc)" &&
		jq -e "[.posts[].number] | contains([500, 501])" state/posted_log.json &&
		echo "both" >README &&
		git add README &&
		test_tick &&
		git commit -q --no-edit
	) &&
	checked main &&
	git -C main checkout -q main
'

test_expect_success '-X ours resolves the ordinary conflict, the state still merged' '
	(
		cd main &&
		git checkout -q -b xo ord2^ &&
		test_tick &&
		git merge -q -s dc -X ours -m xo ord1 >../out &&
		echo right >../expect &&
		test_cmp ../expect README
	) &&
	checked main &&
	git -C main checkout -q main
'

test_expect_success 'the index does not match HEAD: exit 2, nothing changed' '
	(
		cd main &&
		git checkout -q -b staged ord2^ &&
		echo staged >>README &&
		git add README &&
		dc_snapshot staged &&
		test_must_fail git merge -s dc -m s ord1 >../out 2>../err &&
		grep "^error: your index does not match HEAD (.README. is staged)" ../err &&
		grep "Merge with strategy dc failed" ../err ../out &&
		dc_unchanged staged &&
		git reset -q --hard &&
		git checkout -q main
	)
'

test_expect_success 'a local change the merge would overwrite: exit 2, nothing changed' '
	(
		cd main &&
		git checkout -q -b dirty ord2^ &&
		echo "{}" >state/stats.json &&
		dc_snapshot dirty &&
		test_must_fail git merge -s dc -m d ord1 >../out 2>../err &&
		grep "^error: your local changes to .state/stats.json. would be overwritten" ../err &&
		dc_unchanged dirty &&
		git checkout -q -- state
	)
'

test_expect_success 'a local change elsewhere stays, the merge proceeds' '
	(
		cd main &&
		git checkout -q -b el1 main &&
		post 8 el 01 420 agent-e &&
		git checkout -q -b el2 main &&
		echo el >el.t &&
		git add el.t &&
		test_tick &&
		git commit -q -m el &&
		echo "local" >>.gitattributes &&
		test_tick &&
		git merge -q -s dc -m el el1 >../out &&
		tail -n 1 .gitattributes >../actual &&
		echo local >../expect &&
		test_cmp ../expect ../actual &&
		git dc check HEAD &&
		git checkout -q -- .gitattributes &&
		git checkout -q main
	)
'

test_expect_success 'not a dc repository: exit 2, and git goes on to the next strategy' '
	git init -q plain &&
	(
		cd plain &&
		test_commit one a.t &&
		git checkout -q -b other &&
		test_commit two b.t &&
		git checkout -q main &&
		test_commit three c.t &&
		test_must_fail git merge -s dc -m m other >../out 2>../err &&
		grep "^error: HEAD is not a dc commit" ../err &&
		test_tick &&
		git merge -q -s dc -s ort -m m other >../out 2>../err &&
		git rev-parse -q --verify HEAD^2
	)
'

test_expect_success 'cherry-pick --strategy=dc takes the commit, not its history' '
	(
		cd main &&
		git checkout -q -b pick-src main &&
		post 9 pk 01 600 agent-k &&
		post 9 pk2 02 601 agent-k &&
		git checkout -q -b picked main &&
		test_tick &&
		git cherry-pick --strategy=dc pick-src >../out &&
		deltas_of . HEAD >../actual &&
		deltas_of . main >../expect &&
		echo "$D/frame-9-pk2.json" >>../expect &&
		sort ../expect >../expect.sorted &&
		test_cmp ../expect.sorted ../actual &&
		git checkout -q main
	) &&
	git -C main dc check picked >/dev/null
'

test_expect_success 'cherry-pick --strategy=dc of a dc merge commit recomputes the state' '
	(
		cd main &&
		git checkout -q -b pick-merge ord1^ &&
		echo pm >pm.t &&
		git add pm.t &&
		test_tick &&
		git commit -q -m pm &&
		test_tick &&
		git cherry-pick --strategy=dc ord1 >../out &&
		jq -e ".frame == 6" .dc/head.json &&
		git checkout -q main
	) &&
	git -C main dc check pick-merge >/dev/null &&
	state_of main ord1 >expect &&
	state_of main pick-merge >actual &&
	test_cmp expect actual
'

test_expect_success 'rebase -s dc replays a worker onto the new state' '
	(
		cd main &&
		git checkout -q -b rb genesis &&
		post 1 rb 07 700 agent-r &&
		post 2 rb 07 701 agent-r &&
		git rebase -q -s dc main &&
		git rev-list --count main..HEAD >../actual &&
		echo 2 >../expect &&
		test_cmp ../expect ../actual &&
		git dc check main..HEAD >/dev/null &&
		git checkout -q main
	)
'

test_expect_success 'usage and unsupported options' '
	test_expect_code 129 git-merge-dc -h >out &&
	grep "^usage: git-merge-dc" out &&
	test_expect_code 129 git-merge-dc base -- >out 2>err &&
	grep "^usage: git-merge-dc" err &&
	(
		cd main &&
		test_expect_code 2 git-merge-dc --subtree=x HEAD -- HEAD ord1 2>../err
	) &&
	grep "strategy option .subtree=x. is not supported" err &&
	git init -q --bare bare.git &&
	(
		cd bare.git &&
		test_expect_code 2 git-merge-dc -- HEAD HEAD 2>../err
	) &&
	grep "bare repository" err
'

test_done
