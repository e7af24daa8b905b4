#ifndef DC_INIT_H
#define DC_INIT_H
/*
 * `git dc init` and `git dc delta` as engine calls: both write one commit
 * on the branch HEAD points at, built from that branch's tree (never from
 * .git/index, so nothing else the user staged is taken along), move the
 * branch by compare-and-swap, then bring the work tree and the index
 * entries of the paths they wrote along.
 */
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "repo.h"

struct dc_init_opts {
	const char *preset;	/* NULL: keep rules found, else "minimal" */
	int force;		/* replace different existing rules */
};

struct dc_init_result {
	int committed;
	char commit[41];
	int rules_written;	/* 0: the rules were already there */
	int attributes_written;
	char *preset;		/* the preset written, or NULL */
	char **uncommitted;	/* canonical files present in the work tree but not committed */
	size_t nuncommitted;
};

int dc_init(struct dc_repo *r, const struct dc_init_opts *o, struct dc_init_result *res,
	    struct dc_err *err);
void dc_init_result_release(struct dc_init_result *res);

/* The block git dc init keeps in .gitattributes, for the given rules text. */
int dc_attributes_block(struct dc_buf *out, const char *rules, size_t len, struct dc_err *err);

struct dc_add_opts {
	const char *input;	/* the delta's bytes */
	size_t len;
	const char *input_path;	/* the file it came from, or NULL (stdin) */
	uint64_t frame;
	int has_frame;
	const char *stream;	/* NULL: from the delta, the branch or dc.stream */
	const char *utc;	/* NULL: from the delta, else now */
};

struct dc_add_result {
	char *path;		/* the delta's path in the repository */
	uint64_t frame;
	char *stream;
	char *utc;
	int committed;		/* 0: the identical delta was already committed */
	char commit[41];
	char blob[41];
};

int dc_add_delta(struct dc_repo *r, const struct dc_add_opts *o, struct dc_add_result *res,
		 struct dc_err *err);
void dc_add_result_release(struct dc_add_result *res);

/*
 * The most bytes a delta may hold under the rules of HEAD (their
 * max_delta_bytes; the default when HEAD has no rules that load, which
 * dc_add_delta() then reports). A front end reads at most one byte more:
 * dc_add_delta() refuses that before parsing, so memory stays bounded.
 */
int dc_add_delta_limit(uint64_t *max, struct dc_repo *r, struct dc_err *err);

#endif
