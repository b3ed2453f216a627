/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One machine's view: reads the host's /proc and the machine's cgroup files, keeps state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "procview.h"
#include "strutil.h"

/* Files stay open: a pread at offset 0 makes the kernel generate them anew, and saves the
 * path walk and open of every read (most of the cost of a render). */
struct pv_open_file {
	const char *dir, *file; /* the pointers identify the slot */
	int fd;
	char *buf;
	size_t cap;
};

#define PV_MAX_OPEN 32

struct procview {
	char *proc;
	struct pv_open_file open[PV_MAX_OPEN];
	size_t n_open;
	char *mem_dir, **mem_chain; /* v2: the machine's cgroup and its ancestors (memory.max) */
	char *cpu_dir, *io_dir, *tasks_dir;
	bool mem_v2, cpu_v2, io_v2, tasks_v2;
	cpu_set_t visible;
	unsigned n;
	uint64_t start_ns;
	struct procview_ticks *ticks;
	struct procview_load load;
	unsigned running, blocked, total, last_pid;
};

static const struct {
	const char *name, *target;
} files[_PV_FILE_MAX] = {
	[PV_MEMINFO] = { "meminfo", "/proc/meminfo" },
	[PV_SWAPS] = { "swaps", "/proc/swaps" },
	[PV_CPUINFO] = { "cpuinfo", "/proc/cpuinfo" },
	[PV_STAT] = { "stat", "/proc/stat" },
	[PV_UPTIME] = { "uptime", "/proc/uptime" },
	[PV_LOADAVG] = { "loadavg", "/proc/loadavg" },
	[PV_DISKSTATS] = { "diskstats", "/proc/diskstats" },
	[PV_ONLINE] = { "online", "/sys/devices/system/cpu/online" },
};

static void count_tasks(struct procview *v);

const char *procview_file_name(enum procview_file f)
{
	return files[f].name;
}

const char *procview_file_target(enum procview_file f)
{
	return files[f].target;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* v2 memory.max is per cgroup: the machine's and every ancestor's count. */
static int mem_chain(struct procview *v, const struct cg_machine *cg)
{
	const char *mount = cg->h[cg->ctrl[CG_CTRL_MEMORY]].mount;
	_cleanup_free_ char *dir = strdup(v->mem_dir);
	int r;

	if (!dir)
		return -ENOMEM;
	while (strlen(dir) > strlen(mount)) {
		char *slash = strrchr(dir, '/');

		if ((r = strv_extend(&v->mem_chain, dir)) < 0)
			return r;
		if (!slash)
			break;
		*slash = 0;
	}
	return 0;
}

static int set_paths(struct procview *v, const struct cg_machine *cg)
{
	if (!cg)
		return 0;
	v->mem_dir = dup_or_null(cg_machine_path(cg, CG_CTRL_MEMORY));
	v->cpu_dir = dup_or_null(cg_machine_path(cg, CG_CTRL_CPUACCT));
	v->io_dir = dup_or_null(cg_machine_path(cg, CG_CTRL_IO));
	v->tasks_dir = cg->main >= 0 ? strdup(cg->h[cg->main].path) : NULL;
	v->mem_v2 = cg_machine_is_v2(cg, CG_CTRL_MEMORY);
	v->cpu_v2 = cg_machine_is_v2(cg, CG_CTRL_CPUACCT);
	v->io_v2 = cg_machine_is_v2(cg, CG_CTRL_IO);
	v->tasks_v2 = cg->main >= 0 && cg->h[cg->main].v2;
	if (v->mem_dir && v->mem_v2)
		return mem_chain(v, cg);
	return 0;
}

int procview_new(const struct procview_config *c, struct procview **ret)
{
	struct procview *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	v->visible = c->visible;
	v->n = (unsigned)CPU_COUNT(&c->visible);
	v->start_ns = c->start_boottime_ns;
	v->proc = strdup(c->proc ? c->proc : "/proc");
	v->ticks = calloc(v->n ? v->n : 1, sizeof(*v->ticks));
	if (!v->proc || !v->ticks || v->n == 0) {
		r = v->n ? -ENOMEM : -EINVAL;
		goto fail;
	}
	if ((r = set_paths(v, c->cg)) < 0)
		goto fail;
	*ret = v;
	return 0;
fail:
	procview_free(v);
	return r;
}

void procview_free(struct procview *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_open; i++) {
		if (v->open[i].fd >= 0)
			close(v->open[i].fd);
		free(v->open[i].buf);
	}
	free(v->proc);
	free(v->mem_dir);
	strv_free(v->mem_chain);
	free(v->cpu_dir);
	free(v->io_dir);
	free(v->tasks_dir);
	free(v->ticks);
	free(v);
}

