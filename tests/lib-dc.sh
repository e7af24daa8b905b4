# Sourced by every tests/tNNNN-*.t script: `. "$(dirname "$0")/lib-dc.sh"`.
# Sets up sharness the way git's t/test-lib.sh sets up its tests: the built
# bin/ first on PATH, no inherited GIT_* variables, fixed identities and
# dates, no user or system configuration. Helpers are in sharness.d/dc.sh.

SHARNESS_TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
SHARNESS_BUILD_DIRECTORY=$(cd "$SHARNESS_TEST_DIRECTORY/../bin" 2>/dev/null && pwd)
if test -z "$SHARNESS_BUILD_DIRECTORY" || ! test -x "$SHARNESS_BUILD_DIRECTORY/git-dc"
then
	echo "1..0 # SKIP bin/git-dc is not built: run 'make' first"
	exit 0
fi
DC_SOURCE_DIR=$(cd "$SHARNESS_TEST_DIRECTORY/.." && pwd)
DC_CORPUS=${DC_CORPUS:-$DC_SOURCE_DIR/../shared/corpus/rappterbook-edge}
export SHARNESS_TEST_DIRECTORY SHARNESS_BUILD_DIRECTORY DC_SOURCE_DIR DC_CORPUS

# every GIT_* variable the caller had is dropped (hooks, CI and a developer's
# shell set them); then the ones the tests rely on are set
for v in $(env | sed -n 's/^\(GIT_[A-Za-z0-9_]*\)=.*/\1/p')
do
	unset "$v"
done
GIT_AUTHOR_NAME='A U Thor'
GIT_AUTHOR_EMAIL='author@example.com'
GIT_COMMITTER_NAME='C O Mitter'
GIT_COMMITTER_EMAIL='committer@example.com'
GIT_CONFIG_NOSYSTEM=1
GIT_ATTR_NOSYSTEM=1
GIT_MERGE_VERBOSITY=5
GIT_MERGE_AUTOEDIT=no
GIT_TERMINAL_PROMPT=0
EDITOR=:
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
export GIT_CONFIG_NOSYSTEM GIT_ATTR_NOSYSTEM GIT_MERGE_VERBOSITY GIT_MERGE_AUTOEDIT
export GIT_TERMINAL_PROMPT EDITOR
unset XDG_CONFIG_HOME

. /usr/share/sharness/sharness.sh

# the trash directory is HOME: give it a quiet global configuration
git config --global init.defaultBranch main
git config --global advice.detachedHead false
git config --global core.autocrlf false
git config --global protocol.file.allow always
