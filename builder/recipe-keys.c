/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The recipe keys: one table maps (section, key) to a value parser, and the parsers check each
 * value's domain (names, sizes, UUIDs, host names, paths, lists).  mkosi's older ([Validation]
 * Password=, [Output] Hostname=, [Packages] ExtraTrees=) and newer ([Content] Packages=,
 * RootPassword=, Bootable=) layouts are aliases of the same keys.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgspec.h"
#include "recipe-internal.h"
#include "strutil.h"

typedef int (*item_parser)(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *item,
			   char **ret);

#define FIELD(r, k, type) ((type *)((char *)(r) + (k)->offset))

static const char *const distribution_names[] = {
    [DISTRO_NONE] = "none",	[DISTRO_DEBIAN] = "debian", [DISTRO_UBUNTU] = "ubuntu",
    [DISTRO_CENTOS] = "centos", [DISTRO_ROCKY] = "rocky",   [DISTRO_ALMA] = "alma",
};

/* mkosi knows these; mkimg cannot bootstrap them. */
static const char *const distributions_unsupported[] = {
    "fedora", "arch", "opensuse", "mageia", "openmandriva", "gentoo",	    "clear",
    "photon", "rhel", "rhel-ubi", "azure",  "centos_epel",  "postmarketos",
};

static const char *const format_names[] = {
    [FORMAT_GPT_EXT4] = "gpt_ext4",
    [FORMAT_TAR] = "tar",
    [FORMAT_DIRECTORY] = "directory",
};

static const char *const formats_unsupported[] = {
    "subvolume", "cpio", "gpt_xfs", "gpt_btrfs", "gpt_squashfs", "plain_squashfs", "uki",
    "esp",	 "oci",	 "sysext",  "confext",	 "portable",	 "addon",	   "none",
};

static const char *const compression_names[] = {
    [COMPRESSION_NONE] = "no",
    [COMPRESSION_GZ] = "gz",
    [COMPRESSION_XZ] = "xz",
    [COMPRESSION_ZSTD] = "zstd",
};

/* Accepted spellings (Debian, mkosi, uname -m) and the Debian name they stand for. */
static const struct {
	const char *name;
	const char *debian;
} architectures[] = {
    {"amd64", "amd64"},
    {"x86-64", "amd64"},
    {"x86_64", "amd64"},
    {"arm64", "arm64"},
    {"aarch64", "arm64"},
    {"i386", "i386"},
    {"x86", "i386"},
    {"i686", "i386"},
    {"armhf", "armhf"},
    {"arm", "armhf"},
    {"armv7l", "armhf"},
    {"armel", "armel"},
    {"ppc64el", "ppc64el"},
    {"ppc64-le", "ppc64el"},
    {"ppc64le", "ppc64el"},
    {"s390x", "s390x"},
    {"riscv64", "riscv64"},
    {"loong64", "loong64"},
    {"loongarch64", "loong64"},
    {"mips64el", "mips64el"},
};

const char *distribution_to_string(enum distribution d)
{
	if (d <= DISTRO_UNSET || (size_t)d >= ELEMENTSOF(distribution_names))
		return NULL;
	return distribution_names[d];
}

const char *format_to_string(enum output_format f)
{
	if (f <= FORMAT_UNSET || (size_t)f >= ELEMENTSOF(format_names))
		return NULL;
	return format_names[f];
}

const char *compression_to_string(enum compression c)
{
	if ((size_t)c >= ELEMENTSOF(compression_names))
		return NULL;
	return compression_names[c];
}

const char *recipe_host_architecture(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "i386";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
	return "armhf";
#elif defined(__arm__)
	return "armel";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64el";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__loongarch64)
	return "loong64";
#else
	return NULL;
#endif
}

/* Value checks */

static bool chars_ok(const char *s, const char *extra)
{
	for (; *s; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr(extra, ch)))
			return false;
	}
	return true;
}

/* RFC 1123 labels (plus '_', as systemd allows), at most 64 characters in all. */
static bool hostname_valid(const char *s)
{
	size_t label = 0;

	if (strlen(s) > 64 || !chars_ok(s, "-_."))
		return false;
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == 0) {
			if (label == 0 || p[-1] == '-')
				return false;
			if (*p == 0)
				return true;
			label = 0;
			continue;
		}
		if (label == 0 && *p == '-')
			return false;
		label++;
	}
}

