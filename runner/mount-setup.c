/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "mount-setup.h"
#include "strutil.h"

int mount_make_slave(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return log_error_errno(errno, "cannot make the mounts private");
	return 0;
}

/* Mount flags to keep when remounting a bind mount read-only. */
static unsigned long kept_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	return f;
}

static int make_read_only(const char *path, bool recursive)
{
#ifdef SYS_mount_setattr
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr,
		    sizeof(attr)) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
#endif
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(path), NULL) < 0)
		return -errno;
	return 0;
}

/* A bind mount inherits the source mount's flags: clear read-only when it is not wanted. */
static int make_writable(const char *path)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -errno;
	if (!(sv.f_flag & ST_RDONLY))
		return 0;
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | kept_flags(path), NULL) < 0)
		return -errno;
	return 0;
}

static int bind_mount(const char *src, const char *dst, bool recursive, bool read_only)
{
	if (mount(src, dst, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
		return -errno;
	return read_only ? make_read_only(dst, recursive) : 0;
}

static int mount_source(const struct rootfs_spec *spec, const char *target, bool ro)
{
	unsigned long flags = ro ? MS_RDONLY : 0;

	if (!spec->fstype)
		return bind_mount(spec->source, target, true, ro);
	if (mount(spec->source, target, spec->fstype, flags, NULL) == 0)
		return 0;
	/* A read-only device cannot replay a journal: mount without it rather than fail. */
	if (ro && startswith(spec->fstype, "ext") &&
	    mount(spec->source, target, spec->fstype, flags, "norecovery") == 0)
		return 0;
	return -errno;
}

static int make_staging(const char *staging)
{
	_cleanup_free_ char *root = strjoin(staging, "/root", NULL);
	_cleanup_free_ char *mask = strjoin(staging, "/inaccessible", NULL);
	int r;

	if (!root || !mask)
		return -ENOMEM;
	if (mount("tmpfs", staging, "tmpfs", 0, "mode=0700") < 0)
		return log_error_errno(errno, "cannot mount a tmpfs on '%s'", staging);
	if (mkdir(root, 0755) < 0)
		return log_error_errno(errno, "cannot create '%s'", root);
	r = write_file(mask, "", 0000);
	if (r < 0)
		return log_error_errno(r, "cannot create '%s'", mask);
	return 0;
}

static int overlay_dirs(const struct rootfs_spec *spec, const char *staging, char **ret_upper,
			char **ret_work)
{
	const char *base = spec->snapshot == SNAPSHOT_OVERLAY ? spec->overlay_dir : staging;
	_cleanup_free_ char *upper = strjoin(base, "/upper", NULL);
	_cleanup_free_ char *work = strjoin(base, "/work", NULL);
	int r;

	if (!upper || !work)
		return -ENOMEM;
	if ((r = mkdir_p(upper, 0755)) < 0 || (r = mkdir_p(work, 0700)) < 0)
		return log_error_errno(r, "cannot create the overlay directories in '%s'", base);
	*ret_upper = steal_ptr(upper);
	*ret_work = steal_ptr(work);
	return 0;
}

static int mount_overlay(const struct rootfs_spec *spec, const char *staging, const char *root)
{
	_cleanup_free_ char *lower = strjoin(staging, "/lower", NULL), *upper = NULL, *work = NULL;
	_cleanup_free_ char *opts = NULL;
	int r;

	if (!lower)
		return -ENOMEM;
	if (mkdir(lower, 0755) < 0)
		return log_error_errno(errno, "cannot create '%s'", lower);
	r = mount_source(spec, lower, true);
	if (r < 0)
		return log_error_errno(r, "cannot mount '%s'", spec->source);
	r = overlay_dirs(spec, staging, &upper, &work);
	if (r < 0)
		return r;
	if (asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) < 0)
		return -ENOMEM;
	if (mount("overlay", root, "overlay", 0, opts) < 0)
		return log_error_errno(errno, "cannot mount the overlay (upper '%s')", upper);
	return 0;
}

int rootfs_mount(const struct rootfs_spec *spec, const char *staging)
{
	_cleanup_free_ char *root = strjoin(staging, "/root", NULL);
	int r;

	if (!root)
		return -ENOMEM;
	r = make_staging(staging);
	if (r < 0)
		return r;
	if (spec->snapshot != SNAPSHOT_NONE)
		return mount_overlay(spec, staging, root);
	r = mount_source(spec, root, spec->read_only);
	if (r < 0)
		return log_error_errno(r, "cannot mount '%s'%s", spec->source,
				       spec->read_only ? " read-only" : "");
	return 0;
}

/* Create a mount point like src (directory or file) at target. */
static int make_mount_point(const char *src, const char *target)
{
	struct stat st;
	int r;

	if (src && stat(src, &st) == 0 && !S_ISDIR(st.st_mode)) {
		r = write_file(target, "", 0644);
		return r == -EEXIST ? 0 : r;
	}
	r = mkdir_p(target, 0755);
	return r;
}

static int do_bind(const struct mount_op *op, const char *root, const char *target)
{
	_cleanup_free_ char *src = NULL;
	int r;

	if (op->opts & MOP_IN_ROOT) {
		r = chase_in_root(root, op->src, &src);
		if (r < 0)
			return r;
	} else {
		src = strdup(op->src);
		if (!src)
			return -ENOMEM;
	}
	if (!path_exists(src))
		return (op->opts & MOP_OPTIONAL) ? 0 : -ENOENT;
	if (!path_exists(target)) {
		if (op->opts & MOP_OPTIONAL)
			return 0;
		r = make_mount_point(src, target);
		if (r < 0)
			return r;
	}
	r = bind_mount(src, target, op->opts & MOP_RECURSIVE, op->opts & MOP_READ_ONLY);
	/* A writable window into a read-only part of the machine (/proc/sys/net). */
	if (r >= 0 && (op->opts & MOP_IN_ROOT) && !(op->opts & MOP_READ_ONLY))
		r = make_writable(target);
	return r;
}

static int do_mask(const struct mount_op *op, const char *target)
{
	struct stat st;

	if (lstat(target, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=0555,size=4k,nr_inodes=1") < 0)
			return -errno;
		return 0;
	}
	return bind_mount(op->src, target, false, true);
}

static int do_op(const struct mount_op *op, const char *root, const char *target)
{
	int r;

	switch (op->kind) {
	case MOP_MOUNT:
		if (!is_dir(target) && (r = mkdir_p(target, 0755)) < 0)
			return r;
		return mount(op->src, target, op->fstype, op->flags, op->data) < 0 ? -errno : 0;
	case MOP_BIND:
		return do_bind(op, root, target);
	case MOP_MKDIR:
		return mkdir(target, op->mode) < 0 && errno != EEXIST ? -errno : 0;
	case MOP_MKNOD:
		return mknod(target, S_IFCHR | op->mode, op->rdev) < 0 ? -errno : 0;
	case MOP_SYMLINK:
		return symlink(op->src, target) < 0 && errno != EEXIST ? -errno : 0;
	case MOP_WRITE:
		r = write_file(target, op->src, op->mode);
		return r < 0 ? r : (chmod(target, op->mode) < 0 ? -errno : 0);
	case MOP_MASK:
		return do_mask(op, target);
	case MOP_REMOUNT_RO:
		return make_read_only(target, false);
	}
	return -EINVAL;
}

static const char *op_verb(enum mop_kind k)
{
	static const char *const verbs[] = {
		[MOP_MOUNT] = "mount",	  [MOP_BIND] = "bind-mount", [MOP_MKDIR] = "create",
		[MOP_MKNOD] = "create",	  [MOP_SYMLINK] = "create",  [MOP_WRITE] = "write",
		[MOP_MASK] = "mask",	  [MOP_REMOUNT_RO] = "make read-only",
	};
	return verbs[k];
}

int mount_plan_execute(const struct mount_plan *p, enum mop_phase phase, const char *root)
{
	mode_t old = umask(0);
	int r = 0;

	for (size_t i = 0; r >= 0 && i < p->n; i++) {
		const struct mount_op *op = &p->ops[i];
		_cleanup_free_ char *target = NULL;

		if (op->phase != phase)
			continue;
		r = chase_in_root(root, op->dst, &target);
		if (r >= 0)
			r = do_op(op, root, target);
		if (r < 0)
			log_error_errno(r, "cannot %s '%s'%s%s in the machine", op_verb(op->kind),
					op->dst, op->src && op->kind == MOP_BIND ? " from " : "",
					op->src && op->kind == MOP_BIND ? op->src : "");
	}
	umask(old);
	return r;
}

int mount_pivot(const char *root)
{
	if (chdir(root) < 0)
		return log_error_errno(errno, "cannot enter '%s'", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return log_error_errno(errno, "cannot pivot_root into '%s'", root);
	if (umount2(".", MNT_DETACH) < 0)
		return log_error_errno(errno, "cannot detach the old root");
	if (chdir("/") < 0)
		return -errno;
	return 0;
}
