/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runimg's part while the machine runs: relay the console, pass termination requests on
 * (-b: SIGRTMIN+4, an orderly poweroff for systemd; commands: the signal itself, to the
 * reaper), kill the machine when it does not end within --timeout, and turn the leader's end
 * into runimg's exit status.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "machine.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct supervisor {
	struct machine *m;
	uint64_t deadline; /* SIGKILL the leader at this time (0: none) */
	int exit_status;   /* >= 0 once the leader has ended */
};

static void request_stop(struct supervisor *sv, int sig)
{
	struct machine *m = sv->m;

	if (m->terminating) {
		log_info("killing machine '%s'", m->name);
		(void)kill(m->leader_pid, SIGKILL);
		return;
	}
	m->terminating = true;
	(void)machine_save_state(m);
	if (m->settings->boot > 0) {
		log_debug("asking machine '%s' to power off", m->name);
		(void)kill(m->leader_pid, SIGRTMIN + 4);
	} else {
		(void)kill(m->leader_pid, sig);
	}
	sv->deadline = now_usec() + (uint64_t)m->settings->timeout_usec;
}

static void leader_exited(struct supervisor *sv)
{
	struct machine *m = sv->m;
	int status;
	pid_t p;

	p = waitpid(m->leader_pid, &status, WNOHANG);
	if (p <= 0)
		return;
	m->leader_pid = 0;
	sv->exit_status = m->settings->boot > 0 ? boot_exit_status(status)
						: command_exit_status(status);
	log_debug("machine '%s' ended, exit status %d", m->name, sv->exit_status);
}

static void handle_signals(struct supervisor *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->m->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGCHLD)
			leader_exited(sv);
		else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			request_stop(sv, sig);
		else if (sig == SIGWINCH)
			console_resize(&sv->m->console);
		else if (sv->m->settings->boot <= 0 && sig != SIGPIPE)
			(void)kill(sv->m->leader_pid, sig); /* SIGUSR1, SIGUSR2, SIGQUIT */
	}
}

static void handle_notify(struct machine *m)
{
	int r = notify_receive(m->notify_fd);

	if (r <= 0 || m->ready)
		return;
	m->ready = true;
	(void)machine_save_state(m);
	log_debug("machine '%s' is ready", m->name);
	if (m->settings->notify_ready > 0 && m->settings->notify_socket)
		(void)notify_send_ready(m->settings->notify_socket, "machine is ready");
}

static int poll_timeout(const struct supervisor *sv)
{
	uint64_t now;

	if (!sv->deadline)
		return -1;
	now = now_usec();
	return now >= sv->deadline ? 0 : (int)((sv->deadline - now) / 1000 + 1);
}

static void check_deadline(struct supervisor *sv)
{
	struct machine *m = sv->m;

	if (!sv->deadline || now_usec() < sv->deadline)
		return;
	log_warning("machine '%s' did not stop within %.1fs, killing it", m->name,
		    (double)m->settings->timeout_usec / 1e6);
	(void)kill(m->leader_pid, SIGKILL);
	sv->deadline = 0;
}

int supervise(struct machine *m)
{
	struct supervisor sv = { .m = m, .exit_status = -1 };

	/* Started: "ready" for commands and inits other than systemd, else "running". */
	(void)machine_save_state(m);
	if ((m->settings->boot <= 0 || m->ready) && m->settings->notify_ready > 0 &&
	    m->settings->notify_socket)
		(void)notify_send_ready(m->settings->notify_socket,
					m->settings->boot > 0 ? "init started" : "command started");
	leader_exited(&sv); /* its SIGCHLD may have come while we waited for it to start */
	while (sv.exit_status < 0) {
		struct pollfd pfd[4] = { { .fd = m->sig_fd, .events = POLLIN } };
		size_t n = 1, notify_idx = 0, con;

		if (m->notify_fd >= 0) {
			notify_idx = n;
			pfd[n++] = (struct pollfd){ .fd = m->notify_fd, .events = POLLIN };
		}
		con = n;
		n += console_pollfds(&m->console, pfd + n);
		if (poll(pfd, n, poll_timeout(&sv)) < 0 && errno != EINTR)
			return log_error_errno(errno, "cannot wait for events");
		if (notify_idx && pfd[notify_idx].revents)
			handle_notify(m);
		console_process(&m->console, pfd + con, n - con);
		if (m->console.kill_requested && m->leader_pid > 0) {
			log_info("killing machine '%s' (^] three times)", m->name);
			(void)kill(m->leader_pid, SIGKILL);
			m->console.kill_requested = false;
		}
		if (pfd[0].revents)
			handle_signals(&sv);
		if (sv.exit_status < 0)
			check_deadline(&sv);
	}
	console_drain(&m->console);
	console_leave_raw(&m->console); /* before anything else is printed */
	return sv.exit_status;
}