/* "UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5" */
static bool timezone_valid(const char *s)
{
	if (strlen(s) > 255 || !chars_ok(s, "/_+-") || s[0] == '/' || endswith(s, "/") ||
	    strstr(s, "//"))
		return false;
	return !streq(s, "..") && !startswith(s, "../") && !strstr(s, "/../") &&
	       !endswith(s, "/..") && !startswith(s, "-");
}

/* "C.UTF-8", "en_US.UTF-8", "de_DE@euro" */
static bool locale_valid(const char *s)
{
	return strlen(s) <= 127 && chars_ok(s, "_.@-") && s[0] != '.' && s[0] != '-';
}

static bool release_valid(const char *s)
{
	return strlen(s) <= 64 && chars_ok(s, "._-");
}

/* scheme://... */
static bool url_valid(const char *s)
{
	const char *sep = strstr(s, "://");
	_cleanup_free_ char *scheme = NULL;

	if (!sep || sep == s || !sep[3])
		return false;
	scheme = strndup(s, (size_t)(sep - s));
	return scheme && chars_ok(scheme, "+.-");
}

/* Generic parsers */

/* The value of a single-valued key; NULL for an empty assignment (reset to the default). */
static int scalar(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value,
		  const char **ret)
{
	if (strchr(value, '\n'))
		return recipe_parse_error(c, "%s= takes a single value, not a list", k->key);
	*ret = isempty(value) ? NULL : value;
	return 0;
}

static int set_string(char **field, const char *v)
{
	char *n = NULL;

	if (v && !(n = strdup(v)))
		return -ENOMEM;
	free(*field);
	*field = n;
	return 0;
}

static int parse_checked(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value,
			 bool (*valid)(const char *), const char *what)
{
	const char *v;
	int r = scalar(c, k, value, &v);

	if (r < 0)
		return r;
	if (v && !valid(v))
		return recipe_parse_error(c, "invalid %s '%s' for %s=", what, v, k->key);
	return set_string(FIELD(c->r, k, char *), v);
}

static char *path_resolve(const char *base, const char *p)
{
	if (isempty(base))
		return strdup(p);
	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		while (*p == '/')
			p++;
	}
	if (p[0] == '/')
		return strdup(p);
	if (*p == 0 || streq(p, "."))
		return strdup(base);
	return strjoin(base, endswith(base, "/") ? "" : "/", p, NULL);
}

static int parse_path(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	_cleanup_free_ char *p = NULL;
	const char *v;
	int r = scalar(c, k, value, &v);

	if (r < 0)
		return r;
	if (v && !(p = path_resolve(c->base_dir, v)))
		return -ENOMEM;
	free(*FIELD(c->r, k, char *));
	*FIELD(c->r, k, char *) = steal_ptr(p);
	return 0;
}

static int parse_tristate(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	static const char *const words[] = {"yes", "no", "true", "false", "on", "off"};
	char sugg[96];
	const char *v;
	int r = scalar(c, k, value, &v), b;

	if (r < 0)
		return r;
	b = v ? parse_bool(v) : -1;
	if (v && b < 0) {
		recipe_suggest(sugg, sizeof(sugg), v, words, ELEMENTSOF(words), "'", "'");
		return recipe_parse_error(c, "invalid boolean '%s' for %s=%s", v, k->key,
					  *sugg ? sugg : " (expected yes or no)");
	}
	*FIELD(c->r, k, int) = b;
	return 0;
}

/*
 * Lists: whitespace, commas and newlines separate items; "!ITEM" removes an item, "!*" all.
 * Packages= entries are keyed by their name: "!NAME" removes NAME whatever its version, and a
 * later entry for a name replaces the earlier one ("vim" after "vim=2:9.0" drops the pin).
 */

static int item_package(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *item,
			char **ret);

static bool item_same(item_parser conv, const char *a, const char *b)
{
	return conv == item_package ? pkg_spec_same_name(a, b) : streq(a, b);
}

static void strv_remove(char **l, const char *s, item_parser conv)
{
	size_t j = 0;

	for (size_t i = 0; l && l[i]; i++) {
		if (item_same(conv, l[i], s))
			free(l[i]);
		else
			l[j++] = l[i];
	}
	if (l)
		l[j] = NULL;
}

