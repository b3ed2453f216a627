/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading an apt repository, failing closed: InRelease (or Release + Release.gpg) through the
 * metadata cache, its signature checked by gpgv against one keyring (the signed text gpgv
 * writes out is the only text parsed), Valid-Until, then each Packages index fetched as a
 * blob by the SHA256 the Release gives and decompressed as soon as it arrives.
 */
#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apt-release.h"
#include "apt-repo.h"
#include "fileio.h"
#include "log.h"
#include "spawn.h"
#include "strutil.h"

#define KEYRING_DIR "/usr/share/keyrings/"

/* Logs a message that is complete without strerror and returns err. */
#define log_error_code(err, ...) (log_error(__VA_ARGS__), (err))

struct apt_ctx {
	struct fetch *f;
	const struct apt_source *src;
	char *mirror;		/* without trailing slash */
	char *dists;		/* mirror/dists/suite */
	char *dir;		/* workdir/<suite>-<hash> */
	char *keyring;		/* binary keyring handed to gpgv */
	const char *keyring_name; /* as configured, for messages */
	char *signed_url;	/* URL of InRelease or Release, for messages */
	char *release_sha256;	/* digest of that file */
	bool inrelease;		/* else Release + Release.gpg */
	bool have_release_gpg;
	struct apt_release_info *info;
};

static void apt_ctx_done(struct apt_ctx *c)
{
	free(c->mirror);
	free(c->dists);
	free(c->dir);
	free(c->keyring);
	free(c->signed_url);
	free(c->release_sha256);
	apt_release_info_free(c->info);
}

const char *apt_default_keyring(const char *distribution)
{
	if (!distribution)
		return NULL;
	if (streq(distribution, "debian"))
		return KEYRING_DIR "debian-archive-keyring.gpg";
	if (streq(distribution, "ubuntu"))
		return KEYRING_DIR "ubuntu-archive-keyring.gpg";
	return NULL;
}

const char *apt_keyring_package(const char *keyring_path)
{
	const char *base = keyring_path ? startswith(keyring_path, KEYRING_DIR) : NULL;

	if (!base)
		return NULL;
	if (startswith(base, "debian-archive-"))
		return "debian-archive-keyring";
	if (startswith(base, "ubuntu-archive-") || startswith(base, "ubuntu-master-"))
		return "ubuntu-keyring";
	return NULL;
}

/* ---- keyring --------------------------------------------------------------------------------- */

static int keyring_missing(const char *path)
{
	const char *pkg = apt_keyring_package(path);

	if (pkg)
		log_error("keyring '%s' does not exist (install the package '%s')", path, pkg);
	else
		log_error("keyring '%s' does not exist", path);
	return -ENOKEY;
}

