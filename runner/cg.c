/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The machine's cgroups: host layout, delegation, creation in every hierarchy, removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cg.h"
#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"

static const struct {
	const char *v1, *v2;
} ctrl_names[_CG_CTRL_MAX] = {
	[CG_CTRL_CPU] = { "cpu", "cpu" },	     [CG_CTRL_CPUACCT] = { "cpuacct", NULL },
	[CG_CTRL_CPUSET] = { "cpuset", "cpuset" }, [CG_CTRL_MEMORY] = { "memory", "memory" },
	[CG_CTRL_PIDS] = { "pids", "pids" },	     [CG_CTRL_IO] = { "blkio", "io" },
};

const char *cg_ctrl_name(enum cg_ctrl c, bool v2)
{
	return v2 ? (ctrl_names[c].v2 ? ctrl_names[c].v2 : "cpu") : ctrl_names[c].v1;
}

int cg_exit_status(int r)
{
	switch (r) {
	case -EOPNOTSUPP:
	case -ENOMEDIUM:
		return 3;
	case -EINVAL:
	case -ERANGE:
		return 2;
	default:
		return 1;
	}
}

int cg_write(const char *dir, const char *file, const char *value)
{
	_cleanup_free_ char *p = strjoin(dir, "/", file, NULL);
	_cleanup_close_ int fd = -1;
	size_t len;

	if (!p)
		return -ENOMEM;
	fd = open(p, O_WRONLY | O_CLOEXEC | O_TRUNC);
	if (fd < 0)
		return -errno;
	len = strlen(value);
	if (write(fd, value, len) != (ssize_t)len)
		return negative_errno();
	return 0;
}

int cg_read(const char *dir, const char *file, char **ret)
{
	_cleanup_free_ char *p = strjoin(dir, "/", file, NULL), *text = NULL;
	size_t len;
	int r;

	if (!p)
		return -ENOMEM;
	if ((r = read_full_file(p, &text, &len)) < 0)
		return r;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = 0;
	*ret = steal_ptr(text);
	return 0;
}

bool cg_has(const char *dir, const char *file)
{
	_cleanup_free_ char *p = strjoin(dir, "/", file, NULL);

	return p && access(p, F_OK) == 0;
}

int cg_put(const struct cg_hierarchy *h, const char *file, const char *value, const char *what)
{
	int r;

	if (!cg_has(h->path, file))
		return log_error_ret(-EOPNOTSUPP, "cannot limit %s: the kernel has no '%s' in "
					     "cgroup '%s'", what, file, h->path);
	r = cg_write(h->path, file, value);
	if (r == -EINVAL || r == -ERANGE)
		return log_error_ret(-ERANGE, "cannot limit %s: the kernel refuses '%s' for '%s'",
					     what, value, file);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s' to '%s/%s'", value, h->path, file);
	return 0;
}

/* "/" + "x" -> "/x"; "/a" + "x" -> "/a/x" */
static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strjoin(a, n && a[n - 1] == '/' ? "" : "/", b[0] == '/' ? b + 1 : b, NULL);
}

static unsigned v1_mask(const char *controllers)
{
	_cleanup_free_ char *copy = strdup(controllers);
	unsigned mask = 0;
	char *save = NULL;

	if (!copy)
		return 0;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
		for (unsigned c = 0; c < _CG_CTRL_MAX; c++)
			if (streq(w, ctrl_names[c].v1))
				mask |= 1u << c;
	return mask;
}

