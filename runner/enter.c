/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "enter.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"

/* Does the comma-separated list have every item of want (also comma-separated)? */
static bool opts_have_all(const char *list, const char *want)
{
	for (const char *w = want; *w;) {
		size_t n = strcspn(w, ",");
		bool found = false;

		for (const char *l = list; *l && !found;) {
			size_t m = strcspn(l, ",");
			found = m == n && strncmp(l, w, n) == 0;
			l += m + (l[m] == ',');
		}
		if (!found)
			return false;
		w += n + (w[n] == ',');
	}
	return true;
}

/* One mountinfo line: root, mount point, fstype, super options (pointers into line, which
 * is modified). */
static bool split_mountinfo(char *line, char **root, char **mnt, char **type, char **super)
{
	char *f[6], *save = NULL, *dash;
	size_t n = 0;

	dash = strstr(line, " - ");
	if (!dash)
		return false;
	*dash = 0;
	for (char *t = strtok_r(line, " ", &save); t && n < ELEMENTSOF(f);
	     t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n < 5)
		return false;
	*root = f[3];
	*mnt = f[4];
	*type = strtok_r(dash + 3, " ", &save);
	(void)strtok_r(NULL, " ", &save); /* source */
	*super = strtok_r(NULL, " \n", &save);
	return *type && *super;
}

static bool mount_matches(const char *type, const char *super, const char *ctrls)
{
	if (!*ctrls)
		return streq(type, "cgroup2");
	return streq(type, "cgroup") && opts_have_all(super, ctrls);
}

int enter_cgroup_procs_path(const char *mountinfo, const char *cgroup_line, char **ret)
{
	const char *c1 = strchr(cgroup_line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	_cleanup_free_ char *ctrls = NULL, *copy = NULL;
	const char *path;

	if (!c2)
		return -EINVAL;
	ctrls = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	copy = strdup(mountinfo);
	if (!ctrls || !copy)
		return -ENOMEM;
	path = c2 + 1;
	for (char *l = copy, *next; l && *l; l = next) {
		char *root, *mnt, *type, *super;
		size_t rl;

		next = strchr(l, '\n');
		if (next)
			*next++ = 0;
		if (!split_mountinfo(l, &root, &mnt, &type, &super) ||
		    !mount_matches(type, super, ctrls))
			continue;
		rl = streq(root, "/") ? 0 : strlen(root);
		if (rl && (strncmp(path, root, rl) != 0 || (path[rl] && path[rl] != '/')))
			continue;
		*ret = strjoin(mnt, streq(path + rl, "/") ? "" : path + rl, "/cgroup.procs", NULL);
		return *ret ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static int find_cgroups(pid_t leader, struct enter_target *t)
{
	_cleanup_free_ char *mountinfo = NULL, *text = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)leader);
	if ((r = read_full_file(path, &text, NULL)) < 0 ||
	    (r = read_full_file("/proc/self/mountinfo", &mountinfo, NULL)) < 0)
		return r;
	for (char *l = text, *next; *l; l = next) {
		char *procs = NULL;

		next = l + strcspn(l, "\n");
		if (*next)
			*next++ = 0;
		r = enter_cgroup_procs_path(mountinfo, l, &procs);
		if (r == -ENOENT || r == -EINVAL)
			continue; /* a hierarchy nobody mounted */
		if (r < 0 || (r = strv_push(&t->cgroup_procs, procs)) < 0)
			return r;
	}
	return 0;
}

static int read_cap_bound(pid_t leader, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	const char *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)leader);
	if ((r = read_full_file(path, &text, NULL)) < 0)
		return r;
	p = strstr(text, "\nCapBnd:");
	if (!p || sscanf(p + 8, "%" SCNx64, ret) != 1)
		return -EIO;
	return 0;
}

static int differing_namespaces(pid_t leader)
{
	static const struct {
		const char *name;
		int flag;
	} ns[] = {
		{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },	 { "pid", CLONE_NEWPID },
		{ "uts", CLONE_NEWUTS },   { "ipc", CLONE_NEWIPC },	 { "net", CLONE_NEWNET },
		{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
	};
	int flags = 0;

	for (size_t i = 0; i < ELEMENTSOF(ns); i++) {
		char theirs[64], ours[64];
		struct stat a, b;

		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)leader, ns[i].name);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns[i].name);
		if (stat(theirs, &a) < 0 || stat(ours, &b) < 0)
			continue;
		if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
			flags |= ns[i].flag;
	}
	return flags;
}

int enter_prepare(const struct machine_entry *e, struct enter_target *ret)
{
	struct enter_target t = ENTER_TARGET_NULL;
	uint64_t start;
	int r;

	if (!e->alive || e->leader <= 0 ||
	    pidfd_open_verified(e->leader, e->leader_start, &t.pidfd) < 0)
		return -ESRCH;
	t.ns_flags = differing_namespaces(e->leader);
	r = find_cgroups(e->leader, &t);
	if (r >= 0)
		r = read_cap_bound(e->leader, &t.cap_bound);
	/* What we read under /proc/PID must still be that process's. */
	if (r >= 0 && (proc_start_time(e->leader, &start) < 0 || start != e->leader_start))
		r = -ESRCH;
	if (r < 0) {
		enter_target_done(&t);
		return r == -ESRCH ? r : log_error_errno(r, "cannot inspect machine '%s'", e->name);
	}
	*ret = t;
	return 0;
}

void enter_target_done(struct enter_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	strv_free(t->cgroup_procs);
	*t = ENTER_TARGET_NULL;
}

int enter_join(const struct enter_target *t)
{
	int max = (int)cap_max_bits(), r;

	for (char **p = t->cgroup_procs; p && *p; p++)
		if ((r = write_file(*p, "0", 0644)) < 0)
			return log_error_errno(r, "cannot join the machine's cgroup '%s'", *p);
	if (t->ns_flags && setns(t->pidfd, t->ns_flags) < 0)
		return log_error_errno(errno, "cannot join the machine's namespaces");
	/* After setns(): joining a user namespace gives a full bounding set. */
	for (int cap = 0; cap < max && cap < 64; cap++)
		if (!(t->cap_bound & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_DROP, cap) < 0 &&
		    errno != EINVAL)
			return log_error_errno(errno, "cannot reduce the capability bounding set");
	if (chdir("/") < 0)
		return log_error_errno(errno, "cannot change to the machine's root directory");
	return 0;
}
