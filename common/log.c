/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strutil.h"

static const char *log_prog = "mkimg";
static enum log_level log_max = LOG_LVL_INFO;
static bool log_json;
static bool progress_active; /* a TTY progress line is on screen */

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_setup(const char *prog)
{
	log_prog = prog;
}

void log_set_level(enum log_level level)
{
	log_max = level;
}

enum log_level log_get_level(void)
{
	return log_max;
}

void log_set_json(bool json)
{
	log_json = json;
}

bool log_is_json(void)
{
	return log_json;
}

static void progress_clear_line(void)
{
	if (progress_active) {
		fputs("\r\033[K", stderr);
		progress_active = false;
	}
}

static void log_emit(enum log_level level, const char *msg)
{
	if (level > log_max)
		return;
	if (log_json) {
		_cleanup_free_ char *q = json_quote(msg);
		printf("{\"type\":\"log\",\"level\":\"%s\",\"message\":%s}\n", level_names[level],
		       q ? q : "\"\"");
		fflush(stdout);
		return;
	}
	progress_clear_line();
	if (level == LOG_LVL_WARNING)
		fprintf(stderr, "%s: warning: %s\n", log_prog, msg);
	else
		fprintf(stderr, "%s: %s\n", log_prog, msg);
}

void log_full(enum log_level level, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int saved = errno;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg)
		log_emit(level, msg);
	errno = saved;
}

int log_full_errno(enum log_level level, int err, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *full = NULL;
	va_list ap;

	if (err > 0)
		err = -err;
	if (err == 0)
		err = -EIO;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg && asprintf(&full, "%s: %s", msg, strerror(-err)) >= 0)
		log_emit(level, full);
	return err;
}

int log_error_ret(int r, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	log_full(LOG_LVL_ERROR, "%s", msg ? msg : fmt);
	return r;
}

void log_json_event(const char *type, ...)
{
	va_list ap;

	if (!log_json)
		return;
	printf("{\"type\":\"%s\"", type);
	va_start(ap, type);
	for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		_cleanup_free_ char *qk = json_quote(k), *qv = json_quote(v ? v : "");
		printf(",%s:%s", qk, qv);
	}
	va_end(ap);
	printf("}\n");
	fflush(stdout);
}

struct progress {
	char *phase;
	char *unit;
	uint64_t total, done;
	uint64_t bytes, total_bytes; /* with has_bytes: progress_update_bytes() */
	struct timespec start, last;
	bool tty, has_bytes;
};

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

struct progress *progress_begin(const char *phase, const char *unit, uint64_t total)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->phase = strdup(phase);
	p->unit = strdup(unit);
	p->total = total;
	p->tty = !log_json && isatty(STDERR_FILENO) && log_max >= LOG_LVL_INFO;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
	if (!p->tty && !log_json)
		log_info("%s ...", phase);
	return p;
}

static void progress_format_bytes(struct progress *p, double secs, char *line, size_t len)
{
	const double mib = 1024.0 * 1024.0;
	double rate = secs > 0 ? (double)p->bytes / secs / mib : 0;

	snprintf(line, len, "%s %" PRIu64 "/%" PRIu64 " %s  %.1f/%.1f MiB  %.1f MiB/s", p->phase,
		 p->done, p->total, p->unit, (double)p->bytes / mib, (double)p->total_bytes / mib,
		 rate);
}

static void progress_render(struct progress *p, const struct timespec *now)
{
	double secs = elapsed(&p->start, now);
	double rate = secs > 0 ? (double)p->done / secs : 0;
	char line[256];

	if (p->has_bytes)
		progress_format_bytes(p, secs, line, sizeof(line));
	else if (p->total)
		snprintf(line, sizeof(line), "%s %" PRIu64 "/%" PRIu64 " %s  %.0f %s/s", p->phase,
			 p->done, p->total, p->unit, rate, p->unit);
	else
		snprintf(line, sizeof(line), "%s %" PRIu64 " %s", p->phase, p->done, p->unit);
	if (p->tty) {
		fprintf(stderr, "\r\033[K%s", line);
		fflush(stderr);
		progress_active = true;
	} else if (log_json) {
		printf("{\"type\":\"progress\",\"phase\":\"%s\",\"done\":%" PRIu64
		       ",\"total\":%" PRIu64 ",\"unit\":\"%s\"",
		       p->phase, p->done, p->total, p->unit);
		if (p->has_bytes)
			printf(",\"bytes\":%" PRIu64 ",\"total_bytes\":%" PRIu64, p->bytes,
			       p->total_bytes);
		printf("}\n");
		fflush(stdout);
	}
}

void progress_update(struct progress *p, uint64_t done)
{
	struct timespec now;

	if (!p)
		return;
	p->done = done;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed(&p->last, &now) < (log_json ? 0.5 : 0.1))
		return;
	p->last = now;
	progress_render(p, &now);
}

void progress_update_bytes(struct progress *p, uint64_t done, uint64_t total, uint64_t bytes,
			   uint64_t total_bytes)
{
	if (!p)
		return;
	p->has_bytes = true;
	p->total = total;
	p->bytes = bytes;
	p->total_bytes = total_bytes;
	progress_update(p, done);
}

static void progress_free(struct progress *p)
{
	free(p->phase);
	free(p->unit);
	free(p);
}

void progress_abort(struct progress *p)
{
	if (!p)
		return;
	if (p->tty && progress_active) {
		fputc('\n', stderr); /* keep the last state visible above the error */
		progress_active = false;
	}
	progress_free(p);
}

void progress_end(struct progress *p)
{
	struct timespec now;

	if (!p)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->tty || log_json)
		progress_render(p, &now);
	if (p->tty) {
		fputc('\n', stderr);
		progress_active = false;
	} else if (!log_json) {
		log_info("%s done (%.1fs)", p->phase, elapsed(&p->start, &now));
	}
	progress_free(p);
}
