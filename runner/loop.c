/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "loop.h"

#ifndef LOOP_CONFIGURE
#define LOOP_CONFIGURE 0x4C0A
struct loop_config {
	__u32 fd;
	__u32 block_size;
	struct loop_info64 info;
	__u64 __reserved[8];
};
#endif

static void fill_info(struct loop_info64 *info, uint64_t offset, uint64_t size, bool read_only)
{
	memset(info, 0, sizeof(*info));
	info->lo_offset = offset;
	info->lo_sizelimit = size;
	info->lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0);
}

/* Old kernels: LOOP_SET_FD then LOOP_SET_STATUS64 (not atomic, hence the second choice). */
static int configure_legacy(int fd, int backing_fd, uint64_t offset, uint64_t size,
			    bool read_only)
{
	struct loop_info64 info;

	if (ioctl(fd, LOOP_SET_FD, backing_fd) < 0)
		return -errno;
	fill_info(&info, offset, size, read_only);
	info.lo_flags &= ~(uint32_t)LO_FLAGS_READ_ONLY; /* follows the backing fd's mode */
	if (ioctl(fd, LOOP_SET_STATUS64, &info) < 0) {
		int r = -errno;
		(void)ioctl(fd, LOOP_CLR_FD, 0);
		return r;
	}
	return 0;
}

static int configure(int fd, int backing_fd, uint64_t offset, uint64_t size, bool read_only)
{
	struct loop_config cfg = { .fd = (__u32)backing_fd };

	fill_info(&cfg.info, offset, size, read_only);
	if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	return configure_legacy(fd, backing_fd, offset, size, read_only);
}

int loop_attach(int backing_fd, uint64_t offset, uint64_t size, bool read_only,
		struct loop_dev *ret)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	if (ctl < 0)
		return errno == EACCES ? -EACCES : -ENODEV;
	for (unsigned attempt = 0; attempt < 64; attempt++) {
		_cleanup_close_ int fd = -1;
		char path[32];
		int n, r;

		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return -errno;
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* node not there yet */
			return -errno;
		}
		r = configure(fd, backing_fd, offset, size, read_only);
		if (r == -EBUSY)
			continue; /* somebody else took it between GET_FREE and here */
		if (r < 0)
			return r;
		ret->fd = steal_fd(fd);
		snprintf(ret->path, sizeof(ret->path), "%s", path);
		log_debug("attached '%s' at offset %llu size %llu%s", path,
			  (unsigned long long)offset, (unsigned long long)size,
			  read_only ? " read-only" : "");
		return 0;
	}
	return -EBUSY;
}

void loop_release(struct loop_dev *l)
{
	if (l->fd >= 0)
		close(l->fd);
	*l = LOOP_DEV_NULL;
}
