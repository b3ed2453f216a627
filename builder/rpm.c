/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rpm file format (lead, signature header, header, payload) as far as mkimg needs it:
 *
 *	lead       96 bytes, magic ed ab ee db
 *	signature  a header structure, padded to 8 bytes
 *	header     8e ad e8 01, 4 reserved bytes, index count, store size (big endian),
 *	           16-byte index entries (tag, type, offset, count), the store
 *	payload    compressed cpio (newc)
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "extract.h"
#include "fileio.h"
#include "rpm.h"
#include "sha256.h"
#include "strutil.h"

#define LEAD_SIZE 96
#define TYPE_INT32 4
#define TYPE_STRING 6
#define TYPE_BIN 7
#define TYPE_STRING_ARRAY 8

enum {
	SIGTAG_DSAHEADER = 267,
	SIGTAG_RSAHEADER = 268,
	SIGTAG_PGP = 1002,
	SIGTAG_GPG = 1005,
	TAG_PAYLOADDIGEST = 5092,
	TAG_PAYLOADDIGESTALGO = 5093,
};

struct hdr {
	const uint8_t *start;	/* the magic */
	size_t size;		/* magic to end of store */
	uint32_t n;
	const uint8_t *index, *store;
	uint32_t store_size;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int parse_hdr(const uint8_t *p, size_t avail, struct hdr *h)
{
	static const uint8_t magic[] = { 0x8e, 0xad, 0xe8, 0x01 };

	if (avail < 16 || memcmp(p, magic, 4) != 0)
		return -EBADMSG;
	h->n = be32(p + 8);
	h->store_size = be32(p + 12);
	if (h->n > 1 << 16 || h->store_size > 1 << 28 ||
	    16 + (size_t)h->n * 16 + h->store_size > avail)
		return -EBADMSG;
	h->start = p;
	h->index = p + 16;
	h->store = h->index + (size_t)h->n * 16;
	h->size = 16 + (size_t)h->n * 16 + h->store_size;
	return 0;
}

/* The data of tag: pointer into the store and its length to the store's end. */
static const uint8_t *hdr_get(const struct hdr *h, uint32_t tag, uint32_t *type, uint32_t *count,
			      size_t *len)
{
	for (uint32_t i = 0; i < h->n; i++) {
		const uint8_t *e = h->index + 16 * i;
		uint32_t off = be32(e + 8);
		if (be32(e) != tag || off >= h->store_size)
			continue;
		*type = be32(e + 4);
		*count = be32(e + 12);
		*len = h->store_size - off;
		return h->store + off;
	}
	return NULL;
}

static const uint8_t *hdr_bin(const struct hdr *h, uint32_t tag, size_t *ret_len)
{
	uint32_t type, count;
	size_t len;
	const uint8_t *d = hdr_get(h, tag, &type, &count, &len);

	if (!d || type != TYPE_BIN || count > len)
		return NULL;
	*ret_len = count;
	return d;
}

/* A STRING or the first element of a STRING_ARRAY. */
static const char *hdr_string(const struct hdr *h, uint32_t tag)
{
	uint32_t type, count;
	size_t len;
	const uint8_t *d = hdr_get(h, tag, &type, &count, &len);

	if (!d || (type != TYPE_STRING && type != TYPE_STRING_ARRAY) || !memchr(d, 0, len))
		return NULL;
	return (const char *)d;
}

static int hdr_int32(const struct hdr *h, uint32_t tag, uint32_t *ret)
{
	uint32_t type, count;
	size_t len;
	const uint8_t *d = hdr_get(h, tag, &type, &count, &len);

	if (!d || type != TYPE_INT32 || count < 1 || len < 4)
		return -ENOENT;
	*ret = be32(d);
	return 0;
}

struct pkgfile {
	char *data;
	size_t len;
	struct hdr sig, main;
	const uint8_t *payload;
	size_t payload_len;
};

static int pkg_open(const char *path, struct pkgfile *p)
{
	static const uint8_t lead[] = { 0xed, 0xab, 0xee, 0xdb };
	const uint8_t *d;
	size_t off;
	int r;

	r = read_full_file(path, &p->data, &p->len);
	if (r < 0)
		return r;
	d = (const uint8_t *)p->data;
	if (p->len < LEAD_SIZE || memcmp(d, lead, 4) != 0)
		return -EBADMSG;
	r = parse_hdr(d + LEAD_SIZE, p->len - LEAD_SIZE, &p->sig);
	if (r < 0)
		return r;
	off = LEAD_SIZE + p->sig.size;
	off = (off + 7) & ~(size_t)7;
	if (off > p->len)
		return -EBADMSG;
	r = parse_hdr(d + off, p->len - off, &p->main);
	if (r < 0)
		return r;
	p->payload = p->main.start + p->main.size;
	p->payload_len = d + p->len - p->payload;
	return 0;
}

static int write_tmp(const char *dir, const char *tag, const char *suffix, const void *data,
		     size_t len, char **ret)
{
	_cleanup_free_ char *path = strjoin(dir, "/", tag, suffix, NULL);
	int r;

	if (!path)
		return -ENOMEM;
	r = write_file_atomic(path, data, len, 0600);
	if (r < 0)
		return r;
	*ret = steal_ptr(path);
	return 0;
}

/* gpgv over data with the binary signature sig; scratch files removed afterwards. */
static int gpgv_blob(const struct rpmmd_keys *k, const char *tag, const uint8_t *sig,
		     size_t sig_len, const void *data, size_t len, char **ret_reason)
{
	_cleanup_free_ char *sig_path = NULL, *data_path = NULL;
	int r;

	r = write_tmp(k->dir, tag, ".sig", sig, sig_len, &sig_path);
	if (r >= 0)
		r = write_tmp(k->dir, tag, ".data", data, len, &data_path);
	if (r >= 0)
		r = rpmmd_gpgv(k, tag, sig_path, data_path, ret_reason);
	if (sig_path)
		(void)unlink(sig_path);
	if (data_path)
		(void)unlink(data_path);
	return r;
}

static int check_payload_digest(const struct pkgfile *p, char **ret_reason)
{
	const char *want = hdr_string(&p->main, TAG_PAYLOADDIGEST);
	uint32_t algo = 0;
	char got[65];

	if (hdr_int32(&p->main, TAG_PAYLOADDIGESTALGO, &algo) < 0 || algo != 8 || !want) {
		*ret_reason = strdup("the payload digest is not sha256");
		return -EBADMSG;
	}
	sha256_buffer(p->payload, p->payload_len, got);
	if (!streq(got, want)) {
		*ret_reason = strjoin("the payload does not match the signed header (got ", got,
				      ", want ", want, ")", NULL);
		return -EBADMSG;
	}
	return 0;
}

int rpm_verify_signature(const char *path, const struct rpmmd_keys *k, const char *tag,
			 char **ret_reason)
{
	struct pkgfile p = {};
	const uint8_t *sig;
	size_t sig_len;
	int r;

	r = pkg_open(path, &p);
	if (r == -EBADMSG)
		*ret_reason = strdup("not a valid rpm file");
	if (r < 0)
		goto out;
	sig = hdr_bin(&p.sig, SIGTAG_RSAHEADER, &sig_len);
	if (!sig)
		sig = hdr_bin(&p.sig, SIGTAG_DSAHEADER, &sig_len);
	if (sig && hdr_string(&p.main, TAG_PAYLOADDIGEST)) {
		r = gpgv_blob(k, tag, sig, sig_len, p.main.start, p.main.size, ret_reason);
		if (r >= 0)
			r = check_payload_digest(&p, ret_reason);
		goto out;
	}
	/* Older packages: the signature over header and payload together. */
	sig = hdr_bin(&p.sig, SIGTAG_PGP, &sig_len);
	if (!sig)
		sig = hdr_bin(&p.sig, SIGTAG_GPG, &sig_len);
	if (!sig) {
		*ret_reason = strdup("the package is not signed");
		r = -EBADMSG;
		goto out;
	}
	r = gpgv_blob(k, tag, sig, sig_len, p.main.start,
		      p.main.size + p.payload_len, ret_reason);
out:
	free(p.data);
	return r;
}

/* "./usr/bin/x" -> "ROOT/usr/bin/x"; NULL for paths that would leave root. */
static char *in_root(const char *root, const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	if (!*name || streq(name, ".") || streq(name, "..") || startswith(name, "../") ||
	    strstr(name, "/../") || endswith(name, "/.."))
		return NULL;
	return strjoin(root, "/", name, NULL);
}

#define RPM_EXTRACT_FLAGS                                                                          \
	(ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |                     \
	 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |                                 \
	 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_UNLINK)

static int extract_entry(struct archive *a, struct archive *disk, struct archive_entry *e,
			 const char *root)
{
	_cleanup_free_ char *path = in_root(root, archive_entry_pathname(e));
	_cleanup_free_ char *link = NULL;
	const char *hl = archive_entry_hardlink(e);
	int r;

	if (!path)
		return -EBADMSG;
	archive_entry_set_pathname(e, path);
	if (hl) {
		link = in_root(root, hl);
		if (!link)
			return -EBADMSG;
		archive_entry_set_hardlink(e, link);
	}
	if (extract_write_header(disk, e, RPM_EXTRACT_FLAGS) != ARCHIVE_OK)
		return -EIO;
	r = archive_entry_size(e) > 0 ? extract_copy_data(a, disk) : 0;
	if (r < 0)
		return r;
	return DISK_LOCKED(archive_write_finish_entry(disk)) == ARCHIVE_OK ? 0 : -EIO;
}

static bool skipped(const char *name, const char *const *skip)
{
	while (name[0] == '.' && name[1] == '/')
		name++;
	for (; skip && *skip; skip++)
		if (startswith(name, *skip))
			return true;
	return false;
}

int rpm_extract(const char *path, const char *root, const char *const *skip)
{
	struct archive *a = archive_read_new(), *disk = DISK_LOCKED(archive_write_disk_new());
	struct archive_entry *e;
	int r = -ENOMEM, q;

	if (!a || !disk)
		goto out;
	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	r = archive_read_open_filename(a, path, 256 * 1024) == ARCHIVE_OK ? 0 : -EBADMSG;
	while (r >= 0 && (q = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (q != ARCHIVE_OK && q != ARCHIVE_WARN)
			r = -EBADMSG;
		else if (!skipped(archive_entry_pathname(e), skip))
			r = extract_entry(a, disk, e, root);
	}
out:
	if (disk)
		(void)DISK_LOCKED(archive_write_free(disk));
	if (a)
		archive_read_free(a);
	return r;
}
