/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "nl.h"

#define NL_REQ_SIZE 4096
#define NL_RECV_SIZE 32768

struct nl {
	struct mnl_socket *sk;
	unsigned portid;
	unsigned seq;
	char err[256];
};

/* Called for every reply message that is not an error/ack/done. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *h, void *userdata);

static int nl_setup(struct mnl_socket *sk, struct nl **ret)
{
	struct nl *nl;
	int one = 1;

	/* Extended ACKs carry the kernel's reason; capped ACKs do not echo the request. */
	(void)mnl_socket_setsockopt(sk, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sk, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0)
		return negative_errno();
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = sk;
	nl->portid = mnl_socket_get_portid(sk);
	nl->seq = (unsigned)time(NULL);
	*ret = nl;
	return 0;
}

int nl_open(struct nl **ret)
{
	struct mnl_socket *sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int r;

	if (!sk)
		return negative_errno();
	r = nl_setup(sk, ret);
	if (r < 0)
		mnl_socket_close(sk);
	return r;
}

int nl_open_netns(int netns_fd, struct nl **ret)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int r, back;

	if (self < 0)
		return negative_errno();
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return negative_errno();
	r = nl_open(ret);
	back = setns(self, CLONE_NEWNET);
	if (back < 0) {
		/* Staying in the machine's namespace would be worse than failing loudly. */
		abort();
	}
	return r;
}

void nl_free(struct nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sk);
	free(nl);
}

const char *nl_error_message(const struct nl *nl)
{
	return nl->err;
}

static void save_ext_ack(struct nl *nl, const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
	size_t off = sizeof(*e), len = mnl_nlmsg_get_payload_len(h);
	const struct nlattr *a;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = MNL_ALIGN(off);
	if (off >= len)
		return;
	for (a = (const struct nlattr *)((const char *)e + off);
	     mnl_attr_ok(a, (int)((const char *)e + len - (const char *)a)); a = mnl_attr_next(a)) {
		if (mnl_attr_get_type(a) != NLMSGERR_ATTR_MSG ||
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			continue;
		snprintf(nl->err, sizeof(nl->err), "%s", mnl_attr_get_str(a));
		/* Strip the kernel's trailing newline, if any. */
		nl->err[strcspn(nl->err, "\n")] = 0;
	}
}

/* 1: the transaction is over (ack or done), 0: more to come, <0: the request failed. */
static int nl_handle(struct nl *nl, const struct nlmsghdr *h, unsigned seq, nl_msg_cb cb,
		     void *userdata)
{
	if (h->nlmsg_seq != seq || h->nlmsg_pid != nl->portid)
		return 0; /* not ours: a stale reply */
	if (h->nlmsg_type == NLMSG_DONE)
		return 1;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

		if (mnl_nlmsg_get_payload_len(h) < sizeof(*e))
			return -EBADMSG;
		if (e->error == 0)
			return 1;
		save_ext_ack(nl, h);
		return e->error;
	}
	if (h->nlmsg_type == NLMSG_NOOP || h->nlmsg_type == NLMSG_OVERRUN)
		return 0;
	return cb ? cb(h, userdata) : 0;
}

/* Send h (with NLM_F_ACK added) and read until its ack, error or the end of the dump. */
static int nl_transact(struct nl *nl, struct nlmsghdr *h, nl_msg_cb cb, void *userdata)
{
	_cleanup_free_ char *buf = NULL;
	int r = 0, first_error = 0;

	nl->err[0] = 0;
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, h, h->nlmsg_len) < 0)
		return negative_errno();
	buf = malloc(NL_RECV_SIZE);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, buf, NL_RECV_SIZE);
		const struct nlmsghdr *m;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		len = (int)n;
		for (m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			r = nl_handle(nl, m, h->nlmsg_seq, cb, userdata);
			if (r == 1)
				return first_error;
			/* A callback's error: keep reading so that the socket stays in step. */
			if (r < 0 && m->nlmsg_type == NLMSG_ERROR)
				return r;
			if (r < 0 && !first_error)
				first_error = r;
		}
	}
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return h;
}

