#!/usr/bin/env python3
"""Deterministic workloads for 'make bench' (see contrib/bench/run).

A workload is a genesis state in the shape of the rappterbook preset (posts
and comments in state/posted_log.json, agents, channels, stats, votes,
reactions, observations) and a sequence of frames, each one delta per
stream. Everything comes from one fixed seed: the same arguments give the
same bytes on any machine, and frame k of a run is the same whatever the
number of frames asked for, so W1 is exactly the first 100 frames of W3.

The event mix of one delta at scale m: 3m posts (about 4% reuse a number
another stream posts in the same frame, about 8% are [CHAPTER] posts),
8m comments (about 5% exact duplicates of an earlier comment, some spelled
with the 'agent' and 'post' member names the preset normalizes), 6m votes,
2m reactions, m observations and 3m profile updates carrying their own
skewed utc. The delta's own instant is in 'utc', 'completed_at' or
'_meta.timestamp', with a clock skew per stream of up to 4 minutes.

Run as a program it writes a workload into a directory, for looking at:
    workload.py <dir> [--scale S] [--frames N] [--mult M]
"""
import json
import time
import os
import random
import sys

SEED = 20260328
STREAMS = 15
AGENTS = 150
CHANNELS = 46
T0 = 1774656000  # 2026-03-28T00:00:00Z
FRAME_SECONDS = 600

WORDS = ("dream tide signal archive lantern orbit mirror harbor thread ember "
         "quiet river circuit garden echo ledger compass meadow prism vessel "
         "north static summer cipher hollow beacon fable marrow copper willow "
         "atlas drift kernel pulse canvas shelter glacier rumor spiral anchor "
         "velvet timber oracle ripple cobalt saffron meridian parable").split()
CHANNEL_NAMES = ("general philosophy stories debates code research art music "
                 "science history poetry random meta announcements").split()
REACTIONS = ("THUMBS_UP", "HEART", "ROCKET", "EYES", "LAUGH", "HOORAY")
FIELDS = ("bio", "status", "mood", "heartbeat_last", "focus")


def utc(t, micro=0):
    """An RFC 3339 instant for epoch second t (UTC)."""
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return "%s.%06dZ" % (s, micro) if micro else s + "Z"


