/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Named machines: settings files (parse, merge), the registry's text, the pure helpers of
 * list/status and shell. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg.h"
#include "enter.h"
#include "fileio.h"
#include "ifspec.h"
#include "machine-info.h"
#include "settings-file.h"
#include "state.h"
#include "strutil.h"
#include "tap.h"

static int parse(struct run_settings *s, const char *text, char **msg)
{
	*msg = NULL;
	return settings_file_parse(s, text, strlen(text), "m.conf", msg);
}

/* The error message for text, or NULL if it parses. */
static char *error_of(const char *text)
{
	struct run_settings s;
	char *msg = NULL;

	settings_init(&s);
	(void)parse(&s, text, &msg);
	settings_done(&s);
	return msg;
}

static void test_keys(void)
{
	struct run_settings s;
	char *msg = NULL;

	settings_init(&s);
	is_int(parse(&s,
		     "[Exec]\nBoot=yes\nHostname=web\nEnvironment=A=1 \"B=two words\" C='x y'\n"
		     "Environment=A=3\nParameters=/bin/sh -c \"echo hi\"\nNotifyReady=yes\n"
		     "ProcView=strict\n[Files]\nReadOnly=no\nEphemeral=yes\nBind=/srv:/mnt\n"
		     "BindReadOnly=/etc/x:/y:rbind\n[Network]\nPrivate=yes\n",
		     &msg),
	       0, "every [Exec] and [Files] key");
	ok(s.boot == 1 && s.notify_ready == 1 && s.read_only == 0 && s.private_network == 1,
	   "booleans");
	is_str(s.hostname, "web", "Hostname=");
	is_int(s.proc_view, PROC_VIEW_STRICT, "ProcView=strict");
	is_int((long long)strv_length(s.environment), 3, "Environment= words, a name once");
	is_str(s.environment[0], "A=3", "a later assignment replaces");
	is_str(s.environment[1], "B=two words", "double quotes");
	is_str(s.environment[2], "C=x y", "single quotes");
	is_int((long long)strv_length(s.argv), 3, "Parameters= words");
	is_str(s.argv[2], "echo hi", "Parameters= quotes");
	is_int(s.snapshot, SNAPSHOT_EPHEMERAL, "Ephemeral=yes");
	is_int((long long)s.n_binds, 2, "Bind= and BindReadOnly=");
	ok(!s.binds[0].read_only && s.binds[1].read_only, "BindReadOnly= is read-only");
	is_str(s.binds[1].dst, "/y", "SRC:DST:rbind");
	is_int(parse(&s, "[Exec]\nEnvironment=\nHostname=\n[Files]\nBind=\n", &msg), 0,
	       "empty assignments");
	ok(!s.environment && !s.hostname && s.n_binds == 0, "... reset the keys");
	settings_done(&s);
}

static void test_other_sections(void)
{
	struct run_settings s;
	char *msg = NULL;

	settings_init(&s);
	is_int(parse(&s, "[Resources]\nMemoryMax=1G\nCPUQuota=150%\n", &msg), 0, "[Resources]");
	is_int((long long)s.limits.memory_max, 1LL << 30, "... MemoryMax= reaches the limits");
	is_int(parse(&s, "[Network]\nBridge=br0\n[Interface]\nBridge=br1\nAddress=192.0.2.1/24\n",
		     &msg),
	       0, "[Network] Bridge= and [Interface]");
	is_int((long long)s.netifs.n, 2, "... two interfaces");
	settings_done(&s);
}

