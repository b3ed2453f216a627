/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Content steps on temporary trees: password hashing, /etc files, units, symlink containment. */
#include <archive.h>
#include <archive_entry.h>
#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "content.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"
#include "tap.h"

#define SHA512_SECRET                                                                              \
	"$6$abcdefgh12345678$8qry.al/7S2fAQnDPL..k3GVAXostN0YvxqwHlKr6Jsf/74.qDax5ahH0CISuJF."     \
	"P2fnhZoX0.4l8IwZUur9t1"
#define YESCRYPT_SECRET "$y$j9T$q8EUDVU6SuUYzqpT3OyjW/$IU9bqBkz8pAcAvGtgyi0kn3icQPTosbvAG7t0g/ezd2"

static char scratch[PATH_MAX];

/* "SCRATCH/rel" in a static ring of buffers (enough for one expression's worth). */
static const char *P(const char *fmt, ...)
{
	static char bufs[8][2 * PATH_MAX + 2];
	static unsigned n;
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(bufs[n % 8], sizeof(bufs[0]), "%s/%s", scratch, rel);
	return bufs[n++ % 8];
}

static void put(const char *path, const char *text)
{
	_cleanup_free_ char *dir = strdup(path);

	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) < 0 || write_file(path, text, 0644) < 0)
		printf("# cannot write %s\n", path);
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len;

	return read_full_file(path, &buf, &len) < 0 ? NULL : buf;
}

static char *link_of(const char *path)
{
	static char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void fresh(const char *name)
{
	rm_rf(P("%s", name));
	mkdir_p(P("%s", name), 0755);
}

static void test_hash_plain(void)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	struct crypt_data cd = {};

	is_int(content_hash_password("secret", &a), 0, "plain password hashes");
	ok(a && (startswith(a, "$y$") || startswith(a, "$6$")), "hash is yescrypt or sha512 (%.3s)",
	   a ? a : "");
	ok(a && streq(crypt_r("secret", a, &cd), a), "crypt(plain, hash) == hash");
	ok(a && !streq(crypt_r("wrong", a, &cd), a), "a wrong password does not verify");
	is_int(content_hash_password("secret", &b), 0, "hashing again works");
	ok(a && b && !streq(a, b), "salts are random: two hashes differ");
}

static void test_hash_hashed(void)
{
	static const char *const bad[] = {
		"hashed:",
		"hashed:secret",
		"hashed:$6$abcdefgh12345678$",		      /* a salt, no hash */
		"hashed:$6$abcdefgh12345678",		      /* a bare setting */
		"hashed:" SHA512_SECRET "x",		      /* too long */
		"hashed:$6$abcdefgh12345678$8qry.al/7S2fAQ", /* truncated */
		"hashed:" SHA512_SECRET ":0:99999",	      /* shadow field injection */
		"hashed:$6$ab\ncd$xyz",
		"hashed:$zz$abc$defghijk",		      /* unknown method */
		"hashed:!",
		"hashed:abDdTMsxpRWmE",			      /* DES: no '$' */
	};
	char *h = NULL;

	is_int(content_hash_password("hashed:" SHA512_SECRET, &h), 0, "hashed sha512 accepted");
	is_str(h, SHA512_SECRET, "hashed sha512 passed through verbatim");
	free(steal_ptr(h));
	is_int(content_hash_password("hashed:" YESCRYPT_SECRET, &h), 0, "hashed yescrypt accepted");
	is_str(h, YESCRYPT_SECRET, "hashed yescrypt passed through verbatim");
	free(steal_ptr(h));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		h = NULL;
		is_int(content_hash_password(bad[i], &h), -EINVAL, "bad hashed value rejected");
		ok(!h, "  ...and ret untouched");
	}
}

static struct recipe *new_recipe(void)
{
	return calloc(1, sizeof(struct recipe));
}

static void recipe_done(struct recipe *r)
{
	free(r);
}

