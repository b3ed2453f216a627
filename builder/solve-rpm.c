/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpm resolution: each repository's primary.xml (and comps) becomes a libsolv repo of a
 * DISTTYPE_RPM pool (Debian's libsolv is built with multi-semantics, so the rpm version order
 * and rich dependencies work at run time), with the architecture policy "ARCH + noarch" (no
 * multilib).  filelists.xml is read only when a file dependency has no provider in primary.
 * Packages of non-default module streams are taken out of consideration (rpm-modules.c).
 * Packages= entries are names, provides, "@group" (comps) or names with a version relation
 * (solve-pin.c); RemovePackages= become erase jobs (with nothing installed they forbid the
 * package); recommends are weak and ignored unless WithRecommends=yes; libsolv's transaction
 * order is the install order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <solv/bitmap.h>
#include <solv/chksum.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_comps.h>
#include <solv/repo_rpmmd.h>
#include <solv/solver.h>
#include <solv/transaction.h>

#include "log.h"
#include "rpm-modules.h"
#include "solve-pin.h"
#include "solve-rpm.h"
#include "strutil.h"

const char *rpm_arch(const char *arch)
{
	static const char *const map[][2] = {
		{ "amd64", "x86_64" }, { "x86-64", "x86_64" }, { "x86_64", "x86_64" },
		{ "arm64", "aarch64" }, { "aarch64", "aarch64" }, { "ppc64el", "ppc64le" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" },
	};

	for (size_t i = 0; arch && i < ELEMENTSOF(map); i++)
		if (streq(arch, map[i][0]))
			return map[i][1];
	return NULL;
}

static int add_xml(Repo *repo, const char *path, bool comps, int flags)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return log_error_errno(-errno, "cannot open '%s'", path);
	r = comps ? repo_add_comps(repo, f, flags) : repo_add_rpmmd(repo, f, NULL, flags);
	fclose(f);
	if (r != 0)
		return log_error_errno(-EBADMSG, "cannot parse '%s': %s", path,
				       pool_errstr(repo->pool));
	return 0;
}

static int load_repos(Pool *pool, struct rpmmd_repo *repos, size_t n)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		Repo *repo = repo_create(pool, repos[i].id);
		repo->appdata = &repos[i];
		r = add_xml(repo, repos[i].primary, false, 0);
		if (r >= 0 && repos[i].group)
			r = add_xml(repo, repos[i].group, true, 0);
	}
	return r;
}

/* Some file dependency without a provider in what is loaded so far? */
static bool file_deps_missing(Pool *pool)
{
	Queue fileprovides;
	bool missing = false;

	queue_init(&fileprovides);
	pool_addfileprovides_queue(pool, &fileprovides, NULL);
	pool_createwhatprovides(pool);
	for (int i = 0; i < fileprovides.count && !missing; i++)
		missing = !pool->whatprovidesdata[pool_whatprovides(pool, fileprovides.elements[i])];
	queue_free(&fileprovides);
	return missing;
}

static int load_filelists(Pool *pool, const struct solve_rpm_request *req)
{
	Repo *repo;
	Id rid;
	int r;

	if (!file_deps_missing(pool))
		return 0;
	log_info("a file dependency is not in primary.xml: reading filelists.xml");
	FOR_REPOS(rid, repo) {
		_cleanup_free_ char *path = NULL;
		r = req->need_filelists(req->userdata, repo->appdata, &path);
		if (r < 0)
			return r;
		if (path && (r = add_xml(repo, path, false, REPO_EXTEND_SOLVABLES)) < 0)
			return r;
	}
	(void)file_deps_missing(pool);
	return 0;
}

static Id job_target(Pool *pool, const char *spec, Id *ret_how)
{
	_cleanup_free_ char *group = NULL;
	Id id, p, pp;

	if (spec[0] == '@') {
		group = strjoin("group:", spec + 1, NULL);
		spec = group ?: spec;
	}
	id = pool_str2id(pool, spec, 0);
	if (!id || !pool_whatprovides(pool, id))
		return 0;
	*ret_how = SOLVER_SOLVABLE_PROVIDES;
	FOR_PROVIDES(p, pp, id)
		if (pool->solvables[p].name == id)
			*ret_how = SOLVER_SOLVABLE_NAME;
	return id;
}

