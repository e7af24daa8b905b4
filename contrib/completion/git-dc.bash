# bash completion for git-dc: `git dc <TAB>` and `git-dc <TAB>`.
#
# git's own completion (/usr/share/bash-completion/completions/git) runs
# _git_dc for `git dc ...`. With bash-completion installed it loads this
# file by itself from .../bash-completion/completions/git-dc, where
# `make install` puts it; without bash-completion, source this file after
# git's completion (in ~/.bashrc).
#
# Nothing here copies git-dc's tables: the commands come from
# `git dc --list-cmds`, the options of a command from
# `git dc <command> --git-completion-helper` (the table behind its -h),
# the actions of `git dc worktree` from its usage lines, all asked at
# completion time.

# the <action> of each "git dc worktree <action> ..." usage line
__git_dc_worktree_actions ()
{
	__git dc worktree -h | sed -n 's/^\(usage:\|   or:\) git dc worktree \([a-z][a-z-]*\).*/\2/p'
}

_git_dc ()
{
	local idx=$((__git_cmd_idx + 1)) command action=

	if [ "$cword" -eq "$idx" ]; then
		__gitcomp "$(__git dc --list-cmds)"
		return
	fi
	command="${words[idx]}"
	if [ "$command" = worktree ]; then
		idx=$((idx + 1))
		if [ "$cword" -eq "$idx" ]; then
			__gitcomp "$(__git_dc_worktree_actions)"
			return
		fi
		action="${words[idx]}"
	fi

	__git_has_doubledash && return
	case "$cur" in
	--*=*)
		return
		;;
	--*)
		__gitcomp "$(__git dc "$command" ${action:+"$action"} --git-completion-helper)"
		return
		;;
	esac

	# arguments that name git's own things; the rest are files
	case "$command" in
	push|sync)
		__gitcomp_nl "$(__git remote)"
		;;
	merge)
		if [ -n "$(__git_find_on_cmdline --fetch)" ]; then
			__gitcomp_nl "$(__git remote)"
		fi
		;;
	check|log|verify)
		__git_complete_revlist
		;;
	esac
}

# `git-dc <TAB>` as well: git's completion is needed for that, and
# bash-completion can load it
if ! declare -f __git_complete >/dev/null 2>&1 &&
	declare -f __load_completion >/dev/null 2>&1
then
	__load_completion git
fi
if declare -f __git_complete >/dev/null 2>&1; then
	__git_complete git-dc _git_dc
fi
