/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Debian/Ubuntu resolution: every verified Packages index becomes a libsolv repo of a
 * DISTTYPE_DEB pool, the base set (Essential: yes, Priority: required, apt) plus the recipe's
 * packages (names, or names with a version relation: solve-pin.c) become install jobs,
 * RemovePackages= become erase jobs (with nothing installed they forbid the package), and
 * libsolv's transaction order is the install order.
 *
 * libsolv keeps neither Essential:, Priority: nor Size: from a Packages file, so each index is
 * also scanned once here; its paragraphs and the solvables libsolv adds for it correspond one
 * to one, in file order (checked by name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <solv/bitmap.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/solver.h>
#include <solv/transaction.h>

#include "fileio.h"
#include "log.h"
#include "solve-pin.h"
#include "solve.h"
#include "strutil.h"

/* What the scan keeps of one paragraph; name points into the index buffer. */
struct para {
	const char *name;
	size_t name_len;
	uint64_t size;
	bool essential, required;
};

struct index_scan {
	const struct apt_index *index;
	char *buf;
	size_t len;
	struct para *paras;
	size_t n;
	Repo *repo;
};

struct solver_ctx {
	Pool *pool;
	Solver *solver;
	Transaction *trans;
	struct index_scan *scans;
	size_t n_scans;
};

/* The value of field name in the paragraph [p, end), or NULL. */
static const char *para_field(const char *p, const char *end, const char *name, size_t *ret_len)
{
	size_t nl = strlen(name);

	for (const char *l = p; l && l < end;) {
		const char *eol = memchr(l, '\n', end - l);
		if (!eol)
			eol = end;
		if ((size_t)(eol - l) > nl && l[nl] == ':' && strncasecmp(l, name, nl) == 0) {
			const char *v = l + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*ret_len = eol - v;
			return v;
		}
		l = eol + 1;
	}
	return NULL;
}

static bool value_is(const char *v, size_t len, const char *want)
{
	return v && len == strlen(want) && strncasecmp(v, want, len) == 0;
}

static int scan_paragraph(struct index_scan *s, const char *p, const char *end)
{
	const char *v;
	struct para *n, *q;
	size_t len;

	v = para_field(p, end, "Package", &len);
	if (!v)
		return 0; /* libsolv skips these too */
	if (s->n % 1024 == 0) {
		n = realloc(s->paras, (s->n + 1024) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->paras = n;
	}
	q = &s->paras[s->n++];
	*q = (struct para){ .name = v, .name_len = len };
	v = para_field(p, end, "Essential", &len);
	q->essential = value_is(v, len, "yes");
	v = para_field(p, end, "Priority", &len);
	q->required = value_is(v, len, "required");
	v = para_field(p, end, "Size", &len);
	if (v)
		q->size = strtoull(v, NULL, 10);
	return 0;
}

static int scan_index(struct index_scan *s)
{
	const char *p, *end;
	int r;

	r = read_full_file(s->index->path, &s->buf, &s->len);
	if (r < 0)
		return log_error_errno(r, "cannot read package index '%s'", s->index->path);
	end = s->buf + s->len;
	for (p = s->buf; p < end;) {
		const char *e = memmem(p, end - p, "\n\n", 2);
		const char *pe = e ? e + 1 : end;
		if (pe > p + 1) {
			r = scan_paragraph(s, p, pe);
			if (r < 0)
				return r;
		}
		p = e ? e + 2 : end;
		while (p < end && *p == '\n')
			p++;
	}
	return 0;
}

static int load_index(struct solver_ctx *c, struct index_scan *s)
{
	FILE *f;
	int r;

	r = scan_index(s);
	if (r < 0)
		return r;
	s->repo = repo_create(c->pool, s->index->component);
	s->repo->appdata = s;
	f = fmemopen(s->buf, s->len, "r");
	if (!f)
		return log_error_errno(-errno, "cannot read package index '%s'", s->index->path);
	r = repo_add_debpackages(s->repo, f, 0);
	fclose(f);
	if (r != 0)
		return log_error_errno(-EBADMSG, "cannot parse package index '%s': %s",
				       s->index->path, pool_errstr(c->pool));
	if ((size_t)s->repo->nsolvables != s->n)
		return log_error_errno(-EBADMSG,
				       "package index '%s': %zu paragraphs but %d packages parsed",
				       s->index->path, s->n, s->repo->nsolvables);
	return 0;
}

/* The scan record of solvable p, or NULL if the two disagree about it. */
static const struct para *para_of(struct solver_ctx *c, Id p)
{
	Solvable *s = pool_id2solvable(c->pool, p);
	struct index_scan *sc = s->repo->appdata;
	Id i = p - s->repo->start;
	const char *name = pool_id2str(c->pool, s->name);

	if (!sc || i < 0 || (size_t)i >= sc->n)
		return NULL;
	if (strlen(name) != sc->paras[i].name_len ||
	    strncmp(name, sc->paras[i].name, sc->paras[i].name_len) != 0)
		return NULL;
	return &sc->paras[i];
}

/* Names of real packages: what a Provides: of another package must not outrank. */
static void mark_names(Pool *pool, Map *names)
{
	Id p;
	Solvable *s;

	map_init(names, pool->ss.nstrings);
	FOR_POOL_SOLVABLES(p) {
		s = pool_id2solvable(pool, p);
		MAPSET(names, s->name);
	}
}

/*
 * apt prefers a real package over others that merely provide its name (libsystemd0 over
 * libelogind0's "Provides: libsystemd0"); libsolv would pick the alphabetically first.
 * Disfavouring every package that provides another real package's name restores apt's choice
 * without forbidding anything.
 */
static void disfavor_impostors(Pool *pool, Queue *job)
{
	Map names;
	Id p, *pp;
	Solvable *s;

	mark_names(pool, &names);
	FOR_POOL_SOLVABLES(p) {
		s = pool_id2solvable(pool, p);
		if (!s->provides)
			continue;
		for (pp = s->repo->idarraydata + s->provides; *pp; pp++) {
			Id name = ISRELDEP(*pp) ? GETRELDEP(pool, *pp)->name : *pp;
			if (name != s->name && name < names.size * 8 && MAPTST(&names, name)) {
				queue_push2(job, SOLVER_DISFAVOR | SOLVER_SOLVABLE, p);
				break;
			}
		}
	}
	map_free(&names);
}

static bool name_exists(Pool *pool, Id name)
{
	Id p, pp;

	FOR_PROVIDES(p, pp, name)
		if (pool_id2solvable(pool, p)->name == name)
			return true;
	return false;
}

/* Install jobs for the base set; a name in RemovePackages= is left out of it. */
static void add_base_jobs(struct solver_ctx *c, const struct solve_request *req, Queue *job)
{
	Pool *pool = c->pool;
	Map seen;

	map_init(&seen, pool->ss.nstrings);
	for (size_t i = 0; i < c->n_scans; i++)
		for (size_t j = 0; j < c->scans[i].n; j++) {
			const struct para *q = &c->scans[i].paras[j];
			Id name;
			if (!q->essential && !q->required)
				continue;
			name = pool_strn2id(pool, q->name, q->name_len, 0);
			if (!name || MAPTST(&seen, name))
				continue;
			MAPSET(&seen, name);
			if (req->remove && strv_contains(req->remove, pool_id2str(pool, name))) {
				if (q->essential)
					log_warning("RemovePackages=%s: leaving out an essential "
						    "package", pool_id2str(pool, name));
				continue;
			}
			queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, name);
		}
	map_free(&seen);
}

/* The install job of one Packages= entry: a name, a virtual name, or a pinned name. */
static int add_package_job(Pool *pool, const struct solve_request *req, const char *entry,
			   Queue *job)
{
	struct pkg_spec spec;
	Id name;

	if (solve_entry_spec(entry, req->remove, &spec) < 0)
		return -EINVAL;
	if (spec.op)
		return solve_pin_job(pool, entry, &spec, job);
	name = pool_str2id(pool, entry, 0);
	if (!name || !pool_whatprovides(pool, name)) {
		log_error("package '%s' not found in any repository", entry);
		return -ENOENT;
	}
	/* A virtual name (Provides: only) lets libsolv choose a provider. */
	queue_push2(job, SOLVER_INSTALL | (name_exists(pool, name) ? SOLVER_SOLVABLE_NAME
								   : SOLVER_SOLVABLE_PROVIDES),
		    name);
	return 0;
}

static int add_request_jobs(struct solver_ctx *c, const struct solve_request *req, Queue *job)
{
	Pool *pool = c->pool;
	Id name;
	int r;

	for (size_t i = 0; req->extra && req->extra[i]; i++) {
		name = pool_str2id(pool, req->extra[i], 0);
		if (name && name_exists(pool, name))
			queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, name);
	}
	name = pool_str2id(pool, "apt", 0);
	if (name && name_exists(pool, name) && !strv_contains(req->remove, "apt"))
		queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, name);
	for (size_t i = 0; req->packages && req->packages[i]; i++) {
		r = add_package_job(pool, req, req->packages[i], job);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; req->remove && req->remove[i]; i++) {
		name = pool_str2id(pool, req->remove[i], 1);
		queue_push2(job, SOLVER_ERASE | SOLVER_SOLVABLE_NAME, name);
	}
	return 0;
}

