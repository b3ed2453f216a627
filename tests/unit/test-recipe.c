/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Recipe parser: every error class, mkosi rules and aliases, validation, and golden files. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "recipe.h"
#include "strutil.h"
#include "tap.h"

#define FILE_NAME "/r/test.recipe"

static char err[1024];

/* Parse text as FILE_NAME (and validate it if validate); returns the recipe or NULL. */
static struct recipe *parse_as(const char *file, const char *text, bool validate, int *ret)
{
	struct recipe *r = recipe_new();
	int q;

	err[0] = 0;
	q = recipe_parse_buffer(r, text, strlen(text), file, err, sizeof(err));
	if (q >= 0 && validate)
		q = recipe_validate(r, err, sizeof(err));
	if (ret)
		*ret = q;
	if (q < 0) {
		recipe_free(r);
		return NULL;
	}
	return r;
}

static int parse_more(struct recipe *r, const char *file, const char *text)
{
	return recipe_parse_buffer(r, text, strlen(text), file, err, sizeof(err));
}

static struct recipe *parse(const char *text)
{
	return parse_as(FILE_NAME, text, true, NULL);
}

static void fails_with(const char *text, bool validate, const char *want, const char *name)
{
	int q = 0;
	struct recipe *r = parse_as(FILE_NAME, text, validate, &q);

	is_int(q, -EINVAL, name);
	is_str(err, want, name);
	recipe_free(r);
}

static char *joined(char **l)
{
	char *s = strdup("");

	for (size_t i = 0; l && l[i]; i++) {
		char *n = strjoin(s, i ? " " : "", l[i], NULL);
		free(s);
		s = n;
	}
	return s;
}

#define is_list(l, want, name)                                                                     \
	do {                                                                                       \
		char *_s = joined(l);                                                              \
		is_str(_s, want, name);                                                            \
		free(_s);                                                                          \
	} while (0)

static const char seed[] = "[Distribution]\n"
			   "Distribution=centos\n"
			   "Release=7\n"
			   "\n"
			   "[Output]\n"
			   "Format=gpt_ext4\n"
			   "Bootable=no\n"
			   "Output=c7-2.raw\n"
			   "\n"
			   "[Packages]\n"
			   "Packages=\n"
			   "        systemd\n"
			   "        tar\n"
			   "        yum\n"
			   "        rpm\n";

static void test_seed(void)
{
	struct recipe *r = parse(seed);
	const struct recipe_origin *o;

	ok(r, "seed recipe parses and validates: %s", err);
	if (!r)
		return;
	is_int(r->distribution, DISTRO_CENTOS, "seed: centos");
	is_str(r->release, "7", "seed: release 7");
	is_int(r->format, FORMAT_GPT_EXT4, "seed: gpt_ext4");
	is_int(r->bootable, 0, "seed: not bootable");
	is_str(r->output, "/r/c7-2.raw", "seed: output relative to the recipe");
	is_list(r->packages, "systemd tar yum rpm", "seed: four packages in order");
	is_int(r->compress, COMPRESSION_NONE, "seed: no compression");
	o = recipe_origin_of(r, "Packages");
	ok(o && streq(o->file, FILE_NAME) && o->line == 11, "seed: Packages= origin is line 11");
	o = recipe_origin_of(r, "Output");
	ok(o && o->line == 8, "seed: Output= origin is line 8");
	recipe_free(r);
}

