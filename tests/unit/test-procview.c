/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc view's formulas, over synthetic host files and cgroup files (v1 and v2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cg.h"
#include "fileio.h"
#include "log.h"
#include "procview.h"
#include "strutil.h"
#include "tap.h"

#define MiB (1024ULL * 1024)

static char *fx(const char *name)
{
	char *p = strjoin(FIXTURES, "/procview/", name, NULL), *t = NULL;

	if (!p || read_full_file(p, &t, NULL) < 0) {
		printf("# cannot read fixture %s\n", name);
		exit(99);
	}
	free(p);
	return t;
}

/* The line of text that starts with key (without its newline), or "". */
static const char *line_of(const char *text, const char *key)
{
	static char buf[8][256];
	static int i;
	char *out = buf[i++ % 8];
	const char *p = text;

	out[0] = 0;
	while (p && *p) {
		const char *nl = strchrnul(p, '\n');

		if (strncmp(p, key, strlen(key)) == 0) {
			snprintf(out, 256, "%.*s", (int)(nl - p), p);
			break;
		}
		p = *nl ? nl + 1 : NULL;
	}
	return out;
}

static uint64_t kb(const char *meminfo, const char *key)
{
	uint64_t v = UINT64_MAX;

	(void)procview_meminfo_get(meminfo, key, &v);
	return v == UINT64_MAX ? v : v / 1024;
}

static void test_parsers(void)
{
	struct procview_memstat st;
	char *v1 = fx("memory.stat.v1"), *v2 = fx("memory.stat.v2");

	ok(procview_parse_limit("max\n") == CG_MAX, "limit 'max' is none");
	ok(procview_parse_limit("-1") == CG_MAX, "limit -1 is none");
	ok(procview_parse_limit("9223372036854771712\n") == CG_MAX, "v1's huge number is none");
	is_int((long long)procview_parse_limit("104857600\n"), 104857600, "a number is a limit");
	procview_parse_memstat(v1, false, &st);
	is_int((long long)st.anon, 80 * MiB, "v1: anon from total_rss (not rss)");
	is_int((long long)st.file, 40 * MiB, "v1: file from total_cache");
	is_int((long long)st.hierarchical_memory_limit, 200 * MiB, "v1: hierarchical limit");
	is_int((long long)st.swap, 10 * MiB, "v1: total_swap");
	procview_parse_memstat(v2, true, &st);
	is_int((long long)st.anon, 30 * MiB, "v2: anon");
	is_int((long long)st.dirty, 409600, "v2: file_dirty");
	is_int((long long)st.slab_reclaimable, 2 * MiB, "v2: slab_reclaimable");
	is_int((long long)st.hierarchical_memory_limit, 0, "v2: no hierarchical limit");
	free(v1);
	free(v2);
}

