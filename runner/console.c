/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "log.h"

#define ESCAPE_CHAR 0x1d /* ^] */

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int console_open(struct console *c, bool interactive, bool forward_input)
{
	char *name;

	*c = CONSOLE_NULL;
	c->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (c->master < 0)
		return -errno;
	if (grantpt(c->master) < 0 || unlockpt(c->master) < 0 || !(name = ptsname(c->master)))
		return -errno;
	c->slave_path = strdup(name);
	if (!c->slave_path)
		return -ENOMEM;
	c->slave = open(c->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->slave < 0)
		return -errno;
	c->interactive = interactive;
	c->forward_input = forward_input;
	return 0;
}

int console_enter_raw(struct console *c)
{
	struct termios t;

	if (!c->interactive || c->raw)
		return 0;
	if (tcgetattr(STDIN_FILENO, &c->saved) < 0)
		return -errno;
	t = c->saved;
	cfmakeraw(&t); /* the guest's own terminal settings apply, on the pty */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		return -errno;
	c->raw = true;
	console_resize(c);
	return 0;
}

void console_leave_raw(struct console *c)
{
	if (c->raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
	c->raw = false;
}

void console_resize(struct console *c)
{
	struct winsize ws;

	if (c->master >= 0 && c->interactive && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(c->master, TIOCSWINSZ, &ws);
}

bool console_escape_check(struct console *c, const char *buf, size_t n, uint64_t now)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != ESCAPE_CHAR) {
			c->escapes = 0;
			continue;
		}
		if (c->escapes == 0 || now - c->escape_start > 1000000) {
			c->escapes = 0;
			c->escape_start = now;
		}
		if (++c->escapes >= 3)
			return true;
	}
	return false;
}

size_t console_pollfds(struct console *c, struct pollfd *pfd)
{
	size_t n = 0;

	if (c->master < 0)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = c->master,
				    .events = POLLIN | (c->in_len ? POLLOUT : 0) };
	if (c->forward_input && !c->in_eof && c->in_len == 0)
		pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	return n;
}

static void write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nobody reads our output any more: drop it */
		buf += w;
		n -= (size_t)w;
	}
}

/* Master -> stdout.  Returns false when there was nothing (more) to read. */
static bool relay_output(struct console *c)
{
	char buf[16384];
	ssize_t n = read(c->master, buf, sizeof(buf));

	if (n <= 0)
		return false;
	write_all(STDOUT_FILENO, buf, (size_t)n);
	return true;
}

static void read_input(struct console *c)
{
	ssize_t n = read(STDIN_FILENO, c->in_buf, sizeof(c->in_buf));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			c->in_eof = true;
		return;
	}
	c->in_len = (size_t)n;
	if (c->interactive && console_escape_check(c, c->in_buf, c->in_len, now_usec()))
		c->kill_requested = true;
}

static void write_input(struct console *c)
{
	ssize_t w = write(c->master, c->in_buf, c->in_len);

	if (w <= 0)
		return;
	memmove(c->in_buf, c->in_buf + w, c->in_len - (size_t)w);
	c->in_len -= (size_t)w;
}

void console_process(struct console *c, const struct pollfd *pfd, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == c->master) {
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				(void)relay_output(c);
			if ((pfd[i].revents & POLLOUT) && c->in_len)
				write_input(c);
		} else if (pfd[i].fd == STDIN_FILENO) {
			read_input(c);
			if (c->in_len)
				write_input(c);
		}
	}
}

void console_drain(struct console *c)
{
	if (c->master < 0)
		return;
	for (unsigned i = 0; i < 1024 && relay_output(c); i++)
		;
}

void console_close(struct console *c)
{
	console_leave_raw(c);
	if (c->slave >= 0)
		close(c->slave);
	if (c->master >= 0)
		close(c->master);
	free(c->slave_path);
	*c = CONSOLE_NULL;
}