static unsigned v2_mask(const char *controllers)
{
	_cleanup_free_ char *copy = strdup(controllers);
	unsigned mask = 0;
	char *save = NULL;

	if (!copy)
		return 0;
	for (char *w = strtok_r(copy, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		for (unsigned c = 0; c < _CG_CTRL_MAX; c++)
			if (ctrl_names[c].v2 && streq(w, ctrl_names[c].v2))
				mask |= 1u << c;
	return mask;
}

/* Where a v1 hierarchy is mounted: ROOT/cpu,cpuacct, ROOT/cpu, ROOT/systemd for name=systemd. */
static char *v1_mount(const char *root, const char *controllers)
{
	const char *named = startswith(controllers, "name=");
	_cleanup_free_ char *first = strndup(controllers, strcspn(controllers, ","));
	char *p;

	if (!first)
		return NULL;
	p = path_join(root, named ? named : controllers);
	if (p && !is_dir(p)) {
		free(p);
		p = path_join(root, first);
	}
	if (p && !is_dir(p)) {
		free(p);
		p = strdup("");
	}
	return p;
}

static char *v2_mount(const char *root)
{
	_cleanup_free_ char *unified = path_join(root, "unified");

	if (cg_has(root, "cgroup.controllers"))
		return strdup(root);
	if (unified && cg_has(unified, "cgroup.controllers"))
		return steal_ptr(unified);
	return strdup("");
}

static void hierarchy_done(struct cg_hierarchy *h)
{
	free(h->mount);
	free(h->name);
	free(h->own);
	free(h->base);
	free(h->path);
	strv_free(h->made);
}

static int add_hierarchy(struct cg_machine *m, const char *name, const char *own)
{
	struct cg_hierarchy *h, *nh = reallocarray(m->h, m->n + 1, sizeof(*m->h));
	_cleanup_free_ char *ctl = NULL;

	if (!nh)
		return -ENOMEM;
	m->h = nh;
	h = &m->h[m->n];
	*h = (struct cg_hierarchy){ .v2 = !name };
	h->mount = name ? v1_mount(m->root, name) : v2_mount(m->root);
	h->own = strdup(own);
	h->name = name ? strdup(name) : NULL;
	if (!h->mount || !h->own || (name && !h->name))
		goto fail;
	if (!*h->mount)
		goto skip; /* not mounted here */
	h->ops = h->v2 ? &cg_v2_ops : &cg_v1_ops;
	if (!h->v2)
		h->mask = v1_mask(name);
	else if (cg_read(h->mount, "cgroup.controllers", &ctl) == 0)
		h->mask = v2_mask(ctl);
	m->n++;
	return 0;
skip:
	hierarchy_done(h);
	return 0;
fail:
	hierarchy_done(h);
	return -ENOMEM;
}

/* Lines "ID:CONTROLLERS:PATH" of /proc/self/cgroup. */
static int parse_self(struct cg_machine *m, const char *text)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n'), *c1 = memchr(line, ':', (size_t)(nl - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		int r = 0;

		if (c2) {
			_cleanup_free_ char *name = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
			_cleanup_free_ char *own = strndup(c2 + 1, (size_t)(nl - c2 - 1));

			if (!name || !own)
				return -ENOMEM;
			/* "0::/path" is the v2 hierarchy; other empty names are not ours. */
			if (*name || (c1 == line + 1 && line[0] == '0'))
				r = add_hierarchy(m, *name ? name : NULL, *own ? own : "/");
			if (r < 0)
				return r;
		}
		line = *nl ? nl + 1 : NULL;
	}
	return 0;
}

static void map_controllers(struct cg_machine *m)
{
	for (unsigned c = 0; c < _CG_CTRL_MAX; c++)
		m->ctrl[c] = -1;
	m->main = -1;
	for (size_t i = 0; i < m->n; i++) {
		const struct cg_hierarchy *h = &m->h[i];

		for (unsigned c = 0; c < _CG_CTRL_MAX; c++)
			if ((h->mask & (1u << c)) && m->ctrl[c] < 0)
				m->ctrl[c] = (int)i;
		if (h->v2 || (m->main < 0 && h->name && streq(h->name, "name=systemd")))
			m->main = (int)i;
	}
	/* cgroup v2 has the CPU usage (cpu.stat) without the cpu controller. */
	if (m->ctrl[CG_CTRL_CPUACCT] < 0 && m->main >= 0 && m->h[m->main].v2)
		m->ctrl[CG_CTRL_CPUACCT] = m->main;
	if (m->main < 0 && m->n)
		m->main = 0;
}

static bool xattr_true(const char *path, const char *name)
{
	char v[8];
	ssize_t n = getxattr(path, name, v, sizeof(v) - 1);

	if (n <= 0)
		return false;
	v[n] = 0;
	return parse_bool(v) == 1;
}

/* Like systemd's cg_is_delegated(): the xattr its manager sets on a Delegate=yes unit. */
static bool is_delegated(const struct cg_machine *m)
{
	const struct cg_hierarchy *h = &m->h[m->main];
	_cleanup_free_ char *p = NULL;

	if (streq(h->own, "/"))
		return false;
	p = path_join(h->mount, h->own);
	return p && (xattr_true(p, "trusted.delegate") || xattr_true(p, "user.delegate"));
}

