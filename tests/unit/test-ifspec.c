/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runner/ifspec.c: IFSPEC, --network-bridge and settings parsing, names, MACs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ifspec.h"
#include "ini.h"
#include "strutil.h"
#include "tap.h"
#include "veth.h"

static char *fmt_addr(const struct netif_addr *a, bool prefix)
{
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	netif_format_addr(a, prefix, buf[i], sizeof(buf[i]));
	return buf[i];
}

static char *fmt_mac(const uint8_t m[6])
{
	static char buf[4][18];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
	return buf[i];
}

static void test_ifspec_full(void)
{
	struct netif_config c;
	char *msg = NULL;
	const struct netif_spec *s;

	netif_config_init(&c);
	is_int(netif_config_add_ifspec(&c,
				       "bridge=br0,name=eth1,address=192.0.2.5/24,address=2001:db8::5/64,"
				       "gateway=192.0.2.1,gateway=2001:db8::1,mac=02:00:5e:00:53:01,mtu=9000",
				       &msg),
	       0, "full IFSPEC parses");
	is_int(c.n, 1, "one interface");
	s = &c.v[0];
	is_str(s->bridge, "br0", "bridge");
	is_str(s->name, "eth1", "name");
	is_int(s->n_addrs, 2, "two addresses");
	is_str(fmt_addr(&s->addrs[0], true), "192.0.2.5/24", "IPv4 address");
	is_str(fmt_addr(&s->addrs[1], true), "2001:db8::5/64", "IPv6 address");
	is_str(fmt_addr(&s->gw4, false), "192.0.2.1", "IPv4 gateway");
	is_str(fmt_addr(&s->gw6, false), "2001:db8::1", "IPv6 gateway");
	ok(s->has_mac, "MAC given");
	is_str(fmt_mac(s->mac), "02:00:5e:00:53:01", "MAC");
	is_int(s->mtu, 9000, "MTU");
	is_str(s->origin, "--network 'bridge=br0,name=eth1,address=192.0.2.5/24,"
			  "address=2001:db8::5/64,gateway=192.0.2.1,gateway=2001:db8::1,"
			  "mac=02:00:5e:00:53:01,mtu=9000'", "origin names the spec");
	is_int(netif_config_finalize(&c, &msg), 0, "finalize");
	is_str(c.v[0].name, "eth1", "explicit name kept");
	is_str(fmt_mac(c.v[0].mac), "02:00:5e:00:53:01", "explicit MAC kept");
	netif_config_done(&c);
	free(msg);
}

struct bad {
	const char *spec, *pattern;
};

