/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/meminfo and /proc/swaps of a machine: pure renderers (formulas in runimg(1)). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "procview.h"
#include "strutil.h"

#define V1_UNLIMITED UINT64_C(0x7ffffffffffff000) /* PAGE_COUNTER_MAX pages, in bytes */

uint64_t procview_parse_limit(const char *text)
{
	uint64_t v;
	char buf[32];
	size_t n = text ? strcspn(text, "\n ") : 0;

	if (!text || n == 0 || n >= sizeof(buf))
		return CG_MAX;
	memcpy(buf, text, n);
	buf[n] = 0;
	if (streq(buf, "max") || streq(buf, "-1") || parse_uint64(buf, &v) < 0 || v >= V1_UNLIMITED)
		return CG_MAX;
	return v;
}

static uint64_t limit_u64(uint64_t v)
{
	return v >= V1_UNLIMITED ? CG_MAX : v;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* A name and its length, so that lines are matched by length first (no strlen). */
struct name {
	const char *s;
	size_t len;
};
#define NAME(x) { x, sizeof(x) - 1 }
#define NONE { NULL, 0 }

struct stat_key {
	struct name v1, plain, v2; /* v1: total_x; plain: x, the cgroup's own (fallback) */
	size_t off;
};

#define OFF(field) offsetof(struct procview_memstat, field)
#define KT(v1, v2, field) { NAME("total_" v1), NAME(v1), NAME(v2), OFF(field) }
#define K2(v2, field) { NONE, NONE, NAME(v2), OFF(field) }
#define K1(v1, field) { NAME(v1), NONE, NONE, OFF(field) }
static const struct stat_key stat_keys[] = {
	KT("rss", "anon", anon),
	KT("cache", "file", file),
	KT("shmem", "shmem", shmem),
	KT("mapped_file", "file_mapped", mapped),
	KT("dirty", "file_dirty", dirty),
	KT("writeback", "file_writeback", writeback),
	KT("rss_huge", "anon_thp", anon_thp),
	K2("shmem_thp", shmem_thp),
	K2("file_thp", file_thp),
	KT("active_anon", "active_anon", active_anon),
	KT("inactive_anon", "inactive_anon", inactive_anon),
	KT("active_file", "active_file", active_file),
	KT("inactive_file", "inactive_file", inactive_file),
	KT("unevictable", "unevictable", unevictable),
	K2("slab_reclaimable", slab_reclaimable),
	K2("slab_unreclaimable", slab_unreclaimable),
	K2("kernel_stack", kernel_stack),
	K2("pagetables", pagetables),
	KT("swapcached", "swapcached", swapcached),
	K1("total_swap", swap),
	K1("hierarchical_memory_limit", hierarchical_memory_limit),
	K1("hierarchical_memsw_limit", hierarchical_memsw_limit),
};
#undef KT
#undef K2
#undef K1
#undef OFF

static bool name_is(const char *key, size_t n, const struct name *want)
{
	return want->len == n && memcmp(key, want->s, n) == 0;
}

/* v1: "total_x" (2), or else "x" (1: the cgroup's own pages, when no total_ line came). */
static int match(const struct stat_key *k, bool v2, const char *key, size_t n)
{
	if (v2)
		return name_is(key, n, &k->v2) ? 2 : 0;
	if (name_is(key, n, &k->v1))
		return 2;
	return name_is(key, n, &k->plain) ? 1 : 0;
}

void procview_parse_memstat(const char *text, bool v2, struct procview_memstat *ret)
{
	struct procview_memstat s = { 0 };
	uint8_t got[ELEMENTSOF(stat_keys)] = { 0 };

	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		size_t n = strcspn(line, " \n");

		for (size_t i = 0; i < ELEMENTSOF(stat_keys); i++) {
			int q = match(&stat_keys[i], v2, line, n);

			if (q > got[i]) {
				*(uint64_t *)((char *)&s + stat_keys[i].off) = strtoull(line + n, NULL, 10);
				got[i] = (uint8_t)q;
				break;
			}
		}
		line = *nl ? nl + 1 : NULL;
	}
	*ret = s;
}

