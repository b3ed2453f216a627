/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resource limits and the machine's cgroups, on cgroup v2 and on v1/hybrid hosts.
 *
 *   cg-limits.c  options, systemd properties and [Resources] keys -> struct cg_limits (pure)
 *   cg.c         host layout, delegation, the machine's cgroup in every hierarchy, removal
 *   cg-v1.c      the v1 backend: memory.limit_in_bytes, cpu.cfs_quota_us, cpu.shares, ...
 *   cg-v2.c      the v2 backend: memory.max, cpu.max, cpu.weight, cgroup.subtree_control, ...
 *
 * Where the machine lives: when runimg runs in a delegated cgroup (a systemd unit with
 * Delegate=yes: the trusted.delegate or user.delegate xattr on our cgroup) the machine is
 * OWN/payload and, on v2, runimg moves itself to OWN/supervisor (no processes in inner
 * cgroups); otherwise it is /runimg/NAME in every hierarchy.
 *
 * Everything takes a root ("/sys/fs/cgroup", or a fixture tree in the unit tests).  With
 * CG_FAKE_FS the tree is plain directories: a new cgroup gets copies of its parent's files
 * (the kernel would create them) and removal deletes files first.
 */
#pragma once

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"

/* Limit values: bytes, microseconds, counts or weights; or one of these. */
#define CG_UNSET UINT64_C(0xfffffffffffffffe)
#define CG_MAX UINT64_MAX /* "max", "infinity": no limit */

#define CG_CPU_PERIOD_USEC UINT64_C(100000)
#define CG_WEIGHT_MIN 1
#define CG_WEIGHT_MAX 10000

enum cg_ctrl {
	CG_CTRL_CPU,
	CG_CTRL_CPUACCT, /* v1 only; on v2 cpu.stat is always there */
	CG_CTRL_CPUSET,
	CG_CTRL_MEMORY,
	CG_CTRL_PIDS,
	CG_CTRL_IO, /* "io" on v2, "blkio" on v1 */
	_CG_CTRL_MAX,
};

struct cg_limits {
	uint64_t memory_max;	  /* bytes */
	uint64_t memory_high;	  /* bytes */
	uint64_t memory_swap_max; /* bytes of swap (on v1 added to memory_max for memsw) */
	/* Percentages of the host's RAM (permyriad, 0 = not used), resolved by cg_limits_resolve. */
	uint32_t memory_max_pm, memory_high_pm, memory_swap_max_pm;
	uint64_t cpu_quota_usec; /* per cpu_period_usec */
	uint64_t cpu_period_usec;
	uint64_t cpu_weight; /* 1..10000, v2 scale (v1: cpu.shares by cg_weight_to_shares) */
	uint64_t pids_max;
	uint32_t pids_max_pm; /* of the host's task limit (min of pid_max, threads-max) */
	uint64_t io_weight;   /* 1..10000, v2 scale */
	bool has_cpuset;
	cpu_set_t cpuset;
};

void cg_limits_init(struct cg_limits *l);
bool cg_limits_any(const struct cg_limits *l);
/* Fill what dst has unset from src (the command line first, then a settings file). */
void cg_limits_fill(struct cg_limits *dst, const struct cg_limits *src);

/*
 * Parsers (pure).  0, or -EINVAL (malformed), -ERANGE (out of range), -ENOENT (unknown name).
 *   option:   memory memory-high memory-swap cpus cpu-weight cpuset pids io-weight
 *   property: MemoryMax MemoryHigh MemorySwapMax CPUQuota CPUWeight AllowedCPUs TasksMax
 *             IOWeight (also the [Resources] keys); MemoryLimit (old name of MemoryMax)
 */
int cg_limits_set_option(struct cg_limits *l, const char *option, const char *value);
int cg_limits_set_property(struct cg_limits *l, const char *key, const char *value);
/* "KEY=VALUE", for --property. */
int cg_limits_set_assignment(struct cg_limits *l, const char *assignment);
/* Percentages -> absolute values, given the host's RAM and task limit. */
void cg_limits_resolve(struct cg_limits *l, uint64_t host_mem, uint64_t host_tasks);
/* How many CPUs the quota allows: ceil(quota/period); 0 when unlimited. */
unsigned cg_limits_quota_cpus(const struct cg_limits *l);

/* "0-3,6" <-> cpu_set_t.  Parse: -EINVAL, -ERANGE (CPU >= CPU_SETSIZE). */
int cg_parse_cpu_list(const char *s, cpu_set_t *ret);
/* Into buf ("" for an empty set); returns buf. */
char *cg_format_cpu_list(const cpu_set_t *set, char *buf, size_t len);

/* The conversions systemd uses. */
uint64_t cg_weight_to_shares(uint64_t weight); /* cpu.shares, 2..262144 */
uint64_t cg_weight_to_blkio(uint64_t weight);  /* blkio.weight (CFQ), 10..1000 */
uint64_t cg_weight_to_bfq(uint64_t weight);    /* io.bfq.weight / blkio.bfq.weight, 1..1000 */