/* gpgv wants binary keyrings at absolute paths: dearmor .asc files into the workdir. */
static int prepare_keyring(struct apt_ctx *c)
{
	const char *path = c->src->keyring ? c->src->keyring
					   : apt_default_keyring(c->src->distribution);
	_cleanup_free_ char *data = NULL, *out = NULL;
	_cleanup_free_ uint8_t *bin = NULL;
	size_t len = 0, bin_len = 0;
	int r;

	if (!path)
		return log_error_code(-EINVAL, "no keyring for '%s': set RepositoryKey=", c->mirror);
	c->keyring_name = path;
	r = read_full_file(path, &data, &len);
	if (r == -ENOENT)
		return keyring_missing(path);
	if (r < 0)
		return log_error_errno(r, "cannot read keyring '%s'", path);
	if (!pgp_is_armored(data, len)) {
		c->keyring = realpath(path, NULL);
		if (!c->keyring)
			return log_error_errno(negative_errno(), "cannot resolve '%s'", path);
		return 0;
	}
	r = pgp_dearmor(data, len, &bin, &bin_len);
	if (r < 0)
		return log_error_errno(r, "keyring '%s' is not a valid ASCII-armored key", path);
	out = strjoin(c->dir, "/keyring.gpg", NULL);
	if (!out)
		return -ENOMEM;
	r = write_file_atomic(out, bin, bin_len, 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s'", out);
	c->keyring = steal_ptr(out);
	return 0;
}

/* ---- gpgv ------------------------------------------------------------------------------------ */

static int open_out(const char *dir, const char *name)
{
	_cleanup_free_ char *p = strjoin(dir, "/", name, NULL);

	if (!p)
		return -ENOMEM;
	return open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* gpgv --status-fd 1 ... args; returns its status output. */
static int run_gpgv(struct apt_ctx *c, char *const *args, char **ret_status)
{
	_cleanup_free_ char *home = strjoin(c->dir, "/gnupg", NULL);
	_cleanup_free_ char *status_path = strjoin(c->dir, "/gpgv.status", NULL);
	_cleanup_close_ int out = -1, err = -1;
	char *argv[16] = { "gpgv", "--homedir", home, "--status-fd", "1", "--keyring", c->keyring };
	size_t n = 7;
	int r;

	if (!home || !status_path)
		return -ENOMEM;
	for (; *args && n < ELEMENTSOF(argv) - 1; args++)
		argv[n++] = *args;
	if (mkdir(home, 0700) < 0 && errno != EEXIST)
		return log_error_errno(negative_errno(), "cannot create '%s'", home);
	out = open_out(c->dir, "gpgv.status");
	err = open_out(c->dir, "gpgv.log");
	if (out < 0 || err < 0)
		return log_error_errno(out < 0 ? out : err, "cannot create files in '%s'", c->dir);
	r = spawn_wait(argv, &(struct spawn_opts){ .stdin_fd = -1, .stdout_fd = out,
						   .stderr_fd = err });
	if (r < 0 || r == 127)
		return log_error_errno(r < 0 ? r : -ENOEXEC,
				       "cannot run 'gpgv' (install the package 'gpgv')");
	return read_full_file(status_path, ret_status, NULL);
}

static int signature_error(struct apt_ctx *c, const char *reason)
{
	log_error("%s of '%s' has no valid signature from keyring '%s' (%s)",
		  c->inrelease ? "InRelease" : "Release", c->signed_url, c->keyring_name, reason);
	return -EBADMSG;
}

/* Exactly one clearsigned message and nothing around it, whether or not keys are checked. */
static int check_envelope(struct apt_ctx *c, const char *path, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *raw = NULL, *text = NULL;
	size_t len = 0;
	int r;

	r = read_full_file(path, &raw, &len);
	if (r < 0)
		return r;
	r = apt_clearsign_content(raw, len, &text, ret_len);
	if (r == -EBADMSG)
		log_error("InRelease of '%s' is not a single clearsigned message", c->signed_url);
	if (r < 0)
		return r;
	if (ret)
		*ret = steal_ptr(text);
	return 0;
}

/* Verifies the signed file and leaves the signed text in dir/Release.verified. */
static int verify_signature(struct apt_ctx *c)
{
	_cleanup_free_ char *in = strjoin(c->dir, c->inrelease ? "/InRelease" : "/Release", NULL);
	_cleanup_free_ char *sig = strjoin(c->dir, "/Release.gpg", NULL);
	_cleanup_free_ char *out = strjoin(c->dir, "/Release.verified", NULL);
	_cleanup_free_ char *status = NULL, *reason = NULL;
	int r;

	if (!in || !sig || !out)
		return -ENOMEM;
	if (!c->inrelease && !c->have_release_gpg)
		return signature_error(c, "there is no Release.gpg");
	if (unlink(out) < 0 && errno != ENOENT)
		return log_error_errno(negative_errno(), "cannot remove '%s'", out);
	r = c->inrelease ? check_envelope(c, in, NULL, NULL) : 0;
	if (r < 0 && r != -EBADMSG)
		return log_error_errno(r, "cannot read '%s'", in);
	if (r < 0)
		return r;
	if (c->inrelease)
		r = run_gpgv(c, (char *const[]){ "--output", out, in, NULL }, &status);
	else
		r = run_gpgv(c, (char *const[]){ sig, in, NULL }, &status);
	if (r < 0)
		return r;
	r = apt_gpgv_status_check(status, &reason);
	if (r == -EBADMSG)
		return signature_error(c, reason);
	if (r < 0)
		return r;
	if (!c->inrelease && symlink("Release", out) < 0)
		return log_error_errno(negative_errno(), "cannot create '%s'", out);
	return 0;
}

/* ---- metadata -------------------------------------------------------------------------------- */

struct meta_slot {
	struct apt_ctx *c;
	const char *name;	/* file name in dir */
	bool present;
	char *sha256;
};

static int meta_done(const struct fetch_result *res)
{
	struct meta_slot *s = res->userdata;
	_cleanup_free_ char *data = NULL, *dst = NULL;
	size_t len = 0;
	int r;

	if (!res->path)
		return 0;
	dst = strjoin(s->c->dir, "/", s->name, NULL);
	if (!dst)
		return -ENOMEM;
	r = read_full_file(res->path, &data, &len);
	if (r >= 0)
		r = write_file_atomic(dst, data, len, 0644);
	if (r < 0)
		return log_error_errno(r, "cannot copy '%s' to '%s'", res->url, dst);
	s->sha256 = strdup(res->sha256);
	s->present = true;
	return s->sha256 ? 0 : -ENOMEM;
}

static int fetch_meta_files(struct apt_ctx *c, struct meta_slot *slots, size_t n)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *url = strjoin(c->dists, "/", slots[i].name, NULL);
		if (!url)
			return -ENOMEM;
		slots[i].c = c;
		r = fetch_add_meta(c->f, url, true, meta_done, &slots[i]);
		if (r < 0)
			return r;
	}
	return fetch_run(c->f);
}

