# git-dc's sharness extension: what Debian's sharness 1.0.0 lacks and the
# tests share. Loaded by sharness itself from tests/sharness.d/.

# test_tick: advance the fixed clock by 60 s, as git's test-lib does.
test_tick () {
	if test -z "${test_tick+set}"
	then
		test_tick=1112911993
	else
		test_tick=$(($test_tick + 60))
	fi
	GIT_COMMITTER_DATE="$test_tick -0700"
	GIT_AUTHOR_DATE="$test_tick -0700"
	export GIT_COMMITTER_DATE GIT_AUTHOR_DATE
}

# test_commit <message> [<file> [<contents>]]: commit one file, tagless.
test_commit () {
	file=${2:-"$1.t"}
	mkdir -p "$(dirname "$file")" &&
	printf '%s\n' "${3-$1}" >"$file" &&
	git add -- "$file" &&
	test_tick &&
	git commit -q -m "$1"
}

# write_script <file> [<interpreter>] <<-\EOF ... EOF
write_script () {
	{
		echo "#!${2-/bin/sh}" &&
		cat
	} >"$1" &&
	chmod +x "$1"
}

# test_must_fail <cmd>: fails unless <cmd> failed in a controlled way (an
# exit code git-dc uses: 1-125, 128 or 129). 126 (valgrind's error code,
# or not executable), 127 (not found) and signals are failures.
test_must_fail () {
	"$@"
	exit_code=$?
	case $exit_code in
	0)
		echo >&2 "test_must_fail: command succeeded: $*"
		return 1 ;;
	126|127)
		echo >&2 "test_must_fail: cannot run ($exit_code): $*"
		return 1 ;;
	13[0-9]|1[4-8][0-9]|19[0-2])
		echo >&2 "test_must_fail: died by signal $(($exit_code - 128)): $*"
		return 1 ;;
	esac
	return 0
}

# test_expect_code <code> <cmd>: <cmd> exits with exactly <code>.
test_expect_code () {
	want_code=$1
	shift
	"$@"
	exit_code=$?
	if test $exit_code = "$want_code"
	then
		return 0
	fi
	echo >&2 "test_expect_code: command exited with $exit_code, we wanted $want_code: $*"
	return 1
}

# dc_repo <dir> [<preset>]: a fresh repository with a first commit, made a
# dc repository by `git dc init` (preset minimal unless given).
dc_repo () {
	git init -q "$1" &&
	(
		cd "$1" &&
		test_commit first README "a dc repository" &&
		test_tick &&
		git dc init --preset "${2:-minimal}" >/dev/null
	)
}

# dc_snapshot <name>: record HEAD, every ref, the index and the work tree of
# the repository in the current directory; dc_unchanged <name> then proves
# that nothing of it changed (and that no file appeared or vanished).
dc_snapshot () {
	{
		git for-each-ref --format='%(refname) %(objectname)' &&
		{ git rev-parse -q --verify HEAD || echo "HEAD unborn"; } &&
		if test "$(git rev-parse --is-bare-repository)" = false
		then
			git ls-files -s &&
			git status --porcelain=v1 --untracked-files=all &&
			find . -path ./.git -prune -o -type f -print | LC_ALL=C sort |
				while read -r f; do git hash-object --no-filters "$f" | sed "s|\$| $f|"; done
		fi
	} >"$TRASH_DIRECTORY/.snapshot-$1"
}

dc_unchanged () {
	mv "$TRASH_DIRECTORY/.snapshot-$1" "$TRASH_DIRECTORY/.snapshot-$1.before" &&
	dc_snapshot "$1" &&
	test_cmp "$TRASH_DIRECTORY/.snapshot-$1.before" "$TRASH_DIRECTORY/.snapshot-$1"
}

# dc_delta_file <frame> <stream> [<utc>] [<sections json>]: print a delta.
dc_delta_json () {
	printf '{\n  "frame": %s,\n  "stream_id": "%s",\n  "utc": "%s"%s\n}\n' \
		"$1" "$2" "${3:-2026-03-28T03:00:00Z}" "${4:+,
  $4}"
}

# dc_commit_file <path> <message>: commit a file written by hand (bypassing
# git dc), as a worker or a fetched branch would bring it. --no-verify: the
# hooks `git dc init` installs would refuse what these commits bring on
# purpose (tests/t2*.t test the hooks).
dc_commit_file () {
	git add -- "$1" &&
	test_tick &&
	git commit -q --no-verify -m "$2"
}

