/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's processes and namespaces (see machine.h for the picture).
 *
 * Why the dance: the guest runs in a user namespace with the identity mapping (uid 0 is uid 0,
 * so files and capabilities mean what they always mean) only so that its mounts are *locked*:
 * the mount namespace the leader copies after setup belongs to that user namespace, and the
 * kernel then refuses to unmount or remount anything that came with the copy — the masks on
 * /proc, the read-only /proc/sys and /sys.  The PID, UTS, IPC, cgroup and network namespaces
 * belong to the guest's user namespace, so its root may reboot, set the host name or configure
 * its network as usual.  /proc and /sys are mounted by a helper that joined the machine's PID
 * (and network) namespace but stayed privileged, in the setup mount namespace, before the copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "caps.h"
#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "machine.h"
#include "netif.h"
#include "pid1.h"
#include "procview.h"
#include "strutil.h"

#define LEADER_SYNC_FD 3

/* MSG_STARTED_READY: started, and the init will not send READY=1 (not systemd): ready now. */
enum { MSG_GO = 'G', MSG_STARTED = 'S', MSG_STARTED_READY = 'R' };

/* SIGCHLD is read and dropped here: whoever waits for a child checks it with waitpid(). */
int machine_wait_fd(struct machine *m, int fd, int *ret_signal)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = m->sig_fd, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents)
			return 1;
		if (read(m->sig_fd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGHUP) {
			if (ret_signal)
				*ret_signal = (int)si.ssi_signo;
			return 0;
		}
	}
}

/*
 * Identity, but one short of the full range: the last uid/gid (4294967294) stays unmapped so
 * that systemd in the guest can tell it is in a user namespace and skips what needs the
 * host's privileges (hugetlbfs, fusectl, ...).
 */
static int write_id_maps(pid_t pid)
{
	static const char *const files[] = { "uid_map", "gid_map" };

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		char path[64];
		int r;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		r = write_file(path, "0 0 4294967294\n", 0644);
		if (r < 0)
			return log_error_errno(r, "cannot write '%s'", path);
	}
	return 0;
}

static int leader_setup(struct machine *m)
{
	const struct run_settings *s = m->settings;
	int r;

	/* A copy of the setup namespace owned by our user namespace: every mount is locked.
	 * The cgroup namespace is rooted at the machine's cgroups, where we are now. */
	if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0)
		return log_error_errno(errno, "cannot create the machine's mount namespace");
	if (chdir("/") < 0 || setsid() < 0)
		return log_error_errno(errno, "cannot start a session");
	if (sethostname(m->hostname, strlen(m->hostname)) < 0)
		return log_error_errno(errno, "cannot set the host name '%s'", m->hostname);
	if (s->private_network > 0 && (r = loopback_up()) < 0)
		return log_error_errno(r, "cannot bring up the loopback interface");
	r = caps_bound(s->private_network > 0);
	if (r < 0)
		return log_error_errno(r, "cannot reduce the capability bounding set");
	return 0;
}

/* "Started", with the listener of the machine's sysinfo() calls for the /proc view. */
static int send_started(const struct machine *m, char tag)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (m->pv.pid > 0 && (r = procview_seccomp_install(&fd)) < 0)
		log_full_errno(LOG_LVL_DEBUG, r, "no seccomp listener: sysinfo() shows the host");
	return procview_send_fd(LEADER_SYNC_FD, fd, tag);
}

_Noreturn static void leader_main(struct machine *m, int sync_fd)
{
	_cleanup_strv_free_ char **argv = NULL;
	char msg;
	int r;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (dup2(sync_fd, LEADER_SYNC_FD) < 0)
		_exit(EXIT_RUN_FAILED);
	(void)syscall(SYS_close_range, LEADER_SYNC_FD + 1, ~0U, 0);
	if (read(LEADER_SYNC_FD, &msg, 1) != 1 || msg != MSG_GO)
		_exit(EXIT_RUN_FAILED); /* runimg is gone, or gave up */
	if (leader_setup(m) < 0)
		_exit(EXIT_RUN_FAILED);
	r = payload_argv(m->settings, &argv);
	if (r == -ENOENT) {
		log_error("no init found in the image (/usr/lib/systemd/systemd, "
			  "/lib/systemd/systemd, /sbin/init)");
		_exit(EXIT_USAGE);
	}
	if (r < 0)
		_exit(EXIT_RUN_FAILED);
	if (send_started(m, m->settings->boot > 0 && !init_sends_ready(argv[0]) ? MSG_STARTED_READY
										  : MSG_STARTED) < 0)
		_exit(EXIT_RUN_FAILED);
	close(LEADER_SYNC_FD);
	if (m->settings->boot <= 0)
		pid1_run(argv, m->env, m->console.interactive);
	if ((r = payload_take_console()) < 0)
		log_error_errno(r, "cannot open /dev/console");
	r = payload_exec(argv, m->env);
	log_error_errno(r, "cannot execute '%s'", argv[0]);
	_exit(127);
}

