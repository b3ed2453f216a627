/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CentOS (7, 8, Stream 8/9/10) without dnf, yum or rpm on the host:
 *
 *   resolve  repomd.xml of each repository (signature checked when the repository publishes
 *            repomd.xml.asc; CentOS does not, so there the package signatures are the anchor),
 *            primary/comps/filelists against repomd's sha256 (rpm-md.c), solved with libsolv
 *            (solve-rpm.c), or the lock
 *   install  every package fetched in parallel (sha256 from primary.xml), its OpenPGP
 *            signature checked against RepositoryKey= by worker threads (rpm.c + gpgv); the
 *            closure of rpm and /bin/sh is unpacked with libarchive so the target's rpm can
 *            run; then the tree's own rpm installs the whole set in one transaction, chrooted
 *            in a private mount namespace: it orders the packages, runs every scriptlet and
 *            writes its database in its own format; /etc/yum.repos.d/mkimg.repo names the
 *            repositories and the key
 *   finish   reproducibility clean-up (caches, logs, rpm lock and environment files)
 *
 * Mirror= (or the release's default) is the base of every repository; without Mirror=,
 * Metalink= or MirrorList= pick a mirror per repository and run (rpm-mirrors.c).  The lock
 * records each package by its path in the release's layout (ID/ARCH[/os]/Packages/...) and by
 * its absolute URL: a --locked build with Metalink=/MirrorList= fetches the recorded URLs (no
 * metalink needed), one with Mirror= (or neither) the paths under the mirror.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstrap.h"
#include "fetch.h"
#include "fileio.h"
#include "log.h"
#include "rpm-md.h"
#include "rpm-mirrors.h"
#include "rpm.h"
#include "sha256.h"
#include "solve-rpm.h"
#include "spawn.h"
#include "strutil.h"
#include "workqueue.h"

#define RPMS_DIR "/var/cache/mkimg-rpms"

struct rpm_release {
	const char *release, *mirror;
	const char *releasever;		/* dnf's $releasever */
	bool os_dir;			/* ID/ARCH/os (8 and later), else ID/ARCH */
	const char *key;
	const char *repos[4];
};

static const struct rpm_release releases[] = {
	{ "7", "https://vault.centos.org/7.9.2009", "7", false, "RPM-GPG-KEY-CentOS-7",
	  { "os", "updates", "extras" } },
	{ "8", "https://vault.centos.org/8.5.2111", "8", true, "RPM-GPG-KEY-centosofficial",
	  { "BaseOS", "AppStream" } },
	{ "stream8", "https://vault.centos.org/8-stream", "8-stream", true,
	  "RPM-GPG-KEY-centosofficial", { "BaseOS", "AppStream" } },
	{ "stream9", "https://mirror.stream.centos.org/9-stream", "9", true,
	  "RPM-GPG-KEY-centosofficial", { "BaseOS", "AppStream" } },
	{ "stream10", "https://mirror.stream.centos.org/10-stream", "10", true,
	  "RPM-GPG-KEY-centosofficial-SHA256", { "BaseOS", "AppStream" } },
};

#define KEY_DIR "/etc/pki/rpm-gpg/"

struct rpm_state {
	const struct rpm_release *rel;
	const char *arch;
	char *key_path;
	char *real_root;
	char **files;			/* per package: its path inside the tree */
	struct rpmmd_keys keys;
	bool keys_ready;
	struct rpmmd_repo *repos;
	char **paths;			/* per repository: ID/ARCH[/os], its place under a mirror */
	size_t n_repos;
	struct rpm_mirrors mirrors;	/* .url set: Metalink= or MirrorList= instead of a mirror */
	struct fetch *fetch;		/* for filelists during resolve */
};

static struct rpm_state *state(struct bootstrap *b)
{
	return b->state;
}

static const struct rpm_release *find_release(const char *release)
{
	for (size_t i = 0; release && i < ELEMENTSOF(releases); i++)
		if (streq(releases[i].release, release))
			return &releases[i];
	return NULL;
}

/* The canonical spelling of a repository id the release knows, else id itself. */
static const char *canonical_id(const struct rpm_release *rel, const char *id)
{
	for (size_t i = 0; i < ELEMENTSOF(rel->repos) && rel->repos[i]; i++)
		if (strcasecmp(rel->repos[i], id) == 0)
			return rel->repos[i];
	return id;
}

static int add_repo(struct rpm_state *s, const char *mirror, const char *id)
{
	struct rpmmd_repo *n = reallocarray(s->repos, s->n_repos + 1, sizeof(*n));
	_cleanup_free_ char *path = NULL;

	if (!n)
		return -ENOMEM;
	s->repos = n;
	n = &s->repos[s->n_repos++];
	*n = (struct rpmmd_repo){};
	path = strjoin(id, "/", s->arch, s->rel->os_dir ? "/os" : "", NULL);
	n->id = strdup(id);
	n->url = path ? strjoin(mirror, endswith(mirror, "/") ? "" : "/", path, NULL) : NULL;
	if (!n->id || !n->url || strv_push(&s->paths, steal_ptr(path)) < 0)
		return -ENOMEM;
	return 0;
}

/* source: what the lock's source line names; mirror: the base of the repositories' URLs. */
static int add_source(struct bootstrap *b, const char *source, const char *mirror)
{
	struct rpm_state *s = state(b);
	struct bootstrap_source *src = calloc(1, sizeof(*src));
	char *const *ids = b->p.recipe->repositories;
	int r = 0;

	if (!src)
		return -ENOMEM;
	b->sources = src;
	b->n_sources = 1;
	src->mirror = strdup(source);
	src->suite = strdup(b->p.recipe->release);
	if (!src->mirror || !src->suite)
		return -ENOMEM;
	if (ids && ids[0]) {
		for (size_t i = 0; r >= 0 && ids[i]; i++)
			r = strv_extend(&src->components, canonical_id(s->rel, ids[i]));
	} else {
		for (size_t i = 0; r >= 0 && i < ELEMENTSOF(s->rel->repos) && s->rel->repos[i]; i++)
			r = strv_extend(&src->components, s->rel->repos[i]);
	}
	for (size_t i = 0; r >= 0 && src->components[i]; i++)
		r = add_repo(s, mirror, src->components[i]);
	return r;
}

/* Metalink=/MirrorList= count only without Mirror= (which -m/--mirror also sets). */
static void setup_mirrors(struct bootstrap *b)
{
	const struct recipe *rc = b->p.recipe;
	struct rpm_state *s = state(b);
	const char *key = rc->metalink ? "Metalink" : "MirrorList";

	if (!rc->metalink && !rc->mirror_list)
		return;
	if (rc->mirror) {
		log_debug("Mirror= is set: %s= is not used", key);
		return;
	}
	s->mirrors = (struct rpm_mirrors){ .url = rc->metalink ?: rc->mirror_list,
					   .metalink = rc->metalink != NULL,
					   .basearch = s->arch,
					   .releasever = s->rel->releasever };
	/* The mirror differs per repository and run: --locked uses the URLs the lock records. */
	b->lock_urls = true;
}

static int setup_state(struct bootstrap *b)
{
	const struct recipe *rc = b->p.recipe;
	struct rpm_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	b->state = s;
	s->rel = find_release(rc->release);
	if (!s->rel) {
		log_error("Release=%s: mkimg knows no repositories for it", rc->release);
		return -EINVAL;
	}
	s->arch = rpm_arch(rc->architecture);
	if (!s->arch) {
		log_error("Architecture=%s has no rpm equivalent", rc->architecture);
		return -EINVAL;
	}
	s->key_path = rc->repository_key ? strdup(rc->repository_key)
					 : strjoin(KEY_DIR, s->rel->key, NULL);
	if (!s->key_path)
		return -ENOMEM;
	setup_mirrors(b);
	return add_source(b, s->mirrors.url ?: rc->mirror ?: s->rel->mirror,
			  rc->mirror ?: s->rel->mirror);
}

static int keys_ready(struct bootstrap *b)
{
	struct rpm_state *s = state(b);
	bool check = b->p.recipe->repository_key_check != 0;
	int r;

	if (s->keys_ready)
		return 0;
	if (!check)
		log_warning("RepositoryKeyCheck=no: repository and package signatures are NOT "
			    "checked");
	r = rpmmd_keys_init(&s->keys, s->key_path, check, b->p.workdir);
	if (r >= 0)
		s->keys_ready = true;
	return r;
}

static int need_filelists(void *userdata, struct rpmmd_repo *repo, char **ret)
{
	struct bootstrap *b = userdata;

	return rpmmd_load_extra(state(b)->fetch, repo, "filelists", b->p.workdir, ret);
}

/* Locations in the release's layout (ID/ARCH[/os]/href), as the lock records them: the same
 * path under any mirror, whichever mirror a metalink picked this time. */
static int relative_filenames(struct bootstrap *b)
{
	struct rpm_state *s = state(b);

	for (size_t i = 0; i < b->set->n; i++) {
		struct solve_pkg *p = &b->set->pkgs[i];
		for (size_t j = 0; j < s->n_repos; j++) {
			size_t l = strlen(s->repos[j].url);
			char *f;
			if (strncmp(p->url, s->repos[j].url, l) != 0 || p->url[l] != '/')
				continue;
			f = strjoin(s->paths[j], "/", p->url + l + 1, NULL);
			if (!f)
				return -ENOMEM;
			free(p->filename);
			p->filename = f;
			break;
		}
	}
	return 0;
}

static int choose_mirrors(struct bootstrap *b, const struct fetch_opts *fo)
{
	struct rpm_state *s = state(b);
	int r = 0;

	for (size_t i = 0; r >= 0 && s->mirrors.url && i < s->n_repos; i++)
		r = rpm_mirrors_choose(&s->mirrors, fo, &s->repos[i]);
	return r;
}

/* One digest for the lock's source line: of every repository's repomd.xml. */
static int repomd_digest(struct bootstrap *b)
{
	struct rpm_state *s = state(b);
	_cleanup_free_ char *text = strdup("");
	char hex[65];

	for (size_t i = 0; text && i < s->n_repos; i++) {
		char *n = strjoin(text, s->repos[i].id, " ", s->repos[i].repomd_sha256, "\n", NULL);
		free(text);
		text = n;
	}
	if (!text)
		return -ENOMEM;
	sha256_buffer(text, strlen(text), hex);
	b->sources[0].release_sha256 = strdup(hex);
	return b->sources[0].release_sha256 ? 0 : -ENOMEM;
}

static int resolve_from_mirror(struct bootstrap *b)
{
	static char *const extra[] = { (char *)"rpm", NULL };
	const struct recipe *rc = b->p.recipe;
	struct fetch_opts fo = { .cache_dir = b->p.cache_dir, .offline = b->p.offline };
	struct rpm_state *s = state(b);
	struct solve_rpm_request req = {
		.arch = s->arch,
		.packages = rc->packages,
		.remove = rc->remove_packages,
		.extra = extra,
		.with_recommends = rc->with_recommends > 0,
		.need_filelists = need_filelists,
		.userdata = b,
	};
	int r;

	r = keys_ready(b);
	if (r < 0)
		return r;
	r = choose_mirrors(b, &fo);
	if (r < 0)
		return r;
	r = fetch_new(&fo, &s->fetch);
	if (r < 0)
		return log_error_errno(r, "cannot set up downloads");
	r = rpmmd_load(s->fetch, s->repos, s->n_repos, &s->keys, b->p.workdir);
	if (r >= 0)
		r = solve_rpm(s->repos, s->n_repos, &req, &b->set);
	if (r >= 0)
		r = relative_filenames(b);
	if (r >= 0)
		r = repomd_digest(b);
	if (r >= 0 && s->mirrors.url)
		log_info("resolved %zu packages through %s '%s'", b->set->n,
			 s->mirrors.metalink ? "metalink" : "mirror list", s->mirrors.url);
	else if (r >= 0)
		log_info("resolved %zu packages from %s", b->set->n, b->sources[0].mirror);
	fetch_free(s->fetch);
	s->fetch = NULL;
	return r;
}

static int rpm_resolve(struct bootstrap *b)
{
	int r = setup_state(b);

	if (r < 0)
		return r;
	if (b->p.lock_path)
		return lock_read(b, b->p.lock_path);
	return resolve_from_mirror(b);
}

/* ---- fetch, verify, unpack ----------------------------------------------------------------- */

enum job_kind { JOB_VERIFY, JOB_EXTRACT };

struct job {
	struct workqueue_item item;
	enum job_kind kind;
	size_t index;
	char *reason;		/* why a signature check failed */
};

struct pool {
	struct workqueue q;
	struct bootstrap *b;
};

/* What rpm does not need to run; it installs these files itself moments later. */
static const char *const not_needed[] = { "/usr/share/doc/", "/usr/share/man/",
					  "/usr/share/info/", "/usr/share/locale/", NULL };

static int run_job(struct workqueue_item *item, void *userdata)
{
	struct job *j = (struct job *)item;
	struct pool *w = userdata;
	struct rpm_state *s = state(w->b);
	_cleanup_free_ char *path = strjoin(s->real_root, s->files[j->index], NULL);
	char tag[32];

	if (!path)
		return -ENOMEM;
	if (j->kind == JOB_EXTRACT)
		return rpm_extract(path, s->real_root, not_needed);
	if (!s->keys.check)
		return 0;
	snprintf(tag, sizeof(tag), "pkg%zu", j->index);
	return rpm_verify_signature(path, &s->keys, tag, &j->reason);
}

static void release_job(struct workqueue_item *item)
{
	struct job *j = (struct job *)item;

	free(j->reason);
	free(j);
}

static const struct workqueue_ops job_ops = { .run = run_job, .release = release_job };

static int pool_start(struct pool *w, struct bootstrap *b)
{
	w->b = b;
	return workqueue_start(&w->q, &job_ops, w);
}

static int pool_add(struct pool *w, enum job_kind kind, size_t index)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	*j = (struct job){ .kind = kind, .index = index };
	workqueue_push(&w->q, &j->item);
	return 0;
}

