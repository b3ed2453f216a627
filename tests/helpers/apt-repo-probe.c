/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test driver for builder/fetch.c and builder/apt-repo.c (not installed):
 *
 *   apt-repo-probe --mirror URL --suite S [--component C]... [--arch A]
 *                  [--keyring K | --distribution D | --no-key-check] --cache DIR
 *                  --workdir DIR [--offline] [--retries N] [--retry-delay-ms N]
 *                  [--timeout S] [--parallel N] [--per-host N] [--print-mirror] [-v]
 *   apt-repo-probe --host-debian-mirror [--apt-etc DIR] ...   the mirror from apt sources
 *   apt-repo-probe --blob SHA256:SIZE:URL ... --cache DIR       fetch blobs only
 *
 * Prints "suite S", "codename C", "release-sha256 H", "valid-until T" and per index
 * "index COMPONENT PATH PACKAGES" (PACKAGES = number of stanzas); for blobs
 * "blob SHA256 PATH cached|downloaded".  Exit: 0 ok, 2 -ENOENT/-EINVAL, 3 -ENOKEY, 1 else.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt-repo.h"
#include "fetch.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"

struct probe {
	struct fetch_opts fo;
	struct apt_source src;
	char **components, **blobs;
	const char *workdir, *apt_etc;
	bool host_mirror, print_mirror;
};

static int exit_code(int r)
{
	if (r >= 0)
		return 0;
	if (r == -ENOENT || r == -EINVAL)
		return 2;
	return r == -ENOKEY ? 3 : 1;
}

static size_t count_stanzas(const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t n = 0;

	if (read_full_file(path, &text, NULL) < 0)
		return 0;
	for (const char *p = text; (p = strstr(p, "Package: ")); p++)
		if (p == text || p[-1] == '\n')
			n++;
	return n;
}

static int blob_done(const struct fetch_result *r)
{
	printf("blob %s %s %s\n", r->sha256, r->path, r->from_cache ? "cached" : "downloaded");
	return 0;
}

static int run_blobs(struct probe *p, struct fetch *f)
{
	int r;

	for (char **b = p->blobs; *b; b++) {
		char *sha = *b, *size = strchr(sha, ':');
		char *url = size ? strchr(size + 1, ':') : NULL;
		uint64_t sz;
		if (!url)
			return log_error_errno(-EINVAL, "--blob wants SHA256:SIZE:URL");
		*size++ = *url++ = '\0';
		if (parse_uint64(size, &sz) < 0)
			return log_error_errno(-EINVAL, "bad size '%s'", size);
		r = fetch_add_blob(f, url, sha, sz, blob_done, NULL);
		if (r < 0)
			return log_error_errno(r, "cannot queue '%s'", url);
	}
	return fetch_run(f);
}

static int run_repo(struct probe *p, struct fetch *f)
{
	_cleanup_free_ char *mirror = NULL;
	struct apt_release *rel = NULL;
	int r;

	if (p->host_mirror) {
		r = apt_host_debian_mirror_at(p->apt_etc ? p->apt_etc : "/etc/apt", &mirror);
		if (r < 0)
			return r;
		p->src.mirror = mirror;
	}
	if (p->print_mirror)
		printf("mirror %s\n", p->src.mirror);
	if (!p->src.suite)
		return 0;
	if (!p->components && strv_extend(&p->components, "main") < 0)
		return -ENOMEM;
	p->src.components = p->components;
	r = apt_repo_load(f, &p->src, p->workdir, &rel);
	if (r < 0)
		return r;
	printf("suite %s\ncodename %s\nrelease-sha256 %s\nvalid-until %" PRId64 "\n", rel->suite,
	       rel->codename ? rel->codename : "-", rel->sha256, rel->valid_until);
	for (size_t i = 0; i < rel->n_indexes; i++)
		printf("index %s %s %zu\n", rel->indexes[i].component, rel->indexes[i].path,
		       count_stanzas(rel->indexes[i].path));
	apt_release_free(rel);
	return 0;
}

