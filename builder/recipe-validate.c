/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cross-key rules and defaults, once every file and command-line option is in.  Pure: no file
 * system access (the build checks that paths exist), so every rule is unit-tested.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe-internal.h"
#include "strutil.h"

struct release_alias {
	const char *from;
	const char *to;
};

static const struct release_alias debian_releases[] = {
    {"10", "buster"}, {"11", "bullseye"}, {"12", "bookworm"}, {"13", "trixie"}, {"14", "forky"},
};

static const struct release_alias ubuntu_releases[] = {
    {"14.04", "trusty"}, {"16.04", "xenial"}, {"18.04", "bionic"},   {"20.04", "focal"},
    {"22.04", "jammy"},	 {"24.04", "noble"},  {"24.10", "oracular"}, {"25.04", "plucky"},
};

/* The canonical forms are 7, 8 (CentOS Linux, from the vault) and streamN. */
static const struct release_alias centos_releases[] = {
    {"7", "7"},
    {"8", "8"},
    {"stream8", "stream8"},
    {"8-stream", "stream8"},
    {"stream-8", "stream8"},
    {"stream9", "stream9"},
    {"9-stream", "stream9"},
    {"stream-9", "stream9"},
    {"9", "stream9"},
    {"stream10", "stream10"},
    {"10-stream", "stream10"},
    {"stream-10", "stream10"},
    {"10", "stream10"},
};

static int fail(const struct recipe *r, const char *key, char *err, size_t errlen, const char *fmt,
		...) _printf_(5, 6);
static int fail(const struct recipe *r, const char *key, char *err, size_t errlen, const char *fmt,
		...)
{
	struct recipe_origin at = recipe_blame(r, key);
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return recipe_error(err, errlen, &at, "%s", msg);
}

static const char *alias_lookup(const struct release_alias *t, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(t[i].from, s))
			return t[i].to;
	return NULL;
}

static int set_release(struct recipe *r, const char *v)
{
	char *n = strdup(v);

	if (!n)
		return -ENOMEM;
	free(r->release);
	r->release = n;
	return 0;
}

/* Debian and Ubuntu: a code name (any, lower-cased), or a version number we can map. */
static int normalize_apt(struct recipe *r, const struct release_alias *t, size_t n,
			 const char *distro, unsigned components, char *err, size_t errlen)
{
	char version[65], known[160] = "";
	const char *to;
	size_t i = 0;

	if (!isdigit((unsigned char)r->release[0])) {
		for (char *p = r->release; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!strspn(r->release, "abcdefghijklmnopqrstuvwxyz") ||
		    r->release[strspn(r->release, "abcdefghijklmnopqrstuvwxyz-")])
			return fail(r, "Release", err, errlen, "invalid %s release '%s'", distro,
				    r->release);
		return 0;
	}
	/* "12.5" is bookworm, "22.04.3" is jammy. */
	for (unsigned dots = 0; r->release[i] && i < sizeof(version) - 1; i++) {
		if (r->release[i] == '.' && ++dots == components)
			break;
		version[i] = r->release[i];
	}
	version[i] = 0;
	to = alias_lookup(t, n, version);
	if (to)
		return set_release(r, to);
	for (i = 0; i < n; i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
			 i ? ", " : "", t[i].from);
	return fail(r, "Release", err, errlen,
		    "unknown %s release '%s' (use a code name, or one of %s)", distro, r->release,
		    known);
}

static int normalize_centos(struct recipe *r, char *err, size_t errlen)
{
	const char *names[ELEMENTSOF(centos_releases)], *to;
	char sugg[96];

	to = alias_lookup(centos_releases, ELEMENTSOF(centos_releases), r->release);
	if (to)
		return set_release(r, to);
	for (size_t i = 0; i < ELEMENTSOF(centos_releases); i++)
		names[i] = centos_releases[i].from;
	/* Suggest for typos of names ("steam9"), not between version numbers ("6" is not "7"). */
	if (r->release[strspn(r->release, "0123456789.")])
		recipe_suggest(sugg, sizeof(sugg), r->release, names, ELEMENTSOF(names), "'", "'");
	else
		sugg[0] = 0;
	return fail(r, "Release", err, errlen, "unknown CentOS release '%s'%s", r->release,
		    *sugg ? sugg : " (supported: 7, 8, stream8, stream9, stream10)");
}

/* Rocky Linux and AlmaLinux: a major version 8, 9 or 10, optionally a point release. */
static int normalize_el(struct recipe *r, const char *distro, char *err, size_t errlen)
{
	const char *s = r->release;
	size_t major = strspn(s, "0123456789");
	bool ok = (major == 1 && (s[0] == '8' || s[0] == '9')) ||
		  (major == 2 && s[0] == '1' && s[1] == '0');

	if (ok && s[major] == '.')
		ok = s[major + 1] && !s[major + 1 + strspn(s + major + 1, "0123456789")];
	else if (ok)
		ok = s[major] == 0;
	if (!ok)
		return fail(r, "Release", err, errlen,
			    "unknown %s release '%s' (supported: 8, 9, 10, or a point release such "
			    "as 9.4)",
			    distro, s);
	return 0;
}

