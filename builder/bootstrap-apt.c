/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Debian and Ubuntu without apt, dpkg or debootstrap on the host:
 *
 *   resolve  InRelease/Packages verified by apt-repo.c, solved by solve-deb.c (or the lock)
 *   install  every .deb fetched in parallel (fetch.c, sha256 from the signed index); the
 *            essential ones are unpacked by a pool of threads as soon as they are in, so
 *            unpacking overlaps the downloads and the tree has a working dpkg, shell and
 *            libc; then the tree's own dpkg installs everything for real (apt-dpkg.c) and
 *            the image's apt sources are written
 *
 * Only the essential set is unpacked ahead: dpkg unpacks every package again when it installs
 * it, and on a disk file system creating each file twice (and dpkg replacing ours) costs more
 * than the overlap with the downloads gains.  mmdebstrap draws the same line.
 *   finish   policy-rc.d removed, reproducibility clean-up
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apt-dpkg.h"
#include "apt-repo.h"
#include "apt-sources.h"
#include "bootstrap.h"
#include "deb.h"
#include "fetch.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"
#include "workqueue.h"

#define DEBS_DIR "/var/cache/apt/archives"

struct apt_state {
	const char *arch;
	const char *keyring;
	bool merged_usr;
	bool policy_created;
	char *real_root;	/* realpath of the tree: deb_extract wants no symlinks in it */
	char **debs;		/* per package: its path inside the tree */
};

/* Unpack jobs, fed to the workers by the fetch completion callback. */
struct unpack_job {
	struct workqueue_item item;
	char *path;
	const struct solve_pkg *pkg;
};

struct unpacker {
	struct workqueue q;
	const char *root;
	const char *const *filter;
};

struct fetch_item {
	struct bootstrap *b;
	struct unpacker *u;
	size_t index;
};

static struct apt_state *state(struct bootstrap *b)
{
	return b->state;
}

