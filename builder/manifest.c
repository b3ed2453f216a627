/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "log.h"
#include "manifest.h"
#include "strutil.h"

void manifest_info_done(struct manifest_info *info)
{
	for (size_t i = 0; i < info->n_packages; i++) {
		free(info->packages[i].name);
		free(info->packages[i].version);
		free(info->packages[i].arch);
		free(info->packages[i].sha256);
	}
	free(info->packages);
	*info = (struct manifest_info){};
}

static char *field(const char *para, const char *name)
{
	size_t nl = strlen(name);

	for (const char *l = para; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			while (*v == ' ')
				v++;
			return strndup(v, strcspn(v, "\n"));
		}
		if (*l == '\n')
			break; /* end of paragraph */
	}
	return NULL;
}

static int add_dpkg_package(struct manifest_info *info, const char *para)
{
	_cleanup_free_ char *status = field(para, "Status");
	struct manifest_package *n, *p;

	if (!status || !endswith(status, " installed"))
		return 0;
	n = realloc(info->packages, (info->n_packages + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	info->packages = n;
	p = &n[info->n_packages];
	*p = (struct manifest_package){ .name = field(para, "Package"),
					.version = field(para, "Version"),
					.arch = field(para, "Architecture") };
	info->n_packages++;
	return p->name ? 0 : -ENOMEM;
}

int manifest_collect(const char *root, struct manifest_info *ret)
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	struct manifest_info info = {};
	int r;

	r = chase_in_root(root, "/var/lib/dpkg/status", &path);
	if (r < 0)
		return r;
	r = read_full_file(path, &data, NULL);
	if (r == -ENOENT) {
		*ret = info;
		return 0;
	}
	if (r < 0)
		return r;
	for (const char *p = data; p && *p;) {
		r = add_dpkg_package(&info, p);
		if (r < 0) {
			manifest_info_done(&info);
			return r;
		}
		p = strstr(p, "\n\n");
		p = p ? p + 2 : NULL;
	}
	*ret = info;
	return 0;
}

static void put_str(FILE *f, const char *key, const char *v, bool comma)
{
	_cleanup_free_ char *q = v ? json_quote(v) : NULL;

	fprintf(f, "  \"%s\": %s%s\n", key, q ? q : "null", comma ? "," : "");
}

static void put_packages(FILE *f, const struct manifest_info *info)
{
	fprintf(f, "  \"packages\": [");
	for (size_t i = 0; i < info->n_packages; i++) {
		const struct manifest_package *p = &info->packages[i];
		_cleanup_free_ char *n = json_quote(p->name), *v = json_quote(p->version ?: ""),
				    *a = json_quote(p->arch ?: ""),
				    *s = p->sha256 ? json_quote(p->sha256) : NULL;
		fprintf(f, "%s\n    {\"name\": %s, \"version\": %s, \"arch\": %s, \"sha256\": %s}",
			i ? "," : "", n, v, a, s ? s : "null");
	}
	fprintf(f, "%s],\n", info->n_packages ? "\n  " : "");
}

static int output_digest(const char *path, uint64_t *size, char hex[65], bool *have)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*have = S_ISREG(st.st_mode);
	*size = *have ? (uint64_t)st.st_size : 0;
	return *have ? sha256_file(path, hex) : 0;
}

int manifest_write(const struct build *b, const struct manifest_info *info, const char *path)
{
	const struct recipe *r = b->recipe;
	_cleanup_free_ char *text = recipe_format(r), *out = strdup(b->output);
	_cleanup_fclose_ FILE *f = NULL;
	char recipe_hex[65], out_hex[65], epoch[32];
	uint64_t size = 0;
	bool have = false;
	int q;

	if (!text || !out)
		return log_error_errno(-ENOMEM, "cannot write manifest");
	if (b->params.digest && b->params.digest->have) {
		have = true;
		size = b->params.digest->size;
		memcpy(out_hex, b->params.digest->sha256, sizeof(out_hex));
		q = 0;
	} else {
		q = output_digest(b->tmp_output, &size, out_hex, &have);
	}
	if (q < 0)
		return log_error_errno(q, "cannot checksum '%s'", b->tmp_output);
	sha256_buffer(text, strlen(text), recipe_hex);
	snprintf(epoch, sizeof(epoch), "%" PRId64, b->params.epoch);
	f = fopen(path, "wxe");
	if (!f)
		return log_error_errno(-errno, "cannot create '%s'", path);
	fprintf(f, "{\n");
	put_str(f, "mkimg_version", PACKAGE_VERSION, true);
	put_str(f, "recipe_sha256", recipe_hex, true);
	put_str(f, "distribution", distribution_to_string(r->distribution), true);
	put_str(f, "release", r->release, true);
	put_str(f, "architecture", b->params.arch, true);
	put_str(f, "format", b->ops->name, true);
	put_str(f, "seed", b->seed_str, true);
	fprintf(f, "  \"source_date_epoch\": %s,\n", b->params.have_epoch ? epoch : "null");
	put_packages(f, info);
	fprintf(f, "  \"output\": {\"name\": ");
	_cleanup_free_ char *name = json_quote(basename(out));
	fprintf(f, "%s, \"size\": %" PRIu64 ", \"sha256\": %s%s%s}\n}\n", name, size,
		have ? "\"" : "", have ? out_hex : "null", have ? "\"" : "");
	if (fflush(f) != 0 || ferror(f))
		return log_error_errno(-EIO, "cannot write '%s'", path);
	return 0;
}
