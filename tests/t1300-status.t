#!/bin/sh
test_description='git dc status: merged frame, pending, late and quarantined deltas, rules'
. "$(dirname "$0")/lib-dc.sh"

# Scratch files live in the trash directory, above the repositories.

D=state/stream_deltas
SQ="'"

# commit_delta <name>: write stdin to the delta directory as <name>, commit it
commit_delta () {
	mkdir -p "$D" &&
	cat >"$D/$1" &&
	dc_commit_file "$D/$1" "delta $1"
}

# rules_line: the first line of the human status in the current repository
rules_line () {
	echo "On refs/heads/main, rules .dc/rules.json (blob $(git rev-parse HEAD:.dc/rules.json | cut -c1-12)), deltas in state/stream_deltas (${1:-flat} layout)"
}

test_expect_success 'setup' '
	dc_repo st rappterbook
'

test_expect_success 'a repository never merged, with no delta' '
	(
		cd st &&
		git dc status >../out 2>../err &&
		test_must_be_empty ../err &&
		{
			rules_line &&
			echo "Never merged" &&
			echo "No pending deltas"
		} >../expect &&
		test_cmp ../expect ../out
	)
'

test_expect_success 'status --json of a repository never merged' '
	(
		cd st &&
		git dc status --json >../out.json &&
		jq -c "[.version, .command, .branch, .head, .frame, .applied, .pending, .quarantined]" \
			../out.json >../actual &&
		echo "[1,\"status\",\"refs/heads/main\",\"$(git rev-parse HEAD)\",null,0,[],[]]" >../expect &&
		test_cmp ../expect ../actual &&
		jq -c ".rules" ../out.json >../actual &&
		cat >../expect <<-EOF &&
		{"path":".dc/rules.json","blob":"$(git rev-parse HEAD:.dc/rules.json)","deltas":"state/stream_deltas","layout":"flat","sections":["posts_created","comments_added","reactions_added","votes","observations","profile_updates","books","stream_type","agents_activated","discussions_engaged","soul_files_updated"]}
		EOF
		test_cmp ../expect ../actual
	)
'

test_expect_success 'setup: deltas of two frames and streams, one of them bad' '
	(
		cd st &&
		dc_delta_json 1 alpha 2026-03-28T03:00:01Z "\"posts_created\": [{\"number\": 1}]" |
		commit_delta frame-1-alpha.json &&
		dc_delta_json 1 beta 2026-03-28T03:00:00Z "\"posts_created\": [{\"number\": 2}]" |
		commit_delta frame-1-beta.json &&
		dc_delta_json 2 alpha 2026-03-28T03:30:00.125Z "\"observations\": [{\"n\": 1}]" |
		commit_delta frame-2-alpha.json &&
		printf "{\"frame\": 2, \"stream_id\": \"broken\", \"utc\": " >$D/frame-2-broken.json &&
		dc_commit_file $D/frame-2-broken.json "a truncated delta"
	)
'

test_expect_success 'pending deltas are listed per frame and stream; status writes nothing' '
	(
		cd st &&
		dc_snapshot status &&
		git dc status >../out &&
		dc_unchanged status &&
		{
			rules_line &&
			cat <<-EOF
			Never merged

			Pending deltas (3):
			  frame 1      alpha                    state/stream_deltas/frame-1-alpha.json
			  frame 1      beta                     state/stream_deltas/frame-1-beta.json
			  frame 2      alpha                    state/stream_deltas/frame-2-alpha.json

			Quarantined deltas (1), never applied:
			  state/stream_deltas/frame-2-broken.json: invalid JSON: line 1, column 44: unexpected end of input
			EOF
		} >../expect &&
		test_cmp ../expect ../out
	)
'

test_expect_success 'after merge --frame 1: the merged frame, what is left, the quarantine' '
	(
		cd st &&
		git dc merge --frame 1 >/dev/null &&
		git dc status >../out &&
		{
			rules_line &&
			cat <<-EOF
			Merged up to frame 1 (2 deltas)

			Pending deltas (1):
			  frame 2      alpha                    state/stream_deltas/frame-2-alpha.json

			Quarantined deltas (1), never applied:
			  state/stream_deltas/frame-2-broken.json: invalid JSON: line 1, column 44: unexpected end of input
			EOF
		} >../expect &&
		test_cmp ../expect ../out
	)
'

test_expect_success 'a delta of a merged frame is marked late' '
	(
		cd st &&
		dc_delta_json 1 gamma 2026-03-28T02:00:00Z "\"posts_created\": [{\"number\": 3}]" |
		commit_delta frame-1-gamma.json &&
		printf "{\"frame\": 1}\n" >$D/frame-1-x.y.json &&
		printf "odd\n" >$D/README &&
		git add $D &&
		test_tick &&
		git commit -q --no-verify -m "two more bad entries" &&
		git dc status >../out &&
		{
			rules_line &&
			cat <<-EOF
			Merged up to frame 1 (2 deltas)

			Pending deltas (2):
			  frame 1      gamma                    state/stream_deltas/frame-1-gamma.json (late)
			  frame 2      alpha                    state/stream_deltas/frame-2-alpha.json

			Quarantined deltas (3), never applied:
			  state/stream_deltas/README: not a delta path: expected frame-<frame>-<stream>.json or frame-<frame>/<stream>.json
			  state/stream_deltas/frame-1-x.y.json: ${SQ}stream_id${SQ} is missing
			  state/stream_deltas/frame-2-broken.json: invalid JSON: line 1, column 44: unexpected end of input
			EOF
		} >../expect &&
		test_cmp ../expect ../out
	)
