/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt-repo.h"
#include "apt-sources.h"
#include "fileio.h"
#include "strutil.h"

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

int apt_write_sources(const char *root, enum distribution d, const char *mirror,
		      const char *suite, char *const *components)
{
	_cleanup_free_ char *comps = join_words(components), *text = NULL, *path = NULL,
			    *dir = NULL;
	bool one_line = strv_contains((char **)(d == DISTRO_UBUNTU ? ubuntu_one_line
								   : debian_one_line),
				      suite);
	int r;

	if (!comps)
		return -ENOMEM;
	if (one_line) {
		path = strjoin(root, "/etc/apt/sources.list", NULL);
		r = asprintf(&text, "deb %s %s %s\n", mirror, suite, comps);
	} else {
		path = strjoin(root, "/etc/apt/sources.list.d/",
			       d == DISTRO_UBUNTU ? "ubuntu" : "debian", ".sources", NULL);
		r = asprintf(&text, "Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n", mirror,
			     suite, comps);
	}
	if (r < 0 || !path)
		return -ENOMEM;
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	*strrchr(dir, '/') = 0;
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	return write_file(path, text, 0644);
}
