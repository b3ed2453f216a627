/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "deb.h"
#include "extract.h"
#include "fileio.h"
#include "strutil.h"

#define CONTROL_MAX (4U << 20)

/* A member of the outer ar archive, read as a stream by a second archive reader. */
struct member {
	struct archive *outer;
	char buf[64 * 1024];
};

static la_ssize_t member_read(struct archive *a, void *userdata, const void **ret)
{
	struct member *m = userdata;

	*ret = m->buf;
	return archive_read_data(m->outer, m->buf, sizeof(m->buf));
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static int open_member(struct member *m, struct archive **ret)
{
	struct archive *a = archive_read_new();

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open(a, m, NULL, member_read, NULL) != ARCHIVE_OK) {
		archive_read_free(a);
		return -EBADMSG;
	}
	*ret = a;
	return 0;
}

static int read_control_member(struct member *m, char **ret)
{
	_cleanup_(archive_freep) struct archive *a = NULL;
	struct archive_entry *e;
	int r;

	r = open_member(m, &a);
	if (r < 0)
		return r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		int64_t size = archive_entry_size(e);
		char *text;
		la_ssize_t n;

		if (!streq(p, "./control") && !streq(p, "control"))
			continue;
		if (size < 0 || size > CONTROL_MAX)
			return -EBADMSG;
		text = malloc(size + 1);
		if (!text)
			return -ENOMEM;
		n = archive_read_data(a, text, size);
		if (n != size) {
			free(text);
			return -EBADMSG;
		}
		text[size] = 0;
		*ret = text;
		return 0;
	}
	return -EBADMSG;
}

/*
 * Where an archive path lands on the host: the parent is resolved inside root (following the
 * tree's symlinks), the last component is taken as it is unless follow_last (directories: a
 * "bin/" entry meets the merged /usr's bin -> usr/bin link and lands in usr/bin).
 */
struct resolver {
	const char *root;
	char *last_parent, *last_host;	/* one-entry cache: entries come directory by directory */
};

static int resolve(struct resolver *rs, const char *path, bool follow_last, char **ret)
{
	_cleanup_free_ char *copy = strdup(path), *host = NULL;
	char *slash, *base;
	int r;

	if (!copy)
		return -ENOMEM;
	if (follow_last)
		return chase_in_root(rs->root, path, ret);
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (slash)
		*slash = 0;
	if (!*base || streq(base, ".") || streq(base, ".."))
		return -EBADMSG;
	if (!rs->last_parent || !streq(rs->last_parent, slash ? copy : "")) {
		r = chase_in_root(rs->root, slash ? copy : "/", &host);
		if (r < 0)
			return r;
		free(rs->last_parent);
		free(rs->last_host);
		rs->last_parent = strdup(slash ? copy : "");
		rs->last_host = steal_ptr(host);
		if (!rs->last_parent)
			return -ENOMEM;
	}
	*ret = strjoin(rs->last_host, endswith(rs->last_host, "/") ? "" : "/", base, NULL);
	return *ret ? 0 : -ENOMEM;
}

static bool filtered_out(const char *const *filter, const char *path)
{
	_cleanup_free_ char *abs = NULL;
	bool out = false;

	if (!filter)
		return false;
	while (*path == '.' && path[1] == '/')
		path++;
	abs = strjoin("/", path + strspn(path, "/"), NULL);
	if (!abs)
		return false;
	for (size_t i = 0; filter[i]; i++)
		if (fnmatch(filter[i] + 1, abs, 0) == 0)
			out = filter[i][0] == '-';
	return out;
}

static bool is_root_entry(const char *p)
{
	while (*p == '.' || *p == '/')
		p++;
	return !*p;
}

#define DEB_EXTRACT_FLAGS                                                                          \
	(ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |                     \
	 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT)

static int extract_entry(struct resolver *rs, struct archive *in, struct archive *out,
			 struct archive_entry *e)
{
	_cleanup_free_ char *host = NULL, *link = NULL;
	const char *hl = archive_entry_hardlink(e);
	int r;

	r = resolve(rs, archive_entry_pathname(e), archive_entry_filetype(e) == AE_IFDIR, &host);
	if (r >= 0 && hl)
		r = resolve(rs, hl, false, &link);
	if (r < 0)
		return r;
	archive_entry_set_pathname(e, host);
	if (link)
		archive_entry_set_hardlink(e, link);
	if (extract_write_header(out, e, DEB_EXTRACT_FLAGS) < ARCHIVE_WARN)
		return -EIO;
	if (archive_entry_size(e) > 0 && !link) {
		r = extract_copy_data(in, out);
		if (r < 0)
			return r;
	}
	return DISK_LOCKED(archive_write_finish_entry(out)) < ARCHIVE_WARN ? -EIO : 0;
}

static int extract_member(struct member *m, const char *root, const char *const *filter)
{
	_cleanup_(archive_freep) struct archive *a = NULL;
	struct resolver rs = { .root = root };
	struct archive_entry *e;
	struct archive *out;
	int r = 0, q;

	r = open_member(m, &a);
	if (r < 0)
		return r;
	out = DISK_LOCKED(archive_write_disk_new());
	if (!out)
		return -ENOMEM;
	while ((q = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (is_root_entry(archive_entry_pathname(e)) ||
		    filtered_out(filter, archive_entry_pathname(e)))
			continue;
		r = extract_entry(&rs, a, out, e);
		if (r < 0)
			break;
	}
	if (r >= 0 && q != ARCHIVE_EOF)
		r = -EBADMSG;
	if (DISK_LOCKED(archive_write_close(out)) != ARCHIVE_OK && r >= 0)
		r = -EIO;
	DISK_LOCKED(archive_write_free(out));
	free(rs.last_parent);
	free(rs.last_host);
	return r;
}

/* Walk the ar members; control and data are handled as they stream past. */
static int read_deb(const char *deb, const char *root, const char *const *filter,
		    char **ret_control)
{
	_cleanup_(archive_freep) struct archive *ar = archive_read_new();
	_cleanup_free_ struct member *m = calloc(1, sizeof(*m));
	_cleanup_free_ char *control = NULL;
	struct archive_entry *e;
	bool data = false;
	int r = 0;

	if (!ar || !m)
		return -ENOMEM;
	archive_read_support_format_ar(ar);
	if (archive_read_open_filename(ar, deb, 64 * 1024) != ARCHIVE_OK)
		return archive_errno(ar) > 0 ? -archive_errno(ar) : -EBADMSG;
	m->outer = ar;
	while (r >= 0 && archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (startswith(name, "control.tar") && ret_control && !control)
			r = read_control_member(m, &control);
		else if (startswith(name, "data.tar") && root) {
			r = extract_member(m, root, filter);
			data = true;
		}
		if (r >= 0 && control && !root)
			break;
	}
	if (r < 0)
		return r;
	if ((ret_control && !control) || (root && !data))
		return -EBADMSG;
	if (ret_control)
		*ret_control = steal_ptr(control);
	return 0;
}

int deb_extract(const char *deb, const char *root, const char *const *filter, char **ret_control)
{
	return read_deb(deb, root, filter, ret_control);
}

int deb_read_control(const char *deb, char **ret_control)
{
	return read_deb(deb, NULL, NULL, ret_control);
}

char *deb_control_field(const char *control, const char *name)
{
	size_t nl = strlen(name);

	for (const char *l = control; l && *l && *l != '\n';) {
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return strndup(v, strcspn(v, "\n"));
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return NULL;
}
