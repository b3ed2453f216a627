/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Settings files: parse into a struct run_settings of their own, then fill the command line's
 * gaps.  [Network]/[Interface] keys go to ifspec.c, [Resources] keys to cg-limits.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cg.h"
#include "cleanup.h"
#include "fileio.h"
#include "ifspec.h"
#include "ini.h"
#include "log.h"
#include "settings-file.h"
#include "strutil.h"

struct file_ctx {
	struct run_settings *s;
	const char *file;
	unsigned line;
	char *msg; /* the error, "FILE:LINE: ..." */
};

_printf_(2, 3) static int file_error(struct file_ctx *c, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	free(c->msg);
	if (asprintf(&c->msg, "%s:%u: %s", c->file, c->line, text) < 0) {
		c->msg = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

static int parse_tristate(struct file_ctx *c, const char *key, const char *value, int *ret)
{
	int b;

	if (!*value) {
		*ret = -1;
		return 0;
	}
	b = parse_bool(value);
	if (b < 0)
		return file_error(c, "invalid boolean '%s' for %s= (yes or no)", value, key);
	*ret = b;
	return 0;
}

/*
 * Words separated by whitespace; "double" and 'single' quotes group, a backslash escapes the
 * next character outside single quotes (as systemd's Environment= and Parameters=).
 */
static int split_words(const char *value, char ***ret)
{
	_cleanup_strv_free_ char **words = NULL;
	_cleanup_free_ char *w = malloc(strlen(value) + 1);
	const char *p = value;
	int r;

	if (!w)
		return -ENOMEM;
	for (;;) {
		size_t n = 0;
		char quote = 0;

		p += strspn(p, " \t\n");
		if (!*p)
			break;
		for (; *p && (quote || !strchr(" \t\n", *p)); p++) {
			if (!quote && (*p == '"' || *p == '\''))
				quote = *p;
			else if (quote && *p == quote)
				quote = 0;
			else if (*p == '\\' && quote != '\'' && p[1])
				w[n++] = *++p;
			else
				w[n++] = *p;
		}
		if (quote)
			return -EINVAL;
		w[n] = 0;
		if ((r = strv_extend(&words, w)) < 0)
			return r;
	}
	*ret = steal_ptr(words);
	return 0;
}

/* ---- [Exec] ------------------------------------------------------------------------------ */

static int exec_boot(struct file_ctx *c, const char *key, const char *value)
{
	return parse_tristate(c, key, value, &c->s->boot);
}

static int exec_notify_ready(struct file_ctx *c, const char *key, const char *value)
{
	return parse_tristate(c, key, value, &c->s->notify_ready);
}

static int exec_hostname(struct file_ctx *c, const char *key, const char *value)
{
	if (strlen(value) > 64 || strchr(value, '/'))
		return file_error(c, "invalid host name '%s' for %s= (up to 64 characters)", value,
				  key);
	free(c->s->hostname);
	c->s->hostname = *value ? strdup(value) : NULL;
	return *value && !c->s->hostname ? -ENOMEM : 0;
}

static int exec_environment(struct file_ctx *c, const char *key, const char *value)
{
	_cleanup_strv_free_ char **words = NULL;
	int r;

	if (!*value) {
		strv_free(c->s->environment);
		c->s->environment = NULL;
		return 0;
	}
	r = split_words(value, &words);
	if (r == -EINVAL)
		return file_error(c, "unbalanced quotes in %s=", key);
	for (char **w = words; r >= 0 && w && *w; w++) {
		r = settings_add_env(c->s, *w);
		if (r == -EINVAL)
			return file_error(c, "invalid assignment '%s' for %s= (NAME=VALUE)", *w,
					  key);
	}
	return r;
}

static int exec_parameters(struct file_ctx *c, const char *key, const char *value)
{
	char **words = NULL;
	int r = split_words(value, &words);

	if (r == -EINVAL)
		return file_error(c, "unbalanced quotes in %s=", key);
	if (r < 0)
		return r;
	strv_free(c->s->argv);
	c->s->argv = words;
	return 0;
}

/* ---- [Files] ----------------------------------------------------------------------------- */

static int files_read_only(struct file_ctx *c, const char *key, const char *value)
{
	return parse_tristate(c, key, value, &c->s->read_only);
}

static int files_ephemeral(struct file_ctx *c, const char *key, const char *value)
{
	int b = -1, r = parse_tristate(c, key, value, &b);

	if (r < 0)
		return r;
	if (b > 0)
		c->s->snapshot = SNAPSHOT_EPHEMERAL;
	else if (c->s->snapshot == SNAPSHOT_EPHEMERAL)
		c->s->snapshot = b == 0 ? SNAPSHOT_NONE : SNAPSHOT_UNSET;
	return 0;
}

static int files_overlay(struct file_ctx *c, const char *key, const char *value)
{
	if (strchr(value, ':'))
		return file_error(c, "%s= takes one directory (the root's upper layer); "
				  "systemd-nspawn's overlay mounts (LOWER:...:UPPER:DST) are not "
				  "supported", key);
	if (*value && value[0] != '/')
		return file_error(c, "%s= needs an absolute directory, not '%s'", key, value);
	free(c->s->overlay_dir);
	c->s->overlay_dir = *value ? strdup(value) : NULL;
	return *value && !c->s->overlay_dir ? -ENOMEM : 0;
}

/* SRC[:DST[:OPTIONS]], nspawn's syntax; of the options only "rbind" (what runimg does). */
static int files_bind(struct file_ctx *c, const char *key, const char *value)
{
	_cleanup_free_ char *spec = strdup(value);
	char *opts;
	int r;

	if (!spec)
		return -ENOMEM;
	if (!*value) {
		for (size_t i = 0; i < c->s->n_binds; i++) {
			free(c->s->binds[i].src);
			free(c->s->binds[i].dst);
		}
		c->s->n_binds = 0;
		return 0;
	}
	opts = strchr(spec, ':');
	opts = opts ? strchr(opts + 1, ':') : NULL;
	if (opts) {
		*opts++ = 0;
		if (!streq(opts, "rbind"))
			return file_error(c, "bind option '%s' in %s= is not supported (only "
					  "'rbind': binds are always recursive)", opts, key);
	}
	if (spec[0] == '-' || spec[0] == '+')
		return file_error(c, "the '%c' prefix of systemd-nspawn's %s= is not supported",
				  spec[0], key);
	r = settings_add_bind(c->s, spec, streq(key, "BindReadOnly"));
	if (r == -EINVAL)
		return file_error(c, "invalid %s= '%s' (SRC[:DST], absolute paths)", key, value);
	return r;
}

static int exec_proc_view(struct file_ctx *c, const char *key, const char *value)
{
	int v;

	if (!*value) {
		c->s->proc_view = -1;
		return 0;
	}
	v = proc_view_from_string(value);
	if (v < 0)
		return file_error(c, "invalid value '%s' for %s= (yes, no or strict)", value, key);
	c->s->proc_view = v;
	return 0;
}

/* ---- [Network] Private=; the rest of [Network] and [Interface] ------------------------- */

static int network_private(struct file_ctx *c, const char *key, const char *value)
{
	return parse_tristate(c, key, value, &c->s->private_network);
}

/* Bridge=, VirtualEthernet=, VirtualEthernetExtra= and [Interface]: ifspec.c.  1 when the key
 * is not one of its keys. */
static int netif_key(struct file_ctx *c, const char *section, const char *key, const char *value,
		     const struct ini_pos *pos)
{
	_cleanup_free_ char *msg = NULL;
	int r = netif_config_assign(&c->s->netifs, section, key, value, pos, &msg);

	if (r == -ENOENT)
		return 1;
	if (r == -EINVAL)
		return file_error(c, "%s", msg ? msg : "invalid network setting");
	return r;
}

/* ---- [Resources] --------------------------------------------------------------------------- */

static int resources_key(struct file_ctx *c, const char *key, const char *value)
{
	int r = cg_limits_set_property(&c->s->limits, key, value);

	if (r == -ENOENT)
		return 1;
	if (r == -EINVAL || r == -ERANGE)
		return file_error(c, "invalid value '%s' for %s=%s", value, key,
				  r == -ERANGE ? " (out of range)" : "");
	return r;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

struct file_key {
	const char *section;
	const char *key;
	int (*parse)(struct file_ctx *c, const char *key, const char *value);
};

static const struct file_key keys[] = {
	{ "Exec", "Boot", exec_boot },
	{ "Exec", "Hostname", exec_hostname },
	{ "Exec", "Environment", exec_environment },
	{ "Exec", "Parameters", exec_parameters },
	{ "Exec", "NotifyReady", exec_notify_ready },
	{ "Exec", "ProcView", exec_proc_view },
	{ "Files", "ReadOnly", files_read_only },
	{ "Files", "Ephemeral", files_ephemeral },
	{ "Files", "Overlay", files_overlay },
	{ "Files", "Bind", files_bind },
	{ "Files", "BindReadOnly", files_bind },
	{ "Network", "Private", network_private },
};

/* Keys of the other parsers, for suggestions only. */
static const struct file_key other_keys[] = {
	{ "Network", "Bridge", NULL },
	{ "Network", "VirtualEthernet", NULL },
	{ "Network", "VirtualEthernetExtra", NULL },
	{ "Interface", "Bridge", NULL },
	{ "Interface", "Name", NULL },
	{ "Interface", "Address", NULL },
	{ "Interface", "Gateway", NULL },
	{ "Interface", "MACAddress", NULL },
	{ "Interface", "MTU", NULL },
	{ "Resources", "MemoryMax", NULL },
	{ "Resources", "MemoryHigh", NULL },
	{ "Resources", "MemorySwapMax", NULL },
	{ "Resources", "CPUQuota", NULL },
	{ "Resources", "CPUWeight", NULL },
	{ "Resources", "AllowedCPUs", NULL },
	{ "Resources", "TasksMax", NULL },
	{ "Resources", "IOWeight", NULL },
};

static const char *const sections[] = { "Exec", "Files", "Network", "Interface", "Resources" };

/* systemd-nspawn's keys that runimg does not implement: a clear refusal, not a "typo". */
static const char *const nspawn_only[] = {
	"Exec/ProcessTwo",	  "Exec/User",		      "Exec/WorkingDirectory",
	"Exec/PivotRoot",	  "Exec/Capability",	      "Exec/DropCapability",
	"Exec/AmbientCapability", "Exec/NoNewPrivileges",     "Exec/KillSignal",
	"Exec/Personality",	  "Exec/MachineID",	      "Exec/PrivateUsers",
	"Exec/SystemCallFilter",  "Exec/OOMScoreAdjust",      "Exec/CPUAffinity",
	"Exec/ResolvConf",	  "Exec/Timezone",	      "Exec/LinkJournal",
	"Exec/SuppressSync",	  "Files/Volatile",	      "Files/BindUser",
	"Files/TemporaryFileSystem", "Files/Inaccessible",   "Files/OverlayReadOnly",
	"Files/PrivateUsersOwnership", "Files/PrivateUsersChown", "Network/Interface",
	"Network/MACVLAN",	  "Network/IPVLAN",	      "Network/Zone",
	"Network/Port",
};

static bool is_nspawn_only(const char *section, const char *key)
{
	size_t sl = strlen(section);

	if (streq(section, "Exec") && startswith(key, "Limit"))
		return true;
	for (size_t i = 0; i < ELEMENTSOF(nspawn_only); i++)
		if (strncmp(nspawn_only[i], section, sl) == 0 && nspawn_only[i][sl] == '/' &&
		    streq(nspawn_only[i] + sl + 1, key))
			return true;
	return false;
}

static const char *key_home(const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(keys[i].key, key))
			return keys[i].section;
	for (size_t i = 0; i < ELEMENTSOF(other_keys); i++)
		if (streq(other_keys[i].key, key))
			return other_keys[i].section;
	return NULL;
}

static int unknown_key(struct file_ctx *c, const char *section, const char *key)
{
	const char *cands[ELEMENTSOF(keys) + ELEMENTSOF(other_keys)], *best, *home;
	size_t n = 0;

	if (is_nspawn_only(section, key))
		return file_error(c, "[%s] %s= (a systemd-nspawn setting) is not supported by "
				  "runimg", section, key);
	home = key_home(key);
	if (home && !streq(home, section))
		return file_error(c, "key '%s' belongs in [%s], not in [%s]", key, home, section);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(keys[i].section, section))
			cands[n++] = keys[i].key;
	for (size_t i = 0; i < ELEMENTSOF(other_keys); i++)
		if (streq(other_keys[i].section, section))
			cands[n++] = other_keys[i].key;
	best = suggest_nearest(key, cands, n);
	if (best)
		return file_error(c, "unknown key '%s' in [%s] (did you mean '%s'?)", key, section,
				  best);
	return file_error(c, "unknown key '%s' in [%s]", key, section);
}

static int unknown_section(struct file_ctx *c, const char *section)
{
	const char *best = suggest_nearest(section, sections, ELEMENTSOF(sections));

	if (best)
		return file_error(c, "unknown section [%s] (did you mean [%s]?)", section, best);
	return file_error(c, "unknown section [%s]", section);
}

static int on_assignment(const char *section, const char *key, const char *value,
			 const struct ini_pos *pos, void *userdata)
{
	struct file_ctx *c = userdata;
	size_t i;
	int r;

	c->line = pos->line;
	for (i = 0; i < ELEMENTSOF(sections) && !streq(sections[i], section); i++)
		;
	if (i == ELEMENTSOF(sections))
		return unknown_section(c, section);
	for (i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(keys[i].section, section) && streq(keys[i].key, key))
			return keys[i].parse(c, key, value);
	if (streq(section, "Network") || streq(section, "Interface"))
		r = netif_key(c, section, key, value, pos);
	else if (streq(section, "Resources"))
		r = resources_key(c, key, value);
	else
		r = 1;
	return r == 1 ? unknown_key(c, section, key) : r;
}

int settings_file_parse(struct run_settings *s, const char *buf, size_t len, const char *file,
			char **ret_msg)
{
	struct file_ctx c = { .s = s, .file = file ? file : "settings" };
	struct ini_error ie = { 0 };
	int r;

	r = ini_parse_buffer(buf, len, c.file, on_assignment, &c, &ie);
	if (r == -EBADMSG) {
		c.line = ie.line;
		r = file_error(&c, "%s", ie.msg ? ie.msg : "syntax error");
		if (r == -EINVAL)
			r = -EBADMSG;
	}
	if (r < 0 && !c.msg && asprintf(&c.msg, "%s: %s", c.file, strerror(-r)) < 0)
		c.msg = NULL;
	if (r < 0) {
		*ret_msg = steal_ptr(c.msg);
		return r;
	}
	free(c.msg);
	return 0;
}

int settings_file_load(struct run_settings *s, const char *path, char **ret_msg)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	r = read_full_file(path, &buf, &len);
	if (r < 0) {
		if (asprintf(ret_msg, "cannot read settings file '%s': %s", path, strerror(-r)) < 0)
			*ret_msg = NULL;
		return r;
	}
	return settings_file_parse(s, buf, len, path, ret_msg);
}