static int machine_paths(struct cg_machine *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++) {
		struct cg_hierarchy *h = &m->h[i];
		bool below_own = m->delegated && !streq(h->own, "/");
		_cleanup_free_ char *base = NULL;

		h->base = strdup(below_own ? h->own : "/runimg");
		base = h->base ? path_join(h->mount, h->base) : NULL;
		h->path = base ? path_join(base, below_own ? "payload" : name) : NULL;
		if (!h->path)
			return -ENOMEM;
	}
	return 0;
}

int cg_machine_new(const char *root, const char *self_cgroup, const char *name, unsigned flags,
		   struct cg_machine **ret)
{
	struct cg_machine *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->flags = flags;
	m->root = strdup(root ? root : CG_DEFAULT_ROOT);
	if (!m->root) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = parse_self(m, self_cgroup)) < 0)
		goto fail;
	map_controllers(m);
	if (!m->n) {
		r = -ENOMEDIUM;
		goto fail;
	}
	m->delegated = !(flags & CG_NO_DELEGATION_CHECK) && is_delegated(m);
	if ((r = machine_paths(m, name)) < 0)
		goto fail;
	*ret = m;
	return 0;
fail:
	cg_machine_free(m);
	return r;
}

void cg_machine_free(struct cg_machine *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		hierarchy_done(&m->h[i]);
	free(m->h);
	free(m->supervisor);
	free(m->root);
	free(m);
}

const char *cg_machine_path(const struct cg_machine *m, enum cg_ctrl c)
{
	return m && m->ctrl[c] >= 0 ? m->h[m->ctrl[c]].path : NULL;
}

bool cg_machine_is_v2(const struct cg_machine *m, enum cg_ctrl c)
{
	return m && m->ctrl[c] >= 0 && m->h[m->ctrl[c]].v2;
}

static int need(const struct cg_machine *m, enum cg_ctrl c, const char *what)
{
	if (m->ctrl[c] >= 0)
		return 0;
	return log_error_ret(-EOPNOTSUPP, "cannot limit %s: the '%s' cgroup controller is not "
				     "available on this host", what, cg_ctrl_name(c, m->main >= 0 &&
									      m->h[m->main].v2));
}

static int check_cpuset(const struct cg_machine *m, const struct cg_limits *l)
{
	const struct cg_hierarchy *h = &m->h[m->ctrl[CG_CTRL_CPUSET]];
	_cleanup_free_ char *text = NULL;
	cpu_set_t avail, extra;
	char want[256], have[256];

	if (cg_read(h->mount, h->v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus", &text) < 0 &&
	    cg_read(h->mount, "cpuset.cpus", &text) < 0)
		return 0; /* the kernel will tell */
	if (cg_parse_cpu_list(text, &avail) < 0)
		return 0;
	CPU_XOR(&extra, &l->cpuset, &avail);
	CPU_AND(&extra, &extra, &l->cpuset);
	if (CPU_COUNT(&extra) == 0)
		return 0;
	return log_error_ret(-ERANGE, "cannot use CPUs %s: not available on this host (it has %s)",
				     cg_format_cpu_list(&extra, want, sizeof(want)),
				     cg_format_cpu_list(&avail, have, sizeof(have)));
}

int cg_machine_check(const struct cg_machine *m, const struct cg_limits *l)
{
	bool mem = l->memory_max != CG_UNSET || l->memory_high != CG_UNSET ||
		   l->memory_swap_max != CG_UNSET;
	int r;

	if (mem && (r = need(m, CG_CTRL_MEMORY, "memory")) < 0)
		return r;
	if ((l->cpu_quota_usec != CG_UNSET || l->cpu_weight != CG_UNSET) &&
	    (r = need(m, CG_CTRL_CPU, "CPU time")) < 0)
		return r;
	if (l->has_cpuset && ((r = need(m, CG_CTRL_CPUSET, "CPUs")) < 0 ||
			      (r = check_cpuset(m, l)) < 0))
		return r;
	if (l->pids_max != CG_UNSET && (r = need(m, CG_CTRL_PIDS, "tasks")) < 0)
		return r;
	if (l->io_weight != CG_UNSET && (r = need(m, CG_CTRL_IO, "IO")) < 0)
		return r;
	if (l->memory_swap_max == CG_UNSET || cg_machine_is_v2(m, CG_CTRL_MEMORY))
		return 0;
	if (!cg_has(m->h[m->ctrl[CG_CTRL_MEMORY]].mount, "memory.memsw.limit_in_bytes"))
		return log_error_ret(-EOPNOTSUPP, "cannot limit swap: swap accounting is off on "
					     "this host (boot with swapaccount=1)");
	if (l->memory_swap_max != CG_MAX && (l->memory_max == CG_UNSET || l->memory_max == CG_MAX))
		return log_error_ret(-EINVAL, "a swap limit needs a memory limit on cgroup v1 "
					     "(memory.memsw is memory plus swap)");
	return 0;
}

/* Fixture trees: a new "cgroup" gets its parent's files, as the kernel would create them. */
static int fake_populate(const char *dir, const char *parent)
{
	_cleanup_closedir_ DIR *d = opendir(parent);

	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));) {
		_cleanup_free_ char *src = NULL, *dst = NULL, *text = NULL;
		int r;

		if (de->d_type != DT_REG)
			continue;
		src = path_join(parent, de->d_name);
		dst = path_join(dir, de->d_name);
		if (!src || !dst)
			return -ENOMEM;
		if ((r = read_full_file(src, &text, NULL)) < 0 || (r = write_file(dst, text, 0644)) < 0)
			return r;
	}
	return 0;
}