static int normalize_release(struct recipe *r, char *err, size_t errlen)
{
	switch (r->distribution) {
	case DISTRO_DEBIAN:
		return normalize_apt(r, debian_releases, ELEMENTSOF(debian_releases), "Debian", 1,
				     err, errlen);
	case DISTRO_UBUNTU:
		return normalize_apt(r, ubuntu_releases, ELEMENTSOF(ubuntu_releases), "Ubuntu", 2,
				     err, errlen);
	case DISTRO_CENTOS:
		return normalize_centos(r, err, errlen);
	case DISTRO_ROCKY:
		return normalize_el(r, "Rocky Linux", err, errlen);
	case DISTRO_ALMA:
		return normalize_el(r, "AlmaLinux", err, errlen);
	default:
		return 0;
	}
}

static int validate_distribution(struct recipe *r, char *err, size_t errlen)
{
	const char *d = distribution_to_string(r->distribution);

	if (!d)
		return fail(r, NULL, err, errlen,
			    "missing Distribution= in [Distribution] (one of centos, ubuntu, "
			    "debian, rocky, alma, none)");
	if (r->distribution != DISTRO_NONE) {
		if (isempty(r->release))
			return fail(r, "Distribution", err, errlen,
				    "Distribution=%s needs Release= in [Distribution]", d);
		return normalize_release(r, err, errlen);
	}
	if (!r->base_trees || !r->base_trees[0])
		return fail(r, "Distribution", err, errlen,
			    "Distribution=none needs BaseTrees= in [Content] (a directory or "
			    "tarball to start from)");
	if (r->packages && r->packages[0])
		return fail(r, "Packages", err, errlen,
			    "Packages= needs a package manager, which Distribution=none has not");
	if (r->remove_packages && r->remove_packages[0])
		return fail(r, "RemovePackages", err, errlen,
			    "RemovePackages= needs a package manager, which Distribution=none has "
			    "not");
	return 0;
}

/* Metalink= and MirrorList= (mkimg extensions) replace the mirror of rpm-md repositories. */
static int validate_mirror_source(struct recipe *r, char *err, size_t errlen)
{
	const char *key = r->metalink ? "Metalink" : r->mirror_list ? "MirrorList" : NULL;
	bool rpm = r->distribution == DISTRO_CENTOS || r->distribution == DISTRO_ROCKY ||
		   r->distribution == DISTRO_ALMA;

	if (!key)
		return 0;
	if (r->metalink && r->mirror_list)
		return fail(r, "MirrorList", err, errlen,
			    "Metalink= and MirrorList= are both set: use one of them");
	if (!rpm)
		return fail(r, key, err, errlen,
			    "%s= is only for rpm-md repositories (centos, rocky, alma), not "
			    "Distribution=%s",
			    key, distribution_to_string(r->distribution) ?: "unset");
	return 0;
}

/* Debian suites without -updates and -security. */
static bool release_without_updates(const struct recipe *r)
{
	static const char *const none[] = {"sid", "unstable", "experimental", "rc-buggy"};

	for (size_t i = 0; r->distribution == DISTRO_DEBIAN && r->release && i < ELEMENTSOF(none);
	     i++)
		if (streq(r->release, none[i]))
			return true;
	return false;
}

bool recipe_updates_enabled(const struct recipe *r)
{
	return (r->distribution == DISTRO_DEBIAN || r->distribution == DISTRO_UBUNTU) &&
	       r->updates > 0 && !release_without_updates(r);
}

/* Updates= and SecurityMirror= (mkimg extensions): apt only; Updates= defaults to yes where the
 * release has the suites. */
static int validate_updates(struct recipe *r, char *err, size_t errlen)
{
	const char *key = r->updates >= 0 ? "Updates" : r->security_mirror ? "SecurityMirror" : NULL;
	bool apt = r->distribution == DISTRO_DEBIAN || r->distribution == DISTRO_UBUNTU;

	if (!apt && key)
		return fail(r, key, err, errlen,
			    "%s= is only for Debian and Ubuntu (apt repositories), not "
			    "Distribution=%s",
			    key, distribution_to_string(r->distribution) ?: "unset");
	if (apt && r->updates < 0)
		r->updates = !release_without_updates(r);
	return 0;
}