/* The install job of one Packages= entry: a name, a provide, "@group", or a pinned name. */
static int add_package_job(Pool *pool, const struct solve_rpm_request *req, const char *entry,
			   Queue *job)
{
	struct pkg_spec spec;
	Id id, how;

	if (solve_entry_spec(entry, req->remove, &spec) < 0)
		return -EINVAL;
	if (spec.op)
		return solve_pin_job(pool, entry, &spec, job);
	if (!(id = job_target(pool, entry, &how))) {
		bool group = entry[0] == '@';
		log_error("%s '%s' not found in any repository", group ? "group" : "package",
			  group ? entry + 1 : entry);
		return -ENOENT;
	}
	queue_push2(job, SOLVER_INSTALL | how, id);
	return 0;
}

static int add_jobs(Pool *pool, const struct solve_rpm_request *req, Queue *job)
{
	Id id, how;

	for (size_t i = 0; req->extra && req->extra[i]; i++)
		if (!strv_contains(req->remove, req->extra[i]) &&
		    (id = job_target(pool, req->extra[i], &how)))
			queue_push2(job, SOLVER_INSTALL | how, id);
	for (size_t i = 0; req->packages && req->packages[i]; i++) {
		int r = add_package_job(pool, req, req->packages[i], job);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; req->remove && req->remove[i]; i++)
		queue_push2(job, SOLVER_ERASE | SOLVER_SOLVABLE_NAME,
			    pool_str2id(pool, req->remove[i], 1));
	return 0;
}

static int explain(Solver *solv)
{
	int n = solver_problem_count(solv);

	for (Id p = 1; p <= n; p++) {
		Id s = 0;
		log_error("dependency problem %d of %d: %s", p, n, solver_problem2str(solv, p));
		while ((s = solver_next_solution(solv, p, s)) != 0) {
			Id e = 0, sp, rp;
			while ((e = solver_next_solutionelement(solv, p, s, e, &sp, &rp)) != 0)
				log_error("  possible fix: %s", solver_solutionelement2str(solv, sp, rp));
			break; /* the first solution is enough to see what is wrong */
		}
	}
	return -ENOPKG;
}

/* The packages the target's rpm needs to run: rpm, a /bin/sh, and their requires, closed. */
static void essential_closure(Pool *pool, const Queue *set, const struct solve_rpm_request *req,
			      Map *ess)
{
	Map in_set;
	Queue todo, deps;
	Id p, pp, roots[2];

	map_init(&in_set, pool->nsolvables);
	queue_init(&todo);
	queue_init(&deps);
	for (int i = 0; i < set->count; i++)
		MAPSET(&in_set, set->elements[i]);
	roots[0] = pool_str2id(pool, "rpm", 0);
	roots[1] = pool_str2id(pool, "/bin/sh", 0);
	for (size_t i = 0; i < ELEMENTSOF(roots); i++)
		if (roots[i])
			FOR_PROVIDES(p, pp, roots[i])
				if (MAPTST(&in_set, p) && !MAPTST(ess, p)) {
					MAPSET(ess, p);
					queue_push(&todo, p);
				}
	while (todo.count) {
		Solvable *s = pool->solvables + queue_shift(&todo);
		solvable_lookup_deparray(s, SOLVABLE_REQUIRES, &deps, 0);
		for (int i = 0; i < deps.count; i++) {
			if (deps.elements[i] == SOLVABLE_PREREQMARKER)
				continue;
			FOR_PROVIDES(p, pp, deps.elements[i])
				if (MAPTST(&in_set, p) && !MAPTST(ess, p)) {
					MAPSET(ess, p);
					queue_push(&todo, p);
				}
		}
	}
	(void)req;
	queue_free(&deps);
	queue_free(&todo);
	map_free(&in_set);
}

