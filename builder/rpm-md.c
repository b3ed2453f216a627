/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpm-md metadata: repomd.xml (its signature when there is one), then the files it lists, each
 * against the sha256 repomd.xml gives.  The trust chain is the one dnf uses: the repository key
 * signs repomd.xml (where the distribution signs it), repomd.xml pins primary.xml, primary.xml
 * pins every package's sha256, and every package also carries its own signature (rpm.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "apt-release.h"
#include "fileio.h"
#include "log.h"
#include "rpm-md.h"
#include "spawn.h"
#include "strutil.h"

/* ---- repomd.xml ---------------------------------------------------------------------------- */

/* The value of attribute name inside the tag [tag, end), malloc'd, or NULL. */
static char *xml_attr(const char *tag, const char *end, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = tag; p && p + nl + 2 < end; p++) {
		p = memmem(p, end - p, name, nl);
		if (!p)
			return NULL;
		if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') && p[nl] == '=' &&
		    (p[nl + 1] == '"' || p[nl + 1] == '\'')) {
			const char *v = p + nl + 2, *q = memchr(v, p[nl + 1], end - v);
			return q ? strndup(v, q - v) : NULL;
		}
	}
	return NULL;
}

/* Start of the element <name ...> or <name> inside [p, end), with *ret_end after its '>'. */
static const char *xml_find(const char *p, const char *end, const char *name,
			    const char **ret_end)
{
	size_t nl = strlen(name);

	while (p && p < end) {
		p = memmem(p, end - p, "<", 1);
		if (!p || p + nl + 1 >= end)
			return NULL;
		if (strncmp(p + 1, name, nl) == 0 && strchr(" \t\n/>", p[nl + 1])) {
			const char *gt = memchr(p, '>', end - p);
			if (!gt)
				return NULL;
			*ret_end = gt + 1;
			return p;
		}
		p++;
	}
	return NULL;
}

/* The text of <name>...</name> inside [p, end), stripped, malloc'd. */
static char *xml_text(const char *p, const char *end, const char *name, char **ret_tag)
{
	const char *tag, *body, *close;
	_cleanup_free_ char *t = NULL;

	tag = xml_find(p, end, name, &body);
	if (!tag)
		return NULL;
	close = memmem(body, end - body, "</", 2);
	if (!close)
		return NULL;
	if (ret_tag)
		*ret_tag = strndup(tag, body - tag);
	t = strndup(body, close - body);
	if (!t)
		return NULL;
	return strdup(strstrip(t));
}

static int parse_data(const char *p, const char *end, struct rpmmd_data *d)
{
	_cleanup_free_ char *ctag = NULL, *ctype = NULL, *size = NULL;
	const char *loc, *loc_end;

	d->type = xml_attr(p, end, "type");
	d->sha256 = xml_text(p, end, "checksum", &ctag);
	loc = xml_find(p, end, "location", &loc_end);
	d->href = loc ? xml_attr(loc, loc_end, "href") : NULL;
	if (!d->type || !d->sha256 || !d->href || !ctag)
		return -EBADMSG;
	ctype = xml_attr(ctag, ctag + strlen(ctag), "type");
	if (!ctype || !streq(ctype, "sha256") || strlen(d->sha256) != 64)
		return -EPROTONOSUPPORT;
	size = xml_text(p, end, "size", NULL);
	if (size && parse_uint64(size, &d->size) < 0)
		return -EBADMSG;
	return 0;
}

