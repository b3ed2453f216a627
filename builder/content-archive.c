/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Extracting BaseTrees=/ExtraTrees= archives into the image tree with libarchive.
 *
 * Every member is placed at chase(parent)/name inside the tree, so symlinks already in the tree
 * (a merged-/usr "lib -> usr/lib" from a lower layer, or a hostile "etc -> /") are followed
 * relative to the tree's root, like GNU tar's --keep-directory-symlink but never out of the
 * tree.  libarchive's SECURE_* checks run on top, relative to the tree as the working directory.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "content-internal.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"

#define EXTRACT_FLAGS                                                                              \
	(ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |                     \
	 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |                    \
	 ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SECURE_NODOTDOT |                                \
	 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

/* Member name -> relative path without "." components; "" for the archive's root entry. */
static int clean_member(const char *name, char **ret)
{
	_cleanup_free_ char *out = NULL;
	const char *p = name;
	size_t n = 0;

	if (!name || name[0] == '/')
		return -EXDEV;
	out = malloc(strlen(name) + 1);
	if (!out)
		return -ENOMEM;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && strncmp(p, "..", 2) == 0)
			return -EXDEV;
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
		p += strspn(p, "/");
	}
	out[n] = '\0';
	*ret = steal_ptr(out);
	return 0;
}

/*
 * Where member name goes, relative to root (the extraction runs with root as cwd).  Parents
 * are resolved inside the tree, so "lib/x" lands in "usr/lib/x" when lib -> usr/lib; a
 * directory member whose path already resolves to a directory is merged into it.
 */
static int member_dest(const char *root, const char *target, const char *name, bool dir,
		       char **ret)
{
	_cleanup_free_ char *clean = NULL, *image = NULL, *host = NULL;
	size_t n = strlen(root);
	const char *rel;
	int r;

	r = clean_member(name, &clean);
	if (r < 0)
		return r;
	if (!*clean) {
		*ret = NULL; /* the root entry itself */
		return 0;
	}
	image = strjoin(streq(target, "/") ? "" : target, "/", clean, NULL);
	if (!image)
		return -ENOMEM;
	if (dir && chase_in_root(root, image, &host) >= 0 && is_dir(host))
		goto found;
	free(steal_ptr(host));
	r = content_chase_parent(root, image, true, &host);
	if (r < 0)
		return r;
found:
	if (strncmp(host, root, n) != 0 || (host[n] != '/' && host[n] != '\0'))
		return -EXDEV;
	rel = host + n + strspn(host + n, "/");
	*ret = strdup(*rel ? rel : ".");
	return *ret ? 0 : -ENOMEM;
}

struct extract {
	const char *archive, *root, *target;
	unsigned warnings;
	char *first_warning;
	bool have_top;
	struct stat top;	/* metadata of the archive's "./" entry, applied at the end */
};

static void extract_warn(struct extract *x, const char *name, const char *msg)
{
	log_debug("extracting '%s': member '%s': %s", x->archive, name, msg);
	if (x->warnings++ == 0)
		x->first_warning = strjoin("member '", name, "': ", msg, NULL);
}

static int extract_data(struct extract *x, struct archive *in, struct archive *out,
			const char *name)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	for (;;) {
		r = archive_read_data_block(in, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return content_fail(-EIO, "cannot read '%s': member '%s': %s", x->archive,
					    name, archive_error_string(in));
		if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
			return content_fail(-EIO, "cannot extract '%s': member '%s': %s",
					    x->archive, name, archive_error_string(out));
	}
}

/* Rewrite the member's paths to their destination, then write it. */
static int extract_entry(struct extract *x, struct archive *in, struct archive *out,
			 struct archive_entry *e)
{
	_cleanup_free_ char *dest = NULL, *link = NULL;
	const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
	bool dir = archive_entry_filetype(e) == AE_IFDIR;
	int r;

