/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resource limits from options, systemd properties and [Resources] keys: pure parsers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "strutil.h"

void cg_limits_init(struct cg_limits *l)
{
	*l = (struct cg_limits){
		.memory_max = CG_UNSET,
		.memory_high = CG_UNSET,
		.memory_swap_max = CG_UNSET,
		.cpu_quota_usec = CG_UNSET,
		.cpu_period_usec = CG_CPU_PERIOD_USEC,
		.cpu_weight = CG_UNSET,
		.pids_max = CG_UNSET,
		.io_weight = CG_UNSET,
	};
}

bool cg_limits_any(const struct cg_limits *l)
{
	return l->memory_max != CG_UNSET || l->memory_high != CG_UNSET ||
	       l->memory_swap_max != CG_UNSET || l->memory_max_pm || l->memory_high_pm ||
	       l->memory_swap_max_pm || l->cpu_quota_usec != CG_UNSET ||
	       l->cpu_weight != CG_UNSET || l->pids_max != CG_UNSET || l->pids_max_pm ||
	       l->io_weight != CG_UNSET || l->has_cpuset;
}

static void fill_u64(uint64_t *dst, uint32_t *dst_pm, uint64_t src, uint32_t src_pm)
{
	if (*dst != CG_UNSET || (dst_pm && *dst_pm))
		return;
	*dst = src;
	if (dst_pm)
		*dst_pm = src_pm;
}

void cg_limits_fill(struct cg_limits *dst, const struct cg_limits *src)
{
	fill_u64(&dst->memory_max, &dst->memory_max_pm, src->memory_max, src->memory_max_pm);
	fill_u64(&dst->memory_high, &dst->memory_high_pm, src->memory_high, src->memory_high_pm);
	fill_u64(&dst->memory_swap_max, &dst->memory_swap_max_pm, src->memory_swap_max,
		 src->memory_swap_max_pm);
	if (dst->cpu_quota_usec == CG_UNSET) {
		dst->cpu_quota_usec = src->cpu_quota_usec;
		dst->cpu_period_usec = src->cpu_period_usec;
	}
	fill_u64(&dst->cpu_weight, NULL, src->cpu_weight, 0);
	fill_u64(&dst->pids_max, &dst->pids_max_pm, src->pids_max, src->pids_max_pm);
	fill_u64(&dst->io_weight, NULL, src->io_weight, 0);
	if (!dst->has_cpuset && src->has_cpuset) {
		dst->has_cpuset = true;
		dst->cpuset = src->cpuset;
	}
}

static bool is_infinity(const char *v)
{
	return streq(v, "infinity") || streq(v, "max");
}

/*
 * A decimal "12", "1.5", "0.25" scaled by 10^digits: "1.5" with digits 2 is 150.  At most
 * `digits` decimals; no sign, no exponent.
 */
static int parse_fixed(const char *s, unsigned digits, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned frac = 0;
	bool dot = false, any = false;

	for (const char *p = s; *p; p++) {
		if (*p == '.' && !dot) {
			dot = true;
			continue;
		}
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (dot && ++frac > digits)
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
		any = true;
	}
	if (!any)
		return -EINVAL;
	for (; frac < digits; frac++) {
		if (v > UINT64_MAX / 10)
			return -ERANGE;
		v *= 10;
	}
	*ret = v;
	return 0;
}

