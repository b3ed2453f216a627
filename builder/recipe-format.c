/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The effective recipe as INI text ("mkimg summary"): canonical sections and key order, set keys
 * only, lists one item per line in the mkosi continuation style.  The text parses back into the
 * same recipe (except Password=, which is never printed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "recipe-internal.h"
#include "strutil.h"

struct fmt {
	FILE *f;
	const struct recipe *r;
	bool origins;
	const char *section; /* header still to print before the next key */
	bool any;	     /* a section was printed: blank line before the next */
};

static void key_begin(struct fmt *x, const char *key)
{
	const struct recipe_origin *o;

	if (x->section) {
		fprintf(x->f, "%s[%s]\n", x->any ? "\n" : "", x->section);
		x->section = NULL;
		x->any = true;
	}
	if (!x->origins)
		return;
	o = recipe_origin_of(x->r, key);
	if (o && o->line)
		fprintf(x->f, "# %s:%u\n", o->file, o->line);
	else if (o)
		fprintf(x->f, "# %s\n", o->file);
	else
		fputs("# default\n", x->f);
}

static void put(struct fmt *x, const char *key, const char *value)
{
	if (!value)
		return;
	key_begin(x, key);
	fprintf(x->f, "%s=%s\n", key, value);
}

static void put_bool(struct fmt *x, const char *key, int v)
{
	if (v >= 0)
		put(x, key, v ? "yes" : "no");
}

static void put_list(struct fmt *x, const char *key, char *const *l)
{
	if (!l || !l[0])
		return;
	key_begin(x, key);
	fprintf(x->f, "%s=\n", key);
	for (size_t i = 0; l[i]; i++)
		fprintf(x->f, "        %s\n", l[i]);
}

/* Exact: the largest binary unit that divides the size, so it parses back to the same bytes. */
static const char *size_text(char *buf, size_t len, uint64_t s)
{
	static const char units[] = "KMGTPE";
	int i = -1;

	while (i < 5 && s >= 1024 && s % 1024 == 0) {
		s /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%" PRIu64, s);
	else
		snprintf(buf, len, "%" PRIu64 "%c", s, units[i]);
	return buf;
}

static void format_distribution(struct fmt *x, const struct recipe *r)
{
	x->section = "Distribution";
	put(x, "Distribution", distribution_to_string(r->distribution));
	put(x, "Release", r->release);
	put(x, "Mirror", r->mirror);
	put(x, "Metalink", r->metalink);
	put(x, "MirrorList", r->mirror_list);
	put(x, "Architecture", r->architecture);
	put_list(x, "Repositories", r->repositories);
	put(x, "RepositoryKey", r->repository_key);
	put_bool(x, "RepositoryKeyCheck", r->repository_key_check);
	put_bool(x, "Updates", r->updates);
	put(x, "SecurityMirror", r->security_mirror);
}

static void format_output(struct fmt *x, const struct recipe *r)
{
	char buf[40];

	x->section = "Output";
	put(x, "Format", format_to_string(r->format));
	put(x, "Output", r->output);
	put_bool(x, "Bootable", r->bootable);
	if (r->size)
		put(x, "Size", size_text(buf, sizeof(buf), r->size));
	if (r->compress > 0 || (r->compress == 0 && r->format == FORMAT_TAR))
		put(x, "CompressOutput", compression_to_string((enum compression)r->compress));
	if (r->have_seed) {
		uuid_format(r->seed, buf);
		put(x, "Seed", buf);
	}
}

static void format_packages(struct fmt *x, const struct recipe *r)
{
	x->section = "Packages";
	put_list(x, "Packages", r->packages);
	put_list(x, "RemovePackages", r->remove_packages);
	put_bool(x, "WithDocs", r->with_docs);
	put_bool(x, "WithRecommends", r->with_recommends);
}

static void format_content(struct fmt *x, const struct recipe *r)
{
	x->section = "Content";
	if (r->password) {
		key_begin(x, "Password");
		fputs("# Password= is set (not shown)\n", x->f);
	}
	put(x, "Hostname", r->hostname);
	put(x, "Timezone", r->timezone);
	put(x, "Locale", r->locale);
	put_list(x, "BaseTrees", r->base_trees);
	put_list(x, "ExtraTrees", r->extra_trees);
	put(x, "PostInstallationScript", r->postinst_script);
	put_list(x, "EnableUnits", r->enable_units);
}

char *recipe_format_full(const struct recipe *r, bool origins)
{
	struct fmt x = {.r = r, .origins = origins};
	char *buf = NULL;
	size_t len = 0;

	x.f = open_memstream(&buf, &len);
	if (!x.f)
		return NULL;
	format_distribution(&x, r);
	format_output(&x, r);
	format_packages(&x, r);
	format_content(&x, r);
	if (ferror(x.f)) {
		fclose(x.f);
		free(buf);
		return NULL;
	}
	if (fclose(x.f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *recipe_format(const struct recipe *r)
{
	return recipe_format_full(r, false);
}
