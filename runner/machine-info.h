/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What list and status show of a running machine besides its registry entry: uptime (from its
 * PID 1's start time), addresses (read inside its network namespace by a child that joined
 * it), memory and CPU use and limits (from its cgroups, v2 or v1 files).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "state.h"

#define INFO_UNKNOWN UINT64_MAX
#define INFO_UNLIMITED (UINT64_MAX - 1)

struct machine_info {
	int leader_pidfd;	/* verified, or -1 (starting, stale, gone) */
	uint64_t uptime_usec;	/* INFO_UNKNOWN */
	bool private_network;	/* a network namespace of its own */
	char **addresses;	/* "host0 192.0.2.10/24" */
	uint64_t mem_current;	/* bytes, INFO_UNKNOWN */
	uint64_t mem_max;	/* bytes, INFO_UNLIMITED, INFO_UNKNOWN */
	uint64_t cpu_usec;	/* CPU time used, INFO_UNKNOWN */
	uint64_t cpu_quota_usec; /* per cpu_period_usec, INFO_UNLIMITED, INFO_UNKNOWN */
	uint64_t cpu_period_usec;
};

/* Collect what can be had; missing pieces stay unknown (never an error but -ENOMEM). */
int machine_info_collect(const struct machine_entry *e, struct machine_info *ret);
void machine_info_done(struct machine_info *i);

/* Pure helpers, for the tests. */
/* "1d 2h", "3h 4min", "5min 6s", "7s" */
char *format_uptime(char *buf, size_t len, uint64_t usec);
/* v1 memory limits are "unlimited" above 2^62 (the kernel's PAGE_COUNTER_MAX, page-rounded). */
uint64_t info_v1_limit(uint64_t v);
/* "max 100000" / "150000 100000" (cpu.max) */
int info_parse_cpu_max(const char *text, uint64_t *ret_quota, uint64_t *ret_period);
/* usage_usec from a cpu.stat text */
int info_parse_cpu_stat(const char *text, uint64_t *ret_usec);
