/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OUTPUT.manifest.json: what was built from what. */
#pragma once

#include "build.h"

struct manifest_package {
	char *name, *version, *arch;
	char *sha256; /* of the package file, when mkimg fetched it; else NULL */
};

struct manifest_info {
	struct manifest_package *packages;
	size_t n_packages;
};

/* Collect the installed package set from the tree's own database (dpkg status today). */
int manifest_collect(const char *root, struct manifest_info *ret);
void manifest_info_done(struct manifest_info *info);

/* Write the manifest for a build whose output is complete at b->tmp_output.  Logs. */
int manifest_write(const struct build *b, const struct manifest_info *info, const char *path);
