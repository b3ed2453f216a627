/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resource limits: the parsers, and both cgroup backends against fixture trees. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cg.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"
#include "tap.h"

static const char V1_SELF[] = "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n"
			      "4:memory:/user.slice/x\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

static void test_options(void)
{
	struct cg_limits l;
	char buf[64];

	cg_limits_init(&l);
	ok(!cg_limits_any(&l), "nothing set at first");
	is_int(cg_limits_set_option(&l, "memory", "100M"), 0, "--memory 100M");
	is_int((long long)l.memory_max, 104857600, "  is 100 MiB");
	is_int(cg_limits_set_option(&l, "memory", "max"), 0, "--memory max");
	ok(l.memory_max == CG_MAX, "  is unlimited");
	is_int(cg_limits_set_option(&l, "memory", "0"), -ERANGE, "--memory 0 is out of range");
	is_int(cg_limits_set_option(&l, "memory", "lots"), -EINVAL, "--memory lots is malformed");
	is_int(cg_limits_set_option(&l, "memory-swap", "0"), 0, "--memory-swap 0 is fine");
	is_int((long long)l.memory_swap_max, 0, "  no swap");
	is_int(cg_limits_set_option(&l, "memory-high", "1G"), 0, "--memory-high 1G");
	is_int(cg_limits_set_option(&l, "cpus", "1.5"), 0, "--cpus 1.5");
	is_int((long long)l.cpu_quota_usec, 150000, "  quota 150 ms");
	is_int((long long)l.cpu_period_usec, 100000, "  per 100 ms");
	is_int(cg_limits_quota_cpus(&l), 2, "  ceil(1.5) = 2 CPUs visible");
	is_int(cg_limits_set_option(&l, "cpus", "0.001"), -ERANGE, "--cpus 0.001 is below 1 ms");
	is_int(cg_limits_set_option(&l, "cpus", "1.5.2"), -EINVAL, "--cpus 1.5.2 is malformed");
	is_int(cg_limits_set_option(&l, "cpus", "-1"), -EINVAL, "--cpus -1 is malformed");
	is_int(cg_limits_set_option(&l, "cpu-weight", "0"), -ERANGE, "--cpu-weight 0");
	is_int(cg_limits_set_option(&l, "cpu-weight", "10001"), -ERANGE, "--cpu-weight 10001");
	is_int(cg_limits_set_option(&l, "cpu-weight", "200"), 0, "--cpu-weight 200");
	is_int(cg_limits_set_option(&l, "cpuset", "0-2,5"), 0, "--cpuset 0-2,5");
	is_int(CPU_COUNT(&l.cpuset), 4, "  four CPUs");
	is_str(cg_format_cpu_list(&l.cpuset, buf, sizeof(buf)), "0-2,5", "  formatted back");
	is_int(cg_limits_set_option(&l, "cpuset", "3-1"), -EINVAL, "--cpuset 3-1");
	is_int(cg_limits_set_option(&l, "cpuset", "0,,x"), -EINVAL, "--cpuset 0,,x");
	is_int(cg_limits_set_option(&l, "cpuset", "99999"), -ERANGE, "--cpuset 99999");
	is_int(cg_limits_set_option(&l, "pids", "50"), 0, "--pids 50");
	is_int((long long)l.pids_max, 50, "  50 tasks");
	is_int(cg_limits_set_option(&l, "pids", "0"), -ERANGE, "--pids 0");
	is_int(cg_limits_set_option(&l, "io-weight", "300"), 0, "--io-weight 300");
	is_int(cg_limits_set_option(&l, "disk", "1"), -ENOENT, "unknown option");
	ok(cg_limits_any(&l), "something set");
}

