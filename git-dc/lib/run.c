#include "run.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

extern char **environ;

static void drain(int fd, struct dc_buf *into)
{
	char chunk[8192];
	ssize_t got = read(fd, chunk, sizeof(chunk));

	if (got > 0 && into)
		dc_buf_add(into, chunk, (size_t)got);
}

int dc_run_git(int *status, struct dc_buf *out, struct dc_buf *errout, struct dc_repo *r,
	       const char *const *argv, struct dc_err *err)
{
	posix_spawn_file_actions_t fa;
	const char **args;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, st, ret = -1, open_fds = 2;
	size_t n, i;
	pid_t pid;

	for (n = 0; argv[n]; n++)
		;
	args = dc_xcalloc(n + 4, sizeof(*args));
	args[0] = "git";
	args[1] = "-C";
	args[2] = r->workdir ? r->workdir : r->gitdir;
	for (i = 0; i < n; i++)
		args[3 + i] = argv[i];
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot create a pipe: %s", strerror(errno));
		goto cleanup;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	st = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (st) {
		dc_err_set(err, DC_ERR_FATAL, "cannot run git: %s", strerror(st));
		dc_err_hint(err, "install git, or put it on PATH");
		goto cleanup;
	}
	while (open_fds) {
		struct pollfd p[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (p[i].revents & POLLIN) {
				drain(p[i].fd, i ? errout : out);
			} else {
				close(p[i].fd);
				if (i)
					pe[0] = -1;
				else
					po[0] = -1;
				open_fds--;
			}
		}
		if (po[0] < 0 && pe[0] < 0)
			break;
		if (po[0] < 0 || pe[0] < 0) {
			/* one stream closed: drain the other until it closes */
			int fd = po[0] >= 0 ? po[0] : pe[0];
			struct dc_buf *into = po[0] >= 0 ? out : errout;
			char chunk[8192];
			ssize_t got;
			while ((got = read(fd, chunk, sizeof(chunk))) > 0 || (got < 0 && errno == EINTR))
				if (got > 0 && into)
					dc_buf_add(into, chunk, (size_t)got);
			close(fd);
			po[0] = pe[0] = -1;
			break;
		}
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			dc_err_set(err, DC_ERR_FATAL, "cannot wait for git: %s", strerror(errno));
			goto cleanup;
		}
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	ret = 0;
cleanup:
	for (i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	free(args);
	return ret;
}

int dc_run_gitl(int *status, struct dc_buf *out, struct dc_buf *errout, struct dc_repo *r,
		struct dc_err *err, ...)
{
	const char *argv[16];
	va_list ap;
	size_t n = 0;
	int ret;

	va_start(ap, err);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	ret = dc_run_git(status, out, errout, r, argv, err);
	if (!ret && out && out->len && out->buf[out->len - 1] == '\n')
		dc_buf_setlen(out, out->len - 1);
	return ret;
}