static char *parent_of(const char *dir)
{
	const char *slash = strrchr(dir, '/');

	return slash && slash != dir ? strndup(dir, (size_t)(slash - dir)) : strdup("/");
}

/* Create dir (existing is fine) and remember it for removal. */
static int make_dir(struct cg_machine *m, struct cg_hierarchy *h, const char *dir)
{
	_cleanup_free_ char *parent = parent_of(dir);
	bool made;
	int r;

	if (!parent)
		return -ENOMEM;
	made = mkdir(dir, 0755) == 0;
	if (!made && errno != EEXIST)
		return log_error_errno(errno, "cannot create cgroup '%s'", dir);
	if (!strv_contains(h->made, dir) && (r = strv_extend(&h->made, dir)) < 0)
		return r;
	if (made && (m->flags & CG_FAKE_FS) && (r = fake_populate(dir, parent)) < 0)
		return log_error_errno(r, "cannot populate '%s'", dir);
	if (h->ops->init_dir && (r = h->ops->init_dir(m, h, dir, parent)) < 0)
		return r;
	return 0;
}

/* Delegated v2: our own cgroup becomes an inner node, so runimg moves to OWN/supervisor. */
static int move_to_supervisor(struct cg_machine *m, struct cg_hierarchy *h, const char *own)
{
	char pid[32];
	int r;

	if (m->supervisor)
		return 0;
	m->supervisor = path_join(own, "supervisor");
	if (!m->supervisor)
		return -ENOMEM;
	if (mkdir(m->supervisor, 0755) < 0 && errno != EEXIST)
		return log_error_errno(errno, "cannot create cgroup '%s'", m->supervisor);
	if (m->flags & CG_FAKE_FS && (r = fake_populate(m->supervisor, own)) < 0)
		return r;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if ((r = cg_write(m->supervisor, "cgroup.procs", pid)) < 0)
		return log_error_errno(r, "cannot move runimg into cgroup '%s'", m->supervisor);
	return 0;
}

static int create_in(struct cg_machine *m, struct cg_hierarchy *h)
{
	_cleanup_free_ char *base = path_join(h->mount, h->base);
	const unsigned inner = (1u << CG_CTRL_CPU) | (1u << CG_CTRL_CPUSET) |
			       (1u << CG_CTRL_MEMORY) | (1u << CG_CTRL_PIDS) | (1u << CG_CTRL_IO);
	int r;

	if (!base)
		return -ENOMEM;
	if (streq(h->base, "/runimg")) {
		if ((r = h->ops->enable(m, h, h->mount, h->mask & inner)) < 0 ||
		    (r = make_dir(m, h, base)) < 0)
			return r;
	} else if (h->v2 && (h->mask & inner) && (r = move_to_supervisor(m, h, base)) < 0) {
		return r;
	}
	if ((r = h->ops->enable(m, h, base, h->mask & inner)) < 0)
		return r;
	return make_dir(m, h, h->path);
}