# dc_commit_delta <frame> <stream> <second> <sections>: write and commit
# state/stream_deltas/frame-<frame>-<stream>.json, at utc
# 2026-01-01T00:<frame>:<second>Z, with the sections given (JSON members)
dc_commit_delta () {
	mkdir -p state/stream_deltas &&
	printf "{\"frame\": %s, \"stream_id\": \"%s\", \"utc\": \"2026-01-01T00:%02d:%02dZ\", %s}\n" \
		"$1" "$2" "$1" "$3" "$4" >"state/stream_deltas/frame-$1-$2.json" &&
	dc_commit_file "state/stream_deltas/frame-$1-$2.json" "delta $1 $2"
}

# dc_commit_genesis: in a repository holding .dc/rules.json and state/,
# commit both as its genesis, make it a dc repository with those rules,
# and turn its hooks off (the tests commit deltas with plain git).
dc_commit_genesis () {
	git add .dc state &&
	test_tick &&
	git commit -q -m genesis &&
	git dc init -q &&
	git config core.hooksPath /dev/null
}

# dc_twin <repository> <twin>: a clone of <repository> that merges the
# same deltas under the same identity, hooks off as in <repository>: what
# a twin-clone test compares trees against.
dc_twin () {
	git clone -q "$1" "$2" &&
	git -C "$2" config core.hooksPath /dev/null &&
	git -C "$2" config user.name "$(git -C "$1" config user.name || echo t)" &&
	git -C "$2" config user.email "$(git -C "$1" config user.email || echo t@t)"
}

# dc_both <frame> <stream> <second> <sections>: dc_commit_delta in the
# twin clones ./main and ./twin alike
dc_both () {
	(cd main && dc_commit_delta "$@") &&
	(cd twin && dc_commit_delta "$@")
}

# dc_merge_twins [<merge option>...]: merge ./main with the summaries
# (DC_TRACE_PERFORMANCE's trace in main/trace) and ./twin without
# (DC_SEGMENT_SUMMARIES=0); their trees must be the same
dc_merge_twins () {
	(cd main && DC_TRACE_PERFORMANCE=1 git dc merge -q "$@" 2>trace) &&
	(cd twin && DC_SEGMENT_SUMMARIES=0 git dc merge -q "$@") &&
	git -C main rev-parse HEAD^{tree} >main.tree &&
	git -C twin rev-parse HEAD^{tree} >twin.tree &&
	test_cmp main.tree twin.tree
}

# dc_start_daemon <base path> <repository>: serve the repositories under
# <base path> with `git daemon` on 127.0.0.1 (receive-pack on, so a push
# runs the server's hooks as on a real server) and set DC_DAEMON_URL. The
# port is tried from a range until one is free and <repository> answers
# from our daemon; every wait is bounded. Stopped by dc_stop_daemon, which
# the script's final cleanup and its exit run.
dc_start_daemon () {
	dc_daemon_pid=$TRASH_DIRECTORY/git-daemon.pid
	cleanup dc_stop_daemon
	trap 'dc_stop_daemon; die' EXIT
	dc_port=$((20000 + $$ % 20000))
	dc_tries=0
	while test $dc_tries -lt 20
	do
		rm -f "$dc_daemon_pid"
		git daemon --reuseaddr --base-path="$1" --export-all --enable=receive-pack \
			--port=$dc_port --listen=127.0.0.1 --detach --pid-file="$dc_daemon_pid" &&
		dc_waited=0 &&
		while test $dc_waited -lt 50
		do
			if test -s "$dc_daemon_pid" && ! kill -0 "$(cat "$dc_daemon_pid")" 2>/dev/null
			then
				break	# it could not listen: the port is taken
			fi
			if test -s "$dc_daemon_pid" &&
			   git ls-remote "git://127.0.0.1:$dc_port/$2" >/dev/null 2>&1 &&
			   kill -0 "$(cat "$dc_daemon_pid")" 2>/dev/null
			then
				DC_DAEMON_URL=git://127.0.0.1:$dc_port
				return 0
			fi
			sleep 0.1
			dc_waited=$(($dc_waited + 1))
		done
		dc_stop_daemon
		dc_port=$(($dc_port + 7))
		dc_tries=$(($dc_tries + 1))
	done
	echo >&2 "dc_start_daemon: no free port found"
	return 1
}

dc_stop_daemon () {
	if test -n "$dc_daemon_pid" && test -s "$dc_daemon_pid"
	then
		kill "$(cat "$dc_daemon_pid")" 2>/dev/null
	fi
	rm -f "$dc_daemon_pid"
	return 0
}

TRASH_DIRECTORY=$SHARNESS_TRASH_DIRECTORY
export TRASH_DIRECTORY
