/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run verb: settings -> input -> locks, state, cgroups, loop, console -> processes -> end. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "machine.h"
#include "procview.h"
#include "strutil.h"
#include "tarball.h"
#include "veth.h"

static const char *snapshot_name(const struct machine *m)
{
	switch (m->snapshot) {
	case SNAPSHOT_EPHEMERAL:
		return "ephemeral";
	case SNAPSHOT_OVERLAY:
		return "overlay";
	default:
		return m->settings->read_only > 0 ? "read-only" : "read-write";
	}
}

static bool input_writable(const struct machine *m)
{
	return m->snapshot == SNAPSHOT_NONE && m->settings->read_only <= 0;
}

static int setup_signals(struct machine *m)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGWINCH,
				    SIGUSR1, SIGUSR2, SIGQUIT, SIGPIPE };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, &m->saved_mask) < 0)
		return -errno;
	m->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return m->sig_fd < 0 ? -errno : 0;
}

static int resolve_input(struct machine *m)
{
	const struct run_settings *s = m->settings;
	int r;

	r = image_inspect(s->input, s->input_hint, &m->image, &m->exit_code);
	if (r < 0)
		return r;
	m->exit_code = EXIT_RUN_FAILED;
	m->snapshot = s->snapshot;
	if (m->image->kind == INPUT_KIND_DIRECTORY) {
		m->tree = strdup(m->image->path);
		return m->tree ? 0 : -ENOMEM;
	}
	if (m->image->kind != INPUT_KIND_TARBALL)
		return 0;
	r = tarball_cache(m->image->path, s->cache_dir, &m->tree, &m->exit_code);
	if (r < 0)
		return r;
	/* The extracted tree is shared by every run of the tarball: never write to it. */
	if (m->snapshot == SNAPSHOT_NONE && s->read_only <= 0)
		m->snapshot = SNAPSHOT_EPHEMERAL;
	return 0;
}

