/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small rtnetlink layer on libmnl: one request, one acknowledgement.  Every call returns 0 or
 * a negative errno; when the kernel explained a failure (extended ACK), nl_error_message() has
 * its text until the next request.  Nothing here prints.
 *
 * A socket works in the network namespace it was opened in: nl_open_netns() opens one in
 * another namespace (it enters the namespace for the socket() call only and comes back), so
 * one process can configure the host side and the machine's side without forking.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct nl;

int nl_open(struct nl **ret);
int nl_open_netns(int netns_fd, struct nl **ret);
void nl_free(struct nl *nl);
static inline void nl_freep(struct nl **p)
{
	if (*p)
		nl_free(*p);
}
#define _cleanup_nl_ __attribute__((cleanup(nl_freep)))

/* The kernel's explanation of the last failed request, or "". */
const char *nl_error_message(const struct nl *nl);

/* A link as RTM_GETLINK reports it. */
struct nl_link {
	int ifindex;
	char name[IF_NAMESIZE];
	char kind[32]; /* IFLA_INFO_KIND: "bridge", "veth", ...; "" for none */
	char alias[128];
	uint32_t mtu;
	int master; /* ifindex of the bridge it is attached to, 0 for none */
	unsigned flags; /* IFF_* */
	uint8_t mac[6];
};

/* -ENODEV when there is no such link. */
int nl_link_get(struct nl *nl, const char *name, struct nl_link *ret);
/* Every link of the namespace; a negative return of cb stops the walk and is returned. */
typedef int (*nl_link_cb)(const struct nl_link *link, void *userdata);
int nl_link_dump(struct nl *nl, nl_link_cb cb, void *userdata);

/*
 * A veth pair in one request.  The peer is created directly in the namespace given by
 * peer_netns_fd (or peer_netns_pid; neither: the socket's own), with its final name, so it
 * never exists on the host under a name that could clash.  mac/peer_mac NULL, mtu 0 and
 * master 0 leave the kernel's defaults.  The peer cannot be brought up in the same request (the
 * kernel configures it before the pair is linked, and a veth without a peer refuses to open):
 * nl_link_set_up() it afterwards, from its namespace.
 */
struct nl_veth {
	const char *name;
	const uint8_t *mac;
	uint32_t mtu;
	int master;
	bool up;
	const char *peer_name;
	const uint8_t *peer_mac;
	uint32_t peer_mtu;
	int peer_netns_fd; /* -1: none */
	pid_t peer_netns_pid; /* 0: none */
};
int nl_veth_create(struct nl *nl, const struct nl_veth *v);

/* Changes to an existing link (RTM_SETLINK). */
int nl_link_set_up(struct nl *nl, int ifindex, bool up);
int nl_link_set_master(struct nl *nl, int ifindex, int master_ifindex); /* 0: detach */
int nl_link_set_name(struct nl *nl, int ifindex, const char *name);
int nl_link_set_mac(struct nl *nl, int ifindex, const uint8_t mac[6]);
int nl_link_set_mtu(struct nl *nl, int ifindex, uint32_t mtu);
/* The link is ifindex, or (ifindex 0) the one called name. */
int nl_link_set_alias(struct nl *nl, int ifindex, const char *name, const char *alias);
int nl_link_set_netns(struct nl *nl, int ifindex, int netns_fd);
/* RTM_DELLINK; deleting either end of a veth pair deletes both. -ENODEV when it is gone. */
int nl_link_delete(struct nl *nl, int ifindex);
int nl_link_delete_name(struct nl *nl, const char *name);

/* RTM_NEWADDR: family AF_INET or AF_INET6, addr 4 or 16 bytes.  IPv6 addresses skip duplicate
 * address detection (nodad) so they are usable at once. */
int nl_addr_add(struct nl *nl, int ifindex, int family, const void *addr, unsigned prefixlen,
		bool nodad);
/* RTM_NEWROUTE: the default route of the family via gw on ifindex (main table). */
int nl_route_add_default(struct nl *nl, int family, const void *gw, int ifindex);