/* Add item, or let it replace an earlier item that is the same. */
static int strv_put(char ***l, char *item, item_parser conv)
{
	for (size_t i = 0; *l && (*l)[i]; i++)
		if (item_same(conv, (*l)[i], item)) {
			free((*l)[i]);
			(*l)[i] = item;
			return 0;
		}
	return strv_push(l, item);
}

static int list_apply(struct recipe_parse_ctx *c, const struct recipe_key *k, char ***l,
		      const char *tok, item_parser conv)
{
	_cleanup_free_ char *item = NULL;
	bool remove = tok[0] == '!';
	int r;

	if (streq(tok, "!*")) {
		strv_free(*l);
		*l = NULL;
		return 0;
	}
	if (remove)
		tok++;
	/* '#' and ';' would start a comment on a continuation line; '-' an option in argv. */
	if (*tok == 0 || strchr("#;-", *tok))
		return recipe_parse_error(c, "invalid item '%s' in %s=", tok, k->key);
	if (remove && conv == item_package && tok[strcspn(tok, "<>=")])
		return recipe_parse_error(c, "invalid item '!%s' in %s=: '!' removes a package "
					  "by its name, without a version", tok, k->key);
	r = conv(c, k, tok, &item);
	if (r < 0)
		return r;
	if (remove)
		strv_remove(*l, item, conv);
	else
		return strv_put(l, steal_ptr(item), conv);
	return 0;
}

static int parse_list_with(struct recipe_parse_ctx *c, const struct recipe_key *k,
			   const char *value, item_parser conv)
{
	char ***l = FIELD(c->r, k, char **);
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;
	int r;

	if (isempty(value)) {
		strv_free(*l);
		*l = NULL;
		return 0;
	}
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, " \t\r\n,", &save); t;
	     t = strtok_r(NULL, " \t\r\n,", &save)) {
		r = list_apply(c, k, l, t, conv);
		if (r < 0)
			return r;
	}
	return 0;
}

static int item_name(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *item,
		     char **ret)
{
	*ret = strdup(item);
	return *ret ? 0 : -ENOMEM;
}

static int item_path(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *item,
		     char **ret)
{
	*ret = path_resolve(c->base_dir, item);
	return *ret ? 0 : -ENOMEM;
}

/* A Packages= entry: a name, or a name with a version relation (pkgspec.h). */
static int item_package(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *item,
			char **ret)
{
	struct pkg_spec p;
	char why[160];

	if (pkg_spec_parse(item, &p, why, sizeof(why)) < 0)
		return recipe_parse_error(c, "invalid package '%s' in %s=: %s", item, k->key, why);
	*ret = strdup(item);
	return *ret ? 0 : -ENOMEM;
}

/* A RemovePackages= entry: a name only. */
static int item_package_name(struct recipe_parse_ctx *c, const struct recipe_key *k,
			     const char *item, char **ret)
{
	struct pkg_spec p;
	char why[160];

	if (pkg_spec_parse(item, &p, why, sizeof(why)) < 0)
		return recipe_parse_error(c, "invalid package '%s' in %s=: %s", item, k->key, why);
	if (p.op)
		return recipe_parse_error(c, "invalid package '%s' in %s=: %s= takes names "
					  "without a version", item, k->key, k->key);
	*ret = strdup(item);
	return *ret ? 0 : -ENOMEM;
}

/* "DIR[:TARGET]": DIR is resolved like any path, TARGET must be absolute in the image. */
static int item_extra_tree(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *item,
			   char **ret)
{
	const char *colon = strchr(item, ':');
	_cleanup_free_ char *src = NULL, *dir = NULL;

	if (!colon)
		return item_path(c, k, item, ret);
	if (colon[1] != '/')
		return recipe_parse_error(c, "target '%s' of '%s' in %s= must be an absolute path",
					  colon + 1, item, k->key);
	src = strndup(item, (size_t)(colon - item));
	if (!src || !(dir = path_resolve(c->base_dir, src)))
		return -ENOMEM;
	*ret = strjoin(dir, colon, NULL);
	return *ret ? 0 : -ENOMEM;
}

/* A unit name; "sshd" means "sshd.service", as with systemctl. */
static int item_unit(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *item,
		     char **ret)
{
	if (strlen(item) > 255 || !chars_ok(item, ":_.@\\-"))
		return recipe_parse_error(c, "invalid unit name '%s' in %s=", item, k->key);
	*ret = strchr(item, '.') ? strdup(item) : strjoin(item, ".service", NULL);
	return *ret ? 0 : -ENOMEM;
}