static void parse_linkinfo(const struct nlattr *li, struct nl_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, li)
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
			snprintf(l->kind, sizeof(l->kind), "%.*s",
				 (int)mnl_attr_get_payload_len(a), mnl_attr_get_str(a));
}

static void parse_link_attr(const struct nlattr *a, struct nl_link *l)
{
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		snprintf(l->name, sizeof(l->name), "%.*s", (int)len, mnl_attr_get_str(a));
		break;
	case IFLA_IFALIAS:
		snprintf(l->alias, sizeof(l->alias), "%.*s", (int)len, mnl_attr_get_str(a));
		break;
	case IFLA_MTU:
		if (len >= 4)
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_MASTER:
		if (len >= 4)
			l->master = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (len == 6)
			memcpy(l->mac, mnl_attr_get_payload(a), 6);
		break;
	case IFLA_LINKINFO:
		parse_linkinfo(a, l);
		break;
	}
}

static int link_from_msg(const struct nlmsghdr *h, struct nl_link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(h) < sizeof(*ifi))
		return -EBADMSG;
	*l = (struct nl_link){ .ifindex = ifi->ifi_index, .flags = ifi->ifi_flags };
	mnl_attr_for_each(a, h, sizeof(*ifi))
		parse_link_attr(a, l);
	return 0;
}

static int got_link(const struct nlmsghdr *h, void *userdata)
{
	return link_from_msg(h, userdata);
}

int nl_link_get(struct nl *nl, const char *name, struct nl_link *ret)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_GETLINK, 0, 0);
	struct nl_link l = { .ifindex = 0 };
	int r;

	if (strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_transact(nl, h, got_link, &l);
	if (r < 0)
		return r;
	if (l.ifindex <= 0)
		return -ENODEV;
	*ret = l;
	return 0;
}

struct dump_ctx {
	nl_link_cb cb;
	void *userdata;
};

static int dumped_link(const struct nlmsghdr *h, void *userdata)
{
	struct dump_ctx *d = userdata;
	struct nl_link l;

	if (link_from_msg(h, &l) < 0)
		return 0;
	return d->cb(&l, d->userdata);
}

int nl_link_dump(struct nl *nl, nl_link_cb cb, void *userdata)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_GETLINK, NLM_F_DUMP, 0);
	struct dump_ctx d = { cb, userdata };

	mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nl_transact(nl, h, dumped_link, &d);
}

/* The peer's half of a veth request: struct ifinfomsg, then its attributes. */
static void put_veth_peer(struct nlmsghdr *h, const struct nl_veth *v)
{
	struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
	struct ifinfomsg *pi = (struct ifinfomsg *)((char *)h + h->nlmsg_len);

	memset(pi, 0, MNL_ALIGN(sizeof(*pi)));
	pi->ifi_family = AF_UNSPEC;
	h->nlmsg_len += MNL_ALIGN(sizeof(*pi));
	if (v->peer_name)
		mnl_attr_put_strz(h, IFLA_IFNAME, v->peer_name);
	if (v->peer_mac)
		mnl_attr_put(h, IFLA_ADDRESS, 6, v->peer_mac);
	if (v->peer_mtu)
		mnl_attr_put_u32(h, IFLA_MTU, v->peer_mtu);
	if (v->peer_netns_fd >= 0)
		mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)v->peer_netns_fd);
	else if (v->peer_netns_pid > 0)
		mnl_attr_put_u32(h, IFLA_NET_NS_PID, (uint32_t)v->peer_netns_pid);
	mnl_attr_nest_end(h, peer);
	mnl_attr_nest_end(h, data);
}

int nl_veth_create(struct nl *nl, const struct nl_veth *v)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	struct nlattr *li;

	if (v->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (v->name)
		mnl_attr_put_strz(h, IFLA_IFNAME, v->name);
	if (v->mac)
		mnl_attr_put(h, IFLA_ADDRESS, 6, v->mac);
	if (v->mtu)
		mnl_attr_put_u32(h, IFLA_MTU, v->mtu);
	if (v->master > 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)v->master);
	li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	put_veth_peer(h, v);
	mnl_attr_nest_end(h, li);
	return nl_transact(nl, h, NULL, NULL);
}

