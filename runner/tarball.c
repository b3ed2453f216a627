/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Three layers keep members inside the tree: our own checks (absolute names, "..", a parent
 * that is a symlink), libarchive's SECURE_* flags, and the extracting process being chrooted
 * into the new tree, so that even a missed trick cannot write anywhere else.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "settings.h"
#include "strutil.h"
#include "tarball.h"

#define EXTRACT_FLAGS                                                                              \
	(ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |                     \
	 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |                    \
	 ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SECURE_NODOTDOT |                                \
	 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

/* Exit statuses of the extracting child. */
enum { EXTRACT_OK = 0, EXTRACT_FAILED = 1, EXTRACT_HOSTILE = 2 };

static int name_check(const char *name)
{
	if (!name || name[0] == '/')
		return -EXDEV;
	for (const char *p = name; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -EXDEV;
		p += len;
		p += strspn(p, "/");
	}
	return 0;
}

int tar_member_check(const char *name, const char *hardlink)
{
	int r = name_check(name);

	if (r == 0 && hardlink)
		r = name_check(hardlink);
	return r;
}

/* 0 when no parent directory of name (relative to the cwd) is a symlink. */
static int parents_check(const char *name)
{
	char buf[PATH_MAX];
	struct stat st;

	if (strlen(name) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, name);
	for (char *s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		if (lstat(buf, &st) == 0 && S_ISLNK(st.st_mode))
			return -EXDEV;
		*s = '/';
	}
	return 0;
}

static int copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t len;
	int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, len, off) < ARCHIVE_OK)
			return ARCHIVE_FATAL;
	return r == ARCHIVE_EOF ? ARCHIVE_OK : r;
}

static int extract_member(struct archive *in, struct archive *out, struct archive_entry *e,
			  const char *tarball)
{
	const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);

	if (tar_member_check(name, hl) < 0 || parents_check(name) < 0 ||
	    (hl && parents_check(hl) < 0)) {
		log_error("tarball '%s': member '%s'%s%s would land outside the root, refusing",
			  tarball, name ? name : "", hl ? " linked to " : "", hl ? hl : "");
		return EXTRACT_HOSTILE;
	}
	if (archive_write_header(out, e) < ARCHIVE_OK || copy_data(in, out) < ARCHIVE_OK ||
	    archive_write_finish_entry(out) < ARCHIVE_OK) {
		log_error("tarball '%s': cannot extract '%s': %s", tarball, name,
			  archive_error_string(out) ? archive_error_string(out)
						    : archive_error_string(in));
		return EXTRACT_FAILED;
	}
	return EXTRACT_OK;
}

/* Runs in a child chrooted into the new tree; returns its exit status. */
static int extract_all(int fd, const char *tarball)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *e;
	int r = EXTRACT_OK, q;

	if (!in || !out)
		return EXTRACT_FAILED;
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_write_disk_set_options(out, EXTRACT_FLAGS);
	if (archive_read_open_fd(in, fd, 1 << 20) != ARCHIVE_OK) {
		log_error("tarball '%s': %s", tarball, archive_error_string(in));
		return EXTRACT_HOSTILE;
	}
	while (r == EXTRACT_OK && (q = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
		if (q < ARCHIVE_WARN) {
			log_error("tarball '%s': %s", tarball, archive_error_string(in));
			r = EXTRACT_HOSTILE;
			break;
		}
		r = extract_member(in, out, e, tarball);
	}
	if (r == EXTRACT_OK && archive_write_close(out) != ARCHIVE_OK)
		r = EXTRACT_FAILED;
	archive_read_free(in);
	archive_write_free(out);
	return r;
}

static int extract_in_child(const char *tarball, const char *dir)
{
	_cleanup_close_ int fd = open(tarball, O_RDONLY | O_CLOEXEC);
	int status;
	pid_t pid;

	if (fd < 0)
		return log_error_errno(errno, "cannot open '%s'", tarball), EXTRACT_FAILED;
	pid = fork();
	if (pid < 0)
		return log_error_errno(errno, "cannot fork"), EXTRACT_FAILED;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		umask(0);
		if (chroot(dir) < 0 || chdir("/") < 0) {
			log_error_errno(errno, "cannot enter '%s'", dir);
			_exit(EXTRACT_FAILED);
		}
		_exit(extract_all(fd, tarball));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXTRACT_FAILED;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXTRACT_FAILED;
}

static int extract_to_cache(const char *tarball, const char *base, const char *final,
			    const char *hex, int *ret_exit)
{
	_cleanup_free_ char *tmp = NULL;
	int r;

	if (asprintf(&tmp, "%s/.tmp-%s.%d", base, hex, (int)getpid()) < 0)
		return -ENOMEM;
	(void)rm_rf(tmp);
	if (mkdir(tmp, 0755) < 0)
		return log_error_errno(errno, "cannot create '%s'", tmp);
	log_info("extracting '%s' into the cache", tarball);
	r = extract_in_child(tarball, tmp);
	if (r != EXTRACT_OK) {
		(void)rm_rf(tmp);
		*ret_exit = r == EXTRACT_HOSTILE ? EXIT_USAGE : EXIT_RUN_FAILED;
		return -EINVAL;
	}
	if (rename(tmp, final) < 0) {
		/* Another runimg extracted the same tarball first: use its tree. */
		int saved = errno;
		(void)rm_rf(tmp);
		if (!is_dir(final))
			return log_error_errno(saved, "cannot rename '%s' to '%s'", tmp, final);
	}
	return 0;
}

int tarball_cache(const char *path, const char *cache_dir, char **ret_tree, int *ret_exit)
{
	_cleanup_free_ char *base = strjoin(cache_dir, "/tar", NULL), *final = NULL;
	char hex[65];
	int r;

	*ret_exit = EXIT_RUN_FAILED;
	if (!base)
		return -ENOMEM;
	r = sha256_file(path, hex);
	if (r < 0)
		return log_error_errno(r, "cannot read '%s'", path);
	final = strjoin(base, "/", hex, NULL);
	if (!final)
		return -ENOMEM;
	if (!is_dir(final)) {
		r = mkdir_p(base, 0700);
		if (r < 0)
			return log_error_errno(r, "cannot create '%s'", base);
		r = extract_to_cache(path, base, final, hex, ret_exit);
		if (r < 0)
			return r;
	}
	log_debug("tarball '%s' is cached in '%s'", path, final);
	*ret_tree = steal_ptr(final);
	return 0;
}

void tarball_sweep(const char *cache_dir)
{
	_cleanup_free_ char *base = strjoin(cache_dir, "/tar", NULL);
	_cleanup_closedir_ DIR *d = base ? opendir(base) : NULL;

	for (struct dirent *de; d && (de = readdir(d));) {
		const char *dot = startswith(de->d_name, ".tmp-") ? strrchr(de->d_name, '.') : NULL;
		_cleanup_free_ char *p = NULL;
		int pid;

		if (!dot || sscanf(dot + 1, "%d", &pid) != 1 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		p = strjoin(base, "/", de->d_name, NULL);
		if (p)
			(void)rm_rf(p);
	}
}