	if (!name)
		return content_fail(-EIO, "cannot extract '%s': a member name cannot be converted",
				    x->archive);
	r = member_dest(x->root, x->target, name, dir, &dest);
	if (r >= 0 && hl)
		r = member_dest(x->root, x->target, hl, false, &link);
	if (r == -EXDEV)
		return content_fail(r, "refusing to extract '%s': member '%s' points outside the "
				    "tree", x->archive, hl && dest ? hl : name);
	if (r < 0)
		return log_error_errno(r, "cannot extract '%s': member '%s'", x->archive, name);
	if (!dest) {
		if (dir) {
			x->have_top = true;
			x->top = *archive_entry_stat(e);
		}
		return 0;
	}
	archive_entry_set_pathname(e, dest);
	if (link)
		archive_entry_set_hardlink(e, link);

	r = archive_write_header(out, e);
	if (r < ARCHIVE_WARN)
		return content_fail(-EIO, "cannot extract '%s': member '%s': %s", x->archive, name,
				    archive_error_string(out));
	if (r == ARCHIVE_WARN)
		extract_warn(x, name, archive_error_string(out));
	if (archive_entry_size(e) > 0) { /* hardlinks too: cpio keeps the data on the last one */
		r = extract_data(x, in, out, name);
		if (r < 0)
			return r;
	}
	r = archive_write_finish_entry(out);
	if (r < ARCHIVE_WARN)
		return content_fail(-EIO, "cannot extract '%s': member '%s': %s", x->archive, name,
				    archive_error_string(out));
	if (r == ARCHIVE_WARN)
		extract_warn(x, name, archive_error_string(out));
	return 0;
}

static void restore_cwd(int *fd)
{
	if (*fd >= 0) {
		if (fchdir(*fd) < 0)
			log_warning("cannot return to the working directory: %m");
		close(*fd);
	}
}

static void archive_read_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static void archive_write_freep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}

static void apply_top(const struct extract *x, const char *host)
{
	struct timespec ts[2] = { x->top.st_mtim, x->top.st_mtim };

	if (!x->have_top)
		return;
	if (lchown(host, x->top.st_uid, x->top.st_gid) < 0 && geteuid() == 0)
		log_warning("cannot set the owner of '%s': %m", host);
	(void)chmod(host, x->top.st_mode & 07777);
	(void)utimensat(AT_FDCWD, host, ts, AT_SYMLINK_NOFOLLOW);
}

/* Extract the archive at path into the image directory target (which must exist). */
int content_extract_archive(const char *path, const char *root, const char *target)
{
	/* declared first, so restored last: freeing out applies libarchive's deferred directory
	 * fixups, by relative path, and that must happen inside the tree */
	_cleanup_(restore_cwd) int cwd = -1;
	_cleanup_(archive_read_freep) struct archive *in = NULL;
	_cleanup_(archive_write_freep) struct archive *out = NULL;
	_cleanup_free_ char *top = NULL;
	struct extract x = { .archive = path, .root = root, .target = target };
	struct archive_entry *e;
	int r;

	in = archive_read_new();
	out = archive_write_disk_new();
	if (!in || !out)
		return log_error_errno(-ENOMEM, "cannot extract '%s'", path);
	archive_read_support_filter_all(in);
	archive_read_support_format_all(in);
	archive_write_disk_set_options(out, EXTRACT_FLAGS);
	if (archive_read_open_filename(in, path, 64 * 1024) != ARCHIVE_OK)
		return content_fail(-EIO, "cannot read archive '%s': %s", path,
				    archive_error_string(in));
	r = chase_in_root(root, target, &top);
	if (r < 0)
		return log_error_errno(r, "cannot extract '%s' to '%s'", path, target);

	/* libarchive's SECURE_* checks work relative to the cwd, and so do our member paths */
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir(root) < 0)
		return log_error_errno(negative_errno(), "cannot enter '%s'", root);

	while ((r = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN)
			r = content_fail(-EIO, "cannot read archive '%s': %s", path,
					 archive_error_string(in));
		else
			r = extract_entry(&x, in, out, e);
		if (r < 0) {
			free(x.first_warning);
			return r;
		}
	}
	r = archive_write_close(out); /* applies deferred directory modes and times */
	apply_top(&x, top);
	if (x.warnings)
		log_warning("extracting '%s': %u warnings, first: %s", path, x.warnings,
			    x.first_warning ? x.first_warning : "?");
	free(x.first_warning);
	if (r < ARCHIVE_WARN)
		return content_fail(-EIO, "cannot extract '%s': %s", path,
				    archive_error_string(out));
	return 0;
}