static int fetch_release(struct apt_ctx *c)
{
	struct meta_slot in = { .name = "InRelease" };
	struct meta_slot rel[2] = { { .name = "Release" }, { .name = "Release.gpg" } };
	int r;

	r = fetch_meta_files(c, &in, 1);
	if (r >= 0 && !in.present)
		r = fetch_meta_files(c, rel, 2);
	if (r >= 0) {
		c->inrelease = in.present;
		c->have_release_gpg = rel[1].present;
		if (c->inrelease)
			c->release_sha256 = steal_ptr(in.sha256);
		else
			c->release_sha256 = steal_ptr(rel[0].sha256);
		c->signed_url = strjoin(c->dists, c->inrelease ? "/InRelease" : "/Release", NULL);
		if (!c->signed_url)
			r = -ENOMEM;
	}
	free(in.sha256);
	free(rel[0].sha256);
	free(rel[1].sha256);
	if (r >= 0 && !c->release_sha256)
		return log_error_code(-ENOENT, "suite '%s' not found at '%s' (no InRelease or Release)",
				      c->src->suite, c->mirror);
	return r;
}

/* The text to parse: what gpgv wrote out, or without key checks the envelope's content. */
static int signed_text(struct apt_ctx *c, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *path = NULL;
	const char *name = "/Release";

	if (c->src->key_check)
		name = "/Release.verified";
	else if (c->inrelease)
		name = "/InRelease";
	path = strjoin(c->dir, name, NULL);
	if (!path)
		return -ENOMEM;
	if (!c->src->key_check && c->inrelease)
		return check_envelope(c, path, ret, ret_len);
	return read_full_file(path, ret, ret_len);
}

static void format_date(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%a, %d %b %Y %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

static int check_release(struct apt_ctx *c)
{
	const struct apt_release_info *i = c->info;
	char date[64];

	if (i->valid_until >= 0 && (int64_t)time(NULL) > i->valid_until) {
		format_date(i->valid_until, date, sizeof(date));
		log_error("Release of '%s' expired on %s (Valid-Until)", c->signed_url, date);
		return -EBADMSG;
	}
	if ((i->suite || i->codename) && !(i->suite && streq(i->suite, c->src->suite)) &&
	    !(i->codename && streq(i->codename, c->src->suite)))
		log_warning("Release of '%s' is for suite '%s' (codename '%s'), not '%s'",
			    c->signed_url, i->suite ? i->suite : "", i->codename ? i->codename : "",
			    c->src->suite);
	return 0;
}

static int load_release(struct apt_ctx *c)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = fetch_release(c);
	if (r < 0)
		return r;
	if (c->src->key_check) {
		r = verify_signature(c);
		if (r < 0)
			return r;
	}
	r = signed_text(c, &text, &len);
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		return log_error_errno(r, "cannot read the Release of '%s'", c->mirror);
	r = apt_release_parse(text, len, &c->info);
	if (r == -EBADMSG)
		return log_error_code(r, "Release of '%s' is malformed", c->signed_url);
	if (r < 0)
		return r;
	return check_release(c);
}