static void test_meminfo_v2(void)
{
	char *host = fx("proc/meminfo"), *stat = fx("memory.stat.v2"), *out = NULL;
	struct procview_mem mem = { .v2 = true, .limit = 100 * MiB, .swap_limit = 50 * MiB,
				    .usage = 60 * MiB, .swap_usage = 10 * MiB, .stat = stat };

	is_int(procview_render_meminfo(host, &mem, &out), 0, "v2 meminfo renders");
	is_int((long long)kb(out, "MemTotal"), 102400, "v2: MemTotal = the limit");
	is_int((long long)kb(out, "MemFree"), 40960, "v2: MemFree = limit - memory.current");
	is_int((long long)kb(out, "MemAvailable"), 58368,
	       "v2: MemAvailable = free + active_file + inactive_file + slab_reclaimable");
	is_int((long long)kb(out, "Cached"), 20480, "v2: Cached = file");
	is_int((long long)kb(out, "Buffers"), 0, "v2: no Buffers");
	is_int((long long)kb(out, "Active"), 16384, "v2: Active = anon + file");
	is_int((long long)kb(out, "Inactive(anon)"), 20480, "v2: Inactive(anon)");
	is_int((long long)kb(out, "Active(file)"), 5120, "v2: Active(file)");
	is_int((long long)kb(out, "SwapTotal"), 51200, "v2: SwapTotal = memory.swap.max");
	is_int((long long)kb(out, "SwapFree"), 40960, "v2: SwapFree = limit - swap.current");
	is_int((long long)kb(out, "Dirty"), 400, "v2: Dirty is filled (lxcfs: 0)");
	is_int((long long)kb(out, "Writeback"), 80, "v2: Writeback is filled");
	is_int((long long)kb(out, "Slab"), 3072, "v2: Slab is filled");
	is_int((long long)kb(out, "SReclaimable"), 2048, "v2: SReclaimable");
	is_int((long long)kb(out, "SUnreclaim"), 1024, "v2: SUnreclaim");
	is_int((long long)kb(out, "AnonHugePages"), 2048, "v2: AnonHugePages is filled");
	is_int((long long)kb(out, "Shmem"), 1024, "v2: Shmem");
	is_int((long long)kb(out, "KernelStack"), 256, "v2: KernelStack");
	is_str(line_of(out, "MemTotal:"), "MemTotal:         102400 kB", "the kernel's layout");
	is_str(line_of(out, "HugePages_Total:"), "HugePages_Total:       0", "other lines as they are");
	is_str(line_of(out, "CommitLimit:"), "CommitLimit:    16580608 kB", "  CommitLimit too");
	free(out);

	/* Guards: usage above the limit, reclaimable above the total. */
	mem.usage = 200 * MiB;
	(void)procview_render_meminfo(host, &mem, &out);
	is_int((long long)kb(out, "MemFree"), 0, "usage above the limit: MemFree 0");
	ok(kb(out, "MemAvailable") <= 102400, "  MemAvailable <= MemTotal");
	free(out);
	mem.usage = 0;
	(void)procview_render_meminfo(host, &mem, &out);
	is_int((long long)kb(out, "MemAvailable"), 102400, "MemAvailable clamped to MemTotal");
	free(out);
	mem.swap_usage = 80 * MiB;
	(void)procview_render_meminfo(host, &mem, &out);
	is_int((long long)kb(out, "SwapFree"), 0, "swap usage above its limit: SwapFree 0");
	free(out);

	/* Only a memory limit: the host's swap, less what the machine swapped out. */
	mem = (struct procview_mem){ .v2 = true, .limit = 100 * MiB, .swap_limit = CG_MAX,
				     .usage = 60 * MiB, .swap_usage = 10 * MiB, .stat = stat };
	(void)procview_render_meminfo(host, &mem, &out);
	is_int((long long)kb(out, "SwapTotal"), 8388608, "no swap limit: the host's SwapTotal");
	is_int((long long)kb(out, "SwapFree"), 8000000, "  at most the host's SwapFree");
	free(out);

	/* A limit above the host's memory, no swap limit: the host's file. */
	mem.limit = CG_MAX;
	(void)procview_render_meminfo(host, &mem, &out);
	is_str(out, host, "unlimited: the host's values");
	free(out);
	mem.limit = 64ULL << 30;
	(void)procview_render_meminfo(host, &mem, &out);
	is_str(out, host, "a limit above the host's RAM: the host's values");
	free(out);
	free(host);
	free(stat);
}