static void test_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[Exec]\nBoot=yes\nHostnme=x\n",
		  "m.conf:3: unknown key 'Hostnme' in [Exec] (did you mean 'Hostname'?)" },
		{ "[Exec]\nBoot=perhaps\n", "m.conf:2: invalid boolean 'perhaps' for Boot= (yes or no)" },
		{ "[Exec]\nProcView=lazy\n",
		  "m.conf:2: invalid value 'lazy' for ProcView= (yes, no or strict)" },
		{ "[Exce]\nBoot=yes\n", "m.conf:2: unknown section [Exce] (did you mean [Exec]?)" },
		{ "Boot=yes\n", "m.conf:1: assignment outside of any [Section]" },
		{ "[Files]\nBoot=yes\n", "m.conf:2: key 'Boot' belongs in [Exec], not in [Files]" },
		{ "[Exec]\n\nUser=nobody\n",
		  "m.conf:3: [Exec] User= (a systemd-nspawn setting) is not supported by runimg" },
		{ "[Exec]\nLimitNOFILE=10\n",
		  "m.conf:2: [Exec] LimitNOFILE= (a systemd-nspawn setting) is not supported by "
		  "runimg" },
		{ "[Exec]\nEnvironment=\"A=1\n", "m.conf:2: unbalanced quotes in Environment=" },
		{ "[Exec]\nEnvironment=1A=x\n",
		  "m.conf:2: invalid assignment '1A=x' for Environment= (NAME=VALUE)" },
		{ "[Files]\nBind=relative\n",
		  "m.conf:2: invalid Bind= 'relative' (SRC[:DST], absolute paths)" },
		{ "[Files]\nBind=/a:/b:norbind\n",
		  "m.conf:2: bind option 'norbind' in Bind= is not supported (only 'rbind': binds "
		  "are always recursive)" },
		{ "[Files]\nOverlay=/a:/b:/c\n",
		  "m.conf:2: Overlay= takes one directory (the root's upper layer); systemd-nspawn's "
		  "overlay mounts (LOWER:...:UPPER:DST) are not supported" },
		{ "[Files]\nOverlay=rel\n", "m.conf:2: Overlay= needs an absolute directory, not 'rel'" },
		{ "[Resources]\nMemoryMax=lots\n", "m.conf:2: invalid value 'lots' for MemoryMax=" },
		{ "[Resources]\nMemoryMix=1G\n",
		  "m.conf:2: unknown key 'MemoryMix' in [Resources] (did you mean 'MemoryMax'?)" },
		{ "[Network]\nBridg=br0\n",
		  "m.conf:2: unknown key 'Bridg' in [Network] (did you mean 'Bridge'?)" },
		{ "[Interface]\nAddress=1.2.3.4\n", "m.conf:2: " },
		{ "[Exec\n", "m.conf:1: invalid section header" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *msg = error_of(cases[i].text);
		ok(msg && strncmp(msg, cases[i].want, strlen(cases[i].want)) == 0, "error: %s",
		   cases[i].want);
		if (!msg || strncmp(msg, cases[i].want, strlen(cases[i].want)) != 0)
			printf("#   got '%s'\n", msg ? msg : "(none)");
		free(msg);
	}
}

static void test_merge(void)
{
	struct run_settings cli, file;
	char *msg = NULL;

	settings_init(&cli);
	settings_init(&file);
	settings_add_env(&cli, "A=cli");
	settings_add_bind(&cli, "/cli:/shared", false);
	cli.hostname = strdup("clihost");
	cli.snapshot = SNAPSHOT_EPHEMERAL;
	cg_limits_set_option(&cli.limits, "memory", "1G");
	is_int(parse(&file,
		     "[Exec]\nBoot=yes\nHostname=filehost\nEnvironment=A=file B=file\n"
		     "Parameters=/sbin/init --x\n[Files]\nReadOnly=yes\nBind=/file:/shared\n"
		     "Bind=/other\n[Resources]\nMemoryMax=2G\nTasksMax=100\n",
		     &msg),
	       0, "file parsed");
	is_int(settings_merge_file(&cli, &file), 0, "merged");
	is_int(cli.boot, 1, "unset on the command line: the file's");
	is_str(cli.hostname, "clihost", "set on the command line: the command line's");
	ok(cli.snapshot == SNAPSHOT_EPHEMERAL && cli.read_only < 0,
	   "-x on the command line: the file's ReadOnly= does not apply");
	is_int((long long)strv_length(cli.environment), 2, "environment merged by name");
	is_str(cli.environment[0], "A=cli", "... the command line's value wins");
	is_int((long long)cli.n_binds, 2, "binds merged by destination");
	is_str(cli.binds[0].src, "/other", "... the file's other bind first");
	is_str(cli.binds[1].src, "/cli", "... the command line's bind at /shared");
	is_str(cli.argv ? cli.argv[0] : NULL, "/sbin/init", "Parameters= without a command");
	is_int((long long)cli.limits.memory_max, 1LL << 30, "--memory beats MemoryMax=");
	is_int((long long)cli.limits.pids_max, 100, "TasksMax= from the file");
	settings_done(&cli);
	settings_done(&file);
}