static struct pv_open_file *slot(struct procview *v, const char *dir, const char *file)
{
	struct pv_open_file *f;

	for (size_t i = 0; i < v->n_open; i++)
		if (v->open[i].dir == dir && v->open[i].file == file)
			return &v->open[i];
	if (v->n_open == PV_MAX_OPEN)
		return NULL;
	f = &v->open[v->n_open];
	*f = (struct pv_open_file){ .dir = dir, .file = file, .fd = -1 };
	_cleanup_free_ char *p = strjoin(dir, "/", file, NULL);
	if (!p || (f->fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return NULL;
	v->n_open++;
	return f;
}

/* The text of dir/file, valid until the next read of the same file; NULL if unreadable. */
static const char *read_cached(struct procview *v, const char *dir, const char *file)
{
	struct pv_open_file *f = slot(v, dir, file);

	if (!f)
		return NULL;
	for (;;) {
		ssize_t n;

		if (f->cap == 0 || !f->buf) {
			f->cap = 4096;
			if (!(f->buf = malloc(f->cap + 1)))
				return NULL;
		}
		n = pread(f->fd, f->buf, f->cap, 0);
		if (n < 0)
			return NULL;
		if ((size_t)n < f->cap) {
			f->buf[n] = 0;
			return f->buf;
		}
		char *nb = realloc(f->buf, f->cap * 2 + 1);
		if (!nb)
			return NULL;
		f->buf = nb;
		f->cap *= 2;
	}
}

/* /proc/TID/...: many different files, read now and then. */
static int read_uncached(const struct procview *v, const char *name, char **ret)
{
	_cleanup_free_ char *p = strjoin(v->proc, "/", name, NULL);

	return p ? read_full_file(p, ret, NULL) : -ENOMEM;
}

/* A number from a cgroup file; missing -> fallback. */
static uint64_t read_u64(struct procview *v, const char *dir, const char *file, uint64_t fallback)
{
	const char *text = dir ? read_cached(v, dir, file) : NULL;

	return text ? procview_parse_limit(text) : fallback;
}

static uint64_t chain_min(struct procview *v, char **chain, const char *file)
{
	uint64_t m = CG_MAX;

	for (size_t i = 0; chain && chain[i]; i++) {
		uint64_t x = read_u64(v, chain[i], file, CG_MAX);
		m = x < m ? x : m;
	}
	return m;
}

static void read_mem(struct procview *v, struct procview_mem *mem)
{
	*mem = (struct procview_mem){ .v2 = v->mem_v2, .limit = CG_MAX, .swap_limit = CG_MAX };
	if (!v->mem_dir)
		return;
	mem->stat = read_cached(v, v->mem_dir, "memory.stat");
	if (v->mem_v2) {
		mem->limit = chain_min(v, v->mem_chain, "memory.max");
		mem->swap_limit = chain_min(v, v->mem_chain, "memory.swap.max");
		mem->usage = read_u64(v, v->mem_dir, "memory.current", 0);
		mem->swap_usage = read_u64(v, v->mem_dir, "memory.swap.current", 0);
		return;
	}
	/* v1: the limits up the tree and the swap in use are in memory.stat. */
	mem->usage = read_u64(v, v->mem_dir, "memory.usage_in_bytes", 0);
	mem->kmem = read_u64(v, v->mem_dir, "memory.kmem.usage_in_bytes", 0);
	if (mem->kmem == CG_MAX)
		mem->kmem = 0;
}

static int render_mem(struct procview *v, bool swaps, char **ret)
{
	const char *host = read_cached(v, v->proc, "meminfo"), *host_swaps = NULL;
	struct procview_mem mem;

	if (!host || (swaps && !(host_swaps = read_cached(v, v->proc, "swaps"))))
		return -EIO;
	read_mem(v, &mem);
	return swaps ? procview_render_swaps(host_swaps, host, &mem, ret)
		     : procview_render_meminfo(host, &mem, ret);
}

static int read_usage(struct procview *v, struct procview_cpu_usage *u)
{
	const char *a, *b;

	if (!v->cpu_dir) {
		*u = (struct procview_cpu_usage){ 0 };
		return 0;
	}
	if (v->cpu_v2) {
		a = read_cached(v, v->cpu_dir, "cpu.stat");
		return procview_parse_cpu_stat(a ? a : "", u);
	}
	a = read_cached(v, v->cpu_dir, "cpuacct.usage_percpu_user");
	b = read_cached(v, v->cpu_dir, "cpuacct.usage_percpu_sys");
	if (a && b)
		return procview_parse_cpuacct(a, b, NULL, NULL, u);
	a = read_cached(v, v->cpu_dir, "cpuacct.usage_percpu");
	b = read_cached(v, v->cpu_dir, "cpuacct.stat");
	return procview_parse_cpuacct(NULL, NULL, a ? a : "", b, u);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static uint64_t uptime_ns(const struct procview *v)
{
	uint64_t now = clock_ns(CLOCK_BOOTTIME);

	return now > v->start_ns ? now - v->start_ns : 0;
}

static int render_stat(struct procview *v, char **ret)
{
	const char *host = read_cached(v, v->proc, "stat");
	struct procview_cpu_usage u;
	uint64_t up = uptime_ns(v);
	int r;

	if (!host)
		return -EIO;
	if ((r = read_usage(v, &u)) < 0)
		return r;
	const struct procview_stat_in in = {
		.host_stat = host,
		.visible = &v->visible,
		.usage = &u,
		.uptime_ns = up,
		.btime = (uint64_t)time(NULL) - up / 1000000000,
		.running = v->running,
		.blocked = v->blocked,
	};
	r = procview_render_stat(&in, v->ticks, ret);
	procview_cpu_usage_done(&u);
	return r;
}

static int render_uptime(struct procview *v, char **ret)
{
	_cleanup_free_ char *stat = NULL;
	int r = render_stat(v, &stat); /* brings the idle ticks up to date */

	if (r < 0)
		return r;
	return procview_render_uptime(uptime_ns(v), v->ticks, v->n, ret);
}

static int render_disk(struct procview *v, char **ret)
{
	const char *host = read_cached(v, v->proc, "diskstats"), *a = NULL, *b = NULL;

	if (!host)
		return -EIO;
	if (v->io_dir && v->io_v2) {
		a = read_cached(v, v->io_dir, "io.stat");
	} else if (v->io_dir) {
		a = read_cached(v, v->io_dir, "blkio.throttle.io_service_bytes_recursive");
		b = read_cached(v, v->io_dir, "blkio.throttle.io_serviced_recursive");
	}
	return procview_render_diskstats(host, v->io_v2, a ? a : "", a ? a : "", b ? b : "", ret);
}

static int render_cpuinfo(struct procview *v, char **ret)
{
	const char *host = read_cached(v, v->proc, "cpuinfo");

	return host ? procview_render_cpuinfo(host, &v->visible, ret) : -EIO;
}

int procview_render(struct procview *v, enum procview_file f, char **ret, size_t *ret_len)
{
	char *text = NULL;
	int r;

	switch (f) {
	case PV_MEMINFO:
	case PV_SWAPS:
		r = render_mem(v, f == PV_SWAPS, &text);
		break;
	case PV_CPUINFO:
		r = render_cpuinfo(v, &text);
		break;
	case PV_STAT:
		r = render_stat(v, &text);
		break;
	case PV_UPTIME:
		r = render_uptime(v, &text);
		break;
	case PV_LOADAVG:
		count_tasks(v);
		r = procview_render_loadavg(&v->load, v->running, v->total, v->last_pid, &text);
		break;
	case PV_DISKSTATS:
		r = render_disk(v, &text);
		break;
	case PV_ONLINE:
		r = procview_render_online(v->n, &text);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		return r;
	*ret = text;
	if (ret_len)
		*ret_len = strlen(text);
	return 0;
}

struct task_count {
	unsigned running, blocked, total, max_tid;
};

/* State letter of /proc/TID/stat: after the last ')' of the command name. */
static void count_task(const struct procview *v, unsigned tid, struct task_count *c)
{
	char name[64];
	_cleanup_free_ char *text = NULL;
	const char *p;

	snprintf(name, sizeof(name), "%u/stat", tid);
	c->total++;
	if (tid > c->max_tid)
		c->max_tid = tid;
	if (read_uncached(v, name, &text) < 0 || !(p = strrchr(text, ')')))
		return;
	if (p[1] == ' ' && p[2] == 'R')
		c->running++;
	else if (p[1] == ' ' && p[2] == 'D')
		c->blocked++;
}

static void walk_tasks(const struct procview *v, const char *dir, struct task_count *c, int depth)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_closedir_ DIR *d = NULL;

	if (cg_read(dir, v->tasks_v2 ? "cgroup.threads" : "tasks", &text) == 0)
		for (char *p = text, *end; *p; p = end + strspn(end, "\n")) {
			unsigned long tid = strtoul(p, &end, 10);
			if (end == p)
				break;
			count_task(v, (unsigned)tid, c);
		}
	if (depth > 32 || !(d = opendir(dir)))
		return;
	for (struct dirent *de; (de = readdir(d));) {
		_cleanup_free_ char *sub = NULL;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((sub = strjoin(dir, "/", de->d_name, NULL)))
			walk_tasks(v, sub, c, depth + 1);
	}
}

/* The pid the newest task has in the machine's PID namespace (last "NSpid:" field). */
static unsigned ns_pid(const struct procview *v, unsigned tid)
{
	char name[64];
	_cleanup_free_ char *text = NULL;
	const char *p, *nl, *last;

	snprintf(name, sizeof(name), "%u/status", tid);
	if (!tid || read_uncached(v, name, &text) < 0 || !(p = strstr(text, "\nNSpid:")))
		return tid;
	nl = strchrnul(p + 1, '\n');
	last = p + 7;
	for (const char *q = last; q < nl; q++)
		if (*q == '\t' || *q == ' ')
			last = q + 1;
	return (unsigned)strtoul(last, NULL, 10);
}

/* The machine's tasks now: running, blocked, all, the newest's pid. */
static void count_tasks(struct procview *v)
{
	struct task_count c = { 0 };

	if (v->tasks_dir)
		walk_tasks(v, v->tasks_dir, &c, 0);
	v->running = c.running;
	v->blocked = c.blocked;
	v->total = c.total;
	v->last_pid = ns_pid(v, c.max_tid);
}

void procview_sample(struct procview *v)
{
	count_tasks(v);
	procview_load_sample(&v->load, v->running + v->blocked);
}

/* The same numbers as the files, so that free (sysinfo) and free (meminfo) agree. */
int procview_sysinfo(struct procview *v, struct sysinfo *ret)
{
	_cleanup_free_ char *mem = NULL;
	uint64_t total = 0, free_ = 0, shared = 0, buffers = 0, swap_t = 0, swap_f = 0;
	int r = render_mem(v, false, &mem);

	if (r < 0)
		return r;
	(void)procview_meminfo_get(mem, "MemTotal", &total);
	(void)procview_meminfo_get(mem, "MemFree", &free_);
	(void)procview_meminfo_get(mem, "Shmem", &shared);
	(void)procview_meminfo_get(mem, "Buffers", &buffers);
	(void)procview_meminfo_get(mem, "SwapTotal", &swap_t);
	(void)procview_meminfo_get(mem, "SwapFree", &swap_f);
	count_tasks(v);
	*ret = (struct sysinfo){
		.uptime = (long)(uptime_ns(v) / 1000000000),
		.totalram = total,
		.freeram = free_,
		.sharedram = shared,
		.bufferram = buffers,
		.totalswap = swap_t,
		.freeswap = swap_f,
		.procs = (unsigned short)(v->total > 65535 ? 65535 : v->total),
		.mem_unit = 1,
	};
	for (int i = 0; i < 3; i++) /* fixed point with 16 bits of fraction, not 11 */
		ret->loads[i] = v->load.avenrun[i] << (SI_LOAD_SHIFT - 11);
	return 0;
}