/* ---- merging and finding ------------------------------------------------------------------- */

static void take_tristate(int *dst, int src)
{
	if (*dst < 0)
		*dst = src;
}

static void take_str(char **dst, char **src)
{
	if (!*dst)
		*dst = steal_ptr(*src);
}

/* The file's binds first, without those the command line puts at the same destination. */
static int merge_binds(struct run_settings *s, struct run_settings *file)
{
	struct bind_spec *all;
	size_t n = 0;

	all = calloc(s->n_binds + file->n_binds + 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < file->n_binds; i++) {
		bool shadowed = false;

		for (size_t j = 0; j < s->n_binds && !shadowed; j++)
			shadowed = streq(s->binds[j].dst, file->binds[i].dst);
		if (shadowed)
			continue;
		all[n++] = file->binds[i];
		file->binds[i] = (struct bind_spec){ 0 };
	}
	for (size_t j = 0; j < s->n_binds; j++)
		all[n++] = s->binds[j];
	free(s->binds);
	s->binds = all;
	s->n_binds = n;
	return 0;
}

/* The file's environment, with the command line's assignments replacing the same names. */
static int merge_env(struct run_settings *s, struct run_settings *file)
{
	char **cmdline = steal_ptr(s->environment);
	int r = 0;

	s->environment = steal_ptr(file->environment);
	for (char **e = cmdline; r >= 0 && e && *e; e++)
		r = settings_add_env(s, *e);
	strv_free(cmdline);
	return r;
}