int cg_machine_create(struct cg_machine *m, const struct cg_limits *l)
{
	int r;

	if ((r = cg_machine_check(m, l)) < 0)
		return r;
	for (size_t i = 0; i < m->n; i++) {
		/* Another runimg may remove an empty /runimg between our mkdirs: try again. */
		for (unsigned attempt = 0;; attempt++) {
			r = create_in(m, &m->h[i]);
			if (r != -ENOENT || attempt == 3)
				break;
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < m->n; i++)
		if ((r = m->h[i].ops->apply(m, &m->h[i], l)) < 0)
			return r;
	return 0;
}

void cg_machine_keep(struct cg_machine *m, unsigned mask, bool systemd)
{
	size_t j = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct cg_hierarchy *h = &m->h[i];
		bool keep = h->v2 || (h->mask & mask) ||
			    (systemd && h->name && streq(h->name, "name=systemd"));

		if (keep)
			m->h[j++] = *h;
		else
			hierarchy_done(h);
	}
	m->n = j;
	map_controllers(m);
}

int cg_machine_attach(const struct cg_machine *m, pid_t pid, bool skip_v2)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)(pid ? pid : getpid()));
	for (size_t i = 0; i < m->n; i++) {
		int r;

		if (skip_v2 && m->h[i].v2)
			continue;
		r = cg_write(m->h[i].path, "cgroup.procs", buf);

		if (r < 0)
			return log_error_errno(r, "cannot move process %s into cgroup '%s'", buf,
					       m->h[i].path);
	}
	return 0;
}

static void kill_members(const char *dir)
{
	_cleanup_free_ char *text = NULL;

	if (cg_read(dir, "cgroup.procs", &text) < 0)
		return;
	for (char *p = text; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0)
			(void)kill((pid_t)pid, SIGKILL);
		p = end + strspn(end, "\n");
	}
}

/* Fixture trees: the files of dir, unless it has subdirectories (a shared /runimg). */
static void fake_clear(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, ".."))
			return;
	rewinddir(d);
	while ((de = readdir(d))) {
		_cleanup_free_ char *f = de->d_type == DT_REG ? path_join(dir, de->d_name) : NULL;
		if (f)
			(void)unlink(f);
	}
}

int cg_remove_dir(const char *dir, bool fake, bool kill_first)
{
	_cleanup_closedir_ DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	for (struct dirent *de; (de = readdir(d));) {
		_cleanup_free_ char *sub = NULL;

		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (!(sub = path_join(dir, de->d_name)))
			return -ENOMEM;
		(void)cg_remove_dir(sub, fake, kill_first);
	}
	if (fake)
		fake_clear(dir);
	if (kill_first)
		kill_members(dir);
	return rmdir(dir) == 0 || errno == ENOENT ? 0 : -errno;
}

/* The machine's cgroup and whatever the guest made below it.  Processes of a dead PID
 * namespace are reaped asynchronously: allow ~3 s, killing what is left now and then. */
static int remove_machine_dir(const char *dir, bool fake)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	int r = 0;

	if (cg_has(dir, "cgroup.kill") && !fake)
		(void)cg_write(dir, "cgroup.kill", "1");
	for (unsigned i = 0; i < 300; i++) {
		r = cg_remove_dir(dir, fake, i % 20 == 19);
		if (r != -EBUSY)
			return r;
		nanosleep(&pause, NULL);
	}
	return r;
}

void cg_machine_remove(struct cg_machine *m)
{
	if (!m)
		return;
	for (size_t i = m->n; i-- > 0;) {
		struct cg_hierarchy *h = &m->h[i];

		for (size_t j = strv_length(h->made); j-- > 0;) {
			const char *dir = h->made[j];
			int r;

			if (streq(dir, h->path))
				r = remove_machine_dir(dir, m->flags & CG_FAKE_FS);
			else { /* shared by other machines: only when empty */
				if (m->flags & CG_FAKE_FS)
					fake_clear(dir);
				r = rmdir(dir) == 0 || errno == ENOENT ? 0 : -errno;
			}
			if (r < 0 && r != -EBUSY && r != -ENOTEMPTY)
				log_warning_errno(r, "cannot remove cgroup '%s'", dir);
		}
		strv_free(h->made);
		h->made = NULL;
	}
}
