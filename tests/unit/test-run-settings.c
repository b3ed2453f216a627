/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runimg's settings: option values, defaults and combinations, machine names. */
#include <errno.h>
#include <stdlib.h>

#include "settings.h"
#include "strutil.h"
#include "tap.h"

static void test_binds(void)
{
	struct run_settings s;

	settings_init(&s);
	is_int(settings_add_bind(&s, "/srv/data", false), 0, "bind SRC");
	is_int(settings_add_bind(&s, "/srv/a:/mnt/b", true), 0, "bind-ro SRC:DST");
	is_int(settings_add_bind(&s, "/srv/a:", false), 0, "bind SRC: (empty DST)");
	is_int(settings_add_bind(&s, "relative", false), -EINVAL, "relative source refused");
	is_int(settings_add_bind(&s, "/a:rel", false), -EINVAL, "relative target refused");
	is_int(settings_add_bind(&s, "/a:/b/../c", false), -EINVAL, "'..' in target refused");
	is_int(settings_add_bind(&s, "/a:/b:/c", false), -EINVAL, "extra colon refused");
	is_int((long long)s.n_binds, 3, "three binds kept");
	is_str(s.binds[0].dst, "/srv/data", "DST defaults to SRC");
	is_str(s.binds[1].src, "/srv/a", "SRC parsed");
	is_str(s.binds[1].dst, "/mnt/b", "DST parsed");
	ok(s.binds[1].read_only && !s.binds[0].read_only, "read-only flag");
	is_str(s.binds[2].dst, "/srv/a", "empty DST defaults to SRC");
	settings_done(&s);
}

static void test_env(void)
{
	struct run_settings s;

	settings_init(&s);
	is_int(settings_add_env(&s, "FOO=bar"), 0, "K=V");
	is_int(settings_add_env(&s, "EMPTY="), 0, "K= (empty value)");
	is_int(settings_add_env(&s, "FOO=baz"), 0, "K=V again");
	is_int(settings_add_env(&s, "NOEQUALS"), -EINVAL, "no '=' refused");
	is_int(settings_add_env(&s, "=x"), -EINVAL, "empty name refused");
	is_int(settings_add_env(&s, "1X=y"), -EINVAL, "name starting with a digit refused");
	is_int(settings_add_env(&s, "A-B=y"), -EINVAL, "'-' in name refused");
	is_int((long long)strv_length(s.environment), 2, "later assignment replaces earlier");
	is_str(s.environment[0], "FOO=baz", "replaced in place");
	settings_done(&s);
}

static void test_timeout(void)
{
	struct run_settings s;

	settings_init(&s);
	is_int(settings_set_timeout(&s, "5"), 0, "timeout 5");
	is_int(s.timeout_usec, 5000000, "5 s");
	is_int(settings_set_timeout(&s, "1.5"), 0, "timeout 1.5");
	is_int(s.timeout_usec, 1500000, "1.5 s");
	is_int(settings_set_timeout(&s, "250ms"), 0, "timeout 250ms");
	is_int(s.timeout_usec, 250000, "250 ms");
	is_int(settings_set_timeout(&s, "2min"), 0, "timeout 2min");
	is_int(s.timeout_usec, 120000000, "2 min");
	is_int(settings_set_timeout(&s, "-1"), -EINVAL, "negative refused");
	is_int(settings_set_timeout(&s, "5x"), -EINVAL, "junk refused");
	is_int(settings_set_timeout(&s, ""), -EINVAL, "empty refused");
	settings_done(&s);
}

static void test_proc_view(void)
{
	struct run_settings s;

	settings_init(&s);
	is_int(settings_set_proc_view(&s, "strict"), 0, "--proc-view strict");
	is_int(s.proc_view, PROC_VIEW_STRICT, "... strict");
	is_int(settings_set_proc_view(&s, "no"), 0, "--proc-view no");
	is_int(s.proc_view, PROC_VIEW_NO, "... no");
	is_int(settings_set_proc_view(&s, "yes"), 0, "--proc-view yes");
	is_int(s.proc_view, PROC_VIEW_CACHED, "... yes: the page cache");
	is_int(settings_set_proc_view(&s, "maybe"), -EINVAL, "junk refused");
	settings_done(&s);
}

static int finalize(struct run_settings *s, const char **msg)
{
	if (!s->input)
		s->input = strdup("img.raw");
	return settings_finalize(s, msg);
}

static void test_finalize(void)
{
	struct run_settings s;
	const char *msg = NULL;

	settings_init(&s);
	is_int(settings_finalize(&s, &msg), -EINVAL, "no input refused");
	is_int(finalize(&s, &msg), 0, "defaults");
	ok(s.boot == 0 && s.read_only == 0 && s.private_network == 0, "booleans default to no");
	is_int(s.snapshot, SNAPSHOT_NONE, "no snapshot by default");
	is_int(s.timeout_usec, (long long)RUNIMG_DEFAULT_TIMEOUT_USEC, "default timeout");
	settings_done(&s);

	settings_init(&s);
	s.overlay_dir = strdup("/var/lib/x");
	is_int(finalize(&s, &msg), 0, "--overlay DIR");
	is_int(s.snapshot, SNAPSHOT_OVERLAY, "--overlay implies the overlay mode");
	settings_done(&s);

	settings_init(&s);
	s.overlay_dir = strdup("/x");
	s.snapshot = SNAPSHOT_EPHEMERAL;
	is_int(finalize(&s, &msg), -EINVAL, "--ephemeral with --overlay refused");
	settings_done(&s);

	settings_init(&s);
	s.overlay_dir = strdup("rel");
	is_int(finalize(&s, &msg), -EINVAL, "relative --overlay refused");
	settings_done(&s);

	settings_init(&s);
	s.read_only = 1;
	s.snapshot = SNAPSHOT_EPHEMERAL;
	is_int(finalize(&s, &msg), -EINVAL, "--read-only with --ephemeral refused");
	settings_done(&s);

	settings_init(&s);
	s.machine = strdup("bad/name");
	is_int(finalize(&s, &msg), -EINVAL, "invalid machine name refused");
	settings_done(&s);
}

static void test_names(void)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
		{ "/var/lib/images/web-1.raw", "web-1" },
		{ "c7-2.img", "c7-2" },
		{ "root.tar.gz", "root" },
		{ "root.tar.zst", "root" },
		{ "/srv/trees/debian/", "debian" },
		{ "my image@v2.raw", "my-image-v2" },
		{ ".hidden.raw", "hidden" },
		{ ".raw", "raw" },
		{ "/", "machine" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = NULL;
		is_int(machine_name_from_path(cases[i].path, &n), 0, cases[i].path);
		is_str(n, cases[i].want, cases[i].path);
		ok(n && machine_name_valid(n), "derived name is valid");
		free(n);
	}
	ok(machine_name_valid("a.b_c-1"), "valid name");
	ok(!machine_name_valid(""), "empty name invalid");
	ok(!machine_name_valid("-x"), "leading '-' invalid");
	ok(!machine_name_valid("a b"), "space invalid");
	ok(!machine_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	   "65 characters invalid");
}

int main(void)
{
	test_binds();
	test_env();
	test_timeout();
	test_proc_view();
	test_finalize();
	test_names();
	return tap_done();
}