static int parse_list(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	return parse_list_with(c, k, value, item_name);
}

static int parse_packages(struct recipe_parse_ctx *c, const struct recipe_key *k,
			  const char *value)
{
	return parse_list_with(c, k, value, item_package);
}

static int parse_package_names(struct recipe_parse_ctx *c, const struct recipe_key *k,
			       const char *value)
{
	return parse_list_with(c, k, value, item_package_name);
}

static int parse_path_list(struct recipe_parse_ctx *c, const struct recipe_key *k,
			   const char *value)
{
	return parse_list_with(c, k, value, item_path);
}

static int parse_extra_trees(struct recipe_parse_ctx *c, const struct recipe_key *k,
			     const char *value)
{
	return parse_list_with(c, k, value, item_extra_tree);
}

static int parse_units(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	return parse_list_with(c, k, value, item_unit);
}

/* Keys with their own value domain */

static int lookup_name(const char *const *names, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && streq(names[i], v))
			return (int)i;
	return -1;
}

static int parse_distribution(struct recipe_parse_ctx *c, const struct recipe_key *k,
			      const char *value)
{
	char sugg[96];
	const char *v;
	int r = scalar(c, k, value, &v), d;

	if (r < 0)
		return r;
	d = v ? lookup_name(distribution_names, ELEMENTSOF(distribution_names), v) : DISTRO_UNSET;
	if (v && streq(v, "custom")) /* mkosi's name for "bring your own tree" */
		d = DISTRO_NONE;
	if (d < 0 &&
	    lookup_name(distributions_unsupported, ELEMENTSOF(distributions_unsupported), v) >= 0)
		return recipe_parse_error(c,
					  "distribution '%s' is not supported (supported: centos, "
					  "ubuntu, debian, rocky, alma, none)",
					  v);
	if (d < 0)
		return recipe_parse_error(
		    c, "unknown distribution '%s' for %s=%s", v, k->key,
		    recipe_suggest(sugg, sizeof(sugg), v, distribution_names + 1,
				   ELEMENTSOF(distribution_names) - 1, "'", "'"));
	c->r->distribution = (enum distribution)d;
	return 0;
}

static int parse_format(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	char sugg[96];
	const char *v;
	int r = scalar(c, k, value, &v), f;

	if (r < 0)
		return r;
	f = v ? lookup_name(format_names, ELEMENTSOF(format_names), v) : FORMAT_UNSET;
	if (v && streq(v, "disk")) /* mkosi >= 15: a GPT disk image */
		f = FORMAT_GPT_EXT4;
	if (f < 0 && lookup_name(formats_unsupported, ELEMENTSOF(formats_unsupported), v) >= 0)
		return recipe_parse_error(c,
					  "Format=%s is not supported (supported: gpt_ext4, tar, "
					  "directory)",
					  v);
	if (f < 0)
		return recipe_parse_error(c, "unknown format '%s' for %s=%s", v, k->key,
					  recipe_suggest(sugg, sizeof(sugg), v, format_names + 1,
							 ELEMENTSOF(format_names) - 1, "'", "'"));
	c->r->format = (enum output_format)f;
	return 0;
}

/* no|gz|xz|zstd, plus mkosi's spellings: a boolean (yes = zstd), gzip, zst, none. */
static int parse_compress(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	static const char *const aliases[] = {"none", "gzip", "zst"};
	static const int alias_to[] = {COMPRESSION_NONE, COMPRESSION_GZ, COMPRESSION_ZSTD};
	char sugg[96];
	const char *v;
	int r = scalar(c, k, value, &v), z = -1, b;

	if (r < 0)
		return r;
	if (!v) {
		c->r->compress = -1;
		return 0;
	}
	z = lookup_name(compression_names, ELEMENTSOF(compression_names), v);
	if (z < 0 && (b = lookup_name(aliases, ELEMENTSOF(aliases), v)) >= 0)
		z = alias_to[b];
	if (z < 0 && (b = parse_bool(v)) >= 0)
		z = b ? COMPRESSION_ZSTD : COMPRESSION_NONE;
	if (z < 0 && (streq(v, "bz2") || streq(v, "lz4") || streq(v, "lzma")))
		return recipe_parse_error(
		    c,
		    "CompressOutput=%s is not supported (supported: no, gz, xz, "
		    "zstd)",
		    v);
	if (z < 0)
		return recipe_parse_error(c, "unknown compression '%s' for %s=%s", v, k->key,
					  recipe_suggest(sugg, sizeof(sugg), v, compression_names,
							 ELEMENTSOF(compression_names), "'", "'"));
	c->r->compress = z;
	return 0;
}