/* Drain the queue, end the workers, log the first failure. */
static int pool_finish(struct pool *w)
{
	struct workqueue_item *item;
	const struct solve_pkg *p;
	const struct job *j;
	int r = workqueue_finish(&w->q, &item, NULL);

	if (!item)
		return 0;
	j = (const struct job *)item;
	p = &w->b->set->pkgs[j->index];
	if (j->kind == JOB_VERIFY && r == -EBADMSG)
		log_error("package '%s-%s.%s' has no valid signature from key '%s' (%s)", p->name,
			  p->version, p->arch, state(w->b)->keys.keyring_name,
			  j->reason ?: "unknown reason");
	else
		log_error_errno(r, "cannot %s package '%s'",
				j->kind == JOB_VERIFY ? "check" : "unpack", p->name);
	release_job(item);
	return r;
}

struct fetch_item {
	struct pool *w;
	size_t index;
};

static int copy_file(const char *from, const char *to)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = read_full_file(from, &data, &len);

	return r < 0 ? r : write_file_atomic(to, data, len, 0644);
}

static int on_fetched(const struct fetch_result *res)
{
	struct fetch_item *it = res->userdata;
	struct rpm_state *s = state(it->w->b);
	_cleanup_free_ char *host = strjoin(s->real_root, s->files[it->index], NULL);
	int r = 0;

	if (!host)
		return -ENOMEM;
	(void)unlink(host);
	if (link(res->path, host) < 0)
		r = copy_file(res->path, host);
	if (r < 0)
		return log_error_errno(r, "cannot place '%s' in the tree", res->path);
	r = workqueue_error(&it->w->q);
	if (r < 0)
		return r; /* stop the downloads, the build has failed */
	return pool_add(it->w, JOB_VERIFY, it->index);
}

