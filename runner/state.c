/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fileio.h"
#include "ifspec.h"
#include "log.h"
#include "settings.h"
#include "state.h"
#include "strutil.h"
#include "veth.h"

static int open_dir(const char *state_dir)
{
	int r = mkdir_p(state_dir, 0755);

	if (r < 0)
		return r;
	r = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

/* Empty the entry directory dir_fd/name (one level: state, notify) and remove it. */
static void remove_entry(int dir_fd, const char *name)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						    O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;

	if (fd >= 0 && (d = fdopendir(fd)))
		fd = -1;
	for (struct dirent *de; d && (de = readdir(d));)
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	(void)unlinkat(dir_fd, name, AT_REMOVEDIR);
}

/* Remove one stale entry: we hold the lock of its state file through fd. */
static void sweep_entry(int dir_fd, const char *name, int fd)
{
	_cleanup_fclose_ FILE *f = NULL;
	int dup_fd = dup(fd);
	char line[4096];

	if (dup_fd >= 0 && !(f = fdopen(dup_fd, "r")))
		close(dup_fd);
	while (f && fgets(line, sizeof(line), f)) {
		const char *v;

		line[strcspn(line, "\n")] = 0;
		if ((v = startswith(line, "CGROUP=")) && startswith(v, "/sys/fs/cgroup/"))
			(void)cg_remove_tree(v);
	}
	if (name[0] != '.') {
		(void)veth_sweep(name);
		log_debug("removed the state of machine '%s' (its runimg is gone)", name);
	}
	remove_entry(dir_fd, name);
}

/*
 * 1 if the entry was stale and has been removed (or is not there), 0 if it is alive.  An
 * entry without a state file is being created or removed right now: left alone (0).
 */
