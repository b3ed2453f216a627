/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Joining a running machine (runimg shell): its PID 1's cgroups, its capability bounding set
 * and every namespace it has of its own (user, mount, PID, UTS, IPC, network, cgroup), through
 * a pidfd verified against the start time the registry recorded.  The user namespace is the
 * identity-mapped one runimg makes to lock the machine's mounts (container.c), so root stays
 * root and the files mean what they mean on the host.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "state.h"

struct enter_target {
	int pidfd;	       /* the machine's PID 1 */
	int ns_flags;	       /* CLONE_NEW* of the namespaces that differ from ours */
	char **cgroup_procs;   /* host paths of the cgroup.procs files of its cgroups */
	uint64_t cap_bound;    /* its bounding set (CapBnd) */
};

#define ENTER_TARGET_NULL ((struct enter_target){ .pidfd = -1 })

/* In the caller: find everything above.  Logs; -ESRCH when the machine is not (yet, any
 * more) running. */
int enter_prepare(const struct machine_entry *e, struct enter_target *ret);
void enter_target_done(struct enter_target *t);

/* In a child that will fork the process to run: join the cgroups, reduce the bounding set,
 * setns().  The PID namespace applies to the children of the caller.  Logs. */
int enter_join(const struct enter_target *t);

/* Pure, for the tests: the host path of a cgroup.procs for a /proc/PID/cgroup line, given the
 * text of /proc/self/mountinfo; -ENOENT when no mount of that hierarchy is visible. */
int enter_cgroup_procs_path(const char *mountinfo, const char *cgroup_line, char **ret);