static void test_templates(void)
{
	static const char *const files[] = { "two-bridges.conf", "limits.conf" };

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *path = strjoin(TOP_SRCDIR "/templates/machines/", files[i], NULL);
		struct run_settings s;
		char *msg = NULL;

		settings_init(&s);
		ok(settings_file_load(&s, path, &msg) == 0, "templates/machines/%s parses", files[i]);
		if (msg)
			printf("#   %s\n", msg);
		free(msg);
		settings_done(&s);
	}
}

static void test_state(void)
{
	struct machine_entry e = { 0 };

	is_int(state_parse("NAME=web\nSTATE=ready\nPID=10\nPID_START=123\nLEADER=11\n"
			   "LEADER_START=124\nIMAGE=/i.raw\nBOOT=yes\nCGROUP=/sys/fs/cgroup/a\n"
			   "CGROUP=/sys/fs/cgroup/b\nINTERFACE=host0 vr-1-0 br0\nFUTURE=x\nLEADER=junk\n",
			   &e),
	       0, "state text");
	is_str(e.name, "web", "NAME");
	is_str(e.state, "ready", "STATE");
	ok(e.pid == 10 && e.pid_start == 123 && e.leader == 11 && e.leader_start == 124,
	   "pids and start times (garbage ignored)");
	ok(e.boot, "BOOT");
	is_int((long long)strv_length(e.cgroups), 2, "CGROUP= repeated");
	is_str(e.interfaces ? e.interfaces[0] : NULL, "host0 vr-1-0 br0", "INTERFACE=");
	free(e.name);
	free(e.state);
	free(e.image);
	strv_free(e.cgroups);
	strv_free(e.interfaces);
}

