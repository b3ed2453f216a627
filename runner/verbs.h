/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The verbs that act on named machines, one file each: verb-list.c (list, status),
 * verb-shell.c, verb-stop.c.  Each parses its own arguments (argv[0] is the verb) and returns
 * runimg's exit status.
 */
#pragma once

struct verb_context {
	const char *state_dir;
	const char *term; /* $TERM */
};

int verb_list(const struct verb_context *ctx, int argc, char **argv);
int verb_status(const struct verb_context *ctx, int argc, char **argv);
int verb_shell(const struct verb_context *ctx, int argc, char **argv);
int verb_stop(const struct verb_context *ctx, int argc, char **argv);

/* Shared by the verbs: "no machine 'x'" (2), stale entries (1), ... logged; returns the exit
 * status to use, or 0 with *ret set. */
struct machine_entry;
int verb_find_machine(const struct verb_context *ctx, const char *name,
		      struct machine_entry **ret);