static const struct bad bad_specs[] = {
	{ "", "empty item" },
	{ "bridge=br0,", "empty item" },
	{ "bridge=br0,,name=x", "empty item" },
	{ "name=eth0", "missing 'bridge=BR'" },
	{ "bridge", "expected KEY=VALUE, got 'bridge'" },
	{ "bridge=", "'bridge=' needs a value" },
	{ "bridge=br0,bridge=br1", "'bridge=' given twice" },
	{ "bridge=br0,adress=192.0.2.1/24", "unknown key 'adress' (did you mean 'address'?)" },
	{ "bridge=br0,vlan=4", "unknown key 'vlan'" },
	{ "bridge=br0,address=192.0.2.5", "invalid address '192.0.2.5'" },
	{ "bridge=br0,address=192.0.2.300/24", "invalid address '192.0.2.300/24'" },
	{ "bridge=br0,address=192.0.2.5/33", "invalid address '192.0.2.5/33'" },
	{ "bridge=br0,address=192.0.2.5/-1", "invalid address" },
	{ "bridge=br0,address=192.0.2.5/", "invalid address" },
	{ "bridge=br0,address=192.0.2.5/24x", "invalid address" },
	{ "bridge=br0,address=192.0.2/24", "invalid address" },
	{ "bridge=br0,address=host/24", "invalid address" },
	{ "bridge=br0,address=2001:db8::g/64", "invalid address" },
	{ "bridge=br0,address=2001:db8::1/129", "invalid address" },
	{ "bridge=br0,address=192.0.2.5/0", "cannot be assigned" },
	{ "bridge=br0,address=0.0.0.0/8", "cannot be assigned" },
	{ "bridge=br0,address=224.0.0.1/4", "cannot be assigned" },
	{ "bridge=br0,address=127.0.0.2/8", "cannot be assigned" },
	{ "bridge=br0,address=ff02::1/64", "cannot be assigned" },
	{ "bridge=br0,address=::1/128", "cannot be assigned" },
	{ "bridge=br0,address=192.0.2.5/24,address=192.0.2.5/25", "given twice" },
	{ "bridge=br0,address=192.0.2.5/24,gateway=192.0.2.1/24", "invalid gateway" },
	{ "bridge=br0,address=192.0.2.5/24,gateway=router", "invalid gateway" },
	{ "bridge=br0,address=192.0.2.5/24,gateway=198.51.100.1", "not in the subnet" },
	{ "bridge=br0,gateway=192.0.2.1", "not in the subnet of any IPv4 address" },
	{ "bridge=br0,address=2001:db8::5/64,gateway=2001:db9::1", "not in the subnet of any IPv6" },
	{ "bridge=br0,address=192.0.2.5/24,gateway=192.0.2.1,gateway=192.0.2.2",
	  "more than one IPv4 gateway" },
	{ "bridge=br0,mac=02:00:00:00:00", "invalid MAC address" },
	{ "bridge=br0,mac=02:00:00:00:00:0g", "invalid MAC address" },
	{ "bridge=br0,mac=02:00-00:00:00:01", "invalid MAC address" },
	{ "bridge=br0,mac=02:00:00:00:00:001", "invalid MAC address" },
	{ "bridge=br0,mac=01:00:5e:00:00:01", "multicast" },
	{ "bridge=br0,mac=00:00:00:00:00:00", "all zeros" },
	{ "bridge=br0,mtu=67", "invalid MTU '67'" },
	{ "bridge=br0,mtu=65536", "invalid MTU" },
	{ "bridge=br0,mtu=1500x", "invalid MTU" },
	{ "bridge=br0,mtu=-1", "invalid MTU" },
	{ "bridge=br0,mtu=1500,mtu=1400", "'mtu=' given twice" },
	{ "bridge=br0,name=a-very-long-name0", "invalid interface name" },
	{ "bridge=br0,name=a/b", "invalid interface name" },
	{ "bridge=br0,name=lo", "invalid interface name 'lo'" },
	{ "bridge=br0,name=..", "invalid interface name" },
	{ "bridge=br 0", "invalid bridge name" },
	{ "bridge=bridge-name-too-long", "invalid bridge name" },
};

static void test_ifspec_errors(void)
{
	for (size_t i = 0; i < ELEMENTSOF(bad_specs); i++) {
		struct netif_config c;
		char *msg = NULL;
		char want_origin[256];
		int r;

		netif_config_init(&c);
		r = netif_config_add_ifspec(&c, bad_specs[i].spec, &msg);
		is_int(r, -EINVAL, bad_specs[i].spec);
		snprintf(want_origin, sizeof(want_origin), "--network '%s': ", bad_specs[i].spec);
		ok(msg && startswith(msg, want_origin) && strstr(msg, bad_specs[i].pattern),
		   "message for '%s' names the spec and says '%s'", bad_specs[i].spec,
		   bad_specs[i].pattern);
		if (msg && !(startswith(msg, want_origin) && strstr(msg, bad_specs[i].pattern)))
			printf("#   got '%s'\n", msg);
		is_int(c.n, 0, "nothing added");
		free(msg);
		netif_config_done(&c);
	}
}

static void test_network_bridge(void)
{
	struct netif_config c;
	char *msg = NULL;

	netif_config_init(&c);
	is_int(netif_config_add_bridge(&c, "br0", &msg), 0, "--network-bridge br0");
	is_int(netif_config_add_bridge(&c, "br1", &msg), 0, "--network-bridge br1");
	is_int(netif_config_add_ifspec(&c, "bridge=br2,name=host0", &msg), 0, "--network named host0");
	is_int(netif_config_add_bridge(&c, "bad/name", &msg), -EINVAL, "bad bridge name refused");
	is_str(msg, "--network-bridge 'bad/name': invalid bridge name 'bad/name'", "message");
	free(msg);
	msg = NULL;
	is_int(netif_config_finalize(&c, &msg), 0, "finalize");
	is_int(c.n, 3, "three interfaces");
	/* The explicit host0 is reserved first; the others get the lowest free names. */
	is_str(c.v[0].name, "host1", "first --network-bridge: host1 (host0 is taken)");
	is_str(c.v[1].name, "host2", "second: host2");
	is_str(c.v[2].name, "host0", "named one keeps host0");
	is_str(c.v[0].bridge, "br0", "bridge order kept");
	netif_config_done(&c);
}

