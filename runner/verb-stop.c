/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runimg stop NAME [--timeout S] [--kill]: what systemctl stop does to a runimg@ unit.
 * SIGTERM to the machine's runimg asks for an orderly poweroff (it sends SIGRTMIN+4 to a booted
 * guest's init, SIGTERM to a command); after the timeout the machine's PID 1 gets SIGKILL.
 * Either way its runimg then tears down what it made and exits, and we return when it has:
 * every mount, loop device, veth, cgroup and the registry entry are gone by then.  A runimg
 * that does not finish its teardown in time is killed and its entry swept here.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "settings.h"
#include "state.h"
#include "strutil.h"
#include "verbs.h"

#define TEARDOWN_GRACE_MSEC (30 * 1000)

static int send_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

/* 1 when the process behind pidfd ended within msec, 0 when not. */
static int wait_exit(int pidfd, int64_t msec)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int64_t left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = msec - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left < 0)
			left = 0;
		int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return 1;
		if (r == 0 && left < INT32_MAX)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* The second step: kill the machine's PID 1 (its runimg then tears down), or, while the
 * machine is still starting, a second SIGTERM to runimg (which then kills it). */
static void kill_machine(const struct machine_entry *e, int runimg_fd)
{
	_cleanup_close_ int leader_fd = -1;

	if (pidfd_open_verified(e->leader, e->leader_start, &leader_fd) >= 0)
		(void)send_signal(leader_fd, SIGKILL);
	else
		(void)send_signal(runimg_fd, SIGTERM);
}

static int stop_machine(const struct machine_entry *e, int64_t timeout_msec, bool kill_now)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = pidfd_open_verified(e->pid, e->pid_start, &fd);
	if (r == -ESRCH) {
		log_debug("the runimg of machine '%s' is gone", e->name);
		return 0;
	}
	if (r < 0)
		return log_error_errno(r, "cannot open the runimg process of machine '%s'",
				       e->name);
	if (kill_now)
		kill_machine(e, fd);
	else if ((r = send_signal(fd, SIGTERM)) < 0)
		return log_error_errno(r, "cannot signal the runimg of machine '%s'", e->name);
	r = wait_exit(fd, kill_now ? TEARDOWN_GRACE_MSEC : timeout_msec);
	if (r == 0 && !kill_now) {
		log_warning("machine '%s' did not stop within %.1fs, killing it", e->name,
			    (double)timeout_msec / 1000);
		kill_machine(e, fd);
		r = wait_exit(fd, TEARDOWN_GRACE_MSEC);
	}
	if (r == 0) {
		log_warning("the runimg of machine '%s' did not finish, killing it", e->name);
		(void)send_signal(fd, SIGKILL);
		r = wait_exit(fd, TEARDOWN_GRACE_MSEC);
	}
	return r < 0 ? log_error_errno(r, "cannot wait for machine '%s'", e->name) : 0;
}

/* The entry is alive after the stop: the same runimg still, or (a unit restarting after a
 * reboot, someone else) a new one? */
static bool still_running(const struct verb_context *ctx, const struct machine_entry *e)
{
	struct machine_entry *now = NULL;
	bool same;

	if (state_read(ctx->state_dir, e->name, &now) < 0)
		return false;
	same = now->alive && now->pid == e->pid && now->pid_start == e->pid_start;
	machine_entry_free(now);
	return same;
}

static int parse_stop_args(int argc, char **argv, int64_t *ret_msec, bool *ret_kill)
{
	static const struct option options[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "kill", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct run_settings tmp;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			printf("Usage: runimg stop NAME [--timeout S] [--kill]\n");
			return 0;
		case 'k': *ret_kill = true; break;
		case 't':
			settings_init(&tmp);
			if (settings_set_timeout(&tmp, optarg) < 0) {
				log_error("invalid value '%s' for --timeout", optarg);
				return -EINVAL;
			}
			*ret_msec = tmp.timeout_usec / 1000;
			break;
		default: return -EINVAL;
		}
	if (argc - optind != 1) {
		log_error("'runimg stop' takes one machine name");
		return -EINVAL;
	}
	return 1;
}

int verb_stop(const struct verb_context *ctx, int argc, char **argv)
{
	int64_t timeout_msec = (int64_t)(RUNIMG_DEFAULT_TIMEOUT_USEC / 1000);
	struct machine_entry *e = NULL;
	bool kill_now = false;
	int r;

	r = parse_stop_args(argc, argv, &timeout_msec, &kill_now);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : 0;
	if (geteuid() != 0) {
		log_error("runimg stop must run as root");
		return EXIT_HOST;
	}
	r = verb_find_machine(ctx, argv[optind], &e);
	if (r != 0)
		return r;
	if (e->alive)
		r = stop_machine(e, timeout_msec, kill_now);
	else
		log_info("machine '%s' was not running (its runimg was killed); removing what it "
			 "left behind", e->name);
	/* Whatever a runimg that did not finish left behind (a no-op after a clean exit). */
	if (r >= 0 && (r = state_sweep_one(ctx->state_dir, e->name)) < 0)
		log_error_errno(r, "cannot remove the state of machine '%s'", e->name);
	if (r == 0 && still_running(ctx, e))
		r = log_error_errno(-EBUSY, "machine '%s' is still running", e->name);
	machine_entry_free(e);
	return r < 0 ? EXIT_RUN_FAILED : 0;
}
