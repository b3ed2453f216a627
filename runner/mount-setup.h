/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Acting on the mount plan, in the machine's private mount namespace: the root file system
 * (direct, or overlayfs over it), then the plan's operations, then pivot_root.
 */
#pragma once

#include <stdbool.h>

#include "mount-plan.h"
#include "settings.h"

struct rootfs_spec {
	const char *source; /* block device, or a directory */
	const char *fstype; /* NULL for a directory (bind mount) */
	bool read_only;	    /* --read-only: the root is mounted read-only */
	enum snapshot_mode snapshot;
	const char *overlay_dir; /* SNAPSHOT_OVERLAY: upper/ and work/ live here */
};

/* Mount a tmpfs on staging and the root file system at staging/root.  The mask file for the
 * plan is staging/inaccessible. */
int rootfs_mount(const struct rootfs_spec *spec, const char *staging);
/* Make every mount private to this namespace, receiving (but never sending) host events. */
int mount_make_slave(void);
int mount_plan_execute(const struct mount_plan *p, enum mop_phase phase, const char *root);
/* Make root the namespace's "/" and drop the old root. */
int mount_pivot(const char *root);
