/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content steps without a package manager: base/extra trees, hostname, timezone, locale, root
 * password, enabled units, post-installation script.  See content.h.
 *
 * Paths inside the tree: "image paths" are absolute paths as seen from inside the image
 * ("/etc/hostname"); "host paths" are what chase_in_root() made of them ("ROOT/etc/hostname").
 * A file we create or replace is written at chase(parent)/name, so the last component itself is
 * never followed (replacing a symlink replaces the symlink, as an editor would).
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "content.h"
#include "content-internal.h"
#include "fileio.h"
#include "log.h"
#include "spawn.h"
#include "strutil.h"

static int check_postinst(const struct recipe *r);

/* "FILE:LINE: " where the recipe set key, or "" when unknown. */
const char *content_origin(const struct recipe *r, const char *key, char *buf, size_t len)
{
	const struct recipe_origin *o = recipe_origin_of(r, key);

	if (!o || !o->file) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, "%s:%u: ", o->file, o->line);
	return buf;
}

/* Resolve the directory dir inside root; with create, make it (and missing parents, 0755). */
int content_chase_dir(const char *root, const char *dir, bool create, char **ret)
{
	_cleanup_free_ char *host = NULL;
	int r;

	r = chase_in_root(root, dir, &host);
	if (r == -ENOENT && create) {
		_cleanup_free_ char *parent = NULL;

		/* chase refused a missing component: create it below its (resolved) parent */
		r = content_chase_parent(root, dir, true, &parent);
		if (r < 0)
			return r;
		if (mkdir(parent, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		r = chase_in_root(root, dir, &host);
	}
	if (r < 0)
		return r;
	if (!is_dir(host)) {
		if (path_exists(host))
			return -ENOTDIR;
		if (!create)
			return -ENOENT;
		r = mkdir_p(host, 0755);
		if (r < 0)
			return r;
	}
	*ret = steal_ptr(host);
	return 0;
}

/* Host path of an image path's last component inside its resolved parent directory. */
int content_chase_parent(const char *root, const char *path, bool create, char **ret)
{
	_cleanup_free_ char *dir = NULL, *host = NULL;
	const char *slash = strrchr(path, '/');
	char *p;
	int r;

	if (!slash || !slash[1] || streq(slash + 1, ".") || streq(slash + 1, ".."))
		return -EINVAL;
	dir = slash == path ? strdup("/") : strndup(path, slash - path);
	if (!dir)
		return -ENOMEM;
	r = content_chase_dir(root, dir, create, &host);
	if (r < 0)
		return r;
	p = strjoin(host, "/", slash + 1, NULL);
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

/* Atomically replace host with data; an existing regular file keeps its mode and owner. */
int content_replace_file(const char *host, const char *data, size_t len, mode_t mode)
{
	struct stat st;
	bool keep;
	int r;

	keep = lstat(host, &st) == 0;
	if (keep && S_ISDIR(st.st_mode))
		return -EISDIR;
	keep = keep && S_ISREG(st.st_mode);
	if (keep)
		mode = st.st_mode & 07777;
	r = write_file_atomic(host, data, len, mode);
	if (r < 0)
		return r;
	if (fchmodat(AT_FDCWD, host, mode, 0) < 0)
		return negative_errno();
	if (keep && lchown(host, st.st_uid, st.st_gid) < 0)
		return negative_errno();
	return 0;
}

static int write_in_root(const char *root, const char *path, const char *text)
{
	_cleanup_free_ char *host = NULL;
	int r;

	r = content_chase_parent(root, path, true, &host);
	if (r < 0)
		return r;
	return content_replace_file(host, text, strlen(text), 0644);
}

/* Copy a directory or extract a tarball (src) onto the image directory target. */
static int lay_tree(const char *src, const char *root, const char *target, const char *what,
		    const char *where)
{
	_cleanup_free_ char *host = NULL;
	struct stat st;
	int r;

	if (stat(src, &st) < 0) {
		r = negative_errno();
		if (r == -ENOENT)
			return content_fail(r, "%s%s '%s' not found", where, what, src);
		return log_error_errno(r, "%s%s '%s' cannot be read", where, what, src);
	}
	r = content_chase_dir(root, target, true, &host);
	if (r < 0)
		return log_error_errno(r, "cannot create '%s' in the image for %s '%s'", target,
				       what, src);
	log_info("%s '%s' -> '%s'", S_ISDIR(st.st_mode) ? "copying" : "extracting", src, target);
	if (!S_ISDIR(st.st_mode))
		return content_extract_archive(src, root, target);
	r = copy_tree(src, root, target);
	if (r < 0)
		return log_error_errno(r, "cannot copy %s '%s'", what, src);
	return 0;
}

int content_base_trees(const struct recipe *r, const char *root)
{
	_cleanup_free_ char *canon = realpath(root, NULL);
	char where[ORIGIN_MAX];
	int k;

	if (!canon)
		return log_error_errno(negative_errno(), "cannot resolve '%s'", root);
	k = check_postinst(r); /* fail before copying gigabytes for a build that cannot finish */
	if (k < 0)
		return k;
	content_origin(r, "BaseTrees", where, sizeof(where));
	for (char **t = r->base_trees; t && *t; t++) {
		k = lay_tree(*t, canon, "/", "base tree", where);
		if (k < 0)
			return k;
	}
	return 0;
}

/* "DIR[:TARGET]", split at the first ':' as the recipe parser does; TARGET is absolute. */
static int parse_extra_tree(const char *spec, char **ret_src, char **ret_target)
{
	const char *colon = strchr(spec, ':');

	if (colon && colon[1] != '/')
		return -EINVAL;
	*ret_src = colon ? strndup(spec, colon - spec) : strdup(spec);
	*ret_target = strdup(colon ? colon + 1 : "/");
	if (!*ret_src || !*ret_target) {
		free(*ret_src);
		free(*ret_target);
		return -ENOMEM;
	}
	return 0;
}

static int apply_extra_trees(const struct recipe *r, const char *root)
{
	char where[ORIGIN_MAX];

	content_origin(r, "ExtraTrees", where, sizeof(where));
	for (char **t = r->extra_trees; t && *t; t++) {
		_cleanup_free_ char *src = NULL, *target = NULL;
		int k;

		k = parse_extra_tree(*t, &src, &target);
		if (k == -ENOMEM)
			return log_error_errno(k, "cannot apply extra tree '%s'", *t);
		if (k < 0)
			return content_fail(k, "%sextra tree '%s': TARGET must be absolute",
					    where, *t);
		k = lay_tree(src, root, target, "extra tree", where);
		if (k < 0)
			return k;
	}
	return 0;
}

/* ---- hostname, timezone, locale ---- */

static bool valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.' || s[n - 1] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

/* Rewrite "127.0.1.1 ..." lines of /etc/hosts (Debian's installer convention) to name. */
static int fix_hosts(const char *root, const char *name)
{
	_cleanup_free_ char *host = NULL, *buf = NULL, *out = NULL;
	size_t len, n = 0;
	bool changed = false;
	struct stat st;
	int r;

	r = content_chase_parent(root, "/etc/hosts", false, &host);
	if (r < 0 || lstat(host, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	r = read_full_file(host, &buf, &len);
	if (r < 0)
		return r;
	out = malloc(len + strlen(name) + 16);
	if (!out)
		return -ENOMEM;
	for (char *line = buf, *next; line && *line; line = next) {
		const char *rest = startswith(line, "127.0.1.1");

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (rest && (*rest == ' ' || *rest == '\t') && !changed) {
			n += sprintf(out + n, "127.0.1.1\t%s\n", name);
			changed = true;
		} else
			n += sprintf(out + n, "%s%s", line, next ? "\n" : "");
	}
	return changed ? content_replace_file(host, out, n, 0644) : 0;
}

static int apply_hostname(const struct recipe *r, const char *root)
{
	_cleanup_free_ char *text = NULL;
	char where[ORIGIN_MAX];
	int k;

	if (isempty(r->hostname))
		return 0;
	if (!valid_hostname(r->hostname))
		return content_fail(-EINVAL, "%sinvalid hostname '%s'",
				    content_origin(r, "Hostname", where, sizeof(where)),
				    r->hostname);
	text = strjoin(r->hostname, "\n", NULL);
	if (!text)
		return log_error_errno(-ENOMEM, "cannot set the hostname");
	k = write_in_root(root, "/etc/hostname", text);
	if (k >= 0)
		k = fix_hosts(root, r->hostname);
	if (k < 0)
		return log_error_errno(k, "cannot set the hostname '%s' in the image", r->hostname);
	return 0;
}

/* Zone and locale names: no path tricks, no characters that need quoting. */
static bool valid_name(const char *s, const char *extra)
{
	static const char base[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t n = strlen(s), i;

	if (n == 0 || n > 128 || s[0] == '/' || s[0] == '.' || strstr(s, "/.") || strstr(s, "//"))
		return false;
	for (i = 0; i < n; i++)
		if (!strchr(base, s[i]) && !strchr(extra, s[i]))
			return false;
	return s[n - 1] != '/';
}

static int link_localtime(const char *root, const char *zone)
{
	_cleanup_free_ char *host = NULL, *tmp = NULL, *target = NULL;
	struct stat st;
	int r;

	target = strjoin("../usr/share/zoneinfo/", zone, NULL);
	if (!target)
		return -ENOMEM;
	r = content_chase_parent(root, "/etc/localtime", true, &host);
	if (r < 0)
		return r;
	if (lstat(host, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	tmp = strjoin(host, ".mkimg-new", NULL);
	if (!tmp)
		return -ENOMEM;
	(void)unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, host) < 0) {
		r = negative_errno();
		(void)unlink(tmp);
		return r;
	}
	return 0;
}

static int apply_timezone(const struct recipe *r, const char *root)
{
	_cleanup_free_ char *zonefile = NULL, *host = NULL, *text = NULL;
	char where[ORIGIN_MAX];
	struct stat st;
	int k;

	if (isempty(r->timezone))
		return 0;
	content_origin(r, "Timezone", where, sizeof(where));
	if (!valid_name(r->timezone, "/_+-"))
		return content_fail(-EINVAL, "%sinvalid timezone '%s'", where, r->timezone);
	zonefile = strjoin("/usr/share/zoneinfo/", r->timezone, NULL);
	if (!zonefile)
		return log_error_errno(-ENOMEM, "cannot set the timezone");
	k = chase_in_root(root, zonefile, &host);
	if (k < 0 || stat(host, &st) < 0 || !S_ISREG(st.st_mode))
		return content_fail(-EINVAL, "%stimezone '%s' not found in the image (no '%s')",
				    where, r->timezone, zonefile);
	k = link_localtime(root, r->timezone);
	if (k < 0)
		return log_error_errno(k, "cannot create '/etc/localtime' in the image");
	free(steal_ptr(host));
	if (content_chase_parent(root, "/etc/timezone", false, &host) >= 0 &&
	    lstat(host, &st) == 0 && S_ISREG(st.st_mode)) {
		text = strjoin(r->timezone, "\n", NULL);
		k = text ? content_replace_file(host, text, strlen(text), 0644) : -ENOMEM;
		if (k < 0)
			return log_error_errno(k, "cannot write '/etc/timezone' in the image");
	}
	return 0;
}

static int apply_locale(const struct recipe *r, const char *root)
{
	_cleanup_free_ char *text = NULL, *host = NULL;
	char where[ORIGIN_MAX];
	int k;

	if (isempty(r->locale))
		return 0;
	if (!valid_name(r->locale, "_.@-"))
		return content_fail(-EINVAL, "%sinvalid locale '%s'",
				    content_origin(r, "Locale", where, sizeof(where)), r->locale);
	text = strjoin("LANG=", r->locale, "\n", NULL);
	if (!text)
		return log_error_errno(-ENOMEM, "cannot set the locale");
	k = write_in_root(root, "/etc/locale.conf", text);
	if (k < 0)
		return log_error_errno(k, "cannot write '/etc/locale.conf' in the image");
	if (chase_in_root(root, "/etc/default", &host) >= 0 && is_dir(host)) {
		k = write_in_root(root, "/etc/default/locale", text);
		if (k < 0)
			return log_error_errno(k,
					       "cannot write '/etc/default/locale' in the image");
	}
	return 0;
}

/* ---- root password ---- */

/* A complete crypt(5) hash of a supported method: crypt() must reproduce its shape. */
static int check_hash(const char *hash)
{
	static const char chars[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz$=,-";
	_cleanup_free_ struct crypt_data *cd = NULL;
	const char *last = strrchr(hash, '$'), *out;
	int c;

	if (hash[0] != '$' || strspn(hash, chars) != strlen(hash) || last == hash)
		return -EINVAL;
	c = crypt_checksalt(hash);
	if (c != CRYPT_SALT_OK && c != CRYPT_SALT_METHOD_LEGACY && c != CRYPT_SALT_TOO_CHEAP)
		return -EINVAL;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	out = crypt_rn("", hash, cd, sizeof(*cd));
	if (!out || out[0] == '*' || strlen(out) != strlen(hash) ||
	    strncmp(out, hash, last - hash + 1) != 0)
		return -EINVAL;
	return 0;
}

static int hash_plain(const char *password, char **ret)
{
	static const char *const methods[] = { "$y$", "$6$" };
	_cleanup_free_ struct crypt_data *cd = NULL;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char rnd[16];
	int r = -ENOSYS;

	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(methods) && r < 0; i++) {
		const char *out;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return errno ? -errno : -EIO;
		if (!crypt_gensalt_rn(methods[i], 0, (const char *)rnd, sizeof(rnd), setting,
				      sizeof(setting)))
			continue;
		out = crypt_rn(password, setting, cd, sizeof(*cd));
		if (!out || out[0] == '*')
			continue;
		*ret = strdup(out);
		r = *ret ? 0 : -ENOMEM;
	}
	explicit_bzero(cd, sizeof(*cd));
	explicit_bzero(rnd, sizeof(rnd));
	return r;
}

int content_hash_password(const char *password, char **ret)
{
	const char *hashed;
	char *p;
	int r;

	if (!password)
		return -EINVAL;
	hashed = startswith(password, "hashed:");
	if (!hashed)
		return hash_plain(password, ret);
	r = check_hash(hashed);
	if (r < 0)
		return r;
	p = strdup(hashed);
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

/* shadow with the hash field of root's line(s) replaced; a root line is added if missing. */
static char *shadow_set_root(const char *shadow, const char *hash)
{
	size_t len = strlen(shadow), n = 0;
	char *out = malloc(len + (strlen(hash) + 32) * 2);
	bool found = false;

	if (!out)
		return NULL;
	for (const char *line = shadow, *end; *line; line = end) {
		const char *rest = startswith(line, "root:");

		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		if (rest && !found) {
			const char *field3 = rest + strcspn(rest, ":\n");

			n += sprintf(out + n, "root:%s", hash);
			memcpy(out + n, field3, end - field3);
			n += end - field3;
			found = true;
		} else {
			memcpy(out + n, line, end - line);
			n += end - line;
		}
	}
	if (!found) {
		if (n > 0 && out[n - 1] != '\n')
			out[n++] = '\n';
		n += sprintf(out + n, "root:%s:::::::\n", hash);
	}
	out[n] = '\0';
	return out;
}

static int apply_password(const struct recipe *r, const char *root)
{
	_cleanup_free_ char *host = NULL, *hash = NULL, *buf = NULL, *out = NULL;
	char where[ORIGIN_MAX];
	struct stat st;
	size_t len;
	int k;

	if (isempty(r->password))
		return 0;
	content_origin(r, "Password", where, sizeof(where));
	k = content_hash_password(r->password, &hash);
	if (k == -EINVAL)
		return content_fail(k, "%sinvalid hashed password: want 'hashed:' and a "
				    "complete crypt(5) hash such as '$y$...'", where);
	if (k < 0)
		return log_error_errno(k, "cannot hash the root password");
	if (content_chase_parent(root, "/etc/shadow", false, &host) < 0 || lstat(host, &st) < 0) {
		log_warning("root password not set: the image has no /etc/shadow");
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return content_fail(-EINVAL, "cannot set the root password: '/etc/shadow' in "
				    "the image is not a regular file");
	k = read_full_file(host, &buf, &len);
	if (k < 0)
		return log_error_errno(k, "cannot read '/etc/shadow' in the image");
	out = shadow_set_root(buf, hash);
	if (!out)
		return log_error_errno(-ENOMEM, "cannot set the root password");
	k = content_replace_file(host, out, strlen(out), 0640);
	if (k < 0)
		return log_error_errno(k, "cannot write '/etc/shadow' in the image");
	return 0;
}

/* ---- PostInstallationScript ---- */

static int push_env(char ***env, const char *key, const char *value)
{
	char *kv;

	if (!value)
		return 0;
	kv = strjoin(key, "=", value, NULL);
	if (!kv || strv_push(env, kv) < 0) {
		free(kv);
		return -ENOMEM;
	}
	return 0;
}

/* What mkosi gives its scripts, where it makes sense without mkosi's build/output dirs. */
static int script_env(const struct recipe *r, char ***ret)
{
	_cleanup_strv_free_ char **env = NULL;
	int k = 0;

	k |= push_env(&env, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	k |= push_env(&env, "HOME", "/root");
	k |= push_env(&env, "BUILDROOT", "/");
	k |= push_env(&env, "DISTRIBUTION", distribution_to_string(r->distribution));
	k |= push_env(&env, "RELEASE", r->release);
	k |= push_env(&env, "ARCHITECTURE", r->architecture);
	k |= push_env(&env, "WITH_DOCS", r->with_docs > 0 ? "1" : "0");
	k |= push_env(&env, "SOURCE_DATE_EPOCH", getenv("SOURCE_DATE_EPOCH"));
	k |= push_env(&env, "TERM", getenv("TERM"));
	if (k < 0)
		return -ENOMEM;
	*ret = steal_ptr(env);
	return 0;
}

static void rm_rf_freep(char **p)
{
	if (*p) {
		int r = rm_rf(*p);
		if (r < 0)
			log_warning_errno(r, "cannot remove '%s'", *p);
		free(*p);
	}
}

/* Put a copy of the script at ROOT/.mkimg-postinst.XXXXXX/postinst (mode 0755). */
static int copy_script(const char *script, const char *root, char **ret_dir, char **ret_image)
{
	_cleanup_(rm_rf_freep) char *dir = NULL;
	_cleanup_free_ char *buf = NULL, *host = NULL;
	size_t len;
	int r;

	r = read_full_file(script, &buf, &len);
	if (r < 0)
		return r;
	dir = strjoin(root, "/.mkimg-postinst.XXXXXX", NULL);
	if (!dir)
		return -ENOMEM;
	if (!mkdtemp(dir)) {
		r = negative_errno();
		free(steal_ptr(dir));
		return r;
	}
	host = strjoin(dir, "/postinst", NULL);
	if (!host)
		return -ENOMEM;
	r = write_file_atomic(host, buf, len, 0755);
	if (r >= 0 && chmod(host, 0755) < 0)
		r = negative_errno();
	if (r < 0)
		return r;
	*ret_image = strjoin("/", strrchr(dir, '/') + 1, "/postinst", NULL);
	if (!*ret_image)
		return -ENOMEM;
	*ret_dir = steal_ptr(dir);
	return 0;
}

/* Checked before any work is done, so a build that cannot finish fails at once. */
static int check_postinst(const struct recipe *r)
{
	const char *script = r->postinst_script;
	char where[ORIGIN_MAX];
	struct stat st;

	if (isempty(script))
		return 0;
	content_origin(r, "PostInstallationScript", where, sizeof(where));
	if (stat(script, &st) < 0 || !S_ISREG(st.st_mode))
		return content_fail(-ENOENT, "%sPostInstallationScript '%s' not found", where,
				    script);
	if (geteuid() != 0)
		return content_fail(-EPERM, "PostInstallationScript '%s' needs root", script);
	return 0;
}

static int run_postinst(const struct recipe *r, const char *root)
{
	_cleanup_(rm_rf_freep) char *dir = NULL;
	_cleanup_free_ char *image = NULL;
	_cleanup_strv_free_ char **env = NULL;
	const char *script = r->postinst_script;
	char final[] = "final";
	int k;

	if (isempty(script))
		return 0;
	k = check_postinst(r);
	if (k < 0)
		return k;
	k = copy_script(script, root, &dir, &image);
	if (k < 0)
		return log_error_errno(k, "cannot copy PostInstallationScript '%s' into the image",
				       script);
	k = script_env(r, &env);
	if (k < 0)
		return log_error_errno(k, "cannot run PostInstallationScript '%s'", script);

	char *argv[] = { image, final, NULL };
	struct spawn_opts opts = {
		.chroot = root,
		.cwd = "/",
		.env = env,
		.stdin_fd = -1,
		.stdout_fd = log_is_json() ? STDERR_FILENO : 0, /* keep --json's stdout clean */
		.api_mounts = true,
	};
	log_info("running PostInstallationScript '%s'", script);
	k = spawn_wait(argv, &opts);
	if (k < 0)
		return log_error_errno(k, "cannot run PostInstallationScript '%s'", script);
	if (k == 127)
		return content_fail(-EPROTO, "PostInstallationScript '%s' failed: exit status "
				    "127 (does the image have its interpreter?)", script);
	if (k > 128)
		return content_fail(-EPROTO, "PostInstallationScript '%s' failed: exit status "
				    "%d (killed by signal %d?)", script, k, k - 128);
	if (k > 0)
		return content_fail(-EPROTO, "PostInstallationScript '%s' failed: exit status %d",
				    script, k);
	return 0;
}

int content_apply(const struct recipe *r, const char *root)
{
	_cleanup_free_ char *canon = realpath(root, NULL);
	int k;
	int (*const steps[])(const struct recipe *, const char *) = {
		apply_extra_trees, apply_hostname, apply_timezone, apply_locale,
		apply_password,	   content_enable_units, run_postinst,
	};

	if (!canon)
		return log_error_errno(negative_errno(), "cannot resolve '%s'", root);
	k = check_postinst(r);
	for (size_t i = 0; k >= 0 && i < ELEMENTSOF(steps); i++)
		k = steps[i](r, canon);
	return k;
}
