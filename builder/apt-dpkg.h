/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tree side of the apt bootstrap: layout, the target's dpkg, and the clean-up. */
#pragma once

#include <stdbool.h>

#include "solve.h"

/* /bin -> usr/bin ... (merged_usr), the dpkg database directories, an empty status file. */
int apt_prepare_root(const char *root, bool merged_usr, const char *arch);

/*
 * WithDocs=no: the dpkg path filters (as deb_extract() takes them) that leave out
 * documentation but keep copyright files, and their dpkg.cfg.d file in the image, so the
 * image's dpkg (now and later) skips the same paths.
 */
extern const char *const apt_nodoc_filter[];
int apt_write_nodoc(const char *root);

/* A policy-rc.d that refuses to start services (exit 101).  *ret_created: it was ours. */
int apt_policy_rc_d_install(const char *root, bool *ret_created);
int apt_policy_rc_d_remove(const char *root);

/*
 * Install set with the tree's own dpkg, chrooted in a private mount and pid namespace:
 * first the essential packages all at once (their files are already unpacked, so dpkg and
 * the shell work; --force-depends because dpkg does not order Pre-Depends among them), then
 * the rest in dependency order.  debs[i] is set->pkgs[i]'s file as seen inside the tree.
 * dpkg's output goes to log_path (and to stderr with -v); on failure its tail is shown.
 */
int apt_run_dpkg(const char *root, const struct solve_set *set, char *const *debs,
		 const char *log_path);

/* Every package of set is "install ok installed" in the tree's dpkg status. */
int apt_check_installed(const char *root, const struct solve_set *set);

/* Logs, caches and machine-specific files that would make two builds differ. */
int apt_clean_root(const char *root);
