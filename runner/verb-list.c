/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runimg list [--json], runimg status NAME [--json]: the registry with what the machines use. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "machine-info.h"
#include "settings.h"
#include "state.h"
#include "strutil.h"
#include "verbs.h"

int verb_find_machine(const struct verb_context *ctx, const char *name,
		      struct machine_entry **ret)
{
	int r;

	if (!machine_name_valid(name)) {
		log_error("invalid machine name '%s'", name);
		return EXIT_USAGE;
	}
	r = state_read(ctx->state_dir, name, ret);
	if (r == -ENOENT) {
		log_error("no machine '%s' is running (see runimg list)", name);
		return EXIT_USAGE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot read the state of machine '%s'", name);
		return EXIT_RUN_FAILED;
	}
	return 0;
}

/* ---- formatting ---------------------------------------------------------------------------- */

_printf_(1, 2) static char *fmt(const char *format, ...)
{
	va_list ap;
	char *s;

	va_start(ap, format);
	if (vasprintf(&s, format, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static char *fmt_bytes(char *buf, size_t len, uint64_t v)
{
	if (v == INFO_UNKNOWN)
		snprintf(buf, len, "-");
	else if (v == INFO_UNLIMITED)
		snprintf(buf, len, "max");
	else
		format_size(buf, len, v);
	return buf;
}

static char *fmt_cpus(char *buf, size_t len, const struct machine_info *i)
{
	if (i->cpu_quota_usec == INFO_UNKNOWN)
		snprintf(buf, len, "-");
	else if (i->cpu_quota_usec == INFO_UNLIMITED)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%.2g", (double)i->cpu_quota_usec / (double)i->cpu_period_usec);
	return buf;
}

static char *fmt_cpu_time(char *buf, size_t len, uint64_t usec)
{
	if (usec == INFO_UNKNOWN)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1fs", (double)usec / 1e6);
	return buf;
}

/* "192.0.2.10,2001:db8::10" (without interfaces and prefixes), "-" or "host". */
static char *fmt_addresses(const struct machine_info *i)
{
	char *out = strdup(i->leader_pidfd >= 0 && !i->private_network ? "host" : "");

	for (char **a = i->addresses; out && a && *a; a++) {
		const char *addr = strchr(*a, ' ');
		size_t n;
		char *next;

		addr = addr ? addr + 1 : *a;
		n = strcspn(addr, "/");
		next = fmt("%s%s%.*s", out, *out ? "," : "", (int)n, addr);
		free(out);
		out = next;
	}
	if (out && !*out) {
		free(out);
		out = strdup("-");
	}
	return out;
}

/* ---- the table --------------------------------------------------------------------------- */

enum { COL_NAME, COL_STATE, COL_LEADER, COL_UPTIME, COL_MEMORY, COL_CPU, COL_ADDR, COL_IMAGE,
       _COL_MAX };

static const char *const col_titles[_COL_MAX] = {
	"NAME", "STATE", "LEADER", "UPTIME", "MEMORY", "CPU", "ADDRESSES", "IMAGE",
};

/* "120M/1G", or "120M" without a limit */
static char *with_limit(const char *use, uint64_t limit, const char *limit_text)
{
	if (limit == INFO_UNKNOWN || limit == INFO_UNLIMITED)
		return strdup(use);
	return fmt("%s/%s", use, limit_text);
}

static int table_row(const struct machine_entry *e, const struct machine_info *i,
		     char *cells[_COL_MAX])
{
	char a[32], b[32], c[32];

	cells[COL_NAME] = strdup(e->name);
	cells[COL_STATE] = strdup(e->state);
	cells[COL_LEADER] = i->leader_pidfd >= 0 ? fmt("%d", (int)e->leader) : strdup("-");
	cells[COL_UPTIME] = strdup(i->uptime_usec == INFO_UNKNOWN
					   ? "-"
					   : format_uptime(a, sizeof(a), i->uptime_usec));
	cells[COL_MEMORY] = with_limit(fmt_bytes(a, sizeof(a), i->mem_current), i->mem_max,
				       fmt_bytes(b, sizeof(b), i->mem_max));
	cells[COL_CPU] = with_limit(fmt_cpu_time(c, sizeof(c), i->cpu_usec), i->cpu_quota_usec,
				    fmt_cpus(b, sizeof(b), i));
	cells[COL_ADDR] = fmt_addresses(i);
	cells[COL_IMAGE] = strdup(e->image ? e->image : "-");
	for (size_t k = 0; k < _COL_MAX; k++)
		if (!cells[k])
			return -ENOMEM;
	return 0;
}

static void print_table(char *(*rows)[_COL_MAX], size_t n)
{
	size_t w[_COL_MAX];

	for (size_t k = 0; k < _COL_MAX; k++) {
		w[k] = strlen(col_titles[k]);
		for (size_t r = 0; r < n; r++)
			if (strlen(rows[r][k]) > w[k])
				w[k] = strlen(rows[r][k]);
	}
	for (size_t r = 0; r <= n; r++)
		for (size_t k = 0; k < _COL_MAX; k++) {
			const char *cell = r == 0 ? col_titles[k] : rows[r - 1][k];
			if (k + 1 == _COL_MAX)
				printf("%s\n", cell);
			else
				printf("%-*s  ", (int)w[k], cell);
		}
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static void json_str(FILE *f, const char *key, const char *v, bool comma)
{
	_cleanup_free_ char *q = v ? json_quote(v) : NULL;

	fprintf(f, "\"%s\":%s%s", key, q ? q : "null", comma ? "," : "");
}

static void json_u64(FILE *f, const char *key, uint64_t v, bool comma)
{
	if (v == INFO_UNKNOWN || v == INFO_UNLIMITED)
		fprintf(f, "\"%s\":null%s", key, comma ? "," : "");
	else
		fprintf(f, "\"%s\":%" PRIu64 "%s", key, v, comma ? "," : "");
}

static void json_addresses(FILE *f, const struct machine_info *i)
{
	fprintf(f, "\"addresses\":[");
	for (char **a = i->addresses; a && *a; a++) {
		_cleanup_free_ char *ifname = strndup(*a, strcspn(*a, " "));
		const char *addr = strchr(*a, ' ');

		fprintf(f, "%s{", a == i->addresses ? "" : ",");
		json_str(f, "interface", ifname, true);
		json_str(f, "address", addr ? addr + 1 : "", false);
		fprintf(f, "}");
	}
	fprintf(f, "],");
}

static void json_machine(FILE *f, const struct machine_entry *e, const struct machine_info *i)
{
	fprintf(f, "{");
	json_str(f, "name", e->name, true);
	json_str(f, "state", e->state, true);
	json_u64(f, "pid", e->alive && e->pid > 0 ? (uint64_t)e->pid : INFO_UNKNOWN, true);
	json_u64(f, "leader", i->leader_pidfd >= 0 ? (uint64_t)e->leader : INFO_UNKNOWN, true);
	json_str(f, "image", e->image, true);
	json_str(f, "kind", e->kind, true);
	json_str(f, "mode", e->mode, true);
	fprintf(f, "\"boot\":%s,", e->boot ? "true" : "false");
	json_str(f, "hostname", e->hostname, true);
	json_str(f, "uuid", e->uuid, true);
	json_u64(f, "uptime_usec", i->uptime_usec, true);
	json_str(f, "network", i->leader_pidfd < 0 ? NULL : i->private_network ? "private" : "host",
		 true);
	json_addresses(f, i);
	json_u64(f, "memory_current", i->mem_current, true);
	if (i->mem_max == INFO_UNLIMITED)
		fprintf(f, "\"memory_max\":\"max\",");
	else
		json_u64(f, "memory_max", i->mem_max, true);
	json_u64(f, "cpu_usage_usec", i->cpu_usec, true);
	if (i->cpu_quota_usec == INFO_UNLIMITED)
		fprintf(f, "\"cpu_quota\":\"max\",");
	else if (i->cpu_quota_usec == INFO_UNKNOWN)
		fprintf(f, "\"cpu_quota\":null,");
	else
		fprintf(f, "\"cpu_quota\":%.4g,",
			(double)i->cpu_quota_usec / (double)i->cpu_period_usec);
	fprintf(f, "\"cgroups\":[");
	for (char **c = e->cgroups; c && *c; c++) {
		_cleanup_free_ char *q = json_quote(*c);
		fprintf(f, "%s%s", c == e->cgroups ? "" : ",", q ? q : "null");
	}
	fprintf(f, "]}");
}

/* ---- status -------------------------------------------------------------------------------- */

static void print_lines(const char *title, char **values)
{
	for (char **v = values; v && *v; v++)
		printf("%12s %s\n", v == values ? title : "", *v);
}

static void print_use(const char *title, const char *use, uint64_t limit, const char *limit_text,
		      const char *unit)
{
	if (limit == INFO_UNLIMITED)
		printf("%12s %s (no limit)\n", title, use);
	else if (limit == INFO_UNKNOWN)
		printf("%12s %s\n", title, use);
	else
		printf("%12s %s (limit %s%s)\n", title, use, limit_text, unit);
}

static void print_status(const struct machine_entry *e, const struct machine_info *i)
{
	char a[32], b[32];

	printf("%s (%s)\n", e->name, e->state);
	if (i->leader_pidfd >= 0)
		printf("%12s %d (runimg %d)\n", "Leader:", (int)e->leader, (int)e->pid);
	else if (e->alive)
		printf("%12s - (runimg %d)\n", "Leader:", (int)e->pid);
	printf("%12s %s (%s, %s)\n", "Image:", e->image ? e->image : "-", e->kind ? e->kind : "-",
	       e->mode ? e->mode : "-");
	printf("%12s %s\n", "Boot:", e->boot ? "yes" : "no");
	printf("%12s %s\n", "Hostname:", e->hostname ? e->hostname : "-");
	if (i->uptime_usec != INFO_UNKNOWN)
		printf("%12s %s\n", "Uptime:", format_uptime(a, sizeof(a), i->uptime_usec));
	if (i->leader_pidfd >= 0)
		printf("%12s %s\n", "Network:", i->private_network ? "private" : "host");
	for (char **ad = i->addresses; ad && *ad; ad++) {
		const char *sp = strchr(*ad, ' ');
		printf("%12s %s (%.*s)\n", ad == i->addresses ? "Addresses:" : "",
		       sp ? sp + 1 : *ad, (int)(sp ? sp - *ad : 0), *ad);
	}
	print_use("Memory:", fmt_bytes(a, sizeof(a), i->mem_current), i->mem_max,
		  fmt_bytes(b, sizeof(b), i->mem_max), "");
	print_use("CPU:", fmt_cpu_time(a, sizeof(a), i->cpu_usec), i->cpu_quota_usec,
		  fmt_cpus(b, sizeof(b), i), " CPUs");
	print_lines("Cgroups:", e->cgroups);
	print_lines("Interfaces:", e->interfaces);
	printf("%12s %s\n", "UUID:", e->uuid ? e->uuid : "-");
	if (!e->alive)
		printf("\nIts runimg is gone (killed?); the next runimg start removes what is "
		       "left.\n");
}

/* ---- the verbs ----------------------------------------------------------------------------- */

static int parse_json_flag(int argc, char **argv, const char *usage, bool *ret_json)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		if (c == 'h') {
			printf("Usage: %s\n", usage);
			return 0;
		}
		if (c != 'j')
			return -EINVAL;
		*ret_json = true;
	}
	return 1;
}

int verb_list(const struct verb_context *ctx, int argc, char **argv)
{
	struct machine_entry **v = NULL;
	char *(*rows)[_COL_MAX] = NULL;
	bool json = false;
	size_t n = 0;
	int r;

	r = parse_json_flag(argc, argv, "runimg list [--json]", &json);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : 0;
	if (optind < argc) {
		log_error("'runimg list' takes no arguments ('%s')", argv[optind]);
		return EXIT_USAGE;
	}
	r = state_list(ctx->state_dir, &v, &n);
	if (r < 0) {
		log_error_errno(r, "cannot read the machines in '%s'", ctx->state_dir);
		return EXIT_RUN_FAILED;
	}
	rows = calloc(n + 1, sizeof(*rows));
	if (json)
		printf("[");
	for (size_t k = 0; rows && k < n; k++) {
		struct machine_info info;

		(void)machine_info_collect(v[k], &info);
		if (json) {
			printf("%s", k ? ",\n " : "");
			json_machine(stdout, v[k], &info);
		} else if (table_row(v[k], &info, rows[k]) < 0) {
			r = -ENOMEM;
		}
		machine_info_done(&info);
	}
	if (json)
		printf("]\n");
	else if (rows && r >= 0)
		print_table(rows, n);
	for (size_t k = 0; rows && k < n; k++)
		for (size_t c = 0; c < _COL_MAX; c++)
			free(rows[k][c]);
	free(rows);
	state_list_free(v, n);
	if (!rows || r < 0) {
		log_error_errno(-ENOMEM, "cannot list the machines");
		return EXIT_RUN_FAILED;
	}
	return 0;
}

int verb_status(const struct verb_context *ctx, int argc, char **argv)
{
	struct machine_entry *e = NULL;
	struct machine_info info;
	bool json = false;
	int r;

	r = parse_json_flag(argc, argv, "runimg status NAME [--json]", &json);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : 0;
	if (argc - optind != 1) {
		log_error("'runimg status' takes one machine name");
		return EXIT_USAGE;
	}
	r = verb_find_machine(ctx, argv[optind], &e);
	if (r != 0)
		return r;
	(void)machine_info_collect(e, &info);
	if (json) {
		json_machine(stdout, e, &info);
		printf("\n");
	} else {
		print_status(e, &info);
	}
	machine_info_done(&info);
	machine_entry_free(e);
	return 0;
}