int rpmmd_parse_repomd(const char *buf, size_t len, struct rpmmd_data **ret, size_t *ret_n)
{
	const char *end = buf + len, *p, *body;
	struct rpmmd_data *all = NULL;
	size_t n = 0;
	int r = 0;

	if (!xml_find(buf, end, "repomd", &body))
		return -EBADMSG;
	for (p = body; (p = xml_find(p, end, "data", &body));) {
		const char *close = memmem(body, end - body, "</data>", 7);
		struct rpmmd_data *m = reallocarray(all, n + 1, sizeof(*all));
		if (!close || !m) {
			r = m ? -EBADMSG : -ENOMEM;
			break;
		}
		all = m;
		all[n] = (struct rpmmd_data){};
		r = parse_data(p, close, &all[n++]);
		if (r < 0)
			break;
		p = close + 7;
	}
	if (r >= 0 && n == 0)
		r = -EBADMSG;
	if (r < 0) {
		rpmmd_data_free(all, n);
		return r;
	}
	*ret = all;
	*ret_n = n;
	return 0;
}

void rpmmd_data_free(struct rpmmd_data *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		free(d[i].type);
		free(d[i].href);
		free(d[i].sha256);
	}
	free(d);
}

/* ---- metalink ------------------------------------------------------------------------------ */

/* &amp; &lt; &gt; &quot; &apos; in place (mirror URLs carry at most a query string). */
static void xml_unescape(char *s)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		     { "&apos;", '\'' } };
	char *out = s;

	while (*s) {
		size_t i = 0;
		while (*s == '&' && i < ELEMENTSOF(ents) && !startswith(s, ents[i].ent))
			i++;
		if (*s == '&' && i < ELEMENTSOF(ents)) {
			*out++ = ents[i].c;
			s += strlen(ents[i].ent);
		} else {
			*out++ = *s++;
		}
	}
	*out = 0;
}

/* The sha256 <hash> and the <size> in [p, end); -EPROTONOSUPPORT without a sha256. */
static int parse_hash(const char *p, const char *end, struct rpmmd_metalink_hash *h)
{
	_cleanup_free_ char *size = xml_text(p, end, "size", NULL);
	const char *tag, *body;

	*h = (struct rpmmd_metalink_hash){};
	if (size && parse_uint64(size, &h->size) < 0)
		return -EBADMSG;
	for (; (tag = xml_find(p, end, "hash", &body)); p = body) {
		_cleanup_free_ char *type = xml_attr(tag, body, "type"), *hex = NULL;
		if (!type || !streq(type, "sha256"))
			continue;
		hex = xml_text(tag, end, "hash", NULL);
		if (!hex || strlen(hex) != 64 || hex[strspn(hex, "0123456789abcdefABCDEF")])
			return -EBADMSG;
		for (size_t i = 0; i < 64; i++)
			h->sha256[i] = (char)tolower((unsigned char)hex[i]);
		return 0;
	}
	return -EPROTONOSUPPORT;
}

