/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpm-md repositories (what createrepo writes, what dnf reads): repodata/repomd.xml, its
 * optional detached signature repomd.xml.asc, and the files it lists with their sha256
 * (primary, filelists, comps "group", modules), compressed with gz/xz/zst/bz2 or not at all.
 * The parsing of primary/filelists/comps is libsolv's (solve-rpm.c); here is the fetching and
 * the chain of digests, plus gpgv for the rpm bootstrap.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

/* One <data type="..."> entry of repomd.xml. */
struct rpmmd_data {
	char *type;		/* primary, filelists, group, group_gz, modules, ... */
	char *href;		/* relative to the repository's base URL */
	char *sha256;		/* of the file as stored (compressed) */
	uint64_t size;		/* ditto, 0 if repomd.xml does not say */
};

/*
 * Pure parser: the <data> entries of repomd.xml.  -EBADMSG if it is not a repomd document,
 * -EPROTONOSUPPORT if an entry's checksum is not sha256 (sha1 and md5 are not trusted).
 */
int rpmmd_parse_repomd(const char *buf, size_t len, struct rpmmd_data **ret, size_t *ret_n);
void rpmmd_data_free(struct rpmmd_data *d, size_t n);

/*
 * The <file name="repomd.xml"> entry of a metalink document (what dnf reads, MirrorManager
 * writes): the digests a mirror's repomd.xml may have and the mirrors' base URLs.
 */
struct rpmmd_metalink {
	struct rpmmd_metalink_hash {
		char sha256[65];
		uint64_t size;	/* 0 if the document gives none */
	} *hashes;		/* the current repomd.xml first, then <mm0:alternates> (older ones) */
	size_t n_hashes;
	char **bases;		/* http/https/file, by preference (highest first, then document
				 * order), each the URL before "repodata/repomd.xml" without '/' */
};

/*
 * Pure parser.  -EBADMSG if there is no repomd.xml entry, -EPROTONOSUPPORT if it has no
 * sha256, -ENOENT if it lists no http, https or file mirror of repodata/repomd.xml.
 */
int rpmmd_parse_metalink(const char *buf, size_t len, struct rpmmd_metalink *ret);
void rpmmd_metalink_done(struct rpmmd_metalink *m);

struct rpmmd_repo {
	char *id;		/* "BaseOS" */
	char *url;		/* base URL, no trailing slash */
	char *repomd_sha256;	/* digest of the repomd.xml that was used */
	char *repomd_pin;	/* if set, repomd.xml must have this digest (metalink) */
	/* Decompressed metadata in the workdir (NULL when the repository has none). */
	char *primary, *group, *modules;
	struct rpmmd_data *data;	/* every entry of repomd.xml */
	size_t n_data;
};

struct rpmmd_keys {
	char *keyring;		/* binary keyring for gpgv (dearmored into the workdir), or NULL */
	char *keyring_name;	/* the recipe's path, for messages */
	char *dir;		/* gpgv's scratch directory */
	bool check;		/* false: RepositoryKeyCheck=no */
};

/*
 * Prepare keys for gpgv from the key file at path (armored or binary, several keys allowed).
 * check = false only records that checks are off.  Logs.  -ENOKEY if the file is missing.
 */
int rpmmd_keys_init(struct rpmmd_keys *k, const char *path, bool check, const char *workdir);
void rpmmd_keys_done(struct rpmmd_keys *k);
/*
 * gpgv: is sig a good signature over data by one of the keys?  0, or -EBADMSG with
 * *ret_reason (malloc'd) saying why.  Does not log.
 */
int rpmmd_gpgv(const struct rpmmd_keys *k, const char *tag, const char *sig, const char *data,
	       char **ret_reason);

/*
 * Fetch and verify repomd.xml of each repository (signature when the repository publishes
 * one; see bootstrap-rpm.c for the policy), then primary, comps and modules, each against its
 * sha256 in repomd.xml, and decompress them into workdir.  Logs.
 */
int rpmmd_load(struct fetch *f, struct rpmmd_repo *repos, size_t n, const struct rpmmd_keys *k,
	       const char *workdir);
/* Fetch, verify and decompress one more type ("filelists") of repo: *ret (malloc'd) is the
 * decompressed file, NULL if repomd.xml lists none.  Logs. */
int rpmmd_load_extra(struct fetch *f, struct rpmmd_repo *repo, const char *type,
		     const char *workdir, char **ret);
void rpmmd_repo_done(struct rpmmd_repo *r);