struct parsed {
	struct netif_config c;
	char *msg;
	unsigned line;
};

static int cb(const char *section, const char *key, const char *value, const struct ini_pos *pos,
	      void *userdata)
{
	struct parsed *p = userdata;
	int r = netif_config_assign(&p->c, section, key, value, pos, &p->msg);

	if (r == -ENOENT)
		return 0; /* Private= and friends belong to runimg's settings parser */
	if (r < 0)
		p->line = pos->line;
	return r;
}

/* Parse a settings text (as file "c7-2.nspawn"); finalize if parsing worked. */
static int parse(struct parsed *p, const char *text, bool finalize)
{
	int r;

	netif_config_init(&p->c);
	p->msg = NULL;
	p->line = 0;
	r = ini_parse_buffer(text, strlen(text), "c7-2.nspawn", cb, p, NULL);
	if (r >= 0 && finalize)
		r = netif_config_finalize(&p->c, &p->msg);
	return r;
}

static void parsed_done(struct parsed *p)
{
	netif_config_done(&p->c);
	free(p->msg);
}

static void test_seed(void)
{
	struct parsed p;
	char h0[16];

	/* The seed's file, unchanged: host0 on br0, host1 exactly as nspawn makes it. */
	is_int(parse(&p, "[Exec]\nBoot=yes\n\n[Network]\nVirtualEthernet=no\nBridge=br0\n"
			 "VirtualEthernetExtra=veth-c7-2:host1\n", true),
	       0, "seed settings parse");
	is_int(p.c.n, 2, "seed: two interfaces");
	netif_host_name("c7-2", 0, h0);
	is_str(p.c.v[0].name, "host0", "seed: host0");
	is_str(p.c.v[0].bridge, "br0", "seed: host0 on br0");
	ok(!p.c.v[0].host_name, "seed: host0's host side is derived");
	{
		struct netif_names nm;

		netif_effective(&p.c.v[0], 0, "c7-2", &nm);
		is_str(nm.host_name, h0, "seed: derived host side of host0");
		netif_effective(&p.c.v[1], 1, "c7-2", &nm);
		is_str(nm.host_name, "veth-c7-2", "seed: effective host side of host1");
	}
	is_str(p.c.v[1].name, "host1", "seed: host1");
	ok(!p.c.v[1].bridge, "seed unchanged: host1 on no bridge (as nspawn)");
	is_str(p.c.v[1].host_name, "veth-c7-2", "seed: host1's host side is veth-c7-2");
	parsed_done(&p);

	/* The seed plus the one line that replaces the ExecStartPost= hack. */
	is_int(parse(&p, "[Network]\nVirtualEthernet=no\nBridge=br0\n"
			 "VirtualEthernetExtra=veth-c7-2:host1\nBridge=br1\n", true),
	       0, "seed + Bridge=br1 parses");
	is_int(p.c.n, 2, "seed + Bridge=br1: still two interfaces");
	is_str(p.c.v[1].name, "host1", "second Bridge= is host1");
	is_str(p.c.v[1].bridge, "br1", "host1 on br1");
	is_str(p.c.v[1].host_name, "veth-c7-2", "host1 keeps the host-side name veth-c7-2");
	parsed_done(&p);

	/* The migrated file: two [Interface] sections with addresses. */
	is_int(parse(&p, "[Network]\nPrivate=yes\n\n"
			 "[Interface]\nBridge=br0\nAddress=192.0.2.10/24\nGateway=192.0.2.1\n\n"
			 "[Interface]\nBridge=br1\nName=host1\nAddress=198.51.100.10/24\n"
			 "Address=2001:db8:1::10/64\nMTU=1400\n",
		       true),
	       0, "two [Interface] sections");
	is_int(p.c.n, 2, "two interfaces");
	is_str(p.c.v[0].name, "host0", "first section host0");
	is_str(p.c.v[0].bridge, "br0", "first on br0");
	is_str(fmt_addr(&p.c.v[0].gw4, false), "192.0.2.1", "gateway in the first");
	is_int(p.c.v[1].n_addrs, 2, "Address= repeats");
	is_str(fmt_addr(&p.c.v[1].addrs[1], true), "2001:db8:1::10/64", "second address");
	is_int(p.c.v[1].mtu, 1400, "MTU=");
	is_str(p.c.v[0].origin, "c7-2.nspawn:4: [Interface]", "origin is the section header");
	parsed_done(&p);
}

