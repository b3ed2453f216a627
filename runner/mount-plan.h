/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's file system setup as a list of plain operations (bubblewrap style): built
 * from the settings without touching the system (so it is unit-tested), then executed by
 * mount-setup.c in two phases:
 *
 *   PHASE_ROOT  by the setup process, in the machine's mount namespace before the guest has
 *               its own: /dev, /run, /tmp, binds;
 *   PHASE_API   by a helper that joined the machine's PID (and network) namespace, so that
 *               /proc and /sys describe the machine: /proc + masks, /sys, cgroups.
 *
 * Paths ("dst") are inside the machine's root; symlinks in the image are resolved inside it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "settings.h"

enum mop_kind {
	MOP_MOUNT,	/* mount(src, dst, fstype, flags, data); creates dst */
	MOP_BIND,	/* bind src (host path, or a machine path with MOP_IN_ROOT) onto dst */
	MOP_MKDIR,	/* mkdir dst, mode */
	MOP_MKNOD,	/* character device dst, mode, rdev */
	MOP_SYMLINK,	/* dst -> src */
	MOP_WRITE,	/* regular file dst with content src, mode */
	MOP_MASK,	/* hide dst: an empty read-only file or directory is mounted over it */
	MOP_REMOUNT_RO, /* make the mount at dst read-only (keeping its other flags) */
};

enum mop_phase {
	PHASE_ROOT,
	PHASE_API,
};

enum {
	MOP_OPTIONAL = 1 << 0,	/* a missing dst (or src) is not an error: skip */
	MOP_RECURSIVE = 1 << 1, /* MS_REC for binds */
	MOP_READ_ONLY = 1 << 2, /* binds: read-only */
	MOP_IN_ROOT = 1 << 3,	/* bind source is a path in the machine */
};

struct mount_op {
	enum mop_kind kind;
	enum mop_phase phase;
	char *src;
	char *dst;
	const char *fstype;
	char *data;
	unsigned long flags;
	mode_t mode;
	dev_t rdev;
	unsigned opts;
};

struct mount_plan {
	struct mount_op *ops;
	size_t n;
};

/* What the plan depends on besides the settings. */
struct plan_input {
	const struct run_settings *settings;
	const char *console;	     /* host path of the console pty, or NULL */
	const char *notify_socket;   /* host path of the notify socket, or NULL */
	const char *inaccessible;    /* host path of an empty mode-0 file for masking */
	const struct cg_set *cgroups;
};

int mount_plan_build(const struct plan_input *in, struct mount_plan *ret);
void mount_plan_done(struct mount_plan *p);
/* Lookup for tests: the first op with that dst (and kind, unless kind < 0). */
const struct mount_op *mount_plan_find(const struct mount_plan *p, const char *dst, int kind);

/* Building blocks (dev.c and mount-plan.c). */
int plan_add(struct mount_plan *p, const struct mount_op *op);
int plan_add_dev(struct mount_plan *p, const struct plan_input *in);
