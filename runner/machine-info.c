/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "machine-info.h"
#include "strutil.h"

char *format_uptime(char *buf, size_t len, uint64_t usec)
{
	uint64_t s = usec / 1000000;

	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "min", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "min %" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

uint64_t info_v1_limit(uint64_t v)
{
	return v >= (UINT64_C(1) << 62) ? INFO_UNLIMITED : v;
}

int info_parse_cpu_max(const char *text, uint64_t *ret_quota, uint64_t *ret_period)
{
	char quota[32];
	unsigned long long period;

	if (sscanf(text, "%31s %llu", quota, &period) != 2 || period == 0)
		return -EINVAL;
	if (streq(quota, "max"))
		*ret_quota = INFO_UNLIMITED;
	else if (parse_uint64(quota, ret_quota) < 0)
		return -EINVAL;
	*ret_period = period;
	return 0;
}

int info_parse_cpu_stat(const char *text, uint64_t *ret_usec)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long long v;

		if (sscanf(l, "usage_usec %llu", &v) == 1) {
			*ret_usec = v;
			return 0;
		}
	}
	return -ENOENT;
}

/* A number from a cgroup file, or INFO_UNKNOWN. */
static uint64_t read_u64(const char *dir, const char *file)
{
	_cleanup_free_ char *p = strjoin(dir, "/", file, NULL), *text = NULL;
	uint64_t v;

	if (!p || read_full_file(p, &text, NULL) < 0)
		return INFO_UNKNOWN;
	strstrip(text);
	if (streq(text, "max"))
		return INFO_UNLIMITED;
	if (text[0] == '-')
		return INFO_UNLIMITED; /* v1 cpu.cfs_quota_us: -1 */
	return parse_uint64(text, &v) < 0 ? INFO_UNKNOWN : v;
}

static char *read_text(const char *dir, const char *file)
{
	_cleanup_free_ char *p = strjoin(dir, "/", file, NULL);
	char *text = NULL;

	if (!p || read_full_file(p, &text, NULL) < 0)
		return NULL;
	return text;
}

static bool has_file(const char *dir, const char *file)
{
	_cleanup_free_ char *p = strjoin(dir, "/", file, NULL);

	return p && path_exists(p);
}

static void cgroup_v2(const char *dir, struct machine_info *i)
{
	_cleanup_free_ char *stat = NULL, *max = NULL;

	if (i->mem_current == INFO_UNKNOWN && has_file(dir, "memory.current")) {
		i->mem_current = read_u64(dir, "memory.current");
		i->mem_max = read_u64(dir, "memory.max");
	}
	if (i->cpu_usec == INFO_UNKNOWN && (stat = read_text(dir, "cpu.stat")))
		(void)info_parse_cpu_stat(stat, &i->cpu_usec);
	if (i->cpu_quota_usec == INFO_UNKNOWN && (max = read_text(dir, "cpu.max")))
		(void)info_parse_cpu_max(max, &i->cpu_quota_usec, &i->cpu_period_usec);
}

static void cgroup_v1(const char *dir, struct machine_info *i)
{
	uint64_t v;

	if (i->mem_current == INFO_UNKNOWN && has_file(dir, "memory.usage_in_bytes")) {
		i->mem_current = read_u64(dir, "memory.usage_in_bytes");
		v = read_u64(dir, "memory.limit_in_bytes");
		i->mem_max = v == INFO_UNKNOWN ? v : info_v1_limit(v);
	}
	if (i->cpu_usec == INFO_UNKNOWN && (v = read_u64(dir, "cpuacct.usage")) != INFO_UNKNOWN)
		i->cpu_usec = v / 1000;
	if (i->cpu_quota_usec == INFO_UNKNOWN &&
	    (v = read_u64(dir, "cpu.cfs_quota_us")) != INFO_UNKNOWN) {
		i->cpu_quota_usec = v;
		i->cpu_period_usec = read_u64(dir, "cpu.cfs_period_us");
		if (i->cpu_period_usec == INFO_UNKNOWN || i->cpu_period_usec == 0)
			i->cpu_quota_usec = INFO_UNKNOWN;
	}
}