def dump(obj):
    """The canonical layout (json.dump(indent=2, ensure_ascii=False)) as bytes."""
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class Workload:
    """Genesis state and frames for one seed and one state scale."""

    def __init__(self, scale=1.0, seed=SEED):
        self.scale = scale
        self.seed = seed
        self.agents = ["agent-%d" % i for i in range(1, AGENTS + 1)]
        self.channels = [CHANNEL_NAMES[i] if i < len(CHANNEL_NAMES)
                         else "%s-%d" % (CHANNEL_NAMES[i % len(CHANNEL_NAMES)], i)
                         for i in range(CHANNELS)]
        self.nposts = int(10000 * scale)
        self.ncomments = int(20000 * scale)
        self.next_number = 1000 + self.nposts
        self.numbers = list(range(1000, 1000 + self.nposts))
        self.past_comments = []
        self.frame = 0

    def text(self, rng, lo, hi):
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))

    # ---- genesis ----------------------------------------------------------

    def state(self):
        """{path: bytes} of the genesis state."""
        rng = random.Random("%d-state-%s" % (self.seed, self.scale))
        posts, comments = [], []
        per_author, per_channel = {}, {}
        for i, n in enumerate(self.numbers):
            author = rng.choice(self.agents)
            channel = rng.choice(self.channels)
            per_author[author] = per_author.get(author, 0) + 1
            per_channel[channel] = per_channel.get(channel, 0) + 1
            posts.append({
                "timestamp": utc(T0 - 86400 * 30 + i * 60),
                "title": self.text(rng, 3, 9).capitalize(),
                "channel": channel,
                "number": n,
                "url": "https://github.com/example/rappterbook/discussions/%d" % n,
                "author": author,
            })
        for i in range(self.ncomments):
            comments.append({
                "discussion": rng.choice(self.numbers),
                "author": rng.choice(self.agents),
                "body": self.text(rng, 6, 26),
                "timestamp": utc(T0 - 86400 * 30 + i * 30),
            })
        agents = {}
        for a in self.agents:
            agents[a] = {
                "name": "Agent " + a.split("-")[1],
                "status": "active",
                "bio": self.text(rng, 6, 16),
                "heartbeat_last": utc(T0 - rng.randint(0, 86400)),
                "comment_count": rng.randint(0, 300),
                "post_count": per_author.get(a, 0),
            }
        channels = {}
        for c in self.channels:
            channels[c] = {
                "slug": c,
                "description": self.text(rng, 4, 12),
                "verified": True,
                "post_count": per_channel.get(c, 0),
            }
        votes = [{"post": rng.choice(self.numbers), "voter": rng.choice(self.agents),
                  "type": rng.choice(("up", "up", "up", "down"))}
                 for _ in range(int(4000 * self.scale))]
        reactions = [{"discussion": rng.choice(self.numbers), "agent": rng.choice(self.agents),
                      "reaction": rng.choice(REACTIONS)}
                     for _ in range(int(2000 * self.scale))]
        observations = [self.observation(rng, 0, rng.randrange(STREAMS))
                        for _ in range(int(400 * self.scale))]
        return {
            "state/posted_log.json": dump({"posts": posts, "comments": comments}),
            "state/agents.json": dump({"agents": agents,
                                       "_meta": {"count": len(agents),
                                                 "last_updated": utc(T0)}}),
            "state/channels.json": dump({"channels": channels,
                                         "_meta": {"count": len(channels),
                                                   "last_updated": utc(T0)}}),
            "state/stats.json": dump({"total_posts": len(posts),
                                      "total_comments": len(comments),
                                      "total_agents": len(agents)}),
            "state/votes.json": dump({"votes": votes}),
            "state/reactions.json": dump({"reactions": reactions}),
            "state/observations.json": dump({"observations": observations}),
        }

    # ---- frames -----------------------------------------------------------

    def observation(self, rng, frame, stream):
        a = rng.choice(self.agents)
        return {"stream": "stream-%d" % (stream + 1), "frame": frame,
                "becoming": {a: self.text(rng, 2, 5)},
                "relationships": {a: {rng.choice(self.agents): rng.choice(("ally", "rival"))}},
                "emerging_themes": [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]}

    def next_frame(self, mult=1):
        """The deltas of the next frame: a list of (frame, stream id, bytes, events)."""
        self.frame += 1
        f = self.frame
        rng = random.Random("%d-frame-%d-%d" % (self.seed, f, mult))
        base = T0 + f * FRAME_SECONDS
        recent = self.numbers[-2000:]
        frame_posts, out = [], []
        for s in range(STREAMS):
            sid = "stream-%d" % (s + 1)
            skew = ((s * 37) % 481) - 240  # this stream's clock: -240..+240 s
            t = base + skew + rng.randint(0, 59)
            posts = []
            for _ in range(3 * mult):
                if frame_posts and rng.random() < 0.04:
                    n = rng.choice(frame_posts)  # the same number from two streams
                else:
                    n = self.next_number
                    self.next_number += 1
                    frame_posts.append(n)
                chapter = rng.random() < 0.08
                title = self.text(rng, 3, 9).capitalize()
                posts.append({
                    "number": n,
                    "title": ("[CHAPTER] Chapter %d: %s" % (rng.randint(1, 40), title)
                              if chapter else title),
                    "author": rng.choice(self.agents),
                    "channel": "stories" if chapter else rng.choice(self.channels),
                    "created_at": utc(t - rng.randint(0, 300)),
                })
            comments = []
            for _ in range(8 * mult):
                if self.past_comments and rng.random() < 0.05:
                    comments.append(dict(rng.choice(self.past_comments)))
                    continue
                c = {"discussion": rng.choice(recent if rng.random() < 0.7 else self.numbers),
                     "author": rng.choice(self.agents),
                     "body": self.text(rng, 8, 30)}
                if rng.random() < 0.1:
                    c = {"post": c["discussion"], "agent": c["author"], "body": c["body"]}
                comments.append(c)
                if len(self.past_comments) < 5000:
                    self.past_comments.append(c)
                else:
                    self.past_comments[rng.randrange(5000)] = c
            votes = [{"post": rng.choice(recent), "voter": rng.choice(self.agents),
                      "type": rng.choice(("up", "up", "up", "down"))}
                     for _ in range(6 * mult)]
            reactions = [{"discussion": rng.choice(recent), "agent": rng.choice(self.agents),
                          "reaction": rng.choice(REACTIONS)}
                         for _ in range(2 * mult)]
            obs = [self.observation(rng, f, s) for _ in range(mult)]
            profile = [{"agent": rng.choice(self.agents), "field": rng.choice(FIELDS),
                        "value": self.text(rng, 1, 6),
                        "utc": utc(t - rng.randint(-120, 600))}
                       for _ in range(3 * mult)]
            d = {"frame": f, "stream_id": sid, "stream_type": "dream_catcher",
                 "agents_activated": sorted(set(p["author"] for p in posts))}
            d["posts_created"] = posts
            d["comments_added"] = comments
            d["votes"] = votes
            d["reactions_added"] = reactions
            d["observations"] = obs[0] if mult == 1 and s % 2 else obs
            d["profile_updates"] = profile
            d["discussions_engaged"] = sorted(set(c.get("discussion", c.get("post"))
                                                  for c in comments))[:5]
            when = utc(t, rng.randrange(1000000))
            style = s % 3
            if style == 0:
                d["utc"] = when
            elif style == 1:
                d["completed_at"] = when
            d["_meta"] = {"frame": f, "node_id": sid,
                          "timestamp": when if style == 2 else utc(t)}
            events = len(posts) + len(comments) + len(votes) + len(reactions) + \
                len(obs) + len(profile)
            out.append((f, sid, json.dumps(d, indent=2).encode("utf-8") + b"\n", events))
        self.numbers.extend(frame_posts)
        return out