/* ---- Packages indexes ------------------------------------------------------------------------ */

static char *join_words(char *const *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!l || !*l)
		return NULL;
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	for (size_t i = 0; l[i]; i++)
		fprintf(m, "%s%s", i ? " " : "", l[i]);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct index_slot {
	struct apt_ctx *c;
	char *component;
	char *path;		/* decompressed output */
	bool done;
};

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int archive_copy_out(struct archive *a, int fd)
{
	struct archive_entry *e;
	char buf[65536];
	ssize_t n;
	int r;

	r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_EOF) /* an empty index */
		return 0;
	if (r != ARCHIVE_OK)
		return -EBADMSG;
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		r = write_all(fd, buf, (size_t)n);
		if (r < 0)
			return r;
	}
	return n < 0 ? -EBADMSG : 0;
}

/* Any of xz, gz, zst, bz2 or none, by content: libarchive's raw format behind its filters. */
static int decompress(const char *src, const char *dst)
{
	struct archive *a = archive_read_new();
	_cleanup_close_ int fd = -1;
	int r;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	archive_read_support_format_empty(a); /* an empty component, common in -updates suites */
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		r = negative_errno();
	else if (archive_read_open_filename(a, src, 65536) != ARCHIVE_OK)
		r = -EBADMSG;
	else
		r = archive_copy_out(a, fd);
	if (r == -EBADMSG)
		log_error("cannot decompress '%s': %s", src,
			  archive_error_string(a) ? archive_error_string(a) : "unknown format");
	archive_read_free(a);
	return r;
}

static int index_done(const struct fetch_result *res)
{
	struct index_slot *s = res->userdata;
	int r;

	r = decompress(res->path, s->path);
	if (r < 0 && r != -EBADMSG)
		return log_error_errno(r, "cannot write '%s'", s->path);
	s->done = r >= 0;
	return r;
}

/* The index to fetch for component/arch; -ENOENT (logged) if the Release does not have it. */
static int pick_index(struct apt_ctx *c, const char *component,
		      const struct apt_release_file **ret)
{
	const struct apt_release_info *i = c->info;
	_cleanup_free_ char *have = NULL;

	if (!apt_release_has_component(i, component)) {
		have = i->components ? join_words(i->components) : NULL;
		return log_error_code(-ENOENT, "component '%s' is not in the Release of '%s'%s%s%s",
				      component, c->signed_url, have ? " (it has: " : "",
				      have ? have : "", have ? ")" : "");
	}
	if (!apt_release_has_arch(i, c->src->arch)) {
		have = join_words(i->architectures);
		return log_error_code(-ENOENT, "architecture '%s' is not in the Release of '%s'%s%s%s",
				      c->src->arch, c->signed_url, have ? " (it has: " : "",
				      have ? have : "", have ? ")" : "");
	}
	if (apt_release_pick_index(i, component, c->src->arch, ret) < 0)
		return log_error_code(-ENOENT, "the Release of '%s' lists no Packages index for %s/%s",
				      c->signed_url, component, c->src->arch);
	return 0;
}

static char *index_url(struct apt_ctx *c, const struct apt_release_file *e)
{
	const char *slash = strrchr(e->path, '/');
	char *url = NULL;

	if (!c->info->by_hash || !slash)
		return strjoin(c->dists, "/", e->path, NULL);
	if (asprintf(&url, "%s/%.*s/by-hash/SHA256/%s", c->dists, (int)(slash - e->path), e->path,
		     e->sha256) < 0)
		return NULL;
	return url;
}

