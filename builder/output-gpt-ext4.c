/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Format=gpt_ext4: a raw disk image, written as an ordinary sparse file without root, loop
 * devices, mounts or external tools:
 *
 *	0      1 MiB                                         end - 1 MiB   end
 *	| GPT  | partition "root" (DPS root type): ext4       | backup GPT |
 *
 * The size is Size= (rounded down to whole sectors) or automatic (ext4w_auto_size(): what the
 * tree needs plus 25% and 64 MiB), plus the 2 MiB for the GPT.  A Size= too small for the tree
 * is refused before anything is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cleanup.h"
#include "ext4w.h"
#include "gpt.h"
#include "log.h"
#include "output.h"
#include "strutil.h"

static int image_size(const struct output_params *p, uint64_t *ret)
{
	struct ext4w_usage u;
	uint64_t min, size;
	char have[32];

	ext4w_measure(p->tree, &u);
	min = ext4w_min_size(&u) + GPT_OVERHEAD;
	if (p->size == 0) {
		*ret = ext4w_auto_size(&u) + GPT_OVERHEAD;
		return 0;
	}
	size = p->size & ~(uint64_t)511;
	/* The partition ends on a MiB boundary: only whole MiB count. */
	if (size < GPT_OVERHEAD ||
	    ((size - GPT_OVERHEAD) & ~(GPT_ALIGN - 1)) + GPT_OVERHEAD < min) {
		/* In whole MiB: a rounded "1.5G" could be less than what is needed. */
		log_error("image size %s is too small for the tree (needs at least %lluM): raise "
			  "Size= or leave it unset for automatic sizing",
			  format_size(have, sizeof(have), p->size),
			  (unsigned long long)(min >> 20));
		return -ENOSPC;
	}
	*ret = size;
	return 0;
}

static int create_sparse(const char *path, uint64_t size)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return log_error_errno(errno, "cannot create '%s'", path);
	if (ftruncate(fd, (off_t)size) < 0)
		return log_error_errno(errno, "cannot extend '%s' to %llu bytes", path,
				       (unsigned long long)size);
	if (close(steal_fd(fd)) < 0)
		return log_error_errno(errno, "cannot write '%s'", path);
	return 0;
}

static int gpt_ext4_write(const struct output_params *p)
{
	uint64_t size = 0, offset = 0, part_size = 0;
	int r;

	if (!p->tree)
		return log_error_errno(EINVAL, "cannot write '%s': no tree scan", p->path);
	r = image_size(p, &size);
	if (r < 0)
		return r;
	r = create_sparse(p->path, size);
	if (r < 0)
		return r;
	r = gpt_write_root(p->path, p->arch, p->seed, &offset, &part_size);
	if (r >= 0)
		r = ext4w_write(p, offset, part_size);
	if (r < 0)
		(void)unlink(p->path); /* a half-written image is of no use to anyone */
	return r;
}

const struct output_ops output_gpt_ext4_ops = {
    .name = "gpt_ext4",
    .needs_scan = true,
    .write = gpt_ext4_write,
};