static int add_hash(struct rpmmd_metalink *m, const struct rpmmd_metalink_hash *h)
{
	struct rpmmd_metalink_hash *n = reallocarray(m->hashes, m->n_hashes + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	m->hashes = n;
	n[m->n_hashes++] = *h;
	return 0;
}

/* Older repomd.xml versions MirrorManager still accepts: <mm0:alternate> entries. */
static int parse_alternates(const char *p, const char *end, struct rpmmd_metalink *m)
{
	const char *body;

	while ((p = xml_find(p, end, "mm0:alternate", &body))) {
		const char *close = memmem(body, end - body, "</mm0:alternate>", 16);
		struct rpmmd_metalink_hash h;
		if (!close)
			return -EBADMSG;
		if (parse_hash(body, close, &h) >= 0 && add_hash(m, &h) < 0)
			return -ENOMEM;
		p = close;
	}
	return 0;
}

/* The base of one <url>, or NULL (another protocol, not a repomd.xml URL). */
static char *url_base(const char *tag, const char *tag_end, const char *end)
{
	_cleanup_free_ char *proto = xml_attr(tag, tag_end, "protocol");
	_cleanup_free_ char *url = xml_text(tag, end, "url", NULL);
	char *e;

	if (!url || (proto && !streq(proto, "http") && !streq(proto, "https") &&
		     !streq(proto, "file")))
		return NULL;
	xml_unescape(url);
	if (!startswith(url, "http://") && !startswith(url, "https://") &&
	    !startswith(url, "file://"))
		return NULL;
	e = (char *)endswith(url, "repodata/repomd.xml");
	if (!e || e == url)
		return NULL;
	while (e > url && e[-1] == '/')
		e--;
	*e = 0;
	return steal_ptr(url);
}

/* The <url> elements of [p, end) into m->bases, stable-sorted by preference. */
static int parse_urls(const char *p, const char *end, struct rpmmd_metalink *m)
{
	_cleanup_free_ long *prefs = NULL;
	const char *tag, *body;
	size_t n = 0;

	for (; (tag = xml_find(p, end, "url", &body)); p = body) {
		_cleanup_free_ char *pref = xml_attr(tag, body, "preference");
		char *base = url_base(tag, body, end);
		long *np, v = pref ? strtol(pref, NULL, 10) : 0;
		size_t i;
		if (!base)
			continue;
		np = reallocarray(prefs, n + 1, sizeof(*np));
		if (!np) {
			free(base);
			return -ENOMEM;
		}
		prefs = np;
		if (strv_push(&m->bases, base) < 0)
			return -ENOMEM;
		/* insertion: after every entry with the same or a higher preference */
		for (i = n; i > 0 && prefs[i - 1] < v; i--) {
			prefs[i] = prefs[i - 1];
			m->bases[i] = m->bases[i - 1];
		}
		prefs[i] = v;
		m->bases[i] = base;
		n++;
	}
	return n ? 0 : -ENOENT;
}

/* The <file name="repomd.xml"> element: [*ret_body, *ret_close). */
static int find_repomd_file(const char *buf, const char *end, const char **ret_body,
			    const char **ret_close)
{
	const char *p = buf, *tag, *body;

	while ((tag = xml_find(p, end, "file", &body))) {
		_cleanup_free_ char *name = xml_attr(tag, body, "name");
		const char *close = memmem(body, end - body, "</file>", 7);
		if (!close)
			return -EBADMSG;
		if (name && streq(name, "repomd.xml")) {
			*ret_body = body;
			*ret_close = close;
			return 0;
		}
		p = close;
	}
	return -EBADMSG;
}

static int parse_metalink_file(const char *body, const char *close, struct rpmmd_metalink *m)
{
	_cleanup_free_ char *main = strndup(body, close - body);
	struct rpmmd_metalink_hash h;
	char *alt, *alt_end;
	int r;

	if (!main)
		return -ENOMEM;
	/* The current digest is outside <mm0:alternates>: cut them out of the copy. */
	alt = strstr(main, "<mm0:alternates");
	alt_end = alt ? strstr(alt, "</mm0:alternates>") : NULL;
	if (alt && !alt_end)
		return -EBADMSG;
	if (alt)
		memmove(alt, alt_end + 17, strlen(alt_end + 17) + 1);
	r = parse_hash(main, main + strlen(main), &h);
	if (r >= 0)
		r = add_hash(m, &h);
	if (r >= 0 && alt) {
		const char *a = strstr(body, "<mm0:alternates");
		r = parse_alternates(a, close, m);
	}
	return r < 0 ? r : parse_urls(main, main + strlen(main), m);
}

int rpmmd_parse_metalink(const char *buf, size_t len, struct rpmmd_metalink *ret)
{
	struct rpmmd_metalink m = {};
	const char *body, *close;
	int r;

	if (!xml_find(buf, buf + len, "metalink", &body))
		return -EBADMSG;
	r = find_repomd_file(body, buf + len, &body, &close);
	if (r >= 0)
		r = parse_metalink_file(body, close, &m);
	if (r < 0) {
		rpmmd_metalink_done(&m);
		return r;
	}
	*ret = m;
	return 0;
}

void rpmmd_metalink_done(struct rpmmd_metalink *m)
{
	free(m->hashes);
	strv_free(m->bases);
	*m = (struct rpmmd_metalink){};
}

static const struct rpmmd_data *find_data(const struct rpmmd_repo *r, const char *type)
{
	for (size_t i = 0; i < r->n_data; i++)
		if (streq(r->data[i].type, type))
			return &r->data[i];
	return NULL;
}

/* ---- keys and gpgv ------------------------------------------------------------------------- */

int rpmmd_keys_init(struct rpmmd_keys *k, const char *path, bool check, const char *workdir)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_free_ uint8_t *bin = NULL;
	size_t len = 0, bin_len = 0;
	int r;

	*k = (struct rpmmd_keys){ .check = check };
	k->dir = strjoin(workdir, "/rpm-gpg", NULL);
	k->keyring_name = path ? strdup(path) : NULL;
	if (!k->dir || (path && !k->keyring_name))
		return -ENOMEM;
	if (mkdir_p(k->dir, 0700) < 0)
		return log_error_errno(-errno, "cannot create '%s'", k->dir);
	if (!check)
		return 0;
	r = read_full_file(path, &data, &len);
	if (r == -ENOENT) {
		log_error("repository key '%s' does not exist: install the distribution's key "
			  "package (centos-gpg-keys) or copy the key there, or set RepositoryKey=",
			  path);
		return -ENOKEY;
	}
	if (r < 0)
		return log_error_errno(r, "cannot read repository key '%s'", path);
	k->keyring = strjoin(k->dir, "/keyring.gpg", NULL);
	if (!k->keyring)
		return -ENOMEM;
	if (pgp_is_armored(data, len)) {
		r = pgp_dearmor(data, len, &bin, &bin_len);
		if (r < 0)
			return log_error_errno(r, "repository key '%s' is not a valid ASCII-armored "
					       "key", path);
		r = write_file_atomic(k->keyring, bin, bin_len, 0644);
	} else {
		r = write_file_atomic(k->keyring, data, len, 0644);
	}
	if (r < 0)
		return log_error_errno(r, "cannot write '%s'", k->keyring);
	return 0;
}

