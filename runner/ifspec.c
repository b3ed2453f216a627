/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing of --network IFSPEC, --network-bridge and the [Network]/[Interface] settings keys. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "ifspec.h"
#include "sha256.h"
#include "strutil.h"

static int fail(char **ret_msg, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_msg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_msg, fmt, ap) < 0)
		*ret_msg = NULL;
	va_end(ap);
	return *ret_msg ? -EINVAL : -ENOMEM;
}

/* "--network 'bridge=br0,x': " + inner message, replacing *msg. */
static int prefix_msg(char **msg, const char *origin)
{
	char *n = NULL;

	if (!*msg)
		return -ENOMEM;
	if (asprintf(&n, "%s: %s", origin, *msg) < 0)
		return -ENOMEM;
	free(*msg);
	*msg = n;
	return -EINVAL;
}

void netif_config_init(struct netif_config *c)
{
	*c = (struct netif_config){ .virtual_ethernet = -1 };
}

static void spec_done(struct netif_spec *s)
{
	free(s->bridge);
	free(s->name);
	free(s->host_name);
	free(s->addrs);
	free(s->origin);
}

void netif_config_done(struct netif_config *c)
{
	for (size_t i = 0; i < c->n; i++)
		spec_done(&c->v[i]);
	free(c->v);
	for (size_t i = 0; i < c->n_extra; i++) {
		free(c->extra[i].host);
		free(c->extra[i].guest);
		free(c->extra[i].origin);
	}
	free(c->extra);
	free(c->section_file);
	netif_config_init(c);
}

/* A new, empty interface at the end of the list; its origin is copied. */
static struct netif_spec *spec_new(struct netif_config *c, const char *origin, char **ret_msg)
{
	struct netif_spec *v;

	if (c->n >= NETIF_MAX) {
		fail(ret_msg, "too many interfaces (at most %d)", NETIF_MAX);
		return NULL;
	}
	v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	c->v = v;
	v = &c->v[c->n];
	*v = (struct netif_spec){ .origin = strdup(origin) };
	if (!v->origin)
		return NULL;
	c->n++;
	return v;
}

static void spec_drop_last(struct netif_config *c)
{
	spec_done(&c->v[--c->n]);
}

bool netif_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= 16 || streq(name, ".") || streq(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p == '/' || *p == ':' || *p == ',' || *p == '=' || *p >= 0x7f)
			return false;
	return true;
}

static int parse_prefixlen(const char *s, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 3)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int netif_parse_addr(const char *s, bool with_prefix, struct netif_addr *ret)
{
	_cleanup_free_ char *ip = NULL;
	const char *slash = strchr(s, '/');
	struct netif_addr a = {};

	if (with_prefix != !!slash)
		return -EINVAL;
	ip = slash ? strndup(s, (size_t)(slash - s)) : strdup(s);
	if (!ip)
		return -ENOMEM;
	if (inet_pton(AF_INET, ip, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, a.bytes) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	a.prefixlen = a.family == AF_INET ? 32 : 128;
	if (slash && parse_prefixlen(slash + 1, a.prefixlen, &a.prefixlen) < 0)
		return -EINVAL;
	*ret = a;
	return 0;
}

void netif_format_addr(const struct netif_addr *a, bool with_prefix, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family, a->bytes, ip, sizeof(ip));
	if (with_prefix)
		snprintf(buf, len, "%s/%u", ip, a->prefixlen);
	else
		snprintf(buf, len, "%s", ip);
}

int netif_parse_mac(const char *s, uint8_t ret[6])
{
	uint8_t m[6];

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		char hex[3] = { p[0], p[1], 0 }, *end;

		if (i < 5 && p[2] != ':' && p[2] != '-')
			return -EINVAL;
		if (i > 0 && p[-1] != s[2])
			return -EINVAL; /* mixed separators */
		m[i] = (uint8_t)strtoul(hex, &end, 16);
		if (end != hex + 2 || hex[0] == '+' || hex[0] == '-' || hex[0] == ' ')
			return -EINVAL;
	}
	memcpy(ret, m, 6);
	return 0;
}

static bool addr_is_zero(const struct netif_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->bytes, zero, a->family == AF_INET ? 4 : 16) == 0;
}