/*
 * The leader is born in the machine's v2 cgroup (CLONE_INTO_CGROUP: no migration, which would
 * wait for an RCU grace period); v1 hierarchies, and kernels before 5.7, get it moved there.
 * It enters its cgroup namespace itself, later, so that the namespace's root is that cgroup.
 */
static pid_t clone_leader(struct machine *m, int sync_fd, bool *ret_in_cgroup)
{
	_cleanup_close_ int cg_fd = cg_open_v2(&m->cg);
	struct clone_args a = {
		.flags = CLONE_PARENT | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWUTS |
			 CLONE_NEWIPC | (m->settings->private_network > 0 ? CLONE_NEWNET : 0),
	};
	bool into = cg_fd >= 0;
	long pid;

	if (into) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cg_fd;
	}
	pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0 && into && (errno == EINVAL || errno == E2BIG)) {
		a.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		into = false;
		pid = syscall(SYS_clone3, &a, sizeof(a));
	}
	if (pid == 0)
		leader_main(m, sync_fd);
	if (pid < 0)
		return -errno;
	*ret_in_cgroup = into;
	return (pid_t)pid;
}

/* Mount /proc, /sys and the cgroups as seen from inside the machine. */
static int run_api_helper(struct machine *m, pid_t leader, const char *root)
{
	char path[64];
	_cleanup_close_ int pid_ns = -1, net_ns = -1;
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)leader);
	pid_ns = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)leader);
	net_ns = open(path, O_RDONLY | O_CLOEXEC);
	if (pid_ns < 0 || net_ns < 0 || setns(pid_ns, CLONE_NEWPID) < 0)
		return log_error_errno(errno, "cannot join the machine's PID namespace");
	pid = fork();
	if (pid < 0)
		return log_error_errno(errno, "cannot fork");
	if (pid == 0) {
		if (m->settings->private_network > 0 && setns(net_ns, CLONE_NEWNET) < 0) {
			log_error_errno(errno, "cannot join the machine's network namespace");
			_exit(EXIT_RUN_FAILED);
		}
		_exit(mount_plan_execute(&m->plan, PHASE_API, root) < 0 ? EXIT_RUN_FAILED : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* "-1.5 s" as the kernel's "secs nsecs" with 0 <= nsecs < 1e9. */
static void neg_offset(uint64_t ns, long long *ret_sec, long *ret_nsec)
{
	*ret_sec = -(long long)(ns / 1000000000);
	*ret_nsec = (long)(ns % 1000000000);
	if (*ret_nsec) {
		*ret_sec -= 1;
		*ret_nsec = 1000000000 - *ret_nsec;
	}
}

/*
 * A time namespace whose boot is the machine's start, so that /proc/uptime, sysinfo() and the
 * start times of processes agree inside (the /proc view serves the same uptime).  Kernels
 * without time namespaces keep the host's clocks: the view's /proc/uptime still shows the
 * machine's.
 */
static void enter_time_ns(const struct machine *m)
{
	struct timespec boot, mono;
	char text[128];
	long long bs, ms;
	long bn, mn;
	uint64_t since;
	int r;

	if (!m->start_boottime_ns || unshare(CLONE_NEWTIME) < 0) {
		log_debug("no time namespace (%m): the host's uptime stays visible to sysinfo()");
		return;
	}
	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	since = (uint64_t)boot.tv_sec * 1000000000 + (uint64_t)boot.tv_nsec - m->start_boottime_ns;
	neg_offset(m->start_boottime_ns, &bs, &bn);
	/* CLOCK_MONOTONIC starts with it (less the time the host was suspended). */
	neg_offset((uint64_t)mono.tv_sec * 1000000000 + (uint64_t)mono.tv_nsec - since, &ms, &mn);
	snprintf(text, sizeof(text), "boottime %lld %ld\nmonotonic %lld %ld\n", bs, bn, ms, mn);
	r = write_file("/proc/self/timens_offsets", text, 0644);
	if (r < 0)
		log_full_errno(LOG_LVL_DEBUG, r, "cannot set the machine's clock offsets");
}

static void bind_procview(struct machine *m, const char *root)
{
	_cleanup_free_ char *dir = strjoin(m->staging, "/procview", NULL);
	int r;

	if (m->pv.mount_fd < 0 || !dir)
		return;
	r = procview_bind(m->pv.mount_fd, dir, root);
	if (r < 0)
		log_warning_errno(r, "cannot bind the /proc view into the machine");
	close(m->pv.mount_fd);
	m->pv.mount_fd = -1;
}

/*
 * Joining a cgroup v1 hierarchy waits for an RCU grace period in the kernel (the first write
 * to cgroup.procs takes about 20 ms on a small VM), so it runs in a thread beside the mounts,
 * which do not need it.  (On cgroup v2 the leader is born in its cgroup: nothing to wait for.)
 */
struct attach_job {
	const struct cg_set *cg;
	pid_t leader;
	bool in_cgroup;
	int r;
};

static void *attach_thread(void *p)
{
	struct attach_job *j = p;

	j->r = cg_attach(j->cg, j->leader, j->in_cgroup);
	return NULL;
}

static int mount_steps(struct machine *m, pid_t leader, const char *root)
{
	int r;

	if ((r = write_id_maps(leader)) < 0 || (r = rootfs_mount(&m->rootfs, m->staging)) < 0 ||
	    (r = mount_plan_execute(&m->plan, PHASE_ROOT, root)) < 0 ||
	    (r = run_api_helper(m, leader, root)) < 0)
		return r;
	bind_procview(m, root);
	return 0;
}

static int setup_steps(struct machine *m, int to_parent, int leader_fd)
{
	struct attach_job job = { .cg = &m->cg };
	pthread_t attach;
	bool threaded;
	_cleanup_free_ char *root = strjoin(m->staging, "/root", NULL);
	pid_t leader;
	int r;

	if (!root)
		return -ENOMEM;
	if (unshare(CLONE_NEWNS) < 0)
		return log_error_errno(errno, "cannot create a mount namespace");
	if ((r = mount_make_slave()) < 0)
		return r;
	enter_time_ns(m);
	if (CPU_COUNT(&m->cpus) && sched_setaffinity(0, sizeof(m->cpus), &m->cpus) < 0)
		log_debug("cannot set the machine's CPU affinity: %m");
	leader = clone_leader(m, leader_fd, &job.in_cgroup);
	if (leader < 0)
		return log_error_errno(leader, "cannot create the machine's namespaces");
	/* From here on runimg knows the leader, and kills it if we fail. */
	if (write(to_parent, &leader, sizeof(leader)) != sizeof(leader))
		return -errno;
	job.leader = leader;
	threaded = pthread_create(&attach, NULL, attach_thread, &job) == 0;
	if (!threaded)
		attach_thread(&job);
	r = mount_steps(m, leader, root);
	/* Before the pivot: the thread resolves its paths in our root. */
	if (threaded)
		pthread_join(attach, NULL);
	if (r < 0 || (r = job.r) < 0)
		return r;
	return mount_pivot(root);
}

_Noreturn static void setup_main(struct machine *m, pid_t parent, int to_parent, int leader_fd)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(EXIT_RUN_FAILED);
	sigprocmask(SIG_SETMASK, &m->saved_mask, NULL);
	_exit(setup_steps(m, to_parent, leader_fd) < 0 ? EXIT_RUN_FAILED : 0);
}

/* The setup process's pid written to us, then its exit. */
static int wait_setup(struct machine *m, int from_setup)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, m->setup_pid, 0);
	int status, sig = 0, r;
	pid_t leader;

	r = machine_wait_fd(m, from_setup, &sig);
	if (r == 0)
		return log_error_errno(-EINTR, "interrupted by signal %d during setup", sig);
	if (r > 0 && read(from_setup, &leader, sizeof(leader)) == sizeof(leader))
		m->leader_pid = leader;
	if (pidfd >= 0 && machine_wait_fd(m, pidfd, &sig) == 0)
		return log_error_errno(-EINTR, "interrupted by signal %d during setup", sig);
	while (waitpid(m->setup_pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	m->setup_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || m->leader_pid <= 0)
		return -EIO; /* the setup process said why */
	return 0;
}

