/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/diskstats of a machine: the host's devices with the machine's own IO.  Pure. */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "procview.h"
#include "strutil.h"

struct dev_io {
	unsigned major, minor;
	uint64_t rbytes, wbytes, rios, wios, dbytes, dios;
};

struct io_table {
	struct dev_io *d;
	size_t n;
};

static struct dev_io *dev_get(struct io_table *t, unsigned major, unsigned minor)
{
	struct dev_io *nd;

	for (size_t i = 0; i < t->n; i++)
		if (t->d[i].major == major && t->d[i].minor == minor)
			return &t->d[i];
	nd = reallocarray(t->d, t->n + 1, sizeof(*t->d));
	if (!nd)
		return NULL;
	t->d = nd;
	t->d[t->n] = (struct dev_io){ .major = major, .minor = minor };
	return &t->d[t->n++];
}

static const struct {
	const char *key;
	size_t off;
} io_keys[] = {
	{ "rbytes", offsetof(struct dev_io, rbytes) }, { "wbytes", offsetof(struct dev_io, wbytes) },
	{ "rios", offsetof(struct dev_io, rios) },     { "wios", offsetof(struct dev_io, wios) },
	{ "dbytes", offsetof(struct dev_io, dbytes) }, { "dios", offsetof(struct dev_io, dios) },
};

static void set_io_key(struct dev_io *d, const char *word)
{
	const char *eq = strchr(word, '=');
	uint64_t x;

	if (!eq || parse_uint64(eq + 1, &x) < 0)
		return;
	for (size_t i = 0; i < ELEMENTSOF(io_keys); i++)
		if (strlen(io_keys[i].key) == (size_t)(eq - word) &&
		    strncmp(word, io_keys[i].key, (size_t)(eq - word)) == 0)
			*(uint64_t *)((char *)d + io_keys[i].off) = x;
}

/* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6 ..." */
static int parse_io_stat(const char *text, struct io_table *t)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		unsigned major, minor;
		int used = 0;

		if (sscanf(line, "%u:%u%n", &major, &minor, &used) == 2) {
			struct dev_io *d = dev_get(t, major, minor);
			_cleanup_free_ char *rest = strndup(line + used, (size_t)(nl - line - used));
			char *save = NULL;

			if (!d || !rest)
				return -ENOMEM;
			for (char *w = strtok_r(rest, " ", &save); w; w = strtok_r(NULL, " ", &save))
				set_io_key(d, w);
		}
		line = *nl ? nl + 1 : NULL;
	}
	return 0;
}

/* "8:0 Read 4096" lines of blkio.throttle.io_service_bytes / io_serviced. */
static int parse_blkio(const char *text, struct io_table *t, bool bytes)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		unsigned major, minor;
		char op[16];
		uint64_t v;

		if (sscanf(line, "%u:%u %15s %" SCNu64, &major, &minor, op, &v) == 4) {
			struct dev_io *d = dev_get(t, major, minor);

			if (!d)
				return -ENOMEM;
			if (streq(op, "Read"))
				*(bytes ? &d->rbytes : &d->rios) = v;
			else if (streq(op, "Write"))
				*(bytes ? &d->wbytes : &d->wios) = v;
			else if (streq(op, "Discard"))
				*(bytes ? &d->dbytes : &d->dios) = v;
		}
		line = *nl ? nl + 1 : NULL;
	}
	return 0;
}

static void print_dev(FILE *out, const char *name, const struct dev_io *d)
{
	fprintf(out,
		"%4u %7u %s %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64 " 0 0 0 0 %" PRIu64
		" 0 %" PRIu64 " 0 0 0\n",
		d->major, d->minor, name, d->rios, d->rbytes / 512, d->wios, d->wbytes / 512,
		d->dios, d->dbytes / 512);
}

int procview_render_diskstats(const char *host, bool v2, const char *io_stat,
			      const char *v1_bytes, const char *v1_ios, char **ret)
{
	struct io_table t = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = NULL;
	int r = v2 ? parse_io_stat(io_stat, &t) : parse_blkio(v1_bytes, &t, true);

	if (r >= 0 && !v2)
		r = parse_blkio(v1_ios, &t, false);
	if (r >= 0 && !(out = open_memstream(&buf, &len)))
		r = -ENOMEM;
	for (const char *line = host; r >= 0 && line && *line;) {
		const char *nl = strchrnul(line, '\n');
		unsigned major, minor;
		char name[64];

		/* Devices the machine did no IO on are left out, as lxcfs does. */
		if (sscanf(line, "%u %u %63s", &major, &minor, name) == 3) {
			for (size_t i = 0; i < t.n; i++)
				if (t.d[i].major == major && t.d[i].minor == minor &&
				    (t.d[i].rios || t.d[i].wios || t.d[i].dios))
					print_dev(out, name, &t.d[i]);
		}
		line = *nl ? nl + 1 : NULL;
	}
	free(t.d);
	if (out && fclose(out) != 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}