def small_delta(frame, stream):
    """A small valid delta (three events) for filling a repository with many."""
    t = T0 + frame * FRAME_SECONDS
    n = int(stream.rsplit("-", 1)[1])
    return {"frame": frame, "stream_id": stream, "utc": utc(t, n),
            "observations": {"stream": stream, "frame": frame, "note": "tick"},
            "votes": [{"post": 1000 + (frame * 7 + n) % 10000,
                       "voter": "agent-%d" % (1 + (frame + n) % AGENTS), "type": "up"}],
            "profile_updates": [{"agent": "agent-%d" % (1 + n), "field": "heartbeat_last",
                                 "value": utc(t)}]}


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description="write a git-dc bench workload")
    p.add_argument("dir")
    p.add_argument("--scale", type=float, default=1.0, help="state size (1: about 8 MB)")
    p.add_argument("--frames", type=int, default=1)
    p.add_argument("--mult", type=int, default=1, help="events per delta, in units of 23")
    a = p.parse_args(argv)
    w = Workload(a.scale)
    for path, data in w.state().items():
        os.makedirs(os.path.join(a.dir, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(a.dir, path), "wb") as fh:
            fh.write(data)
    d = os.path.join(a.dir, "state", "stream_deltas")
    os.makedirs(d, exist_ok=True)
    events = 0
    for _ in range(a.frames):
        for f, sid, data, n in w.next_frame(a.mult):
            with open(os.path.join(d, "frame-%d-%s.json" % (f, sid)), "wb") as fh:
                fh.write(data)
            events += n
    print("%d frames, %d events" % (a.frames, events))


if __name__ == "__main__":
    main(sys.argv[1:])
