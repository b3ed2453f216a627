/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One running machine: the context that owns every kernel object runimg creates for it, in
 * the order it creates them.  machine_teardown() walks it backwards and copes with any prefix
 * having been done (fields are -1/NULL/false until their object exists).
 *
 * Processes:
 *   runimg (supervisor, host namespaces)
 *     ├─ setup process: new mount namespace; mounts the root, /dev, /run, binds; pivot_root;
 *     │   └─ api helper (joins the machine's PID/net namespaces): /proc, /sys, cgroups
 *     └─ leader (PID 1 of the machine; cloned by the setup process with CLONE_PARENT):
 *            user (identity map), PID, UTS, IPC, cgroup [, net] namespaces; after "go" it takes
 *            a copy of the mount namespace (which locks the mounts), then becomes the payload:
 *            the image's init (-b) or runimg's reaper with the command.
 */
#pragma once

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "console.h"
#include "image.h"
#include "loop.h"
#include "mount-plan.h"
#include "mount-setup.h"
#include "procview.h"
#include "settings.h"
#include "state.h"
#include "veth.h"

struct machine {
	const struct run_settings *settings;
	int exit_code; /* runimg's exit status when a step fails (EXIT_*) */

	/* What runs. */
	struct image_info *image;
	char *name;
	char *hostname;
	char uuid[37];
	enum snapshot_mode snapshot; /* the effective mode (tarballs default to ephemeral) */
	char *tree;		     /* directory inputs: the tree (tarballs: in the cache) */

	/* Host objects, in creation order. */
	int image_fd; /* holds the image lock */
	struct machine_state state;
	struct cg_set cg;
	struct cg_limits limits;     /* the settings' limits, percentages resolved */
	cpu_set_t cpus;		     /* the CPUs the machine sees: its affinity, its /proc */
	uint64_t start_boottime_ns;  /* CLOCK_BOOTTIME at the start: uptime 0 inside */
	struct procview_server pv;   /* the /proc view's server */
	struct loop_dev loop;
	struct console console;
	int notify_fd;
	char *notify_path; /* unlinked as soon as the machine has it */
	char *staging;	   /* mount point of the setup (a directory in the state dir) */
	struct mount_plan plan;
	struct rootfs_spec rootfs;
	char **env;

	/* Processes. */
	int sig_fd;
	sigset_t saved_mask;
	pid_t setup_pid;
	pid_t leader_pid;
	int leader_sync; /* socket to the leader: "go" from us, "started" from it */
	struct veth_set veths; /* host sides of the machine's interfaces (veth.h) */
	bool started;
	bool ready;
	bool terminating;
};

/* The run verb: everything from the settings to the exit status. */
int machine_run(const struct run_settings *s);

/* The registry entry (state.h): STATE= is starting, running (booted, not READY=1 yet), ready or
 * stopping.  machine_save_state() rewrites the entry after a change. */
const char *machine_state_name(const struct machine *m);
int machine_save_state(struct machine *m);

/* container.c: start the machine's processes; then let the leader go. */
int container_spawn(struct machine *m);
int container_start(struct machine *m);
/* Wait for an event on fd (or a signal): 1 readable, 0 a signal was taken, -errno. */
int machine_wait_fd(struct machine *m, int fd, int *ret_signal);

/* supervise.c: relay the console, forward signals, wait for the end; returns the exit status. */
int supervise(struct machine *m);

void machine_teardown(struct machine *m);
