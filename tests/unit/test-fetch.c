/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* builder/fetch.c over file:// URLs: blobs into a temp cache, verification, cache hits,
 * resume, metadata with conditional fetches, offline mode. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fetch.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"
#include "tap.h"

static char base[] = "/var/tmp/test-fetch.XXXXXX";

struct seen {
	int calls;
	bool from_cache;
	char path[512], sha[65];
	int fail_with;
};

static char *P(const char *rel)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, rel);
	return buf[i];
}

static char *U(const char *rel)
{
	static char buf[8][600];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "file://%s/%s", base, rel);
	return buf[i];
}

static int on_done(const struct fetch_result *r)
{
	struct seen *s = r->userdata;

	s->calls++;
	s->from_cache = r->from_cache;
	snprintf(s->path, sizeof(s->path), "%s", r->path ? r->path : "");
	snprintf(s->sha, sizeof(s->sha), "%s", r->sha256 ? r->sha256 : "");
	return s->fail_with;
}

static struct fetch *new_fetch(const char *cache, bool offline)
{
	struct fetch_opts o = { .cache_dir = P(cache), .offline = offline, .retries = 2,
				.retry_delay_ms = 10, .timeout_s = 5 };
	struct fetch *f = NULL;

	if (fetch_new(&o, &f) < 0)
		return NULL;
	return f;
}