static void test_shadow(void)
{
	static const char shadow[] = "daemon:*:19000:0:99999:7:::\n"
				     "root:*:19000:0:99999:7:::\n"
				     "bin:*:19000:0:99999:7:::\n";
	struct recipe *r = new_recipe();
	_cleanup_free_ char *s = NULL;
	struct crypt_data cd = {};
	struct stat st;
	char *line, *hash;

	fresh("shadow");
	put(P("shadow/etc/shadow"), shadow);
	chmod(P("shadow/etc/shadow"), 0640);
	if (geteuid() == 0)
		chown(P("shadow/etc/shadow"), 0, 42);
	r->password = "hunter2";
	is_int(content_apply(r, P("shadow")), 0, "password applied");
	s = slurp(P("shadow/etc/shadow"));
	ok(s && startswith(s, "daemon:*:19000:0:99999:7:::\nroot:$"), "lines before root kept");
	ok(s && endswith(s, ":19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n"),
	   "root's other fields and later lines kept");
	line = s ? strstr(s, "root:") : NULL;
	hash = line ? strndup(line + 5, strcspn(line + 5, ":")) : NULL;
	ok(hash && streq(crypt_r("hunter2", hash, &cd), hash), "root hash verifies");
	free(hash);
	ok(stat(P("shadow/etc/shadow"), &st) == 0 && (st.st_mode & 07777) == 0640,
	   "shadow mode kept");
	if (geteuid() == 0)
		is_int(st.st_gid, 42, "shadow group kept");
	else
		ok(1, "shadow group kept # SKIP needs root");

	free(steal_ptr(s));
	put(P("shadow/etc/shadow"), "bin:*:1::::::\n");
	r->password = "hashed:" SHA512_SECRET;
	is_int(content_apply(r, P("shadow")), 0, "hashed password applied");
	s = slurp(P("shadow/etc/shadow"));
	is_str(s, "bin:*:1::::::\nroot:" SHA512_SECRET ":::::::\n",
	       "missing root line is appended with the verbatim hash");

	r->password = "hashed:nope";
	is_int(content_apply(r, P("shadow")), -EINVAL, "bad hashed value fails the step");

	fresh("noshadow");
	mkdir_p(P("noshadow/etc"), 0755);
	r->password = "hunter2";
	is_int(content_apply(r, P("noshadow")), 0, "no /etc/shadow: warning, step succeeds");
	ok(!path_exists(P("noshadow/etc/shadow")), "no /etc/shadow: none created");
	recipe_done(r);
}

static void test_etc_files(void)
{
	struct recipe *r = new_recipe();
	_cleanup_free_ char *s = NULL, *t = NULL, *u = NULL;

	fresh("etc");
	put(P("etc/etc/hosts"),
	    "127.0.0.1\tlocalhost\n127.0.1.1\told.example old\n::1\tlocalhost\n");
	put(P("etc/etc/timezone"), "Etc/UTC\n");
	put(P("etc/usr/share/zoneinfo/Europe/Berlin"), "TZif");
	mkdir_p(P("etc/etc/default"), 0755);
	symlink("/usr/share/zoneinfo/Etc/UTC", P("etc/etc/localtime")); /* absolute, dangling */
	r->hostname = "web1";
	r->timezone = "Europe/Berlin";
	r->locale = "de_DE.UTF-8";
	is_int(content_apply(r, P("etc")), 0, "hostname, timezone, locale applied");
	is_str(s = slurp(P("etc/etc/hostname")), "web1\n", "/etc/hostname");
	is_str(t = slurp(P("etc/etc/hosts")),
	       "127.0.0.1\tlocalhost\n127.0.1.1\tweb1\n::1\tlocalhost\n",
	       "/etc/hosts 127.0.1.1 line renamed, others kept");
	is_str(link_of(P("etc/etc/localtime")), "../usr/share/zoneinfo/Europe/Berlin",
	       "/etc/localtime is a relative symlink to the zone");
	free(steal_ptr(s));
	is_str(s = slurp(P("etc/etc/timezone")), "Europe/Berlin\n", "/etc/timezone (Debian)");
	is_str(u = slurp(P("etc/etc/locale.conf")), "LANG=de_DE.UTF-8\n", "/etc/locale.conf");
	free(steal_ptr(u));
	is_str(u = slurp(P("etc/etc/default/locale")), "LANG=de_DE.UTF-8\n",
	       "/etc/default/locale (Debian)");

	fresh("bare");
	r->hostname = NULL;
	r->timezone = NULL;
	is_int(content_apply(r, P("bare")), 0, "locale on an empty tree");
	ok(path_exists(P("bare/etc/locale.conf")) && !path_exists(P("bare/etc/default")),
	   "locale.conf created, no /etc/default invented");
	r->locale = NULL;
	r->timezone = "Mars/Olympus";
	is_int(content_apply(r, P("bare")), -EINVAL, "timezone missing from the tree: -EINVAL");
	r->timezone = "../../../etc/passwd";
	is_int(content_apply(r, P("bare")), -EINVAL, "timezone with '..' rejected");
	r->timezone = NULL;
	r->hostname = "bad host";
	is_int(content_apply(r, P("bare")), -EINVAL, "invalid hostname rejected");
	recipe_done(r);
}

