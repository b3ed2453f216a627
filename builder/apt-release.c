/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apt-release.h"
#include "cleanup.h"
#include "strutil.h"

/* ---- deb822 fields ---------------------------------------------------------------------- */

static const char *line_end(const char *l, const char *end)
{
	const char *eol = memchr(l, '\n', end - l);

	return eol ? eol : end;
}

static bool is_continuation(const char *l, const char *end)
{
	return l < end && (*l == ' ' || *l == '\t');
}

/* Appends the continuation lines that follow l (comment lines skipped) to m. */
static const char *append_continuations(FILE *m, const char *l, const char *end)
{
	while (l < end && (is_continuation(l, end) || *l == '#')) {
		const char *eol = line_end(l, end);
		if (*l != '#') {
			fputc('\n', m);
			fwrite(l + 1, 1, eol - l - 1, m);
		}
		l = eol < end ? eol + 1 : end;
	}
	return l;
}

/*
 * The value of field name in the paragraph [p, end): first line and continuation lines joined
 * by '\n', stripped.  NULL if absent (or out of memory).
 */
static char *deb822_get(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);

	for (const char *l = p; l < end;) {
		const char *eol = line_end(l, end);
		if ((size_t)(eol - l) > nl && l[nl] == ':' && strncasecmp(l, name, nl) == 0) {
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);
			if (!m)
				return NULL;
			fwrite(l + nl + 1, 1, eol - l - nl - 1, m);
			append_continuations(m, eol < end ? eol + 1 : end, end);
			if (fclose(m) != 0) {
				free(buf);
				return NULL;
			}
			{
				char *v = strstrip(buf);
				memmove(buf, v, strlen(v) + 1);
			}
			return buf;
		}
		l = eol < end ? eol + 1 : end;
	}
	return NULL;
}

static int split_words(const char *s, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	const char *ws = " \t\r\n";
	int r;

	for (s += strspn(s, ws); *s; s += strspn(s, ws)) {
		size_t n = strcspn(s, ws);
		char *w = strndup(s, n);
		if (!w)
			return -ENOMEM;
		r = strv_push(&l, w);
		if (r < 0)
			return r;
		s += n;
	}
	*ret = steal_ptr(l);
	return 0;
}

static bool is_hex_digest(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

/* ---- Release ----------------------------------------------------------------------------- */

void apt_release_info_free(struct apt_release_info *r)
{
	if (!r)
		return;
	free(r->origin);
	free(r->label);
	free(r->suite);
	free(r->codename);
	free(r->version);
	strv_free(r->components);
	strv_free(r->architectures);
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i].path);
	free(r->files);
	free(r);
}

static void apt_release_info_freep(struct apt_release_info **r)
{
	apt_release_info_free(*r);
}

static int parse_sha256_list(struct apt_release_info *r, const char *value)
{
	_cleanup_strv_free_ char **w = NULL;
	size_t n;
	int r2;

	r2 = split_words(value, &w);
	if (r2 < 0)
		return r2;
	n = strv_length(w);
	if (n == 0 || n % 3 != 0)
		return -EBADMSG;
	r->files = calloc(n / 3, sizeof(*r->files));
	if (!r->files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 3) {
		struct apt_release_file *e = &r->files[r->n_files];
		if (!is_hex_digest(w[i]) || parse_uint64(w[i + 1], &e->size) < 0)
			return -EBADMSG;
		for (int k = 0; k < 64; k++)
			e->sha256[k] = (char)tolower((unsigned char)w[i][k]);
		e->path = strdup(w[i + 2]); /* not stolen: a hole would cut the strv short */
		if (!e->path)
			return -ENOMEM;
		r->n_files++;
	}
	return 0;
}

static int parse_date_field(const char *p, const char *end, const char *name, int64_t *ret)
{
	_cleanup_free_ char *v = deb822_get(p, end, name);

	*ret = -1;
	if (!v)
		return 0;
	return apt_parse_date(v, ret) < 0 ? -EBADMSG : 0;
}