/* One line per possible fix: "a; b; c", long ones cut after a few elements. */
static void log_solution(Solver *solv, Id problem, Id solution)
{
	char line[512] = "";
	Id e = 0, p, rp;
	unsigned n = 0;

	while ((e = solver_next_solutionelement(solv, problem, solution, e, &p, &rp)) != 0) {
		if (++n <= 3)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
				 n > 1 ? "; " : "", solver_solutionelement2str(solv, p, rp));
	}
	if (n > 3)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "; and %u more", n - 3);
	log_error("  possible fix: %s", line);
}

static void log_problems(Solver *solv, unsigned n)
{
	for (Id p = 1; p <= (Id)n; p++) {
		unsigned ns = solver_solution_count(solv, p);
		log_error("dependency problem %d of %u: %s", p, n, solver_problem2str(solv, p));
		for (Id s = 1; s <= (Id)ns; s++)
			log_solution(solv, p, s);
	}
}

/* Whether a problem involves one of the RemovePackages= jobs. */
static bool job_blames_remove(Solver *solv, unsigned n)
{
	Queue rules;
	bool hit = false;

	queue_init(&rules);
	for (Id p = 1; p <= (Id)n && !hit; p++) {
		solver_findallproblemrules(solv, p, &rules);
		for (int i = 0; i < rules.count && !hit; i++) {
			Id what, how, from, to, dep;
			if (solver_ruleinfo(solv, rules.elements[i], &from, &to, &dep) !=
			    SOLVER_RULE_JOB)
				continue;
			how = solver_rule2job(solv, rules.elements[i], &what);
			hit = (how & SOLVER_JOBMASK) == SOLVER_ERASE;
		}
	}
	queue_free(&rules);
	return hit;
}

