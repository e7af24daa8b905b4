#!/bin/sh
test_description='bash and zsh completion of git dc

contrib/completion/git-dc.bash is driven the way bash drives it: git'"'"'s own
completion loaded, COMP_WORDS and COMP_CWORD set, the function that
`complete -p` names for git (or git-dc) called, COMPREPLY read. The
commands offered are those of `git dc -h`, and the options offered for
every command are exactly the long options its -h prints, so the two
cannot drift apart. contrib/completion/_git-dc is driven through a real
interactive zsh on a pseudo-terminal.'
. "$(dirname "$0")/lib-dc.sh"

GIT_BASH_COMPLETION=/usr/share/bash-completion/completions/git
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
COMPLETION_DIR=$DC_SOURCE_DIR/contrib/completion

test -f "$GIT_BASH_COMPLETION" && command -v bash >/dev/null &&
	test_set_prereq BASH
test -f "$BASH_COMPLETION" && test_set_prereq BASH_COMPLETION
command -v zsh >/dev/null && zsh -fc 'zmodload zsh/zpty' 2>/dev/null &&
	test_set_prereq ZSH

# comp.sh <word>...: the candidates bash offers for the last word, one a
# line, in the order the completion gave them (trailing space shown as
# "<word> ", as bash would insert it)
cat >comp.sh <<EOF
. "$GIT_BASH_COMPLETION"
. "$COMPLETION_DIR/git-dc.bash"
COMP_WORDS=("\$@")
COMP_CWORD=\$((\$# - 1))
COMP_LINE="\$*"
COMP_POINT=\${#COMP_LINE}
fn=\$(complete -p "\$1" | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
test -n "\$fn" || { echo "no completion for \$1" >&2; exit 1; }
"\$fn" "\$1" "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
for c in "\${COMPREPLY[@]}"
do
	printf '%s\n' "\$c"
done
EOF

comp () {
	bash ./comp.sh "$@"
}

# the commands, as `git dc -h` lists them (as tests/t0010-docs.t reads them)
test_expect_code 129 git dc -h >help
commands=$(sed -n 's/^   \([a-z][a-z0-9-]*\) .*/\1/p' help)

# help_options <cmd>...: the long options of `git dc <cmd>... -h`, "=" after
# those that take a value, sorted
help_options () {
	test_expect_code 129 git dc "$@" -h >usage &&
	awk '/^    -/ {
		sub(/^ +(-[^-], )?/, "")
		print $1 ($2 ~ /^</ ? "=" : "")
	}' usage | sort
}

# offered_options <cmd>...: what bash offers after `git dc <cmd>... --`,
# without the trailing spaces and the "--no-..." entry, sorted
offered_options () {
	comp git dc "$@" -- >offered &&
	sed 's/ $//' offered | grep -v '^--no-\.\.\.$' | sort
}

test_expect_success 'the commands are listed' '
	test -n "$commands"
'

test_expect_success 'git dc --list-cmds prints the commands of git dc -h' '
	git dc --list-cmds >list &&
	echo "$commands" >expect &&
	test_cmp expect list
'

test_expect_success 'each command takes --git-completion-helper and exits 0' '
	for cmd in $commands
	do
		test "$cmd" = worktree && continue
		git dc $cmd --git-completion-helper >out-$cmd &&
		test $(wc -l <out-$cmd) = 1 || return 1
	done
'

test_expect_success '--git-completion-helper is hidden from -h' '
	for cmd in $commands
	do
		test_expect_code 129 git dc $cmd -h >usage &&
		! grep completion-helper usage || return 1
	done
'

test_expect_success '--git-completion-helper is an option only when alone' '
	test_expect_code 129 git dc status --json --git-completion-helper 2>err &&
	grep "unknown option .git-completion-helper" err
'

test_expect_success BASH 'complete -p: git runs git'"'"'s completion, git-dc runs _git_dc' '
	cat >complete-p.sh <<-EOF &&
	. "$GIT_BASH_COMPLETION"
	. "$COMPLETION_DIR/git-dc.bash"
	complete -p git git-dc
	declare -F _git_dc
	EOF
	bash complete-p.sh >out &&
	grep "^complete .* -F __git_wrap__git_main git$" out &&
	grep "^complete .* -F __git_wrap_git_dc git-dc$" out &&
	grep "^_git_dc$" out
'

test_expect_success BASH 'git dc <TAB> offers every command' '
	comp git dc "" >offered &&
	for cmd in $commands
	do
		echo "$cmd " || return 1
	done >expect &&
	test_cmp expect offered
'

test_expect_success BASH 'git dc me<TAB> completes merge; git-dc st<TAB> completes status' '
	comp git dc me >offered &&
	echo "merge " >expect &&
	test_cmp expect offered &&
	comp git-dc st >offered &&
	echo "status " >expect &&
	test_cmp expect offered
'

test_expect_success BASH 'git dc merge --<TAB> offers the options of its -h' '
	cat >expect <<-\EOF &&
	--dry-run
	--fetch
	--frame=
	--json
	--push
	--quiet
	--streams
	EOF
	offered_options merge >actual &&
	test_cmp expect actual &&
	grep "^--no-\.\.\. $" offered
'

test_expect_success BASH 'git dc init --<TAB> and git dc delta --f<TAB>' '
	offered_options init >actual &&
	grep "^--preset=$" actual &&
	grep "^--no-hooks$" actual &&
	grep "^--server$" actual &&
	comp git dc delta --f >offered &&
	echo "--frame=" >expect &&
	test_cmp expect offered
'

test_expect_success BASH 'git dc merge --no-<TAB> offers the negated booleans' '
	comp git dc merge --no- >offered &&
	grep "^--no-dry-run $" offered &&
	grep "^--no-json $" offered &&
	! grep "^--no-frame" offered
'

test_expect_success BASH 'git dc worktree <TAB> offers its actions, then their options' '
	comp git dc worktree "" >offered &&
	printf "%s \n" add remove prune >expect &&
	test_cmp expect offered &&
	offered_options worktree prune >actual &&
	grep "^--dry-run$" actual &&
	grep "^--expire=$" actual
'

for cmd in $commands
do
	if test "$cmd" = worktree
	then
		subs="worktree-add worktree-remove worktree-prune"
	else
		subs=$cmd
	fi
	for sub in $subs
	do
		words=$(echo "$sub" | tr - " ")
		test_expect_success BASH "completion offers exactly the options of 'git dc $words -h'" "
			help_options $words >expect &&
			test -s expect &&
			offered_options $words >actual &&
			test_cmp expect actual
		"
	done
done

test_expect_success BASH 'no option is offered after --' '
	comp git dc log -- -- >offered &&
	test_must_be_empty offered
'

test_expect_success BASH 'remotes for push and merge --fetch, refs for log' '
	git init -q repo &&
	(
		cd repo &&
		test_commit first &&
		git branch topic &&
		git remote add origin ../origin.git &&
		git remote add mirror ../mirror.git &&
		bash ../comp.sh git dc push "" >../offered-push &&
		bash ../comp.sh git dc merge --fetch "" >../offered-fetch &&
		bash ../comp.sh git dc merge "" >../offered-merge &&
		bash ../comp.sh git dc log to >../offered-log
	) &&
	printf "%s \n" mirror origin >expect &&
	sort offered-push >actual &&
	test_cmp expect actual &&
	sort offered-fetch >actual &&
	test_cmp expect actual &&
	test_must_be_empty offered-merge &&
	echo "topic " >expect &&
	test_cmp expect offered-log
'

# bash-completion looks in $XDG_DATA_DIRS/bash-completion/completions (and
# in ~/.local/share/..., but splits that path on spaces, which the trash
# directory holds)
test_expect_success BASH_COMPLETION 'bash-completion loads the installed file for git dc <TAB>' '
	mkdir -p prefix/share/bash-completion/completions &&
	cp "$COMPLETION_DIR/git-dc.bash" prefix/share/bash-completion/completions/git-dc &&
	cat >loader.sh <<-EOF &&
	. "$BASH_COMPLETION"
	_completion_loader git
	declare -F _git_dc && echo "loaded too early"
	COMP_WORDS=(git dc wor)
	COMP_CWORD=2
	COMP_LINE="git dc wor"
	COMP_POINT=\${#COMP_LINE}
	fn=\$(complete -p git | sed -n "s/.* -F \\([^ ]*\\) .*/\\1/p")
	"\$fn" git wor dc
	printf "%s\\n" "\${COMPREPLY[@]}"
	complete -p git-dc
	EOF
	XDG_DATA_DIRS="$PWD/prefix/share:/usr/share" bash loader.sh >out &&
	cat >expect <<-\EOF &&
	worktree 
	complete -o bashdefault -o default -o nospace -F __git_wrap_git_dc git-dc
	EOF
	test_cmp expect out
'

# zsh: a real interactive zsh on a pseudo-terminal (zsh/zpty), compinit with
# contrib/completion first in $fpath. drive.zsh takes pairs of arguments:
# keys to type (\t, \C-a... as print reads them) and a pattern the
# terminal's output must reach (what the completion shows); then it prints
# the line being edited as "buffer-<n>: <line>" and goes on with an empty
# line. A completion that never shows the pattern ends in the timeout.
cat >drive.zsh <<\EOF
zmodload zsh/zpty
export TERM=dumb
zpty z zsh -f -i
zpty -w z 'PS1="zsh> "; fpath=("$COMPLETION_DIR" $fpath); autoload -Uz compinit; compinit -u -D'
zpty -w z 'zstyle ":completion:*" list-prompt ""; unsetopt beep; echo ready-$((1+1))'
zpty -r z out '*ready-2*'
n=10
while (( $# >= 2 ))
do
	zpty -w -n z "${(g:e:)1}"
	zpty -r z out "$2"
	print -r -- "${out//$'\r'/}"
	zpty -w z $'\C-a'"print -r -- buffer-\$(($n+1)): "
	zpty -r z out "*buffer-$((n+1)):*"$'\n'
	print -r -- "${out//$'\r'/}"
	shift 2
	n=$((n+2))
done
zpty -w z exit
EOF

zcomp () {
	COMPLETION_DIR=$COMPLETION_DIR timeout 30 zsh -f ./drive.zsh "$@" >zout
}

test_expect_success ZSH 'zsh: compinit finds _git-dc for git-dc, and _git lists dc' '
	zsh -fc "fpath=(\"$COMPLETION_DIR\" \$fpath); autoload -Uz compinit; compinit -u -D; print -r -- \$_comps[git-dc]" >out &&
	echo _git-dc >expect &&
	test_cmp expect out &&
	zcomp "git d\t" "*dc*-- share JSON state*" &&
	grep "^dc  *-- share JSON state" zout
'

test_expect_success ZSH 'zsh: git dc mer<TAB> completes merge, git-dc st<TAB> status' '
	zcomp "git dc mer\t" "*merge*" "git-dc st\t" "*status*" &&
	grep "^buffer-11: git dc merge$" zout &&
	grep "^buffer-13: git-dc status$" zout
'

test_expect_success ZSH 'zsh: git dc merge --<TAB> lists the options of its -h' '
	zcomp "git dc merge --\t" "*--streams*" &&
	help_options merge >expect &&
	for o in $(cat expect)
	do
		grep -e " $o" -e "^$o" zout || return 1
	done &&
	! grep -e "--no-json" zout
'

test_expect_success ZSH 'zsh: git dc merge --no-<TAB> lists the negated booleans' '
	zcomp "git dc merge --no-\t" "*--no-streams*" &&
	grep -e "--no-json" zout
'

test_expect_success ZSH 'zsh: git dc worktree <TAB> lists its actions' '
	zcomp "git dc worktree \t" "*remove*" &&
	grep "^add  *prune  *remove *$" zout
'

test_done
