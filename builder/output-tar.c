/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Format=tar: the scanned tree as a pax tar archive (libarchive), optionally compressed.
 *
 * Choices, all for reproducible and widely readable archives:
 *  - "restricted pax": a plain ustar header per entry, plus a pax extended header only when
 *    ustar cannot say it (long names, ids > 2097151, sizes >= 8 GiB, times before 1970 or
 *    past 2038, xattrs, ACLs, non-ASCII names).  Any tar reads the plain entries; GNU tar,
 *    bsdtar and Python's tarfile read the extensions.  Full pax would add a header to every
 *    entry for nothing, since we store no atime/ctime.
 *  - Entries in tree order (depth first, siblings sorted bytewise), named like
 *    "tar -C root -c ." names them (and mkosi's tarballs): "./", "./usr/", "./usr/bin/x".
 *  - Numeric owners only (uid/gid, empty uname/gname); mtime in whole seconds, clamped to
 *    SOURCE_DATE_EPOCH; no atime, ctime or birth time.
 *  - xattrs as SCHILY.xattr.NAME records only (what GNU tar --xattrs writes and bsdtar reads);
 *    the LIBARCHIVE.xattr copies would make GNU tar warn about unknown keywords.
 *    security.capability is an xattr like any other.
 *  - POSIX ACLs (system.posix_acl_access/default xattrs in the tree) as SCHILY.acl.access /
 *    SCHILY.acl.default text with numeric ids, the form both `bsdtar --acls` and
 *    `tar --acls` restore.  As in bsdtar's archives, the header's group permission bits are
 *    then the ACL's owning-group entry, not the mask; restoring the ACL brings the mask back.
 *  - Names are converted with LC_CTYPE pinned to C.UTF-8 (libarchive converts pax header
 *    strings from the locale's charset to UTF-8): the archive does not depend on the locale
 *    mkimg runs in.  UTF-8 names get a pax "path" record; names that are not valid UTF-8 are
 *    stored as raw bytes with hdrcharset=BINARY, with a warning.
 *  - Hardlinks: the first member in tree order carries the data, later members are hardlink
 *    entries pointing at it.  Sparse files are stored dense: their hole layout depends on the
 *    filesystem the tree was built on, the output must not.  Sockets cannot be stored in tar
 *    and are skipped with a warning.
 *  - Compression: gzip level 6 with no name or timestamp in the gzip header; xz level 6 and
 *    zstd level 3, multi-threaded.  liblzma's and libzstd's multi-threaded encoders produce
 *    the same bytes for any thread count (xz: >= 2, zstd: >= 1; the single-threaded encoders
 *    differ), so the thread count follows the host's CPUs (up to 8) without making the output
 *    depend on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "log.h"
#include "output.h"
#include "sha256.h"
#include "strutil.h"

#define TAR_BUFFER_SIZE (1U << 20)

struct tar_writer {
	const struct output_params *p;
	struct archive *a;
	struct archive_entry *ae;
	char *buf;
	char *name; /* scratch for "./" + path */
	size_t name_cap;
	char *link; /* scratch for hardlink targets */
	size_t link_cap;
	uint64_t bytes_done;
	struct progress *progress;
	int fd;			     /* the archive file */
	struct sha256_stream *hash;  /* of what goes into it */
	uint64_t written;
};

static int tar_errno(struct tar_writer *w)
{
	int err = archive_errno(w->a);

	return err > 0 ? err : EIO;
}

static const char *tar_strerror(struct tar_writer *w)
{
	const char *msg = archive_error_string(w->a);

	return msg ? msg : "unknown error";
}

/* Log libarchive's error: "VERB tar 'OUT': why"; returns -errno. */
static int tar_error(struct tar_writer *w, const char *verb)
{
	return log_error_errno(tar_errno(w), "%s tar '%s': %s", verb, w->p->path, tar_strerror(w));
}

/* Log libarchive's error while writing entry path; returns -errno. */
static int tar_entry_error(struct tar_writer *w, const char *path)
{
	return log_error_errno(tar_errno(w), "cannot write '%s' into tar '%s': %s", path,
			       w->p->path, tar_strerror(w));
}

/* "./" + rel into *buf (growing it); the root is "./" itself. */
static const char *tar_name(char **buf, size_t *cap, const char *rel)
{
	size_t need = strlen(rel) + 3;

	if (need > *cap) {
		char *nb = realloc(*buf, need * 2);
		if (!nb)
			return NULL;
		*buf = nb;
		*cap = need * 2;
	}
	memcpy(*buf, "./", 2);
	memcpy(*buf + 2, rel, need - 2);
	return *buf;
}

/* POSIX ACL xattr value (linux/posix_acl_xattr.h): le32 version 2, then 8-byte entries. */
#define ACL_XATTR_VERSION 2
enum {
	ACL_TAG_USER_OBJ = 0x01,
	ACL_TAG_USER = 0x02,
	ACL_TAG_GROUP_OBJ = 0x04,
	ACL_TAG_GROUP = 0x08,
	ACL_TAG_MASK = 0x10,
	ACL_TAG_OTHER = 0x20,
};

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int acl_tag_to_archive(unsigned tag)
{
	switch (tag) {
	case ACL_TAG_USER_OBJ:
		return ARCHIVE_ENTRY_ACL_USER_OBJ;
	case ACL_TAG_USER:
		return ARCHIVE_ENTRY_ACL_USER;
	case ACL_TAG_GROUP_OBJ:
		return ARCHIVE_ENTRY_ACL_GROUP_OBJ;
	case ACL_TAG_GROUP:
		return ARCHIVE_ENTRY_ACL_GROUP;
	case ACL_TAG_MASK:
		return ARCHIVE_ENTRY_ACL_MASK;
	case ACL_TAG_OTHER:
		return ARCHIVE_ENTRY_ACL_OTHER;
	default:
		return -1;
	}
}

/* Add the ACL stored in a system.posix_acl_* xattr value to the archive entry. */
static int tar_add_acl(struct archive_entry *ae, int type, const struct xattr *x)
{
	const uint8_t *v = x->value;

	if (x->size < 4 || (x->size - 4) % 8 != 0 || le32(v) != ACL_XATTR_VERSION)
		return -EBADMSG;
	for (size_t off = 4; off < x->size; off += 8) {
		unsigned tag = (unsigned)v[off] | (unsigned)v[off + 1] << 8;
		unsigned perm = ((unsigned)v[off + 2] | (unsigned)v[off + 3] << 8) & 7;
		int atag = acl_tag_to_archive(tag);
		int id =
		    (tag == ACL_TAG_USER || tag == ACL_TAG_GROUP) ? (int)le32(v + off + 4) : -1;

		if (atag < 0)
			return -EBADMSG;
		/* ARCHIVE_ENTRY_ACL_READ/WRITE/EXECUTE are the same bits as the kernel's 4/2/1 */
		if (archive_entry_acl_add_entry(ae, type, (int)perm, atag, id, NULL) != ARCHIVE_OK)
			return -EINVAL;
	}
	return 0;
}

static int tar_add_xattrs(struct tar_writer *w, const struct tree_entry *e)
{
	/* libarchive emits xattrs in reverse order of addition: add them backwards, so the
	 * archive lists them sorted by name */
	for (size_t i = e->n_xattrs; i-- > 0;) {
		const struct xattr *x = &e->xattrs[i];
		int r = 0;

		if (streq(x->name, "system.posix_acl_access"))
			r = tar_add_acl(w->ae, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, x);
		else if (streq(x->name, "system.posix_acl_default"))
			r = tar_add_acl(w->ae, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT, x);
		else
			archive_entry_xattr_add_entry(w->ae, x->name, x->value, x->size);
		if (r < 0)
			return log_error_errno(r,
					       "malformed ACL '%s' on '%s', cannot write tar '%s'",
					       x->name, e->path, w->p->path);
	}
	return 0;
}

/* Fill w->ae from e; returns 1 if the entry is to be skipped. */
static int tar_fill_entry(struct tar_writer *w, const struct tree_entry *e)
{
	const struct tree *t = w->p->tree;
	const struct stat *st = &e->st;
	const char *name = tar_name(&w->name, &w->name_cap, e->path);

	if (!name)
		return log_error_errno(-ENOMEM, "cannot write tar '%s'", w->p->path);
	if (S_ISSOCK(st->st_mode)) {
		log_warning("tar '%s': skipping socket '%s', tar cannot store sockets", w->p->path,
			    e->path);
		return 1;
	}
	archive_entry_clear(w->ae);
	archive_entry_set_pathname(w->ae, name);
	archive_entry_set_mode(w->ae, st->st_mode);
	archive_entry_set_uid(w->ae, st->st_uid);
	archive_entry_set_gid(w->ae, st->st_gid);
	archive_entry_set_mtime(w->ae, output_clamp_time(w->p, st->st_mtim.tv_sec), 0);
	if (e->hardlink_of >= 0) {
		const char *target =
		    tar_name(&w->link, &w->link_cap, t->entries[e->hardlink_of].path);
		if (!target)
			return log_error_errno(-ENOMEM, "cannot write tar '%s'", w->p->path);
		archive_entry_set_hardlink(w->ae, target);
		archive_entry_set_size(w->ae, 0);
	} else if (S_ISREG(st->st_mode)) {
		archive_entry_set_size(w->ae, st->st_size);
	} else if (S_ISLNK(st->st_mode)) {
		archive_entry_set_symlink(w->ae, e->link_target);
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		archive_entry_set_rdevmajor(w->ae, major(st->st_rdev));
		archive_entry_set_rdevminor(w->ae, minor(st->st_rdev));
	}
	return tar_add_xattrs(w, e);
}

static int tar_copy_data(struct tar_writer *w, const struct tree_entry *e)
{
	_cleanup_close_ int fd = -1;
	uint64_t left = (uint64_t)e->st.st_size;

	fd = tree_open_entry(w->p->tree, e);
	if (fd < 0)
		return log_error_errno(fd, "cannot open '%s' for tar '%s'", e->path, w->p->path);
	if (left > TAR_BUFFER_SIZE)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (left > 0) {
		size_t want = left < TAR_BUFFER_SIZE ? (size_t)left : TAR_BUFFER_SIZE;
		ssize_t n = read(fd, w->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_error_errno(errno, "cannot read '%s' for tar '%s'", e->path,
					       w->p->path);
		if (n == 0)
			return log_error_errno(EIO, "'%s' shrank while writing tar '%s'", e->path,
					       w->p->path);
		if (archive_write_data(w->a, w->buf, (size_t)n) != n)
			return tar_entry_error(w, e->path);
		left -= (uint64_t)n;
		w->bytes_done += (uint64_t)n;
	}
	progress_update(w->progress, w->bytes_done >> 20);
	return 0;
}

static int tar_write_entry(struct tar_writer *w, const struct tree_entry *e)
{
	int r;

	r = tar_fill_entry(w, e);
	if (r != 0)
		return r < 0 ? r : 0;
	r = archive_write_header(w->a, w->ae);
	if (r < ARCHIVE_WARN)
		return tar_entry_error(w, e->path);
	if (r == ARCHIVE_WARN)
		log_warning("tar '%s': '%s': %s", w->p->path, e->path, archive_error_string(w->a));
	if (S_ISREG(e->st.st_mode) && e->hardlink_of < 0 && e->st.st_size > 0) {
		r = tar_copy_data(w, e);
		if (r < 0)
			return r;
	}
	if (archive_write_finish_entry(w->a) < ARCHIVE_OK)
		return tar_entry_error(w, e->path);
	return 0;
}

/* Set a libarchive option, logging which one failed. */
static int tar_option(struct tar_writer *w,
		      int (*set)(struct archive *, const char *, const char *, const char *),
		      const char *module, const char *option, const char *value)
{
	if (set(w->a, module, option, value) < ARCHIVE_OK)
		return log_error_errno(EINVAL, "cannot set option %s:%s for tar '%s': %s", module,
				       option, w->p->path, tar_strerror(w));
	return 0;
}

/* Threads for the compressor: min(online CPUs, 8), at least min_threads. */
static const char *tar_threads(char buf[static 8], long min_threads)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	n = n < min_threads ? min_threads : n > 8 ? 8 : n;
	snprintf(buf, 8, "%ld", n);
	return buf;
}

static int tar_setup_filter(struct tar_writer *w)
{
	char threads[8];

	switch (w->p->compression) {
	case COMPRESSION_NONE:
		return 0;
	case COMPRESSION_GZ:
		if (archive_write_add_filter_gzip(w->a) < ARCHIVE_OK)
			break;
		/* no mtime in the gzip header; libarchive never writes a file name */
		return tar_option(w, archive_write_set_filter_option, "gzip", "timestamp", NULL);
	case COMPRESSION_XZ:
		if (archive_write_add_filter_xz(w->a) < ARCHIVE_OK)
			break;
		return tar_option(w, archive_write_set_filter_option, "xz", "threads",
				  tar_threads(threads, 2));
	case COMPRESSION_ZSTD:
		if (archive_write_add_filter_zstd(w->a) < ARCHIVE_OK)
			break;
		return tar_option(w, archive_write_set_filter_option, "zstd", "threads",
				  tar_threads(threads, 1));
	}
	return log_error_errno(ENOTSUP, "compression for tar '%s' not available: %s", w->p->path,
			       tar_strerror(w));
}

/*
 * libarchive's output: to the file, and to the hashing thread, so that the manifest has the
 * archive's sha256 when it is written (nothing is read back).
 */
static la_ssize_t tar_out(struct archive *a, void *userdata, const void *buf, size_t len)
{
	struct tar_writer *w = userdata;
	const char *p = buf;

	for (size_t left = len; left > 0;) {
		ssize_t n = write(w->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			archive_set_error(a, errno, "write: %s", strerror(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	if (w->hash)
		(void)sha256_stream_feed(w->hash, buf, len);
	w->written += len;
	return (la_ssize_t)len;
}

static int tar_setup(struct tar_writer *w, int fd)
{
	int r;

	w->a = archive_write_new();
	w->ae = archive_entry_new();
	w->buf = malloc(TAR_BUFFER_SIZE);
	if (!w->a || !w->ae || !w->buf)
		return log_error_errno(-ENOMEM, "cannot write tar '%s'", w->p->path);
	if (archive_write_set_format_pax_restricted(w->a) < ARCHIVE_OK)
		return tar_error(w, "cannot set up");
	r = tar_option(w, archive_write_set_format_option, "pax", "xattrheader", "SCHILY");
	if (r < 0)
		return r;
	r = tar_setup_filter(w);
	if (r < 0)
		return r;
	/* 64 KiB writes; the last block is padded like tar(1) pads it (to 10240 bytes) */
	archive_write_set_bytes_per_block(w->a, 64 * 1024);
	archive_write_set_bytes_in_last_block(w->a, w->p->compression ? 1 : 10240);
	if (archive_write_open(w->a, w, NULL, tar_out, NULL) < ARCHIVE_OK)
		return tar_error(w, "cannot open");
	return 0;
}

static void tar_writer_done(struct tar_writer *w)
{
	if (w->a)
		archive_write_free(w->a);
	archive_entry_free(w->ae);
	free(w->buf);
	free(w->name);
	free(w->link);
	progress_end(w->progress);
}

static int tar_write_archive(const struct output_params *p)
{
	struct tar_writer w = {.p = p};
	_cleanup_close_ int fd = -1;
	int r;

	uint8_t d[32];

	fd = open(p->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return log_error_errno(errno, "cannot create tar '%s'", p->path);
	w.fd = fd;
	if (p->digest && sha256_stream_new(&w.hash) < 0)
		w.hash = NULL; /* the manifest reads the archive back instead */
	r = tar_setup(&w, fd);
	if (r < 0)
		goto out;
	w.progress = progress_begin("tar", "MiB", p->tree->total_bytes >> 20);
	for (size_t i = 0; i < p->tree->n_entries && r >= 0; i++)
		r = tar_write_entry(&w, &p->tree->entries[i]);
	if (r >= 0 && archive_write_close(w.a) < ARCHIVE_OK)
		r = tar_error(&w, "cannot finish");
	/* No fsync: the archive is an ordinary output file, renamed into place (as gpt_ext4). */
	if (r >= 0 && w.hash) {
		sha256_stream_finish(w.hash, d);
		w.hash = NULL;
		sha256_hex(d, p->digest->sha256);
		p->digest->size = w.written;
		p->digest->have = true;
	}
out:
	sha256_stream_abort(w.hash);
	tar_writer_done(&w);
	return r;
}

static int output_tar_write(const struct output_params *p)
{
	locale_t utf8, saved = (locale_t)0;
	int r;

	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		saved = uselocale(utf8);
	else
		log_debug("no C.UTF-8 locale, non-ASCII names in '%s' follow the current locale",
			  p->path);
	r = tar_write_archive(p);
	if (utf8) {
		uselocale(saved);
		freelocale(utf8);
	}
	return r;
}

const struct output_ops output_tar_ops = {
    .name = "tar",
    .needs_scan = true,
    .write = output_tar_write,
};
