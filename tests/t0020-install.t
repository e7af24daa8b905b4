#!/bin/sh
test_description='make install, uninstall, doc, install-doc and deb

A user install (prefix under the trash directory, a path with a space) and
a packager'"'"'s staged one (DESTDIR, prefix=/usr) put the programs and the
completion scripts where git, bash-completion and zsh look; the installed
git dc runs from PATH alone, git merge -s dc finds its strategy, and
uninstall leaves no file behind. make doc builds one man page per
Documentation/*.adoc, install-doc installs them where git help finds them.
make deb builds a package that declares its dependencies; as root (CI) it
is installed with dpkg, run and removed.'
. "$(dirname "$0")/lib-dc.sh"

# the make of the test runner must not leak into ours
unset MAKEFLAGS MFLAGS MAKELEVEL

# dc_make <args>: make in the source tree, its output shown only on failure
dc_make () {
	make -C "$DC_SOURCE_DIR" --no-print-directory "$@" >make.out 2>&1 ||
	{ cat make.out >&2; return 1; }
}

# make targets cannot hold spaces, and the trash directory's name does: the
# man pages and the package are built in the source tree's bin/, in
# directories of this run, removed at the end (built once, used by several
# tests)
MAN_BUILD=bin/man-t0020-$$
DEB_DIR=bin/deb-t0020-$$
cleanup_build () {
	rm -rf "$DC_SOURCE_DIR/$MAN_BUILD" "$DC_SOURCE_DIR/$DEB_DIR"
}

USER_PREFIX=$PWD/home/.local
SYS_PATH=/usr/bin:/bin

command -v asciidoctor >/dev/null && test_set_prereq ASCIIDOCTOR
command -v man >/dev/null && test_set_prereq MAN
command -v dpkg-deb >/dev/null && test_set_prereq DPKG_DEB
if test "$(id -u)" = 0 && command -v dpkg >/dev/null &&
	! dpkg -s git-dc >/dev/null 2>&1
then
	test_set_prereq ROOT_DPKG
fi
PATH=$SYS_PATH command -v git-merge-dc >/dev/null || test_set_prereq NO_SYSTEM_GIT_DC

# files_under <dir>: every file and symbolic link under <dir>, relative, sorted
files_under () {
	(cd "$1" && find . -type f -o -type l) | sort
}

# dc_merge_repo <dir>: a dc repository whose main and side branches each
# committed one delta of frame 1, with whatever git dc PATH finds
dc_merge_repo () {
	git init -q -b main "$1" &&
	(
		cd "$1" &&
		test_commit first &&
		git dc init --preset minimal >/dev/null &&
		git checkout -q -b side &&
		echo "{\"events\": [{\"n\": 1}]}" |
		git dc delta --frame 1 --stream s1 --utc 2026-03-28T03:00:00Z >/dev/null &&
		git checkout -q main &&
		echo "{\"events\": [{\"n\": 2}]}" |
		git dc delta --frame 1 --stream s2 --utc 2026-03-28T03:00:01Z >/dev/null
	)
}

test_expect_success 'make install prefix=~/.local: the programs and the completion' '
	dc_make install prefix="$USER_PREFIX" &&
	for p in git-dc git-dc-hook git-merge-dc git-dc-merge-driver
	do
		test -x "$USER_PREFIX/bin/$p" || return 1
	done &&
	cmp "$DC_SOURCE_DIR/contrib/completion/git-dc.bash" \
		"$USER_PREFIX/share/bash-completion/completions/git-dc" &&
	cmp "$DC_SOURCE_DIR/contrib/completion/_git-dc" \
		"$USER_PREFIX/share/zsh/site-functions/_git-dc" &&
	files_under "$USER_PREFIX" >installed &&
	{
		grep -v -e "^\./bin/git-[a-z-]*$" \
			-e "^\./share/bash-completion/completions/git-dc$" \
			-e "^\./share/zsh/site-functions/_git-dc$" installed ||
		test $? = 1
	} >other &&
	test_must_be_empty other
'

test_expect_success 'the installed git dc runs from PATH alone' '
	git dc version >expect &&
	PATH="$USER_PREFIX/bin:$SYS_PATH" git dc version >actual &&
	test_cmp expect actual
'

test_expect_success NO_SYSTEM_GIT_DC 'without git-merge-dc on PATH git has no dc strategy' '
	dc_merge_repo no-strategy &&
	test_must_fail env PATH="$SYS_PATH" git -C no-strategy merge -s dc side 2>err &&
	grep "merge strategy .dc." err
'

test_expect_success 'git merge -s dc runs the installed strategy' '
	(
		PATH="$USER_PREFIX/bin:$SYS_PATH" &&
		dc_merge_repo merged &&
		cd merged &&
		grep "$USER_PREFIX/bin/git-dc-hook" .git/hooks/pre-commit &&
		git merge -q -s dc --no-edit side &&
		git rev-parse --verify -q HEAD^2 >/dev/null &&
		git ls-tree -r --name-only HEAD state/stream_deltas >../deltas
	) &&
	cat >expect <<-\EOF &&
	state/stream_deltas/frame-1-s1.json
	state/stream_deltas/frame-1-s2.json
	EOF
	test_cmp expect deltas
'

test_expect_success 'make uninstall leaves no file behind' '
	dc_make uninstall prefix="$USER_PREFIX" &&
	files_under "$USER_PREFIX" >left &&
	test_must_be_empty left
'

test_expect_success 'DESTDIR stages an install for prefix /usr' '
	dc_make install DESTDIR="$PWD/stage" prefix=/usr &&
	files_under stage >staged &&
	{
		grep -v -e "^\./usr/bin/git-[a-z-]*$" \
			-e "^\./usr/share/bash-completion/completions/git-dc$" \
			-e "^\./usr/share/zsh/vendor-completions/_git-dc$" staged ||
		test $? = 1
	} >other &&
	test_must_be_empty other &&
	grep "^\./usr/bin/git-merge-dc$" staged &&
	grep "^\./usr/share/zsh/vendor-completions/_git-dc$" staged &&
	dc_make uninstall DESTDIR="$PWD/stage" prefix=/usr &&
	files_under stage >left &&
	test_must_be_empty left
'

# each Documentation/*.adoc, as "<name> <section>" from its title line
for adoc in "$DC_SOURCE_DIR"/Documentation/*.adoc
do
	sed -n '1s/^= \([a-z0-9-]*\)(\([1-9]\))$/\1 \2/p' "$adoc"
done >pages

test_expect_success 'every Documentation/*.adoc has a "= <name>(<section>)" title' '
	test $(wc -l <pages) = $(ls "$DC_SOURCE_DIR"/Documentation/*.adoc | wc -l)
'

# make doc: each page names itself in .TH and NAME; a section 1 page has
# a SYNOPSIS (roff writes "-" as "\-": undone before looking)
test_expect_success ASCIIDOCTOR 'make doc builds a man page per page source' '
	dc_make doc MAN_BUILD="$MAN_BUILD" &&
	while read name sec
	do
		sed "s/\\\\-/-/g" "$DC_SOURCE_DIR/$MAN_BUILD/man$sec/$name.$sec" >page &&
		grep "^\.TH \"$(echo "$name" | tr a-z A-Z)\" \"$sec\" " page &&
		grep -A1 "^\.SH \"NAME\"$" page | grep "^$name[ ,]" &&
		if test "$sec" = 1
		then
			grep "^\.SH \"SYNOPSIS\"$" page
		fi || return 1
	done <pages
'

test_expect_success ASCIIDOCTOR,MAN 'the man pages render without leftover markup' '
	dc_make doc MAN_BUILD="$MAN_BUILD" &&
	while read name sec
	do
		MANWIDTH=80 man -l "$DC_SOURCE_DIR/$MAN_BUILD/man$sec/$name.$sec" \
			>"$name.txt" 2>/dev/null &&
		grep "^NAME$" "$name.txt" &&
		! grep -n "::$" "$name.txt" || return 1
	done <pages
'

test_expect_success ASCIIDOCTOR,MAN 'install-doc: git help dc and git dc --help open git-dc(1)' '
	dc_make install install-doc prefix="$USER_PREFIX" MAN_BUILD="$MAN_BUILD" &&
	M=$USER_PREFIX/share/man &&
	while read name sec
	do
		test -f "$M/man$sec/$name.$sec" || return 1
	done <pages &&
	(
		PATH="$USER_PREFIX/bin:$SYS_PATH" &&
		MANPATH=$M &&
		export MANPATH &&
		git -c help.format=man -c man.viewer=dcman -c man.dcman.cmd="man -w" \
			help dc >help &&
		git -c help.format=man -c man.viewer=dcman -c man.dcman.cmd="man -w" \
			dc --help >dashdash-help &&
		git -c help.format=man -c man.viewer=dcman -c man.dcman.cmd="man -w" \
			dc merge --help >sub-help &&
		man -w git-dc-merge-driver >driver &&
		man -w 7 dc-protocol >protocol
	) &&
	echo "$M/man1/git-dc.1" >expect &&
	test_cmp expect help &&
	test_cmp expect dashdash-help &&
	test_cmp expect sub-help &&
	echo "$M/man1/git-merge-dc.1" >expect &&
	test_cmp expect driver &&
	echo "$M/man7/dc-protocol.7" >expect &&
	test_cmp expect protocol &&
	dc_make uninstall prefix="$USER_PREFIX" &&
	files_under "$USER_PREFIX" >left &&
	test_must_be_empty left
'

test_expect_success ASCIIDOCTOR,DPKG_DEB 'make deb builds a package that declares its dependencies' '
	dc_make deb DEB_DIR="$DEB_DIR" MAN_BUILD="$MAN_BUILD" &&
	version=$(git dc version | sed -n "s/^git-dc version \([^ ]*\) .*/\1/p") &&
	deb="$DC_SOURCE_DIR/$DEB_DIR/git-dc_${version}_$(dpkg --print-architecture).deb" &&
	cp "$deb" git-dc.deb &&
	dpkg-deb -f git-dc.deb Package Version Architecture >fields &&
	cat >expect <<-EOF &&
	Package: git-dc
	Version: $version
	Architecture: $(dpkg --print-architecture)
	EOF
	test_cmp expect fields &&
	dpkg-deb -f git-dc.deb Depends | tr -d " " | tr , "\n" | sed "s/(.*//" >depends &&
	for p in git libgit2-1.5 libjson-c5 libbsd0 libssl3 zlib1g
	do
		grep -x "$p" depends || return 1
	done &&
	dpkg-deb -c git-dc.deb >contents &&
	awk "{ print \$2, \$6 }" contents >owners-paths &&
	! grep -v "^root/root \./usr/" owners-paths | grep -v "^root/root \./$" &&
	for f in usr/bin/git-dc usr/bin/git-dc-hook usr/bin/git-merge-dc \
		usr/bin/git-dc-merge-driver usr/share/man/man1/git-dc.1.gz \
		usr/share/man/man7/dc-protocol.7.gz \
		usr/share/bash-completion/completions/git-dc \
		usr/share/zsh/vendor-completions/_git-dc
	do
		grep " \./$f$" contents || return 1
	done
'

test_expect_success ROOT_DPKG,ASCIIDOCTOR,DPKG_DEB 'as root: dpkg -i, git dc version, dpkg -r' '
	test_when_finished "dpkg -r git-dc >/dev/null 2>&1" &&
	dpkg -i git-dc.deb >dpkg.out 2>&1 &&
	git dc version >expect &&
	env PATH=$SYS_PATH git dc version >actual &&
	test_cmp expect actual &&
	(
		PATH=$SYS_PATH &&
		dc_merge_repo from-deb &&
		grep /usr/bin/git-dc-hook from-deb/.git/hooks/pre-commit &&
		git -C from-deb merge -q -s dc --no-edit side &&
		git -C from-deb rev-parse --verify -q HEAD^2 >/dev/null
	) &&
	dpkg -L git-dc >listed &&
	grep -x /usr/bin/git-merge-dc listed &&
	dpkg -r git-dc >dpkg.out 2>&1 &&
	test_must_fail dpkg -s git-dc >/dev/null 2>&1 &&
	awk "\$1 ~ /^-/ { print substr(\$6, 2) }" contents >files &&
	test -s files &&
	while read f
	do
		! test -e "$f" || return 1
	done <files
'

cleanup_build
test_done