static void test_settings_errors(void)
{
	struct parsed p;

	is_int(parse(&p, "[Interface]\nName=eth0\nAddress=192.0.2.1/24\n", true), -EINVAL,
	       "[Interface] without Bridge=");
	is_str(p.msg, "c7-2.nspawn:1: [Interface]: no Bridge= given", "message names the section");
	parsed_done(&p);

	is_int(parse(&p, "[Interface]\nBridge=br0\nAdress=192.0.2.1/24\n", false), -EINVAL,
	       "typo in [Interface]");
	is_str(p.msg, "unknown key 'Adress' in [Interface] (did you mean 'Address'?)", "suggests");
	is_int(p.line, 3, "at its line");
	parsed_done(&p);

	is_int(parse(&p, "[Interface]\nBridge=br0\nAddress=192.0.2.300/24\n", false), -EINVAL,
	       "bad Address=");
	ok(p.msg && strstr(p.msg, "invalid address '192.0.2.300/24'"), "says which address");
	parsed_done(&p);

	is_int(parse(&p, "[Interface]\nBridge=br0\nAddress=192.0.2.5/24\nGateway=203.0.113.1\n",
		     true),
	       -EINVAL, "gateway outside the subnets");
	ok(p.msg && startswith(p.msg, "c7-2.nspawn:1: [Interface]: gateway '203.0.113.1'"),
	   "message: %s", p.msg);
	parsed_done(&p);

	is_int(parse(&p, "[Interface]\nBridge=br0\nAddress=192.0.2.5/24\nGateway=192.0.2.1\n"
			 "[Interface]\nBridge=br1\nAddress=192.0.2.6/24\nGateway=192.0.2.1\n",
		     true),
	       -EINVAL, "two IPv4 default routes");
	ok(p.msg && strstr(p.msg, "a second IPv4 gateway"), "message: %s", p.msg);
	parsed_done(&p);

	is_int(parse(&p, "[Interface]\nBridge=br0\nName=eth0\n[Interface]\nBridge=br1\nName=eth0\n",
		     true),
	       -EINVAL, "duplicate names");
	ok(p.msg && strstr(p.msg, "interface name 'eth0' is used twice"), "message: %s", p.msg);
	parsed_done(&p);

	is_int(parse(&p, "[Interface]\nBridge=br0\nAddress=2001:db8::5/64\nMTU=1000\n", true),
	       -EINVAL, "IPv6 with MTU < 1280");
	ok(p.msg && strstr(p.msg, "too small for IPv6"), "message: %s", p.msg);
	parsed_done(&p);

	is_int(parse(&p, "[Network]\nBridge=\n", false), -EINVAL, "empty Bridge=");
	parsed_done(&p);
	is_int(parse(&p, "[Network]\nVirtualEthernet=maybe\n", false), -EINVAL, "bad boolean");
	parsed_done(&p);
	is_int(parse(&p, "[Network]\nVirtualEthernetExtra=vr-1234:x\n", false), -EINVAL,
	       "'vr-' host names are runimg's");
	parsed_done(&p);
	is_int(parse(&p, "[Network]\nVirtualEthernetExtra=a:b:c\n", false), -EINVAL,
	       "bad VirtualEthernetExtra=");
	parsed_done(&p);
	is_int(parse(&p, "[Network]\nVirtualEthernetExtra=x:lo\n", false), -EINVAL,
	       "VirtualEthernetExtra= to lo");
	parsed_done(&p);
	is_int(parse(&p, "[Network]\nVirtualEthernetExtra=x:a\nVirtualEthernetExtra=x:b\n", true),
	       -EINVAL, "one host name twice");
	ok(p.msg && strstr(p.msg, "host interface 'x' is named twice"), "message: %s", p.msg);
	parsed_done(&p);
}

