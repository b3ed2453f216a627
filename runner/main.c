/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runimg: parse the command line into a struct run_settings and dispatch.  Nothing else. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "machine.h"
#include "settings.h"
#include "settings-file.h"
#include "strutil.h"
#include "verbs.h"

static struct run_settings arg;
static const char *arg_settings;  /* --settings FILE */
static bool arg_run_options;	  /* options other than -q/-v: not for the verbs */

enum {
	OPT_HOSTNAME = 0x100,
	OPT_READ_ONLY,
	OPT_OVERLAY,
	OPT_BIND,
	OPT_BIND_RO,
	OPT_PRIVATE_NETWORK,
	OPT_NETWORK,
	OPT_NETWORK_BRIDGE,
	OPT_NOTIFY_READY,
	OPT_TIMEOUT,
	OPT_VERSION,
	OPT_LIMIT,    /* --memory, --cpus, ...: cg_limits_set_option() */
	OPT_PROPERTY,
	OPT_PROC_VIEW,
	OPT_SETTINGS,
};

static const struct option options[] = {
	{ "image", required_argument, NULL, 'i' },
	{ "directory", required_argument, NULL, 'D' },
	{ "boot", no_argument, NULL, 'b' },
	{ "machine", required_argument, NULL, 'M' },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "ephemeral", no_argument, NULL, 'x' },
	{ "overlay", required_argument, NULL, OPT_OVERLAY },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "bind-ro", required_argument, NULL, OPT_BIND_RO },
	{ "setenv", required_argument, NULL, 'E' },
	{ "private-network", no_argument, NULL, OPT_PRIVATE_NETWORK },
	{ "notify-ready", no_argument, NULL, OPT_NOTIFY_READY },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "settings", required_argument, NULL, OPT_SETTINGS },
	{ "network-bridge", required_argument, NULL, OPT_NETWORK_BRIDGE },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "memory", required_argument, NULL, OPT_LIMIT },
	{ "memory-high", required_argument, NULL, OPT_LIMIT },
	{ "memory-swap", required_argument, NULL, OPT_LIMIT },
	{ "cpus", required_argument, NULL, OPT_LIMIT },
	{ "cpu-weight", required_argument, NULL, OPT_LIMIT },
	{ "cpuset", required_argument, NULL, OPT_LIMIT },
	{ "pids", required_argument, NULL, OPT_LIMIT },
	{ "io-weight", required_argument, NULL, OPT_LIMIT },
	{ "property", required_argument, NULL, OPT_PROPERTY },
	{ "proc-view", required_argument, NULL, OPT_PROC_VIEW },
	{},
};

static void help(void)
{
	printf("Usage: runimg [OPTIONS] IMAGE|DIR|TARBALL [COMMAND [ARG...]]\n"
	       "       runimg [OPTIONS] -i IMAGE | -D DIR [COMMAND [ARG...]]\n"
	       "       runimg [OPTIONS] -M NAME    (/var/lib/runimg/NAME.raw, ...)\n"
	       "       runimg list [--json]\n"
	       "       runimg status NAME [--json]\n"
	       "       runimg shell NAME [COMMAND [ARG...]]\n"
	       "       runimg stop NAME [--timeout S] [--kill]\n"
	       "\n"
	       "Run a command, or boot the init (-b), of a disk image (GPT), file system image,\n"
	       "directory or tarball in its own namespaces.\n"
	       "\n"
	       "  -i, --image FILE         a disk or file system image (or tarball)\n"
	       "  -D, --directory DIR      a directory tree\n"
	       "  -b, --boot               run the image's init as PID 1\n"
	       "  -M, --machine NAME       machine name (default: the file name); loads\n"
	       "                           /etc/runimg/NAME.conf\n"
	       "      --settings FILE      a settings file (also systemd-nspawn's .nspawn)\n"
	       "      --hostname NAME      host name inside (default: the machine name)\n"
	       "      --read-only          mount the root read-only\n"
	       "  -x, --ephemeral          changes go to a tmpfs overlay and vanish\n"
	       "      --overlay DIR        changes go to DIR/upper and persist there\n"
	       "      --bind SRC[:DST]     bind-mount a host path (repeatable)\n"
	       "      --bind-ro SRC[:DST]  bind-mount a host path read-only (repeatable)\n"
	       "  -E, --setenv K=V         set an environment variable (repeatable)\n"
	       "      --private-network    only a loopback interface inside\n"
	       "      --network IFSPEC     a veth interface on a bridge (repeatable):\n"
	       "                           bridge=BR[,name=IF][,address=CIDR]...[,gateway=IP]\n"
	       "                           [,mac=MAC][,mtu=N]\n"
	       "      --network-bridge BR  a veth interface on bridge BR (repeatable)\n"
	       "      --notify-ready       send READY=1 to $NOTIFY_SOCKET when the guest is ready\n"
	       "      --timeout S          seconds to wait for a stop before SIGKILL (default 90)\n"
	       "      --memory SIZE        memory limit (also --memory-high, --memory-swap)\n"
	       "      --cpus N             CPU time limit in CPUs, fractional (1.5)\n"
	       "      --cpu-weight N       CPU weight, 1..10000 (default 100)\n"
	       "      --cpuset LIST        the CPUs the machine may use (0-3,6)\n"
	       "      --pids N             at most N tasks\n"
	       "      --io-weight N        IO weight, 1..10000 (default 100)\n"
	       "      --property K=V       systemd limit: MemoryMax= CPUQuota= TasksMax= ...\n"
	       "      --proc-view MODE     /proc/meminfo etc. show the machine's limits: yes\n"
	       "                           (default), strict (a snapshot per open) or no\n"
	       "  -q, --quiet              only errors\n"
	       "  -v, --verbose            debug messages\n"
	       "  -h, --help               show this help\n"
	       "      --version            show the version\n"
	       "\n"
	       "Exit status: the command's (128+N after signal N); with -b 0 after poweroff and\n"
	       "133 after reboot; 1 runimg failed, 2 usage or input error, 3 host prerequisite\n"
	       "missing.  See runimg(1).\n");
}

