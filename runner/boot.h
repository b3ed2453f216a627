/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the payload gets and what its end means: the environment (container=runimg,
 * container_uuid, NOTIFY_SOCKET with -b), the init to run with -b, the sd_notify listener,
 * and the mapping of the payload's wait status to runimg's exit status.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "settings.h"

#define GUEST_NOTIFY_SOCKET "/run/host/notify"

/* The payload's environment: defaults, then the settings' K=V entries (they win). */
int payload_env(const struct run_settings *s, const char *uuid, const char *term, char ***ret);
/* The payload's argv: -b: the init found in the (current) root plus the arguments; otherwise
 * the command, or /bin/sh.  Runs inside the machine. */
int payload_argv(const struct run_settings *s, char ***ret);
/* Whether the init at path (in the current root) is systemd, which sends READY=1 when it
 * has started up; any other init is "ready" once it runs. */
bool init_sends_ready(const char *path);

/* Exit status for a wait status: -b maps poweroff to 0 and reboot to 133. */
int boot_exit_status(int wait_status);
int command_exit_status(int wait_status);

/* The notify socket runimg listens on for the guest's READY=1. */
int notify_listen(const char *path, int *ret_fd);
/* Read one datagram: 1 when it said READY=1, 0 otherwise, or -errno. */
int notify_receive(int fd);
/* Pure: does a notify message contain the line READY=1? */
bool notify_says_ready(const char *msg);
/* Tell our own service manager (socket path from $NOTIFY_SOCKET) that we are ready. */
int notify_send_ready(const char *socket_path, const char *status);
