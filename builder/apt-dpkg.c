/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apt-dpkg.h"
#include "apt-sources.h"
#include "bootstrap.h"
#include "fileio.h"
#include "log.h"
#include "spawn.h"
#include "strutil.h"

#define POLICY_RC_D "/usr/sbin/policy-rc.d"
#define POLICY_RC_D_TEXT "#!/bin/sh\n# written by mkimg while it installs packages\nexit 101\n"
#define NODOC_CFG "/etc/dpkg/dpkg.cfg.d/01-mkimg-nodoc"

const char *const apt_nodoc_filter[] = {
	"-/usr/share/doc/*", "+/usr/share/doc/*/copyright", "-/usr/share/man/*",
	"-/usr/share/info/*", "-/usr/share/groff/*", "-/usr/share/lintian/*",
	"-/usr/share/linda/*", NULL,
};

int apt_write_nodoc(const char *root)
{
	_cleanup_free_ char *dir = strjoin(root, "/etc/dpkg/dpkg.cfg.d", NULL),
			    *path = strjoin(root, NODOC_CFG, NULL),
			    *text = strdup("# WithDocs=no: written by mkimg\n");
	int r;

	for (size_t i = 0; text && apt_nodoc_filter[i]; i++) {
		const char *f = apt_nodoc_filter[i];
		char *n = strjoin(text, f[0] == '-' ? "path-exclude=" : "path-include=", f + 1,
				  "\n", NULL);
		free(text);
		text = n;
	}
	if (!dir || !path || !text)
		return -ENOMEM;
	r = mkdir_p(dir, 0755);
	if (r >= 0)
		r = write_file(path, text, 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s'", path);
	return 0;
}

static int merge_usr(const char *root, const char *arch)
{
	const char *const *dirs = apt_merged_usr_dirs(arch);
	struct stat st;
	int r;

	for (size_t i = 0; dirs[i]; i++) {
		_cleanup_free_ char *link = strjoin(root, "/", dirs[i], NULL),
				    *target = strjoin("usr/", dirs[i], NULL),
				    *dir = strjoin(root, "/usr/", dirs[i], NULL);
		if (!link || !target || !dir)
			return -ENOMEM;
		r = mkdir_p(dir, 0755);
		if (r < 0)
			return log_error_errno(r, "cannot create '%s'", dir);
		if (lstat(link, &st) == 0) {
			if (!S_ISLNK(st.st_mode))
				log_warning("'/%s' is a directory in the base tree: /usr stays split "
					    "there", dirs[i]);
			continue;
		}
		if (symlink(target, link) < 0)
			return log_error_errno(-errno, "cannot create symlink '%s'", link);
	}
	return 0;
}

int apt_prepare_root(const char *root, bool merged_usr, const char *arch)
{
	static const char *const dirs[] = { "/var/lib/dpkg/info", "/var/lib/dpkg/updates",
					    "/var/lib/dpkg/triggers", "/var/cache/apt/archives",
					    "/etc/apt/sources.list.d", "/usr/sbin" };
	static const char *const files[] = { "/var/lib/dpkg/status", "/var/lib/dpkg/available" };
	int r;

	if (merged_usr) {
		r = merge_usr(root, arch);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p = strjoin(root, dirs[i], NULL);
		if (!p)
			return -ENOMEM;
		r = mkdir_p(p, 0755);
		if (r < 0)
			return log_error_errno(r, "cannot create '%s'", p);
	}
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *p = strjoin(root, files[i], NULL);
		_cleanup_close_ int fd = -1;
		if (!p)
			return -ENOMEM;
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return log_error_errno(-errno, "cannot create '%s'", p);
	}
	return 0;
}

int apt_policy_rc_d_install(const char *root, bool *ret_created)
{
	_cleanup_free_ char *p = strjoin(root, POLICY_RC_D, NULL);
	int r;

	if (!p)
		return -ENOMEM;
	*ret_created = false;
	if (access(p, F_OK) == 0)
		return 0; /* the base tree brought its own: it stays as it is */
	r = write_file(p, POLICY_RC_D_TEXT, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s'", p);
	*ret_created = true;
	return 0;
}

int apt_policy_rc_d_remove(const char *root)
{
	_cleanup_free_ char *p = strjoin(root, POLICY_RC_D, NULL);

	if (!p)
		return -ENOMEM;
	if (unlink(p) < 0 && errno != ENOENT)
		return log_error_errno(-errno, "cannot remove '%s'", p);
	return 0;
}

static char **dpkg_env(void)
{
	static const char *const fixed[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"DEBIAN_FRONTEND=noninteractive",
		"DEBCONF_NONINTERACTIVE_SEEN=true",
		"DEBCONF_NOWARNINGS=yes",
		"LC_ALL=C.UTF-8",
		"LANG=C.UTF-8",
		"HOME=/root",
		"TERM=dumb",
	};
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	char **env = NULL;

	for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
		if (strv_extend(&env, fixed[i]) < 0)
			goto fail;
	/* shadow's useradd and others date their records with it: reproducible builds */
	if (!isempty(epoch) && strv_push(&env, strjoin("SOURCE_DATE_EPOCH=", epoch, NULL)) < 0)
		goto fail;
	return env;
fail:
	strv_free(env);
	return NULL;
}

static int run_dpkg_phase(const char *root, const char *what, char **argv, int log_fd,
			  const char *log_path)
{
	_cleanup_strv_free_ char **env = dpkg_env();
	bool verbose = log_get_level() >= LOG_LVL_DEBUG;
	struct spawn_opts o = {
		.chroot = root,
		.env = env,
		.api_mounts = true,
		.stdin_fd = -1,
		.stdout_fd = verbose ? STDERR_FILENO : log_fd,
		.stderr_fd = verbose ? STDERR_FILENO : log_fd,
	};
	int r;

	if (!env)
		return -ENOMEM;
	log_info("configure: %s", what);
	r = spawn_wait(argv, &o);
	if (r < 0)
		return log_error_errno(r, "cannot run dpkg in '%s'", root);
	if (r != 0) {
		if (!verbose)
			bootstrap_log_tail(log_path, 25);
		log_error("dpkg failed (exit status %d) while installing %s", r, what);
		return -EPROTO;
	}
	return 0;
}

/*
 * dpkg configures in command-line order (deferring only packages whose dependencies wait),
 * but essential packages do not declare their needs on each other: the users and groups of
 * base-passwd and the directories of base-files come first, as debootstrap does it.
 */
static const char *const first[] = { "base-passwd", "base-files" };

static int rank(const struct solve_pkg *p)
{
	for (size_t i = 0; i < ELEMENTSOF(first); i++)
		if (streq(p->name, first[i]))
			return (int)i;
	return (int)ELEMENTSOF(first);
}

static int dpkg_install(const char *root, const struct solve_set *set, char *const *debs,
			bool essential, int log_fd, const char *log_path)
{
	static const char *const head[] = { "dpkg", "--install", "--force-depends",
					    "--force-unsafe-io", "--force-confdef",
					    "--force-confold" };
	_cleanup_strv_free_ char **argv = NULL;
	char what[64];
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(head); i++)
		if (strv_extend(&argv, head[i]) < 0)
			return -ENOMEM;
	for (int k = 0; k <= (int)ELEMENTSOF(first); k++)
		for (size_t i = 0; i < set->n; i++) {
			if (set->pkgs[i].essential != essential || rank(&set->pkgs[i]) != k)
				continue;
			if (strv_extend(&argv, debs[i]) < 0)
				return -ENOMEM;
			n++;
		}
	if (n == 0)
		return 0;
	snprintf(what, sizeof(what), "%zu %s packages", n, essential ? "essential" : "other");
	return run_dpkg_phase(root, what, argv, log_fd, log_path);
}

