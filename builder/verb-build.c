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
		log_error("interrupted by %s, removing partial output", strsignal(sig));
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return 128 + sig;
	}
}

int verb_build(const struct mkimg_args *a)
{
	struct recipe *r = NULL;
	struct build b;
	sigset_t block, old;
	int code;
	pid_t pid;

	code = load_recipe(a, &r);
	if (code != 0)
		return code;
	if (r->distribution != DISTRO_NONE) {
		log_error("Distribution=%s: building from packages is not available yet; "
			  "use Distribution=none with BaseTrees=",
			  distribution_to_string(r->distribution));
		recipe_free(r);
		return EXIT_USAGE;
	}

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);

	code = build_prepare(&b, r, a->workspace_dir, a->force);
	if (code == 0) {
		pid = fork();
		if (pid == 0)
			worker(&b, &old);
		if (pid > 0) {
			code = supervise(pid);
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
