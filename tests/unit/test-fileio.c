/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileio.h"
#include "sha256.h"
#include "spawn.h"
#include "strutil.h"
#include "tap.h"
#include "tree.h"

static char base[] = "/var/tmp/test-fileio.XXXXXX";

static char *P(const char *rel)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, rel);
	return buf[i];
}

static void test_chase(void)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	mkdir(P("root"), 0755);
	mkdir(P("root/usr"), 0755);
	mkdir(P("root/usr/lib"), 0755);
	symlink("usr/lib", P("root/lib"));
	symlink("/usr/lib", P("root/abs"));
	symlink("/", P("root/evil"));
	symlink("../../../../../..", P("root/usr/up"));

	is_int(chase_in_root(P("root"), "/lib/x", &a), 0, "chase relative link");
	is_str(a, P("root/usr/lib/x"), "relative link stays inside");
	is_int(chase_in_root(P("root"), "/abs/y", &b), 0, "chase absolute link");
	is_str(b, P("root/usr/lib/y"), "absolute link resolved at the root");
	is_int(chase_in_root(P("root"), "/evil/etc/passwd", &c), 0, "chase link to /");
	is_str(c, P("root/etc/passwd"), "link to / does not escape");
	is_int(chase_in_root(P("root"), "/usr/up/etc", &d), 0, "chase .. chain");
	is_str(d, P("root/etc"), ".. stops at the root");
	symlink("loop", P("root/loop"));
	_cleanup_free_ char *e = NULL;
	is_int(chase_in_root(P("root"), "/loop", &e), -ELOOP, "symlink loop detected");
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino;
}

static void test_copy_tree(void)
{
	struct stat st;
	char buf[16] = "";
	int fd;

	mkdir(P("src"), 0755);
	mkdir(P("src/d"), 0700);
	write_file(P("src/d/f"), "hello", 0640);
	link(P("src/d/f"), P("src/h"));
	symlink("d/f", P("src/l"));
	fd = open(P("src/sparse"), O_WRONLY | O_CREAT, 0644);
	pwrite(fd, "x", 1, 64 << 20);
	close(fd);
	setxattr(P("src/d/f"), "user.test", "v", 1, 0);
	mkdir(P("dst"), 0755);
	write_file(P("dst/h"), "old", 0644); /* replaced */
	mkdir(P("dst/keep"), 0755);	     /* merged */

	is_int(copy_tree(P("src"), P("dst"), "/"), 0, "copy_tree");
	ok(stat(P("dst/d"), &st) == 0 && (st.st_mode & 07777) == 0700, "directory mode kept");
	ok(stat(P("dst/d/f"), &st) == 0 && (st.st_mode & 07777) == 0640, "file mode kept");
	ok(same_file(P("dst/d/f"), P("dst/h")), "hardlink kept");
	ok(readlink(P("dst/l"), buf, sizeof(buf)) == 3 && !memcmp(buf, "d/f", 3), "symlink kept");
	ok(getxattr(P("dst/d/f"), "user.test", buf, sizeof(buf)) == 1, "xattr kept");
	ok(stat(P("dst/sparse"), &st) == 0 && st.st_size == (64 << 20) + 1 &&
		   st.st_blocks * 512 < (1 << 20),
	   "sparse file stays sparse");
	ok(is_dir(P("dst/keep")), "existing directory merged");

	/* A merged-/usr destination: src's lib/ goes through dst's lib -> usr/lib. */
	mkdir(P("src2"), 0755);
	mkdir(P("src2/lib"), 0755);
	write_file(P("src2/lib/libx.so"), "x", 0644);
	mkdir(P("src2/etc"), 0755);
	write_file(P("src2/etc/conf"), "c", 0644);
	mkdir(P("merged"), 0755);
	mkdir(P("merged/usr"), 0755);
	mkdir(P("merged/usr/lib"), 0755);
	symlink("usr/lib", P("merged/lib"));
	symlink("/usr/lib", P("merged/etc")); /* absolute: resolved inside the root */
	is_int(copy_tree(P("src2"), P("merged"), "/"), 0, "copy_tree onto a merged-/usr tree");
	ok(lstat(P("merged/lib"), &st) == 0 && S_ISLNK(st.st_mode), "lib symlink kept");
	ok(path_exists(P("merged/usr/lib/libx.so")), "file landed behind the symlink");
	ok(path_exists(P("merged/usr/lib/conf")), "absolute symlink followed inside the root");
	is_int(copy_tree(P("src2"), P("merged"), "/opt/sub"), 0, "copy_tree to a target");
	ok(path_exists(P("merged/opt/sub/etc/conf")), "target directory created");
}

