/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One build: the context that owns everything a build creates on the host (workspace, the
 * temporary output and manifest) and the steps that fill it.  build_cleanup() removes whatever
 * exists of it and tolerates any half-done prefix, so it is safe after a failure, a signal or a
 * crash of the worker process.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "output.h"
#include "recipe.h"

struct build {
	const struct recipe *recipe;
	const struct output_ops *ops;
	bool force;

	char *workspace;	/* WORKSPACE_DIR/mkimg.XXXXXX, holds "root" and a lock file */
	char *root;		/* the image tree being built */
	char *output;		/* final output path */
	char *tmp_output;	/* OUTDIR/.NAME.mkimg-PID: renamed to output at the end */
	char *manifest;		/* OUTPUT.manifest.json */
	char *tmp_manifest;
	int lock_fd;		/* flock on the workspace: held while the build runs */

	/* Package bootstrap (Distribution= other than none), set after build_prepare(). */
	const char *cache_dir;
	const char *lock_path;	/* --locked: RECIPE.lock */
	bool offline;

	struct output_params params;
	struct output_digest digest;	/* params.digest points here */
	char seed_str[37];
};

/* Resolve output names, check they can be written, create the workspace.  Exit code. */
int build_prepare(struct build *b, const struct recipe *r, const char *workspace_dir, bool force);
/* All steps, up to and including the atomic rename of output and manifest.  Exit code. */
int build_run(struct build *b);
/* Remove workspace and temporary outputs (not the committed output).  Idempotent. */
void build_cleanup(struct build *b);

/* The host's architecture with Debian's names (amd64, arm64, ...). */
const char *host_arch(void);
