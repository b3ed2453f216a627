/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the package extractors (deb.c, rpm.c) writing with libarchive's disk writer. */
#pragma once

#include <archive.h>
#include <pthread.h>

/*
 * libarchive's disk writer learns the umask by setting it to 0 and back, for every entry: that
 * is process-wide, so a thread creating a file meanwhile would do it with umask 0 (parent
 * directories 0775 instead of 0755, differing from build to build).  Every call into any disk
 * writer of the process holds this one lock; decompression, the expensive part, runs outside
 * it in parallel.
 */
extern pthread_mutex_t extract_disk_lock;

#define DISK_LOCKED(expr)                                                                          \
	({                                                                                         \
		pthread_mutex_lock(&extract_disk_lock);                                            \
		__typeof__(expr) _v = (expr);                                                      \
		pthread_mutex_unlock(&extract_disk_lock);                                          \
		_v;                                                                                \
	})

/*
 * Write the header of e to the disk writer out with the extraction options flags, except that a
 * directory does not get its time from the package: it keeps the time it is made or last
 * changed at.  dpkg and rpm set a new directory's time from the package, but they install one
 * package after another; here packages unpack in parallel and many share a directory, and
 * libarchive sets a directory's time when its writer closes, so the time would be that of
 * whichever package closed last, varying from build to build.
 */
int extract_write_header(struct archive *out, struct archive_entry *e, int flags);

/* The data of the current entry of in into the disk writer out: -EIO writing, -EBADMSG reading. */
int extract_copy_data(struct archive *in, struct archive *out);
