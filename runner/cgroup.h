/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's cgroups as the rest of runimg sees them: the layout, and the hierarchies a
 * guest mounts (cgroup2; name=systemd on v1/hybrid hosts for a systemd guest), each the root of
 * the guest's cgroup namespace.  The work (every hierarchy, limits, delegation) is cg.h's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cg.h"

enum cg_layout {
	CG_LAYOUT_NONE,	   /* no usable cgroup file system */
	CG_LAYOUT_LEGACY,  /* v1 only, with a name=systemd hierarchy */
	CG_LAYOUT_HYBRID,  /* v1 + cgroup2 at /sys/fs/cgroup/unified */
	CG_LAYOUT_UNIFIED, /* cgroup2 at /sys/fs/cgroup */
};

struct cg_hier {
	const char *guest;  /* mount point in the guest, e.g. "/sys/fs/cgroup/systemd" */
	bool v2;
	char *path;	    /* the machine's cgroup on the host (owned by the cg_machine) */
	bool created;
};

struct cg_set {
	enum cg_layout layout;
	struct cg_hier h[2];
	size_t n;
	struct cg_machine *m; /* every hierarchy of the machine; NULL without cgroups */
};

#define CG_SET_NULL ((struct cg_set){ .layout = CG_LAYOUT_NONE })

/*
 * Find the layout and our own cgroups; fill in the machine's cgroup paths for name.  want: the
 * controllers (1 << CG_CTRL_*) whose v1 hierarchies the machine joins, for its limits and its
 * /proc view.  The named v1 "systemd" hierarchy of a hybrid host is only for a systemd guest
 * (boot): a command lives in the unified hierarchy alone (moving a process in a v1 hierarchy
 * costs an RCU grace period, ~15 ms, on every start).
 */
int cg_prepare(struct cg_set *s, const char *name, bool boot, unsigned want);
/* Create the cgroups and apply the limits.  Logs. */
int cg_create(struct cg_set *s, const struct cg_limits *l);
/* Move pid (0: the caller) into the machine's cgroups; skip_v2 leaves the v2 one out (the
 * process was cloned into it). */
int cg_attach(const struct cg_set *s, pid_t pid, bool skip_v2);
/* An O_DIRECTORY fd of the machine's v2 cgroup for CLONE_INTO_CGROUP, or -ENOENT. */
int cg_open_v2(const struct cg_set *s);
/* Remove what cg_create made (recursively, killing stragglers).  Safe on a half-done set. */
void cg_remove(struct cg_set *s);
void cg_set_done(struct cg_set *s);
/* Remove one cgroup directory tree (for sweeping stale machines). */
int cg_remove_tree(const char *path);
const char *cg_layout_name(enum cg_layout l);

/* Pure: the path of our cgroup in a /proc/self/cgroup text, for the v2 hierarchy (v1name NULL)
 * or the v1 hierarchy with that name ("name=systemd"). */
int cg_parse_self(const char *text, const char *v1name, char **ret);
