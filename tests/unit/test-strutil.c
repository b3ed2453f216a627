/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>

#include "sha256.h"
#include "strutil.h"
#include "fileio.h"
#include "tap.h"

static void test_parse_size(void)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t want;
	} cases[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "512M", 0, 512ULL << 20 },
		{ "1.5G", 0, 3ULL << 29 },
		{ "1.5g", 0, 3ULL << 29 },
		{ "2T", 0, 2ULL << 40 },
		{ "10K", 0, 10240 },
		{ "10k", 0, 10240 },
		{ "1KiB", 0, 1024 },
		{ "1KB", 0, 1024 },
		{ "100B", 0, 100 },
		{ "0.5K", 0, 512 },
		{ "16E", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "-1M", -EINVAL, 0 },
		{ "1.5", -EINVAL, 0 },
		{ "1.M", -EINVAL, 0 },
		{ "12X", -EINVAL, 0 },
		{ "1MM", -EINVAL, 0 },
		{ " 1M", -EINVAL, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint64_t v = 0;
		int r = parse_size(cases[i].in, &v);
		is_int(r, cases[i].ret, cases[i].in);
		if (cases[i].ret == 0)
			is_int((long long)v, (long long)cases[i].want, cases[i].in);
	}
}

static void test_format_size(void)
{
	char buf[32];

	is_str(format_size(buf, sizeof(buf), 100), "100B", "format 100B");
	is_str(format_size(buf, sizeof(buf), 512ULL << 20), "512M", "format 512M");
	is_str(format_size(buf, sizeof(buf), 3ULL << 29), "1.5G", "format 1.5G");
	is_str(format_size(buf, sizeof(buf), 1024), "1K", "format 1K");
}

static void test_bool_uuid(void)
{
	uint8_t u[16];
	char s[37];

	is_int(parse_bool("yes"), 1, "bool yes");
	is_int(parse_bool("Off"), 0, "bool Off");
	is_int(parse_bool("maybe"), -EINVAL, "bool maybe");
	is_int(uuid_parse_str("4f68bce3-e8cd-4db1-96e7-fbcaf984b709", u), 0, "uuid parses");
	uuid_format(u, s);
	is_str(s, "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "uuid round trip");
	is_int(uuid_parse_str("4f68bce3e8cd-4db1-96e7-fbcaf984b7091", u), -EINVAL, "uuid dashes");
	is_int(uuid_parse_str("4f68bce3-e8cd-4db1-96e7-fbcaf984b70", u), -EINVAL, "uuid short");
	is_int(uuid_parse_str("4f68bce3-e8cd-4db1-96e7-fbcaf984b70g", u), -EINVAL, "uuid hex");
}

static void test_suggest(void)
{
	static const char *const keys[] = { "Packages", "RemovePackages", "WithDocs" };

	is_int((long long)levenshtein("kitten", "sitting"), 3, "levenshtein");
	is_str(suggest_nearest("Pakages", keys, 3), "Packages", "suggest Pakages");
	is_str(suggest_nearest("withdocs", keys, 3), "WithDocs", "suggest is case-blind");
	ok(suggest_nearest("Hostname", keys, 3) == NULL, "no suggestion when far");
}

static void test_strv_json(void)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ char *q = json_quote("a\"b\\c\n\x01");

	ok(strv_extend(&l, "b") == 0 && strv_extend(&l, "a") == 0, "strv_extend");
	strv_sort(l);
	is_str(l[0], "a", "strv_sort");
	is_int((long long)strv_length(l), 2, "strv_length");
	ok(strv_contains(l, "b") && !strv_contains(l, "c"), "strv_contains");
	is_str(q, "\"a\\\"b\\\\c\\n\\u0001\"", "json_quote escapes");
}

static void test_sha256(void)
{
	char hex[65];

	sha256_buffer("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256(abc)");
	sha256_buffer("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256('')");
}

int main(void)
{
	test_parse_size();
	test_format_size();
	test_bool_uuid();
	test_suggest();
	test_strv_json();
	test_sha256();
	return tap_done();
}