int settings_merge_file(struct run_settings *s, struct run_settings *file)
{
	int r;

	if (!s->argv || !s->argv[0]) {
		strv_free(s->argv);
		s->argv = steal_ptr(file->argv);
	}
	take_tristate(&s->boot, file->boot);
	take_tristate(&s->notify_ready, file->notify_ready);
	take_tristate(&s->private_network, file->private_network);
	take_tristate(&s->proc_view, file->proc_view);
	take_str(&s->hostname, &file->hostname);
	/* How the root is written is one choice: the command line's, if it made one. */
	if (s->read_only < 0 && s->snapshot == SNAPSHOT_UNSET && !s->overlay_dir) {
		s->read_only = file->read_only;
		s->snapshot = file->snapshot;
		s->overlay_dir = steal_ptr(file->overlay_dir);
	}
	if ((r = merge_binds(s, file)) < 0 || (r = merge_env(s, file)) < 0)
		return r;
	cg_limits_fill(&s->limits, &file->limits);
	netif_config_merge_file(&s->netifs, &file->netifs);
	return 0;
}

static int first_existing(const char *dir, const char *name, const char *const *suffixes,
			  size_t n, char **ret)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = strjoin(dir, "/", name, suffixes[i], NULL);
		struct stat st;

		if (!p)
			return -ENOMEM;
		if (stat(p, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ||
					  S_ISBLK(st.st_mode))) {
			*ret = steal_ptr(p);
			return 1;
		}
	}
	return 0;
}

