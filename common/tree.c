/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "strutil.h"
#include "tree.h"

/* Hardlink detection: open addressing on (dev, ino) -> entry index. */
struct ino_map {
	struct ino_slot {
		dev_t dev;
		ino_t ino;
		size_t idx;
		bool used;
	} *slots;
	size_t cap, n;
};

static size_t ino_hash(dev_t dev, ino_t ino, size_t cap)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static int ino_map_grow(struct ino_map *m)
{
	struct ino_map nm = { .cap = m->cap ? m->cap * 2 : 1024 };

	nm.slots = calloc(nm.cap, sizeof(*nm.slots));
	if (!nm.slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].used)
			continue;
		size_t h = ino_hash(m->slots[i].dev, m->slots[i].ino, nm.cap);
		while (nm.slots[h].used)
			h = (h + 1) & (nm.cap - 1);
		nm.slots[h] = m->slots[i];
	}
	nm.n = m->n;
	free(m->slots);
	*m = nm;
	return 0;
}

/* Returns the index of the first entry with this inode, or stores idx and returns -1. */
static ssize_t ino_map_lookup_or_add(struct ino_map *m, dev_t dev, ino_t ino, size_t idx)
{
	size_t h;

	if ((m->n + 1) * 2 > m->cap && ino_map_grow(m) < 0)
		return -2;
	h = ino_hash(dev, ino, m->cap);
	for (; m->slots[h].used; h = (h + 1) & (m->cap - 1))
		if (m->slots[h].dev == dev && m->slots[h].ino == ino)
			return (ssize_t)m->slots[h].idx;
	m->slots[h] = (struct ino_slot){ .dev = dev, .ino = ino, .idx = idx, .used = true };
	m->n++;
	return -1;
}

static int cmp_xattr(const void *a, const void *b)
{
	return strcmp(((const struct xattr *)a)->name, ((const struct xattr *)b)->name);
}

