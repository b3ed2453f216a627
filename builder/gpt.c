/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The GPT of a gpt_ext4 image: libfdisk on the image file itself (no loop device, no kernel
 * involvement: a regular file has no partition table to re-read).  One partition, named
 * "root", typed per the Discoverable Partitions Specification so that systemd-gpt-auto-
 * generator and systemd-nspawn/runimg find it.  The disk GUID and partition GUID come from
 * the seed, so the table is byte-identical across builds with the same seed.
 */
#include <errno.h>
#include <string.h>

#include <libfdisk.h>

#include "cleanup.h"
#include "gpt.h"
#include "log.h"
#include "output.h"
#include "strutil.h"

#define SECTOR_SIZE 512
#define LINUX_DATA_TYPE "0fc63daf-8483-4772-8e79-3d69d8477de4"

static const struct {
	const char *arch;
	const char *type;
} root_types[] = {
    /* Debian names first, then the kernel/RPM spellings of the same architectures. */
    {"amd64", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"},
    {"arm64", "b921b045-1df0-41c3-af44-4c6f280d3fae"},
    {"i386", "44479540-f297-41b2-9af7-d131d5f0458a"},
    {"armhf", "69dad710-2ce4-4e3c-b16c-21a1d49abed3"},
    {"armel", "69dad710-2ce4-4e3c-b16c-21a1d49abed3"},
    {"riscv64", "72ec70a6-cf74-40e6-bd49-4bda08e8f224"},
    {"ppc64el", "c31c45e6-3f39-412e-80fb-4809c4980599"},
    {"ppc64", "912ade1d-a839-4913-8964-a10eee08fbd2"},
    {"s390x", "5eead9a9-fe09-4a1e-a1d7-520d00531306"},
    {"loong64", "77055800-792c-4f94-b39a-98c91b762bb6"},
    {"mips64el", "700bda43-7a34-4507-b179-eeb93d7a7ca3"},
    {"x86_64", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"},
    {"aarch64", "b921b045-1df0-41c3-af44-4c6f280d3fae"},
    {"i686", "44479540-f297-41b2-9af7-d131d5f0458a"},
    {"armv7hl", "69dad710-2ce4-4e3c-b16c-21a1d49abed3"},
    {"ppc64le", "c31c45e6-3f39-412e-80fb-4809c4980599"},
};

const char *gpt_root_type(const char *arch)
{
	if (!arch)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(root_types); i++)
		if (streq(root_types[i].arch, arch))
			return root_types[i].type;
	return NULL;
}

static void fdisk_unref_contextp(struct fdisk_context **c)
{
	if (*c)
		fdisk_unref_context(*c);
}

static void fdisk_unref_partitionp(struct fdisk_partition **p)
{
	if (*p)
		fdisk_unref_partition(*p);
}

static void fdisk_unref_parttypep(struct fdisk_parttype **t)
{
	if (*t)
		fdisk_unref_parttype(*t);
}

/* libfdisk returns negative errno, or -1 for "something failed" in a few places. */
static int fdisk_err(int r)
{
	return r == -1 ? -EIO : r;
}

static int gpt_add_root(struct fdisk_context *cxt, const char *path, const char *type_str,
			const uint8_t seed[16], uint64_t start, uint64_t nsectors)
{
	_cleanup_(fdisk_unref_partitionp) struct fdisk_partition *pa = NULL;
	_cleanup_(fdisk_unref_parttypep) struct fdisk_parttype *type = NULL;
	uint8_t u[16];
	char uuid[37];
	size_t partno;
	int r;

	type = fdisk_label_parse_parttype(fdisk_get_label(cxt, "gpt"), type_str);
	pa = fdisk_new_partition();
	if (!type || !pa)
		return log_error_errno(-ENOMEM, "cannot create the root partition of '%s'", path);

	output_derive_uuid(seed, "gpt-root-partition", u);
	uuid_format(u, uuid);
	r = fdisk_partition_set_partno(pa, 0);
	if (r == 0)
		r = fdisk_partition_set_start(pa, start);
	if (r == 0)
		r = fdisk_partition_set_size(pa, nsectors);
	if (r == 0)
		r = fdisk_partition_set_type(pa, type);
	if (r == 0)
		r = fdisk_partition_set_name(pa, "root");
	if (r == 0)
		r = fdisk_partition_set_uuid(pa, uuid);
	if (r == 0)
		r = fdisk_add_partition(cxt, pa, &partno);
	if (r < 0)
		return log_error_errno(fdisk_err(r), "cannot add the root partition to '%s'", path);
	return 0;
}

int gpt_write_root(const char *path, const char *arch, const uint8_t seed[16], uint64_t *ret_offset,
		   uint64_t *ret_size)
{
	_cleanup_(fdisk_unref_contextp) struct fdisk_context *cxt = NULL;
	const char *type = gpt_root_type(arch);
	uint64_t disk_sectors, start, nsectors;
	uint8_t u[16];
	char uuid[37];
	int r;

	if (!type) {
		log_warning("no Discoverable Partitions root type for architecture '%s', "
			    "using the generic Linux data type",
			    arch ? arch : "(none)");
		type = LINUX_DATA_TYPE;
	}

	cxt = fdisk_new_context();
	if (!cxt)
		return log_error_errno(-ENOMEM, "cannot write the partition table of '%s'", path);
	r = fdisk_assign_device(cxt, path, 0);
	if (r < 0)
		return log_error_errno(fdisk_err(r), "cannot open '%s' for partitioning", path);

	disk_sectors = fdisk_get_nsectors(cxt);
	if (fdisk_get_sector_size(cxt) != SECTOR_SIZE ||
	    disk_sectors * SECTOR_SIZE < GPT_OVERHEAD + GPT_ALIGN)
		return log_error_errno(-EINVAL,
				       "cannot partition '%s': unexpected size or geometry", path);
	start = GPT_ALIGN / SECTOR_SIZE;
	/* The end is aligned down to 1 MiB and leaves at least 1 MiB for the backup GPT. */
	nsectors =
	    ((disk_sectors * SECTOR_SIZE - GPT_OVERHEAD) / GPT_ALIGN) * (GPT_ALIGN / SECTOR_SIZE);

	r = fdisk_create_disklabel(cxt, "gpt");
	if (r < 0)
		return log_error_errno(fdisk_err(r), "cannot create a GPT on '%s'", path);
	output_derive_uuid(seed, "gpt-disk", u);
	uuid_format(u, uuid);
	r = fdisk_set_disklabel_id_from_string(cxt, uuid);
	if (r < 0)
		return log_error_errno(fdisk_err(r), "cannot set the disk GUID of '%s'", path);

	r = gpt_add_root(cxt, path, type, seed, start, nsectors);
	if (r < 0)
		return r;

	r = fdisk_write_disklabel(cxt);
	if (r < 0)
		return log_error_errno(fdisk_err(r), "cannot write the GPT of '%s'", path);
	/* nosync: the file is not a block device, there is no partition table to re-read. */
	r = fdisk_deassign_device(cxt, 1);
	if (r < 0)
		return log_error_errno(fdisk_err(r), "cannot write the GPT of '%s'", path);

	*ret_offset = start * SECTOR_SIZE;
	*ret_size = nsectors * SECTOR_SIZE;
	return 0;
}