static void test_meminfo_v1(void)
{
	char *host = fx("proc/meminfo"), *stat = fx("memory.stat.v1"), *swaps = fx("proc/swaps");
	char *out = NULL;
	struct procview_mem mem = { .v2 = false, .limit = CG_MAX, .swap_limit = CG_MAX,
				    .usage = 150 * MiB, .kmem = 1 * MiB, .stat = stat };

	is_int(procview_render_meminfo(host, &mem, &out), 0, "v1 meminfo renders");
	is_int((long long)kb(out, "MemTotal"), 204800, "v1: MemTotal = hierarchical_memory_limit");
	is_int((long long)kb(out, "MemFree"), 51200, "v1: MemFree = limit - usage_in_bytes");
	is_int((long long)kb(out, "MemAvailable"), 90112, "v1: MemAvailable = free + file LRUs");
	is_int((long long)kb(out, "Cached"), 40960, "v1: Cached = total_cache");
	is_int((long long)kb(out, "AnonPages"), 81920, "v1: AnonPages = total_rss");
	is_int((long long)kb(out, "AnonHugePages"), 4096, "v1: AnonHugePages = total_rss_huge");
	is_int((long long)kb(out, "Inactive(anon)"), 51200, "v1: Inactive(anon)");
	is_int((long long)kb(out, "Dirty"), 1024, "v1: Dirty = total_dirty");
	is_int((long long)kb(out, "Writeback"), 64, "v1: Writeback");
	is_int((long long)kb(out, "Shmem"), 2048, "v1: Shmem");
	is_int((long long)kb(out, "Slab"), 1024, "v1: Slab = kmem usage");
	is_int((long long)kb(out, "SwapTotal"), 102400, "v1: SwapTotal = memsw - memory limit");
	is_int((long long)kb(out, "SwapFree"), 92160, "v1: SwapFree = that - total_swap");
	free(out);
	mem.limit = 100 * MiB; /* a lower limit of the machine's own */
	(void)procview_render_meminfo(host, &mem, &out);
	is_int((long long)kb(out, "MemTotal"), 102400, "v1: the smaller of own and tree limit");
	free(out);

	mem.limit = CG_MAX;
	is_int(procview_render_swaps(swaps, host, &mem, &out), 0, "v1 swaps renders");
	is_str(line_of(out, "none"), "none                                    virtual\t\t102400\t\t10240\t\t-1",
	       "swaps: one virtual device of the machine's size and use");
	ok(strncmp(out, "Filename", 8) == 0, "  with the header");
	free(out);
	free(host);
	free(stat);
	free(swaps);
}