/* Addresses an interface cannot have: unspecified, multicast, loopback, broadcast. */
static bool addr_usable(const struct netif_addr *a)
{
	if (addr_is_zero(a))
		return false;
	if (a->family == AF_INET)
		return a->bytes[0] < 224 && a->bytes[0] != 127;
	if (a->bytes[0] == 0xff)
		return false;
	return !(memcmp(a->bytes, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
}

static bool same_prefix(const struct netif_addr *net, const struct netif_addr *a)
{
	unsigned bits = net->prefixlen;

	if (net->family != a->family)
		return false;
	if (memcmp(net->bytes, a->bytes, bits / 8) != 0)
		return false;
	if (bits % 8 == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
	return (net->bytes[bits / 8] & mask) == (a->bytes[bits / 8] & mask);
}

static int set_str(char **field, const char *value)
{
	char *n = strdup(value);

	if (!n)
		return -ENOMEM;
	free(*field);
	*field = n;
	return 0;
}

static int set_bridge(struct netif_spec *s, const char *v, char **ret_msg)
{
	if (!netif_name_valid(v))
		return fail(ret_msg, "invalid bridge name '%s'", v);
	return set_str(&s->bridge, v);
}

static int set_name(struct netif_spec *s, const char *v, char **ret_msg)
{
	if (!netif_name_valid(v) || streq(v, "lo"))
		return fail(ret_msg, "invalid interface name '%s'", v);
	return set_str(&s->name, v);
}

static int add_address(struct netif_spec *s, const char *v, char **ret_msg)
{
	struct netif_addr a, *n;
	int r = netif_parse_addr(v, true, &a);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail(ret_msg, "invalid address '%s' (expected ADDRESS/PREFIX, "
				     "e.g. 192.0.2.10/24 or 2001:db8::10/64)", v);
	if (!addr_usable(&a) || a.prefixlen == 0)
		return fail(ret_msg, "address '%s' cannot be assigned to an interface", v);
	for (size_t i = 0; i < s->n_addrs; i++)
		if (s->addrs[i].family == a.family &&
		    memcmp(s->addrs[i].bytes, a.bytes, sizeof(a.bytes)) == 0)
			return fail(ret_msg, "address '%s' given twice", v);
	n = realloc(s->addrs, (s->n_addrs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->addrs = n;
	s->addrs[s->n_addrs++] = a;
	return 0;
}

static int set_gateway(struct netif_spec *s, const char *v, bool once, char **ret_msg)
{
	struct netif_addr a;
	int r = netif_parse_addr(v, false, &a);

	if (r == -ENOMEM)
		return r;
	if (r < 0 || !addr_usable(&a))
		return fail(ret_msg, "invalid gateway '%s' (expected an IPv4 or IPv6 address "
				     "without prefix)", v);
	if (once && (a.family == AF_INET ? s->gw4.family : s->gw6.family))
		return fail(ret_msg, "more than one %s gateway",
			    a.family == AF_INET ? "IPv4" : "IPv6");
	*(a.family == AF_INET ? &s->gw4 : &s->gw6) = a;
	return 0;
}

static int set_mac(struct netif_spec *s, const char *v, char **ret_msg)
{
	uint8_t m[6];

	if (netif_parse_mac(v, m) < 0)
		return fail(ret_msg, "invalid MAC address '%s' (expected xx:xx:xx:xx:xx:xx)", v);
	if (m[0] & 1)
		return fail(ret_msg, "MAC address '%s' is a multicast address", v);
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return fail(ret_msg, "MAC address '%s' is all zeros", v);
	memcpy(s->mac, m, 6);
	s->has_mac = true;
	return 0;
}

static int set_mtu(struct netif_spec *s, const char *v, char **ret_msg)
{
	uint64_t mtu;

	if (parse_uint64(v, &mtu) < 0 || mtu < 68 || mtu > 65535)
		return fail(ret_msg, "invalid MTU '%s' (expected 68...65535)", v);
	s->mtu = (uint32_t)mtu;
	return 0;
}

enum spec_key { KEY_BRIDGE, KEY_NAME, KEY_ADDRESS, KEY_GATEWAY, KEY_MAC, KEY_MTU, _KEY_MAX };

/* One key of an IFSPEC or of an [Interface] section; once: gateway= may not repeat a family. */
static int spec_assign(struct netif_spec *s, enum spec_key key, const char *v, bool once,
		       char **ret_msg)
{
	switch (key) {
	case KEY_BRIDGE:
		return set_bridge(s, v, ret_msg);
	case KEY_NAME:
		return set_name(s, v, ret_msg);
	case KEY_ADDRESS:
		return add_address(s, v, ret_msg);
	case KEY_GATEWAY:
		return set_gateway(s, v, once, ret_msg);
	case KEY_MAC:
		return set_mac(s, v, ret_msg);
	case KEY_MTU:
		return set_mtu(s, v, ret_msg);
	default:
		return -ENOENT;
	}
}

static const char *const ifspec_keys[] = { "bridge", "name", "address", "gateway", "mac", "mtu" };

static int ifspec_item(struct netif_spec *s, char *item, unsigned *seen, char **ret_msg)
{
	char *eq = strchr(item, '=');
	const char *near;
	size_t k;

	if (!eq)
		return fail(ret_msg, "expected KEY=VALUE, got '%s'", item);
	*eq = 0;
	for (k = 0; k < ELEMENTSOF(ifspec_keys); k++)
		if (streq(item, ifspec_keys[k]))
			break;
	if (k == ELEMENTSOF(ifspec_keys)) {
		near = suggest_nearest(item, ifspec_keys, ELEMENTSOF(ifspec_keys));
		return near ? fail(ret_msg, "unknown key '%s' (did you mean '%s'?)", item, near)
			    : fail(ret_msg, "unknown key '%s' (known: bridge, name, address, "
					    "gateway, mac, mtu)", item);
	}
	if (eq[1] == 0)
		return fail(ret_msg, "'%s=' needs a value", item);
	/* Only address= (and gateway=, once per family) may repeat. */
	if ((*seen & (1u << k)) && k != KEY_ADDRESS && k != KEY_GATEWAY)
		return fail(ret_msg, "'%s=' given twice", item);
	*seen |= 1u << k;
	return spec_assign(s, (enum spec_key)k, eq + 1, true, ret_msg);
}

/* A gateway must be reachable through one of the interface's own subnets (or be link-local). */
static int check_gateways(const struct netif_spec *s, char **ret_msg)
{
	const struct netif_addr *gws[] = { &s->gw4, &s->gw6 };

	for (size_t g = 0; g < ELEMENTSOF(gws); g++) {
		const struct netif_addr *gw = gws[g];
		bool found = false;
		char buf[64];

		if (!gw->family)
			continue;
		if (gw->family == AF_INET6 && gw->bytes[0] == 0xfe && (gw->bytes[1] & 0xc0) == 0x80)
			continue;
		for (size_t i = 0; i < s->n_addrs && !found; i++)
			found = same_prefix(&s->addrs[i], gw);
		if (found)
			continue;
		netif_format_addr(gw, false, buf, sizeof(buf));
		return fail(ret_msg, "gateway '%s' is not in the subnet of any %s address of "
				     "the interface", buf, gw->family == AF_INET ? "IPv4" : "IPv6");
	}
	return 0;
}

static int ifspec_parse(struct netif_spec *s, const char *spec, char **ret_msg)
{
	_cleanup_free_ char *copy = strdup(spec);
	unsigned seen = 0;
	char *item, *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	if (isempty(spec) || spec[0] == ',' || spec[strlen(spec) - 1] == ',' || strstr(spec, ",,"))
		return fail(ret_msg, "empty item");
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if ((r = ifspec_item(s, item, &seen, ret_msg)) < 0)
			return r;
	if (!s->bridge)
		return fail(ret_msg, "missing 'bridge=BR'");
	return check_gateways(s, ret_msg);
}

int netif_config_add_ifspec(struct netif_config *c, const char *spec, char **ret_msg)
{
	_cleanup_free_ char *origin = NULL;
	struct netif_spec *s;
	int r;

	if (asprintf(&origin, "--network '%s'", spec) < 0)
		return -ENOMEM;
	s = spec_new(c, origin, ret_msg);
	if (!s)
		return *ret_msg ? prefix_msg(ret_msg, origin) : -ENOMEM;
	r = ifspec_parse(s, spec, ret_msg);
	if (r < 0) {
		spec_drop_last(c);
		return r == -EINVAL ? prefix_msg(ret_msg, origin) : r;
	}
	return 0;
}

int netif_config_add_bridge(struct netif_config *c, const char *bridge, char **ret_msg)
{
	_cleanup_free_ char *origin = NULL;
	struct netif_spec *s;
	int r;

	if (asprintf(&origin, "--network-bridge '%s'", bridge) < 0)
		return -ENOMEM;
	s = spec_new(c, origin, ret_msg);
	if (!s)
		return *ret_msg ? prefix_msg(ret_msg, origin) : -ENOMEM;
	r = set_bridge(s, bridge, ret_msg);
	if (r < 0) {
		spec_drop_last(c);
		return r == -EINVAL ? prefix_msg(ret_msg, origin) : r;
	}
	return 0;
}

/* ---- settings files ---------------------------------------------------------------------- */

static const char *const interface_keys[] = { "Bridge",	 "Name",       "Address",
					      "Gateway", "MACAddress", "MTU" };

/* The interface of the [Interface] section pos is in: a new header starts a new one. */
static struct netif_spec *section_spec(struct netif_config *c, const struct ini_pos *pos,
				       char **ret_msg)
{
	const char *file = pos->file ? pos->file : "settings";
	_cleanup_free_ char *origin = NULL;
	struct netif_spec *s;

	if (c->section_line && c->section_line == pos->section_line && c->section_file &&
	    streq(c->section_file, file))
		return &c->v[c->section_index];
	if (asprintf(&origin, "%s:%u: [Interface]", file, pos->section_line) < 0)
		return NULL;
	s = spec_new(c, origin, ret_msg);
	if (!s)
		return NULL;
	if (set_str(&c->section_file, file) < 0) {
		spec_drop_last(c);
		return NULL;
	}
	c->section_line = pos->section_line ? pos->section_line : 1;
	c->section_index = c->n - 1;
	return s;
}

/* An empty assignment resets the key to its default, as in systemd's files. */
static void spec_reset(struct netif_spec *s, enum spec_key key)
{
	switch (key) {
	case KEY_BRIDGE:
		free(s->bridge);
		s->bridge = NULL;
		break;
	case KEY_NAME:
		free(s->name);
		s->name = NULL;
		break;
	case KEY_ADDRESS:
		free(s->addrs);
		s->addrs = NULL;
		s->n_addrs = 0;
		break;
	case KEY_GATEWAY:
		s->gw4.family = s->gw6.family = 0;
		break;
	case KEY_MAC:
		s->has_mac = false;
		break;
	default:
		s->mtu = 0;
		break;
	}
}

static int interface_assign(struct netif_config *c, const char *key, const char *value,
			    const struct ini_pos *pos, char **ret_msg)
{
	const char *near;
	struct netif_spec *s;
	size_t k;

	for (k = 0; k < ELEMENTSOF(interface_keys); k++)
		if (streq(key, interface_keys[k]))
			break;
	if (k == ELEMENTSOF(interface_keys)) {
		near = suggest_nearest(key, interface_keys, ELEMENTSOF(interface_keys));
		return near ? fail(ret_msg, "unknown key '%s' in [Interface] (did you mean '%s'?)",
				   key, near)
			    : fail(ret_msg, "unknown key '%s' in [Interface]", key);
	}
	*ret_msg = NULL;
	s = section_spec(c, pos, ret_msg);
	if (!s)
		return *ret_msg ? -EINVAL : -ENOMEM;
	if (isempty(value)) {
		spec_reset(s, (enum spec_key)k);
		return 0;
	}
	return spec_assign(s, (enum spec_key)k, value, false, ret_msg);
}

static int network_bridge(struct netif_config *c, const char *value, const struct ini_pos *pos,
			  char **ret_msg)
{
	_cleanup_free_ char *origin = NULL;
	struct netif_spec *s;
	int r;

	if (isempty(value))
		return fail(ret_msg, "Bridge= needs the name of a bridge");
	if (asprintf(&origin, "%s:%u", pos->file ? pos->file : "settings", pos->line) < 0)
		return -ENOMEM;
	*ret_msg = NULL;
	s = spec_new(c, origin, ret_msg);
	if (!s)
		return *ret_msg ? -EINVAL : -ENOMEM;
	r = set_bridge(s, value, ret_msg);
	if (r < 0)
		spec_drop_last(c);
	return r;
}

static void extras_clear(struct netif_config *c)
{
	for (size_t i = 0; i < c->n_extra; i++) {
		free(c->extra[i].host);
		free(c->extra[i].guest);
		free(c->extra[i].origin);
	}
	free(c->extra);
	c->extra = NULL;
	c->n_extra = 0;
}

/* VirtualEthernetExtra=HOST[:GUEST] (compat: systemd-nspawn); empty: forget the earlier ones. */
static int network_extra(struct netif_config *c, const char *value, const struct ini_pos *pos,
			 char **ret_msg)
{
	_cleanup_free_ char *host = NULL, *guest = NULL, *origin = NULL;
	const char *colon = strchr(value, ':');
	struct netif_extra *n;

	if (isempty(value)) {
		extras_clear(c);
		return 0;
	}
	host = colon ? strndup(value, (size_t)(colon - value)) : strdup(value);
	guest = strdup(colon ? colon + 1 : value);
	if (!host || !guest ||
	    asprintf(&origin, "%s:%u", pos->file ? pos->file : "settings", pos->line) < 0)
		return -ENOMEM;
	if (!netif_name_valid(host) || startswith(host, NETIF_HOST_PREFIX))
		return fail(ret_msg, "invalid host interface name '%s' in VirtualEthernetExtra=%s%s",
			    host, value,
			    startswith(host, NETIF_HOST_PREFIX) ? " ('vr-' names are runimg's)" : "");
	if (!netif_name_valid(guest) || streq(guest, "lo"))
		return fail(ret_msg, "invalid interface name '%s' in VirtualEthernetExtra=%s",
			    guest, value);
	n = realloc(c->extra, (c->n_extra + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->extra = n;
	c->extra[c->n_extra++] = (struct netif_extra){
		.host = steal_ptr(host),
		.guest = steal_ptr(guest),
		.origin = steal_ptr(origin),
	};
	return 0;
}

int netif_config_assign(struct netif_config *c, const char *section, const char *key,
			const char *value, const struct ini_pos *pos, char **ret_msg)
{
	int b;

	*ret_msg = NULL;
	if (streq(section, "Interface"))
		return interface_assign(c, key, value, pos, ret_msg);
	if (!streq(section, "Network"))
		return -ENOENT;
	if (streq(key, "Bridge"))
		return network_bridge(c, value, pos, ret_msg);
	if (streq(key, "VirtualEthernetExtra"))
		return network_extra(c, value, pos, ret_msg);
	if (!streq(key, "VirtualEthernet"))
		return -ENOENT;
	b = parse_bool(value);
	if (b < 0)
		return fail(ret_msg, "invalid boolean '%s' for VirtualEthernet=", value);
	c->virtual_ethernet = b;
	return 0;
}

void netif_config_merge_file(struct netif_config *c, struct netif_config *file)
{
	if (c->n || c->n_extra || c->virtual_ethernet >= 0) {
		netif_config_done(file);
		return;
	}
	netif_config_done(c);
	*c = *file;
	c->section_file = NULL;
	c->section_line = 0;
	free(file->section_file);
	netif_config_init(file);
}

/* ---- finalize ---------------------------------------------------------------------------- */

static int derive(const char *label, const char *machine, size_t index, uint8_t out[32])
{
	struct sha256_ctx ctx;
	uint8_t idx[4] = { (uint8_t)index, (uint8_t)(index >> 8), (uint8_t)(index >> 16),
			   (uint8_t)(index >> 24) };
	int r = sha256_init(&ctx);

	if (r < 0)
		return r;
	sha256_update(&ctx, label, strlen(label) + 1);
	sha256_update(&ctx, machine, strlen(machine) + 1);
	sha256_update(&ctx, idx, sizeof(idx));
	sha256_final(&ctx, out);
	return 0;
}

int netif_host_name(const char *machine, size_t index, char ret[16])
{
	uint8_t h[32];
	int r = derive("runimg-veth-name", machine, 0, h);

	if (r < 0)
		return r;
	if (index >= 1000)
		return -ERANGE;
	snprintf(ret, 16, NETIF_HOST_PREFIX "%02x%02x%02x%02x-%zu", h[0], h[1], h[2], h[3], index);
	return 0;
}

int netif_derive_mac(const char *machine, size_t index, bool host_side, uint8_t ret[6])
{
	uint8_t h[32];
	int r = derive(host_side ? "runimg-veth-host-mac" : "runimg-veth-mac", machine, index, h);

	if (r < 0)
		return r;
	h[0] = (uint8_t)((h[0] & 0xfe) | 0x02); /* unicast, locally administered */
	memcpy(ret, h, 6);
	return 0;
}

static struct netif_spec *find_name(struct netif_config *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].name && streq(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

static int check_spec(const struct netif_spec *s, char **ret_msg)
{
	bool v6 = false;
	int r;

	if (!s->bridge)
		return fail(ret_msg, "%s: no Bridge= given", s->origin);
	if ((r = check_gateways(s, ret_msg)) < 0)
		return prefix_msg(ret_msg, s->origin);
	for (size_t i = 0; i < s->n_addrs; i++)
		v6 |= s->addrs[i].family == AF_INET6;
	if ((v6 || s->gw6.family) && s->mtu && s->mtu < 1280)
		return fail(ret_msg, "%s: MTU %u is too small for IPv6 (at least 1280)", s->origin,
			    s->mtu);
	return 0;
}

/* Explicit names first (unique), then host0, host1, ... for the rest, lowest free first. */
static int assign_names(struct netif_config *c, char **ret_msg)
{
	unsigned next = 0;

	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; c->v[i].name && j < i; j++)
			if (c->v[j].name && streq(c->v[i].name, c->v[j].name))
				return fail(ret_msg, "%s: interface name '%s' is used twice (also "
						     "by %s)", c->v[i].origin, c->v[i].name,
					    c->v[j].origin);
	for (size_t i = 0; i < c->n; i++) {
		char name[16];

		if (c->v[i].name)
			continue;
		do
			snprintf(name, sizeof(name), "host%u", next++);
		while (find_name(c, name));
		if (set_str(&c->v[i].name, name) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A compat interface that is attached to no bridge. */
static int add_unbridged(struct netif_config *c, const char *name, const char *host,
			 const char *origin, char **ret_msg)
{
	struct netif_spec *s = spec_new(c, origin, ret_msg);

	if (!s)
		return *ret_msg ? -EINVAL : -ENOMEM;
	if (set_str(&s->name, name) < 0 || (host && set_str(&s->host_name, host) < 0))
		return -ENOMEM;
	return 0;
}

static int apply_extras(struct netif_config *c, char **ret_msg)
{
	for (size_t e = 0; e < c->n_extra; e++) {
		const struct netif_extra *x = &c->extra[e];
		struct netif_spec *s = find_name(c, x->guest);
		int r;

		for (size_t i = 0; i < c->n; i++)
			if (c->v[i].host_name && streq(c->v[i].host_name, x->host))
				return fail(ret_msg, "%s: host interface '%s' is named twice",
					    x->origin, x->host);
		if (s && s->host_name)
			return fail(ret_msg, "%s: interface '%s' already has a host side ('%s')",
				    x->origin, x->guest, s->host_name);
		if (s) {
			if (set_str(&s->host_name, x->host) < 0)
				return -ENOMEM;
			continue;
		}
		r = add_unbridged(c, x->guest, x->host, x->origin, ret_msg);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One default route per address family. */
static int check_default_routes(const struct netif_config *c, char **ret_msg)
{
	const struct netif_spec *gw4 = NULL, *gw6 = NULL;

	for (size_t i = 0; i < c->n; i++) {
		const struct netif_spec *s = &c->v[i];

		if (s->gw4.family && gw4)
			return fail(ret_msg, "%s: a second IPv4 gateway (the first is on '%s', "
					     "%s); a machine has one default route per family",
				    s->origin, gw4->name, gw4->origin);
		if (s->gw6.family && gw6)
			return fail(ret_msg, "%s: a second IPv6 gateway (the first is on '%s', "
					     "%s); a machine has one default route per family",
				    s->origin, gw6->name, gw6->origin);
		if (s->gw4.family)
			gw4 = s;
		if (s->gw6.family)
			gw6 = s;
	}
	return 0;
}

int netif_effective(const struct netif_spec *s, size_t index, const char *machine,
		    struct netif_names *ret)
{
	struct netif_names n = { "" };
	int r;

	if (s->host_name)
		snprintf(n.host_name, sizeof(n.host_name), "%s", s->host_name);
	else if ((r = netif_host_name(machine, index, n.host_name)) < 0)
		return r;
	if (s->has_mac)
		memcpy(n.mac, s->mac, 6);
	else if ((r = netif_derive_mac(machine, index, false, n.mac)) < 0)
		return r;
	if ((r = netif_derive_mac(machine, index, true, n.host_mac)) < 0)
		return r;
	*ret = n;
	return 0;
}

int netif_config_finalize(struct netif_config *c, char **ret_msg)
{
	int r;

	*ret_msg = NULL;
	for (size_t i = 0; i < c->n; i++)
		if ((r = check_spec(&c->v[i], ret_msg)) < 0)
			return r;
	if (c->virtual_ethernet > 0 && c->n == 0) {
		/* nspawn's --network-veth: one interface, attached to nothing. */
		r = add_unbridged(c, "host0", NULL, "VirtualEthernet=yes", ret_msg);
		if (r < 0)
			return r;
	}
	if ((r = assign_names(c, ret_msg)) < 0 || (r = apply_extras(c, ret_msg)) < 0)
		return r;
	return check_default_routes(c, ret_msg);
}