static int parse_list_field(const char *p, const char *end, const char *name, char ***ret)
{
	_cleanup_free_ char *v = deb822_get(p, end, name);

	if (!v)
		return 0;
	return split_words(v, ret);
}

int apt_release_parse(const char *buf, size_t len, struct apt_release_info **ret)
{
	_cleanup_(apt_release_info_freep) struct apt_release_info *r = NULL;
	_cleanup_free_ char *sums = NULL, *byhash = NULL;
	const char *end = buf + len;
	int k;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->origin = deb822_get(buf, end, "Origin");
	r->label = deb822_get(buf, end, "Label");
	r->suite = deb822_get(buf, end, "Suite");
	r->codename = deb822_get(buf, end, "Codename");
	r->version = deb822_get(buf, end, "Version");
	byhash = deb822_get(buf, end, "Acquire-By-Hash");
	r->by_hash = byhash && parse_bool(byhash) == 1;
	k = parse_date_field(buf, end, "Date", &r->date);
	if (k >= 0)
		k = parse_date_field(buf, end, "Valid-Until", &r->valid_until);
	if (k >= 0)
		k = parse_list_field(buf, end, "Components", &r->components);
	if (k >= 0)
		k = parse_list_field(buf, end, "Architectures", &r->architectures);
	if (k < 0)
		return k;
	sums = deb822_get(buf, end, "SHA256");
	if (!sums)
		return -EBADMSG;
	k = parse_sha256_list(r, sums);
	if (k < 0)
		return k;
	*ret = steal_ptr(r);
	return 0;
}

const struct apt_release_file *apt_release_lookup(const struct apt_release_info *r,
						  const char *path)
{
	for (size_t i = 0; i < r->n_files; i++)
		if (streq(r->files[i].path, path))
			return &r->files[i];
	return NULL;
}

/* Components may be listed with a prefix ("updates/main" in old security archives). */
bool apt_release_has_component(const struct apt_release_info *r, const char *component)
{
	if (!r->components) {
		_cleanup_free_ char *prefix = strjoin(component, "/", NULL);
		for (size_t i = 0; prefix && i < r->n_files; i++)
			if (startswith(r->files[i].path, prefix))
				return true;
		return false;
	}
	for (char **c = r->components; *c; c++) {
		const char *slash = strrchr(*c, '/');
		if (streq(*c, component) || (slash && streq(slash + 1, component)))
			return true;
	}
	return false;
}

bool apt_release_has_arch(const struct apt_release_info *r, const char *arch)
{
	return !r->architectures || strv_contains(r->architectures, arch);
}