static void test_swaps(void)
{
	char *host = fx("proc/meminfo"), *swaps = fx("proc/swaps"), *stat = fx("memory.stat.v2");
	char *out = NULL;
	struct procview_mem mem = { .v2 = true, .limit = 100 * MiB, .swap_limit = 0, .stat = stat };

	(void)procview_render_swaps(swaps, host, &mem, &out);
	is_str(out, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", "no swap: just the header");
	free(out);
	mem.limit = mem.swap_limit = CG_MAX;
	(void)procview_render_swaps(swaps, host, &mem, &out);
	is_str(out, swaps, "unlimited: the host's swaps");
	free(out);
	free(host);
	free(swaps);
	free(stat);
}

static void test_cpus(void)
{
	char *host = fx("proc/cpuinfo"), *out = NULL, buf[64];
	cpu_set_t allowed, vis;

	(void)cg_parse_cpu_list("0-3", &allowed);
	procview_visible_cpus(&allowed, 2, &vis);
	is_str(cg_format_cpu_list(&vis, buf, sizeof(buf)), "0-1", "1.5 CPUs of 0-3: 0-1 visible");
	procview_visible_cpus(&allowed, 0, &vis);
	is_str(cg_format_cpu_list(&vis, buf, sizeof(buf)), "0-3", "no quota: every allowed CPU");
	(void)cg_parse_cpu_list("2,3,5", &allowed);
	procview_visible_cpus(&allowed, 2, &vis);
	is_str(cg_format_cpu_list(&vis, buf, sizeof(buf)), "2-3", "cpuset 2,3,5 and 2 CPUs: 2-3");
	procview_visible_cpus(&allowed, 8, &vis);
	is_str(cg_format_cpu_list(&vis, buf, sizeof(buf)), "2-3,5", "a quota above the cpuset");

	(void)cg_parse_cpu_list("1,3", &vis);
	is_int(procview_render_cpuinfo(host, &vis, &out), 0, "cpuinfo renders");
	ok(strstr(out, "processor\t: 0\n") && strstr(out, "processor\t: 1\n") &&
	   !strstr(out, "processor\t: 2"), "cpuinfo: two processors, numbered 0 and 1");
	ok(strstr(out, "core id\t\t: 1\n") && strstr(out, "core id\t\t: 3\n") &&
	   !strstr(out, "core id\t\t: 0\n"), "  the blocks of host CPUs 1 and 3");
	free(out);
	(void)procview_render_online(2, &out);
	is_str(out, "0-1\n", "online: 0-1");
	free(out);
	(void)procview_render_online(1, &out);
	is_str(out, "0\n", "online: 0");
	free(out);
	free(host);
}

static void test_stat(void)
{
	char *host = fx("proc/stat"), *out = NULL;
	uint64_t user[4] = { 10ULL * 1000000000, 20ULL * 1000000000, 2ULL * 1000000000, 0 };
	uint64_t sys[4] = { 5ULL * 1000000000, 1ULL * 1000000000, 0, 2ULL * 1000000000 };
	struct procview_cpu_usage u = { .per_cpu = true, .n_host = 4, .user_ns = user,
					.system_ns = sys };
	struct procview_ticks t[2] = { 0 };
	cpu_set_t vis;

	(void)cg_parse_cpu_list("0-1", &vis);
	struct procview_stat_in in = { .host_stat = host, .visible = &vis, .usage = &u,
				       .uptime_ns = 100ULL * 1000000000, .btime = 1700000900,
				       .running = 3, .blocked = 1 };
	is_int(procview_render_stat(&in, t, &out), 0, "stat renders");
	/* CPU 0: 10 s user, 5 s system, plus half of CPUs 2-3 (1 s user, 1 s system). */
	is_str(line_of(out, "cpu0 "), "cpu0 1100 0 600 8300 0 0 0 0 0 0",
	       "cpu0: its own time, half the unseen CPUs', idle = uptime - busy");
	is_str(line_of(out, "cpu1 "), "cpu1 2100 0 200 7700 0 0 0 0 0 0", "cpu1");
	is_str(line_of(out, "cpu "), "cpu  3200 0 800 16000 0 0 0 0 0 0", "cpu: the sum");
	is_str(line_of(out, "cpu2"), "", "no cpu2");
	is_str(line_of(out, "btime"), "btime 1700000900", "btime: the machine's start");
	is_str(line_of(out, "procs_running"), "procs_running 3", "procs_running: the machine's");
	is_str(line_of(out, "procs_blocked"), "procs_blocked 1", "procs_blocked: the machine's");
	is_str(line_of(out, "intr"), "intr 123456 1 2 3", "intr from the host");
	free(out);
	/* A counter that went back (a moved task) does not make the view go back. */
	user[0] = 1ULL * 1000000000;
	in.uptime_ns = 101ULL * 1000000000;
	(void)procview_render_stat(&in, t, &out);
	is_str(line_of(out, "cpu0 "), "cpu0 1100 0 600 8400 0 0 0 0 0 0",
	       "monotonic: user stays, idle grows by the time that passed");
	free(out);
	is_int(procview_render_uptime(12340000000ULL, t, 2, &out), 0, "uptime renders");
	is_str(out, "12.34 162.00\n", "uptime: the machine's, idle summed over its CPUs");
	free(out);

	/* v2: cpu.stat has totals only, spread over the visible CPUs. */
	char *cs = fx("cpu.stat");
	struct procview_cpu_usage u2;
	struct procview_ticks t2[2] = { 0 };

	is_int(procview_parse_cpu_stat(cs, &u2), 0, "cpu.stat parses");
	in.usage = &u2;
	in.uptime_ns = 10ULL * 1000000000;
	(void)procview_render_stat(&in, t2, &out);
	is_str(line_of(out, "cpu1 "), "cpu1 100 0 50 850 0 0 0 0 0 0", "v2: half of 2 s user, 1 s sys");
	free(out);
	free(cs);

	/* v1 without the per-CPU user/sys files: the total split as cpuacct.stat has it. */
	struct procview_cpu_usage u3;
	is_int(procview_parse_cpuacct(NULL, NULL, "3000000000 1000000000\n", "user 300\nsystem 100\n",
				      &u3), 0, "cpuacct.usage_percpu parses");
	is_int((long long)u3.user_ns[0], 2250000000LL, "  3/4 of CPU 0's time is user");
	is_int((long long)u3.total_system_ns, 1000000000LL, "  1/4 of all is system");
	procview_cpu_usage_done(&u3);
	free(host);
}

static void test_loadavg(void)
{
	struct procview_load l = { 0 };
	char *out = NULL;
	double one;

	for (int i = 0; i < 12; i++) /* one minute of one runnable thread */
		procview_load_sample(&l, 1);
	is_int(procview_render_loadavg(&l, 1, 5, 42, &out), 0, "loadavg renders");
	one = atof(out);
	out[strcspn(out, "\n")] = 0;
	ok(one > 0.60 && one < 0.66, "1 min of load 1: 1 - 1/e (%s)", out);
	ok(endswith(out, " 1/5 42"), "  running/total and last pid");
	free(out);
	for (int i = 0; i < 120; i++)
		procview_load_sample(&l, 0);
	(void)procview_render_loadavg(&l, 0, 5, 42, &out);
	out[strcspn(out, "\n")] = 0;
	ok(strncmp(out, "0.00 ", 5) == 0, "ten idle minutes: 0.00 (%s)", out);
	free(out);
}

static void test_diskstats(void)
{
	char *host = fx("proc/diskstats"), *io = fx("io.stat"), *b = fx("blkio.io_service_bytes");
	char *n = fx("blkio.io_serviced"), *out = NULL;

	is_int(procview_render_diskstats(host, true, io, NULL, NULL, &out), 0, "v2 diskstats");
	is_str(out, "   8       0 sda 10 0 2048 0 20 0 4096 0 0 0 0 0 0 0 0 0 0\n",
	       "v2: only the devices the machine used, with its own IO");
	free(out);
	is_int(procview_render_diskstats(host, false, NULL, b, n, &out), 0, "v1 diskstats");
	is_str(out, "   8       0 sda 10 0 2048 0 20 0 4096 0 0 0 0 0 0 0 0 0 0\n",
	       "v1: the same from blkio.throttle.*");
	free(out);
	free(host);
	free(io);
	free(b);
	free(n);
}

/* The collector over a fixture cgroup tree: nested limits, files of the right versions. */
static void put(const char *dir, const char *file, const char *text)
{
	char *p = strjoin(dir, "/", file, NULL);

	(void)write_file(p, text, 0644);
	free(p);
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static struct procview *view_of(const struct cg_machine *m)
{
	struct procview_config c = { .cg = m, .proc = FIXTURES "/procview/proc" };
	struct procview *v = NULL;

	(void)cg_parse_cpu_list("0-1", &c.visible);
	c.start_boottime_ns = boottime_ns() - 5ULL * 1000000000;
	return procview_new(&c, &v) < 0 ? NULL : v;
}

static char *render(struct procview *v, enum procview_file f)
{
	char *out = NULL;
	size_t len;

	return procview_render(v, f, &out, &len) < 0 ? strdup("") : out;
}

static struct cg_machine *fixture_machine(const char *fixture, const char *self, char **ret_root)
{
	char tmpl[] = "/var/tmp/test-procview.XXXXXX", *root = mkdtemp(tmpl);
	char *src = strjoin(FIXTURES, "/", fixture, NULL);
	struct cg_machine *m = NULL;
	struct cg_limits l;

	cg_limits_init(&l);
	(void)cg_limits_set_option(&l, "memory", "100M");
	if (!root || !src || copy_tree(src, root, "/") < 0 ||
	    cg_machine_new(root, self, "web", CG_FAKE_FS, &m) < 0 || cg_machine_create(m, &l) < 0) {
		free(src);
		return NULL;
	}
	free(src);
	*ret_root = strdup(root);
	return m;
}

static void test_collect_v2(void)
{
	char *root = NULL, *stat = fx("memory.stat.v2"), *cs = fx("cpu.stat"), *out, *parent, tid[16];
	struct cg_machine *m = fixture_machine("cgroup-v2", "0::/\n", &root);
	const char *leaf;
	struct procview *v;

	ok(m, "collector v2: fixture machine");
	if (!m)
		return;
	leaf = cg_machine_path(m, CG_CTRL_MEMORY);
	parent = strjoin(root, "/runimg", NULL);
	put(parent, "memory.max", "52428800\n"); /* the tree above allows less */
	put(leaf, "memory.stat", stat);
	put(leaf, "memory.current", "20971520\n");
	put(leaf, "cpu.stat", cs);
	snprintf(tid, sizeof(tid), "%d\n", (int)getpid());
	put(leaf, "cgroup.threads", tid);
	v = view_of(m);
	ok(v, "collector v2: view");
	out = render(v, PV_MEMINFO);
	is_int((long long)kb(out, "MemTotal"), 51200, "v2: MemTotal = the smallest limit up the tree");
	is_int((long long)kb(out, "MemFree"), 30720, "v2: MemFree from memory.current");
	free(out);
	out = render(v, PV_ONLINE);
	is_str(out, "0-1\n", "collector: online");
	free(out);
	out = render(v, PV_CPUINFO);
	ok(strstr(out, "processor\t: 1\n") && !strstr(out, "processor\t: 2"), "collector: cpuinfo");
	free(out);
	out = render(v, PV_STAT);
	is_str(line_of(out, "cpu1 "), "cpu1 100 0 50 350 0 0 0 0 0 0", "collector: stat from cpu.stat");
	free(out);
	out = render(v, PV_UPTIME);
	out[strcspn(out, "\n")] = 0;
	ok(atof(out) >= 5.0 && atof(out) < 10.0, "collector: uptime from the start (%s)", out);
	free(out);
	procview_sample(v);
	out = render(v, PV_LOADAVG);
	out[strcspn(out, "\n")] = 0;
	ok(strstr(out, "/1 ") != NULL, "collector: one task in the machine (%s)", out);
	free(out);
	procview_free(v);
	cg_machine_remove(m);
	cg_machine_free(m);
	(void)rm_rf(root);
	free(root);
	free(parent);
	free(stat);
	free(cs);
}

static void test_collect_v1(void)
{
	static const char self[] = "4:memory:/\n2:cpuacct:/\n1:cpu:/\n9:name=systemd:/\n";
	char *root = NULL, *stat = fx("memory.stat.v1"), *out;
	struct cg_machine *m = fixture_machine("cgroup-v1", self, &root);
	struct procview *v;
	const char *mem, *acct;

	ok(m, "collector v1: fixture machine");
	if (!m)
		return;
	mem = cg_machine_path(m, CG_CTRL_MEMORY);
	acct = cg_machine_path(m, CG_CTRL_CPUACCT);
	put(mem, "memory.stat", stat);
	put(mem, "memory.usage_in_bytes", "157286400\n");
	put(acct, "cpuacct.usage_percpu_user", "1000000000 2000000000 0 0\n");
	put(acct, "cpuacct.usage_percpu_sys", "0 1000000000 0 0\n");
	v = view_of(m);
	out = render(v, PV_MEMINFO);
	is_int((long long)kb(out, "MemTotal"), 204800, "v1: MemTotal = hierarchical_memory_limit");
	is_int((long long)kb(out, "SwapTotal"), 102400, "v1: SwapTotal from hierarchical_memsw_limit");
	is_int((long long)kb(out, "MemFree"), 51200, "v1: MemFree from memory.usage_in_bytes");
	free(out);
	out = render(v, PV_STAT);
	is_str(line_of(out, "cpu1 "), "cpu1 200 0 100 200 0 0 0 0 0 0",
	       "v1: stat from cpuacct.usage_percpu_*");
	free(out);
	procview_free(v);
	cg_machine_remove(m);
	cg_machine_free(m);
	(void)rm_rf(root);
	free(root);
	free(stat);
}

int main(void)
{
	log_setup("test-procview");
	log_set_level(LOG_LVL_ERROR);
	test_parsers();
	test_meminfo_v2();
	test_meminfo_v1();
	test_swaps();
	test_cpus();
	test_stat();
	test_loadavg();
	test_diskstats();
	test_collect_v2();
	test_collect_v1();
	return tap_done();
}
