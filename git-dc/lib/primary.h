#ifndef DC_PRIMARY_H
#define DC_PRIMARY_H
/*
 * The primary's merge (PROTOCOL section 8): fetch every stream ref, take
 * in the new stream tips, fold, commit one merge commit, and move the
 * remote's branch with a compare-and-swap. Two primaries can never both
 * win: the loser fetches the winner's commit, drops its own unpushed dc
 * merge commits (the deltas they took in are still in the stream refs),
 * and folds again on top.
 */
#include "merge.h"

struct dc_primary_opts {
	const char *remote;	/* fetch from (and push to) this remote; NULL: local */
	int push;
	unsigned attempts;	/* bounded retries of a lost race; 0 = 5 */
	struct dc_merge_opts merge;
};

struct dc_primary_result {
	struct dc_merge_result merge;	/* of the last attempt */
	int pushed;
	unsigned attempts;		/* how many merges it took */
	unsigned lost_races;
	char remote_tip[41];		/* the remote branch after the push ("" if none) */
};

/*
 * Without a remote, the sources are the local refs/heads/dc/streams/<id>
 * (a primary running in the shared bare repository); with one, they are
 * fetched into refs/remotes/<remote>/dc/streams/<id> first.
 */
int dc_primary_merge(struct dc_repo *r, const struct dc_primary_opts *o,
		     struct dc_primary_result *res, struct dc_err *err);
void dc_primary_result_release(struct dc_primary_result *res);

#endif
