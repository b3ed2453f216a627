/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Metalink= and MirrorList= (mkimg extensions of [Distribution] for rpm-md repositories): the
 * recipe names a document per repository instead of a mirror, and mkimg picks, per repository
 * and run, the first mirror that serves a repomd.xml it can use.
 *
 *   metalink     dnf's XML format (MirrorManager, mirrors.centos.org/metalink): the mirrors by
 *                preference and the size and sha256 of the current repomd.xml (and of the older
 *                ones MirrorManager still accepts); a mirror serving another repomd.xml is
 *                skipped, so the metalink, fetched over https, pins what the mirror serves
 *   mirror list  plain text, one base URL per line, '#' comments (mirrorlist.centos.org): the
 *                first mirror that serves valid repomd XML is used
 *
 * Either way the repomd.xml signature (when published) and everything below it is checked as
 * with Mirror= (rpm-md.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "fetch.h"
#include "rpm-md.h"

struct rpm_mirrors {
	const char *url;	/* the recipe's, with $basearch, $releasever, $repo */
	bool metalink;		/* else a mirror list */
	const char *basearch;	/* x86_64, aarch64, ... */
	const char *releasever;	/* 7, 8, 9, 10, ... */
};

/*
 * Expand $basearch, $releasever and $repo (the repository id in lower case), also spelled
 * ${name}; other '$' are kept.  Pure.
 */
int rpm_mirrors_expand(const struct rpm_mirrors *m, const char *repo_id, char **ret);

/* Pure parser of a mirror list: its http/https/file URLs without trailing '/'.  -ENOENT if
 * there is none. */
int rpm_mirrors_parse_list(const char *buf, size_t len, char ***ret);

/*
 * Fetch the document for repo and set repo->url (and repo->repomd_pin for a metalink) to the
 * first mirror that works; each skipped mirror is a warning.  Logs.  -EHOSTUNREACH when no
 * mirror works, -EBADMSG when the document is not one.
 */
int rpm_mirrors_choose(const struct rpm_mirrors *m, const struct fetch_opts *o,
		       struct rpmmd_repo *repo);