static void collect_cgroups(const struct machine_entry *e, struct machine_info *i)
{
	/* The v2 hierarchy first: on hybrid hosts the v1 controllers hold the limits. */
	for (char **c = e->cgroups; c && *c; c++)
		if (has_file(*c, "cgroup.controllers"))
			cgroup_v2(*c, i);
	for (char **c = e->cgroups; c && *c; c++)
		if (!has_file(*c, "cgroup.controllers"))
			cgroup_v1(*c, i);
}

static void collect_uptime(const struct machine_entry *e, struct machine_info *i)
{
	_cleanup_free_ char *text = NULL;
	long ticks = sysconf(_SC_CLK_TCK);
	double up;

	if (i->leader_pidfd < 0 || ticks <= 0 || !e->leader_start ||
	    read_full_file("/proc/uptime", &text, NULL) < 0 || sscanf(text, "%lf", &up) != 1)
		return;
	up -= (double)e->leader_start / (double)ticks;
	i->uptime_usec = up > 0 ? (uint64_t)(up * 1e6) : 0;
}

static bool same_netns(pid_t leader)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)leader);
	if (stat(path, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return true;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static unsigned netmask_prefix(const struct sockaddr *mask)
{
	const uint8_t *b;
	size_t n;
	unsigned prefix = 0;

	if (!mask || (mask->sa_family != AF_INET && mask->sa_family != AF_INET6))
		return 0;
	if (mask->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)mask)->sin_addr;
		n = 4;
	} else {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
		n = 16;
	}
	for (size_t k = 0; k < n; k++)
		prefix += (unsigned)__builtin_popcount(b[k]);
	return prefix;
}

/* In the child, inside the machine's network namespace: "IF ADDR/PREFIX" lines to fd. */
_Noreturn static void list_addresses(int pidfd, int fd)
{
	struct ifaddrs *ifa = NULL;
	FILE *out;

	if (setns(pidfd, CLONE_NEWNET) < 0 || getifaddrs(&ifa) < 0 || !(out = fdopen(fd, "w")))
		_exit(1);
	for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
		char buf[INET6_ADDRSTRLEN];
		const void *bytes;
		unsigned prefix;
		int family = a->ifa_addr ? a->ifa_addr->sa_family : 0;

		if ((family != AF_INET && family != AF_INET6) || (a->ifa_flags & IFF_LOOPBACK))
			continue;
		if (family == AF_INET) {
			bytes = &((struct sockaddr_in *)a->ifa_addr)->sin_addr;
		} else {
			const struct in6_addr *in6 =
				&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(in6))
				continue;
			bytes = in6;
		}
		prefix = netmask_prefix(a->ifa_netmask);
		if (inet_ntop(family, bytes, buf, sizeof(buf)))
			fprintf(out, "%s %s/%u\n", a->ifa_name, buf, prefix);
	}
	_exit(fclose(out) == 0 ? 0 : 1);
}

static int collect_addresses(struct machine_info *i)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_fclose_ FILE *in = NULL;
	int p[2], status;
	char line[256];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		list_addresses(i->leader_pidfd, p[1]);
	}
	close(p[1]);
	if (pid < 0 || !(in = fdopen(p[0], "r"))) {
		if (!in)
			close(p[0]);
		if (pid > 0)
			(void)waitpid(pid, NULL, 0);
		return 0;
	}
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = 0;
		if (strv_extend(&i->addresses, line) < 0)
			break;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int machine_info_collect(const struct machine_entry *e, struct machine_info *ret)
{
	struct machine_info i = {
		.leader_pidfd = -1,
		.uptime_usec = INFO_UNKNOWN,
		.mem_current = INFO_UNKNOWN,
		.mem_max = INFO_UNKNOWN,
		.cpu_usec = INFO_UNKNOWN,
		.cpu_quota_usec = INFO_UNKNOWN,
		.cpu_period_usec = INFO_UNKNOWN,
	};

	if (e->alive && e->leader > 0)
		(void)pidfd_open_verified(e->leader, e->leader_start, &i.leader_pidfd);
	if (e->alive)
		collect_cgroups(e, &i);
	if (i.leader_pidfd >= 0) {
		collect_uptime(e, &i);
		i.private_network = !same_netns(e->leader);
		if (i.private_network)
			(void)collect_addresses(&i);
	}
	*ret = i;
	return 0;
}

void machine_info_done(struct machine_info *i)
{
	if (i->leader_pidfd >= 0)
		close(i->leader_pidfd);
	strv_free(i->addresses);
	i->leader_pidfd = -1;
	i->addresses = NULL;
}