void xattrs_free(struct xattr *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

static int xattr_read_one(const char *path, const char *name, struct xattr *ret)
{
	ssize_t sz;
	void *v;

	for (;;) {
		sz = lgetxattr(path, name, NULL, 0);
		if (sz < 0)
			return -errno;
		v = malloc(sz ? (size_t)sz : 1);
		if (!v)
			return -ENOMEM;
		ssize_t got = lgetxattr(path, name, v, (size_t)sz);
		if (got >= 0) {
			ret->name = strdup(name);
			ret->value = v;
			ret->size = (size_t)got;
			return ret->name ? 0 : -ENOMEM;
		}
		free(v);
		if (errno != ERANGE)
			return -errno;
	}
}

int xattrs_read(const char *path, struct xattr **ret, size_t *ret_n)
{
	_cleanup_free_ char *names = NULL;
	struct xattr *x = NULL;
	ssize_t len;
	size_t n = 0;
	int r;

	len = llistxattr(path, NULL, 0);
	if (len < 0)
		return (errno == ENOTSUP || errno == ENOSYS) ? (*ret = NULL, *ret_n = 0, 0) : -errno;
	if (len == 0) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	names = malloc((size_t)len);
	if (!names)
		return -ENOMEM;
	len = llistxattr(path, names, (size_t)len);
	if (len < 0)
		return -errno;
	for (char *p = names; p < names + len; p += strlen(p) + 1) {
		struct xattr *nx = realloc(x, (n + 1) * sizeof(*x));
		if (!nx) {
			xattrs_free(x, n);
			return -ENOMEM;
		}
		x = nx;
		r = xattr_read_one(path, p, &x[n]);
		if (r == -ENODATA)
			continue; /* removed under us */
		if (r < 0) {
			xattrs_free(x, n);
			return r;
		}
		n++;
	}
	qsort(x, n, sizeof(*x), cmp_xattr);
	*ret = x;
	*ret_n = n;
	return 0;
}

struct scan {
	struct tree *t;
	size_t cap;
	struct ino_map inodes;
	char *buf; /* "root/relpath" scratch */
	size_t buf_cap;
};

static int scan_fullpath(struct scan *s, const char *rel, const char **ret)
{
	size_t need = strlen(s->t->root) + strlen(rel) + 2;

	if (need > s->buf_cap) {
		char *nb = realloc(s->buf, need * 2);
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		s->buf_cap = need * 2;
	}
	snprintf(s->buf, s->buf_cap, "%s%s%s", s->t->root, *rel ? "/" : "", rel);
	*ret = s->buf;
	return 0;
}

static int scan_add(struct scan *s, char *rel, size_t parent, size_t *ret_idx)
{
	struct tree_entry *e;
	const char *full;
	int r;

	if (s->t->n_entries == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 4096;
		struct tree_entry *ne = realloc(s->t->entries, nc * sizeof(*ne));
		if (!ne) {
			free(rel);
			return -ENOMEM;
		}
		s->t->entries = ne;
		s->cap = nc;
	}
	e = &s->t->entries[s->t->n_entries];
	*e = (struct tree_entry){ .path = rel, .hardlink_of = -1, .parent = parent };
	e->name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	s->t->n_entries++;

	r = scan_fullpath(s, rel, &full);
	if (r < 0)
		return r;
	if (lstat(full, &e->st) < 0)
		return -errno;
	if (S_ISLNK(e->st.st_mode)) {
		e->link_target = calloc(1, (size_t)e->st.st_size + 1);
		if (!e->link_target)
			return -ENOMEM;
		ssize_t l = readlink(full, e->link_target, (size_t)e->st.st_size + 1);
		if (l < 0)
			return -errno;
		e->link_target[l] = 0;
	}
	if (!S_ISDIR(e->st.st_mode) && e->st.st_nlink > 1) {
		ssize_t first = ino_map_lookup_or_add(&s->inodes, e->st.st_dev, e->st.st_ino,
						      s->t->n_entries - 1);
		if (first == -2)
			return -ENOMEM;
		e->hardlink_of = first;
	}
	if (e->hardlink_of < 0) {
		s->t->n_inodes++;
		if (S_ISREG(e->st.st_mode))
			s->t->total_bytes += (uint64_t)e->st.st_size;
	}
	r = xattrs_read(full, &e->xattrs, &e->n_xattrs);
	if (r < 0)
		return r;
	*ret_idx = s->t->n_entries - 1;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_list_dir(struct scan *s, const char *rel, char ***ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	const char *full;
	struct dirent *de;
	int r;

	r = scan_fullpath(s, rel, &full);
	if (r < 0)
		return r;
	d = opendir(full);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof(char *));
			if (!nn)
				goto oom;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto oom;
		n++;
	}
	if (errno) {
		r = -errno;
		goto fail;
	}
	qsort(names, n, sizeof(char *), cmp_name);
	*ret = names;
	*ret_n = n;
	return 0;
oom:
	r = -ENOMEM;
fail:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int scan_dir(struct scan *s, size_t dir_idx)
{
	char **names = NULL;
	size_t n = 0, i;
	int r;

	r = scan_list_dir(s, s->t->entries[dir_idx].path, &names, &n);
	for (i = 0; r >= 0 && i < n; i++) {
		const char *dir = s->t->entries[dir_idx].path;
		char *rel = *dir ? strjoin(dir, "/", names[i], NULL) : strdup(names[i]);
		size_t idx;

		if (!rel) {
			r = -ENOMEM;
			break;
		}
		r = scan_add(s, rel, dir_idx, &idx);
		if (r >= 0 && S_ISDIR(s->t->entries[idx].st.st_mode))
			r = scan_dir(s, idx);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int tree_scan(const char *root, struct tree **ret)
{
	struct scan s = {};
	size_t idx;
	int r;

	s.t = calloc(1, sizeof(struct tree));
	if (!s.t)
		return -ENOMEM;
	s.t->root = strdup(root);
	if (!s.t->root) {
		tree_free(s.t);
		return -ENOMEM;
	}
	r = scan_add(&s, strdup(""), 0, &idx);
	if (r >= 0 && !S_ISDIR(s.t->entries[0].st.st_mode))
		r = -ENOTDIR;
	if (r >= 0)
		r = scan_dir(&s, 0);
	free(s.inodes.slots);
	free(s.buf);
	if (r < 0) {
		tree_free(s.t);
		return r;
	}
	*ret = s.t;
	return 0;
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_entries; i++) {
		free(t->entries[i].path);
		free(t->entries[i].link_target);
		xattrs_free(t->entries[i].xattrs, t->entries[i].n_xattrs);
	}
	free(t->entries);
	free(t->root);
	free(t);
}

int tree_open_entry(const struct tree *t, const struct tree_entry *e)
{
	_cleanup_free_ char *full = strjoin(t->root, "/", e->path, NULL);
	int fd;

	if (!full)
		return -ENOMEM;
	fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}