static void test_syntax_errors(void)
{
	fails_with("[Pakages]\nPackages=vim\n", false,
		   FILE_NAME ":2: unknown section [Pakages] (did you mean [Packages]?)",
		   "unknown section with suggestion");
	fails_with("[Frobnicate]\nX=1\n", false, FILE_NAME ":2: unknown section [Frobnicate]",
		   "unknown section without suggestion");
	fails_with("[Packages]\nPakages=vim\n", false,
		   FILE_NAME ":2: unknown key 'Pakages' in [Packages] (did you mean 'Packages'?)",
		   "unknown key with suggestion");
	fails_with("[Output]\nFrobnicate=1\n", false,
		   FILE_NAME ":2: unknown key 'Frobnicate' in [Output]",
		   "unknown key without suggestion");
	fails_with("[Output]\nPasword=x\n", false,
		   FILE_NAME ":2: unknown key 'Pasword' in [Output] (did you mean 'Password' in "
			     "[Content]?)",
		   "unknown key, suggestion from another section");
	fails_with("[Output]\nPackages=vim\n", false,
		   FILE_NAME ":2: key 'Packages' belongs in [Packages], not in [Output]",
		   "key in the wrong section");
	fails_with("[Distribution]\nRootPassword=x\n", false,
		   FILE_NAME ":2: key 'RootPassword' belongs in [Content], not in [Distribution]",
		   "alias in the wrong section");
	fails_with("[Packages]\nPackages=vim\n\n   less\n", false,
		   FILE_NAME ":4: continuation line without a preceding assignment",
		   "continuation line without a key");
	fails_with("[Packages]\nPackages vim\n", false, FILE_NAME ":2: expected 'Key=Value'",
		   "missing '='");
	fails_with("Packages=vim\n", false, FILE_NAME ":1: assignment outside of any [Section]",
		   "key before any section");
	fails_with("[Distribution]\nRelease=\n  7\n  8\n", false,
		   FILE_NAME ":2: Release= takes a single value, not a list",
		   "scalar key given a list");
}

