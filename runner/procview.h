/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's own /proc view: /proc/meminfo, swaps, cpuinfo, stat, uptime, loadavg,
 * diskstats and /sys/devices/system/cpu/online describe the machine's limits and life.
 *
 *   procview-mem.c, -cpu.c, -disk.c  renderers: PURE functions from the texts of host /proc
 *                                    files and cgroup files (and times) to the file's text
 *   procview-collect.c               reads those files for one machine, keeps the state
 *                                    (CPU ticks never go back, the load average)
 *   procview-fuse.c                  a small libfuse3 server in a helper process of the
 *                                    machine's runimg (dies with it); its files are
 *                                    bind-mounted over the guest's before the payload starts
 *
 * Every formula is in runimg(1), "THE /proc VIEW".
 */
#pragma once

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cg.h"

#define PROCVIEW_USER_HZ 100

/* ---- memory ---------------------------------------------------------------------------- */

/* The machine's memory as its cgroup reports it.  Limits: bytes, or CG_MAX for none. */
struct procview_mem {
	bool v2;
	uint64_t limit;	     /* effective memory limit: the smallest up the tree */
	uint64_t swap_limit; /* effective swap limit (v1: memsw limit - memory limit) */
	uint64_t usage;	     /* memory.current / memory.usage_in_bytes */
	uint64_t swap_usage; /* memory.swap.current (v1: total_swap of memory.stat) */
	const char *stat;    /* memory.stat */
	uint64_t kmem;	     /* v1: memory.kmem.usage_in_bytes (0: unknown) */
};

/* The fields of memory.stat we use, in bytes, from v1 (total_*) or v2 names. */
struct procview_memstat {
	uint64_t anon, file, shmem, mapped, dirty, writeback, anon_thp, shmem_thp, file_thp;
	uint64_t active_anon, inactive_anon, active_file, inactive_file, unevictable;
	uint64_t slab_reclaimable, slab_unreclaimable, kernel_stack, pagetables, swapcached;
	uint64_t swap;						      /* v1 only: total_swap */
	uint64_t hierarchical_memory_limit, hierarchical_memsw_limit; /* v1 only, else 0 */
};

void procview_parse_memstat(const char *text, bool v2, struct procview_memstat *ret);
/* Value of "Key:  N kB" in a meminfo text, in bytes; false if missing. */
bool procview_meminfo_get(const char *meminfo, const char *key, uint64_t *ret);
/* A cgroup limit file: "max" / "-1" / "9223372036854771712" (v1 none) -> CG_MAX. */
uint64_t procview_parse_limit(const char *text);

int procview_render_meminfo(const char *host_meminfo, const struct procview_mem *mem,
			    char **ret);
int procview_render_swaps(const char *host_swaps, const char *host_meminfo,
			  const struct procview_mem *mem, char **ret);

/* ---- CPUs ------------------------------------------------------------------------------ */

/* visible = the first ceil(quota) CPUs of allowed (all of them without a quota). */
void procview_visible_cpus(const cpu_set_t *allowed, unsigned quota_cpus, cpu_set_t *ret);
int procview_render_cpuinfo(const char *host_cpuinfo, const cpu_set_t *visible, char **ret);
int procview_render_online(unsigned n, char **ret);

/* CPU time of the machine.  v1 cpuacct gives it per host CPU, v2 only in total. */
struct procview_cpu_usage {
	bool per_cpu;
	unsigned n_host;     /* entries of user_ns/system_ns (per_cpu) */
	uint64_t *user_ns;   /* [n_host] */
	uint64_t *system_ns; /* [n_host] */
	uint64_t total_user_ns, total_system_ns;
};

/* v1: cpuacct.usage_percpu_user + cpuacct.usage_percpu_sys (or usage_percpu + cpuacct.stat
 * to split it); v2: cpu.stat.  The result owns its arrays (procview_cpu_usage_done). */
int procview_parse_cpuacct(const char *percpu_user, const char *percpu_sys, const char *percpu,
			   const char *stat, struct procview_cpu_usage *ret);
int procview_parse_cpu_stat(const char *cpu_stat, struct procview_cpu_usage *ret);
void procview_cpu_usage_done(struct procview_cpu_usage *u);

/* Ticks of one visible CPU, as shown; kept between reads so that nothing goes back. */
struct procview_ticks {
	uint64_t user, system, idle;
};

