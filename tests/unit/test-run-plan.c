/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runimg's pure parts: the mount plan, exit statuses, sd_notify parsing, the console escape,
 * /proc/self/cgroup parsing, the capability set, the payload environment. */
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "boot.h"
#include "caps.h"
#include "cgroup.h"
#include "console.h"
#include "mount-plan.h"
#include "strutil.h"
#include "tap.h"

static struct cg_set hybrid(void)
{
	struct cg_set s = { .layout = CG_LAYOUT_HYBRID, .n = 2 };

	s.h[0] = (struct cg_hier){ "/sys/fs/cgroup/systemd", false,
				   "/sys/fs/cgroup/systemd/runimg-x" };
	s.h[1] = (struct cg_hier){ "/sys/fs/cgroup/unified", true,
				   "/sys/fs/cgroup/unified/runimg-x" };
	return s;
}

static size_t index_of(const struct mount_plan *p, const struct mount_op *op)
{
	return op ? (size_t)(op - p->ops) : (size_t)-1;
}

static void test_plan_defaults(void)
{
	struct run_settings s;
	struct cg_set cg = hybrid();
	struct plan_input in = { .settings = &s, .console = "/dev/pts/7",
				 .inaccessible = "/run/runimg/.staging/inaccessible", .cgroups = &cg };
	struct mount_plan p;
	const struct mount_op *op;

	settings_init(&s);
	settings_add_bind(&s, "/srv:/mnt/srv", true);
	is_int(mount_plan_build(&in, &p), 0, "plan built");
	op = mount_plan_find(&p, "/proc", MOP_MOUNT);
	ok(op && op->phase == PHASE_API && streq(op->fstype, "proc"),
	   "fresh /proc in the API phase");
	op = mount_plan_find(&p, "/proc/sys", MOP_BIND);
	ok(op && (op->opts & MOP_READ_ONLY) && (op->opts & MOP_IN_ROOT), "/proc/sys read-only");
	ok(!mount_plan_find(&p, "/proc/sys/net", -1),
	   "/proc/sys/net stays read-only (host network)");
	op = mount_plan_find(&p, "/proc/kcore", MOP_MASK);
	ok(op && streq(op->src, in.inaccessible) && (op->opts & MOP_OPTIONAL),
	   "/proc/kcore masked");
	ok(mount_plan_find(&p, "/proc/keys", MOP_MASK), "/proc/keys masked");
	ok(mount_plan_find(&p, "/proc/timer_list", MOP_MASK), "/proc/timer_list masked");
	ok(mount_plan_find(&p, "/proc/acpi", MOP_MASK), "/proc/acpi masked");
	ok(mount_plan_find(&p, "/proc/sysrq-trigger", MOP_BIND), "/proc/sysrq-trigger read-only");
	op = mount_plan_find(&p, "/sys", MOP_MOUNT);
	ok(op && (op->flags & MS_RDONLY), "/sys read-only");
	ok(mount_plan_find(&p, "/sys/firmware", MOP_MASK), "/sys/firmware masked");
	op = mount_plan_find(&p, "/dev/console", MOP_BIND);
	ok(op && streq(op->src, "/dev/pts/7"), "console pty bound to /dev/console");
	op = mount_plan_find(&p, "/dev/pts", MOP_MOUNT);
	ok(op && strstr(op->data, "newinstance"), "devpts has its own instance");
	ok(mount_plan_find(&p, "/dev/null", MOP_MKNOD) &&
		   mount_plan_find(&p, "/dev/urandom", MOP_MKNOD),
	   "device nodes");
	ok(mount_plan_find(&p, "/dev/shm", MOP_MOUNT), "/dev/shm");
	ok(mount_plan_find(&p, "/run", MOP_MOUNT) && mount_plan_find(&p, "/tmp", MOP_MOUNT),
	   "/run and /tmp are tmpfs");
	op = mount_plan_find(&p, "/run/systemd/container", MOP_WRITE);
	ok(op && streq(op->src, "runimg\n"), "/run/systemd/container says runimg");
	ok(!mount_plan_find(&p, "/run/host/notify", -1), "no notify socket without -b");
	op = mount_plan_find(&p, "/mnt/srv", MOP_BIND);
	ok(op && streq(op->src, "/srv") && (op->opts & MOP_READ_ONLY), "--bind-ro");
	ok(index_of(&p, op) > index_of(&p, mount_plan_find(&p, "/tmp", MOP_MOUNT)),
	   "binds come after /run and /tmp");
	ok(index_of(&p, mount_plan_find(&p, "/proc/kcore", -1)) >
		   index_of(&p, mount_plan_find(&p, "/proc", MOP_MOUNT)),
	   "masks come after /proc");
	op = mount_plan_find(&p, "/sys/fs/cgroup", MOP_MOUNT);
	ok(op && streq(op->fstype, "tmpfs"), "hybrid: tmpfs on /sys/fs/cgroup");
	op = mount_plan_find(&p, "/sys/fs/cgroup/systemd", MOP_BIND);
	ok(op && streq(op->src, cg.h[0].path), "hybrid: name=systemd hierarchy bound");
	ok(mount_plan_find(&p, "/sys/fs/cgroup/unified", MOP_BIND), "hybrid: unified bound");
	ok(mount_plan_find(&p, "/sys/fs/cgroup", MOP_REMOUNT_RO),
	   "hybrid: the tmpfs made read-only");
	mount_plan_done(&p);
	settings_done(&s);
}

