#!/bin/sh
test_description='git dc merge: the fold of committed deltas into canonical files'
. "$(dirname "$0")/lib-dc.sh"

# Scratch files (out, err, expect, actual) live in the trash directory, one
# level above the repositories, so that they never show in a snapshot.

D=state/stream_deltas
SQ="'"

# commit_delta <name>: write stdin to the delta directory as <name> and
# commit it by hand, the way a fetched worker branch brings a delta
commit_delta () {
	mkdir -p "$D" &&
	cat >"$D/$1" &&
	dc_commit_file "$D/$1" "delta $1"
}

# commit_copy <dir> <name>: commit a copy of <dir>/<name> as a delta
commit_copy () {
	mkdir -p "$D" &&
	cp "$1/$2" "$D/$2" &&
	dc_commit_file "$D/$2" "delta $2"
}

# short_head [<git option>...]: the abbreviated commit id git dc merge prints
short_head () {
	git "$@" rev-parse HEAD | cut -c1-12
}

# canonical <repo>: print every canonical file and .dc/head.json of the
# last commit of <repo>, each under its name
canonical () {
	for f in .dc/head.json state/agents.json state/channels.json \
		state/observations.json state/posted_log.json state/reactions.json \
		state/stats.json state/votes.json
	do
		echo "== $f" &&
		{ git -C "$1" show "HEAD:$f" 2>/dev/null || echo "(absent)"; }
	done
}

test_expect_success 'setup: a rappterbook repository, three streams over two frames' '
	dc_repo main rappterbook &&
	(
		cd main &&
		commit_delta frame-1-alpha.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "alpha",
		  "utc": "2026-03-28T03:00:02Z",
		  "posts_created": [
		    {"number": 1, "title": "Hello", "author": "agent-a", "channel": "general"}
		  ],
		  "comments_added": [
		    {"discussion": 1, "author": "agent-b", "body": "first!"}
		  ]
		}
		EOF
		commit_delta frame-1-beta.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "beta",
		  "utc": "2026-03-28T03:00:01Z",
		  "posts_created": [
		    {"number": 2, "title": "Second", "author": "agent-b", "channel": "general"}
		  ],
		  "profile_updates": [
		    {"agent": "agent-a", "field": "bio", "value": "writer"}
		  ]
		}
		EOF
		commit_delta frame-2-gamma.json <<-\EOF
		{
		  "frame": 2,
		  "stream_id": "gamma",
		  "utc": "2026-03-28T02:00:00Z",
		  "reactions_added": [
		    {"discussion": 1, "agent": "agent-c", "reaction": "HEART"}
		  ],
		  "observations": [
		    {"note": "quiet frame"}
		  ],
		  "posts_created": [
		    {"number": 3, "title": "Third", "author": "agent-a", "channel": "news"}
		  ]
		}
		EOF
	)
'

