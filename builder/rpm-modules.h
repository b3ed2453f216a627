/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EL8+ AppStream modularity, as far as resolution needs it: the packages of module streams
 * that are not the default stream (modulemd-defaults) are never candidates, like dnf with no
 * module enabled.  modules.yaml is read with a small line-based reader for the subset of YAML
 * createrepo/modulemd write (block style documents, "data:" mappings indented by two spaces).
 */
#pragma once

#include <stddef.h>

#include <solv/pool.h>

#include "rpm-md.h"

/*
 * The NEVRAs ("name-epoch:version-release.arch", as modules.yaml lists them) of every stream
 * that is not its module's default stream, appended to *excluded.  -EBADMSG on a document
 * without name or stream.
 */
int rpm_modules_nondefault(const char *yaml, char ***excluded);

/* Take those packages out of consideration in pool (after all repositories are loaded). */
int rpm_modules_exclude(Pool *pool, struct rpmmd_repo *repos, size_t n);
