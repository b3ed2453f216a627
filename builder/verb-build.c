/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkimg build.  The steps run in a worker process; this process only supervises it, so that
 * whatever ends the build — success, failure, SIGINT/SIGTERM/SIGHUP, or a crash of the worker —
 * the workspace and the temporary output are removed here and no half-written output remains.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootstrap.h"
#include "build.h"
#include "log.h"
#include "verbs.h"

_noreturn_ static void worker(struct build *b, const sigset_t *old)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	_exit(build_run(b));
}

static int supervise(pid_t pid)
{
	sigset_t wait_for;
	int sig, status;

	sigemptyset(&wait_for);
	sigaddset(&wait_for, SIGCHLD);
	sigaddset(&wait_for, SIGINT);
	sigaddset(&wait_for, SIGTERM);
	sigaddset(&wait_for, SIGHUP);
	for (;;) {
		sig = sigwaitinfo(&wait_for, NULL);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig == SIGCHLD) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == 0)
				continue;
			if (w < 0)
				return log_error_errno(-errno, "cannot wait for the build"),
				       EXIT_STEP_FAILED;
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			log_error("build process died of signal %d (%s)", WTERMSIG(status),
				  strsignal(WTERMSIG(status)));
			return EXIT_STEP_FAILED;
		}
		log_error("interrupted by SIG%s, removing partial output", sigabbrev_np(sig));
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return 128 + sig;
	}
}

/* What installing packages needs, checked before anything is created.  Exit code. */
static int check_bootstrap(const struct mkimg_args *a, const struct recipe *r, char **ret_lock)
{
	*ret_lock = NULL;
	if (r->distribution == DISTRO_NONE) {
		if (a->locked) {
			log_error("--locked: Distribution=none installs no packages, there is "
				  "nothing to lock");
			return EXIT_USAGE;
		}
		return 0;
	}
	if (!bootstrap_supported(r->distribution))
		return EXIT_USAGE;
	if (geteuid() != 0) {
		log_error("Distribution=%s: installing packages runs the image's own dpkg in a "
			  "chroot, which needs root", distribution_to_string(r->distribution));
		return EXIT_HOST;
	}
	if (a->locked && !(*ret_lock = bootstrap_lock_path(r)))
		return log_error_errno(-ENOMEM, "cannot start the build"), EXIT_STEP_FAILED;
	return 0;
}

int verb_build(const struct mkimg_args *a)
{
	_cleanup_free_ char *lock = NULL;
	struct recipe *r = NULL;
	struct build b;
	sigset_t block, old;
	int code;
	pid_t pid;

	code = load_recipe(a, &r);
	if (code != 0)
		return code;
	code = check_bootstrap(a, r, &lock);
	if (code != 0) {
		recipe_free(r);
		return code;
	}

	/* An ignored signal never becomes pending, so sigwaitinfo() would not see it: a shell
	 * starts background jobs with SIGINT ignored, yet "kill -INT" must still stop the build.
	 * An ignored SIGHUP (nohup) is respected. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);

	/* Orphans of the worker (a post-installation script's children) come back to us, so we
	 * can wait for all of them to be gone before removing the workspace. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	code = build_prepare(&b, r, a->workspace_dir, a->force);
	b.cache_dir = a->cache_dir;
	b.lock_path = lock;
	b.offline = a->offline;
	if (code == 0) {
		pid = fork();
		if (pid == 0)
			worker(&b, &old);
		if (pid > 0) {
			code = supervise(pid);
			while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
				;
		} else {
			log_error_errno(-errno, "cannot start the build");
			code = EXIT_STEP_FAILED;
		}
	}
	build_cleanup(&b);
	sigprocmask(SIG_SETMASK, &old, NULL);
	recipe_free(r);
	return code;
}
