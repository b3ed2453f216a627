/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Command mode's PID 1: a tiny init of runimg's own.  It starts the command as PID 2, passes
 * on every signal it receives to it, reaps orphaned zombies, and exits with the command's
 * status (128+N when a signal N ended it); the kernel then ends whatever is left.
 */
#pragma once

#include <stdbool.h>

/* console: give the command /dev/console as its controlling terminal and stdio. */
_Noreturn void pid1_run(char **argv, char **env, bool console);

/* Make /dev/console our controlling terminal and stdio (a new session). */
int payload_take_console(void);

/* Start argv as the machine's payload in this process (exec; returns only on failure). */
int payload_exec(char **argv, char **env);