static int run_solver(struct solver_ctx *c, const struct solve_request *req, Queue *job)
{
	unsigned n;

	c->solver = solver_create(c->pool);
	solver_set_flag(c->solver, SOLVER_FLAG_IGNORE_RECOMMENDED, !req->with_recommends);
	n = solver_solve(c->solver, job);
	if (n > 0) {
		bool removal = job_blames_remove(c->solver, n);
		log_problems(c->solver, n);
		if (removal) {
			log_error("RemovePackages= takes away what the other packages need");
			return -EINVAL;
		}
		log_error("cannot resolve the package set: %u dependency problem%s", n,
			  n == 1 ? "" : "s");
		return -ENOPKG;
	}
	c->trans = solver_create_transaction(c->solver);
	transaction_order(c->trans, 0);
	return 0;
}

/* Essential: yes packages and everything they depend on: dpkg's first phase. */
static void essential_closure(struct solver_ctx *c, Map *in_set, Map *ess)
{
	Pool *pool = c->pool;
	Queue todo;

	queue_init(&todo);
	for (int i = 0; i < c->trans->steps.count; i++) {
		Id p = c->trans->steps.elements[i];
		const struct para *q = para_of(c, p);
		if (q && q->essential) {
			MAPSET(ess, p);
			queue_push(&todo, p);
		}
	}
	while (todo.count) {
		Solvable *s = pool_id2solvable(pool, queue_shift(&todo));
		if (!s->requires)
			continue;
		for (Id *dp = s->repo->idarraydata + s->requires; *dp; dp++) {
			Id q, qq;
			if (*dp == SOLVABLE_PREREQMARKER)
				continue;
			FOR_PROVIDES(q, qq, *dp)
				if (MAPTST(in_set, q) && !MAPTST(ess, q)) {
					MAPSET(ess, q);
					queue_push(&todo, q);
				}
		}
	}
	queue_free(&todo);
}

static int make_pkg(struct solver_ctx *c, Id p, bool essential, struct solve_pkg *ret)
{
	Pool *pool = c->pool;
	Solvable *s = pool_id2solvable(pool, p);
	struct index_scan *sc = s->repo->appdata;
	const struct para *q = para_of(c, p);
	const char *loc, *sum;
	unsigned medianr;
	Id type = 0;

	loc = solvable_get_location(s, &medianr);
	sum = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
	if (!q || !loc || !sum || type != REPOKEY_TYPE_SHA256) {
		log_error("package '%s' has no Filename:, SHA256: or Size: in '%s'",
			  pool_solvable2str(pool, s), sc->index->path);
		return -EBADMSG;
	}
	*ret = (struct solve_pkg){
		.name = (char *)pool_id2str(pool, s->name),
		.version = (char *)pool_id2str(pool, s->evr),
		.arch = (char *)pool_id2str(pool, s->arch),
		.filename = (char *)loc,
		.sha256 = (char *)sum,
		.size = q->size,
		.essential = essential,
	};
	return 0;
}