static int fetch_and_verify(struct bootstrap *b)
{
	struct fetch_opts fo = { .cache_dir = b->p.cache_dir, .offline = b->p.offline };
	_cleanup_free_ struct fetch_item *items = calloc(b->set->n, sizeof(*items));
	struct fetch *f = NULL;
	struct pool w;
	int r, q;

	if (!items)
		return -ENOMEM;
	r = fetch_new(&fo, &f);
	if (r < 0)
		return log_error_errno(r, "cannot set up downloads");
	r = fetch_set_progress(f, "fetch", "packages");
	if (r >= 0)
		r = pool_start(&w, b);
	if (r < 0) {
		fetch_free(f);
		return log_error_errno(r, "cannot start the download");
	}
	for (size_t i = 0; r >= 0 && i < b->set->n; i++) {
		const struct solve_pkg *p = &b->set->pkgs[i];
		items[i] = (struct fetch_item){ .w = &w, .index = i };
		r = fetch_add_blob(f, p->url, p->sha256, p->size, on_fetched, &items[i]);
	}
	if (r >= 0)
		r = fetch_run(f);
	q = pool_finish(&w);
	fetch_free(f);
	return r < 0 ? r : q;
}

/* The packages rpm needs to run, "filesystem" first (its /bin -> usr/bin links must come
 * before anything is put below them), the others in parallel. */