static void test_value_errors(void)
{
	fails_with("[Packages]\nWithDocs=yse\n", false,
		   FILE_NAME ":2: invalid boolean 'yse' for WithDocs= (did you mean 'yes'?)",
		   "bad boolean with suggestion");
	fails_with("[Distribution]\nRepositoryKeyCheck=maybe\n", false,
		   FILE_NAME ":2: invalid boolean 'maybe' for RepositoryKeyCheck= (expected yes "
			     "or no)",
		   "bad boolean without suggestion");
	fails_with("[Output]\nSize=12Q\n", false,
		   FILE_NAME ":2: invalid size '12Q' for Size= (expected bytes or a number with a "
			     "K, M, G or T suffix, such as 2G)",
		   "bad size");
	fails_with("[Output]\nSeed=1234\n", false,
		   FILE_NAME ":2: invalid UUID '1234' for Seed= (expected "
			     "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or 'random')",
		   "bad UUID");
	fails_with("[Distribution]\nDistribution=debain\n", false,
		   FILE_NAME ":2: unknown distribution 'debain' for Distribution= (did you mean "
			     "'debian'?)",
		   "bad distribution with suggestion");
	fails_with("[Distribution]\nDistribution=fedora\n", false,
		   FILE_NAME ":2: distribution 'fedora' is not supported (supported: centos, "
			     "ubuntu, debian, rocky, alma, none)",
		   "mkosi distribution that mkimg cannot build");
	fails_with("[Output]\nFormat=tra\n", false,
		   FILE_NAME ":2: unknown format 'tra' for Format= (did you mean 'tar'?)",
		   "bad format with suggestion");
	fails_with("[Output]\nFormat=gpt_btrfs\n", false,
		   FILE_NAME ":2: Format=gpt_btrfs is not supported (supported: gpt_ext4, tar, "
			     "directory)",
		   "mkosi format that mkimg cannot write");
	fails_with("[Output]\nCompressOutput=zsdt\n", false,
		   FILE_NAME ":2: unknown compression 'zsdt' for CompressOutput= (did you mean "
			     "'zstd'?)",
		   "bad compression with suggestion");
	fails_with("[Output]\nCompressOutput=lz4\n", false,
		   FILE_NAME ":2: CompressOutput=lz4 is not supported (supported: no, gz, xz, "
			     "zstd)",
		   "unsupported compression");
	fails_with("[Distribution]\nArchitecture=amd46\n", false,
		   FILE_NAME ":2: unknown architecture 'amd46' for Architecture= (did you mean "
			     "'amd64'?)",
		   "bad architecture");
	fails_with(
	    "[Distribution]\nMirror=mirror.example.org\n", false,
	    FILE_NAME ":2: invalid URL 'mirror.example.org' for Mirror=", "mirror without scheme");
	fails_with("[Distribution]\nMetalink=ftp://m/metalink?repo=$repo\n", false,
		   FILE_NAME ":2: invalid URL 'ftp://m/metalink?repo=$repo' for Metalink= "
			     "(expected http://, https:// or file://)",
		   "metalink with another scheme");
	fails_with("[Distribution]\nMirrorList=mirrorlist.example.org\n", false,
		   FILE_NAME ":2: invalid URL 'mirrorlist.example.org' for MirrorList= (expected "
			     "http://, https:// or file://)",
		   "mirror list without scheme");
	fails_with("[Distribution]\nSecurityMirror=security.example.org\n", false,
		   FILE_NAME ":2: invalid URL 'security.example.org' for SecurityMirror= (expected "
			     "http://, https://, file:// or an absolute path)",
		   "security mirror without scheme");
	fails_with("[Distribution]\nUpdates=maybe\n", false,
		   FILE_NAME ":2: invalid boolean 'maybe' for Updates= (expected yes or no)",
		   "bad Updates=");
	fails_with("[Content]\nHostname=a..b\n", false,
		   FILE_NAME ":2: invalid hostname 'a..b' for Hostname=", "bad hostname");
	fails_with(
	    "[Content]\nTimezone=../etc/passwd\n", false,
	    FILE_NAME ":2: invalid time zone '../etc/passwd' for Timezone=", "bad time zone");
	fails_with("[Content]\nLocale=en US\n", false,
		   FILE_NAME ":2: invalid locale 'en US' for Locale=", "bad locale");
	fails_with("[Content]\nEnableUnits=foo/bar\n", false,
		   FILE_NAME ":2: invalid unit name 'foo/bar' in EnableUnits=", "bad unit name");
	fails_with("[Content]\nExtraTrees=dir:opt\n", false,
		   FILE_NAME
		   ":2: target 'opt' of 'dir:opt' in ExtraTrees= must be an absolute path",
		   "relative ExtraTrees target");
	fails_with("[Packages]\nPackages=vim -oDebug::pkgProblemResolver=1\n", false,
		   FILE_NAME ":2: invalid item '-oDebug::pkgProblemResolver=1' in Packages=",
		   "package name that looks like an option");
	fails_with("[Packages]\nPackages=vim foo=\n", false,
		   FILE_NAME ":2: invalid package 'foo=' in Packages=: no version after '='",
		   "pin without a version");
	fails_with("[Packages]\nPackages==1.0\n", false,
		   FILE_NAME ":2: invalid package '=1.0' in Packages=: no package name",
		   "pin without a name");
	fails_with("[Packages]\nPackages=foo==1\n", false,
		   FILE_NAME ":2: invalid package 'foo==1' in Packages=: version '=1' does not "
			     "start with a letter or digit",
		   "pin with ==");
	fails_with("[Packages]\nPackages=foo=>1\n", false,
		   FILE_NAME ":2: invalid package 'foo=>1' in Packages=: version '>1' does not "
			     "start with a letter or digit",
		   "pin with =>");
	fails_with("[Packages]\nPackages=foo>=1.0$\n", false,
		   FILE_NAME ":2: invalid package 'foo>=1.0$' in Packages=: bad character '$' in "
			     "version '1.0$'",
		   "bad character in a version");
	fails_with("[Packages]\nPackages=foo=x:1.0\n", false,
		   FILE_NAME ":2: invalid package 'foo=x:1.0' in Packages=: bad epoch in version "
			     "'x:1.0' (expected EPOCH:VERSION, EPOCH a number)",
		   "bad epoch");
	fails_with("[Packages]\nPackages=fo*o\n", false,
		   FILE_NAME ":2: invalid package 'fo*o' in Packages=: bad character '*' in package "
			     "name",
		   "bad character in a name");
	fails_with("[Packages]\nPackages=@core=1\n", false,
		   FILE_NAME ":2: invalid package '@core=1' in Packages=: only a package name can "
			     "have a version",
		   "a group with a version");
	fails_with("[Packages]\nPackages=vim\nPackages=!vim=2\n", false,
		   FILE_NAME ":3: invalid item '!vim=2' in Packages=: '!' removes a package by its "
			     "name, without a version",
		   "removing with a version");
	fails_with("[Packages]\nRemovePackages=vim<2\n", false,
		   FILE_NAME ":2: invalid package 'vim<2' in RemovePackages=: RemovePackages= takes "
			     "names without a version",
		   "RemovePackages= with a version");
	fails_with("[Content]\nPassword=hashed:\n", false,
		   FILE_NAME ":2: Password=hashed: needs a crypt(3) hash after 'hashed:'",
		   "empty hash");
}