void rpmmd_keys_done(struct rpmmd_keys *k)
{
	free(k->keyring);
	free(k->keyring_name);
	free(k->dir);
	*k = (struct rpmmd_keys){};
}

int rpmmd_gpgv(const struct rpmmd_keys *k, const char *tag, const char *sig, const char *data,
	       char **ret_reason)
{
	_cleanup_free_ char *home = strjoin(k->dir, "/home", NULL);
	_cleanup_free_ char *st = strjoin(k->dir, "/", tag, ".status", NULL);
	_cleanup_free_ char *status = NULL;
	_cleanup_close_ int out = -1;
	char *argv[] = { "gpgv", "--homedir", home, "--status-fd", "1", "--keyring", k->keyring,
			 (char *)sig, (char *)data, NULL };
	int r;

	if (!home || !st)
		return -ENOMEM;
	if (mkdir(home, 0700) < 0 && errno != EEXIST)
		return -errno;
	out = open(st, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	r = spawn_wait(argv, &(struct spawn_opts){ .stdin_fd = -1, .stdout_fd = out,
						   .stderr_fd = -1 });
	if (r < 0 || r == 127) {
		*ret_reason = strdup("cannot run 'gpgv' (install the package 'gpgv')");
		return -EBADMSG;
	}
	r = read_full_file(st, &status, NULL);
	(void)unlink(st);
	if (r < 0)
		return r;
	return apt_gpgv_status_check(status, ret_reason);
}

/* ---- fetching ------------------------------------------------------------------------------ */

struct slot {
	char *path;
};

static int on_done(const struct fetch_result *res)
{
	struct slot *s = res->userdata;

	if (!res->path)
		return 0;
	s->path = strdup(res->path);
	return s->path ? 0 : -ENOMEM;
}

/* Decompress (gz, xz, zst, bz2 or none: libarchive's raw format) from into to. */
static int decompress(const char *from, const char *to)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	_cleanup_close_ int fd = -1;
	char buf[64 * 1024];
	ssize_t n;
	int r = -EBADMSG;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	archive_read_support_format_empty(a);
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		archive_read_free(a);
		return -errno;
	}
	if (archive_read_open_filename(a, from, 64 * 1024) == ARCHIVE_OK) {
		r = archive_read_next_header(a, &e) == ARCHIVE_OK ? 0 : -EBADMSG;
		while (r >= 0 && (n = archive_read_data(a, buf, sizeof(buf))) != 0) {
			if (n < 0)
				r = -EBADMSG;
			else if (write(fd, buf, n) != n)
				r = -EIO;
		}
	}
	archive_read_free(a);
	return r;
}

