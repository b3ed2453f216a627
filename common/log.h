/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging for the command-line front ends.  common/ itself never logs: its functions return
 * -errno and the caller logs once, with context:
 *
 *	return log_error_errno(r, "cannot open '%s'", path);
 *
 * Lines go to stderr as "PROG: message".  With --json every message and every progress update
 * is a JSON object on one line of stdout instead.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cleanup.h"

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_setup(const char *prog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_json(bool json);
bool log_is_json(void);

/* Always returns -abs(err) (or -EIO for 0) so it can be returned directly. */
int log_full_errno(enum log_level level, int err, const char *fmt, ...) _printf_(3, 4);
void log_full(enum log_level level, const char *fmt, ...) _printf_(2, 3);
/* Logs an error without an errno text (the message says what is wrong) and returns r. */
int log_error_ret(int r, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_full(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_full(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_full(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_error_errno(err, ...) log_full_errno(LOG_LVL_ERROR, (err), __VA_ARGS__)
#define log_warning_errno(err, ...) log_full_errno(LOG_LVL_WARNING, (err), __VA_ARGS__)

/* Emit one JSON object line on stdout (only in --json mode): {"type":TYPE, KEY:VALUE...}.
 * Varargs are (const char *key, const char *string_value) pairs, NULL-terminated. */
void log_json_event(const char *type, ...) __attribute__((sentinel));

/*
 * Progress of one phase.  On a TTY (stderr) one line is rewritten in place; otherwise a plain
 * line is printed at start and end of the phase; with --json a {"type":"progress"} object is
 * written per update (rate-limited).  done/total are in the phase's unit.
 */
struct progress;
struct progress *progress_begin(const char *phase, const char *unit, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
/*
 * Counts plus bytes, for downloads: "fetch 87/143 packages  41.2/63.0 MiB  12.4 MiB/s" (the
 * rate is of bytes).  total and total_bytes may grow while the phase runs.
 */
void progress_update_bytes(struct progress *p, uint64_t done, uint64_t total, uint64_t bytes,
			   uint64_t total_bytes);
void progress_end(struct progress *p);
/* Ends a phase that failed: no "done" line (the error is logged by the caller). */
void progress_abort(struct progress *p);