static int make_pkg(Pool *pool, Id p, bool essential, struct solve_set *set)
{
	Solvable *s = pool->solvables + p;
	const struct rpmmd_repo *repo = s->repo->appdata;
	const char *loc = solvable_get_location(s, NULL);
	Id type = 0;
	const char *sum = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
	_cleanup_free_ char *url = NULL;
	struct solve_pkg pkg;

	if (!loc)
		return 0; /* a comps group or other pseudo package */
	if (!sum || type != REPOKEY_TYPE_SHA256) {
		log_error("package '%s' in repository '%s' has no sha256 in primary.xml",
			  pool_solvable2str(pool, s), repo->id);
		return -EBADMSG;
	}
	url = strjoin(repo->url, "/", loc, NULL);
	if (!url)
		return -ENOMEM;
	pkg = (struct solve_pkg){
		.name = (char *)pool_id2str(pool, s->name),
		.version = (char *)pool_id2str(pool, s->evr),
		.arch = (char *)pool_id2str(pool, s->arch),
		.filename = (char *)loc,
		.url = url,
		.sha256 = (char *)sum,
		.size = solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0),
		.essential = essential,
	};
	return solve_set_add(set, &pkg);
}

static int collect(Pool *pool, Transaction *trans, const struct solve_rpm_request *req,
		   struct solve_set **ret)
{
	struct solve_set *set = solve_set_new();
	Queue installs;
	Map ess;
	int r = 0;

	if (!set)
		return -ENOMEM;
	queue_init(&installs);
	map_init(&ess, pool->nsolvables);
	for (int i = 0; i < trans->steps.count; i++)
		if (transaction_type(trans, trans->steps.elements[i], SOLVER_TRANSACTION_SHOW_ALL) ==
		    SOLVER_TRANSACTION_INSTALL)
			queue_push(&installs, trans->steps.elements[i]);
	essential_closure(pool, &installs, req, &ess);
	for (int i = 0; r >= 0 && i < installs.count; i++)
		r = make_pkg(pool, installs.elements[i], MAPTST(&ess, installs.elements[i]), set);
	map_free(&ess);
	queue_free(&installs);
	if (r < 0) {
		solve_set_free(set);
		return r;
	}
	*ret = set;
	return 0;
}

static int run_solver(Pool *pool, const struct solve_rpm_request *req, struct solve_set **ret)
{
	Solver *solv = solver_create(pool);
	Transaction *trans = NULL;
	Queue job;
	int r;

	queue_init(&job);
	r = add_jobs(pool, req, &job);
	if (r >= 0) {
		solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, !req->with_recommends);
		if (solver_solve(solv, &job) != 0)
			r = explain(solv);
	}
	if (r >= 0) {
		trans = solver_create_transaction(solv);
		transaction_order(trans, 0);
		r = collect(pool, trans, req, ret);
		transaction_free(trans);
	}
	queue_free(&job);
	solver_free(solv);
	return r;
}

int solve_rpm(struct rpmmd_repo *repos, size_t n, const struct solve_rpm_request *req,
	      struct solve_set **ret)
{
	Pool *pool = pool_create();
	_cleanup_free_ char *policy = NULL;
	int r;

	if (!pool)
		return -ENOMEM;
	if (pool_setdisttype(pool, DISTTYPE_RPM) < 0) {
		pool_free(pool);
		log_error("this host's libsolv cannot resolve rpm dependencies (built without "
			  "rpm semantics)");
		return -EOPNOTSUPP;
	}
	pool_setarchpolicy(pool, req->arch); /* "x86_64": plus noarch, no i686 */
	r = load_repos(pool, repos, n);
	if (r >= 0)
		r = load_filelists(pool, req);
	if (r >= 0)
		r = rpm_modules_exclude(pool, repos, n);
	if (r >= 0)
		r = run_solver(pool, req, ret);
	pool_free(pool);
	return r;
}
