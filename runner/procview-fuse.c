/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /proc view's FUSE server: a detached mount (fsopen/fsmount, never attached on the host)
 * and a helper process that serves it with libfuse3's low-level API, one thread, and samples
 * the load average every 5 s.  By default the helper keeps the text of each file and pushes it
 * into the kernel's page cache, which serves the reads (see store_snapshot and refresh_cached);
 * with --proc-view strict each open file has a text of its own instead (see strict_open).
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
#define ENTRY_TIMEOUT 86400.0
#define ATTR_TIMEOUT 0.1	     /* a read to the end re-renders at most this often */
#define RENDER_AGAIN_NS 10000000ULL  /* a getattr within 10 ms keeps the text */
#define TICK_NS 125000000ULL	     /* the timer: cached text older than half a tick is new */
#define SAMPLE_EVERY 40		     /* ticks between load average samples (5 s) */
#define IDLE_NS 1000000000ULL	     /* no request for this long: the cache is dropped */
#define FAR_OFFSET (1LL << 30)	     /* see drop_cache */

static int file_of(fuse_ino_t ino)
{
	return ino >= INO_FILE0 && ino < INO_FILE0 + _PV_FILE_MAX ? (int)(ino - INO_FILE0) : -1;
}

/* The text of a file: what the kernel's page cache holds of it, and what READ serves. */
struct snapshot {
	char *text;
	size_t len;
	uint64_t at;	  /* CLOCK_MONOTONIC ns of the render */
	uint64_t used_at; /* of the last request about the file */
	bool cached;	  /* the page cache and i_size may hold this text */
};

struct server {
	struct procview *v;
	struct fuse_session *se;
	struct snapshot snap[_PV_FILE_MAX];
	unsigned ticks;
	bool strict;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Returns 1 when the text changed, 0 when it is the same. */
static int render_snapshot(struct server *srv, int f)
{
	struct snapshot *s = &srv->snap[f];
	char *text = NULL;
	size_t len = 0;
	int r;

	r = procview_render(srv->v, (enum procview_file)f, &text, &len);
	if (r < 0)
		return r;
	r = !s->text || len != s->len || memcmp(text, s->text, len) != 0;
	free(s->text);
	s->text = text;
	s->len = len;
	s->at = now_ns();
	return r;
}

/*
 * Opens are not sent (open returns ENOSYS once, so the kernel keeps the page cache of every
 * open), reads come from the page cache, which the server fills itself: a read that reaches
 * past i_size asks for the attributes when they are older than ATTR_TIMEOUT, and getattr
 * renders the file anew, stores the text and answers its length (EXPLICIT_INVAL_DATA: a new
 * length truncates the cache, it does not drop it).  A reader that never reaches the end
 * (or splices) gets new text from the timer (refresh_cached).
 */
static void store_snapshot(struct server *srv, fuse_ino_t ino, bool new_pages)
{
	struct snapshot *s = &srv->snap[file_of(ino)];
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(s->len);

	/*
	 * New pages, not the old ones overwritten: a reader copying from an old page keeps it
	 * whole.  A shorter text leaves its last page not up to date (i_size is still the old
	 * length), so reading it asks READ, whose short answer shrinks i_size.
	 */
	if (new_pages)
		(void)fuse_lowlevel_notify_inval_inode(srv->se, ino, 0, 0);
	bv.buf[0].mem = s->text;
	if (s->len && fuse_lowlevel_notify_store(srv->se, ino, 0, &bv, 0) == 0)
		s->cached = true;
}

static void fill_attr(struct server *srv, fuse_ino_t ino, struct stat *st)
{
	*st = (struct stat){ .st_ino = ino, .st_nlink = 1 };
	st->st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0555 : S_IFREG | 0444;
	if (file_of(ino) >= 0)
		st->st_size = (off_t)srv->snap[file_of(ino)].len;
}

static void pv_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	if (conn->capable & FUSE_CAP_EXPLICIT_INVAL_DATA)
		conn->want |= FUSE_CAP_EXPLICIT_INVAL_DATA;
}