static void test_properties(void)
{
	struct cg_limits l;

	cg_limits_init(&l);
	is_int(cg_limits_set_assignment(&l, "MemoryMax=1G"), 0, "MemoryMax=1G");
	is_int((long long)l.memory_max, 1LL << 30, "  1 GiB");
	is_int(cg_limits_set_assignment(&l, "MemoryHigh=50%"), 0, "MemoryHigh=50%");
	is_int(cg_limits_set_assignment(&l, "MemorySwapMax=infinity"), 0, "MemorySwapMax=infinity");
	ok(l.memory_swap_max == CG_MAX, "  unlimited");
	is_int(cg_limits_set_assignment(&l, "CPUQuota=150%"), 0, "CPUQuota=150%");
	is_int((long long)l.cpu_quota_usec, 150000, "  quota 150 ms");
	is_int(cg_limits_set_assignment(&l, "CPUQuota=12.5%"), 0, "CPUQuota=12.5%");
	is_int((long long)l.cpu_quota_usec, 12500, "  quota 12.5 ms");
	is_int(cg_limits_set_assignment(&l, "CPUQuota=150"), -EINVAL, "CPUQuota=150 needs %");
	is_int(cg_limits_set_assignment(&l, "CPUWeight=idle"), -EINVAL, "CPUWeight=idle");
	is_int(cg_limits_set_assignment(&l, "CPUWeight=50"), 0, "CPUWeight=50");
	is_int(cg_limits_set_assignment(&l, "AllowedCPUs=0,1"), 0, "AllowedCPUs=0,1");
	is_int(cg_limits_set_assignment(&l, "TasksMax=10%"), 0, "TasksMax=10%");
	is_int(cg_limits_set_assignment(&l, "IOWeight=200"), 0, "IOWeight=200");
	is_int(cg_limits_set_assignment(&l, "IOWeight=0"), -ERANGE, "IOWeight=0");
	is_int(cg_limits_set_assignment(&l, "Memory=1G"), -ENOENT, "unknown property");
	is_int(cg_limits_set_assignment(&l, "MemoryMax"), -EINVAL, "no value");
	is_int(cg_limits_set_property(&l, "MemoryLimit", "2G"), 0, "MemoryLimit (old name)");
	cg_limits_resolve(&l, 8ULL << 30, 32768);
	is_int((long long)l.memory_high, 4LL << 30, "50% of 8 GiB is 4 GiB");
	is_int((long long)l.pids_max, 3276, "10% of 32768 tasks");
	is_int(l.memory_high_pm + l.pids_max_pm, 0, "percentages resolved");
}

static void test_fill_and_conversions(void)
{
	struct cg_limits cli, file;

	cg_limits_init(&cli);
	cg_limits_init(&file);
	(void)cg_limits_set_option(&cli, "memory", "100M");
	(void)cg_limits_set_property(&file, "MemoryMax", "1G");
	(void)cg_limits_set_property(&file, "CPUQuota", "50%");
	cg_limits_fill(&cli, &file);
	is_int((long long)cli.memory_max, 104857600, "the command line wins");
	is_int((long long)cli.cpu_quota_usec, 50000, "the file fills the rest");

	is_int((long long)cg_weight_to_shares(100), 1024, "weight 100 = 1024 shares");
	is_int((long long)cg_weight_to_shares(1), 10, "weight 1 = 10 shares");
	is_int((long long)cg_weight_to_shares(10000), 102400, "weight 10000 = 102400 shares");
	is_int((long long)cg_weight_to_blkio(100), 500, "IO weight 100 = blkio 500");
	is_int((long long)cg_weight_to_blkio(1), 10, "IO weight 1 = blkio 10");
	is_int((long long)cg_weight_to_blkio(10000), 1000, "IO weight 10000 = blkio 1000");
	is_int((long long)cg_weight_to_bfq(100), 100, "IO weight 100 = bfq 100");
	is_int((long long)cg_weight_to_bfq(10000), 1000, "IO weight 10000 = bfq 1000");
	is_int((long long)cg_weight_to_bfq(300), 118, "IO weight 300 = bfq 118");
}

static char *fixture_copy(const char *name)
{
	char tmpl[] = "/var/tmp/test-cg.XXXXXX";
	char *dir = mkdtemp(tmpl), *src;

	if (!dir)
		return NULL;
	src = strjoin(FIXTURES, "/", name, NULL);
	if (!src || copy_tree(src, dir, "/") < 0) {
		free(src);
		return NULL;
	}
	free(src);
	return strdup(dir);
}

