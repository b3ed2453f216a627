/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Repository access shared by the apt and rpm bootstraps: libcurl multi, parallel transfers
 * with a per-host cap, retries with exponential backoff, resume of partial downloads, timeouts,
 * proxies from the environment (libcurl's own handling of http_proxy/https_proxy/no_proxy),
 * file:// mirrors, and a content-addressed cache:
 *
 *	CACHE/blobs/sha256/ab/abcdef...      packages and indexes, by sha256 (verified on insert)
 *	CACHE/meta/<sha256 of URL>           metadata fetched by URL (Release, repomd.xml...)
 *	CACHE/meta/<sha256 of URL>.headers   ETag / Last-Modified for conditional GET
 *	CACHE/meta/<sha256 of URL>.missing   a missing_ok URL was absent (known to offline runs)
 *	CACHE/partial/<sha256>               an interrupted blob download, resumed next time
 *
 * Offline mode uses only the cache: a blob present by digest, or metadata present by URL; what
 * is missing is listed in one error.
 *
 * Proxies: libcurl reads http_proxy, https_proxy, ftp_proxy, all_proxy and no_proxy (lower
 * case; HTTPS_PROXY, ALL_PROXY and NO_PROXY also upper case — never HTTP_PROXY, by design)
 * from the environment; nothing here overrides that.
 *
 * Partial downloads of blobs are kept as CACHE/partial/<sha256> and resumed with a Range
 * request (a server that answers 200 instead of 206 is handled: the file is rewritten).
 *
 * Errors from fetch_run: -EBADMSG for a size/digest mismatch, -ENOENT for a missing file
 * (HTTP 404/410, absent file://) that is not missing_ok, -ENODATA when offline and something
 * is not in the cache, -ETIMEDOUT/-ECONNREFUSED/-EHOSTUNREACH/-EIO for transfer failures.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct fetch_opts {
	const char *cache_dir;	/* required */
	unsigned parallel;	/* total concurrent transfers, default 8 */
	unsigned per_host;	/* concurrent transfers per host, default 4 */
	unsigned retries;	/* attempts after the first, default 3 */
	unsigned timeout_s;	/* no progress for this long aborts a transfer, default 60
				 * (libcurl averages the rate over ~5 s: a stall right after a
				 * burst of data is noticed that much later) */
	bool offline;
	bool quiet;		/* a failed transfer is logged at debug level only: the caller
				 * reports it (trying the mirrors of a metalink) */
	unsigned retry_delay_ms;	/* first backoff delay, doubled per attempt, default 1000 */
};

struct fetch;

/*
 * One finished transfer, handed to the completion callback (called in fetch_run's thread).
 * Transfers make no progress while a callback runs (the kernel's socket buffers still fill):
 * keep callbacks short or hand heavy work (unpacking) to other threads.
 */
struct fetch_result {
	const char *url;
	const char *path;	/* the verified file in the cache */
	const char *sha256;	/* its digest (hex) */
	uint64_t size;
	bool from_cache;
	void *userdata;
};

typedef int (*fetch_done_fn)(const struct fetch_result *r);

int fetch_new(const struct fetch_opts *o, struct fetch **ret);
void fetch_free(struct fetch *f);

/*
 * Queue a blob whose digest is known (a package, an index listed in a signed Release): it is
 * served from the cache if present, else downloaded to a temporary file, verified (size and
 * sha256 — a mismatch is an error naming the URL, both digests) and moved into the cache.
 * done is called once per blob as soon as it is available, so unpacking can run while other
 * downloads continue.
 */
int fetch_add_blob(struct fetch *f, const char *url, const char *sha256, uint64_t size,
		   fetch_done_fn done, void *userdata);
/*
 * The same, naming the blob and where its digest comes from for the mismatch error:
 * what = "Packages of main/amd64", against = "Release" gives "Packages of main/amd64 does
 * not match the SHA256 in Release (got X, want Y)".  NULL: "'URL'" and "expected".
 */
int fetch_add_blob_named(struct fetch *f, const char *url, const char *sha256, uint64_t size,
			 const char *what, const char *against, fetch_done_fn done,
			 void *userdata);

/*
 * Queue metadata whose digest is not known in advance (InRelease, Release, Release.gpg,
 * repomd.xml): conditional GET against the cached copy.  missing_ok: a 404 is not an error
 * (done gets path == NULL), for optional files like InRelease with Release fallback.
 */
int fetch_add_meta(struct fetch *f, const char *url, bool missing_ok, fetch_done_fn done,
		   void *userdata);

/*
 * Run all queued transfers to completion; callbacks may queue more.  The first failure (after
 * its retries) is logged and stops the run, as does a failing callback (its error is returned,
 * nothing more is handed out); interrupted blobs stay in CACHE/partial for a resume.  The queue
 * is empty afterwards, so one struct fetch serves several runs.  Progress: one
 * "fetch N/M packages  X/Y MiB  R MiB/s" line (see fetch_set_progress).
 */
int fetch_run(struct fetch *f);

/* The cache path a blob with this digest would have (exists or not). malloc'd. */
char *fetch_blob_path(const struct fetch *f, const char *sha256);

/*
 * Names the progress line of the following fetch_run calls: phase (default "fetch") and the
 * unit of the counted files (default "files"), e.g. "packages".  Copied.  A run that has
 * only metadata transfers shows no progress line.
 */
int fetch_set_progress(struct fetch *f, const char *phase, const char *unit);