static void test_settings_misc(void)
{
	struct parsed p;

	is_int(parse(&p, "[Network]\nVirtualEthernet=yes\n", true), 0, "VirtualEthernet=yes alone");
	is_int(p.c.n, 1, "one interface");
	is_str(p.c.v[0].name, "host0", "host0");
	ok(!p.c.v[0].bridge, "attached to nothing");
	parsed_done(&p);

	is_int(parse(&p, "[Network]\nVirtualEthernet=no\n", true), 0, "VirtualEthernet=no alone");
	is_int(p.c.n, 0, "no interface");
	parsed_done(&p);

	is_int(parse(&p, "[Network]\nVirtualEthernetExtra=ext0\n", true), 0, "HOST only");
	is_str(p.c.v[0].name, "ext0", "guest name defaults to the host name");
	is_str(p.c.v[0].host_name, "ext0", "host name");
	parsed_done(&p);

	is_int(parse(&p, "[Network]\nVirtualEthernetExtra=a:b\nVirtualEthernetExtra=\n", true), 0,
	       "empty VirtualEthernetExtra= resets");
	is_int(p.c.n, 0, "no interface");
	parsed_done(&p);

	is_int(parse(&p, "[Interface]\nBridge=br0\nAddress=192.0.2.5/24\nAddress=\n"
			 "Address=198.51.100.5/24\nMACAddress=02:11:22:33:44:55\nMACAddress=\n",
		     true),
	       0, "empty assignments reset");
	is_int(p.c.v[0].n_addrs, 1, "one address left");
	is_str(fmt_addr(&p.c.v[0].addrs[0], true), "198.51.100.5/24", "the later one");
	ok(!p.c.v[0].has_mac, "MAC derived again");
	parsed_done(&p);

	/* The command line overrides the file's interfaces. */
	{
		struct netif_config cmd;
		char *msg = NULL;

		netif_config_init(&cmd);
		parse(&p, "[Network]\nBridge=br0\nBridge=br1\n", false);
		netif_config_add_bridge(&cmd, "br7", &msg);
		netif_config_merge_file(&cmd, &p.c);
		is_int(cmd.n, 1, "command line wins");
		is_str(cmd.v[0].bridge, "br7", "its bridge");
		is_int(p.c.n, 0, "file emptied");
		netif_config_done(&cmd);
		netif_config_init(&cmd);
		parse(&p, "[Network]\nBridge=br0\nBridge=br1\n", false);
		netif_config_merge_file(&cmd, &p.c);
		is_int(cmd.n, 2, "no command line: the file's");
		netif_config_done(&cmd);
		parsed_done(&p);
	}
}

static void test_macs(void)
{
	uint8_t a[6], b[6], c[6], d[6], e[6];

	netif_derive_mac("c7-2", 0, false, a);
	netif_derive_mac("c7-2", 0, false, b);
	netif_derive_mac("c7-2", 1, false, c);
	netif_derive_mac("c7-3", 0, false, d);
	netif_derive_mac("c7-2", 0, true, e);
	ok(memcmp(a, b, 6) == 0, "MAC is stable");
	ok(memcmp(a, c, 6) != 0, "differs by index");
	ok(memcmp(a, d, 6) != 0, "differs by machine");
	ok(memcmp(a, e, 6) != 0, "host side differs from the machine side");
	for (size_t i = 0; i < 64; i++) {
		char name[32];

		snprintf(name, sizeof(name), "m%zu", i);
		netif_derive_mac(name, i % 4, i % 2, a);
		if (!(a[0] & 2) || (a[0] & 1)) {
			ok(0, "MAC %s of %s is locally administered unicast", fmt_mac(a), name);
			return;
		}
	}
	ok(1, "64 derived MACs are locally administered unicast");
}

