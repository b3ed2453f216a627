/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runimg shell NAME [COMMAND [ARG...]]: a command, or root's login shell, inside a running
 * machine.
 *
 *   runimg shell (host)  ── relays the terminal to the pty's master, waits for the helper
 *     └─ helper: joins the machine (enter.c); when interactive opens /dev/ptmx -- the guest's
 *        devpts instance -- and passes the master up; waits for the command
 *          └─ the command, in the machine's PID namespace: a session of its own on the pty
 *             (or our stdin/stdout/stderr as they are), the guest's PATH and root's HOME
 *
 * The exit status is the command's (128+N after signal N), 127 when it cannot be found.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "boot.h"
#include "cleanup.h"
#include "console.h"
#include "enter.h"
#include "fileio.h"
#include "log.h"
#include "pid1.h"
#include "settings.h"
#include "state.h"
#include "strutil.h"
#include "verbs.h"

#define SHELL_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct shell_request {
	char **command; /* NULL: root's login shell */
	bool interactive;
	const char *term;
};

/* ---- passing the pty master up --------------------------------------------------------------- */

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'M';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int recv_fd(int sock, int *ret)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

	if (n <= 0)
		return n == 0 ? -ECHILD : -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EBADMSG;
	memcpy(ret, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* ---- inside the machine -------------------------------------------------------------------- */

/* root's home and shell from the guest's /etc/passwd (read as a file: no NSS modules of the
 * host loaded into the guest's world). */
static void root_account(char **home, char **shell)
{
	_cleanup_free_ char *text = NULL;

	if (read_full_file("/etc/passwd", &text, NULL) < 0)
		return;
	for (char *l = text, *next; *l; l = next) {
		char *f[7];
		size_t n = 0;

		next = l + strcspn(l, "\n");
		if (*next)
			*next++ = 0;
		if (!startswith(l, "root:"))
			continue;
		for (char *p = l, *c; n < 7; p = c + 1) {
			c = strchrnul(p, ':');
			f[n++] = p;
			if (!*c)
				break;
			*c = 0;
		}
		if (n == 7 && f[5][0] == '/')
			*home = strdup(f[5]);
		if (n == 7 && f[6][0] == '/' && access(f[6], X_OK) == 0)
			*shell = strdup(f[6]);
		return;
	}
}

/* What to execute: path (NULL: look argv[0] up in PATH), argv, the environment. */
struct exec_spec {
	char *path;
	char **argv;
	char **env;
};

static void exec_spec_done(struct exec_spec *x)
{
	free(x->path);
	strv_free(x->argv);
	strv_free(x->env);
}

static int exec_env(const struct shell_request *req, const char *home, const char *shell,
		    char ***env)
{
	int r;

	if ((r = strv_extend(env, "PATH=" SHELL_PATH)) < 0 ||
	    (r = strv_extend(env, "USER=root")) < 0 || (r = strv_extend(env, "LOGNAME=root")) < 0)
		return r;
	if ((r = strv_push(env, strjoin("HOME=", home, NULL))) < 0 ||
	    (r = strv_push(env, strjoin("SHELL=", shell, NULL))) < 0)
		return r;
	if (req->term && (r = strv_push(env, strjoin("TERM=", req->term, NULL))) < 0)
		return r;
	return 0;
}

static int exec_spec_make(const struct shell_request *req, struct exec_spec *x)
{
	_cleanup_free_ char *home = NULL, *shell = NULL;
	const char *base;
	int r;

	root_account(&home, &shell);
	if ((!shell && !(shell = strdup("/bin/sh"))) || (!home && !(home = strdup("/root"))))
		return -ENOMEM;
	if (chdir(home) < 0 && chdir("/") < 0)
		return -errno;
	if ((r = exec_env(req, home, shell, &x->env)) < 0)
		return r;
	if (req->command) {
		x->argv = strv_copy(req->command);
		return x->argv ? 0 : -ENOMEM;
	}
	/* root's login shell: the path, run under the name "-sh" */
	base = strrchr(shell, '/');
	if ((r = strv_push(&x->argv, strjoin("-", base ? base + 1 : shell, NULL))) < 0)
		return r;
	x->path = steal_ptr(shell);
	return 0;
}

/* The pty's slave as our controlling terminal and stdio, in a session of our own. */
static int take_pty(int master)
{
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);

	if (slave < 0)
		return -errno;
	close(master);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return -errno;
	if (slave > 2)
		close(slave);
	return 0;
}