static void test_validation_errors(void)
{
	fails_with("[Distribution]\nDistribution=centos\nRelease=9\n"
		   "Metalink=https://m/metalink?repo=$repo\nMirrorList=http://m/list\n",
		   true,
		   FILE_NAME ":5: Metalink= and MirrorList= are both set: use one of them",
		   "Metalink= and MirrorList= together");
	fails_with("[Distribution]\nDistribution=debian\nRelease=12\n"
		   "Metalink=https://m/metalink\n",
		   true,
		   FILE_NAME ":4: Metalink= is only for rpm-md repositories (centos, rocky, alma), "
			     "not Distribution=debian",
		   "Metalink= on debian");
	fails_with("[Distribution]\nDistribution=ubuntu\nRelease=24.04\n"
		   "MirrorList=http://m/list\n",
		   true,
		   FILE_NAME ":4: MirrorList= is only for rpm-md repositories (centos, rocky, "
			     "alma), not Distribution=ubuntu",
		   "MirrorList= on ubuntu");
	fails_with("[Distribution]\nDistribution=rocky\nRelease=9\nUpdates=yes\n", true,
		   FILE_NAME ":4: Updates= is only for Debian and Ubuntu (apt repositories), not "
			     "Distribution=rocky",
		   "Updates= on rocky");
	fails_with("[Distribution]\nDistribution=none\nSecurityMirror=http://s/debian-security\n"
		   "[Content]\nBaseTrees=/t\n",
		   true,
		   FILE_NAME ":3: SecurityMirror= is only for Debian and Ubuntu (apt repositories), "
			     "not Distribution=none",
		   "SecurityMirror= on none");
	fails_with("[Output]\nFormat=tar\n", true,
		   FILE_NAME ": missing Distribution= in [Distribution] (one of centos, ubuntu, "
			     "debian, rocky, alma, none)",
		   "missing Distribution=");
	fails_with("[Distribution]\nDistribution=debian\n", true,
		   FILE_NAME ":2: Distribution=debian needs Release= in [Distribution]",
		   "missing Release=");
	fails_with("[Distribution]\nDistribution=none\n", true,
		   FILE_NAME ":2: Distribution=none needs BaseTrees= in [Content] (a directory or "
			     "tarball to start from)",
		   "none without BaseTrees=");
	fails_with("[Distribution]\nDistribution=none\n[Content]\nBaseTrees=/t\n"
		   "[Packages]\nPackages=vim\n",
		   true,
		   FILE_NAME ":6: Packages= needs a package manager, which Distribution=none has "
			     "not",
		   "none with Packages=");
	fails_with("[Distribution]\nDistribution=debian\nRelease=12\n[Output]\nFormat=tar\n"
		   "Output=x.tar.gz\nCompressOutput=xz\n",
		   true,
		   FILE_NAME ":7: CompressOutput=xz conflicts with Output=/r/x.tar.gz, which "
			     "implies gz",
		   "compression conflicts with the output suffix");
	fails_with("[Distribution]\nDistribution=debian\nRelease=12\n[Output]\nFormat=tar\n"
		   "Output=x.tar\nCompressOutput=gz\n",
		   true,
		   FILE_NAME
		   ":7: CompressOutput=gz conflicts with Output=/r/x.tar, which implies no",
		   "compression conflicts with a plain .tar");
	fails_with("[Distribution]\nDistribution=debian\nRelease=12\n[Output]\nCompressOutput=xz\n",
		   true,
		   FILE_NAME ":5: CompressOutput=xz needs Format=tar, Format=gpt_ext4 is not "
			     "compressed",
		   "compression of a disk image");
	fails_with("[Distribution]\nDistribution=debian\nRelease=12\n[Output]\nFormat=directory\n"
		   "Output=x.tar.xz\n",
		   true, FILE_NAME ":6: Output=/r/x.tar.xz names a tarball, but Format=directory",
		   "tarball name for a directory");
	fails_with("[Distribution]\nDistribution=centos\nRelease=7\n[Output]\nBootable=yes\n", true,
		   FILE_NAME ":5: Bootable=yes is not supported yet", "Bootable=yes");
	fails_with("[Distribution]\nDistribution=centos\nRelease=6\n", true,
		   FILE_NAME ":3: unknown CentOS release '6' (supported: 7, 8, stream8, stream9, "
			     "stream10)",
		   "unknown CentOS release");
	fails_with("[Distribution]\nDistribution=debian\nRelease=15\n", true,
		   FILE_NAME ":3: unknown Debian release '15' (use a code name, or one of 10, 11, "
			     "12, 13, 14)",
		   "unknown Debian version number");
	fails_with("[Distribution]\nDistribution=rocky\nRelease=7\n", true,
		   FILE_NAME ":3: unknown Rocky Linux release '7' (supported: 8, 9, 10, or a point "
			     "release such as 9.4)",
		   "unknown Rocky release");
}