enum {
	OPT_MIRROR = 0x100, OPT_SUITE, OPT_COMPONENT, OPT_ARCH, OPT_KEYRING, OPT_DISTRIBUTION,
	OPT_NO_KEY_CHECK, OPT_CACHE, OPT_WORKDIR, OPT_OFFLINE, OPT_RETRIES, OPT_RETRY_DELAY,
	OPT_TIMEOUT, OPT_PARALLEL, OPT_PER_HOST, OPT_HOST_MIRROR, OPT_APT_ETC, OPT_PRINT_MIRROR,
	OPT_BLOB,
};

static const struct option options[] = {
	{ "mirror", required_argument, NULL, OPT_MIRROR },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "component", required_argument, NULL, OPT_COMPONENT },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "keyring", required_argument, NULL, OPT_KEYRING },
	{ "distribution", required_argument, NULL, OPT_DISTRIBUTION },
	{ "no-key-check", no_argument, NULL, OPT_NO_KEY_CHECK },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "retry-delay-ms", required_argument, NULL, OPT_RETRY_DELAY },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "per-host", required_argument, NULL, OPT_PER_HOST },
	{ "host-debian-mirror", no_argument, NULL, OPT_HOST_MIRROR },
	{ "apt-etc", required_argument, NULL, OPT_APT_ETC },
	{ "print-mirror", no_argument, NULL, OPT_PRINT_MIRROR },
	{ "blob", required_argument, NULL, OPT_BLOB },
	{}
};

static unsigned num(const char *s)
{
	uint64_t v = 0;

	if (parse_uint64(s, &v) < 0 || v > 100000) {
		fprintf(stderr, "bad number '%s'\n", s);
		exit(2);
	}
	return (unsigned)v;
}

static void parse_option(struct probe *p, int c)
{
	switch (c) {
	case OPT_MIRROR: p->src.mirror = optarg; break;
	case OPT_SUITE: p->src.suite = optarg; break;
	case OPT_COMPONENT: strv_extend(&p->components, optarg); break;
	case OPT_ARCH: p->src.arch = optarg; break;
	case OPT_KEYRING: p->src.keyring = optarg; break;
	case OPT_DISTRIBUTION: p->src.distribution = optarg; break;
	case OPT_NO_KEY_CHECK: p->src.key_check = false; break;
	case OPT_CACHE: p->fo.cache_dir = optarg; break;
	case OPT_WORKDIR: p->workdir = optarg; break;
	case OPT_OFFLINE: p->fo.offline = true; break;
	case OPT_RETRIES: p->fo.retries = num(optarg); break;
	case OPT_RETRY_DELAY: p->fo.retry_delay_ms = num(optarg); break;
	case OPT_TIMEOUT: p->fo.timeout_s = num(optarg); break;
	case OPT_PARALLEL: p->fo.parallel = num(optarg); break;
	case OPT_PER_HOST: p->fo.per_host = num(optarg); break;
	case OPT_HOST_MIRROR: p->host_mirror = true; break;
	case OPT_APT_ETC: p->apt_etc = optarg; break;
	case OPT_PRINT_MIRROR: p->print_mirror = true; break;
	case OPT_BLOB: strv_extend(&p->blobs, optarg); break;
	case 'v': log_set_level(LOG_LVL_DEBUG); break;
	default: exit(2);
	}
}

int main(int argc, char **argv)
{
	struct probe p = { .src = { .arch = "amd64", .key_check = true } };
	struct fetch *f = NULL;
	int c, r;

	log_setup("apt-repo-probe");
	while ((c = getopt_long(argc, argv, "v", options, NULL)) >= 0)
		parse_option(&p, c);
	if (!p.blobs && !p.src.suite) /* only the mirror: nothing to fetch, nothing to create */
		return exit_code(run_repo(&p, NULL));
	if (!p.fo.cache_dir || (!p.blobs && !p.workdir)) {
		fprintf(stderr, "--cache (and --workdir for a repository) are needed\n");
		return 2;
	}
	r = fetch_new(&p.fo, &f);
	if (r < 0)
		return exit_code(log_error_errno(r, "cannot set up fetching"));
	r = p.blobs ? run_blobs(&p, f) : run_repo(&p, f);
	fetch_free(f);
	strv_free(p.components);
	strv_free(p.blobs);
	return exit_code(r);
}
