/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bootstrap.h"
#include "build.h"
#include "content.h"
#include "fileio.h"
#include "log.h"
#include "manifest.h"
#include "sha256.h"
#include "strutil.h"
#include "verbs.h"

const char *host_arch(void)
{
	static const struct {
		const char *uname, *deb;
	} map[] = {
		{ "x86_64", "amd64" },	 { "aarch64", "arm64" },    { "i686", "i386" },
		{ "i586", "i386" },	 { "armv7l", "armhf" },	    { "riscv64", "riscv64" },
		{ "ppc64le", "ppc64el" }, { "s390x", "s390x" },
	};
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (streq(u.machine, map[i].uname))
			return map[i].deb;
	return u.machine;
}

static int parse_epoch(struct output_params *p)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");

	if (isempty(e))
		return 0;
	if (parse_int64(e, &p->epoch) < 0 || p->epoch < 0) {
		log_error("SOURCE_DATE_EPOCH='%s' is not a number of seconds since 1970", e);
		return -EINVAL;
	}
	p->have_epoch = true;
	return 0;
}

/*
 * Seed= or --seed wins.  Without one, a build with SOURCE_DATE_EPOCH derives the seed from the
 * effective recipe, so "same recipe + same epoch" is reproducible out of the box; otherwise it
 * is random, like mkosi's.
 */
static int pick_seed(struct build *b)
{
	const struct recipe *r = b->recipe;

	if (r->have_seed) {
		memcpy(b->params.seed, r->seed, 16);
	} else if (b->params.have_epoch) {
		_cleanup_free_ char *text = recipe_format(r);
		char hex[65];
		if (!text)
			return -ENOMEM;
		sha256_buffer(text, strlen(text), hex);
		for (int i = 0; i < 16; i++)
			sscanf(hex + 2 * i, "%2hhx", &b->params.seed[i]);
	} else if (getrandom(b->params.seed, 16, 0) != 16) {
		return -errno;
	}
	uuid_format(b->params.seed, b->seed_str);
	return 0;
}

static int prepare_output_paths(struct build *b, const char *output)
{
	_cleanup_free_ char *d = strdup(output), *n = strdup(output);
	const char *dir, *base;
	char pid[32];

	if (!d || !n)
		return -ENOMEM;
	dir = dirname(d);
	base = basename(n);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (!is_dir(dir)) {
		log_error("output directory '%s' does not exist", dir);
		return -ENOENT;
	}
	if (access(dir, W_OK) < 0) {
		log_error("output directory '%s' is not writable: %m", dir);
		return -EACCES;
	}
	if (path_exists(output) && !b->force) {
		log_error("output '%s' already exists (use --force to replace it)", output);
		return -EEXIST;
	}
	b->output = strdup(output);
	b->manifest = strjoin(output, ".manifest.json", NULL);
	b->tmp_output = strjoin(dir, "/.", base, ".mkimg-", pid, NULL);
	b->tmp_manifest = strjoin(dir, "/.", base, ".manifest.json.mkimg-", pid, NULL);
	if (!b->output || !b->manifest || !b->tmp_output || !b->tmp_manifest)
		return -ENOMEM;
	if (path_exists(b->manifest) && !b->force) {
		log_error("manifest '%s' already exists (use --force to replace it)", b->manifest);
		return -EEXIST;
	}
	return 0;
}

