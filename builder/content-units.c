/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EnableUnits=: create the symlinks "systemctl enable" would, from each unit's [Install]
 * section, without running systemctl (the image may have none, and it must not see the host).
 *
 *	WantedBy=T    /etc/systemd/system/T.wants/UNIT    -> unit file
 *	RequiredBy=T  /etc/systemd/system/T.requires/UNIT -> unit file
 *	UpheldBy=T    /etc/systemd/system/T.upholds/UNIT  -> unit file
 *	Alias=A       /etc/systemd/system/A               -> unit file
 *	Also=U        U is enabled too
 *
 * Templates: "foo@bar.service" uses foo@.service when there is no foo@bar.service and links as
 * "foo@bar.service"; "foo@.service" links as "foo@DEFAULT.service" with DefaultInstance=.
 * Specifiers (%i, ...) are not expanded: such values are skipped with a warning.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "content-internal.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"

#define ALSO_DEPTH_MAX 8

static const char *const unit_dirs[] = {
	"/etc/systemd/system",
	"/usr/lib/systemd/system",
	"/lib/systemd/system",
};

struct install {
	char **wanted_by, **required_by, **upheld_by, **alias, **also;
	char *default_instance;
};

static void install_done(struct install *i)
{
	strv_free(i->wanted_by);
	strv_free(i->required_by);
	strv_free(i->upheld_by);
	strv_free(i->alias);
	strv_free(i->also);
	free(i->default_instance);
}

static int install_assign(struct install *i, const char *key, char *value)
{
	char ***l = streq(key, "WantedBy")     ? &i->wanted_by
		    : streq(key, "RequiredBy") ? &i->required_by
		    : streq(key, "UpheldBy")   ? &i->upheld_by
		    : streq(key, "Alias")      ? &i->alias
		    : streq(key, "Also")       ? &i->also
					       : NULL;

	if (streq(key, "DefaultInstance")) {
		free(i->default_instance);
		i->default_instance = *value ? strdup(value) : NULL;
		return 0;
	}
	if (!l)
		return 0;
	if (!*value) {
		strv_free(*l);
		*l = NULL;
	}
	for (char *save = NULL, *w = strtok_r(value, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save))
		if (strv_extend(l, w) < 0)
			return -ENOMEM;
	return 0;
}

