/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Module stream filtering for EL8+ AppStream (see rpm-modules.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <solv/bitmap.h>
#include <solv/repo.h>

#include "fileio.h"
#include "log.h"
#include "rpm-modules.h"
#include "strutil.h"

struct doc {
	char kind;		/* 'm' modulemd, 'd' modulemd-defaults, 0 other */
	char *name, *stream;
	char **rpms;
};

struct defaults {
	char **modules, **streams;	/* parallel lists */
};

static char *scalar(const char *v)
{
	_cleanup_free_ char *copy = strdup(v);
	char *s;
	size_t n;

	if (!copy)
		return NULL;
	s = strstrip(copy);
	n = strlen(s);
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s[n - 1] = 0;
		s++;
	}
	return strdup(s);
}

/* One line of a document: "document: X", data's "  name:", "  stream:", "  module:", and
 * the items of "    rpms:" under "  artifacts:". */
static int doc_line(struct doc *d, const char *l, bool *in_artifacts, bool *in_rpms)
{
	const char *v;
	size_t indent = strspn(l, " ");

	if ((v = startswith(l, "document:")))
		d->kind = strstr(v, "modulemd-defaults") ? 'd' : strstr(v, "modulemd") ? 'm' : 0;
	if (indent <= 2 && l[indent])
		*in_artifacts = *in_rpms = false;
	if (indent == 2 && ((v = startswith(l, "  name:")) || (v = startswith(l, "  module:"))))
		return (d->name = scalar(v)) ? 0 : -ENOMEM;
	if (indent == 2 && (v = startswith(l, "  stream:")))
		return (d->stream = scalar(v)) ? 0 : -ENOMEM;
	if (indent == 2 && startswith(l, "  artifacts:"))
		*in_artifacts = true;
	else if (*in_rpms && indent >= 4 && (v = startswith(l + indent, "- ")))
		return strv_push(&d->rpms, scalar(v));
	else if (*in_artifacts && indent == 4)
		*in_rpms = startswith(l, "    rpms:") != NULL;
	return 0;
}

static int doc_end(struct doc *d, struct defaults *def, char ***streams_rpms)
{
	int r = 0;

	if (d->kind == 'd' && d->name && d->stream) {
		r = strv_extend(&def->modules, d->name);
		if (r >= 0)
			r = strv_extend(&def->streams, d->stream);
	} else if (d->kind == 'm') {
		if (!d->name || !d->stream)
			r = -EBADMSG;
		/* "name stream" once per stream, then its rpms, each as "name stream\tNEVRA" */
		for (size_t i = 0; r >= 0 && d->rpms && d->rpms[i]; i++)
			r = strv_push(streams_rpms, strjoin(d->name, " ", d->stream, "\t", d->rpms[i],
							    NULL));
	}
	free(d->name);
	free(d->stream);
	strv_free(d->rpms);
	*d = (struct doc){};
	return r;
}

static bool is_default(const struct defaults *def, const char *name, size_t name_len,
		       const char *stream, size_t stream_len)
{
	for (size_t i = 0; def->modules && def->modules[i]; i++)
		if (strlen(def->modules[i]) == name_len && !strncmp(def->modules[i], name, name_len))
			return strlen(def->streams[i]) == stream_len &&
			       !strncmp(def->streams[i], stream, stream_len);
	return false;
}

int rpm_modules_nondefault(const char *yaml, char ***excluded)
{
	_cleanup_free_ char *text = strdup(yaml);
	_cleanup_strv_free_ char **all = NULL;
	struct defaults def = {};
	struct doc d = {};
	bool in_artifacts = false, in_rpms = false;
	char *save = NULL;
	int r = 0;

	if (!text)
		return -ENOMEM;
	for (char *l = strtok_r(text, "\n", &save); r >= 0 && l; l = strtok_r(NULL, "\n", &save)) {
		if (streq(l, "---") || streq(l, "...")) {
			r = doc_end(&d, &def, &all);
			in_artifacts = in_rpms = false;
		} else {
			r = doc_line(&d, l, &in_artifacts, &in_rpms);
		}
	}
	if (r >= 0)
		r = doc_end(&d, &def, &all);
	for (size_t i = 0; r >= 0 && all && all[i]; i++) {
		const char *sp = strchr(all[i], ' '), *tab = strchr(all[i], '\t');
		if (!is_default(&def, all[i], sp - all[i], sp + 1, tab - sp - 1))
			r = strv_extend(excluded, tab + 1);
	}
	strv_free(def.modules);
	strv_free(def.streams);
	return r;
}

/* "name-0:1.0-1.x86_64" -> "name-1.0-1.x86_64", as pool_solvable2str() writes it. */
static char *libsolv_nevra(const char *nevra)
{
	const char *colon = strchr(nevra, ':'), *dash = colon;
	char *o;

	while (dash && dash > nevra && *dash != '-')
		dash--;
	if (!colon || *dash != '-' || colon - dash != 2 || dash[1] != '0')
		return strdup(nevra);
	o = malloc(strlen(nevra));
	if (!o)
		return NULL;
	memcpy(o, nevra, dash + 1 - nevra);
	strcpy(o + (dash + 1 - nevra), colon + 1);
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect_excluded(struct rpmmd_repo *repos, size_t n, char ***ret)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *yaml = NULL;
		if (!repos[i].modules)
			continue;
		r = read_full_file(repos[i].modules, &yaml, NULL);
		if (r >= 0)
			r = rpm_modules_nondefault(yaml, ret);
		if (r == -EBADMSG)
			log_error("modules.yaml of repository '%s' has a module without name or "
				  "stream", repos[i].id);
		else if (r < 0)
			log_error_errno(r, "cannot read modules.yaml of repository '%s'",
					repos[i].id);
	}
	for (size_t i = 0; r >= 0 && *ret && (*ret)[i]; i++) {
		char *s = libsolv_nevra((*ret)[i]);
		if (!s)
			return -ENOMEM;
		free((*ret)[i]);
		(*ret)[i] = s;
	}
	return r;
}

int rpm_modules_exclude(Pool *pool, struct rpmmd_repo *repos, size_t n)
{
	_cleanup_strv_free_ char **excluded = NULL;
	size_t count, hidden = 0;
	Solvable *s;
	Id p;
	int r;

	r = collect_excluded(repos, n, &excluded);
	count = strv_length(excluded);
	if (r < 0 || count == 0)
		return r;
	qsort(excluded, count, sizeof(char *), cmp_str);
	if (!pool->considered) {
		pool->considered = solv_calloc(1, sizeof(Map));
		map_init(pool->considered, pool->nsolvables);
		map_setall(pool->considered);
	}
	FOR_POOL_SOLVABLES(p) {
		const char *str;
		s = pool->solvables + p;
		str = pool_solvable2str(pool, s);
		if (bsearch(&str, excluded, count, sizeof(char *), cmp_str)) {
			MAPCLR(pool->considered, p);
			hidden++;
		}
	}
	log_info("left out %zu packages of non-default module streams", hidden);
	return 0;
}