/* Runs f with stderr captured into P("stderr"). */
static int run_captured(struct fetch *f)
{
	int saved = dup(STDERR_FILENO), fd, r;

	fd = open(P("stderr"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	dup2(fd, STDERR_FILENO);
	close(fd);
	r = fetch_run(f);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	return r;
}

static bool stderr_has(const char *s)
{
	_cleanup_free_ char *text = NULL;

	return read_full_file(P("stderr"), &text, NULL) >= 0 && strstr(text, s);
}

static const char payload[] = "the quick brown fox jumps over the lazy dog, 0123456789\n";

static void test_blob(void)
{
	struct fetch *f = new_fetch("cache", false);
	struct seen s = {};
	_cleanup_free_ char *data = NULL, *path = NULL;
	char sha[65];

	sha256_buffer(payload, strlen(payload), sha);
	write_file(P("src/a.deb"), payload, 0644);
	is_int(fetch_add_blob(f, U("src/a.deb"), sha, strlen(payload), on_done, &s), 0, "queue");
	is_int(fetch_run(f), 0, "file:// blob fetched");
	is_int(s.calls, 1, "callback called once");
	ok(!s.from_cache, "downloaded, not cached");
	path = fetch_blob_path(f, sha);
	is_str(s.path, path, "result is the cache path");
	ok(startswith(s.path, P("cache/blobs/sha256/")), "content-addressed layout");
	ok(read_full_file(s.path, &data, NULL) >= 0 && streq(data, payload), "cached content");
	is_str(s.sha, sha, "digest handed out");

	/* A second run is served from the cache, even with the source gone. */
	unlink(P("src/a.deb"));
	s = (struct seen){};
	fetch_add_blob(f, U("src/a.deb"), sha, strlen(payload), on_done, &s);
	is_int(fetch_run(f), 0, "cache hit succeeds without the source");
	ok(s.calls == 1 && s.from_cache, "served from the cache");
	is_int(fetch_add_blob(f, U("src/a.deb"), "XYZ", 1, on_done, &s), -EINVAL, "bad digest");
	fetch_free(f);
}

static bool blob_cached(struct fetch *f, const char *sha)
{
	_cleanup_free_ char *p = fetch_blob_path(f, sha);

	return p && path_exists(p);
}

static void test_mismatch(void)
{
	struct fetch *f = new_fetch("cache-bad", false);
	struct seen s = {};
	char sha[65], other[65], part[600];

	sha256_buffer(payload, strlen(payload), sha);
	sha256_buffer("other", 5, other);
	write_file(P("src/b.deb"), payload, 0644);
	fetch_add_blob(f, U("src/b.deb"), other, strlen(payload), on_done, &s);
	is_int(run_captured(f), -EBADMSG, "digest mismatch rejected");
	is_int(s.calls, 0, "no callback for a bad blob");
	ok(stderr_has("does not match the SHA256 expected") && stderr_has(sha) &&
		   stderr_has(other),
	   "error names both digests");
	ok(!blob_cached(f, other) && !blob_cached(f, sha), "nothing inserted");
	snprintf(part, sizeof(part), "%s/cache-bad/partial/%s", base, other);
	ok(!path_exists(part), "partial file removed");

	s = (struct seen){};
	fetch_add_blob_named(f, U("src/b.deb"), sha, strlen(payload) - 1, "package 'b'",
			     "Packages", on_done, &s);
	is_int(run_captured(f), -EBADMSG, "larger than announced rejected");
	ok(stderr_has("package 'b' does not match the size in Packages (got more than"),
	   "named size error");
	ok(!blob_cached(f, sha), "nothing inserted");

	s = (struct seen){};
	fetch_add_blob(f, U("src/missing.deb"), sha, strlen(payload), on_done, &s);
	is_int(run_captured(f), -ENOENT, "missing blob is -ENOENT");
	ok(stderr_has("cannot fetch") && stderr_has("src/missing.deb"), "missing blob named");
	fetch_free(f);
}

/* The partial file holds the right first half, the source a corrupted first half: only a
 * download that resumes at the offset gives the right digest. */
static void test_resume(void)
{
	struct fetch *f = new_fetch("cache-resume", false);
	struct seen s = {};
	size_t half = strlen(payload) / 2;
	_cleanup_free_ char *src = strdup(payload), *part = NULL, *cached = NULL;
	char sha[65];

	sha256_buffer(payload, strlen(payload), sha);
	memset(src, 'X', half);
	write_file(P("src/c.deb"), src, 0644);
	part = strjoin(P("cache-resume/partial/"), sha, NULL);
	write_file_atomic(part, payload, half, 0644);
	fetch_add_blob(f, U("src/c.deb"), sha, strlen(payload), on_done, &s);
	is_int(fetch_run(f), 0, "resumed download verifies");
	ok(s.calls == 1 && !path_exists(part), "partial file moved into the cache");

	/* A stale partial file (wrong bytes) fails verification once, then starts over. */
	write_file(P("src/d.deb"), payload, 0644);
	sha256_buffer(payload, strlen(payload), sha);
	free(cached);
	cached = fetch_blob_path(f, sha);
	unlink(cached);
	write_file_atomic(part, "garbage-garbage", 15, 0644);
	s = (struct seen){};
	fetch_add_blob(f, U("src/d.deb"), sha, strlen(payload), on_done, &s);
	is_int(fetch_run(f), 0, "stale partial file: downloaded again");
	is_int(s.calls, 1, "callback once");
	fetch_free(f);
}

static void test_meta(void)
{
	struct fetch *f = new_fetch("cache-meta", false);
	struct seen s = {}, m = {};
	_cleanup_free_ char *data = NULL;
	struct timeval tv[2] = { { 1700000000, 0 }, { 1700000000, 0 } };

	write_file(P("src/InRelease"), "first\n", 0644);
	utimes(P("src/InRelease"), tv);
	fetch_add_meta(f, U("src/InRelease"), false, on_done, &s);
	fetch_add_meta(f, U("src/nothere"), true, on_done, &m);
	is_int(fetch_run(f), 0, "metadata fetched");
	ok(s.calls == 1 && !s.from_cache, "fetched fresh");
	ok(read_full_file(s.path, &data, NULL) >= 0 && streq(data, "first\n"), "meta content");
	ok(startswith(s.path, P("cache-meta/meta/")), "meta cached by URL");
	ok(m.calls == 1 && m.path[0] == '\0', "missing_ok: done with no path");

	s = (struct seen){};
	fetch_add_meta(f, U("src/InRelease"), false, on_done, &s);
	is_int(fetch_run(f), 0, "conditional fetch");
	ok(s.calls == 1 && s.from_cache, "not modified: the cached copy");

	write_file(P("src/InRelease"), "second\n", 0644);
	tv[0].tv_sec = tv[1].tv_sec = 1700000100;
	utimes(P("src/InRelease"), tv);
	s = (struct seen){};
	free(data);
	data = NULL;
	fetch_add_meta(f, U("src/InRelease"), false, on_done, &s);
	is_int(fetch_run(f), 0, "conditional fetch of a changed file");
	ok(s.calls == 1 && !s.from_cache && read_full_file(s.path, &data, NULL) >= 0 &&
		   streq(data, "second\n"),
	   "modified: the new copy");

	s = (struct seen){};
	fetch_add_meta(f, U("src/nothere"), false, on_done, &s);
	is_int(run_captured(f), -ENOENT, "missing metadata is an error unless missing_ok");
	fetch_free(f);
}

static void test_offline(void)
{
	struct fetch *f = new_fetch("cache", true);
	struct seen s1 = {}, s2 = {}, s3 = {}, s4 = {}, s5 = {};
	char sha[65], sha2[65], sha3[65];

	sha256_buffer(payload, strlen(payload), sha); /* cached by test_blob */
	sha256_buffer("x", 1, sha2);
	sha256_buffer("y", 1, sha3);
	fetch_add_blob(f, U("src/a.deb"), sha, strlen(payload), on_done, &s1);
	fetch_add_blob(f, U("src/x.deb"), sha2, 1, on_done, &s2);
	fetch_add_blob(f, U("src/y.deb"), sha3, 1, on_done, &s3);
	is_int(run_captured(f), -ENODATA, "offline with missing blobs fails");
	ok(stderr_has("2 files are not in the cache") && stderr_has("src/x.deb") &&
		   stderr_has("src/y.deb") && !stderr_has("src/a.deb"),
	   "one error listing exactly what is missing");
	ok(s1.calls + s2.calls + s3.calls == 0, "nothing handed out");

	fetch_add_blob(f, U("src/a.deb"), sha, strlen(payload), on_done, &s1);
	is_int(fetch_run(f), 0, "offline with a warm cache");
	ok(s1.calls == 1 && s1.from_cache, "served from the cache");
	fetch_free(f);

	f = new_fetch("cache-meta", true);
	fetch_add_meta(f, U("src/InRelease"), false, on_done, &s4);
	fetch_add_meta(f, U("src/nothere"), true, on_done, &s5);
	is_int(fetch_run(f), 0, "offline metadata, and a known-missing optional file");
	ok(s4.calls == 1 && s4.from_cache && s5.calls == 1 && s5.path[0] == '\0',
	   "cached copy and known absence");
	s5 = (struct seen){};
	fetch_add_meta(f, U("src/never-fetched"), true, on_done, &s5);
	is_int(run_captured(f), -ENODATA, "offline: an optional file never looked at is missing");
	fetch_free(f);
}

static void test_many(void)
{
	struct fetch *f = new_fetch("cache-many", false);
	struct seen s[24] = {};
	char name[64], sha[65], body[64];
	int total = 0, stop = 0;

	for (int i = 0; i < 24; i++) {
		snprintf(name, sizeof(name), "src/many-%d.deb", i);
		snprintf(body, sizeof(body), "blob number %d\n", i);
		write_file(P(name), body, 0644);
		sha256_buffer(body, strlen(body), sha);
		fetch_add_blob(f, U(name), sha, strlen(body), on_done, &s[i]);
	}
	is_int(fetch_run(f), 0, "24 blobs in parallel");
	for (int i = 0; i < 24; i++)
		total += s[i].calls;
	is_int(total, 24, "each callback once");

	/* A failing callback stops the run with its error. */
	for (int i = 0; i < 24; i++) {
		s[i] = (struct seen){ .fail_with = i == 0 ? -EIO : 0 };
		snprintf(name, sizeof(name), "src/many-%d.deb", i);
		snprintf(body, sizeof(body), "blob number %d\n", i);
		sha256_buffer(body, strlen(body), sha);
		fetch_add_blob(f, U(name), sha, strlen(body), on_done, &s[i]);
	}
	is_int(fetch_run(f), -EIO, "callback error returned");
	for (int i = 1; i < 24; i++)
		stop += s[i].calls;
	is_int(stop, 0, "nothing handed out after the failing callback");
	fetch_free(f);
}

int main(void)
{
	if (!mkdtemp(base))
		return 1;
	log_setup("test-fetch");
	mkdir_p(P("src"), 0755);
	test_blob();
	test_mismatch();
	test_resume();
	test_meta();
	test_offline();
	test_many();
	rm_rf(base);
	return tap_done();
}