test_expect_success 'merge folds both frames in (frame, utc, stream) order and commits once' '
	(
		cd main &&
		git rev-parse HEAD >../parent &&
		git dc merge >../out 2>../err &&
		test_must_be_empty ../err &&
		cat >../expect <<-EOF &&
		Merged frame 2: 3 deltas applied (0 late), 7 events, 0 deltas quarantined: $(short_head)
		EOF
		test_cmp ../expect ../out &&
		git rev-list --parents -1 HEAD >../actual &&
		echo "$(git rev-parse HEAD) $(cat ../parent)" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'the canonical files hold every event, new elements last' '
	cat >expect <<-\EOF &&
	{
	  "posts": [
	    {
	      "number": 2,
	      "title": "Second",
	      "author": "agent-b",
	      "channel": "general"
	    },
	    {
	      "number": 1,
	      "title": "Hello",
	      "author": "agent-a",
	      "channel": "general"
	    },
	    {
	      "number": 3,
	      "title": "Third",
	      "author": "agent-a",
	      "channel": "news"
	    }
	  ],
	  "comments": [
	    {
	      "discussion": 1,
	      "author": "agent-b",
	      "body": "first!"
	    }
	  ]
	}
	EOF
	test_cmp expect main/state/posted_log.json &&
	cat >expect <<-\EOF &&
	{
	  "agents": {
	    "agent-a": {
	      "bio": "writer",
	      "post_count": 2
	    },
	    "agent-b": {
	      "post_count": 1
	    }
	  }
	}
	EOF
	test_cmp expect main/state/agents.json &&
	cat >expect <<-\EOF &&
	{
	  "channels": {
	    "general": {
	      "post_count": 2
	    },
	    "news": {
	      "post_count": 1
	    }
	  }
	}
	EOF
	test_cmp expect main/state/channels.json &&
	cat >expect <<-\EOF &&
	{
	  "total_posts": 3,
	  "total_comments": 1
	}
	EOF
	test_cmp expect main/state/stats.json &&
	cat >expect <<-\EOF &&
	{
	  "reactions": [
	    {
	      "discussion": 1,
	      "agent": "agent-c",
	      "reaction": "HEART"
	    }
	  ]
	}
	EOF
	test_cmp expect main/state/reactions.json &&
	cat >expect <<-\EOF &&
	{
	  "observations": [
	    {
	      "note": "quiet frame"
	    }
	  ]
	}
	EOF
	test_cmp expect main/state/observations.json &&
	! test -e main/state/votes.json
'

test_expect_success 'the merge commit message carries the Dc-* trailers' '
	cat >expect <<-\EOF &&
	dc: merge frame 2

	Dc-Frame: 2
	Dc-Deltas: 3
	Dc-Quarantined: 0

	EOF
	git -C main log -1 --format=%B >actual &&
	test_cmp expect actual &&
	git -C main log -1 --format="%(trailers:key=Dc-Frame,valueonly,separator=)" >actual &&
	echo 2 >expect &&
	test_cmp expect actual
'

test_expect_success 'the merge commit changes exactly the files the fold wrote' '
	cat >expect <<-\EOF &&
	A	.dc/head.json
	A	state/agents.json
	A	state/channels.json
	A	state/observations.json
	A	state/posted_log.json
	A	state/reactions.json
	A	state/stats.json
	EOF
	git -C main diff --name-status HEAD^ HEAD >actual &&
	test_cmp expect actual
'

test_expect_success '.dc/head.json records frame, genesis, rules, delta tree, last delta and what the counts changed' '
	(
		cd main &&
		genesis=$(git rev-list --reverse HEAD | sed -n 2p) &&
		rules=$(git rev-parse HEAD:.dc/rules.json) &&
		dtree=$(git rev-parse HEAD:state/stream_deltas) &&
		gamma=$(git rev-parse HEAD:state/stream_deltas/frame-2-gamma.json) &&
		cat >../expect <<-EOF &&
		{
		  "version": 1,
		  "frame": 2,
		  "genesis": "$genesis",
		  "rules": "$rules",
		  "deltas_tree": "$dtree",
		  "last": {
		    "frame": 2,
		    "utc": "2026-03-28T02:00:00Z",
		    "stream": "gamma",
		    "blob": "$gamma"
		  },
		  "applied": 3,
		  "quarantined": [],
		  "derived": [
		    {
		      "file": "state/stats.json"
		    },
		    {
		      "file": "state/stats.json",
		      "at": "/total_posts"
		    },
		    {
		      "file": "state/stats.json",
		      "at": "/total_comments"
		    },
		    {
		      "file": "state/agents.json",
		      "at": "/agents/agent-a/post_count"
		    },
		    {
		      "file": "state/agents.json",
		      "at": "/agents/agent-b"
		    },
		    {
		      "file": "state/channels.json"
		    },
		    {
		      "file": "state/channels.json",
		      "at": "/channels"
		    },
		    {
		      "file": "state/channels.json",
		      "at": "/channels/general"
		    },
		    {
		      "file": "state/channels.json",
		      "at": "/channels/news"
		    }
		  ]
		}
		EOF
		test_cmp ../expect .dc/head.json
	)
'

test_expect_success 'after a merge the work tree and the index are clean' '
	git -C main status --porcelain >actual &&
	test_must_be_empty actual
'

test_expect_success 'merging again changes nothing: no commit, exit 0' '
	(
		cd main &&
		dc_snapshot again &&
		git dc merge >../out 2>../err &&
		echo "Nothing to merge: frame 2 is up to date" >../expect &&
		test_cmp ../expect ../out &&
		test_must_be_empty ../err &&
		git dc merge --json >../out.json &&
		jq -r ".commit, .previous_frame, .frame, (.applied | length), (.changed | length)" \
			../out.json >../actual &&
		printf "null\n2\n2\n0\n0\n" >../expect &&
		test_cmp ../expect ../actual &&
		dc_unchanged again
	)
'

test_expect_success '--frame N takes frames <= N and leaves later ones pending' '
	dc_repo fr rappterbook &&
	(
		cd fr &&
		for n in 1 2 3
		do
			dc_delta_json $n s 2026-03-28T0$n:00:00Z \
				"\"observations\": [{\"seen\": \"frame $n\"}]" |
			commit_delta frame-$n-s.json || return 1
		done &&
		git dc merge --frame 2 >../out &&
		cat >../expect <<-EOF &&
		Merged frame 2: 2 deltas applied (0 late), 2 events, 0 deltas quarantined: $(short_head)
		1 valid delta of later frames waits
		EOF
		test_cmp ../expect ../out &&
		cat >../expect <<-\EOF &&
		{
		  "observations": [
		    {
		      "seen": "frame 1"
		    },
		    {
		      "seen": "frame 2"
		    }
		  ]
		}
		EOF
		test_cmp ../expect state/observations.json &&
		jq ".frame, .applied" .dc/head.json >../actual &&
		printf "2\n2\n" >../expect &&
		test_cmp ../expect ../actual &&
		git log -1 --format="%(trailers:key=Dc-Frame,valueonly,separator=)%n%(trailers:key=Dc-Deltas,valueonly,separator=)" >../actual &&
		printf "2\n2\n" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success '--frame below the merged frame never takes the frame back' '
	(
		cd fr &&
		dc_snapshot back &&
		git dc merge --frame 1 >../out &&
		echo "Nothing to merge: frame 2 is up to date" >../expect &&
		test_cmp ../expect ../out &&
		dc_unchanged back
	)
'

test_expect_success 'the next merge takes the pending frame' '
	(
		cd fr &&
		git dc merge >../out &&
		echo "Merged frame 3: 1 delta applied (0 late), 1 event, 0 deltas quarantined: $(short_head)" >../expect &&
		test_cmp ../expect ../out &&
		jq -c ".observations" state/observations.json >../actual &&
		echo "[{\"seen\":\"frame 1\"},{\"seen\":\"frame 2\"},{\"seen\":\"frame 3\"}]" >../expect &&
		test_cmp ../expect ../actual &&
		jq ".frame" .dc/head.json >../actual &&
		echo 3 >../expect &&
		test_cmp ../expect ../actual
	)
'

# ---- late deltas ------------------------------------------------------

test_expect_success 'setup: deltas for the late-arrival tests' '
	dc_repo base rappterbook &&
	mkdir late-deltas &&
	cat >late-deltas/frame-1-a.json <<-\EOF &&
	{
	  "frame": 1,
	  "stream_id": "a",
	  "utc": "2026-03-28T03:00:00Z",
	  "posts_created": [{"number": 1, "title": "one", "author": "x"}],
	  "profile_updates": [{"agent": "x", "field": "bio", "value": "from frame 1"}]
	}
	EOF
	cat >late-deltas/frame-2-b.json <<-\EOF &&
	{
	  "frame": 2,
	  "stream_id": "b",
	  "utc": "2026-03-28T03:10:00Z",
	  "posts_created": [{"number": 2, "title": "two", "author": "x"}],
	  "profile_updates": [{"agent": "x", "field": "bio", "value": "from frame 2"}]
	}
	EOF
	cat >late-deltas/frame-1-c.json <<-\EOF
	{
	  "frame": 1,
	  "stream_id": "c",
	  "utc": "2026-03-28T03:05:00Z",
	  "posts_created": [{"number": 3, "title": "three", "author": "y"}],
	  "profile_updates": [
	    {"agent": "x", "field": "bio", "value": "late, but frame 1"},
	    {"agent": "y", "field": "bio", "value": "new"}
	  ]
	}
	EOF
'

test_expect_success 'a delta of a merged frame is reported late and folded in order' '
	git clone -q base late &&
	(
		cd late &&
		commit_copy ../late-deltas frame-1-a.json &&
		commit_copy ../late-deltas frame-2-b.json &&
		git dc merge --frame 1 >/dev/null &&
		git dc merge >/dev/null &&
		commit_copy ../late-deltas frame-1-c.json &&
		git dc merge >../out &&
		cat >../expect <<-EOF &&
		late        state/stream_deltas/frame-1-c.json: frame 1 arrived after frame 2 was merged
		Merged frame 2: 1 delta applied (1 late), 3 events, 0 deltas quarantined, folded again from genesis: $(short_head)
		EOF
		test_cmp ../expect ../out &&
		cat >../expect <<-\EOF &&
		dc: merge frame 2

		Late deltas folded in order: 1.

		Dc-Frame: 2
		Dc-Deltas: 1
		Dc-Quarantined: 0

		EOF
		git log -1 --format=%B >../actual &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'the late delta lands where an on-time one would have' '
	cat >expect <<-\EOF &&
	{
	  "posts": [
	    {
	      "number": 1,
	      "title": "one",
	      "author": "x"
	    },
	    {
	      "number": 3,
	      "title": "three",
	      "author": "y"
	    },
	    {
	      "number": 2,
	      "title": "two",
	      "author": "x"
	    }
	  ]
	}
	EOF
	test_cmp expect late/state/posted_log.json &&
	cat >expect <<-\EOF &&
	{
	  "agents": {
	    "x": {
	      "bio": "from frame 2",
	      "post_count": 2
	    },
	    "y": {
	      "bio": "new",
	      "post_count": 1
	    }
	  }
	}
	EOF
	test_cmp expect late/state/agents.json
'

test_expect_success 'late arrival and on-time arrival give byte-identical trees' '
	git clone -q base ontime &&
	(
		cd ontime &&
		commit_copy ../late-deltas frame-1-a.json &&
		commit_copy ../late-deltas frame-1-c.json &&
		commit_copy ../late-deltas frame-2-b.json &&
		git dc merge >/dev/null
	) &&
	canonical late >late.files &&
	canonical ontime >ontime.files &&
	test_cmp ontime.files late.files &&
	git -C late rev-parse HEAD^{tree} >expect &&
	git -C ontime rev-parse HEAD^{tree} >actual &&
	test_cmp expect actual
'

test_expect_success 'a late delta that sorts after the last one is still reported late' '
	git clone -q base late2 &&
	(
		cd late2 &&
		commit_copy ../late-deltas frame-1-a.json &&
		git dc merge >/dev/null &&
		commit_copy ../late-deltas frame-1-c.json &&
		git dc merge --json >../out.json &&
		jq -r ".late[].path, (.late | length), .frame, .previous_frame" ../out.json >../actual &&
		printf "state/stream_deltas/frame-1-c.json\n1\n1\n1\n" >../expect &&
		test_cmp ../expect ../actual &&
		jq -r ".agents.x.bio, .agents.y.bio" state/agents.json >../actual &&
		printf "late, but frame 1\nnew\n" >../expect &&
		test_cmp ../expect ../actual
	)
'

# ---- determinism ------------------------------------------------------

test_expect_success 'setup: five deltas over three frames for the determinism tests' '
	mkdir det-deltas &&
	cat >det-deltas/frame-1-north.json <<-\EOF &&
	{
	  "frame": 1,
	  "stream_id": "north",
	  "utc": "2026-03-28T03:00:00Z",
	  "posts_created": [{"number": 10, "title": "north", "author": "u1", "channel": "c1"}],
	  "profile_updates": [{"agent": "u1", "field": "mood", "value": "calm"}]
	}
	EOF
	cat >det-deltas/frame-1-south.json <<-\EOF &&
	{
	  "frame": 1,
	  "stream_id": "south",
	  "utc": "2026-03-28T03:00:00Z",
	  "posts_created": [{"number": 10, "title": "south", "author": "u1", "tags": ["t"]}],
	  "profile_updates": [{"agent": "u1", "field": "mood", "value": "busy"}]
	}
	EOF
	cat >det-deltas/frame-1-east.json <<-\EOF &&
	{
	  "frame": 1,
	  "stream_id": "east",
	  "utc": "2026-03-28T02:59:59Z",
	  "comments_added": [{"discussion": 10, "agent": "u2", "body": "hey"}],
	  "observations": [{"o": 1}]
	}
	EOF
	cat >det-deltas/frame-2-north.json <<-\EOF &&
	{
	  "frame": 2,
	  "stream_id": "north",
	  "utc": "2026-03-28T03:10:00Z",
	  "comments_added": [
	    {"discussion": 10, "author": "u2", "body": "hey"},
	    {"discussion": 10, "author": "u1", "body": "hi u2"}
	  ],
	  "posts_created": [{"number": 11, "title": "eleven", "author": "u2", "channel": "c2"}]
	}
	EOF
	cat >det-deltas/frame-3-west.json <<-\EOF
	{
	  "frame": 3,
	  "stream_id": "west",
	  "utc": "2026-03-28T03:20:00Z",
	  "profile_updates": [{"agent": "u2", "field": "mood", "value": "ok"}],
	  "observations": [{"o": 2}]
	}
	EOF
'

test_expect_success 'committed in one order and merged in one go' '
	git clone -q base det1 &&
	(
		cd det1 &&
		for f in frame-1-north frame-1-south frame-1-east frame-2-north frame-3-west
		do
			commit_copy ../det-deltas $f.json || return 1
		done &&
		git dc merge >/dev/null
	)
'

test_expect_success 'the result is the fold in protocol order' '
	cat >expect <<-\EOF &&
	{
	  "comments": [
	    {
	      "discussion": 10,
	      "agent": "u2",
	      "body": "hey"
	    },
	    {
	      "discussion": 10,
	      "author": "u1",
	      "body": "hi u2"
	    }
	  ],
	  "posts": [
	    {
	      "number": 10,
	      "title": "south",
	      "author": "u1",
	      "channel": "c1",
	      "tags": [
	        "t"
	      ]
	    },
	    {
	      "number": 11,
	      "title": "eleven",
	      "author": "u2",
	      "channel": "c2"
	    }
	  ]
	}
	EOF
	test_cmp expect det1/state/posted_log.json &&
	cat >expect <<-\EOF &&
	{
	  "agents": {
	    "u1": {
	      "mood": "busy",
	      "post_count": 1
	    },
	    "u2": {
	      "mood": "ok",
	      "post_count": 1
	    }
	  }
	}
	EOF
	test_cmp expect det1/state/agents.json &&
	cat >expect <<-\EOF &&
	{
	  "observations": [
	    {
	      "o": 1
	    },
	    {
	      "o": 2
	    }
	  ]
	}
	EOF
	test_cmp expect det1/state/observations.json &&
	cat >expect <<-\EOF &&
	{
	  "total_posts": 2,
	  "total_comments": 2
	}
	EOF
	test_cmp expect det1/state/stats.json
'

test_expect_success 'committed in reverse order and merged frame by frame: same bytes' '
	git clone -q base det2 &&
	(
		cd det2 &&
		for f in frame-3-west frame-2-north frame-1-east frame-1-south frame-1-north
		do
			commit_copy ../det-deltas $f.json || return 1
		done &&
		git dc merge --frame 1 >/dev/null &&
		git dc merge --frame 2 >/dev/null &&
		git dc merge >/dev/null
	) &&
	canonical det1 >expect &&
	canonical det2 >actual &&
	test_cmp expect actual
'

test_expect_success 'committed in a third order, merged after each delta: same bytes' '
	git clone -q base det3 &&
	(
		cd det3 &&
		for f in frame-1-east frame-1-north frame-3-west frame-1-south frame-2-north
		do
			commit_copy ../det-deltas $f.json &&
			git dc merge >/dev/null || return 1
		done
	) &&
	canonical det1 >expect &&
	canonical det3 >actual &&
	test_cmp expect actual &&
	git -C det1 rev-parse HEAD^{tree} >expect &&
	git -C det3 rev-parse HEAD^{tree} >actual &&
	test_cmp expect actual
'

test_expect_success 'all deltas in one commit, merged in one go: same bytes' '
	git clone -q base det4 &&
	(
		cd det4 &&
		mkdir -p $D &&
		cp ../det-deltas/*.json $D/ &&
		git add $D &&
		test_tick &&
		git commit -q -m "all deltas at once" &&
		git dc merge >/dev/null
	) &&
	canonical det1 >expect &&
	canonical det4 >actual &&
	test_cmp expect actual
'

# ---- last write wins --------------------------------------------------

test_expect_success 'set on one field: the later (frame, utc, stream) wins' '
	dc_repo lww rappterbook &&
	(
		cd lww &&
		commit_delta frame-1-beta.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "beta",
		  "utc": "2026-03-28T03:00:01Z",
		  "profile_updates": [
		    {"agent": "p", "field": "motto", "value": "beta"},
		    {"agent": "p", "field": "nick", "value": "first in array", "utc": "2026-03-28T05:00:00Z"},
		    {"agent": "p", "field": "nick", "value": "last in array", "utc": "2026-03-28T01:00:00Z"}
		  ]
		}
		EOF
		commit_delta frame-1-alpha.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "alpha",
		  "utc": "2026-03-28T03:00:09Z",
		  "profile_updates": [
		    {"agent": "p", "field": "bio", "value": "alpha"},
		    {"agent": "p", "field": "motto", "value": "alpha"},
		    {"agent": "p", "field": "city", "value": "frame 1"}
		  ]
		}
		EOF
		commit_delta frame-1-Zed.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "Zed",
		  "utc": "2026-03-28T03:00:09Z",
		  "profile_updates": [{"agent": "p", "field": "bio", "value": "Zed"}]
		}
		EOF
		commit_delta frame-1-zzz.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "zzz",
		  "utc": "2026-03-28T03:00:09Z",
		  "profile_updates": [{"agent": "p", "field": "tz", "value": "whole second"}]
		}
		EOF
		commit_delta frame-1-aaa.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "aaa",
		  "utc": "2026-03-28T03:00:09.5Z",
		  "profile_updates": [{"agent": "p", "field": "tz", "value": "half a second later"}]
		}
		EOF
		commit_delta frame-2-Zed.json <<-\EOF &&
		{
		  "frame": 2,
		  "stream_id": "Zed",
		  "utc": "2026-03-28T02:00:00Z",
		  "profile_updates": [{"agent": "p", "field": "city", "value": "frame 2"}]
		}
		EOF
		git dc merge >/dev/null
	) &&
	cat >expect <<-\EOF &&
	{
	  "agents": {
	    "p": {
	      "motto": "alpha",
	      "nick": "last in array",
	      "bio": "alpha",
	      "city": "frame 2",
	      "tz": "half a second later",
	      "post_count": 0
	    }
	  }
	}
	EOF
	test_cmp expect lww/state/agents.json
'

test_expect_success 'equal utc, different streams: both deltas apply; same post: later fields win' '
	dc_repo tie rappterbook &&
	(
		cd tie &&
		commit_delta frame-1-s2.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "s2",
		  "utc": "2026-03-28T03:00:00Z",
		  "posts_created": [
		    {"number": 201, "title": "from s2", "author": "a2"},
		    {"number": 290, "title": "v2", "author": "a2", "tags": ["x"]}
		  ]
		}
		EOF
		commit_delta frame-1-s1.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "s1",
		  "utc": "2026-03-28T03:00:00Z",
		  "posts_created": [
		    {"number": 200, "title": "from s1", "author": "a1"},
		    {"number": 290, "title": "v1", "author": "a1", "body": "b1"}
		  ]
		}
		EOF
		git dc merge >../out
	) &&
	echo "Merged frame 1: 2 deltas applied (0 late), 4 events, 0 deltas quarantined: $(short_head -C tie)" >expect &&
	test_cmp expect out &&
	cat >expect <<-\EOF &&
	{
	  "posts": [
	    {
	      "number": 200,
	      "title": "from s1",
	      "author": "a1"
	    },
	    {
	      "number": 290,
	      "title": "v2",
	      "author": "a2",
	      "body": "b1",
	      "tags": [
	        "x"
	      ]
	    },
	    {
	      "number": 201,
	      "title": "from s2",
	      "author": "a2"
	    }
	  ]
	}
	EOF
	test_cmp expect tie/state/posted_log.json &&
	cat >expect <<-\EOF &&
	{
	  "total_posts": 3,
	  "total_comments": 0
	}
	EOF
	test_cmp expect tie/state/stats.json
'

test_expect_success 'the same comment from two streams is kept once' '
	dc_repo cmt rappterbook &&
	(
		cd cmt &&
		commit_delta frame-1-c1.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "c1",
		  "utc": "2026-03-28T03:00:00Z",
		  "comments_added": [{"discussion": 7, "author": "ann", "body": "same words"}]
		}
		EOF
		commit_delta frame-1-c2.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "c2",
		  "utc": "2026-03-28T03:00:01Z",
		  "comments_added": [
		    {"discussion": 7, "author": "ann", "body": "same words"},
		    {"discussion": 7, "agent": "ann", "body": "same words"},
		    {"post": 7, "agent": "ann", "body": "same words", "type": "comment"},
		    {"discussion": 7, "author": "ann", "body": "other words"}
		  ]
		}
		EOF
		git dc merge --json >../out.json
	) &&
	jq -c ".events.comments_added" out.json >actual &&
	echo "{\"applied\":2,\"present\":3}" >expect &&
	test_cmp expect actual &&
	cat >expect <<-\EOF &&
	{
	  "comments": [
	    {
	      "discussion": 7,
	      "author": "ann",
	      "body": "same words"
	    },
	    {
	      "discussion": 7,
	      "author": "ann",
	      "body": "other words"
	    }
	  ]
	}
	EOF
	test_cmp expect cmt/state/posted_log.json
'

test_expect_success 'key values compare as JSON values: "280" and 280 differ, 280 and 280.0 do not' '
	dc_repo keys rappterbook &&
	(
		cd keys &&
		commit_delta frame-1-k.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "k",
		  "utc": "2026-03-28T03:00:00Z",
		  "posts_created": [
		    {"number": "280", "title": "a string"},
		    {"number": 280, "title": "a number"},
		    {"number": 280.0, "title": "the same number"}
		  ]
		}
		EOF
		git dc merge >/dev/null
	) &&
	cat >expect <<-\EOF &&
	{
	  "posts": [
	    {
	      "number": "280",
	      "title": "a string"
	    },
	    {
	      "number": 280,
	      "title": "the same number"
	    }
	  ]
	}
	EOF
	test_cmp expect keys/state/posted_log.json
'

# ---- quarantined events and deltas -------------------------------------

test_expect_success 'an event missing its key is quarantined, the rest of its delta applies' '
	dc_repo ev rappterbook &&
	(
		cd ev &&
		commit_delta frame-1-k.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "k",
		  "utc": "2026-03-28T03:00:00Z",
		  "posts_created": [
		    {"number": 1, "title": "ok"},
		    {"title": "no number"},
		    {"number": 2, "title": "ok too"}
		  ],
		  "comments_added": [{"discussion": 1, "body": "nobody wrote this"}],
		  "profile_updates": [
		    {"agent": "q", "field": "bio"},
		    {"agent": "q", "field": "nick", "value": null}
		  ]
		}
		EOF
		git dc merge >../out &&
		cat >../expect <<-EOF &&
		event       state/stream_deltas/frame-1-k.json: posts_created[1]: key member ${SQ}number${SQ} is missing
		event       state/stream_deltas/frame-1-k.json: comments_added[0]: key member ${SQ}author${SQ} is missing (none of ${SQ}author${SQ}, ${SQ}agent${SQ} is present)
		event       state/stream_deltas/frame-1-k.json: profile_updates[0]: ${SQ}value${SQ} is missing
		Merged frame 1: 1 delta applied (0 late), 3 events, 0 deltas quarantined: $(short_head)
		EOF
		test_cmp ../expect ../out
	) &&
	cat >expect <<-\EOF &&
	{
	  "posts": [
	    {
	      "number": 1,
	      "title": "ok"
	    },
	    {
	      "number": 2,
	      "title": "ok too"
	    }
	  ]
	}
	EOF
	test_cmp expect ev/state/posted_log.json &&
	cat >expect <<-\EOF &&
	{
	  "agents": {
	    "q": {
	      "nick": null,
	      "post_count": 0
	    }
	  }
	}
	EOF
	test_cmp expect ev/state/agents.json
'

test_expect_success 'quarantined events in --json: path, section, index, reason' '
	git clone -q ev ev2 &&
	(
		cd ev2 &&
		git reset -q --hard HEAD^ &&
		git dc merge --json >../out.json
	) &&
	jq -r ".events_quarantined[] | [.path, .section, .index, .reason] | join(\"|\")" out.json >actual &&
	cat >expect <<-EOF &&
	state/stream_deltas/frame-1-k.json|posts_created|1|key member ${SQ}number${SQ} is missing
	state/stream_deltas/frame-1-k.json|comments_added|0|key member ${SQ}author${SQ} is missing (none of ${SQ}author${SQ}, ${SQ}agent${SQ} is present)
	state/stream_deltas/frame-1-k.json|profile_updates|0|${SQ}value${SQ} is missing
	EOF
	test_cmp expect actual &&
	jq -r ".quarantined | length" out.json >actual &&
	echo 0 >expect &&
	test_cmp expect actual
'

test_expect_success 'setup: bad deltas of every kind next to good ones' '
	dc_repo q rappterbook &&
	(
		cd q &&
		mkdir -p $D &&
		printf "{\"frame\": 1, \"stream_id\": \"trunc\", \"utc\": \"2026-03-28T03:00:00Z\", \"posts_crea" \
			>$D/frame-1-trunc.json &&
		printf "[{\"frame\": 1, \"stream_id\": \"list\", \"utc\": \"2026-03-28T03:00:00Z\"}]\n" \
			>$D/frame-1-list.json &&
		printf "{\"frame\": \"5\", \"stream_id\": \"strframe\", \"utc\": \"2026-03-28T03:00:00Z\", \"posts_created\": [{\"number\": 95}]}\n" \
			>$D/frame-5-strframe.json &&
		printf "{\"frame\": 2, \"stream_id\": \"mismatch\", \"utc\": \"2026-03-28T03:00:00Z\", \"posts_created\": [{\"number\": 92}]}\n" \
			>$D/frame-1-mismatch.json &&
		printf "{\"frame\": 1, \"stream_id\": \"noutc\", \"posts_created\": [{\"number\": 93}]}\n" \
			>$D/frame-1-noutc.json &&
		printf "{\"frame\": 1, \"stream_id\": \"placeholder\", \"completed_at\": \"<UTC ISO>\", \"posts_created\": [{\"number\": 94}]}\n" \
			>$D/frame-1-placeholder.json &&
		printf "{\"frame\": 1, \"stream_id\": \"strsec\", \"utc\": \"2026-03-28T03:00:00Z\", \"comments_added\": \"oops\", \"posts_created\": [{\"number\": 96}]}\n" \
			>$D/frame-1-strsec.json &&
		printf "{\"frame\": 1, \"stream_id\": \"latin1\", \"utc\": \"2026-03-28T03:00:00Z\", \"posts_created\": [{\"number\": 97, \"title\": \"caf\351\"}]}\n" \
			>$D/frame-1-latin1.json &&
		printf "{\"frame\": 1, \"stream_id\": \"../../outside\", \"utc\": \"2026-03-28T03:00:00Z\", \"posts_created\": [{\"number\": 98}]}\n" \
			>$D/frame-1-evil.json &&
		printf "{\"frame\": 1, \"stream_id\": \"metanull\", \"utc\": \"2026-03-28T03:00:01Z\", \"_meta\": null, \"stream_type\": \"dream_catcher\", \"posts_created\": [{\"number\": 2, \"title\": \"_meta null is valid\"}]}\n" \
			>$D/frame-1-metanull.json &&
		printf "{\"frame\": 1, \"stream_id\": \"good\", \"utc\": \"2026-03-28T03:00:00Z\", \"posts_created\": [{\"number\": 1, \"title\": \"good\"}]}\n" \
			>$D/frame-1-good.json &&
		ln -s frame-1-good.json $D/frame-1-link.json &&
		printf "not a delta\n" >$D/notes.txt &&
		>$D/.gitkeep &&
		git add $D &&
		test_tick &&
		git commit -q --no-verify -m "good and bad deltas"
	)
'

# the quarantine lines every merge of repository q prints
cat >quarantine-lines <<EOF
quarantined state/stream_deltas/frame-1-evil.json: 'stream_id' '../../outside' is not a valid stream id
quarantined state/stream_deltas/frame-1-latin1.json: invalid JSON: byte 114 (line 1, column 114): invalid UTF-8
quarantined state/stream_deltas/frame-1-link.json: not a regular file: it is a symbolic link
quarantined state/stream_deltas/frame-1-list.json: the top-level value is an array, expected an object
quarantined state/stream_deltas/frame-1-mismatch.json: 'frame' is 2 but the path says 1
quarantined state/stream_deltas/frame-1-noutc.json: no utc: none of 'utc', 'completed_at', '_meta.timestamp' is present
quarantined state/stream_deltas/frame-1-placeholder.json: 'completed_at' is not an RFC 3339 UTC instant: '<UTC ISO>'
quarantined state/stream_deltas/frame-1-strsec.json: section 'comments_added' is a string, expected an array or an object
quarantined state/stream_deltas/frame-1-trunc.json: invalid JSON: line 1, column 78: unexpected end of input
quarantined state/stream_deltas/frame-5-strframe.json: 'frame' is a string, expected an integer
quarantined state/stream_deltas/notes.txt: not a delta path: expected frame-<frame>-<stream>.json or frame-<frame>/<stream>.json
EOF

test_expect_success 'bad deltas are reported with their reason and never applied' '
	(
		cd q &&
		git dc merge >../out &&
		{
			cat ../quarantine-lines &&
			echo "Merged frame 1: 2 deltas applied (0 late), 2 events, 11 deltas quarantined: $(short_head)"
		} >../expect &&
		test_cmp ../expect ../out
	) &&
	cat >expect <<-\EOF &&
	{
	  "posts": [
	    {
	      "number": 1,
	      "title": "good"
	    },
	    {
	      "number": 2,
	      "title": "_meta null is valid"
	    }
	  ]
	}
	EOF
	test_cmp expect q/state/posted_log.json &&
	cat >expect <<-\EOF &&
	dc: merge frame 1

	Dc-Frame: 1
	Dc-Deltas: 2
	Dc-Quarantined: 11

	EOF
	git -C q log -1 --format=%B >actual &&
	test_cmp expect actual
'

test_expect_success 'the quarantined deltas are recorded in .dc/head.json with their blob' '
	(
		cd q &&
		jq -r ".frame, .applied, (.quarantined[] | [.path, .blob, .reason] | join(\"|\"))" \
			.dc/head.json >../actual &&
		{
			echo 1 && echo 2 &&
			sed -e "s/^quarantined //" ../quarantine-lines |
			while IFS= read -r line
			do
				p=${line%%: *} &&
				echo "$p|$(git rev-parse HEAD:$p)|${line#*: }" || return 1
			done
		} >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'a bad delta arriving after its frame merged: recorded as if it came with the rest' '
	rm -rf late-q one-go &&
	git clone -q q late-q && git -C late-q config core.hooksPath /dev/null &&
	git clone -q q one-go && git -C one-go config core.hooksPath /dev/null &&
	for r in late-q one-go
	do
		(
			cd $r &&
			dc_delta_json 1 good2 2026-01-01T00:00:00Z "\"posts_created\": [{\"number\": 9, \"title\": \"nine\"}]" \
				>state/stream_deltas/frame-1-good2.json &&
			git add state/stream_deltas/frame-1-good2.json &&
			git commit -q -m "a good delta" &&
			if test $r = late-q
			then
				git dc merge -q
			fi &&
			printf "{\"frame\": 1, \"stream_id\": \"bad2\", \"utc\":" >state/stream_deltas/frame-1-bad2.json &&
			git add state/stream_deltas/frame-1-bad2.json &&
			git commit -q -m "a truncated delta" &&
			git dc merge >../$r.out
		) || return 1
	done &&
	grep "^quarantined state/stream_deltas/frame-1-bad2.json: invalid JSON" late-q.out &&
	grep "^Merged frame 1: 0 deltas applied (0 late), 0 events, 12 deltas quarantined: " late-q.out &&
	git -C late-q log -1 --format=%B >msg &&
	grep "^Dc-Deltas: 0\$" msg && grep "^Dc-Quarantined: 12\$" msg &&
	git -C late-q rev-parse HEAD^{tree} >late.tree &&
	git -C one-go rev-parse HEAD^{tree} >one-go.tree &&
	test_cmp one-go.tree late.tree &&
	git -C late-q show HEAD:.dc/head.json | jq -r ".quarantined[].path" >paths &&
	grep "^state/stream_deltas/frame-1-bad2.json\$" paths &&
	git -C late-q rev-parse HEAD >before &&
	git -C late-q dc merge >out &&
	grep "^Nothing to merge: frame 1 is up to date\$" out &&
	git -C late-q rev-parse HEAD >after &&
	test_cmp before after &&
	git -C late-q dc check HEAD &&
	git -C late-q dc verify -q
'

test_expect_success 'every later merge reports them again, even with nothing to merge' '
	(
		cd q &&
		dc_snapshot q &&
		git dc merge >../out &&
		{
			cat ../quarantine-lines &&
			echo "Nothing to merge: frame 1 is up to date"
		} >../expect &&
		test_cmp ../expect ../out &&
		git dc merge --json >../out.json &&
		dc_unchanged q &&
		jq -r ".quarantined[] | \"quarantined \(.path): \(.reason)\"" ../out.json >../actual &&
		test_cmp ../quarantine-lines ../actual
	)
'

test_expect_success 'one bad delta never blocks the next good one' '
	(
		cd q &&
		dc_delta_json 2 good 2026-03-28T04:00:00Z "\"posts_created\": [{\"number\": 3}]" |
		commit_delta frame-2-good.json &&
		git dc merge >../out &&
		{
			cat ../quarantine-lines &&
			echo "Merged frame 2: 1 delta applied (0 late), 1 event, 11 deltas quarantined: $(short_head)"
		} >../expect &&
		test_cmp ../expect ../out &&
		jq -c "[.posts[].number]" state/posted_log.json >../actual &&
		echo "[1,2,3]" >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'an unknown section is reported and not applied; the delta is valid' '
	dc_repo unk rappterbook &&
	(
		cd unk &&
		commit_delta frame-1-u.json <<-\EOF &&
		{
		  "frame": 1,
		  "stream_id": "u",
		  "utc": "2026-03-28T03:00:00Z",
		  "bogus": [{"x": 1}],
		  "observations": [{"y": 2}]
		}
		EOF
		git dc merge >../out &&
		cat >../expect <<-EOF &&
		unknown     state/stream_deltas/frame-1-u.json: unknown section ${SQ}bogus${SQ}: not applied
		Merged frame 1: 1 delta applied (0 late), 1 event, 0 deltas quarantined: $(short_head)
		EOF
		test_cmp ../expect ../out &&
		cat >../expect <<-\EOF &&
		{
		  "observations": [
		    {
		      "y": 2
		    }
		  ]
		}
		EOF
		test_cmp ../expect state/observations.json &&
		git ls-tree -r --name-only HEAD state >../actual &&
		cat >../expect <<-\EOF &&
		state/observations.json
		state/stats.json
		state/stream_deltas/frame-1-u.json
		EOF
		test_cmp ../expect ../actual
	)
'

test_expect_success 'a rules change folds again from genesis and commits' '
	(
		cd unk &&
		jq ".sections.bogus = {\"op\": \"append\", \"file\": \"state/bogus.json\", \"at\": \"/bogus\"}" \
			.dc/rules.json >../rules.json &&
		cp ../rules.json .dc/rules.json &&
		git add .dc/rules.json &&
		test_tick &&
		git commit -q -m "rules: a bogus section" &&
		git dc merge >../out &&
		grep "^Merged frame 1: .*, folded again from genesis: $(short_head)\$" ../out &&
		cat >../expect <<-\EOF &&
		{
		  "bogus": [
		    {
		      "x": 1
		    }
		  ]
		}
		EOF
		test_cmp ../expect state/bogus.json &&
		jq -r .rules .dc/head.json >../actual &&
		git rev-parse HEAD:.dc/rules.json >../expect &&
		test_cmp ../expect ../actual &&
		git log -1 --format="%(trailers:key=Dc-Frame,valueonly,separator=)" >../actual &&
		echo 1 >../expect &&
		test_cmp ../expect ../actual &&
		git dc merge >../out &&
		echo "Nothing to merge: frame 1 is up to date" >../expect &&
		test_cmp ../expect ../out
	)
'

# ---- dry run and --json -----------------------------------------------

test_expect_success 'dry run (-n) shows the merge and writes nothing, not even objects' '
	dc_repo dry rappterbook &&
	(
		cd dry &&
		dc_delta_json 1 s 2026-03-28T03:00:00Z "\"observations\": [{\"z\": 1}]" |
		commit_delta frame-1-s.json &&
		dc_snapshot dry &&
		find .git/objects -type f | sort >../objects.before &&
		git dc merge -n >../out &&
		echo "Would merge frame 1: 1 delta applied (0 late), 1 event, 0 deltas quarantined" >../expect &&
		test_cmp ../expect ../out &&
		git dc merge --dry-run --json >../out.json &&
		jq -c "[.dry_run, .commit, .frame, .changed]" ../out.json >../actual &&
		echo "[true,null,1,[\"state/observations.json\",\"state/stats.json\",\".dc/head.json\"]]" >../expect &&
		test_cmp ../expect ../actual &&
		find .git/objects -type f | sort >../objects.after &&
		test_cmp ../objects.before ../objects.after &&
		dc_unchanged dry
	)
'

test_expect_success '--json: version, frame, applied, late, quarantined, events, commit' '
	dc_repo js rappterbook &&
	(
		cd js &&
		dc_delta_json 1 a 2026-03-28T03:00:00Z "\"posts_created\": [{\"number\": 1}]" |
		commit_delta frame-1-a.json &&
		git dc merge >/dev/null &&
		dc_delta_json 1 b 2026-03-28T02:00:00.25Z "\"posts_created\": [{\"number\": 2}, {\"number\": 1}]" |
		commit_delta frame-1-b.json &&
		dc_delta_json 2 a 2026-03-28T04:00:00Z "\"observations\": [{\"n\": 1}]" |
		commit_delta frame-2-a.json &&
		printf "{\"frame\": 2, \"stream_id\": \"bad\"}\n" >$D/frame-2-bad.json &&
		dc_commit_file $D/frame-2-bad.json bad &&
		git dc merge --json >../out.json 2>../err &&
		test_must_be_empty ../err &&
		cat >../expect <<-EOF &&
		version=1
		command=merge
		dry_run=false
		frame=2
		previous_frame=1
		applied=state/stream_deltas/frame-1-b.json 1 b 2026-03-28T02:00:00.25Z
		applied=state/stream_deltas/frame-2-a.json 2 a 2026-03-28T04:00:00Z
		late=state/stream_deltas/frame-1-b.json 1 b
		quarantined=state/stream_deltas/frame-2-bad.json 2 bad no utc: none of ${SQ}utc${SQ}, ${SQ}completed_at${SQ}, ${SQ}_meta.timestamp${SQ} is present
		posts_created={"applied":2,"present":0}
		observations={"applied":1,"present":0}
		refold=true
		commit=$(git rev-parse HEAD)
		EOF
		jq -r "\"version=\(.version)\", \"command=\(.command)\", \"dry_run=\(.dry_run)\",
			\"frame=\(.frame)\", \"previous_frame=\(.previous_frame)\",
			(.applied[] | \"applied=\(.path) \(.frame) \(.stream) \(.utc)\"),
			(.late[] | \"late=\(.path) \(.frame) \(.stream)\"),
			(.quarantined[] | \"quarantined=\(.path) \(.frame) \(.stream) \(.reason)\"),
			\"posts_created=\(.events.posts_created | tojson)\",
			\"observations=\(.events.observations | tojson)\",
			\"refold=\(.refold)\", \"commit=\(.commit)\"" ../out.json >../actual &&
		test_cmp ../expect ../actual
	)
'

# ---- refusals ---------------------------------------------------------

test_expect_success 'setup: a merged repository with one new delta waiting' '
	dc_repo ref rappterbook &&
	(
		cd ref &&
		dc_delta_json 1 a 2026-03-28T03:00:00Z "\"posts_created\": [{\"number\": 1, \"title\": \"one\"}]" |
		commit_delta frame-1-a.json &&
		git dc merge >/dev/null &&
		dc_delta_json 2 a 2026-03-28T04:00:00Z "\"posts_created\": [{\"number\": 2, \"title\": \"two\"}]" |
		commit_delta frame-2-a.json &&
		git tag waiting
	)
'

test_expect_success 'an uncommitted edit of a canonical file stops the merge (exit 1)' '
	(
		cd ref &&
		echo "my own edit" >>state/posted_log.json &&
		cp state/posted_log.json ../edited &&
		dc_snapshot dirty &&
		test_expect_code 1 git dc merge >../out 2>../err &&
		cat >../expect <<-EOF &&
		error: canonical file ${SQ}state/posted_log.json${SQ} has uncommitted changes; nothing was merged
		hint: canonical files are written only by ${SQ}git dc merge${SQ}; put your change in a delta with ${SQ}git dc delta${SQ}, then discard the edit with ${SQ}git checkout -- state/posted_log.json${SQ}
		EOF
		test_cmp ../expect ../err &&
		test_must_be_empty ../out &&
		dc_unchanged dirty &&
		test_cmp ../edited state/posted_log.json
	)
'

test_expect_success 'a staged edit of a canonical file stops the merge too' '
	(
		cd ref &&
		git add state/posted_log.json &&
		dc_snapshot staged &&
		test_expect_code 1 git dc merge >../out 2>../err &&
		cat >../expect <<-EOF &&
		error: canonical file ${SQ}state/posted_log.json${SQ} has uncommitted changes; nothing was merged
		hint: canonical files are written only by ${SQ}git dc merge${SQ}; put your change in a delta with ${SQ}git dc delta${SQ}, then discard the edit with ${SQ}git checkout -- state/posted_log.json${SQ}
		EOF
		test_cmp ../expect ../err &&
		test_must_be_empty ../out &&
		dc_unchanged staged &&
		git reset -q --hard waiting
	)
'

test_expect_success 'an untracked file where the merge would create one stops the merge' '
	(
		cd ref &&
		dc_delta_json 3 a 2026-03-28T05:00:00Z "\"votes\": [{\"post\": 1, \"voter\": \"v\", \"type\": \"up\"}]" |
		commit_delta frame-3-a.json &&
		echo "mine, not tracked" >state/votes.json &&
		dc_snapshot untracked &&
		test_expect_code 1 git dc merge >../out 2>../err &&
		cat >../expect <<-EOF &&
		error: canonical file ${SQ}state/votes.json${SQ} has uncommitted changes; nothing was merged
		hint: canonical files are written only by ${SQ}git dc merge${SQ}; put your change in a delta with ${SQ}git dc delta${SQ}, then discard the edit with ${SQ}git checkout -- state/votes.json${SQ}
		EOF
		test_cmp ../expect ../err &&
		test_must_be_empty ../out &&
		dc_unchanged untracked &&
		rm state/votes.json &&
		git reset -q --hard waiting
	)
'

test_expect_success 'a canonical file holding conflict markers stops the merge (exit 1)' '
	(
		cd ref &&
		cat >state/posted_log.json <<-\EOF &&
		{
		  "posts": [
		<<<<<<< ours
		    {"number": 1, "title": "one"}
		=======
		    {"number": 1, "title": "uno"}
		>>>>>>> theirs
		  ]
		}
		EOF
		# with .dc/head.json rewritten too, as a merge made by hand would:
		# the merge trusts that state (a hand edit alone makes it fold
		# again from genesis, tested below)
		jq --indent 4 . .dc/head.json >../head.json &&
		cp ../head.json .dc/head.json &&
		git add .dc/head.json &&
		dc_commit_file state/posted_log.json "a bad hand edit" &&
		dc_snapshot markers &&
		test_expect_code 1 git dc merge >../out 2>../err &&
		cat >../expect <<-EOF &&
		error: delta ${SQ}state/stream_deltas/frame-2-a.json${SQ}: canonical file ${SQ}state/posted_log.json${SQ} holds conflict markers
		hint: canonical files are written only by ${SQ}git dc merge${SQ}; restore it from the last good commit with ${SQ}git checkout <commit> -- state/posted_log.json${SQ}
		EOF
		test_cmp ../expect ../err &&
		test_must_be_empty ../out &&
		dc_unchanged markers &&
		git reset -q --hard waiting
	)
'

test_expect_success 'a canonical target of the wrong type stops the merge (exit 1)' '
	(
		cd ref &&
		cat >state/posted_log.json <<-\EOF &&
		{
		  "posts": {
		    "1": {"number": 1, "title": "one"}
		  },
		  "comments": {}
		}
		EOF
		# with .dc/head.json rewritten too, as a merge made by hand would:
		# the merge trusts that state (a hand edit alone makes it fold
		# again from genesis, tested below)
		jq --indent 4 . .dc/head.json >../head.json &&
		cp ../head.json .dc/head.json &&
		git add .dc/head.json &&
		dc_commit_file state/posted_log.json "comments as an object" &&
		dc_delta_json 3 a 2026-03-28T05:00:00Z "\"comments_added\": [{\"discussion\": 1, \"author\": \"x\", \"body\": \"y\"}]" |
		commit_delta frame-3-a.json &&
		dc_snapshot wrongtype &&
		test_expect_code 1 git dc merge >../out 2>../err &&
		cat >../expect <<-EOF &&
		error: delta ${SQ}state/stream_deltas/frame-3-a.json${SQ}: canonical file ${SQ}state/posted_log.json${SQ}: /comments is an object, section ${SQ}comments_added${SQ} (add) needs an array
		hint: the state is at fault, not a delta: fix ${SQ}state/posted_log.json${SQ} in a commit of its own (or the section${SQ}s "at" in .dc/rules.json), then merge again
		EOF
		test_cmp ../expect ../err &&
		test_must_be_empty ../out &&
		dc_unchanged wrongtype &&
		git reset -q --hard waiting
	)
'

test_expect_success 'an applied delta that was deleted stops the merge (exit 1)' '
	(
		cd ref &&
		git rm -q $D/frame-1-a.json &&
		test_tick &&
		git commit -q --no-verify -m "drop an applied delta" &&
		dc_snapshot deleted &&
		test_expect_code 1 git dc merge >../out 2>../err &&
		cat >../expect <<-EOF &&
		error: delta ${SQ}state/stream_deltas/frame-1-a.json${SQ} was deleted or renamed after frame 1 was merged; deltas are immutable
		hint: restore it with ${SQ}git checkout <merge-commit> -- state/stream_deltas/frame-1-a.json${SQ}
		EOF
		test_cmp ../expect ../err &&
		test_must_be_empty ../out &&
		dc_unchanged deleted &&
		git reset -q --hard waiting
	)
'

test_expect_success 'an applied delta that was modified stops the merge (exit 1)' '
	(
		cd ref &&
		dc_delta_json 1 a 2026-03-28T03:00:00Z "\"posts_created\": [{\"number\": 1, \"title\": \"rewritten\"}]" >$D/frame-1-a.json &&
		dc_commit_file $D/frame-1-a.json "rewrite an applied delta" &&
		dc_snapshot modified &&
		test_expect_code 1 git dc merge >../out 2>../err &&
		cat >../expect <<-EOF &&
		error: delta ${SQ}state/stream_deltas/frame-1-a.json${SQ} was modified after frame 1 was merged; deltas are immutable
		hint: restore it with ${SQ}git checkout <merge-commit> -- state/stream_deltas/frame-1-a.json${SQ}
		EOF
		test_cmp ../expect ../err &&
		test_must_be_empty ../out &&
		dc_unchanged modified &&
		git reset -q --hard waiting
	)
'

test_expect_success 'after the refusals the waiting delta merges normally' '
	(
		cd ref &&
		git dc merge >/dev/null &&
		jq -c "[.posts[].title]" state/posted_log.json >../actual &&
		echo "[\"one\",\"two\"]" >../expect &&
		test_cmp ../expect ../actual
	)
'

# ---- index, bare repositories, genesis --------------------------------

test_expect_success 'other staged changes stay staged and out of the merge commit' '
	dc_repo stg rappterbook &&
	(
		cd stg &&
		dc_delta_json 1 a 2026-03-28T03:00:00Z "\"observations\": [{\"n\": 1}]" |
		commit_delta frame-1-a.json &&
		echo "staged, not committed" >notes.txt &&
		git add notes.txt &&
		echo "changed in the work tree" >>README &&
		git dc merge >/dev/null &&
		git status --porcelain >../actual &&
		cat >../expect <<-\EOF &&
		 M README
		A  notes.txt
		EOF
		test_cmp ../expect ../actual &&
		git diff --name-only HEAD^ HEAD >../actual &&
		cat >../expect <<-\EOF &&
		.dc/head.json
		state/observations.json
		state/stats.json
		EOF
		test_cmp ../expect ../actual &&
		git diff --cached --name-only >../actual &&
		echo notes.txt >../expect &&
		test_cmp ../expect ../actual
	)
'

test_expect_success 'merge in a bare repository, deltas pushed from a clone' '
	dc_repo origin rappterbook &&
	git clone -q --bare origin bare.git &&
	git clone -q bare.git worker &&
	(
		cd worker &&
		dc_delta_json 1 w 2026-03-28T03:00:00Z "\"posts_created\": [{\"number\": 7, \"title\": \"pushed\", \"author\": \"w\"}]" |
		commit_delta frame-1-w.json &&
		git push -q origin main
	) &&
	git --git-dir=bare.git dc merge >out &&
	echo "Merged frame 1: 1 delta applied (0 late), 1 event, 0 deltas quarantined: $(short_head --git-dir=bare.git)" >expect &&
	test_cmp expect out &&
	cat >expect <<-\EOF &&
	{
	  "posts": [
	    {
	      "number": 7,
	      "title": "pushed",
	      "author": "w"
	    }
	  ]
	}
	EOF
	git --git-dir=bare.git show main:state/posted_log.json >actual &&
	test_cmp expect actual &&
	git --git-dir=bare.git log -1 --format="%(trailers:key=Dc-Frame,valueonly,separator=)" main >actual &&
	echo 1 >expect &&
	test_cmp expect actual &&
	! test -e bare.git/state &&
	! test -e bare.git/dc-merge.journal &&
	git --git-dir=bare.git dc merge >out &&
	echo "Nothing to merge: frame 1 is up to date" >expect &&
	test_cmp expect out
'

test_expect_success 'state committed before init is genesis: content kept, new elements last' '
	git init -q gen &&
	(
		cd gen &&
		mkdir state &&
		printf "{\"note\": \"kept\", \"posts\": [{\"number\": 100, \"title\": \"seed\", \"author\": \"old\"}]}\n" \
			>state/posted_log.json &&
		printf "{\"total_posts\": 99, \"extra\": true}\n" >state/stats.json &&
		git add state &&
		test_tick &&
		git commit -q -m "state from before git dc" &&
		test_tick &&
		git dc init --preset rappterbook >/dev/null &&
		dc_delta_json 1 n 2026-03-28T03:00:00Z "\"posts_created\": [{\"number\": 101, \"title\": \"new\", \"author\": \"new\"}]" |
		commit_delta frame-1-n.json &&
		git dc merge >/dev/null
	) &&
	cat >expect <<-\EOF &&
	{
	  "note": "kept",
	  "posts": [
	    {
	      "number": 100,
	      "title": "seed",
	      "author": "old"
	    },
	    {
	      "number": 101,
	      "title": "new",
	      "author": "new"
	    }
	  ]
	}
	EOF
	test_cmp expect gen/state/posted_log.json &&
	cat >expect <<-\EOF &&
	{
	  "total_posts": 2,
	  "extra": true,
	  "total_comments": 0
	}
	EOF
	test_cmp expect gen/state/stats.json &&
	jq -r .genesis gen/.dc/head.json >actual &&
	git -C gen rev-parse HEAD~2 >expect &&
	test_cmp expect actual
'

test_expect_success 'a refold starts again from that genesis' '
	(
		cd gen &&
		dc_delta_json 1 m 2026-03-28T02:00:00Z "\"posts_created\": [{\"number\": 99, \"title\": \"late\", \"author\": \"old\"}]" |
		commit_delta frame-1-m.json &&
		git dc merge >../out &&
		grep "folded again from genesis" ../out
	) &&
	jq -c "[.posts[].number], .note" gen/state/posted_log.json >actual &&
	printf "[100,99,101]\n\"kept\"\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a canonical file edited by hand and committed without the hooks: the next merge folds from genesis' '
	dc_repo tamper &&
	(
		cd tamper &&
		dc_delta_json 1 a 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" | commit_delta frame-1-a.json &&
		git dc merge -q >/dev/null &&
		echo "{\"events\": [\"by hand\"]}" >state/events.json &&
		git commit -q --no-verify -am "an edit by hand" &&
		edit=$(git rev-parse --short=12 HEAD) &&
		git dc merge >out 2>err &&
		grep "folded again from genesis" out &&
		echo "warning: the state is not what '"'"'git dc merge'"'"' wrote (commit $edit changed '"'"'state/events.json'"'"' alone): folding again from genesis" >expect &&
		test_cmp expect err &&
		jq -c . state/events.json >actual &&
		echo "{\"events\":[{\"n\":1}]}" >expect &&
		test_cmp expect actual &&
		git dc check HEAD &&
		git dc merge >out 2>err &&
		grep "^Nothing to merge" out &&
		test_must_be_empty err &&

		echo "{\"events\": [\"again\"]}" >state/events.json &&
		git commit -q --no-verify -am "another edit" &&
		dc_delta_json 2 a 2026-03-28T03:01:00Z "\"events\": [{\"n\": 2}]" | commit_delta frame-2-a.json &&
		git dc merge >out 2>err &&
		grep "^warning: the state is not what" err &&
		jq -c . state/events.json >actual &&
		echo "{\"events\":[{\"n\":1},{\"n\":2}]}" >expect &&
		test_cmp expect actual &&
		dc_delta_json 3 a 2026-03-28T03:02:00Z "\"events\": [{\"n\": 3}]" | commit_delta frame-3-a.json &&
		git dc merge >out 2>err &&
		! grep "folded again" out &&
		test_must_be_empty err
	)
'

test_expect_success '.dc/head.json edited by hand: no delta is applied twice' '
	dc_repo headedit &&
	(
		cd headedit &&
		dc_delta_json 1 a 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" | commit_delta frame-1-a.json &&
		dc_delta_json 2 a 2026-03-28T03:01:00Z "\"events\": [{\"n\": 2}]" | commit_delta frame-2-a.json &&
		git dc merge -q >/dev/null &&
		git show HEAD:state/events.json >expect &&
		sed -i "s/\"frame\": 2/\"frame\": 1/" .dc/head.json &&
		git commit -q --no-verify -am "frame 1, by hand" &&
		git dc merge >out 2>err &&
		grep "^warning: the state is not what .git dc merge. wrote (.\.dc/head\.json. names a last delta it does not count as applied)" err &&
		test_cmp expect state/events.json &&
		git dc check HEAD
	)
'

test_expect_success 'core.looseCompression=0: git reads every object a merge writes' '
	dc_repo stored &&
	(
		cd stored &&
		git config core.looseCompression 0 &&
		dc_delta_json 1 a 2026-03-28T03:00:00Z "\"events\": [{\"n\": 1}]" | commit_delta frame-1-a.json &&
		git dc merge -q >/dev/null &&
		git fsck --full --strict --no-dangling &&
		git cat-file -p HEAD >commit &&
		grep "^tree " commit &&
		test "$(git show HEAD:state/events.json | jq -c .)" = "{\"events\":[{\"n\":1}]}"
	)
'

test_done
