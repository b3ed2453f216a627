/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The machine's CPUs: cpuinfo, cpu/online, stat, uptime, loadavg.  Pure renderers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "procview.h"
#include "strutil.h"

#define NS_PER_TICK (UINT64_C(1000000000) / PROCVIEW_USER_HZ)

void procview_visible_cpus(const cpu_set_t *allowed, unsigned quota_cpus, cpu_set_t *ret)
{
	unsigned taken = 0;

	CPU_ZERO(ret);
	for (unsigned c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, allowed))
			continue;
		if (quota_cpus && taken == quota_cpus)
			break;
		CPU_SET(c, ret);
		taken++;
	}
}

/* Host CPU number -> its index among the visible ones, or -1. */
static int visible_index(const cpu_set_t *visible, unsigned cpu)
{
	int idx = 0;

	if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, visible))
		return -1;
	for (unsigned c = 0; c < cpu; c++)
		idx += CPU_ISSET(c, visible) ? 1 : 0;
	return idx;
}

/* Blocks separated by blank lines, each starting "processor\t: N": keep the visible ones,
 * numbered from 0. */
int procview_render_cpuinfo(const char *host, const cpu_set_t *visible, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	bool keep = true;

	if (!out)
		return -ENOMEM;
	for (const char *line = host; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *p = startswith(line, "processor");

		if (p && (p[0] == '\t' || p[0] == ' ' || p[0] == ':')) {
			const char *colon = strchr(p, ':');
			int idx = colon ? visible_index(visible, (unsigned)strtoul(colon + 1, NULL, 10))
					: -1;
			keep = idx >= 0;
			if (keep)
				fprintf(out, "%.*s %d\n", (int)(colon - line + 1), line, idx);
		} else if (keep) {
			fprintf(out, "%.*s\n", (int)(nl - line), line);
		}
		line = *nl ? nl + 1 : NULL;
	}
	if (fclose(out) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

int procview_render_online(unsigned n, char **ret)
{
	int r = n <= 1 ? asprintf(ret, "0\n") : asprintf(ret, "0-%u\n", n - 1);

	return r < 0 ? -ENOMEM : 0;
}

static int parse_u64_list(const char *text, uint64_t **ret, unsigned *ret_n)
{
	uint64_t *v = NULL;
	unsigned n = 0;

	for (const char *p = text; p && *p;) {
		char *end;
		uint64_t x = strtoull(p, &end, 10);

		if (end == p)
			break;
		uint64_t *nv = reallocarray(v, n + 1, sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = x;
		p = end;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static uint64_t stat_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n');

		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoull(line + klen + 1, NULL, 10);
		line = *nl ? nl + 1 : NULL;
	}
	return 0;
}

void procview_cpu_usage_done(struct procview_cpu_usage *u)
{
	free(u->user_ns);
	free(u->system_ns);
	*u = (struct procview_cpu_usage){ 0 };
}

/* Per CPU: user and system nanoseconds; or the total per CPU split as cpuacct.stat has it. */
int procview_parse_cpuacct(const char *percpu_user, const char *percpu_sys, const char *percpu,
			   const char *stat, struct procview_cpu_usage *ret)
{
	struct procview_cpu_usage u = { .per_cpu = true };
	unsigned n1 = 0, n2 = 0;
	int r;

	if (percpu_user && percpu_sys) {
		if ((r = parse_u64_list(percpu_user, &u.user_ns, &n1)) < 0 ||
		    (r = parse_u64_list(percpu_sys, &u.system_ns, &n2)) < 0) {
			procview_cpu_usage_done(&u);
			return r;
		}
		u.n_host = n1 < n2 ? n1 : n2;
	} else {
		uint64_t su = stat ? stat_value(stat, "user") : 0, ss = stat ? stat_value(stat, "system") : 0;

		if ((r = parse_u64_list(percpu, &u.user_ns, &n1)) < 0)
			return r;
		u.n_host = n1;
		u.system_ns = calloc(n1 ? n1 : 1, sizeof(uint64_t));
		if (!u.system_ns) {
			procview_cpu_usage_done(&u);
			return -ENOMEM;
		}
		for (unsigned i = 0; i < n1 && su + ss; i++) {
			u.system_ns[i] = (uint64_t)((unsigned __int128)u.user_ns[i] * ss / (su + ss));
			u.user_ns[i] -= u.system_ns[i];
		}
	}
	for (unsigned i = 0; i < u.n_host; i++) {
		u.total_user_ns += u.user_ns[i];
		u.total_system_ns += u.system_ns[i];
	}
	*ret = u;
	return 0;
}

int procview_parse_cpu_stat(const char *cpu_stat, struct procview_cpu_usage *ret)
{
	*ret = (struct procview_cpu_usage){
		.total_user_ns = stat_value(cpu_stat, "user_usec") * 1000,
		.total_system_ns = stat_value(cpu_stat, "system_usec") * 1000,
	};
	return 0;
}

/* The usage of visible CPU i.  Usage on CPUs the machine does not see (the guest may widen
 * its affinity) and totals without a per-CPU split are spread evenly. */
static void usage_of(const struct procview_cpu_usage *u, const cpu_set_t *visible, unsigned n,
		     unsigned i, uint64_t *user, uint64_t *system)
{
	uint64_t ou = 0, os = 0, vu = 0, vs = 0;
	unsigned idx = 0;

	if (!u->per_cpu) {
		*user = u->total_user_ns / n;
		*system = u->total_system_ns / n;
		return;
	}
	for (unsigned c = 0; c < u->n_host; c++) {
		if (c < CPU_SETSIZE && CPU_ISSET(c, visible)) {
			if (idx++ == i) {
				vu = u->user_ns[c];
				vs = u->system_ns[c];
			}
		} else {
			ou += u->user_ns[c];
			os += u->system_ns[c];
		}
	}
	*user = vu + ou / n;
	*system = vs + os / n;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void fmt_cpu(FILE *out, const char *label, const struct procview_ticks *t)
{
	fprintf(out, "%s %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0\n", label, t->user,
		t->system, t->idle);
}

/* Lines other than cpu*, btime, procs_running and procs_blocked come from the host. */
static void copy_host_lines(FILE *out, const struct procview_stat_in *in)
{
	for (const char *line = in->host_stat; line && *line;) {
		const char *nl = strchrnul(line, '\n');

		if (startswith(line, "btime "))
			fprintf(out, "btime %" PRIu64 "\n", in->btime);
		else if (startswith(line, "procs_running "))
			fprintf(out, "procs_running %u\n", in->running);
		else if (startswith(line, "procs_blocked "))
			fprintf(out, "procs_blocked %u\n", in->blocked);
		else if (!startswith(line, "cpu"))
			fprintf(out, "%.*s\n", (int)(nl - line), line);
		line = *nl ? nl + 1 : NULL;
	}
}

int procview_render_stat(const struct procview_stat_in *in, struct procview_ticks *prev,
			 char **ret)
{
	unsigned n = (unsigned)CPU_COUNT(in->visible);
	uint64_t up = in->uptime_ns / NS_PER_TICK;
	struct procview_ticks sum = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (n == 0)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		uint64_t u, s, busy;

		usage_of(in->usage, in->visible, n, i, &u, &s);
		u /= NS_PER_TICK;
		s /= NS_PER_TICK;
		/* Monotonic: a field never goes below what an earlier read showed; idle is the
		 * rest of the uptime after what is shown as busy. */
		prev[i].user = max64(prev[i].user, u);
		prev[i].system = max64(prev[i].system, s);
		busy = prev[i].user + prev[i].system;
		prev[i].idle = max64(prev[i].idle, up > busy ? up - busy : 0);
		sum.user += prev[i].user;
		sum.system += prev[i].system;
		sum.idle += prev[i].idle;
	}
	if (!(out = open_memstream(&buf, &len)))
		return -ENOMEM;
	fmt_cpu(out, "cpu ", &sum);
	for (unsigned i = 0; i < n; i++) {
		char label[16];

		snprintf(label, sizeof(label), "cpu%u", i);
		fmt_cpu(out, label, &prev[i]);
	}
	copy_host_lines(out, in);
	if (fclose(out) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

int procview_render_uptime(uint64_t uptime_ns, const struct procview_ticks *t, unsigned n,
			   char **ret)
{
	uint64_t idle = 0, up_cs = uptime_ns / 10000000;

	for (unsigned i = 0; i < n; i++)
		idle += t[i].idle;
	/* Ticks are centiseconds at USER_HZ 100. */
	if (asprintf(ret, "%" PRIu64 ".%02" PRIu64 " %" PRIu64 ".%02" PRIu64 "\n", up_cs / 100,
		     up_cs % 100, idle / 100, idle % 100) < 0)
		return -ENOMEM;
	return 0;
}

/* kernel/sched/loadavg.c: fixed point with 11 bits of fraction, one sample per 5 s. */
#define FSHIFT 11
#define FIXED_1 (1UL << FSHIFT)
static const unsigned long load_exp[3] = { 1884, 2014, 2037 }; /* 1, 5, 15 minutes */

void procview_load_sample(struct procview_load *l, unsigned nr_active)
{
	unsigned long active = (unsigned long)nr_active * FIXED_1;

	for (int i = 0; i < 3; i++) {
		unsigned long load = l->avenrun[i];
		unsigned long next = load * load_exp[i] + active * (FIXED_1 - load_exp[i]);

		if (active >= load)
			next += FIXED_1 - 1;
		l->avenrun[i] = next / FIXED_1;
	}
}

int procview_render_loadavg(const struct procview_load *l, unsigned running, unsigned total,
			    unsigned last_pid, char **ret)
{
	unsigned long a[3];

	for (int i = 0; i < 3; i++)
		a[i] = l->avenrun[i] + FIXED_1 / 200; /* rounding, as the kernel prints it */
#define INT_(x) ((x) >> FSHIFT)
#define FRAC_(x) INT_(((x) & (FIXED_1 - 1)) * 100)
	if (asprintf(ret, "%lu.%02lu %lu.%02lu %lu.%02lu %u/%u %u\n", INT_(a[0]), FRAC_(a[0]),
		     INT_(a[1]), FRAC_(a[1]), INT_(a[2]), FRAC_(a[2]), running, total, last_pid) < 0)
		return -ENOMEM;
#undef INT_
#undef FRAC_
	return 0;
}
