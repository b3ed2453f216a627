/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ini.h"
#include "strutil.h"
#include "tap.h"

/* Collects "Section/Key=Value@line" records, '|' separated. */
static int collect(const char *section, const char *key, const char *value,
		   const struct ini_pos *pos, void *userdata)
{
	char *out = userdata;
	size_t l = strlen(out);

	snprintf(out + l, 4096 - l, "%s%s/%s=%s@%s:%u", l ? "|" : "", section, key, value,
		 pos->file, pos->line);
	return 0;
}

static void parses(const char *in, const char *want, const char *name)
{
	char out[4096] = "";
	struct ini_error e = {};
	int r = ini_parse_buffer(in, strlen(in), "t.conf", collect, out, &e);

	is_int(r, 0, name);
	is_str(out, want, name);
}

static void rejects(const char *in, unsigned line, const char *msg, const char *name)
{
	char out[4096] = "";
	struct ini_error e = {};
	int r = ini_parse_buffer(in, strlen(in), "t.conf", collect, out, &e);

	is_int(r, -EBADMSG, name);
	is_int(e.line, line, name);
	is_str(e.msg, msg, name);
}

static int stop_at_b(const char *section, const char *key, const char *value,
		     const struct ini_pos *pos, void *userdata)
{
	return streq(key, "B") ? -ENOEXEC : 0;
}

int main(void)
{
	parses("[A]\nK=V\n", "A/K=V@t.conf:2", "simple");
	parses("# c\n; c\n[A]\n  K  =  V x  \n", "A/K=V x@t.conf:4", "comments, whitespace");
	parses("[A]\nK=\n", "A/K=@t.conf:2", "empty value");
	parses("[A]\nP=\n\ta\n\tb\nQ=1\n", "A/P=a\nb@t.conf:2|A/Q=1@t.conf:5",
	       "continuation lines");
	parses("[A]\nP=x\n  y\n\nQ=z\n  w\n", "A/P=x\ny@t.conf:2|A/Q=z\nw@t.conf:5",
	       "two continued values");
	parses("[A]\r\nK=V\r\n", "A/K=V@t.conf:2", "CRLF");
	parses("\xef\xbb\xbf[A]\nK=V", "A/K=V@t.conf:2", "BOM, no final newline");
	parses("[A]\nK=a=b\n", "A/K=a=b@t.conf:2", "'=' in value");
	parses("[A]\nK=1\n[B]\nK=2\n[A]\nK=3\n", "A/K=1@t.conf:2|B/K=2@t.conf:4|A/K=3@t.conf:6",
	       "sections repeat");
	parses("", "", "empty input");

	rejects("K=V\n", 1, "assignment outside of any [Section]", "no section");
	rejects("[A]\nnonsense\n", 2, "expected 'Key=Value'", "no '='");
	rejects("[A\n", 1, "invalid section header", "unclosed section");
	rejects("[A] x\n", 1, "invalid section header", "junk after section");
	rejects("[ ]\n", 1, "empty section name", "empty section");
	rejects("[A]\n=V\n", 2, "missing key before '='", "missing key");
	rejects("  x\n", 1, "continuation line without a preceding assignment", "stray indent");
	rejects("[A]\nP=x\n\n  y\n", 4, "continuation line without a preceding assignment",
		"blank line ends a continuation");
	{
		static const char in[] = "[A]\nK=\0V\n";
		struct ini_error e = {};
		char out[4096] = "";
		is_int(ini_parse_buffer(in, sizeof(in) - 1, "t", collect, out, &e), -EBADMSG,
		       "NUL byte rejected");
		is_int(e.line, 2, "NUL byte line");
	}

	{
		char out[4096] = "";
		const char *in = "[A]\nA=1\nB=2\nC=3\n";
		is_int(ini_parse_buffer(in, strlen(in), "t", stop_at_b, out, NULL), -ENOEXEC,
		       "handler error stops parsing");
	}
	return tap_done();
}