#define usage_error(...) log_error_ret(-EINVAL, __VA_ARGS__)

/* --network IFSPEC (bridge == false) or --network-bridge BR */
static int parse_network(const char *value, bool bridge)
{
	_cleanup_free_ char *msg = NULL;
	int r = bridge ? netif_config_add_bridge(&arg.netifs, value, &msg)
		       : netif_config_add_ifspec(&arg.netifs, value, &msg);

	if (r == -EINVAL && msg)
		return usage_error("%s", msg);
	if (r < 0)
		return log_error_errno(r, "cannot parse options");
	return 0;
}

/* Names, the compat keys, and the checks across interfaces (a second default route, ...). */
static int finalize_network(void)
{
	_cleanup_free_ char *msg = NULL;
	int r = netif_config_finalize(&arg.netifs, &msg);

	if (r == -EINVAL && msg)
		return usage_error("%s", msg);
	if (r < 0)
		return log_error_errno(r, "cannot check the network interfaces");
	return 0;
}

/* --memory 100M (option != NULL) or --property MemoryMax=100M */
static int parse_limit(const char *option, const char *value)
{
	int r = option ? cg_limits_set_option(&arg.limits, option, value)
		       : cg_limits_set_assignment(&arg.limits, value);

	if (r == -ENOENT)
		return usage_error("unknown property in '%s' (MemoryMax, MemoryHigh, MemorySwapMax, "
				   "CPUQuota, CPUWeight, AllowedCPUs, TasksMax, IOWeight)", value);
	if (r == -ERANGE)
		return usage_error("value '%s' of --%s is out of range", value,
				   option ? option : "property");
	if (r < 0)
		return usage_error("invalid value '%s' for --%s", value, option ? option : "property");
	return 0;
}

