/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's /dev: a small tmpfs with the usual character devices, its own devpts instance
 * (so the guest's ptys are its own), /dev/shm, and a pty from the host as /dev/console.
 */
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "mount-plan.h"

static const struct {
	const char *path;
	unsigned major, minor;
} dev_nodes[] = {
	{ "/dev/null", 1, 3 },	  { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct {
	const char *path, *target;
} dev_links[] = {
	{ "/dev/fd", "/proc/self/fd" },	       { "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
	{ "/dev/ptmx", "pts/ptmx" },
};

int plan_add_dev(struct mount_plan *p, const struct plan_input *in)
{
	const struct mount_op head[] = {
		{ MOP_MOUNT, PHASE_ROOT, "tmpfs", "/dev", "tmpfs", "mode=0755,size=4m",
		  MS_NOSUID | MS_STRICTATIME },
		{ MOP_MOUNT, PHASE_ROOT, "devpts", "/dev/pts", "devpts",
		  "newinstance,ptmxmode=0666,mode=0620,gid=5", MS_NOSUID | MS_NOEXEC },
		{ MOP_MOUNT, PHASE_ROOT, "tmpfs", "/dev/shm", "tmpfs", "mode=1777",
		  MS_NOSUID | MS_NODEV | MS_STRICTATIME },
	};
	int r;

	if ((r = plan_add(p, &head[0])) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
		struct mount_op n = { .kind = MOP_MKNOD, .phase = PHASE_ROOT,
				      .dst = (char *)dev_nodes[i].path, .mode = 0666,
				      .rdev = makedev(dev_nodes[i].major, dev_nodes[i].minor) };
		if ((r = plan_add(p, &n)) < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(dev_links); i++) {
		struct mount_op l = { .kind = MOP_SYMLINK, .phase = PHASE_ROOT,
				      .src = (char *)dev_links[i].target,
				      .dst = (char *)dev_links[i].path };
		if ((r = plan_add(p, &l)) < 0)
			return r;
	}
	for (size_t i = 1; i < ELEMENTSOF(head); i++)
		if ((r = plan_add(p, &head[i])) < 0)
			return r;
	if (in->console) {
		const struct mount_op c = { MOP_BIND, PHASE_ROOT, (char *)in->console,
					    "/dev/console" };
		if ((r = plan_add(p, &c)) < 0)
			return r;
	}
	return 0;
}