static void test_plan_variants(void)
{
	struct run_settings s;
	struct cg_set cg = { .layout = CG_LAYOUT_UNIFIED, .n = 1 };
	struct plan_input in = { .settings = &s, .notify_socket = "/run/runimg/x/notify",
				 .inaccessible = "/m", .cgroups = &cg };
	struct mount_plan p;
	const struct mount_op *op;

	cg.h[0] = (struct cg_hier){ "/sys/fs/cgroup", true, "/sys/fs/cgroup/a/runimg-x" };
	settings_init(&s);
	s.private_network = 1;
	s.boot = 1;
	is_int(mount_plan_build(&in, &p), 0, "plan built");
	op = mount_plan_find(&p, "/proc/sys/net", MOP_BIND);
	ok(op && !(op->opts & MOP_READ_ONLY), "private network: /proc/sys/net writable");
	op = mount_plan_find(&p, "/run/host/notify", MOP_BIND);
	ok(op && streq(op->src, in.notify_socket), "-b: notify socket in /run/host/notify");
	op = mount_plan_find(&p, "/sys/fs/cgroup", MOP_BIND);
	ok(op && streq(op->src, cg.h[0].path), "unified: the machine's cgroup is /sys/fs/cgroup");
	ok(!mount_plan_find(&p, "/sys/fs/cgroup", MOP_MOUNT), "unified: no tmpfs");
	ok(!mount_plan_find(&p, "/dev/console", -1), "no console pty given, none bound");
	mount_plan_done(&p);
	settings_done(&s);
}

static void test_exit_status(void)
{
	is_int(command_exit_status(7 << 8), 7, "exit 7");
	is_int(command_exit_status(SIGKILL), 137, "SIGKILL -> 137");
	is_int(command_exit_status(SIGTERM), 143, "SIGTERM -> 143");
	is_int(boot_exit_status(SIGINT), 0, "-b: poweroff (SIGINT) -> 0");
	is_int(boot_exit_status(SIGHUP), 133, "-b: reboot (SIGHUP) -> 133");
	is_int(boot_exit_status(3 << 8), 3, "-b: init exit 3 -> 3");
	is_int(boot_exit_status(SIGKILL), 137, "-b: killed -> 137");
}