struct procview_stat_in {
	const char *host_stat; /* intr, ctxt, processes, softirq come from the host */
	const cpu_set_t *visible;
	const struct procview_cpu_usage *usage;
	uint64_t uptime_ns;	/* the machine's */
	uint64_t btime;		/* wall clock seconds of the machine's start */
	unsigned running, blocked;
};

/* prev: CPU_COUNT(visible) entries, zero at first, updated. */
int procview_render_stat(const struct procview_stat_in *in, struct procview_ticks *prev,
			 char **ret);
/* Idle seconds for /proc/uptime: the sum over the visible CPUs of prev[].idle. */
int procview_render_uptime(uint64_t uptime_ns, const struct procview_ticks *t, unsigned n,
			   char **ret);

/* The kernel's load average: fixed point, sampled every 5 s. */
struct procview_load {
	unsigned long avenrun[3];
};
void procview_load_sample(struct procview_load *l, unsigned nr_active);
int procview_render_loadavg(const struct procview_load *l, unsigned running, unsigned total,
			    unsigned last_pid, char **ret);

/* ---- disks ----------------------------------------------------------------------------- */

/* v2: io.stat; v1: blkio.throttle.io_service_bytes_recursive + io_serviced_recursive. */
int procview_render_diskstats(const char *host_diskstats, bool v2, const char *io_stat,
			      const char *v1_bytes, const char *v1_ios, char **ret);

/* ---- the server ------------------------------------------------------------------------ */

enum procview_file {
	PV_MEMINFO,
	PV_SWAPS,
	PV_CPUINFO,
	PV_STAT,
	PV_UPTIME,
	PV_LOADAVG,
	PV_DISKSTATS,
	PV_ONLINE,
	_PV_FILE_MAX,
};

/* Name in the FUSE file system, and where it is bound in the guest. */
const char *procview_file_name(enum procview_file f);
const char *procview_file_target(enum procview_file f);

struct procview;

/* What the view is of.  cg is not owned; it must outlive the view (it is only read). */
struct procview_config {
	const struct cg_machine *cg;
	cpu_set_t visible;	   /* host CPUs the machine sees */
	uint64_t start_boottime_ns; /* CLOCK_BOOTTIME at the machine's start */
	const char *proc;	   /* "/proc" (tests: a fixture directory) */
	bool strict;		   /* a snapshot per open, not the page cache (procview-fuse.c) */
};

int procview_new(const struct procview_config *c, struct procview **ret);
void procview_free(struct procview *v);
/* Render one file now (a consistent snapshot). */
int procview_render(struct procview *v, enum procview_file f, char **ret, size_t *ret_len);
/* Sample the machine's runnable threads for the load average (every 5 s). */
void procview_sample(struct procview *v);

/* sysinfo(2) as the machine sees it: the numbers of its meminfo, load average and uptime. */
struct sysinfo;
int procview_sysinfo(struct procview *v, struct sysinfo *ret);

/*
 * The server.  procview_start() makes a detached FUSE mount (fsopen/fsmount: it is attached
 * nowhere on the host) served by a forked helper that dies with us (PR_SET_PDEATHSIG).  The
 * mount fd is for procview_bind() in the machine's mount namespace; close it afterwards.
 * -EOPNOTSUPP when the host has no FUSE: the caller warns and runs without the view.
 */
struct procview_server {
	pid_t pid;
	int mount_fd; /* the detached mount, until bound */
	int ctl_fd;   /* to the helper: the machine's seccomp listener goes over it */
};
#define PROCVIEW_SERVER_NULL ((struct procview_server){ .mount_fd = -1, .ctl_fd = -1 })

int procview_start(const struct procview_config *c, struct procview_server *ret);
/* In the machine's mount namespace: attach the view at dir (outside the guest's root), then
 * bind its files over root/proc/meminfo etc. (a missing target is skipped). */
int procview_bind(int mount_fd, const char *dir, const char *root);
void procview_stop(struct procview_server *s);

/* procview-seccomp.c: in the machine, before its payload: a filter that hands sysinfo() calls
 * to a listener (its fd in *ret_fd); the server answers them. */
int procview_seccomp_install(int *ret_fd);
int procview_seccomp_handle(struct procview *v, int notify_fd);
/* One tag byte and optionally one fd over a unix socket. */
int procview_send_fd(int sock, int fd, char tag);
int procview_recv_fd(int sock, char *ret_tag, int *ret_fd);
