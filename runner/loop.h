/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loop devices over a range of an image file.  Devices are attached with autoclear: they go
 * away by themselves when the last opener closes and the last mount is gone, so even a killed
 * runimg leaves none behind.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct loop_dev {
	int fd;	       /* open device; closing it (after the mount is gone) detaches it */
	char path[32]; /* /dev/loopN */
};

#define LOOP_DEV_NULL ((struct loop_dev){ .fd = -1 })

/* -ENODEV/-ENOENT when the host has no loop support (exit status 3 for the caller). */
int loop_attach(int backing_fd, uint64_t offset, uint64_t size, bool read_only,
		struct loop_dev *ret);
void loop_release(struct loop_dev *l);
