/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkimg clean: remove workspaces no running build holds; --all also the cache. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "strutil.h"
#include "verbs.h"

/* A workspace is stale when nobody holds the flock on its .lock file. */
static bool workspace_stale(const char *ws)
{
	_cleanup_free_ char *lock = strjoin(ws, "/.lock", NULL);
	_cleanup_close_ int fd = -1;

	if (!lock)
		return false;
	fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT; /* died before it could lock */
	return flock(fd, LOCK_EX | LOCK_NB) == 0;
}

static int clean_workspaces(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : log_error_errno(-errno, "cannot open '%s'", dir);
	while ((de = readdir(d))) {
		if (!startswith(de->d_name, "mkimg.") || de->d_type != DT_DIR)
			continue;
		_cleanup_free_ char *ws = strjoin(dir, "/", de->d_name, NULL);
		if (!ws)
			return -ENOMEM;
		if (!workspace_stale(ws)) {
			log_info("keeping '%s': a build is using it", ws);
			continue;
		}
		int q = rm_rf(ws);
		if (q < 0)
			r = log_error_errno(q, "cannot remove '%s'", ws);
		else
			log_info("removed '%s'", ws);
	}
	return r;
}

int verb_clean(const struct mkimg_args *a)
{
	int r;

	r = clean_workspaces(a->workspace_dir);
	if (a->all && path_exists(a->cache_dir)) {
		int q = rm_rf(a->cache_dir);
		if (q < 0)
			r = log_error_errno(q, "cannot remove cache '%s'", a->cache_dir);
		else
			log_info("removed cache '%s'", a->cache_dir);
	}
	return r < 0 ? EXIT_STEP_FAILED : 0;
}