static int unpack_essential(struct bootstrap *b)
{
	struct rpm_state *s = state(b);
	struct pool w;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < b->set->n; i++) {
		_cleanup_free_ char *path = NULL;
		if (!streq(b->set->pkgs[i].name, "filesystem"))
			continue;
		path = strjoin(s->real_root, s->files[i], NULL);
		r = path ? rpm_extract(path, s->real_root, NULL) : -ENOMEM;
		if (r < 0)
			return log_error_errno(r, "cannot unpack package 'filesystem'");
	}
	r = pool_start(&w, b);
	if (r < 0)
		return log_error_errno(r, "cannot start unpacking threads");
	for (size_t i = 0; r >= 0 && i < b->set->n; i++)
		if (b->set->pkgs[i].essential && !streq(b->set->pkgs[i].name, "filesystem")) {
			r = pool_add(&w, JOB_EXTRACT, i);
			n++;
		}
	r = pool_finish(&w) ?: r;
	if (r >= 0)
		log_info("unpacked the %zu packages the target's rpm needs", n);
	return r;
}

/* ---- the target's rpm ---------------------------------------------------------------------- */

static int init_files(struct bootstrap *b)
{
	struct rpm_state *s = state(b);
	_cleanup_free_ char *dir = NULL;
	char real[PATH_MAX];

	if (!realpath(b->p.root, real))
		return log_error_errno(-errno, "cannot resolve '%s'", b->p.root);
	s->real_root = strdup(real);
	s->files = calloc(b->set->n + 1, sizeof(char *));
	dir = strjoin(real, RPMS_DIR, NULL);
	if (!s->real_root || !s->files || !dir)
		return -ENOMEM;
	for (size_t i = 0; i < b->set->n; i++) {
		const struct solve_pkg *p = &b->set->pkgs[i];
		const char *base = strrchr(p->filename, '/');
		s->files[i] = strjoin(RPMS_DIR "/", base ? base + 1 : p->filename, NULL);
		if (!s->files[i])
			return -ENOMEM;
	}
	if (mkdir_p(dir, 0755) < 0)
		return log_error_errno(-errno, "cannot create '%s'", dir);
	return 0;
}

