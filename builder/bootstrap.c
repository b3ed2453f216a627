/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bootstrap front: pick the backend for the distribution and call its steps. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "bootstrap.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"
#include "verbs.h"

static const struct bootstrap_ops *ops_for(enum distribution d)
{
	switch (d) {
	case DISTRO_DEBIAN:
	case DISTRO_UBUNTU:
		return &bootstrap_apt_ops;
	case DISTRO_CENTOS:
		return &bootstrap_rpm_ops;
	default:
		return NULL;
	}
}

bool bootstrap_supported(enum distribution d)
{
	if (ops_for(d))
		return true;
	log_error("Distribution=%s: building from packages is not available yet (debian, "
		  "ubuntu and centos are); use Distribution=none with BaseTrees=",
		  distribution_to_string(d));
	return false;
}

int bootstrap_exit_code(int r)
{
	switch (r) {
	case -ENOENT:
	case -EINVAL:
	case -EOPNOTSUPP:
		return EXIT_USAGE;
	case -EPERM:
		return EXIT_HOST;
	default:
		return EXIT_STEP_FAILED;
	}
}

char *bootstrap_lock_path(const struct recipe *r)
{
	return strjoin(r->files && r->files[0] ? r->files[0] : "mkimg.recipe", ".lock", NULL);
}

static uint64_t mem_available(void)
{
	_cleanup_free_ char *text = NULL;
	const char *p;
	uint64_t kib = 0;

	if (read_full_file("/proc/meminfo", &text, NULL) < 0)
		return 0;
	p = strstr(text, "MemAvailable:");
	if (p && sscanf(p, "MemAvailable: %" SCNu64, &kib) != 1)
		kib = 0;
	return kib * 1024;
}

void bootstrap_tree_in_memory(const char *root)
{
	const char *env = getenv("MKIMG_TMPFS");
	uint64_t avail = mem_available();
	char opts[64], sz[16];

	if (env && parse_bool(env) == 0)
		return;
	if (avail < (UINT64_C(4) << 30)) {
		log_debug("%s available: the tree stays on disk",
			  format_size(sz, sizeof(sz), avail));
		return;
	}
	snprintf(opts, sizeof(opts), "mode=0755,size=%" PRIu64, avail / 2);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("mkimg-tree", root, "tmpfs", 0, opts) < 0) {
		log_debug("cannot mount a tmpfs on '%s' (%m): the tree stays on disk", root);
		return;
	}
	log_debug("the tree is built in memory (tmpfs of at most %s; MKIMG_TMPFS=no: on disk)",
		  format_size(sz, sizeof(sz), avail / 2));
}

int bootstrap_new(const struct bootstrap_params *p, struct bootstrap **ret)
{
	const struct bootstrap_ops *ops = ops_for(p->recipe->distribution);
	struct bootstrap *b;

	if (!ops) {
		(void)bootstrap_supported(p->recipe->distribution);
		return -EOPNOTSUPP;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ops = ops;
	b->p = *p;
	*ret = b;
	return 0;
}

void bootstrap_free(struct bootstrap *b)
{
	if (!b)
		return;
	if (b->ops->free_state)
		b->ops->free_state(b);
	solve_set_free(b->set);
	for (size_t i = 0; i < b->n_sources; i++) {
		free(b->sources[i].mirror);
		free(b->sources[i].suite);
		strv_free(b->sources[i].components);
		free(b->sources[i].release_sha256);
	}
	free(b->sources);
	free(b);
}

int bootstrap_resolve(struct bootstrap *b)
{
	return b->ops->resolve(b);
}

int bootstrap_install(struct bootstrap *b)
{
	return b->ops->install(b);
}

int bootstrap_finish(struct bootstrap *b)
{
	return b->ops->finish(b);
}

void bootstrap_annotate_manifest(const struct bootstrap *b, struct manifest_info *info)
{
	for (size_t i = 0; i < info->n_packages; i++) {
		struct manifest_package *m = &info->packages[i];
		const struct solve_pkg *p = solve_set_find(b->set, m->name);
		if (!p || m->sha256 || !m->version || !streq(p->version, m->version))
			continue;
		m->sha256 = strdup(p->sha256); /* NULL on ENOMEM: the manifest says null */
	}
}

void bootstrap_log_tail(const char *path, unsigned lines)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	const char *p;
	unsigned n = 0;

	if (read_full_file(path, &data, &len) < 0 || len == 0)
		return;
	for (p = data + len - 1; p > data; p--)
		if (*p == '\n' && ++n > lines) {
			p++;
			break;
		}
	log_error("last lines of '%s':\n%s", path, p);
}