_Noreturn static void run_command(const struct shell_request *req, int master)
{
	struct exec_spec x = { 0 };
	sigset_t none;
	int r;

	if (master >= 0 && (r = take_pty(master)) < 0) {
		log_error_errno(r, "cannot open the machine's pty");
		_exit(EXIT_RUN_FAILED);
	}
	if ((r = exec_spec_make(req, &x)) < 0) {
		log_error_errno(r, "cannot prepare the command");
		_exit(EXIT_RUN_FAILED);
	}
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (x.path) {
		execve(x.path, x.argv, x.env);
		r = -errno;
	} else {
		r = payload_exec(x.argv, x.env);
	}
	log_error_errno(r, "cannot execute '%s'", x.path ? x.path : x.argv[0]);
	exec_spec_done(&x);
	_exit(r == -ENOENT ? 127 : 126);
}

/* ---- the helper: joins the machine, waits for the command ---------------------------------- */

static int open_guest_pty(int sock)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int r;

	if (master < 0 || unlockpt(master) < 0)
		return log_error_errno(errno, "cannot allocate a pty in the machine (/dev/ptmx)");
	if ((r = send_fd(sock, master)) < 0)
		return log_error_errno(r, "cannot pass the pty on");
	return steal_fd(master);
}

_Noreturn static void helper_main(const struct enter_target *t, const struct shell_request *req,
				  int sock)
{
	int master = -1, status = 0;
	sigset_t mask;
	pid_t pid;

	if (req->interactive)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (enter_join(t) < 0)
		_exit(EXIT_RUN_FAILED);
	if (req->interactive && (master = open_guest_pty(sock)) < 0)
		_exit(EXIT_RUN_FAILED);
	if (sock >= 0)
		close(sock);
	pid = fork(); /* the first process of ours in the machine's PID namespace */
	if (pid < 0) {
		log_error_errno(errno, "cannot fork");
		_exit(EXIT_RUN_FAILED);
	}
	if (pid == 0)
		run_command(req, master);
	if (master >= 0)
		close(master);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	for (;;) {
		int sig = sigwaitinfo(&mask, NULL);

		if (sig == SIGTERM || sig == SIGHUP)
			(void)kill(pid, sig);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	_exit(command_exit_status(status));
}

/* ---- runimg shell itself ------------------------------------------------------------------- */

struct shell_session {
	int sig_fd;
	pid_t helper;
	struct console console;
	bool master_gone;
	int status; /* the helper's wait status, once it ended */
	bool done;
};

static void session_signals(struct shell_session *ss)
{
	struct signalfd_siginfo si;

	while (read(ss->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGWINCH)
			console_resize(&ss->console);
		else if (sig == SIGTERM || sig == SIGHUP)
			(void)kill(ss->helper, sig);
	}
	if (!ss->done && waitpid(ss->helper, &ss->status, WNOHANG) == ss->helper)
		ss->done = true;
}

/* Relay until the helper (and so the command) has ended. */
static void session_relay(struct shell_session *ss)
{
	while (!ss->done) {
		struct pollfd pfd[3] = { { .fd = ss->sig_fd, .events = POLLIN } };
		size_t n = 1;

		if (!ss->master_gone)
			n += console_pollfds(&ss->console, pfd + 1);
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			break;
		for (size_t i = 1; i < n; i++)
			if (pfd[i].fd == ss->console.master && (pfd[i].revents & POLLHUP) &&
			    !(pfd[i].revents & POLLIN))
				ss->master_gone = true;
		console_process(&ss->console, pfd + 1, n - 1);
		if (pfd[0].revents)
			session_signals(ss);
	}
	console_drain(&ss->console);
}

/* Interactive: the master of the guest's pty from the helper (or its end). */
static int session_take_master(struct shell_session *ss, int sock)
{
	struct pollfd pfd[2] = { { .fd = sock, .events = POLLIN },
				 { .fd = ss->sig_fd, .events = POLLIN } };
	int master = -1, r;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (pfd[0].revents)
			break;
		session_signals(ss);
		if (ss->done)
			return -ECHILD;
	}
	if ((r = recv_fd(sock, &master)) < 0)
		return r;
	(void)fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	ss->console.master = master;
	ss->console.interactive = true;
	ss->console.forward_input = true;
	return console_enter_raw(&ss->console);
}

