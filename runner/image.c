/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Input detection.  The kernel's partition table parsers are not needed (and may be missing):
 * libblkid reads the table from the file and the root is later attached as a loop device at
 * the partition's offset and size.
 */
#include <archive.h>
#include <archive_entry.h>
#include <blkid/blkid.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image.h"
#include "log.h"
#include "strutil.h"

#define GPT_LINUX_GENERIC "0fc63daf-8483-4772-8e79-3d69d8477de4"

static const char *const root_fstypes[] = {
	"ext4", "ext3", "ext2", "xfs", "btrfs", "squashfs", "erofs",
};

const char *image_host_root_type(void)
{
#if defined(__x86_64__)
	return "4f68bce3-e8cd-4db1-96e7-fbcaf984b709";
#elif defined(__aarch64__)
	return "b921b045-1df0-41c3-af44-4c6f280d3fae";
#elif defined(__i386__)
	return "44479540-f297-41b2-9af7-d131d5f0458a";
#elif defined(__arm__)
	return "69dad710-2ce4-4e3c-b16c-21a1d49abed3";
#elif defined(__riscv) && __riscv_xlen == 64
	return "72ec70a6-cf74-40e6-bd49-4bda08e8f224";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "c31c45e6-3f39-412e-80fb-4809c4980599";
#elif defined(__s390x__)
	return "5eead9a9-fe09-4a1e-a1d7-520d00531306";
#elif defined(__loongarch64)
	return "77055800-792c-4f94-b39a-98c91b762bb6";
#else
	return NULL;
#endif
}

const char *input_kind_name(enum input_kind k)
{
	static const char *const names[] = {
		[INPUT_KIND_DISK] = "disk image",
		[INPUT_KIND_FS] = "file system image",
		[INPUT_KIND_DIRECTORY] = "directory",
		[INPUT_KIND_TARBALL] = "tarball",
	};
	return names[k];
}

int image_pick_root(const struct image_part *parts, size_t n, const char *root_type,
		    size_t *ret_index)
{
	size_t n_root = 0, n_generic = 0, i_root = 0, i_generic = 0;

	for (size_t i = 0; i < n; i++) {
		if (root_type && strcaseeq(parts[i].type, root_type)) {
			n_root++;
			i_root = i;
		} else if (strcaseeq(parts[i].type, GPT_LINUX_GENERIC) ||
			   streq(parts[i].type, "0x83")) {
			n_generic++;
			i_generic = i;
		}
	}
	if (n_root > 1)
		return -ENOTUNIQ;
	if (n_root == 1) {
		*ret_index = i_root;
		return 0;
	}
	if (n_generic > 1)
		return -ENOTUNIQ;
	if (n_generic == 0)
		return -ENOENT;
	*ret_index = i_generic;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int ext_sb_fs_size(const uint8_t sb[1024], uint64_t *ret)
{
	uint64_t blocks = le32(sb + 0x04);
	uint32_t log_bs = le32(sb + 0x18);

	if (sb[0x38] != 0x53 || sb[0x39] != 0xef || log_bs > 6)
		return -EINVAL;
	if (le32(sb + 0x60) & 0x80) /* INCOMPAT_64BIT */
		blocks |= (uint64_t)le32(sb + 0x150) << 32;
	*ret = blocks << (10 + log_bs);
	return 0;
}

char *image_describe_parts(const struct image_part *parts, size_t n)
{
	_cleanup_free_ char *out = strdup("");

	for (size_t i = 0; out && i < n; i++) {
		char sz[16], *line = NULL;

		format_size(sz, sizeof(sz), parts[i].size);
		if (asprintf(&line, "%s\n  partition %d: type %s, name '%s', %s at offset %" PRIu64,
			     out, parts[i].partno, parts[i].type, parts[i].name, sz,
			     parts[i].start) < 0)
			return NULL;
		free(out);
		out = line;
	}
	return steal_ptr(out);
}

static void blkid_probe_freep(blkid_probe *p)
{
	if (*p)
		blkid_free_probe(*p);
}

/* Partitions of the table in fd; *ret_n = 0 and pttype "" when there is none. */
static int read_parts(int fd, struct image_part **ret, size_t *ret_n, char pttype[16])
{
	_cleanup_(blkid_probe_freep) blkid_probe pr = blkid_new_probe();
	_cleanup_free_ struct image_part *parts = NULL;
	blkid_partlist ls;
	blkid_parttable tab;
	int n;

	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0)
		return -ENOMEM;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	pttype[0] = 0;
	*ret_n = 0;
	ls = blkid_probe_get_partitions(pr);
	tab = ls ? blkid_partlist_get_table(ls) : NULL;
	n = ls ? blkid_partlist_numof_partitions(ls) : 0;
	if (!tab || n < 0)
		return 0;
	snprintf(pttype, 16, "%s", blkid_parttable_get_type(tab));
	parts = calloc((size_t)n + 1, sizeof(*parts));
	if (!parts)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		blkid_partition p = blkid_partlist_get_partition(ls, i);
		const char *t = blkid_partition_get_type_string(p);
		const char *nm = blkid_partition_get_name(p);
		struct image_part *o = &parts[i];

		o->partno = blkid_partition_get_partno(p);
		if (t)
			snprintf(o->type, sizeof(o->type), "%s", t);
		else
			snprintf(o->type, sizeof(o->type), "0x%x", blkid_partition_get_type(p));
		for (char *c = o->type; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		snprintf(o->name, sizeof(o->name), "%s", nm ? nm : "");
		o->start = (uint64_t)blkid_partition_get_start(p) * 512;
		o->size = (uint64_t)blkid_partition_get_size(p) * 512;
	}
	*ret = steal_ptr(parts);
	*ret_n = (size_t)n;
	return 0;
}

