/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkimg: parse the command line and dispatch to a verb.  Nothing else happens here. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strutil.h"
#include "verbs.h"

static struct mkimg_args arg = {
	.cache_dir = "/var/cache/mkimg",
	.workspace_dir = "/var/tmp",
};
static bool arg_json;

enum {
	OPT_PASSWORD = 0x100,
	OPT_HOSTNAME,
	OPT_SIZE,
	OPT_CACHE_DIR,
	OPT_WORKSPACE_DIR,
	OPT_FORCE,
	OPT_SEED,
	OPT_JSON,
	OPT_VERSION,
	OPT_ALL,
	OPT_OFFLINE,
	OPT_LOCKED,
};

static const struct option options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "distribution", required_argument, NULL, 'd' },
	{ "release", required_argument, NULL, 'r' },
	{ "mirror", required_argument, NULL, 'm' },
	{ "package", required_argument, NULL, 'p' },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "workspace-dir", required_argument, NULL, OPT_WORKSPACE_DIR },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "locked", no_argument, NULL, OPT_LOCKED },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{},
};

static void help(void)
{
	printf("Usage: mkimg [OPTIONS] [build] [RECIPE]\n"
	       "       mkimg summary [RECIPE]\n"
	       "       mkimg lock [RECIPE]\n"
	       "       mkimg clean [--all]\n"
	       "\n"
	       "Build a Linux system image from a recipe (mkosi-compatible INI).\n"
	       "RECIPE defaults to the first of mkimg.recipe, mkosi.conf, mkosi.default.\n"
	       "\n"
	       "  -o, --output PATH        output file or directory\n"
	       "  -f, --format FORMAT      gpt_ext4, tar or directory\n"
	       "  -d, --distribution NAME  distribution (none: start from BaseTrees=)\n"
	       "  -r, --release RELEASE    distribution release\n"
	       "  -m, --mirror URL         package mirror\n"
	       "  -p, --package NAME       add a package (repeatable)\n"
	       "      --password PW        root password (\"hashed:...\" for a crypt hash)\n"
	       "      --hostname NAME      host name of the image\n"
	       "      --size SIZE          image size (512M, 1.5G, ...)\n"
	       "      --seed UUID          seed for all UUIDs (reproducible builds)\n"
	       "      --cache-dir DIR      cache directory (default /var/cache/mkimg)\n"
	       "      --workspace-dir DIR  where the build tree lives (default /var/tmp)\n"
	       "      --locked             install exactly RECIPE.lock (see mkimg lock)\n"
	       "      --offline            use only the cache, download nothing\n"
	       "      --force              replace an existing output\n"
	       "      --all                clean: also remove the cache\n"
	       "  -q, --quiet              only errors\n"
	       "  -v, --verbose            debug messages\n"
	       "      --json               progress and result as JSON lines on stdout\n"
	       "  -h, --help               show this help\n"
	       "      --version            show the version\n"
	       "\n"
	       "Exit status: 0 ok, 1 a build step failed, 2 usage or recipe error,\n"
	       "3 host prerequisite missing.  See mkimg(1) and mkimg.recipe(5).\n");
}

static int parse_argv(int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "o:f:d:r:m:p:qvh", options, NULL)) >= 0) {
		switch (c) {
		case 'o': arg.output = optarg; break;
		case 'f': arg.format = optarg; break;
		case 'd': arg.distribution = optarg; break;
		case 'r': arg.release = optarg; break;
		case 'm': arg.mirror = optarg; break;
		case 'p':
			if (strv_extend(&arg.packages, optarg) < 0)
				return log_error_errno(-ENOMEM, "cannot parse options");
			break;
		case OPT_PASSWORD: arg.password = optarg; break;
		case OPT_HOSTNAME: arg.hostname = optarg; break;
		case OPT_SIZE: arg.size = optarg; break;
		case OPT_CACHE_DIR: arg.cache_dir = optarg; break;
		case OPT_WORKSPACE_DIR: arg.workspace_dir = optarg; break;
		case OPT_FORCE: arg.force = true; break;
		case OPT_SEED: arg.seed = optarg; break;
		case 'q': log_set_level(LOG_LVL_ERROR); break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case OPT_JSON: arg_json = true; break;
		case OPT_ALL: arg.all = true; break;
		case OPT_OFFLINE: arg.offline = true; break;
		case OPT_LOCKED: arg.locked = true; break;
		case 'h': help(); return 0;
		case OPT_VERSION: printf("mkimg %s\n", PACKAGE_VERSION); return 0;
		default: return -EINVAL; /* getopt printed why */
		}
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const struct mkimg_args *a);
	} verbs[] = {
		{ "build", verb_build },
		{ "summary", verb_summary },
		{ "clean", verb_clean },
		{ "lock", verb_lock },
	};
	int (*run)(const struct mkimg_args *a) = verb_build;
	int r;

	log_setup("mkimg");
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : 0;
	log_set_json(arg_json);

	for (size_t i = 0; optind < argc && i < ELEMENTSOF(verbs); i++)
		if (streq(argv[optind], verbs[i].name)) {
			run = verbs[i].run;
			optind++;
			break;
		}
	if (optind < argc)
		arg.recipe = argv[optind++];
	if (optind < argc) {
		log_error("unexpected argument '%s' (see mkimg --help)", argv[optind]);
		return EXIT_USAGE;
	}
	r = run(&arg);
	strv_free(arg.packages);
	return r;
}