static void test_lists(void)
{
	struct recipe *r = parse("[Distribution]\nDistribution=debian\nRelease=12\n"
				 "[Packages]\n"
				 "Packages=a b,c\n"
				 "Packages=\n  d\n  e, f\n"
				 "Packages=a g\n"
				 "RemovePackages=x\n"
				 "RemovePackages=\n"
				 "RemovePackages=y\n"
				 "[Content]\n"
				 "EnableUnits=sshd foo.socket\n"
				 "EnableUnits=!sshd.service bar@1\n"
				 "BaseTrees=/one\nBaseTrees=!*\nBaseTrees=/two\n");

	ok(r, "lists parse: %s", err);
	if (!r)
		return;
	is_list(r->packages, "a b c d e f g", "list keys accumulate, split on space comma newline");
	is_list(r->remove_packages, "y", "an empty assignment clears a list");
	is_list(r->enable_units, "foo.socket bar@1.service", "!ITEM removes; .service implied");
	is_list(r->base_trees, "/two", "!* clears a list");
	recipe_free(r);

	r = parse("[Distribution]\nDistribution=debian\nRelease=12\n"
		  "[Packages]\n"
		  "Packages=t-ver=1.0 libc6=2.36-9+deb12u4 e=1:2.0~rc1 b>=2 c<=3 d>4 f<5.el9_1\n"
		  "Packages=vim=2:9.0 vim e>=1 perl(Foo::Bar) /bin/sh @core\n"
		  "Packages=!c\n"
		  "RemovePackages=x\n");
	ok(r, "pinned packages parse: %s", err);
	if (!r)
		return;
	is_list(r->packages,
		"t-ver=1.0 libc6=2.36-9+deb12u4 e>=1 b>=2 d>4 f<5.el9_1 vim perl(Foo::Bar) /bin/sh "
		"@core",
		"entries as written; a later entry for a name replaces it; !NAME drops a pin");
	recipe_free(r);
}

static void test_scalars(void)
{
	struct recipe *r = parse("[Distribution]\nDistribution=ubuntu\nRelease=20.04\n"
				 "Distribution=debian\nRelease=11\n"
				 "[Content]\nHostname=one\nHostname=two\n"
				 "Timezone=UTC\nTimezone=\n"
				 "[Output]\nSize=1G\nSize=auto\nSeed=random\n"
				 "Output=\n");

	ok(r, "scalars parse: %s", err);
	if (!r)
		return;
	is_int(r->distribution, DISTRO_DEBIAN, "a later assignment wins (Distribution=)");
	is_str(r->release, "bullseye", "a later assignment wins (Release=), 11 is bullseye");
	is_str(r->hostname, "two", "a later assignment wins (Hostname=)");
	is_str(r->timezone, NULL, "an empty assignment resets a scalar");
	is_int((long long)r->size, 0, "Size=auto is automatic");
	ok(!r->have_seed, "Seed=random leaves the seed unset");
	is_str(r->output, "test.raw", "default output from the recipe name");
	recipe_free(r);
}

static void test_two_files(void)
{
	struct recipe *r = recipe_new();
	const struct recipe_origin *o;
	int q;

	q = parse_more(r, "/a/base.recipe",
		       "[Distribution]\nDistribution=debian\nRelease=bookworm\n"
		       "[Packages]\nPackages=a b\n[Content]\nBaseTrees=base\nHostname=base\n");
	is_int(q, 0, "first file parses");
	q = parse_more(r, "/b/over.recipe", "[Packages]\nPackages=c\n[Content]\nBaseTrees=over\n");
	is_int(q, 0, "second file parses on top");
	is_list(r->packages, "a b c", "lists accumulate across files");
	is_list(r->base_trees, "/a/base /b/over", "paths resolve against their own file");
	is_str(r->hostname, "base", "unset keys keep the first file's value");
	is_list(r->files, "/a/base.recipe /b/over.recipe", "both files are recorded");
	o = recipe_origin_of(r, "Packages");
	ok(o && streq(o->file, "/b/over.recipe") && o->line == 2, "origin is the last assignment");
	o = recipe_origin_of(r, "Hostname");
	ok(o && streq(o->file, "/a/base.recipe") && o->line == 8, "origin of an untouched key");
	recipe_free(r);
}