bool procview_meminfo_get(const char *meminfo, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *line = meminfo; line && *line;) {
		const char *nl = strchrnul(line, '\n');

		if (line[0] == key[0] && strncmp(line, key, klen) == 0 && line[klen] == ':') {
			*ret = strtoull(line + klen + 1, NULL, 10) * 1024;
			return true;
		}
		line = *nl ? nl + 1 : NULL;
	}
	return false;
}

struct mem_field {
	struct name key;
	uint64_t bytes;
};

struct outbuf {
	char *p;
	size_t len, cap;
};

static bool out_put(struct outbuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *np = realloc(o->p, cap);

		if (!np)
			return false;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = 0;
	return true;
}

/* The kernel's layout: "Key:" padded to 16 columns, the number to 8, " kB". */
static bool out_kb(struct outbuf *o, const char *key, size_t klen, uint64_t kb)
{
	char line[80], digits[24];
	size_t n = 0, d = 0;

	if (klen > 40)
		return false;
	memcpy(line, key, klen);
	n = klen;
	line[n++] = ':';
	do
		digits[d++] = (char)('0' + kb % 10);
	while ((kb /= 10));
	while (n < 16 || n + d < 24)
		line[n++] = ' ';
	while (d)
		line[n++] = digits[--d];
	memcpy(line + n, " kB\n", 4);
	return out_put(o, line, n + 4);
}

/* The host's lines, with the values of f for the keys f has. */
static int render_fields(const char *host, const struct mem_field *f, size_t n, char **ret)
{
	struct outbuf o = { 0 };
	bool good = out_put(&o, "", 0);

	for (const char *line = host; good && line && *line;) {
		const char *nl = strchrnul(line, '\n');
		size_t klen = strcspn(line, ":\n");
		size_t i = 0;

		while (i < n && !name_is(line, klen, &f[i].key))
			i++;
		if (i < n)
			good = out_kb(&o, line, klen, f[i].bytes / 1024);
		else
			good = out_put(&o, line, (size_t)(nl - line)) && out_put(&o, "\n", 1);
		line = *nl ? nl + 1 : NULL;
	}
	if (!good) {
		free(o.p);
		return -ENOMEM;
	}
	*ret = o.p;
	return 0;
}

/* Effective limits: the cgroup's, and on v1 what memory.stat says of the tree above. */
static void effective(const struct procview_mem *mem, const struct procview_memstat *st,
		      uint64_t *limit, uint64_t *swap_limit)
{
	*limit = mem->limit;
	*swap_limit = mem->swap_limit;
	if (mem->v2 || !st->hierarchical_memory_limit)
		return;
	*limit = min64(*limit, limit_u64(st->hierarchical_memory_limit));
	if (limit_u64(st->hierarchical_memsw_limit) != CG_MAX &&
	    limit_u64(st->hierarchical_memory_limit) != CG_MAX)
		*swap_limit = min64(*swap_limit,
				    sub0(st->hierarchical_memsw_limit, st->hierarchical_memory_limit));
}

struct host_mem {
	uint64_t total, swap_total, swap_free;
};

static void host_values(const char *meminfo, struct host_mem *h)
{
	*h = (struct host_mem){ 0 };
	(void)procview_meminfo_get(meminfo, "MemTotal", &h->total);
	(void)procview_meminfo_get(meminfo, "SwapTotal", &h->swap_total);
	(void)procview_meminfo_get(meminfo, "SwapFree", &h->swap_free);
}

/* Swap as the machine sees it: its limit (or the host's swap) less what it has swapped out. */
static void machine_swap(const struct procview_mem *mem, const struct procview_memstat *st,
			 uint64_t swap_limit, const struct host_mem *h, uint64_t *total,
			 uint64_t *free_)
{
	uint64_t used = mem->v2 ? mem->swap_usage : st->swap;

	*total = min64(swap_limit, h->swap_total);
	*free_ = sub0(*total, used);
	if (swap_limit >= h->swap_total)
		*free_ = min64(*free_, h->swap_free);
}