static void remove_files(struct bootstrap *b)
{
	struct rpm_state *s = state(b);
	_cleanup_free_ char *dir = strjoin(s->real_root ?: "", RPMS_DIR, NULL);

	if (s->real_root && dir)
		(void)rm_rf(dir);
}

/* rpm only warns when a scriptlet fails (and so does dnf): say so, with rpm's lines. */
static void warn_scriptlets(const char *log_path)
{
	_cleanup_free_ char *data = NULL;
	char *save = NULL;

	if (read_full_file(log_path, &data, NULL) < 0)
		return;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strstr(l, "scriptlet failed"))
			log_warning("rpm: %s", l);
}

static char **rpm_env(void)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	char **env = NULL;

	if (strv_extend(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") <
		    0 ||
	    strv_extend(&env, "HOME=/root") < 0 || strv_extend(&env, "LC_ALL=C") < 0 ||
	    (!isempty(epoch) && strv_push(&env, strjoin("SOURCE_DATE_EPOCH=", epoch, NULL)) < 0)) {
		strv_free(env);
		return NULL;
	}
	return env;
}

/* One rpm transaction with the whole set: rpm orders it and runs the scriptlets. */
static int run_rpm(struct bootstrap *b)
{
	struct rpm_state *s = state(b);
	_cleanup_free_ char *log_path = strjoin(b->p.workdir, "/rpm.log", NULL);
	_cleanup_strv_free_ char **env = rpm_env(), **argv = NULL;
	bool verbose = log_get_level() >= LOG_LVL_DEBUG;
	_cleanup_close_ int fd = -1;
	int r;

	if (!log_path || !env)
		return -ENOMEM;
	/* The signatures were checked above, against the recipe's key; the target has no key. */
	r = strv_extend(&argv, "rpm") ?: strv_extend(&argv, "--install") ?:
	    strv_extend(&argv, "--nosignature");
	if (r >= 0 && b->p.recipe->with_docs == 0)
		r = strv_extend(&argv, "--excludedocs");
	for (size_t i = 0; r >= 0 && i < b->set->n; i++)
		r = strv_extend(&argv, s->files[i]);
	if (r < 0)
		return r;
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s'", log_path);
	log_info("install: %zu packages with the target's rpm", b->set->n);
	r = spawn_wait(argv, &(struct spawn_opts){ .chroot = s->real_root, .env = env,
						   .api_mounts = true, .stdin_fd = -1,
						   .stdout_fd = verbose ? STDERR_FILENO : fd,
						   .stderr_fd = verbose ? STDERR_FILENO : fd });
	if (r < 0)
		return log_error_errno(r, "cannot run rpm in '%s'", s->real_root);
	if (r == 127)
		log_error("the tree has no working rpm (the resolved set lacks package 'rpm'?)");
	if (r != 0) {
		if (!verbose)
			bootstrap_log_tail(log_path, 25);
		log_error("the target's rpm failed (exit status %d)", r);
		return -EPROTO;
	}
	warn_scriptlets(log_path);
	return 0;
}

