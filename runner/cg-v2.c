/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup v2 backend: cgroup.subtree_control, memory.max, cpu.max, cpu.weight, ... */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cg.h"
#include "cleanup.h"
#include "log.h"
#include "strutil.h"

static const char *const v2_ctrl[] = {
	[CG_CTRL_CPU] = "cpu",	     [CG_CTRL_CPUSET] = "cpuset", [CG_CTRL_MEMORY] = "memory",
	[CG_CTRL_PIDS] = "pids",     [CG_CTRL_IO] = "io",
};

/* "cpu memory" or "+cpu +memory" (fixture files keep what we wrote) -> mask */
static unsigned words_mask(const char *text)
{
	unsigned mask = 0;

	for (const char *p = text; p && *p;) {
		size_t n;

		p += strspn(p, " \n+");
		n = strcspn(p, " \n");
		for (unsigned c = 0; c < ELEMENTSOF(v2_ctrl); c++)
			if (v2_ctrl[c] && strlen(v2_ctrl[c]) == n && strncmp(p, v2_ctrl[c], n) == 0)
				mask |= 1u << c;
		p += n;
	}
	return mask;
}

static int v2_enable(const struct cg_machine *m, const struct cg_hierarchy *h, const char *dir,
		     unsigned mask)
{
	_cleanup_free_ char *avail = NULL, *on = NULL;
	char buf[128] = "";
	unsigned add;
	int r;

	if (!mask)
		return 0;
	if ((r = cg_read(dir, "cgroup.controllers", &avail)) < 0)
		return log_error_errno(r, "cannot read the controllers of cgroup '%s'", dir);
	if (cg_read(dir, "cgroup.subtree_control", &on) < 0)
		on = NULL;
	add = mask & words_mask(avail) & ~words_mask(on);
	if (!add)
		return 0;
	for (unsigned c = 0; c < ELEMENTSOF(v2_ctrl); c++)
		if (add & (1u << c))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s+%s",
				 *buf ? " " : "", v2_ctrl[c]);
	/* Fixture files are plain: keep what was on, as the kernel would. */
	if ((m->flags & CG_FAKE_FS) && on && *on) {
		char all[256];

		snprintf(all, sizeof(all), "%s %s", on, buf);
		r = cg_write(dir, "cgroup.subtree_control", all);
	} else {
		r = cg_write(dir, "cgroup.subtree_control", buf);
	}
	if (r == -EBUSY)
		return log_error_errno(r, "cannot enable controllers (%s) in cgroup '%s': it has "
				       "processes of its own", buf, dir);
	if (r < 0)
		return log_error_errno(r, "cannot enable controllers (%s) in cgroup '%s'", buf, dir);
	return 0;
}

static void fmt_limit(char *buf, size_t len, uint64_t v)
{
	if (v == CG_MAX)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRIu64, v);
}

static int put_u64(const struct cg_hierarchy *h, const char *file, uint64_t v, const char *what)
{
	char buf[32];

	if (v == CG_UNSET)
		return 0;
	fmt_limit(buf, sizeof(buf), v);
	return cg_put(h, file, buf, what);
}

static int apply_cpu(const struct cg_hierarchy *h, const struct cg_limits *l)
{
	char buf[64];
	int r;

	if (l->cpu_quota_usec != CG_UNSET) {
		fmt_limit(buf, sizeof(buf), l->cpu_quota_usec);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %" PRIu64,
			 l->cpu_period_usec);
		if ((r = cg_put(h, "cpu.max", buf, "CPU time")) < 0)
			return r;
	}
	return put_u64(h, "cpu.weight", l->cpu_weight, "CPU weight");
}

static int apply_io(const struct cg_hierarchy *h, const struct cg_limits *l)
{
	char buf[32];

	if (l->io_weight == CG_UNSET)
		return 0;
	if (cg_has(h->path, "io.weight")) {
		snprintf(buf, sizeof(buf), "default %" PRIu64, l->io_weight);
		return cg_put(h, "io.weight", buf, "IO weight");
	}
	return put_u64(h, "io.bfq.weight", cg_weight_to_bfq(l->io_weight), "IO weight");
}

static int v2_apply(const struct cg_machine *m, const struct cg_hierarchy *h,
		    const struct cg_limits *l)
{
	char list[1024];
	int r;

	if (h->mask & (1u << CG_CTRL_MEMORY)) {
		if ((r = put_u64(h, "memory.max", l->memory_max, "memory")) < 0 ||
		    (r = put_u64(h, "memory.high", l->memory_high, "memory (high)")) < 0 ||
		    (r = put_u64(h, "memory.swap.max", l->memory_swap_max, "swap")) < 0)
			return r;
	}
	if ((h->mask & (1u << CG_CTRL_CPU)) && (r = apply_cpu(h, l)) < 0)
		return r;
	if ((h->mask & (1u << CG_CTRL_CPUSET)) && l->has_cpuset &&
	    (r = cg_put(h, "cpuset.cpus", cg_format_cpu_list(&l->cpuset, list, sizeof(list)),
		     "CPUs")) < 0)
		return r;
	if ((h->mask & (1u << CG_CTRL_PIDS)) && (r = put_u64(h, "pids.max", l->pids_max, "tasks")) < 0)
		return r;
	if ((h->mask & (1u << CG_CTRL_IO)) && (r = apply_io(h, l)) < 0)
		return r;
	return 0;
}

const struct cg_ops cg_v2_ops = {
	.name = "v2",
	.enable = v2_enable,
	.apply = v2_apply,
};
