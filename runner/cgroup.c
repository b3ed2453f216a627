/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"

#define CG_ROOT "/sys/fs/cgroup"

const char *cg_layout_name(enum cg_layout l)
{
	static const char *const names[] = {
		[CG_LAYOUT_NONE] = "none",
		[CG_LAYOUT_LEGACY] = "legacy",
		[CG_LAYOUT_HYBRID] = "hybrid",
		[CG_LAYOUT_UNIFIED] = "unified",
	};
	return names[l];
}

static bool fs_is(const char *path, long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

static enum cg_layout detect_layout(void)
{
	if (fs_is(CG_ROOT, CGROUP2_SUPER_MAGIC))
		return CG_LAYOUT_UNIFIED;
	if (!fs_is(CG_ROOT "/systemd", CGROUP_SUPER_MAGIC))
		return CG_LAYOUT_NONE;
	return fs_is(CG_ROOT "/unified", CGROUP2_SUPER_MAGIC) ? CG_LAYOUT_HYBRID
							       : CG_LAYOUT_LEGACY;
}

int cg_parse_self(const char *text, const char *v1name, char **ret)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n'), *c1 = strchr(line, ':'), *c2;

		if (c1 && c1 < nl && (c2 = strchr(c1 + 1, ':')) && c2 < nl) {
			size_t clen = (size_t)(c2 - c1 - 1);
			bool match = v1name ? (clen == strlen(v1name) &&
					       strncmp(c1 + 1, v1name, clen) == 0)
					    : (clen == 0 && c1 - line == 1 && line[0] == '0');
			if (match) {
				*ret = strndup(c2 + 1, (size_t)(nl - c2 - 1));
				return *ret ? 0 : -ENOMEM;
			}
		}
		line = *nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

/* The hierarchies a guest mounts: cgroup2, and name=systemd on v1/hybrid hosts. */
static void guest_views(struct cg_set *s)
{
	for (size_t i = 0; i < s->m->n && s->n < ELEMENTSOF(s->h); i++) {
		const struct cg_hierarchy *h = &s->m->h[i];
		const char *guest = NULL;

		if (h->v2)
			guest = s->layout == CG_LAYOUT_UNIFIED ? CG_ROOT : CG_ROOT "/unified";
		else if (h->name && streq(h->name, "name=systemd"))
			guest = CG_ROOT "/systemd";
		if (guest)
			s->h[s->n++] = (struct cg_hier){ .guest = guest, .v2 = h->v2, .path = h->path };
	}
}

int cg_prepare(struct cg_set *s, const char *name, bool boot, unsigned want)
{
	_cleanup_free_ char *self = NULL;
	int r;

	*s = CG_SET_NULL;
	s->layout = detect_layout();
	if (s->layout == CG_LAYOUT_NONE)
		return 0;
	r = read_full_file("/proc/self/cgroup", &self, NULL);
	if (r < 0)
		return r;
	r = cg_machine_new(CG_ROOT, self, name, 0, &s->m);
	if (r == -ENOMEDIUM) {
		s->layout = CG_LAYOUT_NONE;
		return 0;
	}
	if (r < 0)
		return r;
	cg_machine_keep(s->m, want, boot || s->layout == CG_LAYOUT_LEGACY);
	guest_views(s);
	return 0;
}

int cg_create(struct cg_set *s, const struct cg_limits *l)
{
	int r;

	if (!s->m)
		return cg_limits_any(l) ? log_error_ret(-EOPNOTSUPP, "cannot apply resource "
							"limits: no cgroup file system on this "
							"host") : 0;
	r = cg_machine_create(s->m, l);
	for (size_t i = 0; i < s->n; i++)
		s->h[i].created = true;
	return r;
}

int cg_open_v2(const struct cg_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->h[i].v2) {
			int fd = open(s->h[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			return fd < 0 ? -errno : fd;
		}
	return -ENOENT;
}

int cg_attach(const struct cg_set *s, pid_t pid, bool skip_v2)
{
	return s->m ? cg_machine_attach(s->m, pid, skip_v2) : 0;
}

int cg_remove_tree(const char *path)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	int r = 0;

	/* Processes of a dead PID namespace are reaped asynchronously: allow ~3 s. */
	for (unsigned i = 0; i < 300; i++) {
		r = cg_remove_dir(path, false, i % 20 == 19);
		if (r != -EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	if (r >= 0) {
		/* .../runimg/NAME: the shared parent goes when it is empty. */
		_cleanup_free_ char *parent = strndup(path, (size_t)(strrchr(path, '/') - path));

		if (parent && endswith(parent, "/runimg"))
			(void)rmdir(parent);
	}
	return r;
}

void cg_remove(struct cg_set *s)
{
	cg_machine_remove(s->m);
	for (size_t i = 0; i < s->n; i++)
		s->h[i].created = false;
}

void cg_set_done(struct cg_set *s)
{
	cg_machine_free(s->m); /* owns the paths of h[] */
	*s = CG_SET_NULL;
}
