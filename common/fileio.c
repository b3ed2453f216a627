/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileio.h"
#include "sha256.h"
#include "strutil.h"
#include "tree.h"

int read_full_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if (cap > (64U << 20))
				return -EFBIG;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = 0;
	*ret = steal_ptr(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const char *data, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
				      mode);

	if (fd < 0)
		return -errno;
	return write_all(fd, data, strlen(data));
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = strjoin(path, ".XXXXXX", NULL);
	_cleanup_close_ int fd = -1;
	int r;

	if (!tmp)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return is_dir(p) ? 0 : -ENOTDIR;
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0 || errno != ENOENT;
}

bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int rm_rf_at(int parent_fd, const char *name, dev_t dev)
{
	struct stat st;
	int r = 0;

	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (st.st_dev != dev)
		return -EBUSY; /* a mount point: never descend into other filesystems */

	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		int q = rm_rf_at(dirfd(d), de->d_name, dev);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return rm_rf_at(AT_FDCWD, path, st.st_dev);
}

/* Split off the first component of *todo (skipping slashes); NULL when none is left. */
static char *next_component(const char **todo)
{
	const char *p = *todo, *end;

	while (*p == '/')
		p++;
	if (!*p)
		return NULL;
	end = strchrnul(p, '/');
	*todo = end;
	return strndup(p, (size_t)(end - p));
}

int chase_in_root(const char *root, const char *path, char **ret)
{
	_cleanup_free_ char *done = strdup(""), *todo_buf = strdup(path);
	const char *todo = todo_buf;
	unsigned links = 0;
	char target[PATH_MAX];

	if (!done || !todo_buf)
		return -ENOMEM;
	for (;;) {
		_cleanup_free_ char *c = next_component(&todo), *cand = NULL, *host = NULL;
		ssize_t l;

		if (!c)
			break;
		if (streq(c, "."))
			continue;
		if (streq(c, "..")) {
			char *slash = strrchr(done, '/');
			if (slash)
				*slash = 0; /* ".." at the root stays at the root */
			continue;
		}
		cand = strjoin(done, "/", c, NULL);
		host = cand ? strjoin(root, cand, NULL) : NULL;
		if (!host)
			return -ENOMEM;
		l = readlink(host, target, sizeof(target) - 1);
		if (l < 0) {
			/* Not a symlink, or not there (yet): take it literally. */
			free(done);
			done = steal_ptr(cand);
			continue;
		}
		if (++links > 40)
			return -ELOOP;
		target[l] = 0;
		char *nt = strjoin(target, "/", todo, NULL);
		if (!nt)
			return -ENOMEM;
		free(todo_buf);
		todo = todo_buf = nt;
		if (target[0] == '/')
			done[0] = 0; /* absolute targets restart at the root */
	}
	*ret = strjoin(root, *done ? done : "/", NULL);
	return *ret ? 0 : -ENOMEM;
}

/* Feed len bytes of zeros: a hole costs hashing, but no read. */
static void sha256_zeros(struct sha256_ctx *c, const uint8_t *zeros, size_t zlen, off_t len)
{
	for (; len > 0; len -= (off_t)zlen)
		sha256_update(c, zeros, len < (off_t)zlen ? (size_t)len : zlen);
}

static int sha256_range(struct sha256_ctx *c, int fd, uint8_t *buf, size_t blen, off_t pos,
			off_t end)
{
	while (pos < end) {
		size_t want = end - pos < (off_t)blen ? (size_t)(end - pos) : blen;
		ssize_t n = pread(fd, buf, want, pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		sha256_update(c, buf, (size_t)n);
		pos += n;
	}
	return 0;
}

int sha256_file(const char *path, char hex[65])
{
	enum { BUF = 1 << 20 };
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL, *zeros = NULL;
	struct sha256_ctx c;
	struct stat st;
	uint8_t d[32];
	off_t pos = 0;
	int r = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	buf = malloc(BUF);
	zeros = calloc(1, BUF);
	if (!buf || !zeros || sha256_init(&c) < 0)
		return -ENOMEM;
	/* Sparse images are mostly holes: hash those from memory instead of reading them. */
	while (r >= 0 && pos < st.st_size) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;
		if (data < 0)
			data = errno == ENXIO ? st.st_size : pos;
		sha256_zeros(&c, zeros, BUF, data - pos);
		hole = data < st.st_size ? lseek(fd, data, SEEK_HOLE) : st.st_size;
		if (hole < 0)
			hole = st.st_size;
		r = sha256_range(&c, fd, buf, BUF, data, hole);
		pos = hole;
	}
	sha256_final(&c, d);
	if (r < 0)
		return r;
	sha256_hex(d, hex);
	return 0;
}

void sha256_buffer(const void *data, size_t len, char hex[65])
{
	struct sha256_ctx c;
	uint8_t d[32];

	if (sha256_init(&c) < 0) {
		hex[0] = 0;
		return;
	}
	sha256_update(&c, data, len);
	sha256_final(&c, d);
	sha256_hex(d, hex);
}
