/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run external programs from an argv array: never a shell string. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct spawn_opts {
	const char *chroot;	/* chroot here before exec (needs root) */
	const char *cwd;	/* after chroot */
	char **env;		/* NULL: inherit */
	/* For each standard fd: 0 = inherit, -1 = /dev/null, otherwise the fd to install. */
	int stdin_fd;
	int stdout_fd;
	int stderr_fd;
	/* Run in private mount and pid namespaces with /proc, /sys (read-only), /dev and /run
	 * mounted inside the chroot.  The mounts vanish with the namespace, and every process
	 * the program leaves behind is killed when it exits.  Needs root. */
	bool api_mounts;
};

/*
 * Runs argv[0] (PATH searched, inside the chroot if set) and waits.  Returns the exit status
 * (0..255), 128+N when killed by signal N, or -errno if it could not be started.
 */
int spawn_wait(char *const argv[], const struct spawn_opts *opts);
