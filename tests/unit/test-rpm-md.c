/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* repomd.xml parsing: the entries, their digests, what is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpm-md.h"
#include "rpm-mirrors.h"
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

/* What MirrorManager (mirrors.centos.org/metalink) writes, shortened. */
static const char metalink[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<metalink version=\"3.0\" xmlns=\"http://www.metalinker.org/\" type=\"dynamic\" "
	"xmlns:mm0=\"http://fedorahosted.org/mirrormanager\">\n"
	" <files>\n"
	"  <file name=\"other.xml\"><size>1</size><verification>"
	"<hash type=\"sha256\">" D2 "</hash></verification>"
	"<resources><url protocol=\"https\" preference=\"100\">https://o/repodata/other.xml</url>"
	"</resources></file>\n"
	"  <file name=\"repomd.xml\">\n"
	"   <mm0:timestamp>1700000000</mm0:timestamp>\n"
	"   <mm0:alternates>\n"
	"    <mm0:alternate><mm0:timestamp>1690000000</mm0:timestamp><size>77</size>\n"
	"     <verification><hash type=\"sha256\">" D2 "</hash></verification>\n"
	"    </mm0:alternate>\n"
	"   </mm0:alternates>\n"
	"   <size>4321</size>\n"
	"   <verification>\n"
	"    <hash type=\"md5\">00000000000000000000000000000000</hash>\n"
	"    <hash type=\"sha256\">" D1 "</hash>\n"
	"    <hash type=\"sha512\">ab</hash>\n"
	"   </verification>\n"
	"   <resources maxconnections=\"1\">\n"
	"    <url protocol=\"https\" type=\"https\" location=\"US\" preference=\"90\">"
	"https://b.example/9-stream/BaseOS/x86_64/os/repodata/repomd.xml</url>\n"
	"    <url protocol=\"rsync\" type=\"rsync\" preference=\"100\">"
	"rsync://r.example/BaseOS/x86_64/os/repodata/repomd.xml</url>\n"
	"    <url protocol=\"http\" type=\"http\" preference=\"100\">"
	"http://a.example/os/repodata/repomd.xml?x=1&amp;y=2</url>\n"
	"    <url protocol=\"https\" preference=\"100\">"
	"https://a.example/os/repodata/repomd.xml</url>\n"
	"    <url protocol=\"http\" preference=\"100\">http://c.example/os/repomd.xml</url>\n"
	"    <url preference=\"90\">file:///srv/m/os/repodata/repomd.xml</url>\n"
	"   </resources>\n"
	"  </file>\n"
	" </files>\n"
	"</metalink>\n";

static void test_metalink(void)
{
	struct rpmmd_metalink m = {};
	int r = rpmmd_parse_metalink(metalink, strlen(metalink), &m);

	is_int(r, 0, "metalink parses");
	if (r < 0)
		return;
	is_int((int)m.n_hashes, 2, "the current digest and one alternate");
	is_str(m.hashes[0].sha256, D1, "sha256 of repomd.xml, not of other.xml or an alternate");
	ok(m.hashes[0].size == 4321, "size outside the alternates");
	is_str(m.hashes[1].sha256, D2, "alternate digest");
	ok(m.hashes[1].size == 77, "alternate size");
	is_int((int)strv_length(m.bases), 3, "http, https and file repomd.xml URLs only");
	is_str(m.bases[0], "https://a.example/os", "preference 100 first, trailing slash cut");
	is_str(m.bases[1], "https://b.example/9-stream/BaseOS/x86_64/os", "then preference 90");
	is_str(m.bases[2], "file:///srv/m/os", "ties keep document order");
	rpmmd_metalink_done(&m);
}

static void test_metalink_refused(void)
{
	static const char nofile[] = "<metalink><files><file name=\"x\"></file></files></metalink>";
	static const char nosha[] = "<metalink><files><file name=\"repomd.xml\"><verification>"
				    "<hash type=\"md5\">00</hash></verification><resources>"
				    "<url>http://a/repodata/repomd.xml</url></resources></file>"
				    "</files></metalink>";
	static const char nourl[] = "<metalink><files><file name=\"repomd.xml\"><verification>"
				    "<hash type=\"sha256\">" D1 "</hash></verification><resources>"
				    "<url protocol=\"ftp\">ftp://a/repodata/repomd.xml</url>"
				    "</resources></file></files></metalink>";
	struct rpmmd_metalink m = {};

	is_int(rpmmd_parse_metalink(nofile, strlen(nofile), &m), -EBADMSG, "no repomd.xml entry");
	is_int(rpmmd_parse_metalink(nosha, strlen(nosha), &m), -EPROTONOSUPPORT, "no sha256");
	is_int(rpmmd_parse_metalink(nourl, strlen(nourl), &m), -ENOENT, "no usable mirror");
	is_int(rpmmd_parse_metalink(repomd, strlen(repomd), &m), -EBADMSG, "repomd is not one");
	ok(m.bases == NULL && m.hashes == NULL, "nothing written on failure");
}

static void test_mirror_list(void)
{
	static const char list[] = "# mirrors\n\nhttp://a.example/centos/7/os/x86_64/\n"
				   "  https://b.example/os//  \nftp://c/os\nnot a url\n"
				   "file:///srv/os\n";
	struct rpm_mirrors m = { .url = "https://m/?r=$releasever&a=${basearch}&repo=$repo"
					"&x=$repository&y=$HOME$",
				 .basearch = "x86_64", .releasever = "9" };
	char **l = NULL, *url = NULL;

	is_int(rpm_mirrors_parse_list(list, strlen(list), &l), 0, "mirror list parses");
	is_int((int)strv_length(l), 3, "http, https and file lines");
	is_str(l ? l[0] : NULL, "http://a.example/centos/7/os/x86_64", "trailing slash cut");
	is_str(l ? l[1] : NULL, "https://b.example/os", "whitespace stripped");
	is_str(l ? l[2] : NULL, "file:///srv/os", "file URL");
	strv_free(l);
	l = NULL;
	is_int(rpm_mirrors_parse_list("# none\n", 7, &l), -ENOENT, "a list without URLs");
	is_int(rpm_mirrors_expand(&m, "BaseOS", &url), 0, "expand");
	is_str(url, "https://m/?r=9&a=x86_64&repo=baseos&x=$repository&y=$HOME$",
	       "$releasever, ${basearch}, $repo in lower case; other names kept");
	free(url);
}

int main(void)
{
	test_metalink();
	test_metalink_refused();
	test_mirror_list();
	test_modules();
	test_parse();
	test_refused();
	test_arch();
	return tap_done();
}
