/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "cleanup.h"
#include "strutil.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int payload_env(const struct run_settings *s, const char *uuid, const char *term, char ***ret)
{
	_cleanup_strv_free_ char **env = NULL;
	_cleanup_free_ char *u = strjoin("container_uuid=", uuid, NULL);
	_cleanup_free_ char *t = strjoin("TERM=", term ? term : "vt220", NULL);
	const char *base[] = {
		"PATH=" DEFAULT_PATH, "container=runimg", "HOME=/root", "USER=root",
		"LOGNAME=root",	      "SHELL=/bin/sh",
	};
	int r;

	if (!u || !t)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(base); i++)
		if ((r = strv_extend(&env, base[i])) < 0)
			return r;
	if ((r = strv_extend(&env, u)) < 0 || (r = strv_extend(&env, t)) < 0)
		return r;
	if (s->boot > 0 && (r = strv_extend(&env, "NOTIFY_SOCKET=" GUEST_NOTIFY_SOCKET)) < 0)
		return r;
	/* The settings' entries replace defaults of the same name. */
	for (char **e = s->environment; e && *e; e++) {
		size_t klen = strcspn(*e, "=") + 1;
		bool replaced = false;

		for (char **d = env; *d && !replaced; d++)
			if (strncmp(*d, *e, klen) == 0) {
				char *copy = strdup(*e);
				if (!copy)
					return -ENOMEM;
				free(*d);
				*d = copy;
				replaced = true;
			}
		if (!replaced && (r = strv_extend(&env, *e)) < 0)
			return r;
	}
	*ret = steal_ptr(env);
	return 0;
}

static const char *find_init(void)
{
	static const char *const candidates[] = {
		"/usr/lib/systemd/systemd",
		"/lib/systemd/systemd",
		"/sbin/init",
	};
	for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
		if (access(candidates[i], X_OK) == 0)
			return candidates[i];
	return NULL;
}

int payload_argv(const struct run_settings *s, char ***ret)
{
	_cleanup_strv_free_ char **argv = NULL;
	const char *first;
	int r;

	if (s->boot > 0) {
		first = find_init();
		if (!first)
			return -ENOENT;
	} else if (s->argv && s->argv[0]) {
		*ret = strv_copy(s->argv);
		return *ret ? 0 : -ENOMEM;
	} else {
		first = "/bin/sh";
	}
	if ((r = strv_extend(&argv, first)) < 0)
		return r;
	for (char **a = s->boot > 0 ? s->argv : NULL; a && *a; a++)
		if ((r = strv_extend(&argv, *a)) < 0)
			return r;
	*ret = steal_ptr(argv);
	return 0;
}

bool init_sends_ready(const char *path)
{
	_cleanup_free_ char *real = realpath(path, NULL);
	const char *base;

	if (!real)
		return true;
	base = strrchr(real, '/');
	return streq(base ? base + 1 : real, "systemd");
}

int command_exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_RUN_FAILED;
}

int boot_exit_status(int st)
{
	/* reboot(2) in a PID namespace ends its init with SIGHUP (restart) or SIGINT (power
	 * off, halt). */
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGINT)
		return 0;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP)
		return EXIT_REBOOT;
	return command_exit_status(st);
}

int notify_listen(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	int one = 1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	*ret_fd = steal_fd(fd);
	return 0;
}

bool notify_says_ready(const char *msg)
{
	for (const char *l = msg; l && *l;) {
		size_t n = strcspn(l, "\n");
		if (n == 7 && strncmp(l, "READY=1", 7) == 0)
			return true;
		l += n;
		l += *l == '\n';
	}
	return false;
}

int notify_receive(int fd)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	buf[n] = 0;
	return notify_says_ready(buf) ? 1 : 0;
}

int notify_send_ready(const char *socket_path, const char *status)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *msg = strjoin("READY=1\nSTATUS=", status, "\n", NULL);
	size_t len = strlen(socket_path);

	if (!msg)
		return -ENOMEM;
	if (len == 0 || len >= sizeof(sa.sun_path) ||
	    (socket_path[0] != '/' && socket_path[0] != '@'))
		return -EINVAL;
	memcpy(sa.sun_path, socket_path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* abstract */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		return -errno;
	return 0;
}