/* The file system in fd at [offset, offset+size): 1 and fstype set, 0 none, -EUCLEAN ambiguous. */
static int probe_fs(int fd, uint64_t offset, uint64_t size, char fstype[32])
{
	_cleanup_(blkid_probe_freep) blkid_probe pr = blkid_new_probe();
	const char *type = NULL;
	int r;

	if (!pr || blkid_probe_set_device(pr, fd, (blkid_loff_t)offset, (blkid_loff_t)size) < 0)
		return -ENOMEM;
	blkid_probe_enable_partitions(pr, 0);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	r = blkid_do_safeprobe(pr);
	if (r == -2)
		return -EUCLEAN;
	if (r < 0)
		return -EIO;
	if (r == 1 || blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0 || !type)
		return 0;
	snprintf(fstype, 32, "%s", type);
	return 1;
}

static bool has_gpt_signature(int fd)
{
	char sig[8];

	return pread(fd, sig, sizeof(sig), 512) == (ssize_t)sizeof(sig) &&
	       memcmp(sig, "EFI PART", 8) == 0;
}

static bool looks_like_tarball(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	bool ok;

	if (!a)
		return false;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	ok = archive_read_open_filename(a, path, 65536) == ARCHIVE_OK &&
	     archive_read_next_header(a, &e) == ARCHIVE_OK;
	archive_read_free(a);
	return ok;
}

/* A problem with the input itself: said without an errno text, which would only confuse. */
_printf_(2, 3) static int bad_input(int err, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	log_error("%s", msg ? msg : fmt);
	return err;
}

static bool fstype_supported(const char *t)
{
	for (size_t i = 0; i < ELEMENTSOF(root_fstypes); i++)
		if (streq(t, root_fstypes[i]))
			return true;
	return false;
}

/* The file system at info->offset/size: there, supported, not larger than its container. */
static int check_fs(int fd, struct image_info *info, const char *what, int *ret_exit)
{
	uint8_t sb[1024];
	uint64_t fs_size;
	int r;

	r = probe_fs(fd, info->offset, info->size, info->fstype);
	if (r == -EUCLEAN)
		return bad_input(r, "%s: conflicting file system signatures", what);
	if (r < 0) {
		*ret_exit = EXIT_RUN_FAILED;
		return log_error_errno(r, "%s: cannot probe the file system", what);
	}
	if (r == 0)
		return bad_input(-EMEDIUMTYPE, "%s: no file system found", what);
	if (!fstype_supported(info->fstype))
		return bad_input(-EMEDIUMTYPE,
				       "%s: file system '%s' is not a supported root (ext4, ext3, "
				       "ext2, xfs, btrfs, squashfs, erofs)",
				       what, info->fstype);
	if (!startswith(info->fstype, "ext"))
		return 0;
	if (pread(fd, sb, sizeof(sb), (off_t)(info->offset + 1024)) != (ssize_t)sizeof(sb) ||
	    ext_sb_fs_size(sb, &fs_size) < 0)
		return bad_input(-EUCLEAN, "%s: damaged %s superblock", what, info->fstype);
	if (fs_size > info->size)
		return bad_input(-EUCLEAN,
				       "%s: the %s file system needs %" PRIu64
				       " bytes but only %" PRIu64 " are there (truncated image?)",
				       what, info->fstype, fs_size, info->size);
	return 0;
}

static int pick_partition(const char *path, struct image_part *parts, size_t n,
			  struct image_info *info)
{
	_cleanup_free_ char *list = image_describe_parts(parts, n);
	const char *rt = image_host_root_type();
	size_t idx;
	int r;

