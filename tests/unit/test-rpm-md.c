/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* repomd.xml parsing: the entries, their digests, what is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpm-md.h"
#include "rpm-modules.h"
#include "strutil.h"
#include "solve-rpm.h"
#include "tap.h"

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"

static const char repomd[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" "
	"xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
	"  <revision>1700000000</revision>\n"
	"  <data type=\"primary\">\n"
	"    <checksum type=\"sha256\">" D1 "</checksum>\n"
	"    <open-checksum type=\"sha256\">" D2 "</open-checksum>\n"
	"    <location href=\"repodata/" D1 "-primary.xml.zst\"/>\n"
	"    <timestamp>1700000000</timestamp>\n"
	"    <size>1234</size>\n"
	"    <open-size>99999</open-size>\n"
	"  </data>\n"
	"  <data type='group_gz'>\n"
	"    <checksum type='sha256'> " D2 " </checksum>\n"
	"    <location xml:base=\"x\" href='repodata/comps.xml.gz'/>\n"
	"  </data>\n"
	"</repomd>\n";

static void test_parse(void)
{
	struct rpmmd_data *d = NULL;
	size_t n = 0;
	int r = rpmmd_parse_repomd(repomd, strlen(repomd), &d, &n);

	is_int(r, 0, "repomd.xml parses");
	is_int((int)n, 2, "two entries");
	if (r < 0 || n != 2)
		return;
	is_str(d[0].type, "primary", "type");
	is_str(d[0].sha256, D1, "checksum, not open-checksum");
	is_str(d[0].href, "repodata/" D1 "-primary.xml.zst", "location");
	ok(d[0].size == 1234, "size, not open-size");
	is_str(d[1].type, "group_gz", "single quotes");
	is_str(d[1].sha256, D2, "whitespace around the digest");
	is_str(d[1].href, "repodata/comps.xml.gz", "href after another attribute");
	ok(d[1].size == 0, "no size");
	rpmmd_data_free(d, n);
}

static void test_refused(void)
{
	static const char sha1[] = "<repomd><data type=\"primary\"><checksum type=\"sha\">"
				   "da39a3ee5e6b4b0d3255bfef95601890afd80709</checksum>"
				   "<location href=\"p.xml.gz\"/></data></repomd>";
	static const char nodata[] = "<repomd><revision>1</revision></repomd>";
	static const char noloc[] = "<repomd><data type=\"primary\"><checksum type=\"sha256\">" D1
				    "</checksum></data></repomd>";
	struct rpmmd_data *d = NULL;
	size_t n = 0;

	is_int(rpmmd_parse_repomd(sha1, strlen(sha1), &d, &n), -EPROTONOSUPPORT,
	       "sha1 checksums are not trusted");
	is_int(rpmmd_parse_repomd(nodata, strlen(nodata), &d, &n), -EBADMSG, "no entries");
	is_int(rpmmd_parse_repomd(noloc, strlen(noloc), &d, &n), -EBADMSG, "no location");
	is_int(rpmmd_parse_repomd("<html/>", 7, &d, &n), -EBADMSG, "not repomd");
}

static void test_arch(void)
{
	is_str(rpm_arch("amd64"), "x86_64", "amd64");
	is_str(rpm_arch("arm64"), "aarch64", "arm64");
	ok(rpm_arch("m68k") == NULL, "unknown architecture");
}

static const char modules_yaml[] =
	"---\n"
	"document: modulemd\n"
	"version: 2\n"
	"data:\n"
	"  name: nodejs\n"
	"  stream: \"18\"\n"
	"  dependencies:\n"
	"  - buildrequires:\n"
	"      platform: [el9]\n"
	"  artifacts:\n"
	"    rpms:\n"
	"    - nodejs-1:18.14.2-2.module_el9+1.x86_64\n"
	"    - npm-1:9.5.0-1.module_el9+1.x86_64\n"
	"...\n"
	"---\n"
	"document: modulemd\n"
	"version: 2\n"
	"data:\n"
	"  name: nodejs\n"
	"  stream: '16'\n"
	"  artifacts:\n"
	"    rpms:\n"
	"    - nodejs-1:16.1-1.module_el9+2.x86_64\n"
	"  profiles:\n"
	"    common:\n"
	"      rpms:\n"
	"      - not-an-artifact\n"
	"...\n"
	"---\n"
	"document: modulemd\n"
	"version: 2\n"
	"data:\n"
	"  name: nodefault\n"
	"  stream: \"1\"\n"
	"  artifacts:\n"
	"    rpms:\n"
	"    - nd-0:1-1.noarch\n"
	"...\n"
	"---\n"
	"document: modulemd-defaults\n"
	"version: 1\n"
	"data:\n"
	"  module: nodejs\n"
	"  stream: \"18\"\n"
	"  profiles:\n"
	"    18: [common]\n"
	"...\n";

static void test_modules(void)
{
	char **ex = NULL;

	is_int(rpm_modules_nondefault(modules_yaml, &ex), 0, "modules.yaml parses");
	is_int((int)strv_length(ex), 2, "non-default streams' artifacts only");
	ok(strv_contains(ex, "nodejs-1:16.1-1.module_el9+2.x86_64"), "stream 16 excluded");
	ok(strv_contains(ex, "nd-0:1-1.noarch"), "a module without defaults is excluded");
	ok(!strv_contains(ex, "not-an-artifact"), "profile rpms are not artifacts");
	strv_free(ex);
}

int main(void)
{
	test_modules();
	test_parse();
	test_refused();
	test_arch();
	return tap_done();
}
