/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Version pins of Packages= ("t-ver=1.0", "bash>=5") as libsolv jobs, for both families. */
#pragma once

#include <solv/pool.h>
#include <solv/queue.h>

#include "pkgspec.h"

/*
 * Push the install job of entry, split into spec with a version (spec->op set): the packages
 * called NAME whose version satisfies the relation, by the pool's version order (Debian's, or
 * rpm's, where a VERSION without -RELEASE matches every release); the highest of them wins.  A
 * package that merely provides NAME never matches.  Logs; -ENOENT if no package is called NAME
 * or none of its versions matches.  Call after pool_createwhatprovides().
 */
int solve_pin_job(Pool *pool, const char *entry, const struct pkg_spec *spec, Queue *job);

/* Split a Packages= entry into ret, refusing (logged, -EINVAL) a malformed one and one whose
 * package RemovePackages= (remove) also names. */
int solve_entry_spec(const char *entry, char *const *remove, struct pkg_spec *ret);