static void test_units(void)
{
	struct recipe *r = new_recipe();
	char *units[] = { "foo.service", "getty@tty2.service", "tmpl@.service", NULL };
	char *missing[] = { "nope.service", NULL };
	char *masked[] = { "masked.service", NULL };
	const char *sys = "units/etc/systemd/system";

	fresh("units");
	put(P("units/usr/lib/systemd/system/foo.service"),
	    "[Unit]\nDescription=foo\nWantedBy=wrong.target\n[Service]\nExecStart=/bin/true\n"
	    "[Install]\nWantedBy=multi-user.target  other.target\nRequiredBy=x.target\n"
	    "Alias=bar.service\nAlso=helper.socket\n");
	put(P("units/usr/lib/systemd/system/helper.socket"),
	    "[Install]\nWantedBy=sockets.target\n");
	put(P("units/usr/lib/systemd/system/getty@.service"),
	    "[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n");
	put(P("units/etc/systemd/system/tmpl@.service"),
	    "[Install]\nWantedBy=\nWantedBy=a.target\nDefaultInstance=d\n");
	put(P("units/usr/lib/systemd/system/masked.service"), "[Install]\nWantedBy=a.target\n");
	symlink("/dev/null", P("units/etc/systemd/system/masked.service"));
	r->enable_units = units;
	is_int(content_apply(r, P("units")), 0, "units enabled");
	is_str(link_of(P("%s/multi-user.target.wants/foo.service", sys)),
	       "/usr/lib/systemd/system/foo.service", "WantedBy= symlink");
	ok(link_of(P("%s/other.target.wants/foo.service", sys)), "second WantedBy= target");
	ok(link_of(P("%s/x.target.requires/foo.service", sys)), "RequiredBy= symlink");
	is_str(link_of(P("%s/bar.service", sys)), "/usr/lib/systemd/system/foo.service",
	       "Alias= symlink");
	ok(!path_exists(P("%s/wrong.target.wants", sys)), "WantedBy= outside [Install] ignored");
	is_str(link_of(P("%s/sockets.target.wants/helper.socket", sys)),
	       "/usr/lib/systemd/system/helper.socket", "Also= unit enabled");
	is_str(link_of(P("%s/getty.target.wants/getty@tty2.service", sys)),
	       "/usr/lib/systemd/system/getty@.service", "instance links to the template");
	is_str(link_of(P("%s/a.target.wants/tmpl@d.service", sys)),
	       "/etc/systemd/system/tmpl@.service", "template uses DefaultInstance=");
	is_int(content_apply(r, P("units")), 0, "enabling again is idempotent");

	r->enable_units = missing;
	is_int(content_apply(r, P("units")), -ENOENT, "missing unit: -ENOENT");
	r->enable_units = masked;
	is_int(content_apply(r, P("units")), -EINVAL, "masked unit refused");
	recipe_done(r);
}

/* /etc -> an absolute path on the host: writes must land inside the tree. */
static void test_containment(void)
{
	struct recipe *r = new_recipe();
	char *units[] = { "foo.service", NULL };
	_cleanup_free_ char *s = NULL;

	fresh("host");
	fresh("evil");
	put(P("host/shadow"), "root:*:1::::::\n");
	symlink(P("host"), P("evil/etc"));
	put(P("evil/%s/shadow", P("host") + 1), "root:*:1::::::\n");
	put(P("evil/lib/systemd/system/foo.service"), "[Install]\nWantedBy=multi-user.target\n");
	put(P("evil/usr/share/zoneinfo/UTC"), "TZif");
	r->hostname = "evil";
	r->timezone = "UTC";
	r->locale = "C.UTF-8";
	r->password = "x";
	r->enable_units = units;
	is_int(content_apply(r, P("evil")), 0, "apply on a tree whose /etc points at the host");
	ok(!path_exists(P("host/hostname")) && !path_exists(P("host/localtime")) &&
		   !path_exists(P("host/locale.conf")) && !path_exists(P("host/systemd")),
	   "nothing written in the host directory");
	is_str(s = slurp(P("host/shadow")), "root:*:1::::::\n", "host shadow untouched");
	ok(path_exists(P("evil/%s/hostname", P("host") + 1)),
	   "hostname written where /etc resolves inside the tree");
	ok(link_of(P("evil/%s/systemd/system/multi-user.target.wants/foo.service", P("host") + 1)),
	   "unit symlink written inside the tree");
	recipe_done(r);
}

static int write_tar(const char *path, const char *const *names)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		r = -EIO;
	for (; r == 0 && *names; names++) {
		bool dir = endswith(*names, "/");

		archive_entry_clear(e);
		archive_entry_set_pathname(e, *names);
		archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(e, dir ? (strstr(*names, "private") ? 0700 : 0755) : 0644);
		archive_entry_set_size(e, dir ? 0 : 3);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (!dir && archive_write_data(a, "hi\n", 3) != 3))
			r = -EIO;
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	return r;
}

