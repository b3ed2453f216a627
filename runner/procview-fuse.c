/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /proc view's FUSE server: a detached mount (fsopen/fsmount, never attached on the host)
 * and a helper process that serves it with libfuse3's low-level API, one thread, and samples
 * the load average every 5 s.  Each open file keeps the snapshot rendered at offset 0, so a
 * reader sees one consistent text however it splits its reads; a read at offset 0 again (as
 * procps does with lseek) renders anew.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "procview.h"
#include "strutil.h"

#define INO_FILE0 2 /* files are FUSE_ROOT_ID + 1 + enum procview_file */
#define ATTR_TIMEOUT 86400.0

static int file_of(fuse_ino_t ino)
{
	return ino >= INO_FILE0 && ino < INO_FILE0 + _PV_FILE_MAX ? (int)(ino - INO_FILE0) : -1;
}

struct server {
	struct procview *v;
	struct fuse_session *se;
};

struct snapshot {
	char *text;
	size_t len;
	bool fresh; /* rendered by open, not read yet */
};

/*
 * The files are size 0 (like /proc's), and read() is direct.  But splice (sendfile, which
 * busybox cat uses) reads through the page cache up to i_size: so every render tells the
 * kernel its length by storing the text, which raises i_size; a shorter text later shrinks it
 * again when its read comes back short.
 */
static int render_snapshot(struct server *srv, fuse_ino_t ino, struct snapshot *s)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);
	int r;

	free(s->text);
	s->text = NULL;
	r = procview_render(srv->v, (enum procview_file)file_of(ino), &s->text, &s->len);
	if (r < 0)
		return r;
	bv.buf[0].mem = s->text;
	bv.buf[0].size = s->len;
	if (s->len)
		(void)fuse_lowlevel_notify_store(srv->se, ino, 0, &bv, 0);
	return 0;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	*st = (struct stat){ .st_ino = ino, .st_nlink = 1 };
	st->st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0555 : S_IFREG | 0444;
}

static void pv_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .attr_timeout = ATTR_TIMEOUT, .entry_timeout = ATTR_TIMEOUT };

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (unsigned f = 0; f < _PV_FILE_MAX; f++) {
		if (!streq(name, procview_file_name(f)))
			continue;
		e.ino = INO_FILE0 + f;
		fill_attr(e.ino, &e.attr);
		fuse_reply_entry(req, &e);
		return;
	}
	fuse_reply_err(req, ENOENT);
}