static int session_run(struct shell_session *ss, const struct enter_target *t,
		       const struct shell_request *req)
{
	int sp[2] = { -1, -1 };

	if (req->interactive && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return log_error_errno(errno, "cannot create a socket pair");
	fflush(stdout);
	fflush(stderr);
	ss->helper = fork();
	if (ss->helper == 0) {
		if (sp[0] >= 0)
			close(sp[0]);
		close(ss->sig_fd);
		helper_main(t, req, sp[1]);
	}
	if (sp[1] >= 0)
		close(sp[1]);
	if (ss->helper < 0) {
		if (sp[0] >= 0)
			close(sp[0]);
		return log_error_errno(errno, "cannot fork");
	}
	if (req->interactive) {
		(void)session_take_master(ss, sp[0]); /* on failure the helper said why */
		close(sp[0]);
	}
	if (ss->console.master < 0)
		ss->master_gone = true;
	session_relay(ss);
	console_leave_raw(&ss->console);
	while (!ss->done && waitpid(ss->helper, &ss->status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int shell_session(const struct enter_target *t, const struct shell_request *req)
{
	static const int sigs[] = { SIGCHLD, SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT };
	struct shell_session ss = { .sig_fd = -1, .console = CONSOLE_NULL };
	sigset_t mask, saved;
	int r;

	/* SIGINT and SIGQUIT from the terminal reach the command itself (same process group,
	 * or through the pty): we only wait for its status. */
	sigemptyset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaddset(&mask, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &mask, &saved) < 0 ||
	    (ss.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return log_error_errno(errno, "cannot set up signal handling");
	r = session_run(&ss, t, req);
	if (ss.console.master >= 0)
		close(ss.console.master);
	close(ss.sig_fd);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (r < 0)
		return EXIT_RUN_FAILED;
	if (WIFEXITED(ss.status))
		return WEXITSTATUS(ss.status);
	return EXIT_RUN_FAILED;
}

int verb_shell(const struct verb_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct enter_target t = ENTER_TARGET_NULL;
	struct shell_request req = { 0 };
	struct machine_entry *e = NULL;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
		if (c != 'h')
			return EXIT_USAGE;
		printf("Usage: runimg shell NAME [COMMAND [ARG...]]\n");
		return 0;
	}
	if (optind >= argc) {
		log_error("'runimg shell' needs a machine name");
		return EXIT_USAGE;
	}
	if (geteuid() != 0) {
		log_error("runimg shell must run as root");
		return EXIT_HOST;
	}
	r = verb_find_machine(ctx, argv[optind], &e);
	if (r != 0)
		return r;
	r = enter_prepare(e, &t);
	if (r == -ESRCH)
		log_error("machine '%s' is %s", e->name,
			  !e->alive			  ? "not running (its runimg is gone)"
			  : streq(e->state, "starting") ? "still starting"
							  : "not running");
	machine_entry_free(e);
	if (r < 0)
		return EXIT_RUN_FAILED;
	req.command = optind + 1 < argc ? argv + optind + 1 : NULL;
	/* A pty when we talk to a terminal; pipes and files are passed as they are. */
	req.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	req.term = req.interactive ? ctx->term : NULL;
	r = shell_session(&t, &req);
	enter_target_done(&t);
	return r;
}