static void test_trees(void)
{
	static const char *const good[] = { "./", "./usr/", "./usr/lib/", "./usr/lib/a",
					    "lib/b", "./lib/sub/c", NULL };
	static const char *const dotdot[] = { "ok", "x/../../escaped", NULL };
	static const char *const absolute[] = { "/abs-escaped", NULL };
	static const char *const fixup[] = { "private/", "private/f", "../escape", NULL };
	struct recipe *r = new_recipe();
	char *base[] = { (char *)P("t.tar"), NULL }, *extra[3] = {};
	_cleanup_free_ char *xt = NULL, *xd = NULL;
	struct stat st;

	fresh("tree");
	write_tar(P("t.tar"), good);
	symlink("/usr/lib", P("tree/lib")); /* merged /usr, absolute like some distros */
	r->base_trees = base;
	is_int(content_base_trees(r, P("tree")), 0, "tarball extracted over a merged-/usr tree");
	ok(link_of(P("tree/lib")), "lib stays a symlink");
	ok(path_exists(P("tree/usr/lib/a")) && path_exists(P("tree/usr/lib/b")) &&
		   path_exists(P("tree/usr/lib/sub/c")),
	   "members under lib/ land in usr/lib/");

	write_tar(P("dotdot.tar"), dotdot);
	base[0] = (char *)P("dotdot.tar");
	is_int(content_base_trees(r, P("tree")), -EXDEV, "member with '..' refused");
	ok(!path_exists(P("escaped")), "nothing written outside");
	write_tar(P("abs.tar"), absolute);
	base[0] = (char *)P("abs.tar");
	is_int(content_base_trees(r, P("tree")), -EXDEV, "member with an absolute path refused");
	ok(!path_exists("/abs-escaped"), "nothing written at the host root");

	/* a failed extraction must not apply libarchive's deferred directory fixups (relative
	 * paths) in the caller's working directory */
	write_tar(P("fixup.tar"), fixup);
	base[0] = (char *)P("fixup.tar");
	mkdir_p(P("cwd/private"), 0755);
	chdir(P("cwd"));
	is_int(content_base_trees(r, P("tree")), -EXDEV, "failed extraction");
	chdir("/");
	ok(stat(P("cwd/private"), &st) == 0 && (st.st_mode & 07777) == 0755,
	   "failed extraction left the caller's working directory alone");
	ok(stat(P("tree/private"), &st) == 0 && (st.st_mode & 07777) == 0700,
	   "failed extraction fixed up the directories it made in the tree");

	base[0] = (char *)P("no-such-tree");
	is_int(content_base_trees(r, P("tree")), -ENOENT, "missing base tree: -ENOENT");

	put(P("xdir/etc/motd"), "hello\n");
	xd = strdup(P("xdir"));
	xt = strjoin(P("t.tar"), ":/opt/t", NULL);
	extra[0] = xd;
	extra[1] = xt;
	r->base_trees = NULL;
	r->extra_trees = extra;
	is_int(content_apply(r, P("tree")), 0, "extra trees: a directory and a tarball at TARGET");
	ok(path_exists(P("tree/etc/motd")), "extra directory copied to /");
	ok(path_exists(P("tree/opt/t/usr/lib/a")), "extra tarball extracted at its TARGET");
	extra[1] = "rel:target";
	is_int(content_apply(r, P("tree")), -EINVAL, "relative TARGET rejected");
	recipe_done(r);
}

static void test_postinst_needs_root(void)
{
	struct recipe *r = new_recipe();
	pid_t pid;
	int status = 0;

	fresh("pi");
	chmod(scratch, 0755);
	put(P("pi-script"), "#!/bin/sh\nexit 0\n");
	r->postinst_script = (char *)P("pi-script");
	if (geteuid() != 0) {
		is_int(content_apply(r, P("pi")), -EPERM, "PostInstallationScript without root");
		recipe_done(r);
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(99);
		_exit(content_apply(r, P("pi")) == -EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "PostInstallationScript without root: -EPERM");
	r->postinst_script = (char *)P("no-such-script");
	is_int(content_apply(r, P("pi")), -ENOENT, "missing PostInstallationScript: -ENOENT");
	recipe_done(r);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	log_setup("test-content");
	log_set_level(LOG_LVL_ERROR);
	snprintf(scratch, sizeof(scratch), "%s/test-content.XXXXXX", tmp ? tmp : "/var/tmp");
	if (!mkdtemp(scratch))
		return 1;
	test_hash_plain();
	test_hash_hashed();
	test_shadow();
	test_etc_files();
	test_units();
	test_containment();
	test_trees();
	test_postinst_needs_root();
	rm_rf(scratch);
	return tap_done();
}