int apt_run_dpkg(const char *root, const struct solve_set *set, char *const *debs,
		 const char *log_path)
{
	_cleanup_close_ int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s'", log_path);
	r = dpkg_install(root, set, debs, true, fd, log_path);
	if (r >= 0)
		r = dpkg_install(root, set, debs, false, fd, log_path);
	return r;
}

/* "Package: x" + "Status: ..." of each paragraph of the status file. */
static const char *status_of(const char *data, const char *name, size_t *ret_len)
{
	size_t nl = strlen(name);

	for (const char *p = data; p && *p;) {
		const char *end = strstr(p, "\n\n");
		if (strncmp(p, "Package: ", 9) == 0 && strncmp(p + 9, name, nl) == 0 &&
		    p[9 + nl] == '\n') {
			const char *s = strstr(p, "\nStatus: ");
			if (s && (!end || s < end)) {
				s += 9;
				*ret_len = strcspn(s, "\n");
				return s;
			}
		}
		p = end ? end + 2 : NULL;
	}
	return NULL;
}

int apt_check_installed(const char *root, const struct solve_set *set)
{
	_cleanup_free_ char *path = strjoin(root, "/var/lib/dpkg/status", NULL), *data = NULL;
	unsigned bad = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_full_file(path, &data, NULL);
	if (r < 0)
		return log_error_errno(r, "cannot read '%s'", path);
	for (size_t i = 0; i < set->n; i++) {
		size_t len = 0;
		const char *s = status_of(data, set->pkgs[i].name, &len);
		if (s && len == strlen("install ok installed") &&
		    strncmp(s, "install ok installed", len) == 0)
			continue;
		log_error("package '%s' is not installed after dpkg ran (status: %.*s)",
			  set->pkgs[i].name, s ? (int)len : 7, s ? s : "missing");
		bad++;
	}
	return bad ? -EPROTO : 0;
}

/* Remove the regular files of dir whose name ends in suffix, or (suffix NULL) that are not
 * empty: logs go, the empty wtmp/lastlog that packages create stay. */
static void clean_dir(const char *root, const char *rel, const char *suffix, bool recurse)
{
	_cleanup_free_ char *dir = strjoin(root, rel, NULL);
	_cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		struct stat st;
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		sub = strjoin(rel, "/", de->d_name, NULL);
		if (!sub || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && recurse)
			clean_dir(root, sub, suffix, true);
		else if (S_ISREG(st.st_mode) &&
			 (suffix ? endswith(de->d_name, suffix) != NULL : st.st_size > 0))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
}

int apt_clean_root(const char *root)
{
	static const char *const gone[] = {
		"/var/cache/ldconfig/aux-cache", "/var/lib/dbus/machine-id",
		"/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin",
		"/var/lib/dpkg/lock", "/var/lib/dpkg/lock-frontend",
		"/var/lib/dpkg/triggers/Lock", "/etc/.pwd.lock",
	};
	_cleanup_free_ char *mid = strjoin(root, "/etc/machine-id", NULL);
	struct stat st;

	if (!mid)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(gone); i++) {
		_cleanup_free_ char *p = strjoin(root, gone[i], NULL);
		if (p && lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			(void)unlink(p);
	}
	/* Kept but empty: systemd makes up a machine ID at first boot. */
	if (lstat(mid, &st) == 0 && S_ISREG(st.st_mode) && truncate(mid, 0) < 0)
		return log_error_errno(-errno, "cannot empty '%s'", mid);
	clean_dir(root, "/var/lib/dpkg", "-old", false);
	clean_dir(root, "/var/cache/debconf", "-old", false);
	clean_dir(root, "/var/lib/apt/lists", "", true);
	clean_dir(root, "/var/log", NULL, true);
	return 0;
}
