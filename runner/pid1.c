/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "pid1.h"

extern char **environ;

static void reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int payload_exec(char **argv, char **env)
{
	reset_signals();
	environ = env;
	execvp(argv[0], argv);
	return -errno;
}

int payload_take_console(void)
{
	int fd;

	if (setsid() < 0 && errno != EPERM)
		return -errno;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TIOCSCTTY, 1) < 0) {
		close(fd);
		return -errno;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return -errno;
	if (fd > 2)
		close(fd);
	return 0;
}

_Noreturn static void run_command(char **argv, char **env, bool console)
{
	int r;

	if (console && (r = payload_take_console()) < 0) {
		log_error_errno(r, "cannot open /dev/console");
		_exit(127);
	}
	r = payload_exec(argv, env);
	log_error_errno(r, "cannot execute '%s'", argv[0]);
	_exit(r == -ENOENT ? 127 : 126);
}

/* Reap everything that has exited; returns the command's wait status once it is among them. */
static bool reap(pid_t cmd, int *ret_status)
{
	bool done = false;
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0)
		if (p == cmd) {
			*ret_status = status;
			done = true;
		}
	return done;
}

_Noreturn void pid1_run(char **argv, char **env, bool console)
{
	sigset_t all;
	pid_t cmd;
	int status = 0;

	(void)prctl(PR_SET_NAME, "runimg-init");
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	cmd = fork();
	if (cmd < 0) {
		log_error_errno(errno, "cannot fork the command");
		_exit(EXIT_FAILURE);
	}
	if (cmd == 0)
		run_command(argv, env, console);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			if (reap(cmd, &status))
				break;
			continue;
		}
		(void)kill(cmd, sig);
	}
	_exit(command_exit_status(status));
}
