/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runimg's input checks: root partition choice, ext4 size, tarball member names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "tap.h"
#include "tarball.h"

#define ROOT_X86 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
#define ROOT_ARM64 "b921b045-1df0-41c3-af44-4c6f280d3fae"
#define LINUX "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define SWAP "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"

static struct image_part part(int no, const char *type)
{
	struct image_part p = { .partno = no, .start = (uint64_t)no << 20, .size = 1 << 20 };

	strcpy(p.type, type);
	strcpy(p.name, "p");
	return p;
}

static void test_pick_root(void)
{
	struct image_part a[] = { part(1, ESP), part(2, ROOT_X86), part(3, LINUX) };
	struct image_part b[] = { part(1, ESP), part(2, LINUX), part(3, SWAP) };
	struct image_part c[] = { part(1, ROOT_X86), part(2, ROOT_X86) };
	struct image_part d[] = { part(1, LINUX), part(2, LINUX) };
	struct image_part e[] = { part(1, ESP), part(2, SWAP) };
	struct image_part f[] = { part(1, "0x83") };
	struct image_part g[] = { part(1, ROOT_ARM64), part(2, LINUX) };
	size_t i = 99;

	is_int(image_pick_root(a, 3, ROOT_X86, &i), 0, "root type wins over generic Linux");
	is_int((long long)i, 1, "... partition 2");
	is_int(image_pick_root(b, 3, ROOT_X86, &i), 0, "the only Linux partition");
	is_int((long long)i, 1, "... partition 2");
	is_int(image_pick_root(c, 2, ROOT_X86, &i), -ENOTUNIQ, "two root partitions: ambiguous");
	is_int(image_pick_root(d, 2, ROOT_X86, &i), -ENOTUNIQ, "two Linux partitions: ambiguous");
	is_int(image_pick_root(e, 2, ROOT_X86, &i), -ENOENT, "no candidate");
	is_int(image_pick_root(e, 0, ROOT_X86, &i), -ENOENT, "empty table");
	is_int(image_pick_root(f, 1, ROOT_X86, &i), 0, "MBR 0x83 counts as Linux");
	is_int(image_pick_root(g, 2, ROOT_X86, &i), 0, "another architecture's root is not ours");
	is_int((long long)i, 1, "... the generic Linux partition is taken");
	ok(image_host_root_type() != NULL, "this architecture has a root type");
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void test_ext_size(void)
{
	uint8_t sb[1024] = {};
	uint64_t size = 0;

	is_int(ext_sb_fs_size(sb, &size), -EINVAL, "no magic");
	sb[0x38] = 0x53;
	sb[0x39] = 0xef;
	put32(sb + 0x04, 1000);
	put32(sb + 0x18, 2); /* 4096-byte blocks */
	is_int(ext_sb_fs_size(sb, &size), 0, "ext4 superblock");
	is_int((long long)size, 4096000, "1000 blocks of 4 KiB");
	put32(sb + 0x60, 0x80); /* 64bit */
	put32(sb + 0x150, 1);
	is_int(ext_sb_fs_size(sb, &size), 0, "64bit superblock");
	is_int((long long)size, (long long)(((1ULL << 32) + 1000) * 4096), "high block count used");
	put32(sb + 0x18, 40);
	is_int(ext_sb_fs_size(sb, &size), -EINVAL, "absurd block size");
}

static void test_describe(void)
{
	struct image_part a[] = { part(1, ROOT_X86), part(2, LINUX) };
	char *s = image_describe_parts(a, 2);

	ok(s && strstr(s, "partition 1: type " ROOT_X86), "first partition listed");
	ok(s && strstr(s, "partition 2: type " LINUX), "second partition listed");
	free(s);
}

static void test_tar_members(void)
{
	is_int(tar_member_check("etc/passwd", NULL), 0, "plain member");
	is_int(tar_member_check("./etc/passwd", NULL), 0, "./ prefix");
	is_int(tar_member_check("a/..b/c", NULL), 0, "'..b' is a name");
	is_int(tar_member_check("../etc/passwd", NULL), -EXDEV, "../ refused");
	is_int(tar_member_check("a/../../b", NULL), -EXDEV, "inner .. refused");
	is_int(tar_member_check("a/..", NULL), -EXDEV, "trailing .. refused");
	is_int(tar_member_check("/etc/passwd", NULL), -EXDEV, "absolute refused");
	is_int(tar_member_check("x", "../y"), -EXDEV, "hardlink to ../ refused");
	is_int(tar_member_check("x", "/etc/shadow"), -EXDEV, "absolute hardlink refused");
	is_int(tar_member_check("x", "etc/shadow"), 0, "hardlink inside");
}

int main(void)
{
	test_pick_root();
	test_ext_size();
	test_describe();
	test_tar_members();
	return tap_done();
}
