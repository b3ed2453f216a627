/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tiny TAP emitter for the C unit tests (run by automake's tap-driver.sh). */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_result(int ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline void tap_result(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	fflush(stdout);
}

#define ok(cond, ...) tap_result(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, name)                                                                    \
	do {                                                                                       \
		long long _g = (got), _w = (want);                                                 \
		tap_result(_g == _w, __FILE__, __LINE__, "%s", name);                              \
		if (_g != _w)                                                                      \
			printf("#   got %lld, want %lld\n", _g, _w);                                   \
	} while (0)
#define is_str(got, want, name)                                                                    \
	do {                                                                                       \
		const char *_g = (got), *_w = (want);                                              \
		int _ok = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;                             \
		tap_result(_ok, __FILE__, __LINE__, "%s", name);                                   \
		if (!_ok)                                                                          \
			printf("#   got  '%s'\n#   want '%s'\n", _g ? _g : "(null)",              \
			       _w ? _w : "(null)");                                                \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
