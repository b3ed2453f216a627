/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt-repo.h"
#include "apt-sources.h"
#include "fileio.h"
#include "strutil.h"

#define DEBIAN_SECURITY_MIRROR "https://security.debian.org/debian-security"

/* Releases that predate the merged /usr, and those whose apt sources are one-line lists. */
static const char *const debian_split_usr[] = { "squeeze", "wheezy", "jessie", "stretch",
						"buster", NULL };
static const char *const ubuntu_split_usr[] = { "precise", "trusty", "xenial", "bionic",
						"cosmic", NULL };
static const char *const debian_one_line[] = { "squeeze", "wheezy", "jessie", "stretch",
					       "buster", "bullseye", "bookworm", NULL };
static const char *const ubuntu_one_line[] = { "precise", "trusty", "xenial", "bionic",
					       "cosmic", "disco", "eoan", "focal", "groovy",
					       "hirsute", "impish", "jammy", "kinetic", "lunar",
					       "mantic", NULL };


bool apt_release_merged_usr(enum distribution d, const char *release)
{
	if (d == DISTRO_DEBIAN)
		return !strv_contains((char **)debian_split_usr, release);
	if (d == DISTRO_UBUNTU)
		return !strv_contains((char **)ubuntu_split_usr, release);
	return false;
}

const char *const *apt_merged_usr_dirs(const char *arch)
{
	static const char *const base[] = { "bin", "sbin", "lib", NULL };
	static const struct {
		const char *arch;
		const char *const dirs[7];
	} t[] = {
		{ "amd64", { "bin", "sbin", "lib", "lib32", "lib64", "libx32", NULL } },
		{ "i386", { "bin", "sbin", "lib", "lib64", "libx32", NULL } },
		{ "ppc64el", { "bin", "sbin", "lib", "lib64", NULL } },
		{ "s390x", { "bin", "sbin", "lib", "lib32", NULL } },
		{ "mips64el", { "bin", "sbin", "lib", "lib32", "lib64", NULL } },
	};

	for (size_t i = 0; arch && i < ELEMENTSOF(t); i++)
		if (streq(t[i].arch, arch))
			return t[i].dirs;
	return base;
}

int apt_default_mirror(enum distribution d, const char *arch, char **ret)
{
	bool archive = streq(arch, "amd64") || streq(arch, "i386");

	if (d != DISTRO_UBUNTU)
		return apt_host_debian_mirror(ret);
	*ret = strdup(archive ? "http://archive.ubuntu.com/ubuntu"
			      : "http://ports.ubuntu.com/ubuntu-ports");
	return *ret ? 0 : -ENOMEM;
}

static char *join_words(char *const *l)
{
	char *s = strdup("");

	for (size_t i = 0; s && l && l[i]; i++) {
		char *n = strjoin(s, i ? " " : "", l[i], NULL);
		free(s);
		s = n;
	}
	return s;
}

int apt_security_mirror_at(const struct recipe *rc, const char *mirror, const char *apt_etc,
			   char **ret)
{
	int r;

	if (rc->security_mirror)
		return (*ret = strdup(rc->security_mirror)) ? 0 : -ENOMEM;
	if (rc->distribution == DISTRO_UBUNTU) {
		if (!mirror)
			return -ENOENT;
		return (*ret = strdup(mirror)) ? 0 : -ENOMEM;
	}
	if (!rc->mirror) {
		r = apt_host_debian_security_mirror_at(apt_etc, ret);
		if (r != -ENOENT)
			return r;
	}
	return (*ret = strdup(DEBIAN_SECURITY_MIRROR)) ? 0 : -ENOMEM;
}

int apt_security_mirror(const struct recipe *rc, const char *mirror, char **ret)
{
	return apt_security_mirror_at(rc, mirror, "/etc/apt", ret);
}

/* One suite's text: a one-line entry, or its part of a deb822 stanza. */
static char *source_entry(bool one_line, char *const *mirrors, char *const *suites, size_t i,
			  const char *comps)
{
	bool same = i > 0 && streq(mirrors[i], mirrors[i - 1]);
	bool last = !suites[i + 1] || !streq(mirrors[i + 1], mirrors[i]);
	const char *end = last ? "\nComponents: " : "", *end2 = last ? "\n" : "";

	if (one_line)
		return strjoin("deb ", mirrors[i], " ", suites[i], " ", comps, "\n", NULL);
	if (same)
		return strjoin(" ", suites[i], end, last ? comps : "", end2, NULL);
	return strjoin(i ? "\n" : "", "Types: deb\nURIs: ", mirrors[i], "\nSuites: ", suites[i],
		       end, last ? comps : "", end2, NULL);
}

/* One-line entries, or deb822 stanzas (one per run of suites with the same mirror). */
static int format_sources(bool one_line, char *const *mirrors, char *const *suites,
			  const char *comps, char **ret)
{
	_cleanup_free_ char *text = strdup("");

	for (size_t i = 0; text && suites[i]; i++) {
		_cleanup_free_ char *e = source_entry(one_line, mirrors, suites, i, comps);
		char *n = e ? strjoin(text, e, NULL) : NULL;

		free(text);
		text = n;
	}
	if (!text)
		return -ENOMEM;
	*ret = steal_ptr(text);
	return 0;
}

int apt_write_sources(const char *root, enum distribution d, char *const *mirrors,
		      char *const *suites, char *const *components)
{
	_cleanup_free_ char *comps = join_words(components), *text = NULL, *path = NULL,
			    *dir = NULL;
	bool one_line = strv_contains((char **)(d == DISTRO_UBUNTU ? ubuntu_one_line
								   : debian_one_line),
				      suites[0]);
	int r;

	if (!comps)
		return -ENOMEM;
	r = format_sources(one_line, mirrors, suites, comps, &text);
	if (r < 0)
		return r;
	if (one_line)
		path = strjoin(root, "/etc/apt/sources.list", NULL);
	else
		path = strjoin(root, "/etc/apt/sources.list.d/",
			       d == DISTRO_UBUNTU ? "ubuntu" : "debian", ".sources", NULL);
	dir = path ? strdup(path) : NULL;
	if (!dir)
		return -ENOMEM;
	*strrchr(dir, '/') = 0;
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	return write_file(path, text, 0644);
}
