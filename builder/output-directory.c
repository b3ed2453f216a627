/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Format=directory: the finished root tree itself becomes the output.  The fast path is a
 * rename; when the workspace is on another filesystem than the output (EXDEV), or the tree
 * root is a mount point (EBUSY), the tree is copied with everything copy_tree() keeps (owners,
 * modes, times, xattrs, hardlinks) and the workspace copy is removed.  Timestamps are kept as
 * they are in the tree.
 */
#include <errno.h>
#include <stdio.h>

#include "fileio.h"
#include "log.h"
#include "output.h"

static int output_directory_copy(const struct output_params *p)
{
	int r;

	log_debug("'%s' and '%s' are on different filesystems, copying", p->tree_root, p->path);
	r = copy_tree(p->tree_root, p->path, "/");
	if (r < 0) {
		(void)rm_rf(p->path);
		return log_error_errno(r, "cannot copy tree '%s' to '%s'", p->tree_root, p->path);
	}
	r = rm_rf(p->tree_root);
	/* EBUSY: the tree is a mount (a package build's tmpfs), which goes with the build */
	if (r < 0 && r != -EBUSY)
		log_warning_errno(r, "cannot remove workspace tree '%s'", p->tree_root);
	return 0;
}

static int output_directory_write(const struct output_params *p)
{
	if (rename(p->tree_root, p->path) == 0)
		return 0;
	if (errno == EXDEV || errno == EBUSY)
		return output_directory_copy(p);
	return log_error_errno(errno, "cannot move tree '%s' to '%s'", p->tree_root, p->path);
}

const struct output_ops output_directory_ops = {
    .name = "directory",
    .needs_scan = false,
    .write = output_directory_write,
};