static void test_paths(void)
{
	struct recipe *r = parse_as("plain.recipe",
				    "[Distribution]\nDistribution=none\n[Content]\n"
				    "BaseTrees=tree ./tree2 /abs\nExtraTrees=x:/opt ./y\n"
				    "PostInstallationScript=./post.sh\n",
				    true, NULL);

	ok(r, "paths parse: %s", err);
	if (r) {
		is_list(r->base_trees, "tree ./tree2 /abs", "no directory in the name: kept as is");
		is_list(r->extra_trees, "x:/opt ./y", "ExtraTrees without a directory");
		is_str(r->postinst_script, "./post.sh", "script path without a directory");
		is_str(r->output, "plain.raw", "default output name");
	}
	recipe_free(r);
	r = parse("[Distribution]\nDistribution=none\n[Content]\n"
		  "BaseTrees=tree ./tree2 /abs\nExtraTrees=x:/opt ./y\n"
		  "[Distribution]\nRepositoryKey=keys/k.gpg\n");
	ok(r, "paths parse: %s", err);
	if (r) {
		is_list(r->base_trees, "/r/tree /r/tree2 /abs", "BaseTrees= made absolute");
		is_list(r->extra_trees, "/r/x:/opt /r/y", "ExtraTrees= source made absolute");
		is_str(r->repository_key, "/r/keys/k.gpg", "RepositoryKey= made absolute");
	}
	recipe_free(r);
}

static void test_aliases(void)
{
	struct recipe *r = parse("[Distribution]\nDistribution=custom\nArchitecture=aarch64\n"
				 "[Output]\nFormat=disk\nHostname=old\n"
				 "[Validation]\nPassword=$6$x$y\nPasswordIsHashed=yes\n"
				 "[Content]\nBaseTrees=/t\nBootable=auto\nWithDocs=true\n"
				 "[Packages]\nExtraTrees=/e\nPostInstallationScript=/p\n");

	ok(r, "aliases parse: %s", err);
	if (!r)
		return;
	is_int(r->distribution, DISTRO_NONE, "Distribution=custom is none");
	is_str(r->architecture, "arm64", "aarch64 is arm64");
	is_int(r->format, FORMAT_GPT_EXT4, "Format=disk is gpt_ext4");
	is_str(r->hostname, "old", "[Output] Hostname=");
	is_str(r->password, "hashed:$6$x$y", "[Validation] Password= + PasswordIsHashed=yes");
	is_int(r->bootable, 0, "Bootable=auto is no");
	is_int(r->with_docs, 1, "[Content] WithDocs=");
	is_list(r->extra_trees, "/e", "[Packages] ExtraTrees=");
	is_str(r->postinst_script, "/p", "[Packages] PostInstallationScript=");
	recipe_free(r);
}

static void test_output_inference(void)
{
	static const struct {
		const char *text, *output;
		enum output_format format;
		int compress;
	} t[] = {
	    {"Output=/o/x.tar.zst", "/o/x.tar.zst", FORMAT_TAR, COMPRESSION_ZSTD},
	    {"Output=/o/x.tgz", "/o/x.tgz", FORMAT_TAR, COMPRESSION_GZ},
	    {"Format=tar\nCompressOutput=xz", "test.tar.xz", FORMAT_TAR, COMPRESSION_XZ},
	    {"Format=tar\nCompressOutput=yes", "test.tar.zst", FORMAT_TAR, COMPRESSION_ZSTD},
	    {"Format=tar\nCompressOutput=gzip\nOutput=/o/x.tar.gz", "/o/x.tar.gz", FORMAT_TAR,
	     COMPRESSION_GZ},
	    {"Format=tar", "test.tar", FORMAT_TAR, COMPRESSION_NONE},
	    {"Format=directory", "test", FORMAT_DIRECTORY, COMPRESSION_NONE},
	    {"Output=/o/disk.img", "/o/disk.img", FORMAT_GPT_EXT4, COMPRESSION_NONE},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_free_ char *text =
		    strjoin("[Distribution]\nDistribution=debian\nRelease=12\n[Output]\n",
			    t[i].text, "\n", NULL);
		struct recipe *r = parse(text);

		ok(r, "output case %zu validates: %s", i, err);
		if (!r)
			continue;
		is_str(r->output, t[i].output, "output name");
		is_int(r->format, t[i].format, "format");
		is_int(r->compress, t[i].compress, "compression");
		recipe_free(r);
	}
}

