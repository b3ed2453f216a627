/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test driver for runner/ifspec.c + runner/veth.c without the rest of runimg:
 *
 *   veth-probe [-M MACHINE] [--settings FILE] [--network-bridge BR]... [--network IFSPEC]...
 *              [--print] [--netns PATH | --pid PID] [--hold | --keep]
 *   veth-probe --sweep MACHINE
 *
 * Parses and finalizes like runimg (exit 2 with the message on bad input), --print shows the
 * result (one line per interface), then creates every interface for the network namespace
 * PATH (e.g. /run/netns/NAME) or of process PID.  Without --hold/--keep it tears them down
 * again at once; --hold waits until stdin reaches EOF (or SIGTERM/SIGINT) and then tears down;
 * --keep leaves them (so a test can check what the kernel does when the namespace dies).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "ifspec.h"
#include "log.h"
#include "settings.h"
#include "strutil.h"
#include "veth.h"

struct probe {
	struct netif_config cfg;
	const char *machine;
	const char *netns;
	pid_t pid;
	bool print, hold, keep;
	const char *sweep;
};

static int settings_cb(const char *section, const char *key, const char *value,
		       const struct ini_pos *pos, void *userdata)
{
	struct netif_config *c = userdata;
	_cleanup_free_ char *msg = NULL;
	int r = netif_config_assign(c, section, key, value, pos, &msg);

	if (r == -ENOENT && (streq(section, "Network") || streq(section, "Exec")))
		return 0; /* keys that are not ours: runimg's settings parser takes them */
	if (r == -ENOENT)
		msg = strdup("unknown key");
	if (r < 0)
		fprintf(stderr, "veth-probe: %s:%u: %s\n", pos->file, pos->line,
			msg ? msg : strerror(-r));
	return r;
}

static int load_settings(struct probe *p, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	struct netif_config file;
	struct ini_error err = { 0 };
	size_t len;
	int r;

	netif_config_init(&file);
	if ((r = read_full_file(path, &buf, &len)) < 0) {
		fprintf(stderr, "veth-probe: cannot read '%s': %s\n", path, strerror(-r));
		return EXIT_USAGE;
	}
	r = ini_parse_buffer(buf, len, path, settings_cb, &file, &err);
	if (r == -EBADMSG && err.msg)
		fprintf(stderr, "veth-probe: %s:%u: %s\n", path, err.line, err.msg);
	if (r < 0) {
		netif_config_done(&file);
		return EXIT_USAGE;
	}
	netif_config_merge_file(&p->cfg, &file);
	return 0;
}

static void print_config(const struct netif_config *c, const char *machine)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct netif_spec *s = &c->v[i];
		struct netif_names nm;
		const uint8_t *m = nm.mac;

		if (netif_effective(s, i, machine, &nm) < 0)
			return;
		printf("%s host=%s bridge=%s mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%u", s->name,
		       nm.host_name, s->bridge ? s->bridge : "-", m[0], m[1], m[2], m[3], m[4],
		       m[5], s->mtu);
		for (size_t a = 0; a < s->n_addrs; a++) {
			char buf[64];

			netif_format_addr(&s->addrs[a], true, buf, sizeof(buf));
			printf(" address=%s", buf);
		}
		for (int f = 0; f < 2; f++) {
			const struct netif_addr *g = f ? &s->gw6 : &s->gw4;
			char buf[64];

			if (!g->family)
				continue;
			netif_format_addr(g, false, buf, sizeof(buf));
			printf(" gateway=%s", buf);
		}
		printf("\n");
	}
	fflush(stdout);
}

static int parse_args(struct probe *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "settings", required_argument, NULL, 's' },
		{ "network-bridge", required_argument, NULL, 'b' },
		{ "network", required_argument, NULL, 'n' },
		{ "netns", required_argument, NULL, 'N' },
		{ "pid", required_argument, NULL, 'p' },
		{ "print", no_argument, NULL, 'P' },
		{ "hold", no_argument, NULL, 'H' },
		{ "keep", no_argument, NULL, 'K' },
		{ "sweep", required_argument, NULL, 'S' },
		{},
	};
	_cleanup_free_ char *msg = NULL;
	const char *settings = NULL;
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "M:", opts, NULL)) >= 0 && r >= 0) {
		switch (c) {
		case 'M': p->machine = optarg; break;
		case 's': settings = optarg; break;
		case 'b': r = netif_config_add_bridge(&p->cfg, optarg, &msg); break;
		case 'n': r = netif_config_add_ifspec(&p->cfg, optarg, &msg); break;
		case 'N': p->netns = optarg; break;
		case 'p': p->pid = (pid_t)atoi(optarg); break;
		case 'P': p->print = true; break;
		case 'H': p->hold = true; break;
		case 'K': p->keep = true; break;
		case 'S': p->sweep = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (r < 0) {
		fprintf(stderr, "veth-probe: %s\n", msg ? msg : strerror(-r));
		return EXIT_USAGE;
	}
	return settings ? load_settings(p, settings) : 0;
}

static void wait_for_end(void)
{
	char b[64];
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	/* EOF on stdin, or a signal (stdin is a pipe the test holds). */
	if (isatty(STDIN_FILENO) || read(STDIN_FILENO, b, 0) < 0) {
		int sig;

		sigwait(&set, &sig);
		return;
	}
	while (read(STDIN_FILENO, b, sizeof(b)) > 0)
		;
}

static int run(struct probe *p)
{
	struct veth_set set = VETH_SET_NULL;
	_cleanup_free_ char *msg = NULL;
	_cleanup_close_ int fd = -1;
	int r, code = 0;

	if ((r = netif_config_finalize(&p->cfg, &msg)) < 0) {
		fprintf(stderr, "veth-probe: %s\n", msg ? msg : strerror(-r));
		return EXIT_USAGE;
	}
	if (p->print)
		print_config(&p->cfg, p->machine);
	if (!p->netns && p->pid <= 0)
		return 0;
	if (p->netns && (fd = open(p->netns, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "veth-probe: cannot open '%s': %m\n", p->netns);
		return EXIT_USAGE;
	}
	r = fd >= 0 ? veth_setup(&p->cfg, p->machine, fd, &set, &code)
		    : veth_setup_pid(&p->cfg, p->machine, p->pid, &set, &code);
	if (r < 0)
		return code;
	if (p->keep) {
		for (size_t i = 0; i < set.n; i++)
			free(set.host_names[i]);
		free(set.host_names);
		return 0;
	}
	if (p->hold)
		wait_for_end();
	veth_teardown(&set, false);
	return 0;
}

int main(int argc, char **argv)
{
	struct probe p = { .machine = "probe" };
	int r;

	log_setup("veth-probe");
	netif_config_init(&p.cfg);
	r = parse_args(&p, argc, argv);
	if (r == 0 && p.sweep) {
		r = veth_sweep(p.sweep);
		if (r >= 0)
			printf("swept %d\n", r);
		r = r < 0 ? EXIT_RUN_FAILED : 0;
	} else if (r == 0) {
		r = run(&p);
	}
	netif_config_done(&p.cfg);
	return r;
}