static int prepare_workspace(struct build *b, const char *workspace_dir)
{
	_cleanup_free_ char *lock = NULL;
	int r;

	r = mkdir_p(workspace_dir, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot create workspace directory '%s'", workspace_dir);
	b->workspace = strjoin(workspace_dir, "/mkimg.XXXXXX", NULL);
	if (!b->workspace)
		return -ENOMEM;
	if (!mkdtemp(b->workspace)) {
		r = -errno;
		free(b->workspace);
		b->workspace = NULL;
		return log_error_errno(r, "cannot create a workspace in '%s'", workspace_dir);
	}
	/* Held until we exit: "mkimg clean" removes only workspaces nobody holds. */
	lock = strjoin(b->workspace, "/.lock", NULL);
	b->root = strjoin(b->workspace, "/root", NULL);
	if (!lock || !b->root)
		return -ENOMEM;
	b->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (b->lock_fd < 0 || flock(b->lock_fd, LOCK_EX) < 0)
		return log_error_errno(-errno, "cannot lock workspace '%s'", b->workspace);
	if (mkdir(b->root, 0755) < 0)
		return log_error_errno(-errno, "cannot create '%s'", b->root);
	return 0;
}

static int resolve_output(const struct recipe *r, char **ret)
{
	char cwd[PATH_MAX];

	if (r->output[0] == '/')
		*ret = strdup(r->output);
	else if (getcwd(cwd, sizeof(cwd)))
		*ret = strjoin(cwd, "/", r->output, NULL);
	else
		return -errno;
	return *ret ? 0 : -ENOMEM;
}

int build_prepare(struct build *b, const struct recipe *r, const char *workspace_dir, bool force)
{
	_cleanup_free_ char *output = NULL;
	int q;

	*b = (struct build){ .recipe = r, .force = force, .lock_fd = -1 };
	b->ops = output_find(format_to_string(r->format));
	if (!b->ops) {
		log_error("output format '%s' has no writer", format_to_string(r->format));
		return EXIT_USAGE;
	}
	if (resolve_output(r, &output) < 0 || prepare_output_paths(b, output) < 0 ||
	    parse_epoch(&b->params) < 0)
		return EXIT_USAGE;
	q = pick_seed(b);
	if (q < 0)
		return log_error_errno(q, "cannot pick a seed"), EXIT_STEP_FAILED;
	if (prepare_workspace(b, workspace_dir) < 0)
		return EXIT_STEP_FAILED;

	b->params.tree_root = b->root;
	b->params.path = b->tmp_output;
	b->params.digest = &b->digest;
	b->params.arch = r->architecture ? r->architecture : host_arch();
	b->params.size = r->size;
	b->params.compression = r->compress < 0 ? COMPRESSION_NONE : (enum compression)r->compress;
	return 0;
}

void build_cleanup(struct build *b)
{
	int r;

	if (b->tmp_output)
		rm_rf(b->tmp_output);
	if (b->tmp_manifest)
		unlink(b->tmp_manifest);
	if (b->workspace) {
		r = rm_rf(b->workspace);
		if (r < 0)
			log_warning_errno(r, "cannot remove workspace '%s'", b->workspace);
	}
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	free(b->workspace);
	free(b->root);
	free(b->output);
	free(b->tmp_output);
	free(b->manifest);
	free(b->tmp_manifest);
	*b = (struct build){ .lock_fd = -1 };
}

/* Exit code for a failed content step, per the error contract in content.h. */
static int content_exit_code(int r)
{
	switch (r) {
	case -ENOENT:
	case -EINVAL:
		return EXIT_USAGE;
	case -EPERM:
		return EXIT_HOST;
	default:
		return EXIT_STEP_FAILED;
	}
}

static int write_output(struct build *b)
{
	struct tree *t = NULL;
	struct progress *p;
	char sz[32];
	int r;

	if (b->ops->needs_scan) {
		p = progress_begin("scan", "entries", 0);
		r = tree_scan(b->params.tree_root, &t);
		progress_end(p);
		if (r < 0)
			return log_error_errno(r, "cannot read the image tree '%s'",
					       b->params.tree_root);
		log_debug("tree: %zu entries, %" PRIu64 " inodes, %s in regular files", t->n_entries,
			  t->n_inodes, format_size(sz, sizeof(sz), t->total_bytes));
	}
	b->params.tree = t;
	p = progress_begin("write", b->ops->name, 0);
	r = b->ops->write(&b->params);
	progress_end(p);
	b->params.tree = NULL;
	tree_free(t);
	return r;
}

/* Replace an existing output (only reached with --force): files by rename(), directories by
 * exchanging them and removing the old tree afterwards. */
static int commit_rename(const char *from, const char *to)
{
	struct stat st;
	int r;

	if (lstat(to, &st) < 0 || !S_ISDIR(st.st_mode))
		return rename(from, to) < 0 ? -errno : 0;
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) < 0)
		return -errno;
	r = rm_rf(from); /* now the old output */
	if (r < 0)
		log_warning_errno(r, "cannot remove the replaced output, now at '%s'", from);
	return 0;
}