/* "50%", "12.5%" -> permyriad (5000, 1250); 0..100%. */
static int parse_percent(const char *s, uint32_t *ret)
{
	size_t n = strlen(s);
	char buf[32];
	uint64_t v;
	int r;

	if (n < 2 || n >= sizeof(buf) || s[n - 1] != '%')
		return -EINVAL;
	memcpy(buf, s, n - 1);
	buf[n - 1] = 0;
	if ((r = parse_fixed(buf, 2, &v)) < 0)
		return r;
	if (v == 0 || v > 10000)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

/* SIZE, N%, infinity/max.  zero_ok: 0 bytes is a meaningful limit (swap). */
static int parse_memory(const char *v, bool zero_ok, uint64_t *ret, uint32_t *ret_pm)
{
	uint64_t bytes;
	uint32_t pm;
	int r;

	if (is_infinity(v)) {
		*ret = CG_MAX;
		*ret_pm = 0;
		return 0;
	}
	if (strchr(v, '%')) {
		if ((r = parse_percent(v, &pm)) < 0)
			return r;
		*ret = CG_UNSET;
		*ret_pm = pm;
		return 0;
	}
	if ((r = parse_size(v, &bytes)) < 0)
		return r;
	if ((!zero_ok && bytes == 0) || bytes >= CG_UNSET)
		return -ERANGE;
	*ret = bytes;
	*ret_pm = 0;
	return 0;
}

static int parse_weight(const char *v, uint64_t *ret)
{
	uint64_t w;
	int r = parse_uint64(v, &w);

	if (r < 0)
		return r;
	if (w < CG_WEIGHT_MIN || w > CG_WEIGHT_MAX)
		return -ERANGE;
	*ret = w;
	return 0;
}

/* --cpus 1.5 (CPUs, up to 2 decimals... as microseconds per period) */
static int parse_cpus(struct cg_limits *l, const char *v)
{
	uint64_t micro;
	int r;

	if (is_infinity(v)) {
		l->cpu_quota_usec = CG_MAX;
		return 0;
	}
	if ((r = parse_fixed(v, 6, &micro)) < 0)
		return r;
	/* The kernel's minimum quota is 1 ms, i.e. 0.01 CPU at the default period. */
	if (micro < 10000 || micro > UINT64_C(1000000) * 100000)
		return -ERANGE;
	l->cpu_period_usec = CG_CPU_PERIOD_USEC;
	l->cpu_quota_usec = micro * CG_CPU_PERIOD_USEC / 1000000;
	return 0;
}

/* CPUQuota=150% (of one CPU; systemd's "infinity" or empty: no quota) */
static int parse_cpu_quota(struct cg_limits *l, const char *v)
{
	size_t n = strlen(v);
	char buf[32];
	uint64_t pm;
	int r;

	if (n == 0 || is_infinity(v)) {
		l->cpu_quota_usec = CG_MAX;
		return 0;
	}
	if (n < 2 || n >= sizeof(buf) || v[n - 1] != '%')
		return -EINVAL;
	memcpy(buf, v, n - 1);
	buf[n - 1] = 0;
	if ((r = parse_fixed(buf, 2, &pm)) < 0)
		return r;
	if (pm < 100 || pm > UINT64_C(10000) * 100000)
		return -ERANGE;
	l->cpu_period_usec = CG_CPU_PERIOD_USEC;
	l->cpu_quota_usec = pm * CG_CPU_PERIOD_USEC / 10000;
	return 0;
}

static int parse_tasks(struct cg_limits *l, const char *v)
{
	uint64_t n;
	int r;

	if (is_infinity(v)) {
		l->pids_max = CG_MAX;
		l->pids_max_pm = 0;
		return 0;
	}
	if (strchr(v, '%')) {
		if ((r = parse_percent(v, &l->pids_max_pm)) < 0)
			return r;
		l->pids_max = CG_UNSET;
		return 0;
	}
	if ((r = parse_uint64(v, &n)) < 0)
		return r;
	if (n == 0 || n >= CG_UNSET)
		return -ERANGE;
	l->pids_max = n;
	l->pids_max_pm = 0;
	return 0;
}

static int parse_cpuset(struct cg_limits *l, const char *v)
{
	cpu_set_t set;
	int r = cg_parse_cpu_list(v, &set);

	if (r < 0)
		return r;
	if (CPU_COUNT(&set) == 0)
		return -ERANGE;
	l->has_cpuset = true;
	l->cpuset = set;
	return 0;
}

enum cg_what { W_MEM, W_HIGH, W_SWAP, W_CPUS, W_QUOTA, W_CPUW, W_CPUSET, W_PIDS, W_IOW };

static int set_what(struct cg_limits *l, enum cg_what w, const char *v)
{
	switch (w) {
	case W_MEM:
		return parse_memory(v, false, &l->memory_max, &l->memory_max_pm);
	case W_HIGH:
		return parse_memory(v, false, &l->memory_high, &l->memory_high_pm);
	case W_SWAP:
		return parse_memory(v, true, &l->memory_swap_max, &l->memory_swap_max_pm);
	case W_CPUS:
		return parse_cpus(l, v);
	case W_QUOTA:
		return parse_cpu_quota(l, v);
	case W_CPUW:
		return parse_weight(v, &l->cpu_weight);
	case W_CPUSET:
		return parse_cpuset(l, v);
	case W_PIDS:
		return parse_tasks(l, v);
	case W_IOW:
		return parse_weight(v, &l->io_weight);
	}
	return -EINVAL;
}

static const struct {
	const char *name;
	enum cg_what what;
} options[] = {
	{ "memory", W_MEM },   { "memory-high", W_HIGH }, { "memory-swap", W_SWAP },
	{ "cpus", W_CPUS },    { "cpu-weight", W_CPUW },  { "cpuset", W_CPUSET },
	{ "pids", W_PIDS },    { "io-weight", W_IOW },
}, properties[] = {
	{ "MemoryMax", W_MEM },	    { "MemoryLimit", W_MEM }, { "MemoryHigh", W_HIGH },
	{ "MemorySwapMax", W_SWAP }, { "CPUQuota", W_QUOTA }, { "CPUWeight", W_CPUW },
	{ "AllowedCPUs", W_CPUSET }, { "TasksMax", W_PIDS },  { "IOWeight", W_IOW },
};

int cg_limits_set_option(struct cg_limits *l, const char *option, const char *value)
{
	for (size_t i = 0; i < ELEMENTSOF(options); i++)
		if (streq(options[i].name, option))
			return set_what(l, options[i].what, value);
	return -ENOENT;
}

int cg_limits_set_property(struct cg_limits *l, const char *key, const char *value)
{
	for (size_t i = 0; i < ELEMENTSOF(properties); i++)
		if (streq(properties[i].name, key))
			return set_what(l, properties[i].what, value);
	return -ENOENT;
}

int cg_limits_set_assignment(struct cg_limits *l, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	char key[64];

	if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof(key))
		return -EINVAL;
	memcpy(key, assignment, (size_t)(eq - assignment));
	key[eq - assignment] = 0;
	return cg_limits_set_property(l, key, eq + 1);
}

