/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "mount-plan.h"
#include "strutil.h"

#define NOSUID_NODEV (MS_NOSUID | MS_NODEV)
#define API_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/*
 * Kernel interfaces a container must not read or change: systemd-nspawn's and runc's default
 * lists.  Files and directories are masked (an empty read-only stand-in is mounted on top);
 * the rest is made read-only.
 */
static const char *const proc_masked[] = {
	"/proc/kcore",	     "/proc/keys",	  "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/latency_stats", "/proc/kallsyms",  "/proc/acpi",
	"/proc/asound",	     "/proc/scsi",
};
static const char *const proc_read_only[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sysrq-trigger",
};
static const char *const sys_masked[] = {
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
};

int plan_add(struct mount_plan *p, const struct mount_op *op)
{
	struct mount_op *n = realloc(p->ops, (p->n + 1) * sizeof(*n)), *o;

	if (!n)
		return -ENOMEM;
	p->ops = n;
	o = &p->ops[p->n];
	*o = *op;
	o->src = op->src ? strdup(op->src) : NULL;
	o->dst = strdup(op->dst);
	o->data = op->data ? strdup(op->data) : NULL;
	if (!o->dst || (op->src && !o->src) || (op->data && !o->data)) {
		free(o->src);
		free(o->dst);
		free(o->data);
		return -ENOMEM;
	}
	p->n++;
	return 0;
}

void mount_plan_done(struct mount_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->ops[i].src);
		free(p->ops[i].dst);
		free(p->ops[i].data);
	}
	free(p->ops);
	p->ops = NULL;
	p->n = 0;
}

const struct mount_op *mount_plan_find(const struct mount_plan *p, const char *dst, int kind)
{
	for (size_t i = 0; i < p->n; i++)
		if (streq(p->ops[i].dst, dst) &&
		    (kind < 0 || p->ops[i].kind == (enum mop_kind)kind))
			return &p->ops[i];
	return NULL;
}

static int add_run(struct mount_plan *p, const struct plan_input *in)
{
	const struct mount_op ops[] = {
		{ MOP_MOUNT, PHASE_ROOT, "tmpfs", "/run", "tmpfs", "mode=0755", NOSUID_NODEV },
		{ MOP_MKDIR, PHASE_ROOT, NULL, "/run/systemd", .mode = 0755 },
		{ MOP_WRITE, PHASE_ROOT, "runimg\n", "/run/systemd/container", .mode = 0444 },
		{ MOP_MKDIR, PHASE_ROOT, NULL, "/run/host", .mode = 0755 },
		{ MOP_WRITE, PHASE_ROOT, "runimg\n", "/run/host/container-manager", .mode = 0444 },
		{ MOP_MOUNT, PHASE_ROOT, "tmpfs", "/tmp", "tmpfs", "mode=1777", NOSUID_NODEV },
	};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(ops); i++)
		if ((r = plan_add(p, &ops[i])) < 0)
			return r;
	if (in->notify_socket) {
		struct mount_op b = { MOP_BIND, PHASE_ROOT, (char *)in->notify_socket,
				      "/run/host/notify" };
		if ((r = plan_add(p, &b)) < 0)
			return r;
	}
	return 0;
}

static int add_binds(struct mount_plan *p, const struct run_settings *s)
{
	for (size_t i = 0; i < s->n_binds; i++) {
		struct mount_op b = {
			.kind = MOP_BIND,
			.phase = PHASE_ROOT,
			.src = s->binds[i].src,
			.dst = s->binds[i].dst,
			.opts = MOP_RECURSIVE | (s->binds[i].read_only ? MOP_READ_ONLY : 0),
		};
		int r = plan_add(p, &b);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_list(struct mount_plan *p, const struct plan_input *in, enum mop_kind kind,
		    const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct mount_op o = { .kind = kind, .phase = PHASE_API, .dst = (char *)l[i],
				      .opts = MOP_OPTIONAL };
		int r;

		if (kind == MOP_BIND) {
			o.src = (char *)l[i];
			o.opts |= MOP_IN_ROOT | MOP_READ_ONLY;
		} else {
			o.src = (char *)in->inaccessible;
		}
		if ((r = plan_add(p, &o)) < 0)
			return r;
	}
	return 0;
}

static int add_proc(struct mount_plan *p, const struct plan_input *in)
{
	const struct mount_op proc = { MOP_MOUNT, PHASE_API, "proc", "/proc", "proc", NULL,
				       API_FLAGS };
	const struct mount_op sys_ro = { MOP_BIND, PHASE_API, "/proc/sys", "/proc/sys",
					 .opts = MOP_IN_ROOT | MOP_READ_ONLY };
	const struct mount_op net_rw = { MOP_BIND, PHASE_API, "/proc/sys/net", "/proc/sys/net",
					 .opts = MOP_IN_ROOT | MOP_OPTIONAL };
	int r;

	if ((r = plan_add(p, &proc)) < 0 || (r = plan_add(p, &sys_ro)) < 0)
		return r;
	/* With its own network namespace the machine may tune its own network stack. */
	if (in->settings->private_network > 0 && (r = plan_add(p, &net_rw)) < 0)
		return r;
	if ((r = add_list(p, in, MOP_BIND, proc_read_only, ELEMENTSOF(proc_read_only))) < 0)
		return r;
	return add_list(p, in, MOP_MASK, proc_masked, ELEMENTSOF(proc_masked));
}

static int add_cgroups(struct mount_plan *p, const struct cg_set *cg)
{
	const struct mount_op tmpfs = { MOP_MOUNT, PHASE_API, "tmpfs", "/sys/fs/cgroup", "tmpfs",
					"mode=0755", API_FLAGS };
	const struct mount_op ro = { MOP_REMOUNT_RO, PHASE_API, NULL, "/sys/fs/cgroup" };
	int r;

	if (!cg || cg->layout == CG_LAYOUT_NONE)
		return 0;
	if (cg->layout != CG_LAYOUT_UNIFIED && (r = plan_add(p, &tmpfs)) < 0)
		return r;
	for (size_t i = 0; i < cg->n; i++) {
		struct mount_op mk = { MOP_MKDIR, PHASE_API, NULL, (char *)cg->h[i].guest,
				       .mode = 0755 };
		struct mount_op b = { MOP_BIND, PHASE_API, cg->h[i].path, (char *)cg->h[i].guest };
		if (cg->layout != CG_LAYOUT_UNIFIED && (r = plan_add(p, &mk)) < 0)
			return r;
		if ((r = plan_add(p, &b)) < 0)
			return r;
	}
	return cg->layout != CG_LAYOUT_UNIFIED ? plan_add(p, &ro) : 0;
}

static int add_sys(struct mount_plan *p, const struct plan_input *in)
{
	const struct mount_op sys = { MOP_MOUNT, PHASE_API, "sysfs", "/sys", "sysfs", NULL,
				      API_FLAGS | MS_RDONLY };
	int r;

	if ((r = plan_add(p, &sys)) < 0)
		return r;
	if ((r = add_list(p, in, MOP_MASK, sys_masked, ELEMENTSOF(sys_masked))) < 0)
		return r;
	return add_cgroups(p, in->cgroups);
}

int mount_plan_build(const struct plan_input *in, struct mount_plan *ret)
{
	struct mount_plan p = {};
	int r;

	r = plan_add_dev(&p, in);
	if (r >= 0)
		r = add_run(&p, in);
	if (r >= 0)
		r = add_binds(&p, in->settings);
	if (r >= 0)
		r = add_proc(&p, in);
	if (r >= 0)
		r = add_sys(&p, in);
	if (r < 0) {
		mount_plan_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}