/* The content of root/rel, without the trailing newline ("" when missing). */
static const char *cat(const char *root, const char *rel)
{
	static char buf[4][256];
	static int i;
	char *p = strjoin(root, "/", rel, NULL), *t = NULL;
	char *out = buf[i++ % 4];

	out[0] = 0;
	if (p && read_full_file(p, &t, NULL) == 0) {
		snprintf(out, 256, "%s", t);
		out[strcspn(out, "\n")] = 0;
	}
	free(p);
	free(t);
	return out;
}

static bool exists(const char *root, const char *rel)
{
	char *p = strjoin(root, "/", rel, NULL);
	bool r = p && access(p, F_OK) == 0;

	free(p);
	return r;
}

static void all_limits(struct cg_limits *l)
{
	cg_limits_init(l);
	(void)cg_limits_set_option(l, "memory", "100M");
	(void)cg_limits_set_option(l, "memory-high", "80M");
	(void)cg_limits_set_option(l, "memory-swap", "50M");
	(void)cg_limits_set_option(l, "cpus", "1.5");
	(void)cg_limits_set_option(l, "cpu-weight", "200");
	(void)cg_limits_set_option(l, "cpuset", "0-1");
	(void)cg_limits_set_option(l, "pids", "50");
	(void)cg_limits_set_option(l, "io-weight", "300");
}

static void test_v2(void)
{
	char *root = fixture_copy("cgroup-v2"), pid[16];
	struct cg_machine *m = NULL;
	struct cg_limits l;

	ok(root, "copied the v2 fixture");
	if (!root)
		return;
	is_int(cg_machine_new(root, "0::/user.slice/session-1.scope\n", "web", CG_FAKE_FS, &m), 0,
	       "v2: found the hierarchy");
	is_int((long long)m->n, 1, "  one hierarchy");
	ok(m->h[0].v2 && !m->delegated, "  v2, not delegated");
	ok(endswith(cg_machine_path(m, CG_CTRL_MEMORY), "/runimg/web"), "  machine at /runimg/web");
	ok(cg_machine_is_v2(m, CG_CTRL_CPUACCT), "  CPU usage from cpu.stat");
	all_limits(&l);
	is_int(cg_machine_create(m, &l), 0, "v2: created with every limit");
	ok(strstr(cat(root, "cgroup.subtree_control"), "+memory") &&
	   strstr(cat(root, "cgroup.subtree_control"), "+cpu"), "  root enables +memory +cpu");
	is_str(cat(root, "runimg/cgroup.subtree_control"), "+cpu +cpuset +memory +pids +io",
	       "  /runimg enables the controllers for the machine");
	is_str(cat(root, "runimg/web/memory.max"), "104857600", "  memory.max");
	is_str(cat(root, "runimg/web/memory.high"), "83886080", "  memory.high");
	is_str(cat(root, "runimg/web/memory.swap.max"), "52428800", "  memory.swap.max");
	is_str(cat(root, "runimg/web/cpu.max"), "150000 100000", "  cpu.max");
	is_str(cat(root, "runimg/web/cpu.weight"), "200", "  cpu.weight");
	is_str(cat(root, "runimg/web/cpuset.cpus"), "0-1", "  cpuset.cpus");
	is_str(cat(root, "runimg/web/pids.max"), "50", "  pids.max");
	is_str(cat(root, "runimg/web/io.weight"), "default 300", "  io.weight");
	is_int(cg_machine_attach(m, 1234, false), 0, "  attach");
	is_str(cat(root, "runimg/web/cgroup.procs"), "1234", "  cgroup.procs");
	cg_machine_remove(m);
	ok(!exists(root, "runimg/web") && !exists(root, "runimg"), "v2: removed, /runimg too");
	cg_machine_free(m);

	/* Out of range and missing: clear errors. */
	(void)cg_machine_new(root, "0::/\n", "bad", CG_FAKE_FS, &m);
	cg_limits_init(&l);
	(void)cg_limits_set_option(&l, "cpuset", "2-7");
	is_int(cg_machine_check(m, &l), -ERANGE, "v2: CPUs the host lacks are refused");
	is_int(cg_exit_status(-ERANGE), 2, "  exit status 2");
	cg_machine_free(m);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	(void)rm_rf(root);
	free(root);
}

