/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared between fetch.c (queue, scheduling, the multi loop), fetch-transfer.c (one libcurl
 * transfer and its outcome) and fetch-cache.c (cache layout, verification, offline mode). */
#pragma once

#include <curl/curl.h>

#include "fetch.h"
#include "log.h"

enum job_state {
	JOB_QUEUED,	/* waiting for a slot (or for not_before after a failure) */
	JOB_RUNNING,
	JOB_DONE,
};

struct fetch_job {
	char *url, *host;
	char *sha256;		/* blob: the expected digest; meta: NULL */
	uint64_t size;		/* blob: the expected size */
	char *what, *against;	/* blob: names for the mismatch error (may be NULL) */
	bool meta, missing_ok;
	fetch_done_fn done;
	void *userdata;

	enum job_state state;
	bool cache_checked;
	unsigned attempts;
	uint64_t not_before;	/* CLOCK_MONOTONIC ms, backoff after a transient failure */

	/* The running transfer. */
	CURL *easy;
	struct curl_slist *headers;
	int fd;
	char *tmp;		/* the file being written */
	bool resumable;		/* tmp is CACHE/partial/<sha256>, locked by us */
	uint64_t offset;	/* resumed from here */
	uint64_t got;		/* bytes written by this attempt */
	bool too_big;
	bool no_resume;		/* the server ignored our Range: start over */
	int write_error;	/* -errno of a failed write to tmp */
	char *etag;		/* from the response headers */
	char errbuf[CURL_ERROR_SIZE];
};

struct fetch {
	struct fetch_opts o;
	char *cache_dir;
	char *phase, *unit;
	CURLM *multi;

	struct fetch_job **jobs;
	size_t n_jobs, n_done, first_pending;
	struct fetch_job **running;	/* o.parallel slots */
	size_t n_running;
	bool dirty;			/* something finished or was added: look for work */
	uint64_t next_wakeup;		/* earliest not_before of a waiting job */
	int error;

	struct progress *progress;
	uint64_t bytes_done, bytes_total;
};

uint64_t fetch_now_ms(void);
/* Marks j done, accounts it and calls its completion callback. */
void fetch_job_complete(struct fetch *f, struct fetch_job *j, const char *path,
			const char *sha256, uint64_t size, bool from_cache);
/* Records the run's first error (a failing run stops starting transfers). */
void fetch_fail(struct fetch *f, int r);

/* fetch-transfer.c */
int fetch_transfer_start(struct fetch *f, struct fetch_job *j);
void fetch_transfer_done(struct fetch *f, struct fetch_job *j, CURLcode code);
/* Drops a running transfer (run aborted): partial blobs stay for a later resume. */
void fetch_transfer_abort(struct fetch *f, struct fetch_job *j);

/* fetch-cache.c */
int fetch_cache_init(const char *cache_dir);
char *fetch_meta_path(const struct fetch *f, const char *url, const char *suffix);
char *fetch_partial_path(const struct fetch *f, const char *sha256);
bool fetch_blob_cached(const struct fetch *f, const char *sha256, uint64_t size);
/*
 * Verifies j->tmp against j's size and digest and moves it into the cache.  -EBADMSG on a
 * mismatch, with what was found in got/got_size; nothing is logged.
 */
int fetch_blob_insert(struct fetch *f, struct fetch_job *j, char got[65], uint64_t *got_size,
		      char **ret_path);
/* Stored validators of a cached metadata URL: etag (may be NULL) and mtime (-1: none). */
int fetch_meta_validators(const struct fetch *f, const char *url, char **ret_etag,
			  int64_t *ret_mtime);
/* Moves a freshly downloaded metadata file into place with its validators. */
int fetch_meta_store(const struct fetch *f, struct fetch_job *j, int64_t mtime,
		     char **ret_path);
int fetch_meta_set_missing(const struct fetch *f, const char *url, bool missing);
int fetch_run_offline(struct fetch *f);