static void test_files(void)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	char hex[65];

	is_int(write_file_atomic(P("atomic"), "abc", 3, 0600), 0, "write_file_atomic");
	is_int(read_full_file(P("atomic"), &data, &len), 0, "read_full_file");
	ok(len == 3 && streq(data, "abc"), "content round trip");
	is_int(sha256_file(P("atomic"), hex), 0, "sha256_file");
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256_file digest");
	{
		/* A sparse file hashes like its dense bytes: holes are fed as zeros. */
		static char dense[3 << 20];
		char want[65], got[65];
		int fd = open(P("sparse-hash"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		memcpy(dense + (1 << 20) + 5, "data", 4);
		memcpy(dense + sizeof(dense) - 3, "end", 3);
		pwrite(fd, "data", 4, (1 << 20) + 5);
		pwrite(fd, "end", 3, sizeof(dense) - 3);
		close(fd);
		sha256_buffer(dense, sizeof(dense), want);
		is_int(sha256_file(P("sparse-hash"), got), 0, "sha256_file of a sparse file");
		is_str(got, want, "sparse file digest equals the dense digest");
	}
	is_int(mkdir_p(P("a/b/c"), 0755), 0, "mkdir_p");
	ok(is_dir(P("a/b/c")), "mkdir_p made the tree");
	is_int(rm_rf(P("a")), 0, "rm_rf");
	ok(!path_exists(P("a")), "rm_rf removed it");
	is_int(rm_rf(P("missing")), 0, "rm_rf of a missing path is fine");
}

static void test_spawn(void)
{
	char *const t[] = { "true", NULL }, *const f[] = { "sh", "-c", "exit 7", NULL };
	char *const k[] = { "sh", "-c", "kill -TERM $$", NULL };
	char *const n[] = { "/nonexistent/program", NULL };
	struct spawn_opts quiet = { .stderr_fd = -1 };

	is_int(spawn_wait(t, NULL), 0, "spawn true");
	is_int(spawn_wait(f, NULL), 7, "spawn exit status");
	is_int(spawn_wait(k, NULL), 128 + SIGTERM, "spawn killed by signal");
	is_int(spawn_wait(n, &quiet), 127, "spawn missing program");
}

/* The threaded stream gives the digest of everything fed, however it was cut. */
static void test_sha256_stream(void)
{
	static const size_t cuts[] = { 1, 63, 64, 65536, (1u << 20) - 1, 1u << 20, (1u << 20) + 7,
				       3u << 20, 5 };
	size_t total = 0, off = 0;
	struct sha256_stream *st = NULL;
	uint8_t *data, d[32];
	char a[65], b[65];

	for (size_t i = 0; i < ELEMENTSOF(cuts); i++)
		total += cuts[i];
	data = malloc(total);
	if (!data) {
		ok(false, "malloc");
		return;
	}
	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	sha256_buffer(data, total, a);
	is_int(sha256_stream_new(&st), 0, "sha256 stream");
	for (size_t i = 0; st && i < ELEMENTSOF(cuts); off += cuts[i++])
		sha256_stream_feed(st, data + off, cuts[i]);
	if (st)
		sha256_stream_finish(st, d);
	sha256_hex(d, b);
	is_str(b, a, "... the digest of all it was fed, in pieces of every size");
	is_int(sha256_stream_new(&st), 0, "an empty stream");
	sha256_stream_finish(st, d);
	sha256_hex(d, b);
	is_str(b, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "... has the digest of nothing");
	free(data);
}

int main(void)
{
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	test_chase();
	test_copy_tree();
	test_files();
	test_spawn();
	test_sha256_stream();
	rm_rf(base);
	return tap_done();
}
