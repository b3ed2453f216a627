/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "spawn.h"
#include "strutil.h"

extern char **environ;

void child_killp(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

static int status_to_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status_to_code(status);
}

static void setup_fd(int want, int target)
{
	if (want == 0)
		return;
	if (want < 0) {
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0 && fd != target) {
			dup2(fd, target);
			close(fd);
		}
		return;
	}
	if (want != target)
		dup2(want, target);
	else
		fcntl(target, F_SETFD, 0);
}

static const char *const api_dirs[] = { "proc", "sys", "dev", "run" };

struct api_mount {
	const char *what, *where, *type;
	unsigned long flags;
	const char *data;
};

/* Runs in the child, inside the new mount namespace, before chroot. */
static int mount_api_filesystems(const char *root)
{
	static const struct api_mount mounts[ELEMENTSOF(api_dirs)] = {
		{ "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL },
		{ "/dev", "dev", NULL, MS_BIND | MS_REC, NULL },
		{ "tmpfs", "run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
	};

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(mounts); i++) {
		_cleanup_free_ char *where = strjoin(root, "/", mounts[i].where, NULL);
		if (!where)
			return -ENOMEM;
		if (mkdir(where, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (mount(mounts[i].what, where, mounts[i].type, mounts[i].flags, mounts[i].data) < 0)
			return -errno;
	}
	return 0;
}

_noreturn_ static void exec_child(char *const argv[], const struct spawn_opts *o)
{
	setup_fd(o->stdin_fd, STDIN_FILENO);
	setup_fd(o->stdout_fd, STDOUT_FILENO);
	setup_fd(o->stderr_fd, STDERR_FILENO);
	if (o->chroot && (chroot(o->chroot) < 0 || chdir("/") < 0)) {
		fprintf(stderr, "%s: cannot chroot to '%s': %m\n", program_invocation_short_name, o->chroot);
		_exit(127);
	}
	if (o->cwd && chdir(o->cwd) < 0) {
		fprintf(stderr, "%s: cannot change directory to '%s': %m\n",
			program_invocation_short_name, o->cwd);
		_exit(127);
	}
	execvpe(argv[0], argv, o->env ? o->env : environ);
	fprintf(stderr, "%s: cannot execute '%s': %m\n", program_invocation_short_name, argv[0]);
	_exit(127);
}

/*
 * Pid 1 of the new pid namespace: stays outside the chroot (so the program's /proc/1/root is
 * not its own root and Debian's ischroot(1) knows it runs in a chroot, as maintainer scripts
 * expect), reaps orphans, and exits with the program's status, which kills the rest.
 */
_noreturn_ static void namespace_init(pid_t pid)
{
	int status;
	pid_t w;

	for (;;) {
		w = waitpid(-1, &status, 0);
		if (w == pid)
			_exit(status_to_code(status));
		if (w < 0 && errno != EINTR)
			_exit(127);
	}
}

/* The intermediate child: new mount + pid namespaces, a minimal init, then the program. */
_noreturn_ static void namespaced_child(char *const argv[], const struct spawn_opts *o)
{
	pid_t pid;
	int r;

	if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0) {
		fprintf(stderr, "%s: cannot create namespaces: %m\n", program_invocation_short_name);
		_exit(127);
	}
	pid = fork();
	if (pid < 0)
		_exit(127);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		r = mount_api_filesystems(o->chroot);
		if (r < 0) {
			fprintf(stderr, "%s: cannot mount API filesystems in '%s': %s\n",
				program_invocation_short_name, o->chroot, strerror(-r));
			_exit(127);
		}
		pid = fork();
		if (pid < 0)
			_exit(127);
		if (pid == 0)
			exec_child(argv, o);
		namespace_init(pid);
	}
	r = wait_child(pid);
	_exit(r < 0 ? 127 : r);
}

/* Mount points the tree lacked are created for the run and removed afterwards. */
static unsigned missing_api_dirs(const char *root)
{
	unsigned mask = 0;

	for (size_t i = 0; i < ELEMENTSOF(api_dirs); i++) {
		_cleanup_free_ char *p = strjoin(root, "/", api_dirs[i], NULL);
		if (p && access(p, F_OK) < 0)
			mask |= 1U << i;
	}
	return mask;
}

static void remove_api_dirs(const char *root, unsigned mask)
{
	for (size_t i = 0; i < ELEMENTSOF(api_dirs); i++) {
		_cleanup_free_ char *p = (mask & (1U << i)) ? strjoin(root, "/", api_dirs[i], NULL)
							    : NULL;
		if (p)
			(void)rmdir(p);
	}
}

int spawn_wait(char *const argv[], const struct spawn_opts *opts)
{
	static const struct spawn_opts none = {};
	const struct spawn_opts *o = opts ? opts : &none;
	unsigned created = 0;
	pid_t pid;
	int r;

	if (o->api_mounts && !o->chroot)
		return -EINVAL;
	if (o->api_mounts)
		created = missing_api_dirs(o->chroot);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (o->api_mounts)
			namespaced_child(argv, o);
		exec_child(argv, o);
	}
	r = wait_child(pid);
	remove_api_dirs(o->chroot, created);
	return r;
}