	r = image_pick_root(parts, n, rt, &idx);
	if (r == -ENOTUNIQ)
		return bad_input(r,
				       "image '%s': more than one partition could be the root, "
				       "give only one the root type %s:%s",
				       path, rt ? rt : "(none for this architecture)",
				       list ? list : "");
	if (r < 0)
		return bad_input(-ENOENT,
				       "image '%s': no root partition (type %s, or the only Linux "
				       "file system partition):%s",
				       path, rt ? rt : "(none for this architecture)",
				       n ? (list ? list : "") : " the partition table is empty");
	if (parts[idx].start + parts[idx].size > info->file_size)
		return bad_input(-EUCLEAN,
				       "image '%s': partition %d ends at byte %" PRIu64
				       " but the file has only %" PRIu64 " (truncated image?)",
				       path, parts[idx].partno, parts[idx].start + parts[idx].size,
				       info->file_size);
	info->offset = parts[idx].start;
	info->size = parts[idx].size;
	info->partno = parts[idx].partno;
	return 0;
}

static int inspect_file(int fd, struct image_info *info, int *ret_exit)
{
	_cleanup_free_ struct image_part *parts = NULL;
	_cleanup_free_ char *what = NULL;
	char pttype[16];
	size_t n;
	int r;

	r = read_parts(fd, &parts, &n, pttype);
	if (r < 0) {
		*ret_exit = EXIT_RUN_FAILED;
		return log_error_errno(r, "image '%s': cannot read the partition table",
				       info->path);
	}
	if (!*pttype && has_gpt_signature(fd))
		return bad_input(-EUCLEAN,
				       "image '%s': the GPT partition table is damaged (truncated "
				       "image?)",
				       info->path);
	if (*pttype && !streq(pttype, "gpt") && !streq(pttype, "dos"))
		return bad_input(-EMEDIUMTYPE, "image '%s': unsupported partition table '%s'",
				       info->path, pttype);
	if (*pttype) {
		info->kind = INPUT_KIND_DISK;
		r = pick_partition(info->path, parts, n, info);
		if (r < 0)
			return r;
		if (asprintf(&what, "image '%s' partition %d", info->path, info->partno) < 0)
			return -ENOMEM;
		return check_fs(fd, info, what, ret_exit);
	}
	info->kind = INPUT_KIND_FS;
	info->offset = 0;
	info->size = info->file_size;
	if (asprintf(&what, "image '%s'", info->path) < 0)
		return -ENOMEM;
	r = probe_fs(fd, 0, info->file_size, info->fstype);
	if (r > 0)
		return check_fs(fd, info, what, ret_exit);
	if (looks_like_tarball(info->path)) {
		info->kind = INPUT_KIND_TARBALL;
		return 0;
	}
	return bad_input(-EMEDIUMTYPE,
			       "'%s' is not a disk image (GPT), a file system image, a directory "
			       "or a tarball",
			       info->path);
}

static int ioctl_blk_size(int fd, uint64_t *ret)
{
	return ioctl(fd, BLKGETSIZE64, ret);
}

static void image_info_freep(struct image_info **p)
{
	image_info_free(*p);
}

static int check_hint(const char *path, enum input_hint hint, bool dir)
{
	if (hint == INPUT_DIRECTORY && !dir)
		return bad_input(-ENOTDIR, "'%s' (-D) is not a directory", path);
	if (hint == INPUT_IMAGE && dir)
		return bad_input(-EISDIR, "'%s' (-i) is a directory, use -D", path);
	return 0;
}

int image_inspect(const char *path, enum input_hint hint, struct image_info **ret, int *ret_exit)
{
	_cleanup_(image_info_freep) struct image_info *info = calloc(1, sizeof(*info));
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	*ret_exit = EXIT_USAGE;
	if (!info)
		return log_error_errno(-ENOMEM, "cannot inspect '%s'", path);
	info->path = realpath(path, NULL);
	if (!info->path)
		return log_error_errno(errno, "cannot find '%s'", path);
	fd = open(info->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return log_error_errno(errno, "cannot open '%s'", path);
	r = check_hint(path, hint, S_ISDIR(st.st_mode));
	if (r < 0)
		return r;
	if (S_ISDIR(st.st_mode)) {
		info->kind = INPUT_KIND_DIRECTORY;
	} else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		info->file_size = (uint64_t)st.st_size;
		if (S_ISBLK(st.st_mode) && ioctl_blk_size(fd, &info->file_size) < 0)
			return log_error_errno(errno, "cannot get the size of '%s'", path);
		r = inspect_file(fd, info, ret_exit);
		if (r < 0)
			return r;
	} else {
		return bad_input(-EMEDIUMTYPE, "'%s' is not a file or directory", path);
	}
	log_debug("'%s' is a %s%s%s", info->path, input_kind_name(info->kind),
		  info->fstype[0] ? " with " : "", info->fstype);
	*ret = steal_ptr(info);
	return 0;
}

void image_info_free(struct image_info *i)
{
	if (!i)
		return;
	free(i->path);
	free(i);
}