static void test_v2_delegated(void)
{
	char *root = fixture_copy("cgroup-v2"), *unit, pid[16];
	struct cg_machine *m = NULL;
	struct cg_limits l;

	if (!root)
		return;
	unit = strjoin(root, "/system.slice/runimg@x.service", NULL);
	if (setxattr(unit, "user.delegate", "1", 1, 0) < 0 &&
	    setxattr(unit, "trusted.delegate", "1", 1, 0) < 0) {
		ok(1, "delegation # SKIP no xattrs on %s", root);
		goto out;
	}
	is_int(cg_machine_new(root, "0::/system.slice/runimg@x.service\n", "web", CG_FAKE_FS, &m),
	       0, "delegated: found");
	ok(m->delegated, "  the delegate xattr is seen");
	ok(endswith(cg_machine_path(m, CG_CTRL_MEMORY), "/runimg@x.service/payload"),
	   "  the machine lives below our unit");
	cg_limits_init(&l);
	(void)cg_limits_set_option(&l, "memory", "64M");
	is_int(cg_machine_create(m, &l), 0, "delegated: created");
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	is_str(cat(unit, "supervisor/cgroup.procs"), pid, "  runimg moved itself to supervisor/");
	ok(strstr(cat(unit, "cgroup.subtree_control"), "+memory"), "  the unit enables +memory");
	is_str(cat(unit, "payload/memory.max"), "67108864", "  payload/memory.max");
	ok(!exists(root, "runimg"), "  nothing at /runimg");
	cg_machine_remove(m);
	ok(!exists(unit, "payload"), "delegated: payload removed");
	cg_machine_free(m);

	(void)cg_machine_new(root, "0::/system.slice/runimg@x.service\n", "web",
			     CG_FAKE_FS | CG_NO_DELEGATION_CHECK, &m);
	ok(m && !m->delegated, "the check can be turned off");
	cg_machine_free(m);
out:
	free(unit);
	(void)rm_rf(root);
	free(root);
}