/* What a file name suffix says about format and compression (-1 / FORMAT_UNSET: nothing). */
static void output_suffix(const char *out, enum output_format *ret_fmt, int *ret_comp)
{
	static const struct {
		const char *suffix;
		enum output_format fmt;
		int comp;
	} t[] = {
	    {".tar", FORMAT_TAR, COMPRESSION_NONE},
	    {".tar.gz", FORMAT_TAR, COMPRESSION_GZ},
	    {".tgz", FORMAT_TAR, COMPRESSION_GZ},
	    {".tar.xz", FORMAT_TAR, COMPRESSION_XZ},
	    {".txz", FORMAT_TAR, COMPRESSION_XZ},
	    {".tar.zst", FORMAT_TAR, COMPRESSION_ZSTD},
	    {".tar.zstd", FORMAT_TAR, COMPRESSION_ZSTD},
	    {".tzst", FORMAT_TAR, COMPRESSION_ZSTD},
	    {".raw", FORMAT_GPT_EXT4, -1},
	    {".img", FORMAT_GPT_EXT4, -1},
	    {".gz", FORMAT_UNSET, COMPRESSION_GZ},
	    {".xz", FORMAT_UNSET, COMPRESSION_XZ},
	    {".zst", FORMAT_UNSET, COMPRESSION_ZSTD},
	    {".zstd", FORMAT_UNSET, COMPRESSION_ZSTD},
	};

	*ret_fmt = FORMAT_UNSET;
	*ret_comp = -1;
	for (size_t i = 0; out && i < ELEMENTSOF(t); i++)
		if (endswith(out, t[i].suffix)) {
			*ret_fmt = t[i].fmt;
			*ret_comp = t[i].comp;
			return;
		}
}

/* The first recipe's name without .recipe/.conf; mkosi's default "image" for the usual names. */
static int default_output(struct recipe *r)
{
	static const char *const suffixes[] = {"", ".gz", ".xz", ".zst"};
	const char *file = r->files && r->files[0] ? r->files[0] : "image";
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	_cleanup_free_ char *stem = NULL;
	const char *e;

	if (streq(base, "mkimg.recipe") || streq(base, "mkosi.conf") ||
	    streq(base, "mkosi.default") || streq(base, "command line"))
		base = "image";
	stem = strdup(base);
	if (!stem)
		return -ENOMEM;
	if ((e = endswith(stem, ".recipe")) || (e = endswith(stem, ".conf")))
		stem[e - stem] = 0;
	if (!*stem || streq(stem, ".") || streq(stem, ".."))
		return (r->output = strdup("image.raw")) ? 0 : -ENOMEM;
	if (r->format == FORMAT_GPT_EXT4)
		r->output = strjoin(stem, ".raw", NULL);
	else if (r->format == FORMAT_TAR)
		r->output = strjoin(stem, ".tar", suffixes[r->compress], NULL);
	else
		r->output = strdup(stem);
	return r->output ? 0 : -ENOMEM;
}

static int validate_output(struct recipe *r, char *err, size_t errlen)
{
	enum output_format sfmt;
	int scomp, comp;

	if (r->bootable > 0)
		return fail(r, "Bootable", err, errlen, "Bootable=yes is not supported yet");
	r->bootable = 0;
	output_suffix(r->output, &sfmt, &scomp);
	if (r->format == FORMAT_UNSET)
		r->format = sfmt == FORMAT_TAR ? FORMAT_TAR : FORMAT_GPT_EXT4;
	if (sfmt == FORMAT_TAR && r->format != FORMAT_TAR)
		return fail(r, "Output", err, errlen, "Output=%s names a tarball, but Format=%s",
			    r->output, format_to_string(r->format));
	if (r->compress >= 0 && scomp >= 0 && r->compress != scomp)
		return fail(r, "CompressOutput", err, errlen,
			    "CompressOutput=%s conflicts with Output=%s, which implies %s",
			    compression_to_string(r->compress), r->output,
			    compression_to_string(scomp));
	comp = r->compress >= 0 ? r->compress : scomp >= 0 ? scomp : COMPRESSION_NONE;
	if (comp != COMPRESSION_NONE && r->format != FORMAT_TAR) {
		if (r->compress >= 0)
			return fail(r, "CompressOutput", err, errlen,
				    "CompressOutput=%s needs Format=tar, Format=%s is not "
				    "compressed",
				    compression_to_string(comp), format_to_string(r->format));
		return fail(r, "Output", err, errlen,
			    "Output=%s names a compressed file, but Format=%s is not compressed",
			    r->output, format_to_string(r->format));
	}
	r->compress = comp;
	return r->output ? 0 : default_output(r);
}

static int apply_defaults(struct recipe *r)
{
	const char *arch = recipe_host_architecture();
	char *p;

	if (!r->architecture && arch && !(r->architecture = strdup(arch)))
		return -ENOMEM;
	if (r->password_is_hashed > 0 && r->password && !startswith(r->password, "hashed:")) {
		p = strjoin("hashed:", r->password, NULL);
		if (!p)
			return -ENOMEM;
		free(r->password);
		r->password = p;
	}
	return 0;
}

int recipe_validate(struct recipe *r, char *err, size_t errlen)
{
	int q;

	if (err && errlen)
		err[0] = 0;
	q = validate_distribution(r, err, errlen);
	if (q >= 0)
		q = validate_mirror_source(r, err, errlen);
	if (q >= 0)
		q = validate_updates(r, err, errlen);
	if (q >= 0)
		q = validate_output(r, err, errlen);
	if (q >= 0)
		q = apply_defaults(r);
	if (q == -ENOMEM && err && errlen)
		snprintf(err, errlen, "out of memory");
	return q;
}