int apt_release_pick_index(const struct apt_release_info *r, const char *component,
			   const char *arch, const struct apt_release_file **ret)
{
	static const char *const suffixes[] = { ".xz", ".gz", ".zst", ".bz2", "" };

	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		_cleanup_free_ char *p = NULL;
		const struct apt_release_file *e;

		if (asprintf(&p, "%s/binary-%s/Packages%s", component, arch, suffixes[i]) < 0)
			return -ENOMEM;
		e = apt_release_lookup(r, p);
		if (e) {
			*ret = e;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- dates ------------------------------------------------------------------------------- */

static int parse_zone(const char *z, int *ret_offset)
{
	static const char *const utc[] = { "UTC", "GMT", "UT", "Z" };
	int h, m;

	for (size_t i = 0; i < ELEMENTSOF(utc); i++)
		if (strcaseeq(z, utc[i])) {
			*ret_offset = 0;
			return 0;
		}
	if ((z[0] != '+' && z[0] != '-') || strlen(z) != 5 || strspn(z + 1, "0123456789") != 4)
		return -EINVAL;
	h = (z[1] - '0') * 10 + (z[2] - '0');
	m = (z[3] - '0') * 10 + (z[4] - '0');
	if (h > 23 || m > 59)
		return -EINVAL;
	*ret_offset = (z[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

static int parse_month(const char *s)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	for (size_t i = 0; i < ELEMENTSOF(months); i++)
		if (strcaseeq(s, months[i]))
			return (int)i;
	return -EINVAL;
}

int apt_parse_date(const char *s, int64_t *ret)
{
	struct tm tm = {};
	char mon[4], zone[8];
	int day, year, h, m, sec, offset, n = 0;
	const char *comma;
	time_t t;

	s += strspn(s, " \t");
	comma = strchr(s, ',');
	if (comma)
		s = comma + 1;
	if (sscanf(s, " %d %3s %d %d:%d:%d %7s %n", &day, mon, &year, &h, &m, &sec, zone, &n) !=
		    7 ||
	    s[n] != '\0')
		return -EINVAL;
	tm.tm_mon = parse_month(mon);
	if (tm.tm_mon < 0 || parse_zone(zone, &offset) < 0)
		return -EINVAL;
	if (day < 1 || day > 31 || year < 1970 || year > 9999 || h > 23 || m > 59 || sec > 60 ||
	    h < 0 || m < 0 || sec < 0)
		return -EINVAL;
	tm.tm_mday = day;
	tm.tm_year = year - 1900;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = (int64_t)t - offset;
	return 0;
}

/* ---- clearsigned envelope ------------------------------------------------------------------ */

#define PGP_SIGNED_BEGIN "-----BEGIN PGP SIGNED MESSAGE-----"
#define PGP_SIG_BEGIN "-----BEGIN PGP SIGNATURE-----"
#define PGP_SIG_END "-----END PGP SIGNATURE-----"

/* Line [l, eol) without trailing CR/blanks equals s. */
static bool line_is(const char *l, const char *eol, const char *s)
{
	while (eol > l && (eol[-1] == '\r' || eol[-1] == ' ' || eol[-1] == '\t'))
		eol--;
	return (size_t)(eol - l) == strlen(s) && memcmp(l, s, eol - l) == 0;
}

static bool blank_between(const char *l, const char *end)
{
	for (; l < end; l++)
		if (!isspace((unsigned char)*l))
			return false;
	return true;
}

static const char *next_line(const char *eol, const char *end)
{
	return eol < end ? eol + 1 : end;
}

/* Writes the dash-unescaped text lines to m up to the signature; returns its start or NULL. */
static const char *clearsign_text(FILE *m, const char *l, const char *end)
{
	while (l < end) {
		const char *eol = line_end(l, end);
		if (line_is(l, eol, PGP_SIG_BEGIN))
			return l;
		if (*l == '-') {
			if (eol - l < 2 || l[1] != ' ')
				return NULL; /* an unescaped armor line inside the text */
			l += 2;
		}
		fwrite(l, 1, eol - l, m);
		fputc('\n', m);
		l = next_line(eol, end);
	}
	return NULL;
}

static const char *clearsign_headers(const char *l, const char *end)
{
	while (l < end) {
		const char *eol = line_end(l, end);
		if (blank_between(l, eol))
			return next_line(eol, end);
		if (!memchr(l, ':', eol - l))
			return NULL;
		l = next_line(eol, end);
	}
	return NULL;
}

int apt_clearsign_content(const char *buf, size_t len, char **ret, size_t *ret_len)
{
	const char *end = buf + len, *l = buf, *eol, *sig;
	char *out = NULL;
	size_t out_len = 0;
	FILE *m;

	while (l < end && isspace((unsigned char)*l))
		l++;
	eol = line_end(l, end);
	if (!line_is(l, eol, PGP_SIGNED_BEGIN))
		return -EBADMSG;
	l = clearsign_headers(next_line(eol, end), end);
	if (!l)
		return -EBADMSG;
	m = open_memstream(&out, &out_len);
	if (!m)
		return -ENOMEM;
	sig = clearsign_text(m, l, end);
	if (fclose(m) != 0 || !sig) {
		free(out);
		return sig ? -ENOMEM : -EBADMSG;
	}
	for (l = sig; l < end; l = next_line(eol, end)) {
		eol = line_end(l, end);
		if (line_is(l, eol, PGP_SIG_END))
			break;
	}
	if (l >= end || !blank_between(line_end(l, end), end)) {
		free(out);
		return -EBADMSG;
	}
	*ret = out;
	if (ret_len)
		*ret_len = out_len;
	return 0;
}

/* ---- ASCII armor --------------------------------------------------------------------------- */

#define PGP_KEY_BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define PGP_KEY_END "-----END PGP PUBLIC KEY BLOCK-----"

bool pgp_is_armored(const char *buf, size_t len)
{
	const char *l = buf, *end = buf + len;

	while (l < end && isspace((unsigned char)*l))
		l++;
	return (size_t)(end - l) >= 15 && memcmp(l, "-----BEGIN PGP ", 15) == 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 [s, end) (whitespace ignored, '=' padding ends it) appending to m. */
static int b64_decode(FILE *m, const char *s, const char *end, size_t *ret_n)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; s < end; s++) {
		int v = b64_value(*s);
		if (*s == '=')
			break;
		if (v < 0) {
			if (isspace((unsigned char)*s))
				continue;
			return -EBADMSG;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			fputc((int)((acc >> bits) & 0xff), m);
			n++;
		}
	}
	*ret_n = n;
	return 0;
}

static uint32_t crc24(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xB704CE;

	while (n--) {
		crc ^= (uint32_t)*p++ << 16;
		for (int i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= 0x1864CFB;
		}
	}
	return crc & 0xFFFFFF;
}

static int check_crc(const char *crc_line, const char *eol, const uint8_t *data, size_t n)
{
	char *buf = NULL;
	size_t len = 0, got;
	FILE *m = open_memstream(&buf, &len);
	uint32_t want;
	int r;

	if (!m)
		return -ENOMEM;
	r = b64_decode(m, crc_line + 1, eol, &got);
	fclose(m);
	if (r >= 0 && got != 3)
		r = -EBADMSG;
	if (r >= 0) {
		want = ((uint32_t)(uint8_t)buf[0] << 16) | ((uint32_t)(uint8_t)buf[1] << 8) |
		       (uint8_t)buf[2];
		r = want == crc24(data, n) ? 0 : -EBADMSG;
	}
	free(buf);
	return r;
}

/* One armored block starting after its BEGIN line; returns the position after END or NULL. */
static const char *dearmor_block(FILE *out, const char *l, const char *end, int *ret)
{
	const char *body, *eol, *crc = NULL, *crc_eol = NULL;
	char *buf = NULL;
	size_t len = 0, n;
	FILE *m;

	eol = line_end(l, end);
	if (memchr(l, ':', eol - l)) /* armor headers, then a blank line */
		l = clearsign_headers(l, end);
	for (body = l; l && l < end; l = next_line(eol, end)) {
		eol = line_end(l, end);
		if (*l == '=') {
			crc = l;
			crc_eol = eol;
		} else if (line_is(l, eol, PGP_KEY_END))
			break;
	}
	*ret = -EBADMSG;
	if (!l || l >= end || !(m = open_memstream(&buf, &len)))
		return NULL;
	*ret = b64_decode(m, body, crc ? crc : l, &n);
	fclose(m);
	if (*ret >= 0 && crc)
		*ret = check_crc(crc, crc_eol, (const uint8_t *)buf, len);
	if (*ret >= 0)
		fwrite(buf, 1, len, out);
	free(buf);
	return *ret >= 0 ? next_line(eol, end) : NULL;
}

int pgp_dearmor(const char *buf, size_t len, uint8_t **ret, size_t *ret_len)
{
	const char *end = buf + len, *l = buf;
	char *out = NULL;
	size_t out_len = 0;
	int r = 0, blocks = 0;
	FILE *m = open_memstream(&out, &out_len);

	if (!m)
		return -ENOMEM;
	while (l && l < end && r >= 0) {
		const char *eol = line_end(l, end);
		if (line_is(l, eol, PGP_KEY_BEGIN)) {
			l = dearmor_block(m, next_line(eol, end), end, &r);
			blocks++;
		} else
			l = next_line(eol, end);
	}
	if (fclose(m) != 0 && r >= 0)
		r = -ENOMEM;
	if (r >= 0 && (blocks == 0 || out_len == 0))
		r = -EBADMSG;
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = (uint8_t *)out;
	*ret_len = out_len;
	return 0;
}

/* ---- gpgv status --------------------------------------------------------------------------- */

struct gpgv_state {
	bool good_pending, valid, bad;
	char *reason;
};

_printf_(2, 3) static void set_reason(struct gpgv_state *s, const char *fmt, ...)
{
	va_list ap;

	if (s->reason)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s->reason, fmt, ap) < 0)
		s->reason = NULL;
	va_end(ap);
}

/* VALIDSIG <fpr> <date> <ts> <expire> <ver> <reserved> <pkalgo> <hashalgo> <class> ... */
static void gpgv_validsig(struct gpgv_state *s, char **w)
{
	uint64_t hash = 0;

	if (strv_length(w) < 10 || parse_uint64(w[9], &hash) < 0)
		return;
	if (hash == 1 || hash == 2 || hash == 3) { /* MD5, SHA1, RIPEMD160 */
		set_reason(s, "signed by key %s with a weak digest algorithm", w[2]);
		return;
	}
	if (s->good_pending)
		s->valid = true;
}

static void gpgv_line(struct gpgv_state *s, char **w)
{
	const char *kw = w[1], *arg = w[2] ? w[2] : "?";

	if (streq(kw, "NEWSIG"))
		s->good_pending = false;
	else if (streq(kw, "GOODSIG"))
		s->good_pending = true;
	else if (streq(kw, "VALIDSIG"))
		gpgv_validsig(s, w);
	else if (streq(kw, "BADSIG")) {
		s->bad = true;
		free(s->reason);
		s->reason = NULL;
		set_reason(s, "bad signature by key %s", arg);
	} else if (streq(kw, "EXPKEYSIG"))
		set_reason(s, "signed by expired key %s", arg);
	else if (streq(kw, "REVKEYSIG"))
		set_reason(s, "signed by revoked key %s", arg);
	else if (streq(kw, "EXPSIG"))
		set_reason(s, "signature by key %s has expired", arg);
	else if (streq(kw, "NO_PUBKEY"))
		set_reason(s, "signed by unknown key %s", arg);
	else if (streq(kw, "NODATA"))
		set_reason(s, "no signature found");
}

int apt_gpgv_status_check(const char *status, char **ret_reason)
{
	struct gpgv_state s = {};
	const char *l = status, *end = status + strlen(status);
	int r;

	for (; l < end; l = next_line(line_end(l, end), end)) {
		_cleanup_free_ char *line = strndup(l, line_end(l, end) - l);
		_cleanup_strv_free_ char **w = NULL;
		if (!line)
			return -ENOMEM;
		r = split_words(line, &w);
		if (r < 0)
			return r;
		if (strv_length(w) >= 2 && streq(w[0], "[GNUPG:]"))
			gpgv_line(&s, w);
	}
	if (s.valid && !s.bad) {
		free(s.reason);
		return 0;
	}
	if (!s.reason)
		s.reason = strdup("no valid signature");
	if (ret_reason)
		*ret_reason = s.reason;
	else
		free(s.reason);
	return -EBADMSG;
}

/* ---- host apt sources ---------------------------------------------------------------------- */

bool apt_is_debian_suite(const char *suite)
{
	static const char *const names[] = {
		"buster",    "bullseye", "bookworm", "trixie",	  "forky",	  "duke",
		"sid",	     "stable",	 "testing",  "unstable", "oldstable", "oldoldstable",
		"stretch",   "jessie",
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(suite, names[i]))
			return true;
	return false;
}

static bool usable_uri(const char *u)
{
	return startswith(u, "http://") || startswith(u, "https://") || startswith(u, "file:/");
}

/* A Debian release ("bookworm"), or with security its security suite ("bookworm-security"). */
static bool wanted_suite(const char *suite, bool security)
{
	_cleanup_free_ char *base = NULL;
	const char *e = endswith(suite, "-security");

	if (!security)
		return apt_is_debian_suite(suite);
	if (!e || !(base = strndup(suite, (size_t)(e - suite))))
		return false;
	return apt_is_debian_suite(base);
}

static bool any_wanted_suite(char **suites, bool security)
{
	for (char **s = suites; s && *s; s++)
		if (wanted_suite(*s, security))
			return true;
	return false;
}

static char *uri_trimmed(const char *u)
{
	char *s = strdup(u);
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

/* One deb822 stanza [p, end): 1 and *ret set if it is a usable Debian source. */
static int stanza_mirror(const char *p, const char *end, bool security, char **ret)
{
	_cleanup_free_ char *types = deb822_get(p, end, "Types");
	_cleanup_free_ char *uris = deb822_get(p, end, "URIs");
	_cleanup_free_ char *suites = deb822_get(p, end, "Suites");
	_cleanup_free_ char *enabled = deb822_get(p, end, "Enabled");
	_cleanup_strv_free_ char **t = NULL, **u = NULL, **s = NULL;

	if (!types || !uris || !suites || (enabled && parse_bool(enabled) == 0))
		return 0;
	if (split_words(types, &t) < 0 || split_words(uris, &u) < 0 || split_words(suites, &s) < 0)
		return -ENOMEM;
	if (!strv_contains(t, "deb") || !any_wanted_suite(s, security))
		return 0;
	for (char **x = u; x && *x; x++)
		if (usable_uri(*x)) {
			*ret = uri_trimmed(*x);
			return *ret ? 1 : -ENOMEM;
		}
	return 0;
}

static int deb822_mirror(const char *text, bool security, char **ret)
{
	const char *end = text + strlen(text), *p = text;

	while (p < end) {
		const char *q = p, *eol;
		int r;

		/* A stanza ends at a blank line. */
		for (; q < end; q = next_line(eol, end)) {
			eol = line_end(q, end);
			if (blank_between(q, eol))
				break;
		}
		r = stanza_mirror(p, q, security, ret);
		if (r != 0)
			return r < 0 ? r : 0;
		p = next_line(line_end(q, end), end);
	}
	return -ENOENT;
}

/* "deb [opts] URI SUITE COMPONENT..." */
static int oneline_mirror(const char *line, bool security, char **ret)
{
	_cleanup_strv_free_ char **w = NULL;
	_cleanup_free_ char *copy = strndup(line, strcspn(line, "#\n"));
	char *s, *close;

	if (!copy)
		return -ENOMEM;
	s = strstrip(copy);
	if (!startswith(s, "deb ") && !startswith(s, "deb\t"))
		return 0;
	s += 4;
	s += strspn(s, " \t");
	if (*s == '[') {
		close = strchr(s, ']');
		if (!close)
			return 0;
		s = close + 1;
	}
	if (split_words(s, &w) < 0)
		return -ENOMEM;
	if (strv_length(w) < 2 || !usable_uri(w[0]) || !wanted_suite(w[1], security))
		return 0;
	*ret = uri_trimmed(w[0]);
	return *ret ? 1 : -ENOMEM;
}

int apt_sources_debian_mirror(const char *text, bool deb822, bool security, char **ret)
{
	const char *end = text + strlen(text);

	if (deb822)
		return deb822_mirror(text, security, ret);
	for (const char *l = text; l < end; l = next_line(line_end(l, end), end)) {
		int r = oneline_mirror(l, security, ret);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return -ENOENT;
}