int procview_render_meminfo(const char *host_meminfo, const struct procview_mem *mem, char **ret)
{
	struct procview_memstat st;
	struct host_mem h;
	uint64_t limit, swap_limit, total, used, free_, avail, cached, slab_r, slab_u, swap_t, swap_f;

	host_values(host_meminfo, &h);
	procview_parse_memstat(mem->stat, mem->v2, &st);
	effective(mem, &st, &limit, &swap_limit);
	if (limit >= h.total && swap_limit >= h.swap_total)
		return (*ret = strdup(host_meminfo)) ? 0 : -ENOMEM;

	total = min64(limit, h.total);
	used = min64(mem->usage, total);
	free_ = total - used;
	cached = st.file;
	slab_r = mem->v2 ? st.slab_reclaimable : 0;
	slab_u = mem->v2 ? st.slab_unreclaimable : mem->kmem;
	/* Reclaimable: the file LRUs (shmem is on the anon ones) and reclaimable slab. */
	avail = free_ + st.active_file + st.inactive_file + slab_r;
	avail = min64(avail, total);
	machine_swap(mem, &st, swap_limit, &h, &swap_t, &swap_f);

	const struct mem_field f[] = {
		{ NAME("MemTotal"), total },
		{ NAME("MemFree"), free_ },
		{ NAME("MemAvailable"), avail },
		{ NAME("Buffers"), 0 },
		{ NAME("Cached"), cached },
		{ NAME("SwapCached"), st.swapcached },
		{ NAME("Active"), st.active_anon + st.active_file },
		{ NAME("Inactive"), st.inactive_anon + st.inactive_file },
		{ NAME("Active(anon)"), st.active_anon },
		{ NAME("Inactive(anon)"), st.inactive_anon },
		{ NAME("Active(file)"), st.active_file },
		{ NAME("Inactive(file)"), st.inactive_file },
		{ NAME("Unevictable"), st.unevictable },
		{ NAME("Mlocked"), 0 },
		{ NAME("SwapTotal"), swap_t },
		{ NAME("SwapFree"), swap_f },
		{ NAME("Zswap"), 0 },
		{ NAME("Zswapped"), 0 },
		{ NAME("Dirty"), st.dirty },
		{ NAME("Writeback"), st.writeback },
		{ NAME("AnonPages"), st.anon },
		{ NAME("Mapped"), st.mapped },
		{ NAME("Shmem"), st.shmem },
		{ NAME("KReclaimable"), slab_r },
		{ NAME("Slab"), slab_r + slab_u },
		{ NAME("SReclaimable"), slab_r },
		{ NAME("SUnreclaim"), slab_u },
		{ NAME("KernelStack"), st.kernel_stack },
		{ NAME("PageTables"), st.pagetables },
		{ NAME("AnonHugePages"), st.anon_thp },
		{ NAME("ShmemHugePages"), st.shmem_thp },
		{ NAME("FileHugePages"), st.file_thp },
	};
	return render_fields(host_meminfo, f, ELEMENTSOF(f), ret);
}

int procview_render_swaps(const char *host_swaps, const char *host_meminfo,
			  const struct procview_mem *mem, char **ret)
{
	struct procview_memstat st;
	struct host_mem h;
	uint64_t limit, swap_limit, total, free_;
	const char *nl;

	host_values(host_meminfo, &h);
	procview_parse_memstat(mem->stat, mem->v2, &st);
	effective(mem, &st, &limit, &swap_limit);
	if (limit >= h.total && swap_limit >= h.swap_total)
		return (*ret = strdup(host_swaps)) ? 0 : -ENOMEM;
	machine_swap(mem, &st, swap_limit, &h, &total, &free_);
	nl = strchrnul(host_swaps, '\n');
	if (total == 0) {
		*ret = strndup(host_swaps, (size_t)(nl - host_swaps) + (*nl ? 1 : 0));
		return *ret ? 0 : -ENOMEM;
	}
	if (asprintf(ret, "%.*s\n%-40s%s\t%" PRIu64 "\t\t%" PRIu64 "\t\t%d\n",
		     (int)(nl - host_swaps), host_swaps, "none", "virtual\t", total / 1024,
		     (total - free_) / 1024, -1) < 0)
		return -ENOMEM;
	return 0;
}