int container_spawn(struct machine *m)
{
	_cleanup_close_ int from_setup = -1;
	int sp[2], lp[2];
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return log_error_errno(errno, "cannot create a socket pair");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, lp) < 0) {
		close(sp[0]);
		close(sp[1]);
		return log_error_errno(errno, "cannot create a socket pair");
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		close(lp[0]);
		setup_main(m, parent, sp[1], lp[1]);
	}
	close(sp[1]);
	close(lp[1]);
	from_setup = sp[0];
	m->leader_sync = lp[0];
	if (pid < 0)
		return log_error_errno(errno, "cannot fork");
	m->setup_pid = pid;
	return wait_setup(m, from_setup);
}

int container_start(struct machine *m)
{
	_cleanup_close_ int fd = -1;
	char msg = MSG_GO;
	int r, sig = 0;

	if (write(m->leader_sync, &msg, 1) != 1)
		return log_error_errno(errno, "cannot start the machine");
	r = machine_wait_fd(m, m->leader_sync, &sig);
	if (r == 0)
		return log_error_errno(-EINTR, "interrupted by signal %d during setup", sig);
	if (r < 0)
		return r;
	if (procview_recv_fd(m->leader_sync, &msg, &fd) < 0 ||
	    (msg != MSG_STARTED && msg != MSG_STARTED_READY))
		return -ECHILD; /* the leader died: it said why, its status says how */
	if (msg == MSG_STARTED_READY) {
		m->ready = true;
		log_debug("the init of machine '%s' is not systemd: ready once it runs", m->name);
	}
	if (fd >= 0 && m->pv.ctl_fd >= 0 && procview_send_fd(m->pv.ctl_fd, fd, 'N') < 0)
		log_warning("cannot hand the machine's sysinfo() calls to the /proc view");
	m->started = true;
	close(m->leader_sync);
	m->leader_sync = -1;
	return 0;
}