static int parse_architecture(struct recipe_parse_ctx *c, const struct recipe_key *k,
			      const char *value)
{
	const char *names[ELEMENTSOF(architectures)];
	char sugg[96];
	const char *v;
	int r = scalar(c, k, value, &v);

	if (r < 0)
		return r;
	if (!v)
		return set_string(&c->r->architecture, NULL);
	for (size_t i = 0; i < ELEMENTSOF(architectures); i++) {
		if (streq(architectures[i].name, v))
			return set_string(&c->r->architecture, architectures[i].debian);
		names[i] = architectures[i].name;
	}
	return recipe_parse_error(
	    c, "unknown architecture '%s' for %s=%s", v, k->key,
	    recipe_suggest(sugg, sizeof(sugg), v, names, ELEMENTSOF(names), "'", "'"));
}

static int parse_size_key(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	uint64_t size = 0;
	const char *v;
	int r = scalar(c, k, value, &v);

	if (r < 0)
		return r;
	if (v && !streq(v, "auto") && parse_size(v, &size) < 0)
		return recipe_parse_error(
		    c,
		    "invalid size '%s' for %s= (expected bytes or a number with "
		    "a K, M, G or T suffix, such as 2G)",
		    v, k->key);
	c->r->size = size;
	return 0;
}

static int parse_seed(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	uint8_t u[16];
	const char *v;
	int r = scalar(c, k, value, &v);

	if (r < 0)
		return r;
	if (!v || streq(v, "random")) {
		c->r->have_seed = false;
		memset(c->r->seed, 0, sizeof(c->r->seed));
		return 0;
	}
	if (uuid_parse_str(v, u) < 0)
		return recipe_parse_error(c,
					  "invalid UUID '%s' for %s= (expected "
					  "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or 'random')",
					  v, k->key);
	memcpy(c->r->seed, u, sizeof(u));
	c->r->have_seed = true;
	return 0;
}

/* Bootable=auto (mkosi >= 15) means "if possible", which for mkimg is "no". */
static int parse_bootable(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	if (streq(value, "auto")) {
		c->r->bootable = 0;
		return 0;
	}
	return parse_tristate(c, k, value);
}

static int parse_password(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	const char *v;
	int r = scalar(c, k, value, &v);

	if (r < 0)
		return r;
	if (v && streq(v, "hashed:"))
		return recipe_parse_error(c, "%s=hashed: needs a crypt(3) hash after 'hashed:'",
					  k->key);
	return set_string(&c->r->password, v);
}

static int parse_mirror(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	return parse_checked(c, k, value, url_valid, "URL");
}

/* Metalink= and MirrorList= are fetched by mkimg itself: only what the fetch layer speaks. */
static bool fetch_url_valid(const char *s)
{
	return (startswith(s, "http://") || startswith(s, "https://") || startswith(s, "file://")) &&
	       url_valid(s) && !strpbrk(s, " \t\n");
}

static int parse_mirror_source(struct recipe_parse_ctx *c, const struct recipe_key *k,
			       const char *value)
{
	const char *v;
	int r = scalar(c, k, value, &v);

	if (r < 0)
		return r;
	if (v && !fetch_url_valid(v))
		return recipe_parse_error(c, "invalid URL '%s' for %s= (expected http://, https:// "
					  "or file://)", v, k->key);
	return set_string(FIELD(c->r, k, char *), v);
}

/* SecurityMirror=: fetched by mkimg, so what the fetch layer speaks, or an absolute path. */
static bool security_mirror_valid(const char *s)
{
	return s[0] == '/' ? !strpbrk(s, " \t\n") : fetch_url_valid(s);
}