static void pv_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .attr_timeout = ATTR_TIMEOUT, .entry_timeout = ENTRY_TIMEOUT };
	struct server *srv = fuse_req_userdata(req);

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (unsigned f = 0; f < _PV_FILE_MAX; f++) {
		if (!streq(name, procview_file_name(f)))
			continue;
		e.ino = INO_FILE0 + f;
		fill_attr(srv, e.ino, &e.attr);
		/* Not in the cache yet: as after drop_cache, the first read renders it. */
		if (!srv->strict && !srv->snap[f].cached) {
			e.attr.st_size = FAR_OFFSET + 1;
			e.attr_timeout = 0;
		}
		fuse_reply_entry(req, &e);
		return;
	}
	fuse_reply_err(req, ENOENT);
}

static void pv_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct server *srv = fuse_req_userdata(req);
	int f = file_of(ino), r = 0;
	struct stat st;

	if (ino != FUSE_ROOT_ID && f < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (f >= 0) {
		srv->snap[f].used_at = now_ns();
		if (!srv->snap[f].text || now_ns() - srv->snap[f].at >= RENDER_AGAIN_NS) {
			r = render_snapshot(srv, f);
			if (r < 0) {
				fuse_reply_err(req, -r);
				return;
			}
		}
		/* New pages drop the attributes this reply brings: the next read asks again. */
		store_snapshot(srv, ino, r > 0);
	}
	fill_attr(srv, ino, &st);
	fuse_reply_attr(req, &st, f >= 0 ? ATTR_TIMEOUT : ENTRY_TIMEOUT);
}

static void pv_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, ENOSYS); /* no OPEN requests any more; the mount is read-only */
}

/* READ's answer: size bytes of text at off, fewer at its end, none past it. */
static void reply_range(fuse_req_t req, const char *text, size_t len, size_t size, off_t off)
{
	if ((size_t)off >= len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	fuse_reply_buf(req, text + off, size < len - (size_t)off ? size : len - (size_t)off);
}

/* The page cache missed (first read, or its pages were dropped): the current text. */
static void pv_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct server *srv = fuse_req_userdata(req);
	struct snapshot *s;
	int r, f = file_of(ino);

	if (f < 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	s = &srv->snap[f];
	/* After drop_cache: a new text, whose short answer sets i_size. */
	if ((!s->text || (!s->cached && off == 0)) && (r = render_snapshot(srv, f)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	s->cached = true;
	s->used_at = now_ns();
	reply_range(req, s->text, s->len, size, off);
}

/*
 * A file nobody asked about for IDLE_NS (reads from the cache ask nothing) stops being
 * rendered: its pages go, and a byte stored at FAR_OFFSET raises i_size beyond any text, so
 * the next read, by read() or splice, asks READ, which renders anew and whose short answer
 * sets i_size to the text's length.  (Without it a longer text would be cut at the old
 * length by splice, which does not ask for attributes.)
 */
static void drop_cache(struct server *srv, int f)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(1);

	bv.buf[0].mem = (char *)"\n";
	srv->snap[f].cached = false;
	(void)fuse_lowlevel_notify_inval_inode(srv->se, INO_FILE0 + f, 0, 0);
	(void)fuse_lowlevel_notify_store(srv->se, INO_FILE0 + f, FAR_OFFSET, &bv, 0);
}

/*
 * Every tick: text in the page cache older than half a tick is rendered anew and stored, so
 * readers that never reach the end, or splice (sendfile), which asks for no attributes, see
 * new values too.
 */
static void refresh_cached(struct server *srv)
{
	uint64_t now = now_ns();

	for (int f = 0; f < _PV_FILE_MAX; f++) {
		struct snapshot *s = &srv->snap[f];

		if (!s->cached || now - s->at < TICK_NS / 2)
			continue;
		if (now - s->used_at >= IDLE_NS) {
			drop_cache(srv, f);
			continue;
		}
		if (render_snapshot(srv, f) > 0)
			store_snapshot(srv, INO_FILE0 + f, true);
	}
}

static const struct fuse_lowlevel_ops pv_ops = {
	.init = pv_init,
	.lookup = pv_lookup,
	.getattr = pv_getattr,
	.open = pv_open,
	.read = pv_read,
};

/*
 * --proc-view strict: each open file has its own text, rendered when it is opened and again
 * by a read at offset 0 (procps keeps the file open, seeks back and reads again), so a reader
 * sees one consistent text however it splits its reads, as with lxcfs.  Reads are direct: a
 * trip to the helper each, which is what makes this mode slower.  The files are size 0, like
 * the kernel's /proc files, but splice (sendfile, which busybox cat uses) reads through the
 * page cache up to i_size: so each render is stored there too, which raises i_size; a shorter
 * text shrinks it again when its read comes back short.
 */
struct handle {
	char *text;
	size_t len;
	bool fresh; /* rendered by open, not read yet */
};

static int strict_render(struct server *srv, fuse_ino_t ino, struct handle *h)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);
	int r;

	free(h->text);
	h->text = NULL;
	r = procview_render(srv->v, (enum procview_file)file_of(ino), &h->text, &h->len);
	if (r < 0)
		return r;
	bv.buf[0].mem = h->text;
	bv.buf[0].size = h->len;
	if (h->len)
		(void)fuse_lowlevel_notify_store(srv->se, ino, 0, &bv, 0);
	return 0;
}