/* ---- the image's repository configuration -------------------------------------------------- */

static int install_key(struct bootstrap *b, char **ret_url)
{
	struct rpm_state *s = state(b);
	const char *base = strrchr(s->key_path, '/') ? strrchr(s->key_path, '/') + 1 : s->key_path;
	_cleanup_free_ char *in_tree = strjoin(KEY_DIR, base, NULL);
	_cleanup_free_ char *host = strjoin(s->real_root, KEY_DIR, base, NULL);
	_cleanup_free_ char *dir = strjoin(s->real_root, KEY_DIR, NULL);
	int r;

	if (!in_tree || !host || !dir)
		return -ENOMEM;
	if (!path_exists(host)) {
		if (!path_exists(s->key_path)) {
			*ret_url = NULL; /* RepositoryKeyCheck=no without a key */
			return 0;
		}
		r = mkdir_p(dir, 0755);
		if (r >= 0)
			r = copy_file(s->key_path, host);
		if (r < 0)
			return log_error_errno(r, "cannot install the key '%s' as '%s'", s->key_path,
					       host);
	}
	*ret_url = strjoin("file://", in_tree, NULL);
	return *ret_url ? 0 : -ENOMEM;
}

/* "baseurl=URL", or the metalink or mirror list the recipe named (dnf reads both). */
static char *repo_location(const struct rpm_state *s, const struct rpmmd_repo *repo)
{
	_cleanup_free_ char *url = NULL;

	if (!s->mirrors.url)
		return strjoin("baseurl=", repo->url, NULL);
	if (rpm_mirrors_expand(&s->mirrors, repo->id, &url) < 0)
		return NULL;
	return strjoin(s->mirrors.metalink ? "metalink=" : "mirrorlist=", url, NULL);
}

static int write_repo_file(struct bootstrap *b)
{
	struct rpm_state *s = state(b);
	_cleanup_free_ char *key = NULL, *text = NULL, *dir = NULL, *path = NULL;
	int r;

	r = install_key(b, &key);
	if (r < 0)
		return r;
	text = strdup("# The repositories mkimg built this image from.\n");
	for (size_t i = 0; text && i < s->n_repos; i++) {
		_cleanup_free_ char *loc = repo_location(s, &s->repos[i]);
		char *n = loc ? strjoin(text, "\n[", s->repos[i].id, "]\nname=", s->repos[i].id,
					"\n", loc, "\nenabled=1\ngpgcheck=",
					key ? "1\ngpgkey=" : "0", key ?: "", "\n", NULL)
			      : NULL;
		free(text);
		text = n;
	}
	dir = strjoin(s->real_root, "/etc/yum.repos.d", NULL);
	path = strjoin(s->real_root, "/etc/yum.repos.d/mkimg.repo", NULL);
	if (!text || !dir || !path)
		return -ENOMEM;
	r = mkdir_p(dir, 0755);
	if (r >= 0)
		r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s'", path);
	return 0;
}

