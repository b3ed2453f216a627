/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "strutil.h"

/* A pending assignment: reported when the next non-continuation line (or EOF) arrives. */
struct ini_state {
	const char *file;
	ini_handler handler;
	void *userdata;
	char *section;
	char *key;
	char *value;
	size_t value_len;
	unsigned key_line;
	unsigned section_line;
	struct ini_error *err;
};

static int syntax_error(struct ini_state *s, unsigned line, const char *msg)
{
	if (s->err) {
		s->err->line = line;
		s->err->msg = msg;
	}
	return -EBADMSG;
}

static int flush_pending(struct ini_state *s)
{
	struct ini_pos pos = { .file = s->file, .line = s->key_line, .section_line = s->section_line };
	int r;

	if (!s->key)
		return 0;
	r = s->handler(s->section ? s->section : "", s->key, s->value ? s->value : "", &pos,
		       s->userdata);
	free(s->key);
	free(s->value);
	s->key = s->value = NULL;
	s->value_len = 0;
	return r;
}

static int append_value(struct ini_state *s, const char *text)
{
	size_t tl = strlen(text);
	char *nv;

	nv = realloc(s->value, s->value_len + tl + 2);
	if (!nv)
		return -ENOMEM;
	s->value = nv;
	if (s->value_len)
		s->value[s->value_len++] = '\n';
	memcpy(s->value + s->value_len, text, tl + 1);
	s->value_len += tl;
	return 0;
}

static int parse_section(struct ini_state *s, char *l, unsigned line)
{
	char *end = strchr(l, ']');
	int r;

	if (!end || !isempty(strstrip(end + 1)))
		return syntax_error(s, line, "invalid section header");
	*end = 0;
	l = strstrip(l + 1);
	if (isempty(l))
		return syntax_error(s, line, "empty section name");
	r = flush_pending(s);
	if (r < 0)
		return r;
	free(s->section);
	s->section_line = line;
	s->section = strdup(l);
	return s->section ? 0 : -ENOMEM;
}

static int parse_assignment(struct ini_state *s, char *l, unsigned line)
{
	char *eq = strchr(l, '='), *key;
	int r;

	if (!eq)
		return syntax_error(s, line, "expected 'Key=Value'");
	*eq = 0;
	key = strstrip(l);
	if (isempty(key))
		return syntax_error(s, line, "missing key before '='");
	if (!s->section)
		return syntax_error(s, line, "assignment outside of any [Section]");
	r = flush_pending(s);
	if (r < 0)
		return r;
	s->key = strdup(key);
	s->value = strdup(strstrip(eq + 1));
	if (!s->key || !s->value)
		return -ENOMEM;
	s->value_len = strlen(s->value);
	s->key_line = line;
	return 0;
}

static int parse_line(struct ini_state *s, char *l, unsigned line)
{
	bool indented = *l == ' ' || *l == '\t';
	char *t = strstrip(l);

	if (*t == 0) {
		/* A blank line ends a continuation. */
		return flush_pending(s);
	}
	if (*t == '#' || *t == ';')
		return 0;
	if (indented && s->key)
		return append_value(s, t);
	if (indented && !strchr(t, '='))
		return syntax_error(s, line, "continuation line without a preceding assignment");
	if (*t == '[')
		return parse_section(s, t, line);
	return parse_assignment(s, t, line);
}

int ini_parse_buffer(const char *buf, size_t len, const char *file, ini_handler handler,
		     void *userdata, struct ini_error *ret_err)
{
	struct ini_state s = {
		.file = file, .handler = handler, .userdata = userdata, .err = ret_err,
	};
	unsigned line = 0;
	size_t off = 0;
	int r = 0;

	while (off < len && r >= 0) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (buf + off)) : len - off;
		char *l;

		line++;
		if (memchr(buf + off, 0, ll)) {
			r = syntax_error(&s, line, "NUL byte in line");
			break;
		}
		l = strndup(buf + off, ll);
		if (!l) {
			r = -ENOMEM;
			break;
		}
		if (ll && l[ll - 1] == '\r')
			l[ll - 1] = 0;
		/* Skip a UTF-8 byte order mark on the first line. */
		r = parse_line(&s, line == 1 && startswith(l, "\xef\xbb\xbf") ? l + 3 : l, line);
		free(l);
		off += ll + (nl ? 1 : 0);
	}
	if (r >= 0)
		r = flush_pending(&s);
	free(s.key);
	free(s.value);
	free(s.section);
	return r;
}