static int queue_index(struct apt_ctx *c, struct index_slot *s, const char *component)
{
	const struct apt_release_file *e;
	_cleanup_free_ char *url = NULL, *what = NULL;
	int r;

	r = pick_index(c, component, &e);
	if (r < 0)
		return r;
	s->c = c;
	s->component = strdup(component);
	url = index_url(c, e);
	if (asprintf(&s->path, "%s/%s_binary-%s_Packages", c->dir, component, c->src->arch) < 0)
		s->path = NULL;
	for (char *p = s->path ? strrchr(s->path, '/') + 1 : NULL; p && *p; p++)
		if (*p == '/')
			*p = '_'; /* "updates/main" */
	if (asprintf(&what, "Packages of %s/%s", component, c->src->arch) < 0)
		what = NULL;
	if (!s->component || !url || !s->path || !what)
		return -ENOMEM;
	log_debug("index %s/%s: '%s'", component, c->src->arch, url);
	return fetch_add_blob_named(c->f, url, e->sha256, e->size, what, "Release", index_done, s);
}

static void index_slots_free(struct index_slot *slots, size_t n)
{
	for (size_t i = 0; slots && i < n; i++) {
		free(slots[i].component);
		free(slots[i].path);
	}
	free(slots);
}

static int load_indexes(struct apt_ctx *c, struct apt_release *out)
{
	size_t n = strv_length(c->src->components);
	struct index_slot *slots = calloc(n ? n : 1, sizeof(*slots));
	int r = slots ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && r >= 0; i++)
		r = queue_index(c, &slots[i], c->src->components[i]);
	if (r >= 0)
		r = fetch_set_progress(c->f, "fetch", "indexes");
	if (r >= 0) {
		r = fetch_run(c->f);
		if (r == -ENOENT) /* a listed index is not on the mirror: not a recipe error */
			r = -EIO;
	}
	fetch_set_progress(c->f, NULL, NULL);
	if (r >= 0)
		out->indexes = calloc(n ? n : 1, sizeof(*out->indexes));
	if (r >= 0 && !out->indexes)
		r = -ENOMEM;
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct apt_index *x = &out->indexes[out->n_indexes++];
		x->component = steal_ptr(slots[i].component);
		x->path = steal_ptr(slots[i].path);
		x->base_url = strdup(c->mirror);
		if (!x->base_url)
			r = -ENOMEM;
	}
	index_slots_free(slots, n);
	return r;
}

void apt_release_free(struct apt_release *r)
{
	if (!r)
		return;
	free(r->suite);
	free(r->codename);
	free(r->version);
	free(r->sha256);
	for (size_t i = 0; i < r->n_indexes; i++) {
		free(r->indexes[i].component);
		free(r->indexes[i].path);
		free(r->indexes[i].base_url);
	}
	free(r->indexes);
	free(r);
}

static char *normalize_mirror(const char *m)
{
	char *s = m[0] == '/' ? strjoin("file://", m, NULL) : strdup(m);
	size_t n;

	if (!s)
		return NULL;
	for (n = strlen(s); n > 0 && s[n - 1] == '/'; n--)
		s[n - 1] = '\0';
	return s;
}