static int parse_option(int c, const char *opt_name)
{
	int r = 0;

	switch (c) {
	case 'i':
	case 'D':
		if (arg.input)
			return usage_error("more than one image given ('%s')", optarg);
		arg.input = strdup(optarg);
		arg.input_hint = c == 'i' ? INPUT_IMAGE : INPUT_DIRECTORY;
		break;
	case 'b': arg.boot = 1; break;
	case 'M': free(arg.machine); arg.machine = strdup(optarg); break;
	case OPT_HOSTNAME: free(arg.hostname); arg.hostname = strdup(optarg); break;
	case OPT_READ_ONLY: arg.read_only = 1; break;
	case 'x': arg.snapshot = SNAPSHOT_EPHEMERAL; break;
	case OPT_OVERLAY: free(arg.overlay_dir); arg.overlay_dir = strdup(optarg); break;
	case OPT_BIND:
	case OPT_BIND_RO: r = settings_add_bind(&arg, optarg, c == OPT_BIND_RO); break;
	case 'E': r = settings_add_env(&arg, optarg); break;
	case OPT_PRIVATE_NETWORK: arg.private_network = 1; break;
	case OPT_NETWORK:
	case OPT_NETWORK_BRIDGE: return parse_network(optarg, c == OPT_NETWORK_BRIDGE);
	case OPT_NOTIFY_READY: arg.notify_ready = 1; break;
	case OPT_SETTINGS: arg_settings = optarg; break;
	case OPT_TIMEOUT: r = settings_set_timeout(&arg, optarg); break;
	case 'q': log_set_level(LOG_LVL_ERROR); break;
	case 'v': log_set_level(LOG_LVL_DEBUG); break;
	case OPT_LIMIT: return parse_limit(opt_name, optarg);
	case OPT_PROPERTY: return parse_limit(NULL, optarg);
	case OPT_PROC_VIEW: r = settings_set_proc_view(&arg, optarg); break;
	default: return -EINVAL; /* getopt printed why */
	}
	if (r == -ENOMEM)
		return log_error_errno(r, "cannot parse options");
	if (r < 0)
		return usage_error("invalid value '%s'", optarg);
	return 0;
}

static int parse_argv(int argc, char **argv)
{
	int c, idx = 0, r;

	while ((c = getopt_long(argc, argv, "+i:D:bM:xE:qvh", options, &idx)) >= 0) {
		if (c == 'h') {
			help();
			return 0;
		}
		if (c == OPT_VERSION) {
			printf("runimg %s\n", PACKAGE_VERSION);
			return 0;
		}
		arg_run_options |= c != 'q' && c != 'v';
		r = parse_option(c, c == OPT_LIMIT ? options[idx].name : NULL);
		if (r < 0)
			return r;
	}
	return 1;
}

static const struct {
	const char *name;
	int (*run)(const struct verb_context *ctx, int argc, char **argv);
} verbs[] = {
	{ "list", verb_list },
	{ "status", verb_status },
	{ "shell", verb_shell },
	{ "stop", verb_stop },
};

/* "runimg list ...": the verbs parse their own arguments.  -1 when argv[optind] is none. */
static int run_verb(int argc, char **argv)
{
	const struct verb_context ctx = { .state_dir = arg.state_dir, .term = arg.term };

	for (size_t i = 0; !arg.input && optind < argc && i < ELEMENTSOF(verbs); i++) {
		if (!streq(argv[optind], verbs[i].name))
			continue;
		if (arg_run_options) {
			usage_error("options for running a machine cannot be used with 'runimg %s'",
				    verbs[i].name);
			return EXIT_USAGE;
		}
		return verbs[i].run(&ctx, argc - optind, argv + optind);
	}
	return -1;
}

static int parse_positional(int argc, char **argv)
{
	if (!arg.input && optind < argc) {
		arg.input = strdup(argv[optind++]);
		if (!arg.input)
			return -ENOMEM;
	}
	for (; optind < argc; optind++)
		if (strv_extend(&arg.argv, argv[optind]) < 0)
			return -ENOMEM;
	return 0;
}

int main(int argc, char **argv)
{
	const char *msg = NULL;
	int r;

	log_setup("runimg");
	settings_init(&arg);
	arg.notify_socket = getenv("NOTIFY_SOCKET");
	arg.term = getenv("TERM");
	r = parse_argv(argc, argv);
	if (r <= 0) {
		settings_done(&arg);
		return r < 0 ? EXIT_USAGE : 0;
	}
	if ((r = run_verb(argc, argv)) >= 0) {
		settings_done(&arg);
		return r;
	}
	r = parse_positional(argc, argv);
	if (r >= 0)
		r = settings_apply_files(&arg, arg_settings, RUNIMG_SETTINGS_DIR, RUNIMG_IMAGE_DIRS);
	if (r >= 0)
		r = finalize_network();
	if (r >= 0 && (r = settings_finalize(&arg, &msg)) < 0)
		log_error("%s (see runimg --help)", msg);
	if (r >= 0 && arg.notify_ready > 0 && !arg.notify_socket)
		log_warning("--notify-ready: $NOTIFY_SOCKET is not set, nobody will be notified");
	r = r < 0 ? EXIT_USAGE : machine_run(&arg);
	settings_done(&arg);
	return r;
}