int nl_link_set_up(struct nl *nl, int ifindex, bool up)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_SETLINK, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);

	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	return nl_transact(nl, h, NULL, NULL);
}

static int set_u32(struct nl *nl, int ifindex, uint16_t attr, uint32_t value)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_SETLINK, 0, ifindex);

	mnl_attr_put_u32(h, attr, value);
	return nl_transact(nl, h, NULL, NULL);
}

int nl_link_set_master(struct nl *nl, int ifindex, int master_ifindex)
{
	return set_u32(nl, ifindex, IFLA_MASTER, (uint32_t)master_ifindex);
}

int nl_link_set_mtu(struct nl *nl, int ifindex, uint32_t mtu)
{
	return set_u32(nl, ifindex, IFLA_MTU, mtu);
}

int nl_link_set_netns(struct nl *nl, int ifindex, int netns_fd)
{
	return set_u32(nl, ifindex, IFLA_NET_NS_FD, (uint32_t)netns_fd);
}

static int set_str(struct nl *nl, int ifindex, uint16_t attr, const char *value)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_SETLINK, 0, ifindex);

	if (strlen(value) > 1024)
		return -EINVAL;
	mnl_attr_put_strz(h, attr, value);
	return nl_transact(nl, h, NULL, NULL);
}

int nl_link_set_name(struct nl *nl, int ifindex, const char *name)
{
	if (strlen(name) >= IF_NAMESIZE)
		return -EINVAL;
	return set_str(nl, ifindex, IFLA_IFNAME, name);
}

int nl_link_set_alias(struct nl *nl, int ifindex, const char *name, const char *alias)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_SETLINK, 0, ifindex);

	if (strlen(alias) > 256 || (name && strlen(name) >= IF_NAMESIZE))
		return -EINVAL;
	if (ifindex <= 0 && name)
		mnl_attr_put_strz(h, IFLA_IFNAME, name);
	mnl_attr_put_strz(h, IFLA_IFALIAS, alias);
	return nl_transact(nl, h, NULL, NULL);
}

int nl_link_set_mac(struct nl *nl, int ifindex, const uint8_t mac[6])
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_SETLINK, 0, ifindex);

	mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
	return nl_transact(nl, h, NULL, NULL);
}

int nl_link_delete(struct nl *nl, int ifindex)
{
	char buf[NL_REQ_SIZE];

	return nl_transact(nl, link_msg(buf, RTM_DELLINK, 0, ifindex), NULL, NULL);
}

int nl_link_delete_name(struct nl *nl, const char *name)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = link_msg(buf, RTM_DELLINK, 0, 0);

	if (strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	return nl_transact(nl, h, NULL, NULL);
}

static size_t family_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int nl_addr_add(struct nl *nl, int ifindex, int family, const void *addr, unsigned prefixlen,
		bool nodad)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	size_t alen = family_len(family);
	struct ifaddrmsg *ifa;

	if (!alen || prefixlen > alen * 8)
		return -EINVAL;
	h->nlmsg_type = RTM_NEWADDR;
	h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(h, IFA_LOCAL, alen, addr);
	mnl_attr_put(h, IFA_ADDRESS, alen, addr);
	if (family == AF_INET && prefixlen < 31) {
		uint8_t brd[4];
		uint32_t mask = prefixlen ? ~0U << (32 - prefixlen) : 0;
		uint32_t a;

		memcpy(&a, addr, 4);
		a = htonl(ntohl(a) | ~mask);
		memcpy(brd, &a, 4);
		mnl_attr_put(h, IFA_BROADCAST, 4, brd);
	}
	if (family == AF_INET6 && nodad)
		mnl_attr_put_u32(h, IFA_FLAGS, IFA_F_NODAD);
	return nl_transact(nl, h, NULL, NULL);
}

int nl_route_add_default(struct nl *nl, int family, const void *gw, int ifindex)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	size_t alen = family_len(family);
	struct rtmsg *rt;

	if (!alen)
		return -EINVAL;
	h->nlmsg_type = RTM_NEWROUTE;
	h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = (uint8_t)family;
	rt->rtm_dst_len = 0;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, alen, gw);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)ifindex);
	return nl_transact(nl, h, NULL, NULL);
}