static int add_source(struct bootstrap *b, const char *mirror, const char *suite,
		      char *const *components)
{
	static char *const main_only[] = { (char *)"main", NULL };
	struct bootstrap_source *s = reallocarray(b->sources, b->n_sources + 1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	b->sources = s;
	s = &b->sources[b->n_sources++];
	*s = (struct bootstrap_source){ 0 };
	s->mirror = strdup(mirror);
	s->suite = strdup(suite);
	s->components = strv_copy(components && components[0] ? components : main_only);
	return s->mirror && s->suite && s->components ? 0 : -ENOMEM;
}

/* RELEASE, and with Updates= RELEASE-updates (same mirror) and RELEASE-security. */
static int add_sources(struct bootstrap *b, const char *mirror)
{
	const struct recipe *rc = b->p.recipe;
	_cleanup_free_ char *updates = NULL, *security = NULL, *sec_mirror = NULL;
	int r;

	r = add_source(b, mirror, rc->release, rc->repositories);
	if (r < 0 || !recipe_updates_enabled(rc)) {
		if (r >= 0 && rc->updates > 0)
			log_debug("Updates=yes ignored: '%s' has no -updates or -security suite",
				  rc->release);
		return r;
	}
	updates = strjoin(rc->release, "-updates", NULL);
	security = strjoin(rc->release, "-security", NULL);
	if (!updates || !security)
		return -ENOMEM;
	r = apt_security_mirror(rc, mirror, &sec_mirror);
	if (r < 0)
		return log_error_errno(r, "cannot pick the mirror of '%s'", security);
	log_debug("security updates from '%s'", sec_mirror);
	r = add_source(b, mirror, updates, rc->repositories);
	return r < 0 ? r : add_source(b, sec_mirror, security, rc->repositories);
}

static int pick_mirror(const struct bootstrap *b, const char *arch, char **ret)
{
	const struct recipe *rc = b->p.recipe;
	int r;

	if (rc->mirror) {
		*ret = strdup(rc->mirror);
		return *ret ? 0 : -ENOMEM;
	}
	r = apt_default_mirror(rc->distribution, arch, ret);
	if (r == -ENOENT && b->p.lock_path) {
		log_info("no mirror: fetching from the URLs in the lock file");
		*ret = NULL;
		return 0;
	}
	if (r == -ENOENT)
		log_error("Debian has no default mirror: set Mirror= in [Distribution] (or "
			  "--mirror)");
	else if (r < 0)
		log_error_errno(r, "cannot pick a mirror");
	return r;
}

static int setup_state(struct bootstrap *b)
{
	const struct recipe *rc = b->p.recipe;
	_cleanup_free_ char *mirror = NULL;
	struct apt_state *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	b->state = s;
	s->arch = rc->architecture;
	s->keyring = rc->repository_key; /* NULL: the distribution's standard keyring */
	s->merged_usr = apt_release_merged_usr(rc->distribution, rc->release);
	r = pick_mirror(b, s->arch, &mirror);
	if (r < 0 || !mirror)
		return r; /* no mirror: lock_read() takes the lock's sources */
	return add_sources(b, mirror);
}

/* The signed indexes of source i; -ENOENT (exit 2) names the suite and the way out. */
static int load_source(struct bootstrap *b, struct fetch *f, size_t i, struct apt_release **ret)
{
	const struct recipe *rc = b->p.recipe;
	struct bootstrap_source *bs = &b->sources[i];
	struct apt_release *rel = NULL;
	struct apt_source src = {
		.mirror = bs->mirror,
		.suite = bs->suite,
		.components = bs->components,
		.arch = state(b)->arch,
		.keyring = state(b)->keyring,
		.key_check = rc->repository_key_check != 0,
		.distribution = distribution_to_string(rc->distribution),
	};
	int r;

	r = apt_repo_load(f, &src, b->p.workdir, &rel);
	if (r == -ENOENT && i > 0)
		log_error("suite '%s' is not usable at '%s': set Updates=no in [Distribution] to "
			  "build from '%s' alone", bs->suite, bs->mirror, rc->release);
	if (r < 0)
		return r;
	bs->release_sha256 = rel->sha256 ? strdup(rel->sha256) : NULL;
	if (rel->sha256 && !bs->release_sha256) {
		apt_release_free(rel);
		return -ENOMEM;
	}
	*ret = rel;
	return 0;
}

/* Every index of every suite in one pool: the highest version of a package wins. */
static int load_and_solve(struct bootstrap *b, struct fetch *f, struct apt_release **rels,
			  const struct solve_request *req)
{
	_cleanup_free_ struct apt_index *all = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < b->n_sources; i++) {
		struct apt_index *more;

		r = load_source(b, f, i, &rels[i]);
		if (r < 0)
			return r;
		more = reallocarray(all, n + rels[i]->n_indexes + 1, sizeof(*all));
		if (!more)
			return -ENOMEM;
		all = more;
		memcpy(all + n, rels[i]->indexes, rels[i]->n_indexes * sizeof(*all));
		n += rels[i]->n_indexes;
	}
	return solve_deb(all, n, req, &b->set);
}

static int resolve_from_mirror(struct bootstrap *b)
{
	static char *const merged_extra[] = { (char *)"usr-is-merged", NULL };
	const struct recipe *rc = b->p.recipe;
	struct fetch_opts fo = { .cache_dir = b->p.cache_dir, .offline = b->p.offline };
	struct apt_state *s = state(b);
	_cleanup_free_ struct apt_release **rels = calloc(b->n_sources, sizeof(*rels));
	struct fetch *f = NULL;
	int r;
	struct solve_request req = {
		.arch = s->arch,
		.packages = rc->packages,
		.remove = rc->remove_packages,
		.extra = s->merged_usr ? merged_extra : NULL,
		.with_recommends = rc->with_recommends > 0,
	};
	if (!rels)
		return -ENOMEM;
	r = fetch_new(&fo, &f);
	if (r < 0)
		return log_error_errno(r, "cannot set up downloads");
	r = load_and_solve(b, f, rels, &req);
	if (r >= 0)
		log_info("resolved %zu packages from %s %s%s", b->set->n, b->sources[0].mirror,
			 rc->release, b->n_sources > 1 ? " (with -updates and -security)" : "");
	for (size_t i = 0; i < b->n_sources; i++)
		apt_release_free(rels[i]);
	fetch_free(f);
	return r;
}

static int apt_resolve(struct bootstrap *b)
{
	int r;

	r = setup_state(b);
	if (r < 0)
		return r;
	if (b->p.lock_path)
		return lock_read(b, b->p.lock_path);
	return resolve_from_mirror(b);
}