static int verify_repomd(const struct rpmmd_keys *k, const struct rpmmd_repo *repo,
			 const char *xml, const char *asc)
{
	_cleanup_free_ char *reason = NULL;
	int r;

	if (!k->check)
		return 0;
	if (!asc) {
		/* CentOS does not sign repomd.xml: the packages' own signatures are the anchor. */
		log_info("repository '%s' publishes no repomd.xml.asc: relying on the package "
			 "signatures", repo->id);
		return 0;
	}
	r = rpmmd_gpgv(k, "repomd", asc, xml, &reason);
	if (r == -EBADMSG) {
		log_error("repomd.xml of repository '%s' (%s) has no valid signature from key '%s' "
			  "(%s)", repo->id, repo->url, k->keyring_name, reason ?: "unknown reason");
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "cannot check the signature of repomd.xml of '%s'",
				       repo->id);
	return 0;
}

static int read_repomd(struct rpmmd_repo *repo, const char *xml)
{
	_cleanup_free_ char *buf = NULL;
	char hex[65];
	size_t len = 0;
	int r;

	r = read_full_file(xml, &buf, &len);
	if (r < 0)
		return log_error_errno(r, "cannot read '%s'", xml);
	sha256_buffer(buf, len, hex);
	if (repo->repomd_pin && !streq(hex, repo->repomd_pin)) {
		log_error("repomd.xml of repository '%s' (%s) changed after it matched the "
			  "metalink (got %s, want %s)", repo->id, repo->url, hex, repo->repomd_pin);
		return -EBADMSG;
	}
	repo->repomd_sha256 = strdup(hex);
	if (!repo->repomd_sha256)
		return -ENOMEM;
	r = rpmmd_parse_repomd(buf, len, &repo->data, &repo->n_data);
	if (r == -EPROTONOSUPPORT)
		log_error("repomd.xml of repository '%s' (%s) lists checksums other than sha256: "
			  "not trusted", repo->id, repo->url);
	else if (r < 0)
		log_error("repomd.xml of repository '%s' (%s) is not valid repomd XML", repo->id,
			  repo->url);
	return r;
}

/* Queue one listed file; slot gets the verified compressed file. */
static int add_data(struct fetch *f, struct rpmmd_repo *repo, const struct rpmmd_data *d,
		    struct slot *slot)
{
	_cleanup_free_ char *url = strjoin(repo->url, "/", d->href, NULL);
	_cleanup_free_ char *what = strjoin(d->type, " of repository '", repo->id, "'", NULL);

	if (!url || !what)
		return -ENOMEM;
	return fetch_add_blob_named(f, url, d->sha256, d->size, what, "repomd.xml", on_done,
				    slot);
}

static int unpack_to(const char *from, const char *workdir, const struct rpmmd_repo *repo,
		     const char *type, char **ret)
{
	_cleanup_free_ char *to = strjoin(workdir, "/", repo->id, ".", type, ".xml", NULL);
	int r;

	if (!to)
		return -ENOMEM;
	r = decompress(from, to);
	if (r < 0)
		return log_error_errno(r, "cannot decompress %s of repository '%s'", type, repo->id);
	*ret = steal_ptr(to);
	return 0;
}

