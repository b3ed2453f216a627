/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's network interfaces as the user wrote them: --network IFSPEC,
 * --network-bridge BR, and the settings keys [Network] Bridge= / VirtualEthernet= /
 * VirtualEthernetExtra= and [Interface] sections.  Pure: parsing does no I/O and never prints;
 * errors come back as a malloc'd message naming the offending spec (callers exit 2).
 *
 * Rules (documented in runimg(1) and docs/network.md):
 *   - Interfaces keep the order they were given in.  Unnamed ones get the lowest free name of
 *     host0, host1, ... (explicit names are reserved first).
 *   - VirtualEthernetExtra=HOST[:GUEST] (nspawn compat) names the host side of the machine's
 *     interface GUEST (default: HOST).  If another line (Bridge=, [Interface], --network)
 *     gives an interface of that name, the two are one interface: it is bridged as that line
 *     says and its host side is called HOST.  Otherwise it is a veth pair of its own whose host
 *     side is up but attached to no bridge, exactly as systemd-nspawn makes it.
 *   - VirtualEthernet=yes with no other interface: one unbridged host0 (nspawn's --network-veth);
 *     VirtualEthernet=no is accepted and changes nothing (in nspawn, Bridge= overrides it too).
 *   - Host-side names: "vr-" + 8 hex digits of SHA-256(machine name) + "-" + index, at most 15
 *     characters; MACs: SHA-256 of the machine name and index, locally administered unicast.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ini.h"

#define NETIF_MAX 128
#define NETIF_HOST_PREFIX "vr-"
#define NETIF_ALIAS_PREFIX "runimg:" /* the host side's alias: "runimg:MACHINE" */

struct netif_addr {
	int family; /* AF_INET, AF_INET6; 0: unset */
	uint8_t bytes[16];
	unsigned prefixlen;
};

struct netif_spec {
	char *bridge;	 /* host bridge; NULL: attached to nothing (compat only) */
	char *name;	 /* in the machine; NULL until netif_config_finalize() */
	char *host_name; /* host side as VirtualEthernetExtra= named it, else NULL: derived */
	struct netif_addr *addrs;
	size_t n_addrs;
	struct netif_addr gw4, gw6; /* family 0: no default route of that family */
	uint8_t mac[6]; /* in the machine, if has_mac (else derived: netif_effective()) */
	bool has_mac;
	uint32_t mtu; /* 0: the bridge's */
	char *origin;	     /* for messages: "--network 'bridge=br0,...'", "FILE:LINE" */
};

struct netif_extra {
	char *host;
	char *guest;
	char *origin;
};

struct netif_config {
	struct netif_spec *v;
	size_t n;
	struct netif_extra *extra;
	size_t n_extra;
	int virtual_ethernet; /* -1: unset */

	/* Settings-file parsing state: the [Interface] section being read. */
	char *section_file;
	unsigned section_line; /* 0: not in an [Interface] section */
	size_t section_index;  /* into v */
};

void netif_config_init(struct netif_config *c);
void netif_config_done(struct netif_config *c);

/* Command line.  -EINVAL with *ret_msg set for bad input, -ENOMEM. */
int netif_config_add_ifspec(struct netif_config *c, const char *spec, char **ret_msg);
int netif_config_add_bridge(struct netif_config *c, const char *bridge, char **ret_msg);

/*
 * One settings-file assignment.  Handles [Network] Bridge=, VirtualEthernet=,
 * VirtualEthernetExtra= and every key of [Interface]; -ENOENT for any other key (the caller's
 * own keys, or unknown).  Each "[Interface]" header starts a new interface (told apart by
 * pos->section_line).  On -EINVAL *ret_msg says why, without the position (the caller adds
 * "FILE:LINE: ").
 */
int netif_config_assign(struct netif_config *c, const char *section, const char *key,
			const char *value, const struct ini_pos *pos, char **ret_msg);

/* c holds the command line's interfaces; if it has none, it takes over the file's (and file
 * is left empty).  Otherwise the file's are dropped: the command line overrides the file. */
void netif_config_merge_file(struct netif_config *c, struct netif_config *file);

/*
 * Apply the compat keys, name every interface, and check the whole: unique names, one default
 * route per family, gateways reachable from an address, MTU large enough for IPv6.  Call once,
 * after the command line and the settings file are merged.  -EINVAL with *ret_msg.
 */
int netif_config_finalize(struct netif_config *c, char **ret_msg);

/* What an interface is called on the host and which MACs it gets, once the machine's name
 * is known: explicit values, else derived from the machine name and the index in the list. */
struct netif_names {
	char host_name[16];
	uint8_t mac[6];
	uint8_t host_mac[6]; /* always derived: keeps the MAC of a bridge that takes its ports' */
};
int netif_effective(const struct netif_spec *s, size_t index, const char *machine,
		    struct netif_names *ret);

/* Pure helpers, exported for the tests. */
int netif_parse_addr(const char *s, bool with_prefix, struct netif_addr *ret);
int netif_parse_mac(const char *s, uint8_t ret[6]);
bool netif_name_valid(const char *name);
int netif_host_name(const char *machine, size_t index, char ret[16]);
int netif_derive_mac(const char *machine, size_t index, bool host_side, uint8_t ret[6]);
/* "192.0.2.1/24", "2001:db8::1/64" (no prefix when prefixlen is ignored: with_prefix false). */
void netif_format_addr(const struct netif_addr *a, bool with_prefix, char *buf, size_t len);