static int rpm_install(struct bootstrap *b)
{
	int r;

	/* What rpm and mkimg create must not depend on the umask of whoever runs mkimg. */
	umask(022);
	r = init_files(b);
	if (r >= 0)
		r = keys_ready(b);
	if (r >= 0)
		r = fetch_and_verify(b);
	if (r >= 0)
		log_info("fetched %zu packages%s", b->set->n,
			 state(b)->keys.check ? ", signatures good" : "");
	if (r >= 0)
		r = unpack_essential(b);
	if (r >= 0)
		r = run_rpm(b);
	remove_files(b);
	if (r >= 0)
		r = write_repo_file(b);
	if (r >= 0)
		log_info("installed %zu packages", b->set->n);
	return r;
}

/* ---- finish -------------------------------------------------------------------------------- */

/* Remove the regular files directly in dir whose names start with prefix ("" = all). */
static void clean_dir(const char *root, const char *dir, const char *prefix)
{
	_cleanup_free_ char *path = strjoin(root, dir, NULL);
	DIR *d = path ? opendir(path) : NULL;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (startswith(de->d_name, prefix) && de->d_type == DT_REG)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/* sqlite's WAL files, once the database is closed and the log is empty, are noise. */
static void clean_sqlite(const char *root)
{
	_cleanup_free_ char *wal = strjoin(root, "/var/lib/rpm/rpmdb.sqlite-wal", NULL);
	_cleanup_free_ char *shm = strjoin(root, "/var/lib/rpm/rpmdb.sqlite-shm", NULL);
	struct stat st;

	if (!wal || !shm || lstat(wal, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != 0)
		return;
	(void)unlink(wal);
	(void)unlink(shm);
}

static int rpm_finish(struct bootstrap *b)
{
	static const char *const caches[] = { "/var/cache/dnf", "/var/cache/yum" };
	struct rpm_state *s = state(b);
	_cleanup_free_ char *mid = strjoin(s->real_root, "/etc/machine-id", NULL);
	struct stat st;

	if (!mid)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(caches); i++) {
		_cleanup_free_ char *p = strjoin(s->real_root, caches[i], NULL);
		if (p && is_dir(p) && rm_rf(p) >= 0)
			(void)mkdir(p, 0755);
	}
	clean_dir(s->real_root, "/var/lib/rpm", "__db.");
	clean_dir(s->real_root, "/var/lib/rpm", ".rpm.lock");
	clean_dir(s->real_root, "/var/lib/rpm", ".dbenv.lock");
	clean_sqlite(s->real_root);
	clean_dir(s->real_root, "/var/log", "");
	clean_dir(s->real_root, "/var/cache/ldconfig", "aux-cache");
	if (lstat(mid, &st) == 0 && S_ISREG(st.st_mode) && truncate(mid, 0) < 0)
		return log_error_errno(-errno, "cannot empty '%s'", mid);
	return 0;
}

static void rpm_free_state(struct bootstrap *b)
{
	struct rpm_state *s = state(b);

	if (!s)
		return;
	for (size_t i = 0; i < s->n_repos; i++)
		rpmmd_repo_done(&s->repos[i]);
	free(s->repos);
	strv_free(s->paths);
	rpmmd_keys_done(&s->keys);
	free(s->key_path);
	free(s->real_root);
	strv_free(s->files);
	free(s);
	b->state = NULL;
}

const struct bootstrap_ops bootstrap_rpm_ops = {
	.name = "rpm",
	.resolve = rpm_resolve,
	.install = rpm_install,
	.finish = rpm_finish,
	.free_state = rpm_free_state,
};