static int try_sweep(int dir_fd, const char *name)
{
	_cleanup_free_ char *path = strjoin(name, "/state", NULL);
	_cleanup_close_ int fd = -1;
	struct stat a, b;

	if (!path)
		return -ENOMEM;
	fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return faccessat(dir_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 ? 1 : 0;
	if (fd < 0)
		return errno == ENOTDIR ? (unlinkat(dir_fd, name, 0), 1) : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : -errno;
	/* Still the same file under that name?  (Its owner may have replaced it meanwhile.) */
	if (fstat(fd, &a) < 0 || fstatat(dir_fd, path, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return 1;
	sweep_entry(dir_fd, name, fd);
	return 1;
}

int state_sweep_one(const char *state_dir, const char *name)
{
	_cleanup_close_ int dir_fd = open_dir(state_dir);

	if (dir_fd < 0)
		return dir_fd;
	return try_sweep(dir_fd, name);
}

/* Machines' entries, and the ".new-*" directories of runimgs killed while claiming a name. */
void state_sweep(const char *state_dir)
{
	_cleanup_close_ int dir_fd = open_dir(state_dir);
	_cleanup_closedir_ DIR *d = NULL;
	int fd2;

	if (dir_fd < 0 || (fd2 = dup(dir_fd)) < 0)
		return;
	d = fdopendir(fd2);
	if (!d) {
		close(fd2);
		return;
	}
	for (struct dirent *de; (de = readdir(d));)
		if (machine_name_valid(de->d_name) || startswith(de->d_name, ".new-"))
			(void)try_sweep(dir_fd, de->d_name);
}

char *state_interfaces(const struct netif_config *cfg, const char *machine, bool created)
{
	char *text = strdup("");

	for (size_t i = 0; created && text && i < cfg->n; i++) {
		struct netif_names names;
		char *next;

		if (netif_effective(&cfg->v[i], i, machine, &names) < 0)
			continue;
		next = strjoin(text, "INTERFACE=", cfg->v[i].name ? cfg->v[i].name : "-", " ",
			       names.host_name, " ", cfg->v[i].bridge ? cfg->v[i].bridge : "-",
			       "\n", NULL);
		free(text);
		text = next;
	}
	return text;
}

/*
 * The entry is made complete and locked in a directory of its own, then renamed to its name:
 * rename(2) does not replace a directory that has files in it, so of two runimgs claiming a
 * name one wins, and a reader never sees an entry without its state file.
 */
static int make_entry(int dir_fd, char tmp[static 24], int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	char path[40];
	uint32_t x;
	int r;

	for (unsigned i = 0;; i++) {
		if (getrandom(&x, sizeof(x), 0) != sizeof(x))
			return -EIO;
		snprintf(tmp, 24, ".new-%08x", x);
		if (mkdirat(dir_fd, tmp, 0755) == 0)
			break;
		if (errno != EEXIST || i > 8)
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/state", tmp);
	fd = openat(dir_fd, path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		r = -errno;
		remove_entry(dir_fd, tmp);
		return r;
	}
	*ret_fd = steal_fd(fd);
	return 0;
}

int state_claim(const char *state_dir, const char *name, struct machine_state *ret)
{
	_cleanup_close_ int dir_fd = open_dir(state_dir), fd = -1;
	char tmp[24];
	int r;

	if (dir_fd < 0)
		return dir_fd;
	if (!machine_name_valid(name))
		return -EINVAL;
	if ((r = make_entry(dir_fd, tmp, &fd)) < 0)
		return r;
	for (unsigned attempt = 0;; attempt++) {
		if (renameat(dir_fd, tmp, dir_fd, name) == 0)
			break;
		r = errno == ENOTEMPTY ? -EEXIST : -errno;
		if (r == -EEXIST && attempt == 0 && (r = try_sweep(dir_fd, name)) > 0)
			continue;
		remove_entry(dir_fd, tmp);
		return r == 0 ? -EEXIST : r;
	}
	ret->name = strdup(name);
	if (!ret->name) {
		remove_entry(dir_fd, name);
		return -ENOMEM;
	}
	ret->fd = steal_fd(fd);
	ret->dir_fd = steal_fd(dir_fd);
	return 0;
}

int state_write(struct machine_state *st, const char *content)
{
	size_t len = strlen(content);

	if (ftruncate(st->fd, 0) < 0)
		return -errno;
	if (pwrite(st->fd, content, len, 0) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

char *state_path(const struct machine_state *st, const char *state_dir, const char *file)
{
	return strjoin(state_dir, "/", st->name, "/", file, NULL);
}

void state_release(struct machine_state *st)
{
	if (st->name && st->dir_fd >= 0)
		remove_entry(st->dir_fd, st->name);
	if (st->fd >= 0)
		close(st->fd);
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	free(st->name);
	*st = MACHINE_STATE_NULL;
}

/* ---- reading the registry ------------------------------------------------------------------ */

void machine_entry_free(struct machine_entry *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->state);
	free(e->image);
	free(e->kind);
	free(e->mode);
	free(e->uuid);
	free(e->hostname);
	strv_free(e->cgroups);
	strv_free(e->interfaces);
	free(e->notify);
	free(e);
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int parse_pid(const char *v, pid_t *ret)
{
	uint64_t u;

	if (parse_uint64(v, &u) < 0 || u > INT32_MAX)
		return 0; /* garbage: treat as unknown */
	*ret = (pid_t)u;
	return 0;
}

static int parse_line(struct machine_entry *e, const char *line)
{
	const char *v;

	if ((v = startswith(line, "NAME=")))
		return set_str(&e->name, v);
	if ((v = startswith(line, "STATE=")))
		return set_str(&e->state, v);
	if ((v = startswith(line, "PID=")))
		return parse_pid(v, &e->pid);
	if ((v = startswith(line, "PID_START=")))
		return parse_uint64(v, &e->pid_start) < 0 ? 0 : 0;
	if ((v = startswith(line, "LEADER=")))
		return parse_pid(v, &e->leader);
	if ((v = startswith(line, "LEADER_START=")))
		return parse_uint64(v, &e->leader_start) < 0 ? 0 : 0;
	if ((v = startswith(line, "IMAGE=")))
		return set_str(&e->image, v);
	if ((v = startswith(line, "KIND=")))
		return set_str(&e->kind, v);
	if ((v = startswith(line, "MODE=")))
		return set_str(&e->mode, v);
	if ((v = startswith(line, "BOOT=")))
		return (e->boot = parse_bool(v) > 0), 0;
	if ((v = startswith(line, "UUID=")))
		return set_str(&e->uuid, v);
	if ((v = startswith(line, "HOSTNAME=")))
		return set_str(&e->hostname, v);
	if ((v = startswith(line, "NETNS=")))
		return (e->private_network = streq(v, "private")), 0;
	if ((v = startswith(line, "CGROUP=")))
		return strv_extend(&e->cgroups, v);
	if ((v = startswith(line, "INTERFACE=")))
		return strv_extend(&e->interfaces, v);
	if ((v = startswith(line, "NOTIFY=")))
		return set_str(&e->notify, v);
	return 0;
}

int state_parse(const char *text, struct machine_entry *e)
{
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		_cleanup_free_ char *line = strndup(l, n);
		int r;

		if (!line)
			return -ENOMEM;
		if ((r = parse_line(e, line)) < 0)
			return r;
		l += n + (l[n] == '\n');
	}
	return 0;
}

/* Read an open entry; alive unless we can take a shared lock on it. */
static int read_entry(int fd, const char *name, struct machine_entry **ret)
{
	struct machine_entry *e = calloc(1, sizeof(*e));
	_cleanup_free_ char *text = NULL;
	char path[64];
	int r;

	if (!e)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = read_full_file(path, &text, NULL);
	if (r >= 0)
		r = state_parse(text, e);
	if (r >= 0 && !e->name)
		r = set_str(&e->name, name);
	if (r < 0) {
		machine_entry_free(e);
		return r;
	}
	e->alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	if (!e->alive) {
		(void)flock(fd, LOCK_UN);
		if (set_str(&e->state, "stale") < 0) {
			machine_entry_free(e);
			return -ENOMEM;
		}
	} else if (!e->state && set_str(&e->state, e->leader > 0 ? "running" : "starting") < 0) {
		machine_entry_free(e);
		return -ENOMEM;
	}
	*ret = e;
	return 0;
}

int state_read(const char *state_dir, const char *name, struct machine_entry **ret)
{
	_cleanup_free_ char *path = strjoin(state_dir, "/", name, "/state", NULL);
	_cleanup_close_ int fd = -1;

	if (!path)
		return -ENOMEM;
	if (!machine_name_valid(name))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return read_entry(fd, name, ret);
}

void state_list_free(struct machine_entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		machine_entry_free(v[i]);
	free(v);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp((*(struct machine_entry *const *)a)->name,
		      (*(struct machine_entry *const *)b)->name);
}

int state_list(const char *state_dir, struct machine_entry ***ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct machine_entry **v = NULL;
	size_t n = 0;
	int r = 0;

	d = opendir(state_dir);
	if (!d && errno != ENOENT)
		return -errno;
	for (struct dirent *de; d && (de = readdir(d));) {
		struct machine_entry *e = NULL, **nv;

		if (!machine_name_valid(de->d_name))
			continue;
		r = state_read(state_dir, de->d_name, &e);
		if (r == -ENOENT || r == -ENOTDIR)
			continue; /* not an entry, or gone meanwhile */
		if (r < 0 || !(nv = realloc(v, (n + 1) * sizeof(*v)))) {
			machine_entry_free(e);
			state_list_free(v, n);
			return r < 0 ? r : -ENOMEM;
		}
		v = nv;
		v[n++] = e;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), entry_cmp);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- processes ------------------------------------------------------------------------------ */

int proc_start_time(pid_t pid, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	const char *p;
	unsigned long long start;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_full_file(path, &text, NULL) < 0)
		return -ESRCH;
	/* After the command name, which may contain anything: field 3 on. */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &start) != 1)
		return -EIO;
	*ret = start;
	return 0;
}

int pidfd_open_verified(pid_t pid, uint64_t start, int *ret)
{
	_cleanup_close_ int fd = -1;
	uint64_t now;

	if (pid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* The pidfd pins the process: if the start time matches now, it is the one we mean. */
	if (proc_start_time(pid, &now) < 0 || (start && now != start))
		return -ESRCH;
	*ret = steal_fd(fd);
	return 0;
}