static void pv_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	if (ino != FUSE_ROOT_ID && file_of(ino) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

static void pv_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct snapshot *s;
	int r;

	if (file_of(ino) < 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = render_snapshot(fuse_req_userdata(req), ino, s);
	if (r < 0) {
		free(s);
		fuse_reply_err(req, -r);
		return;
	}
	s->fresh = true;
	fi->fh = (uint64_t)(uintptr_t)s;
	fi->direct_io = 1; /* sizes are unknown, like the kernel's /proc files */
	if (fuse_reply_open(req, fi) == -ENOENT)
		free(s); /* the open was interrupted */
}

static void pv_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct snapshot *s = (struct snapshot *)(uintptr_t)fi->fh;
	int r;

	/* A new read from the start (procps seeks back) gets new values. */
	if ((off == 0 && !s->fresh) || !s->text) {
		r = render_snapshot(fuse_req_userdata(req), ino, s);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
	}
	s->fresh = false;
	if ((size_t)off >= s->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	fuse_reply_buf(req, s->text + off, size < s->len - (size_t)off ? size : s->len - (size_t)off);
}

static void pv_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct snapshot *s = (struct snapshot *)(uintptr_t)fi->fh;

	if (s)
		free(s->text);
	free(s);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops pv_ops = {
	.lookup = pv_lookup,
	.getattr = pv_getattr,
	.open = pv_open,
	.read = pv_read,
	.release = pv_release,
};

enum { P_FUSE, P_TIMER, P_CTL, P_NOTIFY, _P_MAX };

/* Not FUSE: the 5 s timer, the listener fd from runimg, sysinfo() calls.  false: stop. */
static bool other_events(struct procview *v, struct pollfd *p)
{
	uint64_t ticks;
	char tag;
	int fd;

	if (p[P_TIMER].revents && read(p[P_TIMER].fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		procview_sample(v);
	if (p[P_CTL].revents & POLLIN) {
		if (procview_recv_fd(p[P_CTL].fd, &tag, &fd) == 0 && fd >= 0) {
			if (p[P_NOTIFY].fd >= 0)
				close(p[P_NOTIFY].fd);
			p[P_NOTIFY].fd = fd;
		}
	} else if (p[P_CTL].revents) {
		p[P_CTL].fd = -1; /* runimg is going: PR_SET_PDEATHSIG will end us */
	}
	if (p[P_NOTIFY].revents & POLLIN) {
		(void)procview_seccomp_handle(v, p[P_NOTIFY].fd);
	} else if (p[P_NOTIFY].revents) {
		close(p[P_NOTIFY].fd); /* the machine is gone */
		p[P_NOTIFY].fd = -1;
	}
	return !(p[P_FUSE].revents & (POLLERR | POLLHUP)); /* the machine's mounts are gone */
}

/* The helper's loop: FUSE requests, the 5 s timer for the load average, sysinfo() calls. */
static int serve(struct procview *v, int fuse_fd, int ctl_fd)
{
	char *argv[] = { (char *)"runimg-procview", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_buf buf = { 0 };
	struct server srv = { .v = v };
	struct fuse_session *se = fuse_session_new(&args, &pv_ops, sizeof(pv_ops), &srv);
	const struct itimerspec every5 = { { 5, 0 }, { 5, 0 } };
	struct pollfd p[_P_MAX] = {
		[P_FUSE] = { .fd = fuse_fd, .events = POLLIN },
		[P_TIMER] = { .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), .events = POLLIN },
		[P_CTL] = { .fd = ctl_fd, .events = POLLIN },
		[P_NOTIFY] = { .fd = -1, .events = POLLIN },
	};
	char dev[32];
	int r = 0;

	srv.se = se;
	snprintf(dev, sizeof(dev), "/dev/fd/%d", fuse_fd);
	if (!se || p[P_TIMER].fd < 0 || fuse_session_mount(se, dev) < 0 ||
	    timerfd_settime(p[P_TIMER].fd, 0, &every5, NULL) < 0)
		return -EIO;
	procview_sample(v);
	while (!fuse_session_exited(se)) {
		if (poll(p, _P_MAX, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (!other_events(v, p))
			break;
		if (!(p[P_FUSE].revents & POLLIN))
			continue;
		r = fuse_session_receive_buf(se, &buf);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r <= 0)
			break;
		fuse_session_process_buf(se, &buf);
	}
	free(buf.mem);
	fuse_session_destroy(se);
	return r < 0 ? r : 0;
}

static int set_option(int fsfd, const char *key, const char *value)
{
	int cmd = value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;

	return fsconfig(fsfd, cmd, key, value, 0) < 0 ? -errno : 0;
}

/* A FUSE superblock talking to fuse_fd, mounted nowhere yet. */
static int make_mount(int fuse_fd, int *ret_mount_fd)
{
	_cleanup_close_ int fsfd = fsopen("fuse", FSOPEN_CLOEXEC);
	char fd[16];
	int r, mfd;

	if (fsfd < 0)
		return errno == ENODEV ? -EOPNOTSUPP : -errno;
	snprintf(fd, sizeof(fd), "%d", fuse_fd);
	if ((r = set_option(fsfd, "source", "runimg-procview")) < 0 ||
	    (r = set_option(fsfd, "fd", fd)) < 0 || (r = set_option(fsfd, "rootmode", "40555")) < 0 ||
	    (r = set_option(fsfd, "user_id", "0")) < 0 || (r = set_option(fsfd, "group_id", "0")) < 0 ||
	    (r = set_option(fsfd, "allow_other", NULL)) < 0)
		return r;
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mfd < 0)
		return -errno;
	*ret_mount_fd = mfd;
	return 0;
}

_Noreturn static void helper_main(const struct procview_config *c, pid_t parent, int fuse_fd,
				  int ctl_fd)
{
	struct procview *v = NULL;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	(void)prctl(PR_SET_NAME, "runimg-procview");
	if (dup2(fuse_fd, 3) < 0 || dup2(ctl_fd, 4) < 0)
		_exit(1);
	(void)syscall(SYS_close_range, 5, ~0U, 0);
	if (procview_new(c, &v) < 0)
		_exit(1);
	_exit(serve(v, 3, 4) < 0 ? 1 : 0);
}

int procview_start(const struct procview_config *c, struct procview_server *ret)
{
	_cleanup_close_ int fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC), mfd = -1;
	int sp[2];
	pid_t parent = getpid(), pid;
	int r;

	if (fuse_fd < 0)
		return errno == ENOENT || errno == ENODEV || errno == ENXIO ? -EOPNOTSUPP : -errno;
	if ((r = make_mount(fuse_fd, &mfd)) < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		helper_main(c, parent, fuse_fd, sp[1]);
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return -errno;
	}
	*ret = (struct procview_server){ .pid = pid, .mount_fd = steal_fd(mfd), .ctl_fd = sp[0] };
	return 0;
}

void procview_stop(struct procview_server *s)
{
	if (s->pid > 0) {
		(void)kill(s->pid, SIGKILL);
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (s->mount_fd >= 0)
		close(s->mount_fd);
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	*s = PROCVIEW_SERVER_NULL;
}

/*
 * In the machine's mount namespace: attach the view at dir (a directory outside the guest's
 * root, gone with the setup's staging tmpfs), then bind each file over root's.
 */
int procview_bind(int mount_fd, const char *dir, const char *root)
{
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (move_mount(mount_fd, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	for (unsigned f = 0; f < _PV_FILE_MAX; f++) {
		_cleanup_free_ char *src = strjoin(dir, "/", procview_file_name(f), NULL);
		_cleanup_free_ char *dst = strjoin(root, procview_file_target(f), NULL);

		if (!src || !dst)
			return -ENOMEM;
		if (access(dst, F_OK) < 0)
			continue;
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			return -errno;
		r = mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
			  MS_NOEXEC, NULL);
		if (r < 0)
			return -errno;
	}
	return 0;
}
