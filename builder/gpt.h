/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A GPT with one root partition on a regular file, written by libfdisk. */
#pragma once

#include <stdint.h>

/* The partition starts 1 MiB into the disk and ends 1 MiB (or less) before its end; the GPT
 * and its backup live in those margins. */
#define GPT_ALIGN (UINT64_C(1) << 20)
#define GPT_OVERHEAD (2 * GPT_ALIGN)

/* Discoverable Partitions root type for a Debian (or RPM) architecture name, NULL if the
 * specification defines none. */
const char *gpt_root_type(const char *arch);

/*
 * Write a GPT to the existing file path (its size is the disk size, a multiple of 512 of at
 * least GPT_OVERHEAD + 1 MiB) with one partition named "root", aligned to 1 MiB and covering
 * the whole disk between the margins, typed as the DPS root partition for arch.  Disk and
 * partition UUIDs are derived from seed.  Returns the partition's byte offset and size.
 */
int gpt_write_root(const char *path, const char *arch, const uint8_t seed[16], uint64_t *ret_offset,
		   uint64_t *ret_size);
