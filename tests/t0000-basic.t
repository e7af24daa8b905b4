#!/bin/sh
test_description='git dc front end: usage, exit codes, version'
. "$(dirname "$0")/lib-dc.sh"

test_expect_success 'git dc with no command prints the commands and exits 129' '
	test_expect_code 129 git dc 2>err &&
	grep "^usage: git dc <command>" err &&
	grep "^   merge " err
'

test_expect_success 'git dc -h prints the commands on stdout' '
	test_expect_code 129 git dc -h >out &&
	grep "^   delta " out &&
	grep "^   status " out
'

test_expect_success 'an unknown command exits 129 with a pointer to -h' '
	test_expect_code 129 git dc frobnicate 2>err &&
	grep "'"'"'frobnicate'"'"' is not a git dc command" err
'

for cmd in init delta merge status version
do
	test_expect_success "git dc $cmd -h prints its usage on stdout and exits 129" "
		test_expect_code 129 git dc $cmd -h >out &&
		grep '^usage: git dc $cmd' out
	"
	test_expect_success "git dc $cmd with an unknown option exits 129" "
		test_expect_code 129 git dc $cmd --no-such-option 2>err &&
		grep 'unknown option' err &&
		grep '^usage: git dc $cmd' err
	"
done

test_expect_success 'git dc version names the protocol and the libraries' '
	git dc version >out &&
	grep "^git-dc version .* (protocol v1, libgit2 1\.[0-9]*\.[0-9]*, json-c " out &&
	git dc version --json >out.json &&
	grep "\"protocol\": 1" out.json
'

test_expect_success 'outside a repository: fatal, exit 128' '
	mkdir not-a-repo &&
	(
		cd not-a-repo &&
		GIT_CEILING_DIRECTORIES=$TRASH_DIRECTORY &&
		export GIT_CEILING_DIRECTORIES &&
		test_expect_code 128 git dc status 2>err &&
		grep "^fatal: not a git repository" err
	)
'

test_expect_success 'the programs that start libgit2 take its CA loads (no bundle parsed)' '
	if ldd "$SHARNESS_BUILD_DIRECTORY/git-dc" | grep -q libmbedx509
	then
		for p in git-dc git-merge-dc
		do
			nm -D --defined-only "$SHARNESS_BUILD_DIRECTORY/$p" >syms &&
			grep " T mbedtls_x509_crt_parse_file$" syms &&
			grep " T mbedtls_x509_crt_parse_path$" syms || return 1
		done
	else
		say "libgit2 does not use mbedTLS here: nothing to take"
	fi
'

test_done