static int unpack_run(struct workqueue_item *item, void *userdata)
{
	struct unpack_job *j = (struct unpack_job *)item;
	struct unpacker *u = userdata;

	return deb_extract(j->path, u->root, u->filter, NULL);
}

static void unpack_release(struct workqueue_item *item)
{
	struct unpack_job *j = (struct unpack_job *)item;

	free(j->path);
	free(j);
}

static const struct workqueue_ops unpack_ops = { .run = unpack_run, .release = unpack_release };

static int unpacker_start(struct unpacker *u, const char *root, const char *const *filter)
{
	u->root = root;
	u->filter = filter;
	return workqueue_start(&u->q, &unpack_ops, u);
}

static int unpacker_add(struct unpacker *u, const char *path, const struct solve_pkg *pkg)
{
	struct unpack_job *j = calloc(1, sizeof(*j));

	if (!j || !(j->path = strdup(path))) {
		free(j);
		return -ENOMEM;
	}
	j->pkg = pkg;
	workqueue_push(&u->q, &j->item);
	return 0;
}

/* Wait for the queue to drain and the workers to end.  The first unpack error. */
static int unpacker_finish(struct unpacker *u, size_t *ret_done)
{
	struct workqueue_item *failed;
	int r = workqueue_finish(&u->q, &failed, ret_done);

	if (!failed)
		return 0;
	r = log_error_errno(r, "cannot unpack package '%s'",
			    ((struct unpack_job *)failed)->pkg->name);
	unpack_release(failed);
	return r;
}

/* "name_version_arch.deb" as apt names it (':' of an epoch escaped). */
static char *deb_name(const struct solve_pkg *p)
{
	_cleanup_free_ char *n = strjoin(DEBS_DIR "/", p->name, "_", p->version, "_", p->arch,
					 ".deb", NULL);
	char *out, *o;

	if (!n)
		return NULL;
	out = malloc(strlen(n) * 3 + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *c = n; *c; c++)
		o += *c == ':' ? sprintf(o, "%%3a") : sprintf(o, "%c", *c);
	return out;
}

static int copy_file(const char *from, const char *to)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return -errno;
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL)
		return -errno;
	/* Not between these file systems: plain reads and writes. */
	char buf[64 * 1024];
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return errno ? -errno : -EIO;
	return n < 0 ? -errno : 0;
}

/* Make the verified file visible inside the tree for dpkg: a hardlink into the cache, or a
 * copy when the cache is on another file system. */
static int place_deb(struct bootstrap *b, size_t i, const char *cache_path)
{
	struct apt_state *s = state(b);
	_cleanup_free_ char *host = strjoin(s->real_root, s->debs[i], NULL);

	if (!host)
		return -ENOMEM;
	(void)unlink(host);
	if (link(cache_path, host) == 0)
		return 0;
	return copy_file(cache_path, host);
}

static int on_fetched(const struct fetch_result *res)
{
	struct fetch_item *it = res->userdata;
	struct bootstrap *b = it->b;
	int r;

	r = place_deb(b, it->index, res->path);
	if (r < 0)
		return log_error_errno(r, "cannot place '%s' in the tree", res->path);
	r = workqueue_error(&it->u->q);
	if (r < 0)
		return r; /* stop the downloads, the build has failed */
	if (!b->set->pkgs[it->index].essential)
		return 0;
	return unpacker_add(it->u, res->path, &b->set->pkgs[it->index]);
}