static void strict_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	if (ino != FUSE_ROOT_ID && file_of(ino) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	st = (struct stat){ .st_ino = ino, .st_nlink = 1 };
	st.st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0555 : S_IFREG | 0444;
	fuse_reply_attr(req, &st, ENTRY_TIMEOUT);
}

static void strict_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h;
	int r;

	if (file_of(ino) < 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = strict_render(fuse_req_userdata(req), ino, h);
	if (r < 0) {
		free(h);
		fuse_reply_err(req, -r);
		return;
	}
	h->fresh = true;
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->direct_io = 1;
	if (fuse_reply_open(req, fi) == -ENOENT) { /* the open was interrupted */
		free(h->text);
		free(h);
	}
}

static void strict_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	int r;

	if (off == 0 && !h->fresh) {
		r = strict_render(fuse_req_userdata(req), ino, h);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
	}
	h->fresh = false;
	reply_range(req, h->text, h->len, size, off);
}

static void strict_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	if (h)
		free(h->text);
	free(h);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops strict_ops = {
	.lookup = pv_lookup,
	.getattr = strict_getattr,
	.open = strict_open,
	.read = strict_read,
	.release = strict_release,
};

enum { P_FUSE, P_TIMER, P_CTL, P_NOTIFY, _P_MAX };

/* Not FUSE: the 125 ms timer, the listener fd from runimg, sysinfo() calls.  false: stop. */
static bool other_events(struct server *srv, struct pollfd *p)
{
	struct procview *v = srv->v;
	uint64_t ticks;
	char tag;
	int fd;

	if (p[P_TIMER].revents && read(p[P_TIMER].fd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
		srv->ticks += (unsigned)ticks;
		if (srv->ticks >= SAMPLE_EVERY) {
			srv->ticks = 0;
			procview_sample(v);
		}
		refresh_cached(srv);
	}
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

/* The helper's loop: FUSE requests, the timer (refreshes, load average), sysinfo() calls. */
static int serve(struct procview *v, bool strict, int fuse_fd, int ctl_fd)
{
	char *argv[] = { (char *)"runimg-procview", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_buf buf = { 0 };
	struct server srv = { .v = v, .strict = strict };
	const struct fuse_lowlevel_ops *ops = strict ? &strict_ops : &pv_ops;
	struct fuse_session *se = fuse_session_new(&args, ops, sizeof(*ops), &srv);
	const struct itimerspec tick = { { 0, TICK_NS }, { 0, TICK_NS } };
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
	    timerfd_settime(p[P_TIMER].fd, 0, &tick, NULL) < 0)
		return -EIO;
	procview_sample(v);
	while (!fuse_session_exited(se)) {
		if (poll(p, _P_MAX, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (!other_events(&srv, p))
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
	for (int f = 0; f < _PV_FILE_MAX; f++)
		free(srv.snap[f].text);
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
	_exit(serve(v, c->strict, 3, 4) < 0 ? 1 : 0);
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
