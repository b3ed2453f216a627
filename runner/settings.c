/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "settings.h"
#include "strutil.h"

void settings_init(struct run_settings *s)
{
	*s = (struct run_settings){
		.input_hint = INPUT_AUTO,
		.boot = -1,
		.read_only = -1,
		.snapshot = SNAPSHOT_UNSET,
		.private_network = -1,
		.notify_ready = -1,
		.timeout_usec = -1,
		.proc_view = -1,
		.state_dir = RUNIMG_STATE_DIR,
		.cache_dir = RUNIMG_CACHE_DIR,
	};
	cg_limits_init(&s->limits);
	netif_config_init(&s->netifs);
}

void settings_done(struct run_settings *s)
{
	free(s->input);
	strv_free(s->argv);
	free(s->machine);
	free(s->hostname);
	free(s->overlay_dir);
	for (size_t i = 0; i < s->n_binds; i++) {
		free(s->binds[i].src);
		free(s->binds[i].dst);
	}
	free(s->binds);
	strv_free(s->environment);
	netif_config_done(&s->netifs);
	settings_init(s);
}

static bool path_is_clean_absolute(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; *c; c = strchrnul(c + 1, '/'))
		if (startswith(c, "/../") || streq(c, "/.."))
			return false;
	return true;
}

int settings_add_bind(struct run_settings *s, const char *spec, bool read_only)
{
	_cleanup_free_ char *src = NULL, *dst = NULL;
	const char *colon = strchr(spec, ':');
	struct bind_spec *nb;

	src = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
	dst = strdup(colon && colon[1] ? colon + 1 : src ? src : "");
	if (!src || !dst)
		return -ENOMEM;
	if (!path_is_clean_absolute(src) || !path_is_clean_absolute(dst) || strchr(dst, ':'))
		return -EINVAL;
	nb = realloc(s->binds, (s->n_binds + 1) * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	s->binds = nb;
	s->binds[s->n_binds++] = (struct bind_spec){
		.src = steal_ptr(src),
		.dst = steal_ptr(dst),
		.read_only = read_only,
	};
	return 0;
}

static bool env_name_valid(const char *a, size_t n)
{
	if (n == 0 || isdigit((unsigned char)a[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)a[i]) && a[i] != '_')
			return false;
	return true;
}

int settings_add_env(struct run_settings *s, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	size_t n;

	if (!eq || !env_name_valid(assignment, (size_t)(eq - assignment)))
		return -EINVAL;
	n = (size_t)(eq - assignment) + 1;
	for (char **e = s->environment; e && *e; e++)
		if (strncmp(*e, assignment, n) == 0) {
			char *copy = strdup(assignment);
			if (!copy)
				return -ENOMEM;
			free(*e);
			*e = copy;
			return 0;
		}
	return strv_extend(&s->environment, assignment);
}

int settings_set_timeout(struct run_settings *s, const char *value)
{
	char *end;
	double v, mult = 1e6;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || !isfinite(v) || v < 0)
		return -EINVAL;
	if (streq(end, "ms"))
		mult = 1e3;
	else if (streq(end, "min"))
		mult = 60e6;
	else if (*end && !streq(end, "s"))
		return -EINVAL;
	if (v * mult > 1e15)
		return -ERANGE;
	s->timeout_usec = (int64_t)(v * mult);
	return 0;
}

static int finalize_snapshot(struct run_settings *s, const char **ret_msg)
{
	if (s->snapshot == SNAPSHOT_UNSET)
		s->snapshot = s->overlay_dir ? SNAPSHOT_OVERLAY : SNAPSHOT_NONE;
	if (s->snapshot == SNAPSHOT_OVERLAY && !s->overlay_dir) {
		*ret_msg = "an overlay needs a directory (--overlay DIR)";
		return -EINVAL;
	}
	if (s->snapshot == SNAPSHOT_EPHEMERAL && s->overlay_dir) {
		*ret_msg = "--ephemeral and --overlay cannot be combined";
		return -EINVAL;
	}
	if (s->overlay_dir && s->overlay_dir[0] != '/') {
		*ret_msg = "--overlay needs an absolute directory";
		return -EINVAL;
	}
	if (s->overlay_dir && strpbrk(s->overlay_dir, ",:\\")) {
		*ret_msg = "--overlay directory names cannot contain ',', ':' or '\\' (overlayfs)";
		return -EINVAL;
	}
	if (s->read_only > 0 && s->snapshot != SNAPSHOT_NONE) {
		*ret_msg = "--read-only cannot be combined with --ephemeral or --overlay";
		return -EINVAL;
	}
	return 0;
}

int proc_view_from_string(const char *value)
{
	int b;

	if (streq(value, "strict"))
		return PROC_VIEW_STRICT;
	b = parse_bool(value);
	return b < 0 ? b : b ? PROC_VIEW_CACHED : PROC_VIEW_NO;
}

int settings_set_proc_view(struct run_settings *s, const char *value)
{
	int v = proc_view_from_string(value);

	if (v < 0)
		return v;
	s->proc_view = v;
	return 0;
}

int settings_finalize(struct run_settings *s, const char **ret_msg)
{
	int r;

	if (!s->input) {
		*ret_msg = "no image, directory or tarball given";
		return -EINVAL;
	}
	if (s->boot < 0)
		s->boot = 0;
	if (s->read_only < 0)
		s->read_only = 0;
	/* Bridged interfaces live in the machine's own network namespace (as in nspawn). */
	if (s->netifs.n > 0)
		s->private_network = 1;
	if (s->private_network < 0)
		s->private_network = 0;
	if (s->notify_ready < 0)
		s->notify_ready = 0;
	if (s->timeout_usec < 0)
		s->timeout_usec = (int64_t)RUNIMG_DEFAULT_TIMEOUT_USEC;
	if (s->proc_view < 0)
		s->proc_view = PROC_VIEW_CACHED;
	r = finalize_snapshot(s, ret_msg);
	if (r < 0)
		return r;
	if (s->machine && !machine_name_valid(s->machine)) {
		*ret_msg = "invalid machine name (letters, digits, '-', '_', '.'; up to 64)";
		return -EINVAL;
	}
	if (s->hostname && (!*s->hostname || strlen(s->hostname) > 64)) {
		*ret_msg = "invalid host name (1 to 64 characters)";
		return -EINVAL;
	}
	return 0;
}

static bool name_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

bool machine_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok(name[i]))
			return false;
	return true;
}

int machine_name_from_path(const char *path, char **ret)
{
	static const char *const exts[] = {
		".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2", ".tgz", ".txz",
		".tar",	   ".raw",    ".img",	  ".ext4",    ".gpt",
	};
	_cleanup_free_ char *copy = strdup(path);
	char *base, *e;

	if (!copy)
		return -ENOMEM;
	for (e = copy + strlen(copy); e > copy + 1 && e[-1] == '/'; e--)
		e[-1] = 0;
	base = strrchr(copy, '/');
	base = base ? base + 1 : copy;
	for (size_t i = 0; i < ELEMENTSOF(exts); i++)
		if ((e = (char *)endswith(base, exts[i])) && e > base) {
			*e = 0;
			break;
		}
	for (char *c = base; *c; c++)
		if (!name_char_ok(*c))
			*c = '-';
	while (*base == '.' || *base == '-')
		base++;
	if (strlen(base) > 64)
		base[64] = 0;
	if (!*base)
		base = "machine";
	*ret = strdup(base);
	return *ret ? 0 : -ENOMEM;
}