static void test_releases(void)
{
	static const struct {
		const char *distro, *in, *out;
	} t[] = {
	    {"debian", "12", "bookworm"},
	    {"debian", "12.5", "bookworm"},
	    {"debian", "Trixie", "trixie"},
	    {"debian", "sid", "sid"},
	    {"ubuntu", "18.04", "bionic"},
	    {"ubuntu", "22.04", "jammy"},
	    {"ubuntu", "24.04.1", "noble"},
	    {"ubuntu", "jammy", "jammy"},
	    {"centos", "7", "7"},
	    {"centos", "8", "8"},
	    {"centos", "9", "stream9"},
	    {"centos", "9-stream", "stream9"},
	    {"centos", "stream10", "stream10"},
	    {"rocky", "9.4", "9.4"},
	    {"alma", "8", "8"},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_free_ char *text = strjoin("[Distribution]\nDistribution=", t[i].distro,
						    "\nRelease=", t[i].in, "\n", NULL);
		struct recipe *r = parse(text);

		ok(r, "%s %s validates: %s", t[i].distro, t[i].in, err);
		if (r)
			is_str(r->release, t[i].out, "release normalised");
		recipe_free(r);
	}
}

static void test_format_roundtrip(void)
{
	static const char text[] =
	    "[Distribution]\nDistribution=debian\nRelease=12\nMirror=http://m/debian\n"
	    "Architecture=x86-64\nRepositories=main contrib\nRepositoryKeyCheck=no\n"
	    "Updates=no\nSecurityMirror=file:///srv/sec\n"
	    "[Output]\nFormat=tar\nOutput=/o/x.tar.xz\nSize=3145728\n"
	    "Seed=0E9A6E2C-4B8F-4A34-9D4E-5B8C0C2F7A11\n"
	    "[Packages]\nPackages=a b\nRemovePackages=c\nWithDocs=no\nWithRecommends=yes\n"
	    "[Content]\nHostname=h\nTimezone=UTC\nLocale=C.UTF-8\nBaseTrees=/t\n"
	    "ExtraTrees=/e:/opt\nPostInstallationScript=/p\nEnableUnits=a.service\n";
	struct recipe *r = parse(text), *r2;
	_cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL;

	ok(r, "every key parses: %s", err);
	if (!r)
		return;
	s1 = recipe_format(r);
	ok(s1 && strstr(s1, "Size=3M\n"), "size printed exactly in the largest unit");
	ok(s1 && strstr(s1, "Seed=0e9a6e2c-4b8f-4a34-9d4e-5b8c0c2f7a11\n"), "seed printed");
	r2 = s1 ? parse(s1) : NULL;
	ok(r2, "the summary parses back: %s", err);
	s2 = r2 ? recipe_format(r2) : NULL;
	is_str(s2, s1, "summary round trip is stable");
	s3 = recipe_format_full(r, true);
	ok(s3 && strstr(s3, "# " FILE_NAME ":13\nSize=3M\n"), "origins shown with a flag");
	ok(s1 && strstr(s1, "Updates=no\nSecurityMirror=file:///srv/sec\n"),
	   "Updates= and SecurityMirror= printed");
	ok(s3 && strstr(s3, "# default\nBootable=no\n"), "defaults marked with a flag");
	recipe_free(r);
	recipe_free(r2);
}