static int collect(struct solver_ctx *c, struct solve_set **ret)
{
	struct solve_set *set = solve_set_new();
	Map in_set, ess;
	int r = 0;

	if (!set)
		return -ENOMEM;
	map_init(&in_set, c->pool->nsolvables);
	map_init(&ess, c->pool->nsolvables);
	for (int i = 0; i < c->trans->steps.count; i++)
		MAPSET(&in_set, c->trans->steps.elements[i]);
	essential_closure(c, &in_set, &ess);
	for (int i = 0; r >= 0 && i < c->trans->steps.count; i++) {
		Id p = c->trans->steps.elements[i];
		struct index_scan *sc = pool_id2solvable(c->pool, p)->repo->appdata;
		struct solve_pkg pkg;
		_cleanup_free_ char *url = NULL;

		r = make_pkg(c, p, MAPTST(&ess, p), &pkg);
		if (r < 0)
			break;
		url = strjoin(sc->index->base_url, endswith(sc->index->base_url, "/") ? "" : "/",
			      pkg.filename, NULL);
		pkg.url = url;
		r = url ? solve_set_add(set, &pkg) : -ENOMEM;
	}
	map_free(&in_set);
	map_free(&ess);
	if (r < 0) {
		solve_set_free(set);
		return r;
	}
	*ret = set;
	return 0;
}

static void solver_ctx_done(struct solver_ctx *c)
{
	if (c->trans)
		transaction_free(c->trans);
	if (c->solver)
		solver_free(c->solver);
	if (c->pool)
		pool_free(c->pool);
	for (size_t i = 0; i < c->n_scans; i++) {
		free(c->scans[i].buf);
		free(c->scans[i].paras);
	}
	free(c->scans);
}

int solve_deb(const struct apt_index *indexes, size_t n_indexes, const struct solve_request *req,
	      struct solve_set **ret)
{
	struct solver_ctx c = {};
	Queue job;
	int r = 0;

	c.pool = pool_create();
	c.scans = calloc(n_indexes, sizeof(*c.scans));
	if (!c.pool || !c.scans) {
		solver_ctx_done(&c);
		return -ENOMEM;
	}
	pool_setdisttype(c.pool, DISTTYPE_DEB);
	pool_setarch(c.pool, req->arch);
	for (size_t i = 0; r >= 0 && i < n_indexes; i++) {
		c.scans[i].index = &indexes[i];
		c.n_scans++;
		r = load_index(&c, &c.scans[i]);
	}
	queue_init(&job);
	if (r >= 0) {
		pool_addfileprovides(c.pool);
		pool_createwhatprovides(c.pool);
		add_base_jobs(&c, req, &job);
		r = add_request_jobs(&c, req, &job);
	}
	if (r >= 0) {
		disfavor_impostors(c.pool, &job);
		r = run_solver(&c, req, &job);
	}
	if (r >= 0)
		r = collect(&c, ret);
	queue_free(&job);
	solver_ctx_done(&c);
	return r;
}

struct solve_set *solve_set_new(void)
{
	return calloc(1, sizeof(struct solve_set));
}

int solve_set_add(struct solve_set *s, const struct solve_pkg *p)
{
	struct solve_pkg *n, *q;

	n = realloc(s->pkgs, (s->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->pkgs = n;
	q = &n[s->n];
	*q = (struct solve_pkg){
		.name = strdup(p->name),
		.version = strdup(p->version),
		.arch = strdup(p->arch),
		.filename = strdup(p->filename),
		.url = strdup(p->url),
		.sha256 = strdup(p->sha256),
		.size = p->size,
		.essential = p->essential,
	};
	s->n++;
	if (!q->name || !q->version || !q->arch || !q->filename || !q->url || !q->sha256)
		return -ENOMEM;
	return 0;
}

const struct solve_pkg *solve_set_find(const struct solve_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (streq(s->pkgs[i].name, name))
			return &s->pkgs[i];
	return NULL;
}

void solve_set_free(struct solve_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct solve_pkg *p = &s->pkgs[i];
		free(p->name);
		free(p->version);
		free(p->arch);
		free(p->filename);
		free(p->url);
		free(p->sha256);
	}
	free(s->pkgs);
	free(s);
}
