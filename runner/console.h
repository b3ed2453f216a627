/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's console: a pty allocated on the host whose slave becomes /dev/console in the
 * machine.  runimg relays between the master and its own stdin/stdout; when stdin is a
 * terminal it is put in raw mode, its size follows SIGWINCH, and ^] pressed three times
 * within a second kills the machine.
 */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

struct console {
	int master;
	int slave;	 /* kept open so the master never sees EIO while the guest reopens it */
	char *slave_path;
	bool interactive; /* stdin is a terminal: raw mode, resize, escape key */
	bool raw;
	struct termios saved;
	bool forward_input; /* relay stdin to the machine */
	bool in_eof;
	char in_buf[4096];
	size_t in_len;
	unsigned escapes;
	uint64_t escape_start;
	bool kill_requested; /* ^]^]^] */
};

#define CONSOLE_NULL ((struct console){ .master = -1, .slave = -1 })

int console_open(struct console *c, bool interactive, bool forward_input);
int console_enter_raw(struct console *c);
void console_leave_raw(struct console *c);
void console_resize(struct console *c);
/* Fill up to two pollfds (master, stdin); returns how many. */
size_t console_pollfds(struct console *c, struct pollfd *pfd);
/* Handle the revents of the pollfds console_pollfds() filled. */
void console_process(struct console *c, const struct pollfd *pfd, size_t n);
/* Copy whatever output is still pending (after the machine ended). */
void console_drain(struct console *c);
void console_close(struct console *c);

/* Pure: count ^] bytes in buf for the escape; true when three came within a second. */
bool console_escape_check(struct console *c, const char *buf, size_t n, uint64_t now_usec);
