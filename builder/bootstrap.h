/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bootstraps: from a distribution's repositories to an installed root, with the target's own
 * package manager doing the configuration.  One struct bootstrap_ops per package family
 * (bootstrap-apt.c today, bootstrap-rpm.c later); the build calls them in this order:
 *
 *	resolve   signed metadata -> the exact package set (or, with a lock, read the lock)
 *	install   fetch + unpack in parallel, then the target's dpkg/rpm inside the tree
 *	finish    after the content steps: drop what the install needed, reproducibility clean-up
 *
 * Errors follow the build's contract: -ENOENT/-EINVAL the recipe asks for something that
 * cannot be (exit 2), -EPERM not root (exit 3), anything else a failed step (exit 1).
 * Every step logs its own failure.
 */
#pragma once

#include <stdbool.h>

#include "manifest.h"
#include "recipe.h"
#include "solve.h"

struct bootstrap_params {
	const struct recipe *recipe;
	const char *root;		/* the tree (need not be empty: BaseTrees= come first) */
	const char *workdir;		/* scratch space for indexes and logs, removed by the caller */
	const char *cache_dir;
	const char *lock_path;		/* --locked: install exactly this lock file */
	bool offline;
};

struct bootstrap;

struct bootstrap_ops {
	const char *name;
	int (*resolve)(struct bootstrap *b);
	int (*install)(struct bootstrap *b);
	int (*finish)(struct bootstrap *b);
	void (*free_state)(struct bootstrap *b);
};

/* One source of packages and the digest of its signed Release file, for lock files. */
struct bootstrap_source {
	char *mirror, *suite;
	char **components;
	char *release_sha256;		/* NULL when installing from a lock */
};

struct bootstrap {
	const struct bootstrap_ops *ops;
	struct bootstrap_params p;
	struct solve_set *set;		/* after resolve */
	struct bootstrap_source *sources;
	size_t n_sources;
	bool lock_urls;			/* lock_read keeps each package's recorded URL (the
					 * backend has no fixed mirror: rpm with Metalink=) */
	void *state;			/* the backend's */
};

/* Whether mkimg can install packages of d yet (logs why not). */
bool bootstrap_supported(enum distribution d);
/* The process exit code for a bootstrap error, per the contract above. */
int bootstrap_exit_code(int r);
/* RECIPE.lock for the recipe's first file. malloc'd. */
char *bootstrap_lock_path(const struct recipe *r);

/*
 * Installing packages creates, renames and deletes tens of thousands of small files; on a disk
 * file system that metadata churn, not the data, dominates a build (about 3x on ext4).  When
 * the host has the memory (MemAvailable >= 4 GiB) and MKIMG_TMPFS is not "no", this mounts a
 * tmpfs (at most half of MemAvailable) on root in a private mount namespace of the calling
 * process, which must be the build's worker: the tree then vanishes with the process, however
 * it ends, and never shows on the host.  Writers read it from there; Format=directory copies it
 * out.  Best effort: on any failure the tree simply stays on disk.
 */
void bootstrap_tree_in_memory(const char *root);

/* The bootstrap for the recipe's distribution.  -EOPNOTSUPP (logged) if there is none yet. */
int bootstrap_new(const struct bootstrap_params *p, struct bootstrap **ret);
void bootstrap_free(struct bootstrap *b);

int bootstrap_resolve(struct bootstrap *b);
int bootstrap_install(struct bootstrap *b);
int bootstrap_finish(struct bootstrap *b);

/* Log the last lines of the target's package manager's log, so a failure explains itself. */
void bootstrap_log_tail(const char *path, unsigned lines);

/* Add the sha256 of every package mkimg fetched to the manifest's package list. */
void bootstrap_annotate_manifest(const struct bootstrap *b, struct manifest_info *info);

/* Lock files (lock.c).  The digest covers the recipe keys that decide the package set. */
int lock_inputs_digest(const struct recipe *r, char hex[65]);
int lock_write(const struct bootstrap *b, const char *path);
/* Read path into b->set.  Unless b->lock_urls, each package's URL is rewritten to the mirror
 * in b->sources of the suite whose lock source line its recorded URL is under (the only one
 * for single-source locks); with no b->sources (no mirror known) the lock's URLs are kept and
 * its source lines become b->sources.  -EINVAL (logged) if it does not match the recipe. */
int lock_read(struct bootstrap *b, const char *path);

extern const struct bootstrap_ops bootstrap_apt_ops;
extern const struct bootstrap_ops bootstrap_rpm_ops;
