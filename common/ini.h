/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * INI reader shared by recipes (mkimg) and machine settings (runimg).  Pure: parses a buffer,
 * does no I/O, never prints.  Each assignment is reported with its file:line.
 *
 * Syntax (mkosi/systemd style): "[Section]" headers; "Key=Value" (whitespace around key and
 * value stripped); lines starting with '#' or ';' are comments; a line starting with
 * whitespace continues the previous assignment's value (joined with '\n'); blank lines end a
 * continuation.  "Key=" gives an empty value.
 */
#pragma once

#include <stddef.h>

struct ini_pos {
	const char *file;
	unsigned line;
	unsigned section_line; /* the line of the "[Section]" header above: tells repeated
				* sections of the same name apart */
};

/* Called once per assignment, after its continuation lines are collected.  A negative return
 * stops parsing and is passed through.  The callback owns the error message it produced. */
typedef int (*ini_handler)(const char *section, const char *key, const char *value,
			   const struct ini_pos *pos, void *userdata);

/* Syntax errors: the return is -EBADMSG and ret_err->line and ret_err->msg say where and what
 * (err_msg is static text).  Handler errors are returned unchanged. */
struct ini_error {
	unsigned line;
	const char *msg;
};

int ini_parse_buffer(const char *buf, size_t len, const char *file, ini_handler handler,
		     void *userdata, struct ini_error *ret_err);