/* Shared lock for runs that leave the input alone, exclusive for a read-write run. */
static int lock_input(struct machine *m)
{
	bool rw = input_writable(m), dir = m->image->kind != INPUT_KIND_DISK &&
					    m->image->kind != INPUT_KIND_FS;
	const char *path = m->image->path;

	m->image_fd = open(path, (rw && !dir ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
	if (m->image_fd < 0)
		return log_error_errno(errno, "cannot open '%s'%s", path,
				       rw ? " for writing (try --read-only or --ephemeral)" : "");
	if (flock(m->image_fd, (rw ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return log_error_errno(errno, "cannot lock '%s'", path);
	if (rw)
		return log_error_errno(-EBUSY,
				       "'%s' is in use by another runimg; a second run must leave "
				       "it unchanged (--ephemeral, --overlay or --read-only)",
				       path);
	return log_error_errno(-EBUSY, "'%s' is running read-write in another runimg", path);
}

static int random_hex(char *buf, size_t bytes)
{
	uint8_t r[16];

	if (bytes > sizeof(r) || getrandom(r, bytes, 0) != (ssize_t)bytes)
		return -EIO;
	for (size_t i = 0; i < bytes; i++)
		sprintf(buf + 2 * i, "%02x", r[i]);
	return 0;
}

static int make_uuid(char out[37])
{
	uint8_t u[16];

	if (getrandom(u, sizeof(u), 0) != sizeof(u))
		return -EIO;
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	uuid_format(u, out);
	return 0;
}

/* name-XXXXXXXX, keeping within 64 characters. */
static int add_random_suffix(char **name)
{
	char hex[9], *n;

	if (random_hex(hex, 4) < 0)
		return -EIO;
	if (strlen(*name) > 55)
		(*name)[55] = 0;
	n = strjoin(*name, "-", hex, NULL);
	if (!n)
		return -ENOMEM;
	free(*name);
	*name = n;
	return 0;
}

static int name_machine(struct machine *m)
{
	const struct run_settings *s = m->settings;
	int r;

	if (s->machine)
		m->name = strdup(s->machine);
	else if ((r = machine_name_from_path(m->image->path, &m->name)) < 0)
		return r;
	if (!m->name)
		return -ENOMEM;
	m->hostname = strdup(s->hostname ? s->hostname : m->name);
	if (!m->hostname)
		return -ENOMEM;
	/* Like nspawn: ephemeral machines get a name of their own. */
	if (!s->machine && m->snapshot == SNAPSHOT_EPHEMERAL &&
	    (r = add_random_suffix(&m->name)) < 0)
		return r;
	return make_uuid(m->uuid);
}

static int claim_name(struct machine *m)
{
	int r;

	for (unsigned attempt = 0;; attempt++) {
		r = state_claim(m->settings->state_dir, m->name, &m->state);
		if (r != -EEXIST || m->settings->machine || attempt >= 3)
			break;
		/* A default name that is taken: the image runs more than once. */
		if ((r = add_random_suffix(&m->name)) < 0)
			return r;
	}
	if (r == -EEXIST) {
		m->exit_code = EXIT_USAGE;
		return log_error_errno(r, "machine '%s' is already running (choose a name with -M)",
				       m->name);
	}
	if (r < 0)
		return log_error_errno(r, "cannot register machine '%s' in '%s'", m->name,
				       m->settings->state_dir);
	return 0;
}

static int write_state(struct machine *m);

const char *machine_state_name(const struct machine *m)
{
	if (m->terminating)
		return "stopping";
	if (!m->started)
		return "starting";
	/* Commands have no readiness protocol: ready once they run (as for --notify-ready). */
	return m->ready || m->settings->boot <= 0 ? "ready" : "running";
}

static uint64_t start_time(pid_t pid)
{
	uint64_t t = 0;

	return pid > 0 && proc_start_time(pid, &t) >= 0 ? t : 0;
}

int machine_save_state(struct machine *m)
{
	return m->state.fd >= 0 ? write_state(m) : 0;
}

static int write_state(struct machine *m)
{
	_cleanup_free_ char *text = NULL, *cgs = strdup(""), *ifs = NULL;
	int r;

	for (size_t i = 0; cgs && m->cg.m && i < m->cg.m->n; i++) {
		char *n = strjoin(cgs, "CGROUP=", m->cg.m->h[i].path, "\n", NULL);
		free(cgs);
		cgs = n;
	}
	if (!cgs || !(ifs = state_interfaces(&m->settings->netifs, m->name, m->veths.n > 0)))
		return -ENOMEM;
	if (asprintf(&text,
		     "NAME=%s\nSTATE=%s\nPID=%d\nPID_START=%" PRIu64 "\nLEADER=%d\n"
		     "LEADER_START=%" PRIu64 "\nIMAGE=%s\nKIND=%s\nMODE=%s\nBOOT=%s\nUUID=%s\n"
		     "HOSTNAME=%s\n%s%s%s%s%s",
		     m->name, machine_state_name(m), (int)getpid(), start_time(getpid()),
		     (int)m->leader_pid, start_time(m->leader_pid), m->image->path,
		     input_kind_name(m->image->kind), snapshot_name(m),
		     m->settings->boot > 0 ? "yes" : "no", m->uuid, m->hostname, cgs, ifs,
		     m->notify_path ? "NOTIFY=" : "", m->notify_path ? m->notify_path : "",
		     m->notify_path ? "\n" : "") < 0)
		return -ENOMEM;
	r = state_write(&m->state, text);
	if (r < 0)
		return log_error_errno(r, "cannot write the state of machine '%s'", m->name);
	return 0;
}

/* The v1 hierarchies the machine joins: those of its limits, and those its /proc view reads. */
static unsigned wanted_controllers(const struct machine *m)
{
	const struct cg_limits *l = &m->limits;
	unsigned want = 0;

	if (l->memory_max != CG_UNSET || l->memory_high != CG_UNSET || l->memory_swap_max != CG_UNSET)
		want |= 1u << CG_CTRL_MEMORY;
	if (l->cpu_quota_usec != CG_UNSET || l->cpu_weight != CG_UNSET)
		want |= 1u << CG_CTRL_CPU;
	if (l->has_cpuset)
		want |= 1u << CG_CTRL_CPUSET;
	if (l->pids_max != CG_UNSET)
		want |= 1u << CG_CTRL_PIDS;
	if (l->io_weight != CG_UNSET)
		want |= 1u << CG_CTRL_IO;
	if (m->settings->proc_view > 0)
		want |= (1u << CG_CTRL_MEMORY) | (1u << CG_CTRL_CPUACCT) | (1u << CG_CTRL_IO);
	return want;
}

static uint64_t read_number(const char *path)
{
	_cleanup_free_ char *t = NULL;
	uint64_t v = 0;

	if (read_full_file(path, &t, NULL) == 0)
		(void)parse_uint64(strstrip(t), &v);
	return v;
}

/* Percentages of the host (MemoryMax=50%, TasksMax=10%) become numbers. */
static void resolve_limits(struct machine *m)
{
	_cleanup_free_ char *meminfo = NULL;
	uint64_t mem = 0, pid_max = read_number("/proc/sys/kernel/pid_max"),
		 threads = read_number("/proc/sys/kernel/threads-max");

	m->limits = m->settings->limits;
	if (read_full_file("/proc/meminfo", &meminfo, NULL) == 0)
		(void)procview_meminfo_get(meminfo, "MemTotal", &mem);
	cg_limits_resolve(&m->limits, mem, threads && threads < pid_max ? threads : pid_max);
}

static int make_cgroups(struct machine *m)
{
	int r;

	resolve_limits(m);
	r = cg_prepare(&m->cg, m->name, m->settings->boot > 0, wanted_controllers(m));
	if (r < 0)
		return log_error_errno(r, "cannot find this process's cgroups");
	if (m->cg.layout == CG_LAYOUT_NONE && m->settings->boot > 0)
		log_warning("no cgroup file system found: a systemd guest will not boot");
	/* Recorded before they exist, so that a killed runimg's cgroups are swept. */
	if ((r = write_state(m)) < 0)
		return r;
	r = cg_create(&m->cg, &m->limits);
	if (r < 0)
		m->exit_code = cg_exit_status(r) == 1 ? EXIT_RUN_FAILED : cg_exit_status(r);
	return r;
}

/* visible = (our affinity ∩ cpuset), the first ceil(quota) of them: what nproc will say. */
static void machine_cpus(struct machine *m)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		CPU_ZERO(&allowed);
	if (m->limits.has_cpuset)
		CPU_AND(&allowed, &allowed, &m->limits.cpuset);
	if (CPU_COUNT(&allowed) == 0)
		allowed = m->limits.has_cpuset ? m->limits.cpuset : allowed;
	procview_visible_cpus(&allowed, cg_limits_quota_cpus(&m->limits), &m->cpus);
}

static void start_procview(struct machine *m)
{
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	m->start_boottime_ns = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	machine_cpus(m);
	if (m->settings->proc_view <= 0 || CPU_COUNT(&m->cpus) == 0)
		return;
	const struct procview_config c = {
		.cg = m->cg.m,
		.visible = m->cpus,
		.start_boottime_ns = m->start_boottime_ns,
		.strict = m->settings->proc_view == PROC_VIEW_STRICT,
	};
	r = procview_start(&c, &m->pv);
	if (r == -EOPNOTSUPP)
		log_warning("no FUSE on this host: the machine's /proc shows the host's memory, "
			    "CPUs and uptime (--proc-view no hides this warning)");
	else if (r < 0)
		log_warning_errno(r, "cannot start the /proc view: the machine's /proc shows the "
				  "host's memory, CPUs and uptime");
}

static int attach_loop(struct machine *m)
{
	int r;

	if (m->image->kind != INPUT_KIND_DISK && m->image->kind != INPUT_KIND_FS)
		return 0;
	r = loop_attach(m->image_fd, m->image->offset, m->image->size, !input_writable(m),
			&m->loop);
	if (r == -ENODEV || r == -ENOENT) {
		m->exit_code = EXIT_HOST;
		return log_error_errno(r, "no loop device support on this host (modprobe loop)");
	}
	if (r < 0)
		return log_error_errno(r, "cannot attach '%s' to a loop device", m->image->path);
	return 0;
}

static int open_notify(struct machine *m)
{
	int r;

	if (m->settings->boot <= 0)
		return 0;
	m->notify_path = state_path(&m->state, m->settings->state_dir, "notify");
	if (!m->notify_path)
		return -ENOMEM;
	if ((r = notify_listen(m->notify_path, &m->notify_fd)) < 0)
		return log_error_errno(r, "cannot listen on '%s'", m->notify_path);
	return write_state(m);
}

static int check_binds(struct machine *m)
{
	const struct run_settings *s = m->settings;

	for (size_t i = 0; i < s->n_binds; i++)
		if (!path_exists(s->binds[i].src)) {
			m->exit_code = EXIT_USAGE;
			log_error("bind source '%s' does not exist", s->binds[i].src);
			return -ENOENT;
		}
	return 0;
}

static int prepare_setup(struct machine *m)
{
	const struct run_settings *s = m->settings;
	_cleanup_free_ char *mask = NULL;
	bool interactive = isatty(STDIN_FILENO);
	int r;

	r = console_open(&m->console, interactive, interactive || s->boot > 0);
	if (r < 0)
		return log_error_errno(r, "cannot allocate a pty for the console");
	if ((r = open_notify(m)) < 0)
		return r;
	m->staging = strjoin(s->state_dir, "/.staging", NULL);
	mask = m->staging ? strjoin(m->staging, "/inaccessible", NULL) : NULL;
	if (!mask)
		return -ENOMEM;
	if ((r = mkdir_p(m->staging, 0700)) < 0)
		return log_error_errno(r, "cannot create '%s'", m->staging);
	m->rootfs = (struct rootfs_spec){
		.source = m->tree ? m->tree : m->loop.path,
		.fstype = m->tree ? NULL : m->image->fstype,
		.read_only = s->read_only > 0,
		.snapshot = m->snapshot,
		.overlay_dir = s->overlay_dir,
	};
	const struct plan_input in = {
		.settings = s,
		.console = m->console.slave_path,
		.notify_socket = m->notify_path,
		.inaccessible = mask,
		.cgroups = &m->cg,
	};
	if ((r = mount_plan_build(&in, &m->plan)) < 0)
		return r;
	/* A booted guest's network managers leave runimg's interfaces alone. */
	if (s->boot > 0 && (r = veth_plan_guest_files(&m->plan, &s->netifs)) < 0)
		return r;
	return payload_env(s, m->uuid, interactive ? s->term : NULL, &m->env);
}

/* The leader ended before it started the payload: its status is ours. */
static int leader_failed(struct machine *m)
{
	int status;

	while (waitpid(m->leader_pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_RUN_FAILED;
	m->leader_pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : EXIT_RUN_FAILED;
}

static int start(struct machine *m)
{
	int r;

	if ((r = check_binds(m)) < 0 || (r = resolve_input(m)) < 0 || (r = lock_input(m)) < 0 ||
	    (r = name_machine(m)) < 0)
		return r;
	if ((r = claim_name(m)) < 0 || (r = make_cgroups(m)) < 0 || (r = attach_loop(m)) < 0)
		return r;
	if ((r = prepare_setup(m)) < 0)
		return r;
	start_procview(m);
	log_debug("starting machine '%s' from %s '%s' (%s)", m->name,
		  input_kind_name(m->image->kind), m->image->path, snapshot_name(m));
	r = container_spawn(m);
	if (m->notify_path) {
		/* The machine has the socket bound at /run/host/notify: hide it on the host. */
		(void)unlink(m->notify_path);
	}
	if (r < 0)
		return r;
	if ((r = write_state(m)) < 0)
		return r;
	/* The leader waits for "go" in the machine's namespaces: its network comes first. */
	if (m->settings->netifs.n > 0 &&
	    (r = veth_setup_pid(&m->settings->netifs, m->name, m->leader_pid, &m->veths,
				&m->exit_code)) < 0)
		return r;
	r = container_start(m);
	if (r == -ECHILD)
		m->exit_code = leader_failed(m);
	return r;
}

static void reap(pid_t *pid)
{
	if (*pid <= 0)
		return;
	(void)kill(*pid, SIGKILL);
	while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
		;
	*pid = 0;
}

void machine_teardown(struct machine *m)
{
	reap(&m->leader_pid);
	/* The machine's network namespace is going away with its processes. */
	veth_teardown(&m->veths, true);
	reap(&m->setup_pid);
	if (m->leader_sync >= 0)
		close(m->leader_sync);
	strv_free(m->env);
	mount_plan_done(&m->plan);
	free(m->staging);
	if (m->notify_fd >= 0)
		close(m->notify_fd);
	if (m->notify_path)
		(void)unlink(m->notify_path);
	free(m->notify_path);
	console_close(&m->console);
	/* The machine's mount namespaces are gone with its processes: this detaches the loop. */
	loop_release(&m->loop);
	procview_stop(&m->pv);
	cg_remove(&m->cg);
	cg_set_done(&m->cg);
	state_release(&m->state);
	if (m->image_fd >= 0)
		close(m->image_fd);
	if (m->sig_fd >= 0) {
		close(m->sig_fd);
		sigprocmask(SIG_SETMASK, &m->saved_mask, NULL);
	}
	free(m->tree);
	free(m->hostname);
	free(m->name);
	image_info_free(m->image);
}

int machine_run(const struct run_settings *s)
{
	struct machine m = {
		.settings = s,
		.exit_code = EXIT_RUN_FAILED,
		.image_fd = -1,
		.state = MACHINE_STATE_NULL,
		.cg = CG_SET_NULL,
		.pv = PROCVIEW_SERVER_NULL,
		.loop = LOOP_DEV_NULL,
		.console = CONSOLE_NULL,
		.notify_fd = -1,
		.sig_fd = -1,
		.leader_sync = -1,
	};
	int r, status;

	if (geteuid() != 0) {
		log_error("runimg must run as root");
		return EXIT_HOST;
	}
	if ((r = setup_signals(&m)) < 0) {
		log_error_errno(r, "cannot set up signal handling");
		return EXIT_RUN_FAILED;
	}
	state_sweep(s->state_dir);
	tarball_sweep(s->cache_dir);
	r = start(&m);
	if (r < 0) {
		status = m.exit_code;
	} else {
		if (m.console.interactive)
			log_info("machine '%s' started; press ^] three times within 1s to kill it",
				 m.name);
		(void)console_enter_raw(&m.console);
		status = supervise(&m);
	}
	machine_teardown(&m);
	return status;
}
