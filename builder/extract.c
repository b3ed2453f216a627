/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "extract.h"

pthread_mutex_t extract_disk_lock = PTHREAD_MUTEX_INITIALIZER;

int extract_copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
		if (DISK_LOCKED(archive_write_data_block(out, buf, len, off)) < ARCHIVE_OK)
			return -EIO;
	return r == ARCHIVE_EOF ? 0 : -EBADMSG;
}
