/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup v1 backend: memory.limit_in_bytes, memory.memsw.*, cpu.cfs_*, cpu.shares, ... */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cg.h"
#include "cleanup.h"
#include "log.h"
#include "strutil.h"

/* A new cpuset cgroup has no CPUs and no memory nodes: take the parent's. */
static int v1_init_dir(const struct cg_machine *m, const struct cg_hierarchy *h, const char *dir,
		       const char *parent)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	if (!(h->mask & (1u << CG_CTRL_CPUSET)))
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *mine = NULL, *theirs = NULL;
		int r;

		if (cg_read(dir, files[i], &mine) == 0 && *mine)
			continue;
		if ((r = cg_read(parent, files[i], &theirs)) < 0 ||
		    (r = cg_write(dir, files[i], theirs)) < 0)
			return log_error_errno(r, "cannot set up '%s/%s'", dir, files[i]);
	}
	return 0;
}

static int v1_enable(const struct cg_machine *m, const struct cg_hierarchy *h, const char *dir,
		     unsigned mask)
{
	return 0; /* v1 controllers are on in every cgroup of their hierarchy */
}

/* v1 writes -1 for "no limit". */
static int put_u64(const struct cg_hierarchy *h, const char *file, uint64_t v, const char *what)
{
	char buf[32];

	if (v == CG_UNSET)
		return 0;
	if (v == CG_MAX)
		snprintf(buf, sizeof(buf), "-1");
	else
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_put(h, file, buf, what);
}

static int apply_memory(const struct cg_hierarchy *h, const struct cg_limits *l)
{
	uint64_t memsw = CG_UNSET;
	int r;

	if ((r = put_u64(h, "memory.limit_in_bytes", l->memory_max, "memory")) < 0)
		return r;
	/* No memory.high on v1: the soft limit is what reclaim aims at under pressure. */
	if ((r = put_u64(h, "memory.soft_limit_in_bytes", l->memory_high, "memory (high)")) < 0)
		return r;
	if (l->memory_swap_max == CG_MAX)
		memsw = CG_MAX;
	else if (l->memory_swap_max != CG_UNSET && l->memory_max != CG_UNSET &&
		 l->memory_max != CG_MAX)
		memsw = l->memory_max + l->memory_swap_max;
	return put_u64(h, "memory.memsw.limit_in_bytes", memsw, "swap");
}

static int apply_cpu(const struct cg_hierarchy *h, const struct cg_limits *l)
{
	int r;

	if (l->cpu_quota_usec != CG_UNSET &&
	    ((r = put_u64(h, "cpu.cfs_period_us", l->cpu_period_usec, "CPU time")) < 0 ||
	     (r = put_u64(h, "cpu.cfs_quota_us", l->cpu_quota_usec, "CPU time")) < 0))
		return r;
	if (l->cpu_weight == CG_UNSET)
		return 0;
	return put_u64(h, "cpu.shares", cg_weight_to_shares(l->cpu_weight), "CPU weight");
}

static int apply_io(const struct cg_hierarchy *h, const struct cg_limits *l)
{
	if (l->io_weight == CG_UNSET)
		return 0;
	if (cg_has(h->path, "blkio.weight"))
		return put_u64(h, "blkio.weight", cg_weight_to_blkio(l->io_weight), "IO weight");
	return put_u64(h, "blkio.bfq.weight", cg_weight_to_bfq(l->io_weight), "IO weight");
}

static int v1_apply(const struct cg_machine *m, const struct cg_hierarchy *h,
		    const struct cg_limits *l)
{
	char list[1024];
	int r;

	if ((h->mask & (1u << CG_CTRL_MEMORY)) && (r = apply_memory(h, l)) < 0)
		return r;
	if ((h->mask & (1u << CG_CTRL_CPU)) && (r = apply_cpu(h, l)) < 0)
		return r;
	if ((h->mask & (1u << CG_CTRL_CPUSET)) && l->has_cpuset &&
	    (r = cg_put(h, "cpuset.cpus", cg_format_cpu_list(&l->cpuset, list, sizeof(list)),
		     "CPUs")) < 0)
		return r;
	if ((h->mask & (1u << CG_CTRL_PIDS)) && l->pids_max != CG_UNSET) {
		char buf[32];

		if (l->pids_max == CG_MAX)
			snprintf(buf, sizeof(buf), "max"); /* pids.max speaks v2 even on v1 */
		else
			snprintf(buf, sizeof(buf), "%" PRIu64, l->pids_max);
		if ((r = cg_put(h, "pids.max", buf, "tasks")) < 0)
			return r;
	}
	if ((h->mask & (1u << CG_CTRL_IO)) && (r = apply_io(h, l)) < 0)
		return r;
	return 0;
}

const struct cg_ops cg_v1_ops = {
	.name = "v1",
	.init_dir = v1_init_dir,
	.enable = v1_enable,
	.apply = v1_apply,
};
