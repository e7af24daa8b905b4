#!/bin/sh
test_description='the incident: autostash, conflict markers in state/agents.json, 136 agents gone

A worker with an uncommitted edit of state/agents.json runs
`git pull --rebase --autostash` while the primary has merged a frame that
changes the same agent. The branch fast-forwards, git fails to re-apply the
stash, leaves conflict markers in state/agents.json and exits 0; the
worker then runs `git add -A && git commit && git push`. Without the hooks
the markers reach the shared repository and a reader of agents.json finds
no agent at all. With them (git dc init in the clone, git dc init --server
on the remote, served by git daemon), nothing of it happens and not a
byte of the worker'"'"'s edit is lost.'
. "$(dirname "$0")/lib-dc.sh"

AGENTS=136

# agents_json: the genesis state, 136 agents
agents_json () {
	i=1
	echo "{"
	echo "  \"agents\": {"
	while test $i -le $AGENTS
	do
		sep=,
		test $i -eq $AGENTS && sep=
		printf '    "agent-%03d": {\n      "name": "Agent %d",\n      "post_count": 0\n    }%s\n' $i $i $sep
		i=$(($i + 1))
	done
	echo "  }"
	echo "}"
}

# setup_remote <name> <with server side>: srv/<name>.git with a primary
# clone primary-<name> that pushed genesis (136 agents) and frame 1
setup_remote () {
	git init -q --bare srv/$1.git &&
	if test "$2" = yes
	then
		git -C srv/$1.git dc init --server >/dev/null 2>&1
	fi &&
	git clone -q "$(cat url)/$1.git" primary-$1 2>/dev/null &&
	(
		cd primary-$1 &&
		mkdir state &&
		agents_json >state/agents.json &&
		git add state &&
		test_tick &&
		git commit -q -m "genesis: $AGENTS agents" &&
		git dc init --preset rappterbook >/dev/null &&
		git config dc.stream primary &&
		echo "{\"profile_updates\": [{\"agent\": \"agent-007\", \"field\": \"mood\", \"value\": \"calm\"}]}" |
			git dc delta --frame 1 --utc 2026-03-28T03:00:00Z >/dev/null &&
		git dc merge -q >/dev/null &&
		git push -q origin main
	)
}

# primary_next <name>: the primary merges frame 2, which renames agent-007
primary_next () {
	(
		cd primary-$1 &&
		echo "{\"profile_updates\": [{\"agent\": \"agent-007\", \"field\": \"name\", \"value\": \"Bond\"}]}" |
			git dc delta --frame 2 --utc 2026-03-28T03:01:00Z >/dev/null &&
		git dc merge -q >/dev/null &&
		git push -q origin main
	)
}

# edit_by_hand: the worker's uncommitted edit of the same agent, saved
edit_by_hand () {
	sed -i "s/\"name\": \"Agent 7\"/\"name\": \"Agent Seven\"/" state/agents.json &&
	grep -q "Agent Seven" state/agents.json &&
	cp state/agents.json "$TRASH_DIRECTORY/edited-agents.json"
}

# agents_on <name>: how many agents a reader of the remote's main finds
agents_on () {
	git -C "$TRASH_DIRECTORY/srv/$1.git" cat-file blob main:state/agents.json |
		jq ".agents | length" 2>/dev/null || echo 0
}

test_expect_success 'setup: git daemon serving the shared repositories' '
	mkdir srv &&
	git init -q --bare srv/probe.git &&
	dc_start_daemon "$TRASH_DIRECTORY/srv" probe.git &&
	echo "$DC_DAEMON_URL" >url
'

test_expect_success 'hooks off: the markers reach the remote and the agents vanish' '
	setup_remote off no &&
	test "$(agents_on off)" = $AGENTS &&
	git clone -q "$(cat url)/off.git" worker-off &&
	primary_next off &&
	(
		cd worker-off &&
		edit_by_hand &&
		git pull --rebase --autostash >../out 2>../err &&
		grep "Applying autostash resulted in conflicts" ../out ../err &&
		grep "^<<<<<<< " state/agents.json &&
		git add -A &&
		git commit -q -m "worker: sync" &&
		git push -q origin main
	) &&
	git -C srv/off.git cat-file blob main:state/agents.json >published &&
	grep "^<<<<<<< " published &&
	test "$(agents_on off)" = 0
'

test_expect_success 'hooks on: the pull keeps the edit out of the state, nothing is lost' '
	setup_remote on yes &&
	git clone -q "$(cat url)/on.git" worker-on &&
	git -C worker-on dc init >/dev/null &&
	primary_next on &&
	(
		cd worker-on &&
		edit_by_hand &&
		git pull --rebase --autostash >../out 2>../err &&
		grep "^warning: git-dc: autostash is never used in a dc repository" ../err &&
		! grep "^<<<<<<< " state/agents.json &&
		git show stash@{0}:state/agents.json >../kept &&
		test_cmp "$TRASH_DIRECTORY/edited-agents.json" ../kept &&
		git add -A &&
		test_must_fail git commit -q -m "worker: sync" &&
		git push -q origin main
	) &&
	test "$(agents_on on)" = $AGENTS &&
	git -C srv/on.git cat-file blob main:state/agents.json | jq -e ".agents[\"agent-007\"].name == \"Bond\""
'

test_expect_success 'hooks on: markers brought back by hand are stopped at every layer' '
	(
		cd worker-on &&
		# the edit brought back with a text merge (git merge-file runs no
		# merge driver), as a hurried hand would
		git show stash@{0}:state/agents.json >../mine &&
		git show stash@{0}^1:state/agents.json >../base &&
		test_expect_code 1 git merge-file ../mine ../base state/agents.json &&
		cp ../mine state/agents.json &&
		grep "^<<<<<<< " state/agents.json &&
		git add -A &&

		# pre-commit
		test_must_fail git commit -q -m "worker: sync" 2>../err &&
		grep "^error: '"'"'state/agents.json'"'"' holds conflict markers" ../err &&

		# pre-push
		git commit -q --no-verify -m "worker: sync" &&
		test_must_fail git push -q origin main 2>../err &&
		grep "^error: git-dc'"'"'s pre-push hook refused the push" ../err &&

		# pre-receive, on the server
		test_must_fail git push -q --no-verify origin main 2>../err &&
		grep "^remote: error: commit [0-9a-f]\{12\}: '"'"'state/agents.json'"'"' holds conflict markers" ../err &&
		grep "(pre-receive hook declined)" ../err
	) &&
	test "$(agents_on on)" = $AGENTS
'

test_done