static int fetch_and_unpack(struct bootstrap *b)
{
	struct fetch_opts fo = { .cache_dir = b->p.cache_dir, .offline = b->p.offline };
	_cleanup_free_ struct fetch_item *items = calloc(b->set->n, sizeof(*items));
	struct apt_state *s = state(b);
	struct fetch *f = NULL;
	struct unpacker u;
	size_t done = 0;
	int r, q;

	if (!items)
		return -ENOMEM;
	r = fetch_new(&fo, &f);
	if (r < 0)
		return log_error_errno(r, "cannot set up downloads");
	r = unpacker_start(&u, s->real_root,
			   b->p.recipe->with_docs == 0 ? apt_nodoc_filter : NULL);
	if (r < 0) {
		fetch_free(f);
		return log_error_errno(r, "cannot start unpacking threads");
	}
	for (size_t i = 0; r >= 0 && i < b->set->n; i++) {
		const struct solve_pkg *p = &b->set->pkgs[i];
		items[i] = (struct fetch_item){ .b = b, .u = &u, .index = i };
		r = fetch_add_blob(f, p->url, p->sha256, p->size, on_fetched, &items[i]);
	}
	if (r >= 0)
		r = fetch_run(f);
	q = unpacker_finish(&u, &done);
	fetch_free(f);
	if (r >= 0 && q < 0)
		r = q;
	if (r >= 0)
		log_info("fetched %zu packages, unpacked the %zu essential ones", b->set->n, done);
	return r;
}

static int init_debs(struct bootstrap *b)
{
	struct apt_state *s = state(b);
	char real[PATH_MAX];

	if (!realpath(b->p.root, real))
		return log_error_errno(-errno, "cannot resolve '%s'", b->p.root);
	s->real_root = strdup(real);
	s->debs = calloc(b->set->n + 1, sizeof(char *));
	if (!s->real_root || !s->debs)
		return -ENOMEM;
	for (size_t i = 0; i < b->set->n; i++)
		if (!(s->debs[i] = deb_name(&b->set->pkgs[i])))
			return -ENOMEM;
	return 0;
}

static void remove_debs(struct bootstrap *b)
{
	struct apt_state *s = state(b);

	for (size_t i = 0; s->debs && s->debs[i]; i++) {
		_cleanup_free_ char *host = strjoin(s->real_root, s->debs[i], NULL);
		if (host)
			(void)unlink(host);
	}
}

static int write_sources(struct bootstrap *b)
{
	_cleanup_free_ char **mirrors = calloc(b->n_sources + 1, sizeof(char *));
	_cleanup_free_ char **suites = calloc(b->n_sources + 1, sizeof(char *));

	if (!mirrors || !suites)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_sources; i++) {
		mirrors[i] = b->sources[i].mirror;
		suites[i] = b->sources[i].suite;
	}
	return apt_write_sources(state(b)->real_root, b->p.recipe->distribution, mirrors, suites,
				 b->sources[0].components);
}

static int apt_install(struct bootstrap *b)
{
	struct apt_state *s = state(b);
	_cleanup_free_ char *log_path = strjoin(b->p.workdir, "/dpkg.log", NULL);
	int r;

	if (!log_path)
		return -ENOMEM;
	/* What dpkg and mkimg create must not depend on the umask of whoever runs mkimg. */
	umask(022);
	r = init_debs(b);
	if (r < 0)
		return r;
	r = apt_prepare_root(s->real_root, s->merged_usr, s->arch);
	if (r >= 0 && b->p.recipe->with_docs == 0)
		r = apt_write_nodoc(s->real_root);
	if (r >= 0)
		r = fetch_and_unpack(b);
	if (r >= 0)
		r = apt_policy_rc_d_install(s->real_root, &s->policy_created);
	if (r >= 0)
		r = apt_run_dpkg(s->real_root, b->set, s->debs, log_path);
	if (r >= 0)
		r = apt_check_installed(s->real_root, b->set);
	remove_debs(b);
	if (r < 0)
		return r;
	r = write_sources(b);
	if (r < 0)
		return log_error_errno(r, "cannot write the image's apt sources");
	log_info("installed %zu packages", b->set->n);
	return 0;
}

static int apt_finish(struct bootstrap *b)
{
	struct apt_state *s = state(b);
	int r = 0;

	if (s->policy_created)
		r = apt_policy_rc_d_remove(s->real_root);
	if (r >= 0)
		r = apt_clean_root(s->real_root);
	return r;
}

static void apt_free_state(struct bootstrap *b)
{
	struct apt_state *s = state(b);

	if (!s)
		return;
	free(s->real_root);
	strv_free(s->debs);
	free(s);
	b->state = NULL;
}

const struct bootstrap_ops bootstrap_apt_ops = {
	.name = "apt",
	.resolve = apt_resolve,
	.install = apt_install,
	.finish = apt_finish,
	.free_state = apt_free_state,
};