/* The [Install] section of a unit file (buf is modified). */
static int parse_install(char *buf, struct install *i)
{
	bool in_install = false;
	char *save = NULL;

	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s = strstrip(line), *eq;

		if (*s == '[')
			in_install = streq(s, "[Install]");
		if (!in_install || *s == '#' || *s == ';' || !(eq = strchr(s, '=')))
			continue;
		*eq = '\0';
		if (install_assign(i, strstrip(s), strstrip(eq + 1)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static bool valid_unit_name(const char *s)
{
	const char *dot = strrchr(s, '.');
	size_t n = strlen(s);

	return n > 0 && n < 256 && dot && dot != s && dot[1] &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") ==
		   n;
}

/* "foo@bar.service" -> "foo@.service"; NULL when name is not an instance (or no memory). */
static char *template_of(const char *name)
{
	const char *at = strchr(name, '@'), *dot = strrchr(name, '.');
	char *t;

	if (!at || !dot || at + 1 >= dot)
		return NULL;
	t = malloc(strlen(name) + 1);
	if (t)
		sprintf(t, "%.*s%s", (int)(at - name + 1), name, dot);
	return t;
}

/* Find a unit file: its image path and host path.  A mask in /etc is -ESHUTDOWN. */
static int find_unit(const char *root, const char *name, char **ret_image, char **ret_host)
{
	for (size_t i = 0; i < ELEMENTSOF(unit_dirs); i++) {
		_cleanup_free_ char *image = strjoin(unit_dirs[i], "/", name, NULL);
		_cleanup_free_ char *host = NULL, *lhost = NULL;
		char target[16];
		struct stat st;
		ssize_t n;

		if (!image)
			return -ENOMEM;
		if (i == 0 && content_chase_parent(root, image, false, &lhost) >= 0 &&
		    (n = readlink(lhost, target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			if (streq(target, "/dev/null"))
				return -ESHUTDOWN;
		}
		if (chase_in_root(root, image, &host) < 0 || stat(host, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		*ret_image = steal_ptr(image);
		*ret_host = steal_ptr(host);
		return 0;
	}
	return -ENOENT;
}

/* Create (or keep) the symlink link (an image path) -> target. */
static int make_link(const char *root, const char *link, const char *target)
{
	_cleanup_free_ char *host = NULL;
	char buf[4096];
	ssize_t n;
	int r;

	r = content_chase_parent(root, link, true, &host);
	if (r < 0)
		return r;
	n = readlink(host, buf, sizeof(buf) - 1);
	if (n >= 0) {
		buf[n] = '\0';
		if (streq(buf, target))
			return 0;
		if (unlink(host) < 0)
			return negative_errno();
	} else if (errno != ENOENT)
		return errno == EINVAL ? -EEXIST : negative_errno();
	if (symlink(target, host) < 0)
		return negative_errno();
	log_debug("created symlink '%s' -> '%s'", link, target);
	return 0;
}

/* One symlink per target unit in l: /etc/systemd/system/T.SUFFIX/LINKNAME, or the alias. */
static int link_all(const char *root, char **l, const char *suffix, const char *linkname,
		    const char *target)
{
	for (; l && *l; l++) {
		_cleanup_free_ char *link = NULL;
		int r;

		if (strchr(*l, '%') || !valid_unit_name(*l)) {
			log_warning("unit '%s': skipping '%s' (specifiers are not supported)",
				    linkname, *l);
			continue;
		}
		link = suffix ? strjoin("/etc/systemd/system/", *l, suffix, "/", linkname, NULL)
			      : strjoin("/etc/systemd/system/", *l, NULL);
		if (!link)
			return -ENOMEM;
		r = make_link(root, link, target);
		if (r < 0)
			return log_error_errno(r, "cannot create '%s' in the image", link);
	}
	return 0;
}

/* Read the unit's [Install] section. */
static int load_install(const char *host, struct install *i)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = read_full_file(host, &buf, &len);
	if (r < 0)
		return r;
	return parse_install(buf, i);
}

/* The name the symlinks get: the unit, or for a bare template its DefaultInstance= (NULL if
 * none: nothing to link, as with systemctl). */
static char *link_name(const char *name, const struct install *i)
{
	const char *at = strchr(name, '@'), *dot = strrchr(name, '.');
	char *l;

	if (!at || at + 1 != dot)
		return strdup(name);
	if (!i->default_instance)
		return NULL;
	l = malloc(strlen(name) + strlen(i->default_instance) + 1);
	if (l)
		sprintf(l, "%.*s%s%s", (int)(at - name + 1), name, i->default_instance, dot);
	return l;
}

static int enable_unit(const char *root, const char *name, unsigned depth);

static int enable_links(const char *root, const char *name, const struct install *i,
			const char *target, unsigned depth)
{
	_cleanup_free_ char *link = link_name(name, i);
	int r;

	if (!link) {
		log_warning("unit '%s' is a template without DefaultInstance=: nothing enabled, "
			    "name an instance ('%.*s@NAME%s')", name,
			    (int)(strchr(name, '@') - name), name, strrchr(name, '.'));
		return 0;
	}
	if (!i->wanted_by && !i->required_by && !i->upheld_by && !i->alias && !i->also)
		log_warning("unit '%s' has no [Install] section: nothing to enable", name);
	r = link_all(root, i->wanted_by, ".wants", link, target);
	if (r >= 0)
		r = link_all(root, i->required_by, ".requires", link, target);
	if (r >= 0)
		r = link_all(root, i->upheld_by, ".upholds", link, target);
	if (r >= 0)
		r = link_all(root, i->alias, NULL, link, target);
	for (char **a = i->also; r >= 0 && a && *a; a++)
		r = enable_unit(root, *a, depth + 1);
	return r;
}

static int enable_unit(const char *root, const char *name, unsigned depth)
{
	_cleanup_free_ char *image = NULL, *host = NULL, *template = NULL;
	struct install i = {};
	int r;

	if (depth > ALSO_DEPTH_MAX)
		return 0; /* Also= cycles are legal; systemctl stops at the first repeat */
	if (!valid_unit_name(name))
		return content_fail(-EINVAL, "invalid unit name '%s'", name);
	r = find_unit(root, name, &image, &host);
	if (r == -ENOENT && (template = template_of(name)))
		r = find_unit(root, template, &image, &host);
	if (r == -ESHUTDOWN)
		return content_fail(-EINVAL, "cannot enable unit '%s': it is masked in the image",
				    name);
	if (r == -ENOENT)
		return content_fail(r, "cannot enable unit '%s': not found in the image", name);
	if (r < 0)
		return log_error_errno(r, "cannot enable unit '%s'", name);
	r = load_install(host, &i);
	if (r < 0) {
		install_done(&i);
		return log_error_errno(r, "cannot read unit file '%s' in the image", image);
	}
	log_debug("enabling unit '%s' (%s)", name, image);
	r = enable_links(root, name, &i, image, depth);
	install_done(&i);
	return r;
}

int content_enable_units(const struct recipe *r, const char *root)
{
	for (char **u = r->enable_units; u && *u; u++) {
		int k = enable_unit(root, *u, 0);
		if (k < 0)
			return k;
	}
	return 0;
}