/* One cgroup hierarchy the machine has a cgroup in. */
struct cg_hierarchy {
	char *mount;	   /* host mount point: ROOT, ROOT/unified, ROOT/memory, ... */
	char *name;	   /* v1: "memory", "cpu,cpuacct", "name=systemd"; v2: NULL */
	bool v2;
	unsigned mask;	   /* 1 << CG_CTRL_*: the controllers of ours it carries */
	const struct cg_ops *ops;
	char *own;	   /* our own cgroup in it, "/" or "/a/b" */
	char *base;	   /* the machine's parent: "/runimg", or own when delegated */
	char *path;	   /* host path of the machine's cgroup */
	char **made;	   /* directories we created, in creation order */
};

struct cg_machine {
	char *root;
	unsigned flags;
	bool delegated;
	struct cg_hierarchy *h;
	size_t n;
	int ctrl[_CG_CTRL_MAX]; /* index into h per controller, -1: not on this host */
	int main;		/* index of the hierarchy that holds every process (v2, else
				   name=systemd), -1 */
	char *supervisor;	/* delegated v2: the cgroup runimg moved itself to */
};

enum {
	CG_FAKE_FS = 1 << 0,  /* fixture trees (unit tests) */
	CG_NO_DELEGATION_CHECK = 1 << 1,
};

struct cg_ops {
	const char *name;
	/* A cgroup directory was just created below parent: make it usable (v1 cpuset). */
	int (*init_dir)(const struct cg_machine *m, const struct cg_hierarchy *h, const char *dir,
			const char *parent);
	/* Let children of dir use the controllers of mask (v2: cgroup.subtree_control). */
	int (*enable)(const struct cg_machine *m, const struct cg_hierarchy *h, const char *dir,
		      unsigned mask);
	/* Write the limits for the controllers h carries into the machine's cgroup. */
	int (*apply)(const struct cg_machine *m, const struct cg_hierarchy *h,
		     const struct cg_limits *l);
};

extern const struct cg_ops cg_v1_ops;
extern const struct cg_ops cg_v2_ops;

/*
 * Find the hierarchies (from self_cgroup, the text of /proc/self/cgroup, and the tree at root),
 * whether we are delegated, and the machine's cgroup paths.  Creates nothing.  Logs nothing:
 * -ENOMEDIUM when there is no cgroup file system at all.
 */
int cg_machine_new(const char *root, const char *self_cgroup, const char *name, unsigned flags,
		   struct cg_machine **ret);
void cg_machine_free(struct cg_machine *m);
/* Check that the host can apply l (controllers present, CPUs available).  Logs. */
int cg_machine_check(const struct cg_machine *m, const struct cg_limits *l);
/* Create the machine's cgroups in every hierarchy and apply l.  Logs. */
int cg_machine_create(struct cg_machine *m, const struct cg_limits *l);
/*
 * Keep only the hierarchies the machine needs: v2, the v1 hierarchies of the controllers in
 * mask (1 << CG_CTRL_*), and name=systemd when systemd is true.  Moving a process within a v1
 * hierarchy waits for an RCU grace period: a command without limits should not pay for all.
 */
void cg_machine_keep(struct cg_machine *m, unsigned mask, bool systemd);
/* Move pid (0: the caller) into the machine's cgroups; skip_v2: it was cloned into the v2
 * one already (CLONE_INTO_CGROUP).  Logs. */
int cg_machine_attach(const struct cg_machine *m, pid_t pid, bool skip_v2);
/* Kill what is left, remove what we created, in reverse order.  Safe on a half-done machine. */
void cg_machine_remove(struct cg_machine *m);
/* The machine's cgroup directory for a controller, or NULL. */
const char *cg_machine_path(const struct cg_machine *m, enum cg_ctrl c);
bool cg_machine_is_v2(const struct cg_machine *m, enum cg_ctrl c);

const char *cg_ctrl_name(enum cg_ctrl c, bool v2);
/* runimg's exit status for an error of the functions above: 2 bad value, 3 host lacks it. */
int cg_exit_status(int r);

/* Helpers shared by the backends (cg.c).  Errors about a value or the host are logged with
 * log_error_ret(): no errno text, the message says what is wrong. */
int cg_write(const char *dir, const char *file, const char *value);
/* Write a limit into the machine's cgroup of h; a missing file or a refused value is an error
 * of the host (-EOPNOTSUPP) or of the value (-ERANGE) and says which. */
int cg_put(const struct cg_hierarchy *h, const char *file, const char *value, const char *what);
int cg_read(const char *dir, const char *file, char **ret);
/* Remove a cgroup and the cgroups below it, deepest first.  kill_first: SIGKILL each one's
 * members before its rmdir.  fake: a fixture tree, whose files are removed first. */
int cg_remove_dir(const char *dir, bool fake, bool kill_first);
bool cg_has(const char *dir, const char *file);