static void test_v1(void)
{
	char *root = fixture_copy("cgroup-v1");
	static const char *const hier[] = { "memory", "cpu", "cpuacct", "cpuset", "pids",
					    "blkio", "systemd", "freezer", "unified" };
	struct cg_machine *m = NULL;
	struct cg_limits l;
	bool all = true;

	ok(root, "copied the v1 fixture");
	if (!root)
		return;
	is_int(cg_machine_new(root, V1_SELF, "web", CG_FAKE_FS, &m), 0, "v1: found the hierarchies");
	is_int((long long)m->n, 9, "  eight v1 hierarchies and the unified one");
	ok(!cg_machine_is_v2(m, CG_CTRL_MEMORY), "  memory is v1");
	ok(endswith(cg_machine_path(m, CG_CTRL_MEMORY), "/memory/runimg/web"),
	   "  memory: /runimg/web although we are in /user.slice/x");
	ok(endswith(cg_machine_path(m, CG_CTRL_CPUACCT), "/cpuacct/runimg/web"), "  cpuacct");
	is_int(m->main, 8, "  processes are counted in the unified hierarchy");
	all_limits(&l);
	is_int(cg_machine_create(m, &l), 0, "v1: created with every limit");
	is_str(cat(root, "memory/runimg/web/memory.limit_in_bytes"), "104857600", "  limit_in_bytes");
	is_str(cat(root, "memory/runimg/web/memory.soft_limit_in_bytes"), "83886080",
	       "  soft limit for memory-high");
	is_str(cat(root, "memory/runimg/web/memory.memsw.limit_in_bytes"), "157286400",
	       "  memsw = memory + swap");
	is_str(cat(root, "cpu/runimg/web/cpu.cfs_quota_us"), "150000", "  cfs_quota_us");
	is_str(cat(root, "cpu/runimg/web/cpu.cfs_period_us"), "100000", "  cfs_period_us");
	is_str(cat(root, "cpu/runimg/web/cpu.shares"), "2048", "  shares from weight 200");
	is_str(cat(root, "cpuset/runimg/web/cpuset.cpus"), "0-1", "  cpuset.cpus");
	is_str(cat(root, "cpuset/runimg/web/cpuset.mems"), "0", "  cpuset.mems from the parent");
	is_str(cat(root, "pids/runimg/web/pids.max"), "50", "  pids.max");
	is_str(cat(root, "blkio/runimg/web/blkio.bfq.weight"), "118", "  blkio.bfq.weight");
	is_str(cat(root, "unified/runimg/cgroup.subtree_control"), "", "  unified: no controllers");
	is_int(cg_machine_attach(m, 4321, false), 0, "  attach");
	is_str(cat(root, "freezer/runimg/web/cgroup.procs"), "4321", "  in every hierarchy");
	cg_machine_remove(m);
	for (size_t i = 0; i < ELEMENTSOF(hier); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "%s/runimg", hier[i]);
		all = all && !exists(root, rel);
	}
	ok(all, "v1: removed from every hierarchy");
	cg_machine_free(m);

	(void)cg_machine_new(root, V1_SELF, "web", CG_FAKE_FS, &m);
	cg_limits_init(&l);
	(void)cg_limits_set_option(&l, "memory-swap", "1G");
	is_int(cg_machine_check(m, &l), -EINVAL, "v1: a swap limit needs a memory limit");
	cg_machine_free(m);
	(void)cg_machine_new(root, "1:cpu:/\n0::/\n", "web", CG_FAKE_FS, &m);
	cg_limits_init(&l);
	(void)cg_limits_set_option(&l, "memory", "1G");
	is_int(cg_machine_check(m, &l), -EOPNOTSUPP, "no memory hierarchy: refused");
	is_int(cg_exit_status(-EOPNOTSUPP), 3, "  exit status 3");
	cg_machine_free(m);
	char *memsw = strjoin(root, "/memory/memory.memsw.limit_in_bytes", NULL);
	(void)unlink(memsw);
	free(memsw);
	(void)cg_machine_new(root, V1_SELF, "web", CG_FAKE_FS, &m);
	cg_limits_init(&l);
	(void)cg_limits_set_option(&l, "memory", "1G");
	(void)cg_limits_set_option(&l, "memory-swap", "1G");
	is_int(cg_machine_check(m, &l), -EOPNOTSUPP, "v1 without swap accounting: refused");
	cg_machine_free(m);
	(void)cg_machine_new(root, V1_SELF, "web", CG_FAKE_FS, &m);
	cg_machine_keep(m, 1u << CG_CTRL_MEMORY, false);
	is_int((long long)m->n, 2, "keep: memory and the unified hierarchy");
	ok(cg_machine_path(m, CG_CTRL_MEMORY) && !cg_machine_path(m, CG_CTRL_CPU),
	   "  the controller map follows");
	cg_machine_free(m);
	(void)cg_machine_new(root, V1_SELF, "web", CG_FAKE_FS, &m);
	cg_machine_keep(m, 0, true);
	is_int((long long)m->n, 2, "keep: name=systemd (boot) and the unified hierarchy");
	cg_machine_free(m);
	is_int(cg_machine_new(root, "", "web", CG_FAKE_FS, &m), -ENOMEDIUM, "no cgroups at all");
	(void)rm_rf(root);
	free(root);
}

int main(void)
{
	log_setup("test-cg");
	log_set_level(LOG_LVL_ERROR);
	test_options();
	test_properties();
	test_fill_and_conversions();
	test_v2();
	test_v2_delegated();
	test_v1();
	return tap_done();
}