static void resolve_pm(uint64_t *v, uint32_t *pm, uint64_t total, uint64_t align)
{
	if (!*pm)
		return;
	*v = (uint64_t)((unsigned __int128)total * *pm / 10000);
	*v -= *v % align;
	if (*v == 0)
		*v = align;
	*pm = 0;
}

void cg_limits_resolve(struct cg_limits *l, uint64_t host_mem, uint64_t host_tasks)
{
	resolve_pm(&l->memory_max, &l->memory_max_pm, host_mem, 4096);
	resolve_pm(&l->memory_high, &l->memory_high_pm, host_mem, 4096);
	resolve_pm(&l->memory_swap_max, &l->memory_swap_max_pm, host_mem, 4096);
	resolve_pm(&l->pids_max, &l->pids_max_pm, host_tasks, 1);
}

unsigned cg_limits_quota_cpus(const struct cg_limits *l)
{
	uint64_t n;

	if (l->cpu_quota_usec == CG_UNSET || l->cpu_quota_usec == CG_MAX || !l->cpu_period_usec)
		return 0;
	n = (l->cpu_quota_usec + l->cpu_period_usec - 1) / l->cpu_period_usec;
	return n > CPU_SETSIZE ? CPU_SETSIZE : (unsigned)n;
}

static int parse_cpu_number(const char **p, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno || v >= CPU_SETSIZE)
		return -ERANGE;
	*p = end;
	*ret = (unsigned)v;
	return 0;
}

int cg_parse_cpu_list(const char *s, cpu_set_t *ret)
{
	cpu_set_t set;
	const char *p = s;
	int r;

	CPU_ZERO(&set);
	while (*p) {
		unsigned a, b;

		p += strspn(p, " \t\n");
		if (!*p)
			break;
		if ((r = parse_cpu_number(&p, &a)) < 0)
			return r;
		b = a;
		if (*p == '-') {
			p++;
			if ((r = parse_cpu_number(&p, &b)) < 0)
				return r;
			if (b < a)
				return -EINVAL;
		}
		for (unsigned c = a; c <= b; c++)
			CPU_SET(c, &set);
		p += strspn(p, " \t\n");
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
	}
	*ret = set;
	return 0;
}

char *cg_format_cpu_list(const cpu_set_t *set, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = 0;
	for (unsigned c = 0; c < CPU_SETSIZE; c++) {
		unsigned e = c;
		int n;

		if (!CPU_ISSET(c, set))
			continue;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		n = e == c ? snprintf(buf + pos, len - pos, "%s%u", pos ? "," : "", c)
			   : snprintf(buf + pos, len - pos, "%s%u-%u", pos ? "," : "", c, e);
		if (n < 0 || (size_t)n >= len - pos)
			break;
		pos += (size_t)n;
		c = e;
	}
	return buf;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Weights: 100 is the default on v2, 1024 shares and 500 (CFQ) / 100 (BFQ) on v1. */
uint64_t cg_weight_to_shares(uint64_t weight)
{
	return clamp_u64(weight * 1024 / 100, 2, 262144);
}

uint64_t cg_weight_to_blkio(uint64_t weight)
{
	return clamp_u64(weight * 500 / 100, 10, 1000);
}

/* 1..100 maps to 1..100, 100..10000 to 100..1000. */
uint64_t cg_weight_to_bfq(uint64_t weight)
{
	if (weight <= 100)
		return clamp_u64(weight, 1, 100);
	return clamp_u64(100 + (weight - 100) * 900 / 9900, 100, 1000);
}
