/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What to run and how: a plain struct filled from the command line (main.c) and, later, from
 * settings files.  Parsing never does I/O; settings_finalize() applies the defaults and checks
 * combinations, so a settings file can fill the fields the command line left unset first.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg.h"
#include "ifspec.h"

#define RUNIMG_STATE_DIR "/run/runimg"
#define RUNIMG_CACHE_DIR "/var/cache/runimg"
#define RUNIMG_DEFAULT_TIMEOUT_USEC (90ULL * 1000000ULL)

/* Exit statuses of runimg itself (the payload's status is passed through). */
enum {
	EXIT_RUN_FAILED = 1, /* runimg failed */
	EXIT_USAGE = 2,	     /* usage, settings or input image error: change the input */
	EXIT_HOST = 3,	     /* host prerequisite missing: not root, no loop devices, ... */
	EXIT_REBOOT = 133,   /* the guest asked for a reboot (compat: systemd-nspawn) */
};

enum input_hint {
	INPUT_AUTO,	 /* positional argument: detect */
	INPUT_IMAGE,	 /* -i: a disk or file system image (or a tarball) */
	INPUT_DIRECTORY, /* -D: a directory */
};

enum snapshot_mode {
	SNAPSHOT_UNSET = -1,
	SNAPSHOT_NONE,	    /* the image itself, read-write unless read_only */
	SNAPSHOT_EPHEMERAL, /* overlayfs with a tmpfs upper: changes vanish */
	SNAPSHOT_OVERLAY,   /* overlayfs with upper in overlay_dir: changes persist there */
};

struct bind_spec {
	char *src; /* host path, absolute */
	char *dst; /* path in the machine, absolute */
	bool read_only;
};

/* Tri-state booleans: -1 = not set (a later source or the default decides). */
struct run_settings {
	char *input;
	enum input_hint input_hint;
	char **argv; /* COMMAND [ARG...], or the init's arguments with boot */

	int boot;
	char *machine;	/* NULL: from the input's file name */
	char *hostname; /* NULL: the machine name */
	int read_only;
	enum snapshot_mode snapshot;
	char *overlay_dir;
	struct bind_spec *binds;
	size_t n_binds;
	char **environment; /* K=V, later entries win */
	int private_network;
	int notify_ready;
	int64_t timeout_usec; /* -1: default */
	struct cg_limits limits; /* --memory ..., --property, [Resources] */
	int proc_view;		 /* enum proc_view: the machine's own /proc/meminfo etc. */
	/* --network, --network-bridge, [Network] Bridge=, [Interface]: netif_config_add_*() and
	 * netif_config_assign() fill it, netif_config_finalize() checks it (main.c); any
	 * interface implies a private network (settings_finalize()). */
	struct netif_config netifs;

	/* Not user options: where runimg keeps state and caches, and what main() found in the
	 * environment ($NOTIFY_SOCKET, $TERM).  Not owned. */
	const char *state_dir;
	const char *cache_dir;
	const char *notify_socket;
	const char *term;
};

void settings_init(struct run_settings *s);
void settings_done(struct run_settings *s);

/* Parsers for single option values: 0 or a negative errno; they never print. */
int settings_add_bind(struct run_settings *s, const char *spec, bool read_only);
int settings_add_env(struct run_settings *s, const char *assignment);
int settings_set_timeout(struct run_settings *s, const char *value);
/* --proc-view yes|no */
/* --proc-view / ProcView=: yes (served from the page cache), strict (a snapshot per open), no. */
enum proc_view { PROC_VIEW_NO = 0, PROC_VIEW_CACHED = 1, PROC_VIEW_STRICT = 2 };
int proc_view_from_string(const char *value);
int settings_set_proc_view(struct run_settings *s, const char *value);

/* Defaults and consistency checks.  On error *ret_msg says why (static text). */
int settings_finalize(struct run_settings *s, const char **ret_msg);

/* Name helpers (pure). */
bool machine_name_valid(const char *name);
/* "images/web-1.raw" -> "web-1"; "x.tar.gz" -> "x"; invalid characters become '-'. */
int machine_name_from_path(const char *path, char **ret);
