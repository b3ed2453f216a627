/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include <archive_entry.h>

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

int extract_write_header(struct archive *out, struct archive_entry *e, int flags)
{
	int r;

	if (archive_entry_filetype(e) == AE_IFDIR)
		flags &= ~ARCHIVE_EXTRACT_TIME;
	pthread_mutex_lock(&extract_disk_lock);
	r = archive_write_disk_set_options(out, flags);
	if (r == ARCHIVE_OK)
		r = archive_write_header(out, e);
	pthread_mutex_unlock(&extract_disk_lock);
	return r;
}