static void test_mirror_sources(void)
{
	struct rpm_summary_case {
		const char *text, *want;
	} cases[] = {
		{ "Metalink=https://m/metalink?repo=centos-$repo-9-stream&arch=$basearch\n",
		  "Metalink=https://m/metalink?repo=centos-$repo-9-stream&arch=$basearch\n" },
		{ "MirrorList=file:///srv/list-$repo\n", "MirrorList=file:///srv/list-$repo\n" },
		{ "Mirror=http://m/c\nMetalink=http://m/ml\n",
		  "Mirror=http://m/c\nMetalink=http://m/ml\n" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *text = strjoin("[Distribution]\nDistribution=centos\n"
						    "Release=9\n", cases[i].text, NULL);
		struct recipe *r = parse(text);
		_cleanup_free_ char *sum = r ? recipe_format(r) : NULL;

		ok(r, "mirror source %zu validates: %s", i, err);
		ok(sum && strstr(sum, cases[i].want), "summary shows %s", cases[i].want);
		recipe_free(r);
	}
}

static char *read_text(const char *path)
{
	char *buf = NULL;
	size_t len;

	return read_full_file(path, &buf, &len) < 0 ? NULL : buf;
}

/* Replace @DIR@ and @ARCH@ in an expected-output file. */
static char *expand(const char *text, const char *dir)
{
	const char *arch = recipe_host_architecture();
	char *out = strdup("");

	while (out && *text) {
		const char *sub = NULL, *rest = text + 1;
		char one[2] = {*text, 0};
		char *n;

		if (startswith(text, "@DIR@"))
			sub = dir, rest = text + 5;
		else if (startswith(text, "@ARCH@"))
			sub = arch ? arch : "", rest = text + 6;
		n = strjoin(out, sub ? sub : one, NULL);
		free(out);
		out = n;
		text = rest;
	}
	return out;
}

static void golden_one(const char *dir, const char *name)
{
	_cleanup_free_ char *path = strjoin(dir, "/", name, NULL);
	_cleanup_free_ char *stem = strndup(name, strlen(name) - strlen(".recipe"));
	_cleanup_free_ char *sum = strjoin(dir, "/", stem, ".summary", NULL);
	_cleanup_free_ char *errf = strjoin(dir, "/", stem, ".error", NULL);
	_cleanup_free_ char *want_sum = read_text(sum), *want_err = read_text(errf);
	_cleanup_free_ char *want = NULL, *got = NULL;
	struct recipe *r = recipe_new();
	int q;

	err[0] = 0;
	q = recipe_load(r, path, err, sizeof(err));
	if (q >= 0)
		q = recipe_validate(r, err, sizeof(err));
	if (want_sum) {
		want = expand(want_sum, dir);
		got = q >= 0 ? recipe_format(r) : strdup(err);
		is_str(got, want, name);
	} else if (want_err) {
		want = expand(want_err, dir);
		want[strcspn(want, "\n")] = 0;
		ok(q == -EINVAL, "%s fails with -EINVAL", name);
		is_str(err, want, name);
	} else {
		ok(false, "%s has neither .summary nor .error", name);
	}
	recipe_free(r);
}

static void test_golden(void)
{
	char dir[PATH_MAX];
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	DIR *d;

	if (!realpath(FIXTURES "/recipes", dir)) {
		ok(false, "fixture directory %s/recipes", FIXTURES);
		return;
	}
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (endswith(de->d_name, ".recipe"))
			strv_extend(&names, de->d_name);
	if (d)
		closedir(d);
	ok(strv_length(names) >= 20, "found %zu golden recipes", strv_length(names));
	strv_sort(names);
	for (size_t i = 0; names && names[i]; i++)
		golden_one(dir, names[i]);
}

static void test_load(void)
{
	struct recipe *r = recipe_new();
	int q = recipe_load(r, FIXTURES "/recipes/does-not-exist.recipe", err, sizeof(err));

	is_int(q, -ENOENT, "missing recipe file: -ENOENT");
	ok(strstr(err, "cannot read recipe '") && strstr(err, "No such file"),
	   "missing recipe file message: %s", err);
	recipe_free(r);

	r = recipe_new();
	q = recipe_load(r, FIXTURES "/../../templates/recipes/debian-12", err, sizeof(err));
	if (q >= 0)
		q = recipe_validate(r, err, sizeof(err));
	is_int(q, 0, "templates/recipes/debian-12 validates");
	if (q >= 0) {
		is_str(r->release, "bookworm", "debian-12 template: bookworm");
		is_str(r->output, "debian-12.raw", "debian-12 template: default output name");
		ok(strv_contains(r->packages, "systemd"), "debian-12 template installs systemd");
	}
	recipe_free(r);
}

int main(void)
{
	test_mirror_sources();
	test_seed();
	test_syntax_errors();
	test_value_errors();
	test_validation_errors();
	test_lists();
	test_scalars();
	test_two_files();
	test_paths();
	test_aliases();
	test_output_inference();
	test_releases();
	test_format_roundtrip();
	test_golden();
	test_load();
	return tap_done();
}