static void test_host_names(void)
{
	static const char *const longs[] = {
		"production-database-replica-frankfurt-0001",
		"production-database-replica-frankfurt-0002",
		"production-database-replica-frankfurt-0003",
		"production-database-replica-frankfurt-000",
	};
	char names[10 * 16 + ELEMENTSOF(longs) * 16][16];
	size_t n = 0;
	bool uniq = true, fits = true;
	char a[16], b[16];

	netif_host_name("c7-2", 3, a);
	netif_host_name("c7-2", 3, b);
	is_str(a, b, "host name is stable");
	ok(startswith(a, "vr-") && strlen(a) == 13 && endswith(a, "-3"), "form vr-XXXXXXXX-3: %s",
	   a);
	netif_host_name("x", 127, a);
	is_int(strlen(a), 15, "index 127: 15 characters");
	for (size_t m = 0; m < 10; m++)
		for (size_t i = 0; i < 16; i++) {
			char machine[32];

			snprintf(machine, sizeof(machine), "machine-%zu", m);
			netif_host_name(machine, i, names[n++]);
		}
	for (size_t m = 0; m < ELEMENTSOF(longs); m++)
		for (size_t i = 0; i < 16; i++)
			netif_host_name(longs[m], i, names[n++]);
	for (size_t i = 0; i < n; i++) {
		fits &= strlen(names[i]) <= 15;
		for (size_t j = i + 1; j < n; j++)
			uniq &= !streq(names[i], names[j]);
	}
	ok(fits, "all %zu host names fit in 15 characters", n);
	ok(uniq, "10 machines x 16 interfaces and long similar names: all host names unique");

	/* Finalize gives the same names. */
	{
		struct netif_config c;
		char *msg = NULL;

		netif_config_init(&c);
		netif_config_add_bridge(&c, "br0", &msg);
		netif_config_add_bridge(&c, "br0", &msg);
		netif_config_finalize(&c, &msg);
		struct netif_names nm;
		uint8_t mac[6];

		netif_effective(&c.v[1], 1, longs[0], &nm);
		netif_host_name(longs[0], 1, a);
		is_str(nm.host_name, a, "the derived host name");
		netif_derive_mac(longs[0], 1, false, mac);
		ok(memcmp(nm.mac, mac, 6) == 0, "and the derived MAC");
		netif_derive_mac(longs[0], 1, true, mac);
		ok(memcmp(nm.host_mac, mac, 6) == 0, "and the derived host-side MAC");
		netif_config_done(&c);
	}
}

static void test_limits(void)
{
	struct netif_config c;
	char *msg = NULL;
	int r = 0;

	netif_config_init(&c);
	for (int i = 0; i < NETIF_MAX && r == 0; i++)
		r = netif_config_add_bridge(&c, "br0", &msg);
	is_int(r, 0, "NETIF_MAX interfaces accepted");
	is_int(netif_config_add_bridge(&c, "br0", &msg), -EINVAL, "one more refused");
	ok(msg && strstr(msg, "too many interfaces"), "message: %s", msg);
	free(msg);
	msg = NULL;
	is_int(netif_config_finalize(&c, &msg), 0, "finalize 128 interfaces");
	is_str(c.v[127].name, "host127", "last one host127");
	netif_config_done(&c);
}

static void test_guest_files(void)
{
	struct parsed p;
	char *path = NULL, *content = NULL;

	is_int(parse(&p, "[Interface]\nBridge=br0\nAddress=192.0.2.5/24\n"
			 "[Interface]\nBridge=br1\n"
			 "[Interface]\nBridge=br1\nName=uplink\nAddress=2001:db8::5/64\n",
		     true),
	       0, "three interfaces, two with addresses");
	ok(netif_configured(&p.c.v[0]) && !netif_configured(&p.c.v[1]) &&
		   netif_configured(&p.c.v[2]),
	   "configured = has addresses or a gateway");
	is_int(netif_networkd_file(&p.c.v[0], &path, &content), 0, "networkd file");
	is_str(path, "/run/systemd/network/10-runimg-host0.network", "its path");
	ok(content && strstr(content, "[Match]\nName=host0\n") &&
		   strstr(content, "[Link]\nUnmanaged=yes\n"),
	   "unmanaged for networkd");
	free(path);
	free(content);
	is_int(netif_nm_conf(&p.c, &content), 0, "NetworkManager drop-in");
	ok(content && strstr(content, "unmanaged-devices+=interface-name:host0;"
				      "interface-name:uplink\n"),
	   "lists the configured interfaces only");
	free(content);
	parsed_done(&p);
	is_int(parse(&p, "[Network]\nBridge=br0\n", true), 0, "no addresses");
	content = (char *)"x";
	is_int(netif_nm_conf(&p.c, &content), 0, "NetworkManager drop-in");
	ok(content == NULL, "not needed");
	parsed_done(&p);
}

int main(void)
{
	test_ifspec_full();
	test_ifspec_errors();
	test_network_bridge();
	test_seed();
	test_settings_errors();
	test_settings_misc();
	test_macs();
	test_host_names();
	test_limits();
	test_guest_files();
	return tap_done();
}
