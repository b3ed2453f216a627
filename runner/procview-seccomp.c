/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysinfo(2) of the machine.  free, top and uptime of busybox ask the kernel, not /proc: a
 * seccomp filter in the machine turns sysinfo into a user notification, and the /proc view's
 * server answers it with the numbers of its own meminfo, loadavg and uptime, written into the
 * caller's buffer.  If the server is gone the call fails with ENOSYS; other architectures'
 * calls (i386 on x86_64) keep the host's answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "cleanup.h"
#include "procview.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

int procview_seccomp_install(int *ret_fd)
{
#ifdef NATIVE_ARCH
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sysinfo, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ELEMENTSOF(code), .filter = code };
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			  &prog);

	if (fd < 0)
		return -errno;
	*ret_fd = (int)fd;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

int procview_send_fd(int sock, int fd, char tag)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int procview_recv_fd(int sock, char *ret_tag, int *ret_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = ret_tag, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	*ret_fd = -1;
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* Into the caller's memory, while the notification is still the caller's. */
static int write_caller(int notify_fd, const struct seccomp_notif *req, const void *data,
			size_t len)
{
	char path[64];
	_cleanup_close_ int mem = -1;
	uint64_t id = req->id;

	snprintf(path, sizeof(path), "/proc/%u/mem", req->pid);
	mem = open(path, O_WRONLY | O_CLOEXEC);
	if (mem < 0)
		return -errno;
	/* The pid may have been reused since the call: the id says whether it is the same. */
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return -errno;
	if (pwrite(mem, data, len, (off_t)req->data.args[0]) != (ssize_t)len)
		return -EFAULT;
	return 0;
}

int procview_seccomp_handle(struct procview *v, int notify_fd)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct sysinfo si;
	int r;

	memset(&req, 0, sizeof(req));
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return errno == EINTR || errno == ENOENT ? 0 : -errno;
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	if (req.data.nr != __NR_sysinfo) {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if ((r = procview_sysinfo(v, &si)) < 0) {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE; /* the host's answer */
	} else if ((r = write_caller(notify_fd, &req, &si, sizeof(si))) < 0) {
		resp.error = r == -ENOENT ? -ESRCH : -EFAULT;
	}
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