/* Output, then manifest; signals wait until both names are in place. */
static int commit(struct build *b)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	r = commit_rename(b->tmp_output, b->output);
	if (r < 0)
		log_error_errno(r, "cannot rename '%s' to '%s'", b->tmp_output, b->output);
	if (r >= 0) {
		r = rename(b->tmp_manifest, b->manifest) < 0 ? -errno : 0;
		if (r < 0)
			log_error_errno(r, "cannot rename '%s' to '%s'", b->tmp_manifest,
					b->manifest);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

/*
 * Like mkosi: base trees first, packages installed on top, then the content steps; the
 * package set is resolved before anything is copied, so a recipe error fails fast.
 */
static int build_tree(struct build *b, struct bootstrap *boot)
{
	const struct recipe *rc = b->recipe;
	int r;

	if (boot) {
		r = bootstrap_resolve(boot);
		if (r < 0)
			return bootstrap_exit_code(r);
	}
	r = content_base_trees(rc, b->root);
	if (r < 0)
		return content_exit_code(r);
	if (boot) {
		r = bootstrap_install(boot);
		if (r < 0)
			return bootstrap_exit_code(r);
	}
	r = content_apply(rc, b->root);
	if (r < 0)
		return content_exit_code(r);
	if (boot) {
		r = bootstrap_finish(boot);
		if (r < 0)
			return bootstrap_exit_code(r);
	}
	return 0;
}

static int fill_tree(struct build *b, struct manifest_info *info)
{
	struct bootstrap_params bp = { .recipe = b->recipe, .root = b->root,
				       .workdir = b->workspace, .cache_dir = b->cache_dir,
				       .lock_path = b->lock_path, .offline = b->offline };
	struct bootstrap *boot = NULL;
	int r;

	if (b->recipe->distribution != DISTRO_NONE) {
		r = bootstrap_new(&bp, &boot);
		if (r < 0)
			return bootstrap_exit_code(r);
		bootstrap_tree_in_memory(b->root);
	}
	r = build_tree(b, boot);
	/* Read what the tree says about itself before a writer may move it away. */
	if (r == 0 && manifest_collect(b->root, info) < 0) {
		log_error("cannot read the package database of the tree");
		r = EXIT_STEP_FAILED;
	}
	if (r == 0 && boot)
		bootstrap_annotate_manifest(boot, info);
	bootstrap_free(boot);
	return r;
}

/*
 * A recipe that only turns one existing directory into an image changes nothing in it, so the
 * writers can read that directory in place instead of a copy in the workspace.  (A directory
 * output is made by moving the workspace tree, so it always takes the copy.)
 */
static const char *tree_in_place(const struct recipe *r, const struct output_ops *ops)
{
	if (r->distribution != DISTRO_NONE || ops == &output_directory_ops ||
	    strv_length(r->base_trees) != 1 || !is_dir(r->base_trees[0]))
		return NULL;
	if (strv_length(r->extra_trees) || strv_length(r->enable_units) || r->hostname ||
	    r->password || r->timezone || r->locale || r->postinst_script)
		return NULL;
	return r->base_trees[0];
}

int build_run(struct build *b)
{
	const struct recipe *rc = b->recipe;
	struct manifest_info info = {};
	const char *in_place = tree_in_place(rc, b->ops);
	int r;

	log_info("building %s '%s' (seed %s)", b->ops->name, b->output, b->seed_str);
	if (in_place) {
		log_debug("reading '%s' in place: the recipe changes nothing in it", in_place);
		b->params.tree_root = in_place;
		r = manifest_collect(in_place, &info) < 0 ? EXIT_STEP_FAILED : 0;
		if (r)
			log_error("cannot read the package database of '%s'", in_place);
	} else {
		r = fill_tree(b, &info);
	}
	if (r != 0) {
		manifest_info_done(&info);
		return r;
	}
	r = write_output(b);
	if (r < 0) {
		manifest_info_done(&info);
		return r == -ENOSPC && rc->size ? EXIT_USAGE : EXIT_STEP_FAILED;
	}
	r = manifest_write(b, &info, b->tmp_manifest);
	manifest_info_done(&info);
	if (r < 0)
		return EXIT_STEP_FAILED;
	if (commit(b) < 0)
		return EXIT_STEP_FAILED;
	log_info("wrote '%s' and '%s'", b->output, b->manifest);
	log_json_event("result", "output", b->output, "manifest", b->manifest, "seed", b->seed_str,
		       NULL);
	return 0;
}