/* dir/name in a static buffer (one use at a time). */
static const char *at(const char *dir, const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static bool exists(const char *dir, const char *name)
{
	return access(at(dir, name), F_OK) == 0;
}

/* The registry over a scratch STATE_DIR: claims, clashes, stale entries, sweeping. */
static void test_registry(void)
{
	char dir[] = "/tmp/test-registry.XXXXXX";
	struct machine_state a = MACHINE_STATE_NULL, b = MACHINE_STATE_NULL;
	struct machine_entry *e = NULL, **v = NULL;
	size_t n = 0;

	if (!mkdtemp(dir)) {
		ok(false, "mkdtemp");
		return;
	}
	is_int(state_claim(dir, "web", &a), 0, "claim 'web'");
	ok(exists(dir, "web/state"), "... STATE_DIR/web/state exists");
	is_int(state_write(&a, "NAME=web\nSTATE=ready\nLEADER=1\nIMAGE=/i.raw\n"), 0, "write it");
	is_int(state_claim(dir, "web", &b), -EEXIST, "a second claim of a live name: -EEXIST");
	is_int(state_claim(dir, "bad/name", &b), -EINVAL, "an invalid name is refused");
	is_int(state_read(dir, "web", &e), 0, "read it back");
	ok(e && e->alive && streq(e->state, "ready") && streq(e->image, "/i.raw"),
	   "... alive (locked), with its fields");
	machine_entry_free(e);
	e = NULL;

	/* A stale entry: a state file nobody locks (its runimg was killed). */
	ok(mkdir(at(dir, "old"), 0755) == 0 &&
		   write_file(at(dir, "old/state"), "NAME=old\nLEADER=99\n", 0644) == 0,
	   "make a stale entry 'old'");
	ok(mkdir(at(dir, "not an entry"), 0755) == 0, "and a directory that is no entry");
	is_int(state_list(dir, &v, &n), 0, "list");
	ok(n == 2 && streq(v[0]->name, "old") && !v[0]->alive && streq(v[0]->state, "stale") &&
		   streq(v[1]->name, "web") && v[1]->alive,
	   "... 'old' stale, 'web' alive, the rest ignored");
	state_list_free(v, n);
	is_int(state_claim(dir, "old", &b), 0, "claiming a stale name sweeps it first");
	is_int(state_read(dir, "old", &e), 0, "... the new entry");
	ok(e && e->alive && e->leader == 0, "... is alive and not the old one");
	machine_entry_free(e);
	e = NULL;
	state_release(&b);
	ok(!exists(dir, "old"), "release removes the entry's directory");

	/* A runimg killed while claiming leaves a .new-* directory: the sweep removes it. */
	ok(mkdir(at(dir, ".new-dead"), 0755) == 0 &&
		   write_file(at(dir, ".new-dead/state"), "", 0644) == 0,
	   "a half-made entry");
	state_sweep(dir);
	ok(!exists(dir, ".new-dead") && exists(dir, "web/state"),
	   "state_sweep removes it and keeps live entries");
	state_release(&a);
	ok(!exists(dir, "web"), "released: gone");
	(void)rmdir(at(dir, "not an entry"));
	ok(rmdir(dir) == 0, "nothing else left in STATE_DIR");
}

static void test_cgroup_paths(void)
{
	static const char *mountinfo =
		"24 1 0:22 / /sys rw - sysfs sysfs rw\n"
		"30 24 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
		"31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		"32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
		"33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
		"34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "0::/runimg/web/init.scope", "/sys/fs/cgroup/unified/runimg/web/init.scope/cgroup.procs" },
		{ "1:name=systemd:/runimg/web", "/sys/fs/cgroup/systemd/runimg/web/cgroup.procs" },
		{ "4:cpu,cpuacct:/", "/sys/fs/cgroup/cpu,cpuacct/cgroup.procs" },
		{ "5:memory:/runimg/web", "/sys/fs/cgroup/memory/runimg/web/cgroup.procs" },
	};
	char *p = NULL;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		p = NULL;
		ok(enter_cgroup_procs_path(mountinfo, cases[i].line, &p) == 0, "%s", cases[i].line);
		is_str(p, cases[i].want, "... its cgroup.procs");
		free(p);
	}
	is_int(enter_cgroup_procs_path(mountinfo, "6:pids:/x", &p), -ENOENT,
	       "a hierarchy that is not mounted");
	is_int(enter_cgroup_procs_path("40 1 0:5 /sub /mnt/cg rw - cgroup2 cgroup2 rw\n",
				       "0::/sub/web", &p),
	       0, "a mount of a subtree");
	is_str(p, "/mnt/cg/web/cgroup.procs", "... the path below it");
	free(p);
}

static void test_info(void)
{
	char buf[32];
	uint64_t q = 0, per = 0, u = 0;

	is_str(format_uptime(buf, sizeof(buf), 7000000), "7s", "uptime seconds");
	is_str(format_uptime(buf, sizeof(buf), 3725000000ULL), "1h 2min", "uptime hours");
	is_str(format_uptime(buf, sizeof(buf), 90061000000ULL), "1d 1h", "uptime days");
	is_int(info_parse_cpu_max("150000 100000\n", &q, &per), 0, "cpu.max with a quota");
	ok(q == 150000 && per == 100000, "... quota and period");
	is_int(info_parse_cpu_max("max 100000\n", &q, &per), 0, "cpu.max without");
	ok(q == INFO_UNLIMITED, "... unlimited");
	is_int(info_parse_cpu_stat("usage_usec 4242\nuser_usec 1\n", &u), 0, "cpu.stat");
	is_int((long long)u, 4242, "... usage_usec");
	ok(info_v1_limit(9223372036854771712ULL) == INFO_UNLIMITED, "v1 'no limit'");
	is_int((long long)info_v1_limit(1 << 20), 1 << 20, "v1 limit");
}

int main(void)
{
	test_keys();
	test_other_sections();
	test_errors();
	test_merge();
	test_templates();
	test_state();
	test_registry();
	test_cgroup_paths();
	test_info();
	return tap_done();
}