int settings_file_find(const char *dir, const char *machine, char **ret)
{
	static const char *const suffixes[] = { ".conf", ".nspawn" };

	return first_existing(dir, machine, suffixes, ELEMENTSOF(suffixes), ret);
}

int settings_find_image(const char *dirs, const char *machine, char **ret)
{
	static const char *const suffixes[] = { ".raw", ".img", "", ".tar", ".tar.gz",
						".tar.xz", ".tar.zst" };
	_cleanup_free_ char *copy = strdup(dirs);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		int r = first_existing(d, machine, suffixes, ELEMENTSOF(suffixes), ret);
		if (r != 0)
			return r;
	}
	return 0;
}

static int apply_file(struct run_settings *s, const char *path)
{
	_cleanup_free_ char *msg = NULL;
	struct run_settings file;
	int r;

	settings_init(&file);
	r = settings_file_load(&file, path, &msg);
	if (r >= 0)
		r = settings_merge_file(s, &file);
	settings_done(&file);
	if (r == -ENOMEM)
		return log_error_errno(r, "cannot load settings file '%s'", path);
	if (r < 0) {
		log_error("%s", msg ? msg : "invalid settings file");
		return -EINVAL;
	}
	log_debug("settings from '%s'", path);
	return 0;
}

int settings_apply_files(struct run_settings *s, const char *explicit_path, const char *conf_dir,
			 const char *image_dirs)
{
	_cleanup_free_ char *found = NULL;
	int r = 0;

	if (explicit_path)
		r = apply_file(s, explicit_path);
	else if (s->machine && machine_name_valid(s->machine) &&
		 (r = settings_file_find(conf_dir, s->machine, &found)) > 0)
		r = apply_file(s, found);
	if (r < 0)
		return r;
	if (s->input || !s->machine || !machine_name_valid(s->machine))
		return 0;
	r = settings_find_image(image_dirs, s->machine, &s->input);
	if (r < 0)
		return log_error_errno(r, "cannot look for the image of machine '%s'", s->machine);
	if (r == 0) {
		log_error("no image given, and none of machine '%s' in %s (NAME.raw, NAME.img, "
			  "NAME/, NAME.tar...)", s->machine, image_dirs);
		return -EINVAL;
	}
	log_debug("machine '%s': image '%s'", s->machine, s->input);
	return 0;
}