static int setup_ctx(struct apt_ctx *c, const char *workdir)
{
	_cleanup_free_ char *key = strjoin(c->mirror, " ", c->src->suite, NULL);
	char h[65];
	int r;

	if (!key)
		return -ENOMEM;
	sha256_buffer(key, strlen(key), h);
	if (asprintf(&c->dir, "%s/%s-%.8s", workdir, c->src->suite, h) < 0)
		c->dir = NULL;
	c->dists = strjoin(c->mirror, "/dists/", c->src->suite, NULL);
	if (!c->dir || !c->dists)
		return -ENOMEM;
	for (char *p = c->dir + strlen(workdir) + 1; *p; p++)
		if (*p == '/')
			*p = '_';
	r = mkdir_p(c->dir, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot create '%s'", c->dir);
	return 0;
}

static int fill_release(struct apt_ctx *c, struct apt_release *out)
{
	const struct apt_release_info *i = c->info;

	out->suite = strdup(i->suite ? i->suite : c->src->suite);
	out->codename = i->codename ? strdup(i->codename) : NULL;
	out->version = i->version ? strdup(i->version) : NULL;
	out->sha256 = steal_ptr(c->release_sha256);
	out->date = i->date;
	out->valid_until = i->valid_until;
	if (!out->suite || (i->codename && !out->codename) || (i->version && !out->version))
		return -ENOMEM;
	return 0;
}

int apt_repo_load(struct fetch *f, const struct apt_source *src, const char *workdir,
		  struct apt_release **ret)
{
	struct apt_ctx c = { .f = f, .src = src };
	struct apt_release *out = NULL;
	int r;

	if (isempty(src->mirror) || isempty(src->suite) || isempty(src->arch) ||
	    strv_length(src->components) == 0 || strchr(src->suite, '/'))
		return log_error_code(-EINVAL, "incomplete apt source (mirror, suite, components and "
					       "architecture are needed)");
	c.mirror = normalize_mirror(src->mirror);
	r = c.mirror ? setup_ctx(&c, workdir) : -ENOMEM;
	if (r >= 0 && src->key_check)
		r = prepare_keyring(&c);
	else if (r >= 0)
		log_warning("RepositoryKeyCheck=no: repository signatures are NOT checked ('%s')",
			    c.mirror);
	if (r >= 0)
		r = load_release(&c);
	if (r >= 0)
		r = (out = calloc(1, sizeof(*out))) ? fill_release(&c, out) : -ENOMEM;
	if (r >= 0)
		r = load_indexes(&c, out);
	apt_ctx_done(&c);
	if (r < 0) {
		apt_release_free(out);
		return r;
	}
	*ret = out;
	return 0;
}

/* ---- the host's Debian mirror ---------------------------------------------------------------- */

static int mirror_in_file(const char *path, bool deb822, bool security, char **ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_full_file(path, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "cannot read '%s'", path);
	r = apt_sources_debian_mirror(text, deb822, security, ret);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : 1;
}

static int mirror_in_dir(const char *dir, bool security, char **ret)
{
	struct dirent **names = NULL;
	int n, r = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0 && errno == ENOENT)
		return 0;
	if (n < 0)
		return log_error_errno(negative_errno(), "cannot read '%s'", dir);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		bool deb822 = endswith(name, ".sources");
		_cleanup_free_ char *p = NULL;

		if (r == 0 && (deb822 || endswith(name, ".list"))) {
			p = strjoin(dir, "/", name, NULL);
			r = p ? mirror_in_file(p, deb822, security, ret) : -ENOMEM;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

/* 1 and *ret: found; 0: none. */
static int host_mirror(const char *apt_etc, bool security, char **ret)
{
	_cleanup_free_ char *list = strjoin(apt_etc, "/sources.list", NULL);
	_cleanup_free_ char *dir = strjoin(apt_etc, "/sources.list.d", NULL);
	int r;

	if (!list || !dir)
		return -ENOMEM;
	r = mirror_in_file(list, false, security, ret);
	if (r == 0)
		r = mirror_in_dir(dir, security, ret);
	return r;
}

int apt_host_debian_mirror_at(const char *apt_etc, char **ret)
{
	char *m = NULL;
	int r = host_mirror(apt_etc, false, &m);

	if (r < 0)
		return r;
	if (r == 0)
		return log_error_code(-ENOENT, "no Debian mirror in the host's apt sources "
					       "('%s/sources.list', '%s/sources.list.d'): set Mirror= "
					       "in the recipe", apt_etc, apt_etc);
	*ret = m;
	return 0;
}

int apt_host_debian_mirror(char **ret)
{
	return apt_host_debian_mirror_at("/etc/apt", ret);
}

int apt_host_debian_security_mirror_at(const char *apt_etc, char **ret)
{
	char *m = NULL;
	int r = host_mirror(apt_etc, true, &m);

	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	*ret = m;
	return 0;
}
