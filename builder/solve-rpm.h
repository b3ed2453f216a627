/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resolution for the rpm family: rpm-md metadata into a DISTTYPE_RPM libsolv pool. */
#pragma once

#include "rpm-md.h"
#include "solve.h"

struct solve_rpm_request {
	const char *arch;		/* rpm architecture (x86_64); noarch is always a candidate */
	char *const *packages;		/* Packages=: names, provides ("/bin/sh"), "@group", pins */
	char *const *remove;		/* RemovePackages= */
	char *const *extra;		/* the bootstrap's own wishes (rpm), if they exist */
	bool with_recommends;
	/*
	 * Called for each repository when some file dependency has no provider in the primary
	 * metadata: *ret the decompressed filelists (NULL if there are none).  Logs on error.
	 */
	int (*need_filelists)(void *userdata, struct rpmmd_repo *repo, char **ret);
	void *userdata;
};

/*
 * The packages to install, dependencies first; url = repo->url + "/" + location, filename =
 * the location.  essential marks the closure of rpm and /bin/sh: unpacked ahead so the
 * target's rpm can run.  Errors as solve_deb(); -EOPNOTSUPP if this libsolv cannot do rpm.
 */
int solve_rpm(struct rpmmd_repo *repos, size_t n, const struct solve_rpm_request *req,
	      struct solve_set **ret);

/* "amd64"/"x86-64" -> "x86_64" etc.; NULL if unknown. */
const char *rpm_arch(const char *arch);