static void test_notify(void)
{
	ok(notify_says_ready("READY=1"), "READY=1");
	ok(notify_says_ready("STATUS=x\nREADY=1\n"), "READY=1 on a later line");
	ok(!notify_says_ready("READY=0"), "READY=0");
	ok(!notify_says_ready("XREADY=1"), "not a line of its own");
	ok(!notify_says_ready("STATUS=READY=1"), "inside a value");
	ok(!notify_says_ready(""), "empty");
}

static void test_escape(void)
{
	struct console c = CONSOLE_NULL;

	ok(!console_escape_check(&c, "\x1d\x1d", 2, 1000000), "two ^] are not enough");
	ok(console_escape_check(&c, "\x1d", 1, 1500000), "the third within a second");
	c = CONSOLE_NULL;
	ok(!console_escape_check(&c, "\x1d\x1d", 2, 1000000), "two ^]");
	ok(!console_escape_check(&c, "\x1d", 1, 2500000), "the third too late");
	c = CONSOLE_NULL;
	ok(!console_escape_check(&c, "\x1d\x1dx\x1d", 4, 1000000), "another key resets the count");
}

static void test_cgroup_self(void)
{
	const char *v1 = "12:pids:/a\n9:name=systemd:/user.slice/x\n0::/init.scope\n";
	char *p = NULL;

	is_int(cg_parse_self(v1, "name=systemd", &p), 0, "name=systemd line");
	is_str(p, "/user.slice/x", "its path");
	free(p);
	is_int(cg_parse_self(v1, NULL, &p), 0, "unified line");
	is_str(p, "/init.scope", "its path");
	free(p);
	is_int(cg_parse_self("3:cpu:/\n", NULL, &p), -ENOENT, "no unified line");
	is_int(cg_parse_self("0::/\n", "name=systemd", &p), -ENOENT, "no name=systemd line");
}

static void test_caps(void)
{
	ok(caps_kept(CAP_SYS_ADMIN, false), "CAP_SYS_ADMIN kept (systemd needs it)");
	ok(caps_kept(CAP_SYS_BOOT, false), "CAP_SYS_BOOT kept (reboot/poweroff)");
	ok(!caps_kept(CAP_SYS_MODULE, false), "CAP_SYS_MODULE dropped");
	ok(!caps_kept(CAP_SYS_TIME, false), "CAP_SYS_TIME dropped");
	ok(!caps_kept(CAP_SYS_RAWIO, false), "CAP_SYS_RAWIO dropped");
	ok(!caps_kept(CAP_NET_ADMIN, false), "CAP_NET_ADMIN dropped on the host network");
	ok(caps_kept(CAP_NET_ADMIN, true), "CAP_NET_ADMIN kept with a private network");
}

static void test_env(void)
{
	struct run_settings s;
	char **env = NULL;

	settings_init(&s);
	s.boot = 1;
	settings_add_env(&s, "PATH=/opt/bin");
	settings_add_env(&s, "FOO=1");
	is_int(payload_env(&s, "0b1e0f1c-0000-4000-8000-000000000000", NULL, &env), 0, "env built");
	ok(strv_contains(env, "container=runimg"), "container=runimg");
	ok(strv_contains(env, "container_uuid=0b1e0f1c-0000-4000-8000-000000000000"), "uuid");
	ok(strv_contains(env, "NOTIFY_SOCKET=" GUEST_NOTIFY_SOCKET), "-b: NOTIFY_SOCKET");
	ok(strv_contains(env, "PATH=/opt/bin") && !strv_contains(env, "PATH=/usr/local/sbin:"
		"/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), "--setenv replaces a default");
	ok(strv_contains(env, "FOO=1"), "--setenv adds");
	ok(strv_contains(env, "TERM=vt220"), "TERM defaults to vt220");
	strv_free(env);
	settings_done(&s);
}

int main(void)
{
	test_plan_defaults();
	test_plan_variants();
	test_exit_status();
	test_notify();
	test_escape();
	test_cgroup_self();
	test_caps();
	test_env();
	return tap_done();
}