'

test_expect_success 'status --json: frame, applied, pending with late, quarantined with reasons' '
	(
		cd st &&
		git dc status --json >../out.json &&
		jq -r "\"frame=\(.frame) applied=\(.applied) head=\(.head)\",
			(.pending[] | \"pending \(.path) \(.frame) \(.stream) \(.utc) late=\(.late)\"),
			(.quarantined[] | \"quarantined \(.path) \(.frame) \(.stream): \(.reason)\")" \
			../out.json >../actual &&
		cat >../expect <<-EOF &&
		frame=1 applied=2 head=$(git rev-parse HEAD)
		pending state/stream_deltas/frame-1-gamma.json 1 gamma 2026-03-28T02:00:00Z late=true
		pending state/stream_deltas/frame-2-alpha.json 2 alpha 2026-03-28T03:30:00.125Z late=false
		quarantined state/stream_deltas/README null null: not a delta path: expected frame-<frame>-<stream>.json or frame-<frame>/<stream>.json
		quarantined state/stream_deltas/frame-1-x.y.json 1 x.y: ${SQ}stream_id${SQ} is missing
		quarantined state/stream_deltas/frame-2-broken.json 2 broken: invalid JSON: line 1, column 44: unexpected end of input
		EOF
		test_cmp ../expect ../actual
	)
'

test_expect_success 'after the full merge: nothing pending, the quarantine still shown' '
	(
		cd st &&
		git dc merge >/dev/null &&
		git dc status >../out &&
		{
			rules_line &&
			cat <<-EOF
			Merged up to frame 2 (4 deltas)
			No pending deltas

			Quarantined deltas (3), never applied:
			  state/stream_deltas/README: not a delta path: expected frame-<frame>-<stream>.json or frame-<frame>/<stream>.json
			  state/stream_deltas/frame-1-x.y.json: ${SQ}stream_id${SQ} is missing
			  state/stream_deltas/frame-2-broken.json: invalid JSON: line 1, column 44: unexpected end of input
			EOF
		} >../expect &&
		test_cmp ../expect ../out &&
		git dc status --json >../out.json &&
		jq -c "[.frame, .applied, .pending, (.quarantined | length)]" ../out.json >../actual &&
		echo "[2,4,[],3]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'status shows the committed rules: blob and layout' '
	(
		cd st &&
		jq ".layout = \"by-frame\"" .dc/rules.json >../rules.json &&
		cp ../rules.json .dc/rules.json &&
		git add .dc/rules.json &&
		test_tick &&
		git commit -q -m "rules: by-frame layout" &&
		mkdir -p $D/frame-3 &&
		dc_delta_json 3 delta 2026-03-28T04:00:00Z "\"observations\": [{\"n\": 3}]" >$D/frame-3/delta.json &&
		dc_commit_file $D/frame-3/delta.json "a by-frame delta" &&
		git dc status >../out &&
		head -n 4 ../out >../actual &&
		{
			rules_line by-frame &&
			cat <<-EOF
			Merged up to frame 2 (4 deltas)

			Pending deltas (1):
			EOF
		} >../expect &&
		test_cmp ../expect ../actual &&
		grep "^  frame 3      delta                    state/stream_deltas/frame-3/delta.json\$" ../out &&
		git dc status --json >../out.json &&
		jq -r ".rules.blob, .rules.layout" ../out.json >../actual &&
		git rev-parse HEAD:.dc/rules.json >../expect &&
		echo by-frame >>../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'status in a bare repository' '
	git clone -q --bare st bare.git &&
	git --git-dir=bare.git dc status --json >out.json &&
	jq -c "[.branch, .frame, .applied, (.pending | map(.path)), (.quarantined | length)]" out.json >actual &&
	echo "[\"refs/heads/main\",2,4,[\"state/stream_deltas/frame-3/delta.json\"],3]" >expect &&
	test_cmp expect actual
'

test_expect_success 'the bytes of an applied delta at its other-layout path are not pending' '
	dc_repo copy &&
	(
		cd copy &&
		mkdir -p $D &&
		dc_delta_json 1 a 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" >$D/frame-1-a.json &&
		dc_commit_file $D/frame-1-a.json "a delta" &&
		git dc merge -q >/dev/null &&
		mkdir -p $D/frame-1 &&
		cp $D/frame-1-a.json $D/frame-1/a.json &&
		dc_commit_file $D/frame-1/a.json "the same bytes, by frame" &&
		git dc merge >../out &&
		grep "^Nothing to merge: frame 1 is up to date\$" ../out &&
		git dc status >../out &&
		grep "^No pending deltas\$" ../out &&
		git dc status --json >../out.json &&
		jq -c ".pending" ../out.json >../actual &&
		echo "[]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'status outside a dc repository: exit 1 with a pointer to init' '
	git init -q plain &&
	(
		cd plain &&
		test_commit first &&
		dc_snapshot plain &&
		test_expect_code 1 git dc status >../out 2>../err &&
		test_must_be_empty ../out &&
		cat >../expect <<-EOF &&
		error: not a dc repository: ${SQ}.dc/rules.json${SQ} is not in the commit
		hint: run ${SQ}git dc init${SQ} to start one
		EOF
		test_cmp ../expect ../err &&
		test_expect_code 1 git dc status --json >../out.json 2>/dev/null &&
		jq -c "[.command, .error.kind, .error.exit_code]" ../out.json >../actual &&
		dc_unchanged plain &&
		echo "[\"status\",\"refused\",1]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_done
