/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run external programs from an argv array: never a shell string. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct spawn_opts {
	const char *chroot;	/* chroot here before exec (needs root) */
	const char *cwd;	/* after chroot */
	char **env;		/* NULL: inherit */
	int stdin_fd;		/* -1: /dev/null; default 0 means inherit fd 0 */
	int stdout_fd;		/* -1: /dev/null */
	int stderr_fd;
	/* Run in a private mount namespace with /proc, /sys, /dev (bind) mounted inside chroot. */
	bool api_mounts;
};

/*
 * Runs argv[0] (PATH searched, inside the chroot if set) and waits.  Returns the exit status
 * (0..255), 128+N when killed by signal N, or -errno if it could not be started.
 */
int spawn_wait(char *const argv[], const struct spawn_opts *opts);