static int fetch_repomds(struct fetch *f, struct rpmmd_repo *repos, size_t n,
			 struct slot *slots)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *xml = strjoin(repos[i].url, "/repodata/repomd.xml", NULL);
		_cleanup_free_ char *asc = strjoin(repos[i].url, "/repodata/repomd.xml.asc", NULL);
		if (!xml || !asc)
			return -ENOMEM;
		r = fetch_add_meta(f, xml, false, on_done, &slots[2 * i]);
		if (r >= 0)
			r = fetch_add_meta(f, asc, true, on_done, &slots[2 * i + 1]);
	}
	if (r >= 0)
		r = fetch_run(f);
	if (r < 0)
		return log_error_errno(r, "cannot fetch repomd.xml of the repositories");
	return 0;
}

static const char *const wanted[] = { "primary", "group", "modules" };

static char **wanted_slot(struct rpmmd_repo *repo, size_t w)
{
	return w == 0 ? &repo->primary : w == 1 ? &repo->group : &repo->modules;
}

static const struct rpmmd_data *pick(const struct rpmmd_repo *repo, size_t w)
{
	/* comps: the uncompressed "group" may be listed as well as "group_gz"/"group_xz" */
	const struct rpmmd_data *d = find_data(repo, wanted[w]);

	if (w == 1 && !d)
		d = find_data(repo, "group_gz") ?: find_data(repo, "group_xz");
	return d;
}

int rpmmd_load(struct fetch *f, struct rpmmd_repo *repos, size_t n, const struct rpmmd_keys *k,
	       const char *workdir)
{
	_cleanup_free_ struct slot *meta = calloc(2 * n + 1, sizeof(*meta));
	_cleanup_free_ struct slot *files = calloc(3 * n + 1, sizeof(*files));
	int r;

	if (!meta || !files)
		return -ENOMEM;
	r = fetch_repomds(f, repos, n, meta);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = verify_repomd(k, &repos[i], meta[2 * i].path, meta[2 * i + 1].path);
		if (r >= 0)
			r = read_repomd(&repos[i], meta[2 * i].path);
		if (r >= 0 && !find_data(&repos[i], "primary"))
			r = log_error_errno(-EBADMSG, "repomd.xml of repository '%s' lists no "
					    "primary", repos[i].id);
		for (size_t w = 0; r >= 0 && w < ELEMENTSOF(wanted); w++)
			if (pick(&repos[i], w))
				r = add_data(f, &repos[i], pick(&repos[i], w), &files[3 * i + w]);
	}
	if (r >= 0)
		r = fetch_run(f);
	for (size_t i = 0; r >= 0 && i < n; i++)
		for (size_t w = 0; r >= 0 && w < ELEMENTSOF(wanted); w++)
			if (files[3 * i + w].path)
				r = unpack_to(files[3 * i + w].path, workdir, &repos[i], wanted[w],
					      wanted_slot(&repos[i], w));
	for (size_t i = 0; i < 2 * n; i++)
		free(meta[i].path);
	for (size_t i = 0; i < 3 * n; i++)
		free(files[i].path);
	return r;
}

int rpmmd_load_extra(struct fetch *f, struct rpmmd_repo *repo, const char *type,
		     const char *workdir, char **ret)
{
	const struct rpmmd_data *d = find_data(repo, type);
	struct slot s = {};
	int r;

	*ret = NULL;
	if (!d)
		return 0;
	r = add_data(f, repo, d, &s);
	if (r >= 0)
		r = fetch_run(f);
	if (r >= 0)
		r = unpack_to(s.path, workdir, repo, type, ret);
	free(s.path);
	return r;
}

void rpmmd_repo_done(struct rpmmd_repo *r)
{
	free(r->id);
	free(r->url);
	free(r->repomd_sha256);
	free(r->repomd_pin);
	free(r->primary);
	free(r->group);
	free(r->modules);
	rpmmd_data_free(r->data, r->n_data);
	*r = (struct rpmmd_repo){};
}