static int parse_security_mirror(struct recipe_parse_ctx *c, const struct recipe_key *k,
				 const char *value)
{
	const char *v;
	int r = scalar(c, k, value, &v);

	if (r < 0)
		return r;
	if (v && !security_mirror_valid(v))
		return recipe_parse_error(c, "invalid URL '%s' for %s= (expected http://, https://, "
					  "file:// or an absolute path)", v, k->key);
	return set_string(FIELD(c->r, k, char *), v);
}

static int parse_release(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	return parse_checked(c, k, value, release_valid, "release");
}

static int parse_hostname(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	return parse_checked(c, k, value, hostname_valid, "hostname");
}

static int parse_timezone(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	return parse_checked(c, k, value, timezone_valid, "time zone");
}

static int parse_locale(struct recipe_parse_ctx *c, const struct recipe_key *k, const char *value)
{
	return parse_checked(c, k, value, locale_valid, "locale");
}

#define KEY(s, k, p, f)                                                                            \
	{                                                                                          \
		s, k, p, offsetof(struct recipe, f), NULL                                          \
	}
#define ALIAS(s, k, p, f, a)                                                                       \
	{                                                                                          \
		s, k, p, offsetof(struct recipe, f), a                                             \
	}

/* Canonical entries first: the first entry for a key name is its home section. */
const struct recipe_key recipe_keys[] = {
    KEY("Distribution", "Distribution", parse_distribution, distribution),
    KEY("Distribution", "Release", parse_release, release),
    KEY("Distribution", "Mirror", parse_mirror, mirror),
    KEY("Distribution", "Metalink", parse_mirror_source, metalink),
    KEY("Distribution", "MirrorList", parse_mirror_source, mirror_list),
    KEY("Distribution", "Architecture", parse_architecture, architecture),
    KEY("Distribution", "Repositories", parse_list, repositories),
    KEY("Distribution", "RepositoryKey", parse_path, repository_key),
    KEY("Distribution", "RepositoryKeyCheck", parse_tristate, repository_key_check),
    KEY("Distribution", "Updates", parse_tristate, updates),
    KEY("Distribution", "SecurityMirror", parse_security_mirror, security_mirror),
    KEY("Output", "Format", parse_format, format),
    KEY("Output", "Output", parse_path, output),
    KEY("Output", "Bootable", parse_bootable, bootable),
    KEY("Output", "Size", parse_size_key, size),
    KEY("Output", "CompressOutput", parse_compress, compress),
    KEY("Output", "Seed", parse_seed, seed),
    KEY("Packages", "Packages", parse_packages, packages),
    KEY("Packages", "RemovePackages", parse_package_names, remove_packages),
    KEY("Packages", "WithDocs", parse_tristate, with_docs),
    KEY("Packages", "WithRecommends", parse_tristate, with_recommends),
    KEY("Content", "Password", parse_password, password),
    KEY("Content", "Hostname", parse_hostname, hostname),
    KEY("Content", "Timezone", parse_timezone, timezone),
    KEY("Content", "Locale", parse_locale, locale),
    KEY("Content", "BaseTrees", parse_path_list, base_trees),
    KEY("Content", "ExtraTrees", parse_extra_trees, extra_trees),
    KEY("Content", "PostInstallationScript", parse_path, postinst_script),
    KEY("Content", "EnableUnits", parse_units, enable_units),
    /* mkosi >= 15 */
    ALIAS("Content", "RootPassword", parse_password, password, "Password"),
    ALIAS("Content", "Packages", parse_packages, packages, "Packages"),
    ALIAS("Content", "RemovePackages", parse_package_names, remove_packages, "RemovePackages"),
    ALIAS("Content", "WithDocs", parse_tristate, with_docs, "WithDocs"),
    ALIAS("Content", "WithRecommends", parse_tristate, with_recommends, "WithRecommends"),
    ALIAS("Content", "Bootable", parse_bootable, bootable, "Bootable"),
    /* mkosi <= 14 */
    ALIAS("Output", "Hostname", parse_hostname, hostname, "Hostname"),
    ALIAS("Packages", "ExtraTrees", parse_extra_trees, extra_trees, "ExtraTrees"),
    ALIAS("Packages", "PostInstallationScript", parse_path, postinst_script,
	  "PostInstallationScript"),
    ALIAS("Validation", "Password", parse_password, password, "Password"),
    ALIAS("Validation", "PasswordIsHashed", parse_tristate, password_is_hashed, "PasswordIsHashed"),
};

const size_t recipe_n_keys = ELEMENTSOF(recipe_keys);
