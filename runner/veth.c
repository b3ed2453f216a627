/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The machine's veth interfaces: create, configure, tear down (see veth.h). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "mount-plan.h"
#include "nl.h"
#include "settings.h"
#include "strutil.h"
#include "veth.h"

#define VETH_TEARDOWN_WAIT_MS 1000

/* What the host side of each interface attaches to. */
struct bridge_info {
	int ifindex; /* 0: attached to nothing */
	uint32_t mtu;
};

/* " (kernel's reason)" or "", for messages. */
static const char *kmsg(const struct nl *nl, char *buf, size_t len)
{
	const char *m = nl_error_message(nl);

	if (!*m)
		return "";
	snprintf(buf, len, " (%s)", m);
	return buf;
}

static int alias_of(const char *machine, char **ret)
{
	*ret = strjoin(NETIF_ALIAS_PREFIX, machine, NULL);
	return *ret ? 0 : -ENOMEM;
}

static int lookup_bridge(struct nl *h, const struct netif_spec *s, struct bridge_info *ret,
			 int *ret_exit_code)
{
	struct nl_link l;
	int r;

	*ret = (struct bridge_info){ 0 };
	if (!s->bridge)
		return 0;
	r = nl_link_get(h, s->bridge, &l);
	if (r == -ENODEV) {
		*ret_exit_code = EXIT_USAGE;
		log_error("bridge '%s' not found (%s)", s->bridge, s->origin);
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "cannot look up bridge '%s'", s->bridge);
	if (!streq(l.kind, "bridge") && !streq(l.kind, "openvswitch")) {
		*ret_exit_code = EXIT_USAGE;
		log_error("'%s' is not a bridge (%s%s) (%s)", s->bridge,
			  *l.kind ? "it is a " : "it has no link type", l.kind, s->origin);
		return -ENOTTY;
	}
	ret->ifindex = l.ifindex;
	ret->mtu = l.mtu;
	return 0;
}

static int set_push(struct veth_set *set, const char *name)
{
	char **n = realloc(set->host_names, (set->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	set->host_names = n;
	if (!(n[set->n] = strdup(name)))
		return -ENOMEM;
	set->n++;
	return 0;
}

static int create_pair(struct nl *h, const struct netif_spec *s, const struct netif_names *nm,
		       const struct bridge_info *b, int netns_fd, const char *alias,
		       struct veth_set *set, int *ret_exit_code)
{
	uint32_t mtu = s->mtu ? s->mtu : b->mtu;
	const struct nl_veth v = {
		.name = nm->host_name,
		.mac = nm->host_mac,
		.mtu = mtu,
		.master = b->ifindex,
		.up = true,
		.peer_name = s->name,
		.peer_mac = nm->mac,
		.peer_mtu = mtu,
		.peer_netns_fd = netns_fd,
	};
	char kb[300];
	int r;

	r = nl_veth_create(h, &v);
	if (r == -EEXIST) {
		struct nl_link l;

		*ret_exit_code = EXIT_USAGE;
		if (nl_link_get(h, nm->host_name, &l) >= 0)
			return log_error_errno(r, "cannot create interface '%s': the host "
						  "interface name '%s' is taken (%s)",
					       s->name, nm->host_name, s->origin);
		return log_error_errno(r, "cannot create interface '%s': the machine has an "
					  "interface of that name already (%s)", s->name, s->origin);
	}
	if (r < 0)
		return log_error_errno(r, "cannot create interface '%s' (host side '%s'%s%s)%s",
				       s->name, nm->host_name, s->bridge ? " on bridge " : "",
				       s->bridge ? s->bridge : "", kmsg(h, kb, sizeof(kb)));
	if ((r = set_push(set, nm->host_name)) < 0)
		return r;
	r = nl_link_set_alias(h, 0, nm->host_name, alias);
	if (r < 0)
		return log_error_errno(r, "cannot label host interface '%s'%s", nm->host_name,
				       kmsg(h, kb, sizeof(kb)));
	return 0;
}

/* Addresses and default routes of one interface, inside the machine. */
static int configure_guest(struct nl *g, const struct netif_spec *s)
{
	const struct netif_addr *gws[] = { &s->gw4, &s->gw6 };
	struct nl_link l;
	char kb[300], a[64];
	int r;

	r = nl_link_get(g, s->name, &l);
	if (r < 0)
		return log_error_errno(r, "cannot find interface '%s' in the machine", s->name);
	r = nl_link_set_up(g, l.ifindex, true);
	if (r < 0)
		return log_error_errno(r, "cannot bring up interface '%s'%s", s->name,
				       kmsg(g, kb, sizeof(kb)));
	for (size_t i = 0; i < s->n_addrs; i++) {
		const struct netif_addr *ad = &s->addrs[i];

		r = nl_addr_add(g, l.ifindex, ad->family, ad->bytes, ad->prefixlen, true);
		if (r < 0) {
			netif_format_addr(ad, true, a, sizeof(a));
			return log_error_errno(r, "cannot add address %s to '%s'%s", a, s->name,
					       kmsg(g, kb, sizeof(kb)));
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(gws); i++) {
		if (!gws[i]->family)
			continue;
		r = nl_route_add_default(g, gws[i]->family, gws[i]->bytes, l.ifindex);
		if (r < 0) {
			netif_format_addr(gws[i], false, a, sizeof(a));
			return log_error_errno(r, "cannot add the default route via %s on '%s'%s", a,
					       s->name, kmsg(g, kb, sizeof(kb)));
		}
	}
	return 0;
}

static int loopback(struct nl *g)
{
	struct nl_link l;
	int r = nl_link_get(g, "lo", &l);

	if (r >= 0)
		r = nl_link_set_up(g, l.ifindex, true);
	if (r < 0)
		return log_error_errno(r, "cannot bring up the machine's loopback interface");
	return 0;
}

struct sweep_ctx {
	const char *alias;
	char **names;
};

static int sweep_one(const struct nl_link *l, void *userdata)
{
	struct sweep_ctx *x = userdata;

	if (!streq(l->kind, "veth") || !streq(l->alias, x->alias))
		return 0;
	return strv_extend(&x->names, l->name);
}

static int sweep(struct nl *h, const char *machine)
{
	_cleanup_free_ char *alias = NULL;
	struct sweep_ctx x = { NULL, NULL };
	int r, n = 0;

	if ((r = alias_of(machine, &alias)) < 0)
		return r;
	x.alias = alias;
	r = nl_link_dump(h, sweep_one, &x);
	for (size_t i = 0; r >= 0 && x.names && x.names[i]; i++) {
		r = nl_link_delete_name(h, x.names[i]);
		if (r == -ENODEV)
			r = 0;
		if (r >= 0) {
			log_debug("deleted stale host interface '%s' of machine '%s'", x.names[i],
				  machine);
			n++;
		}
	}
	strv_free(x.names);
	return r < 0 ? r : n;
}

int veth_sweep(const char *machine)
{
	_cleanup_nl_ struct nl *h = NULL;
	int r = nl_open(&h);

	return r < 0 ? r : sweep(h, machine);
}

static int setup_all(struct nl *h, struct nl *g, const struct netif_config *cfg,
		     const char *machine, int netns_fd, struct veth_set *set, int *ret_exit_code)
{
	_cleanup_free_ struct bridge_info *br = calloc(cfg->n ? cfg->n : 1, sizeof(*br));
	_cleanup_free_ char *alias = NULL;
	int r;

	if (!br || alias_of(machine, &alias) < 0)
		return log_error_errno(-ENOMEM, "cannot set up the network");
	/* Every bridge first: a missing one fails the run before anything exists. */
	for (size_t i = 0; i < cfg->n; i++)
		if ((r = lookup_bridge(h, &cfg->v[i], &br[i], ret_exit_code)) < 0)
			return r;
	r = sweep(h, machine);
	if (r < 0)
		log_warning_errno(r, "cannot sweep stale interfaces of machine '%s'", machine);
	for (size_t i = 0; i < cfg->n; i++) {
		struct netif_names nm;

		if ((r = netif_effective(&cfg->v[i], i, machine, &nm)) < 0)
			return log_error_errno(r, "cannot name the machine's interfaces");
		r = create_pair(h, &cfg->v[i], &nm, &br[i], netns_fd, alias, set, ret_exit_code);
		if (r < 0)
			return r;
		if ((r = configure_guest(g, &cfg->v[i])) < 0)
			return r;
	}
	return loopback(g);
}

int veth_setup(const struct netif_config *cfg, const char *machine, int netns_fd,
	       struct veth_set *set, int *ret_exit_code)
{
	_cleanup_nl_ struct nl *h = NULL, *g = NULL;
	int r;

	*ret_exit_code = EXIT_RUN_FAILED;
	if ((r = nl_open(&h)) < 0)
		return log_error_errno(r, "cannot open a netlink socket");
	if ((r = nl_open_netns(netns_fd, &g)) < 0)
		return log_error_errno(r, "cannot open a netlink socket in the machine");
	r = setup_all(h, g, cfg, machine, netns_fd, set, ret_exit_code);
	if (r < 0)
		veth_teardown(set, false);
	return r;
}

int veth_setup_pid(const struct netif_config *cfg, const char *machine, pid_t pid,
		   struct veth_set *set, int *ret_exit_code)
{
	_cleanup_close_ int fd = -1;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*ret_exit_code = EXIT_RUN_FAILED;
		return log_error_errno(errno, "cannot open the machine's network namespace");
	}
	return veth_setup(cfg, machine, fd, set, ret_exit_code);
}

/* Names in set that still exist. */
static size_t count_left(struct nl *h, const struct veth_set *set, bool *left)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++) {
		struct nl_link l;

		if (left[i])
			left[i] = nl_link_get(h, set->host_names[i], &l) != -ENODEV;
		n += left[i];
	}
	return n;
}

/*
 * The kernel deletes a namespace's devices in one batch (one RCU grace period for all), while
 * each RTM_DELLINK pays for its own: ~25 ms for the whole namespace against ~16 ms per pair.
 * So when the machine's namespace is going away, give the kernel a moment to do it.
 */
static void wait_namespace_gone(struct nl *h, struct veth_set *set, bool *left)
{
	for (unsigned waited = 0; waited < VETH_TEARDOWN_WAIT_MS; waited += 2) {
		if (count_left(h, set, left) == 0)
			return;
		usleep(2000);
	}
}

void veth_teardown(struct veth_set *set, bool machine_gone)
{
	_cleanup_nl_ struct nl *h = NULL;
	_cleanup_free_ bool *left = calloc(set->n ? set->n : 1, sizeof(bool));

	if (set->n && (!left || nl_open(&h) < 0))
		h = NULL;
	for (size_t i = 0; left && i < set->n; i++)
		left[i] = true;
	if (h && left && machine_gone)
		wait_namespace_gone(h, set, left);
	while (set->n > 0) {
		char *name = set->host_names[--set->n];
		int r = -ENODEV;

		if (!left || left[set->n])
			r = h ? nl_link_delete_name(h, name) : -EBADF;
		/* -ENODEV: it went with the machine's namespace already. */
		if (r < 0 && r != -ENODEV)
			log_warning_errno(r, "cannot delete host interface '%s'", name);
		free(name);
	}
	free(set->host_names);
	*set = VETH_SET_NULL;
}

bool netif_configured(const struct netif_spec *s)
{
	return s->n_addrs > 0 || s->gw4.family || s->gw6.family;
}

int netif_networkd_file(const struct netif_spec *s, char **ret_path, char **ret_content)
{
	_cleanup_free_ char *path = NULL, *content = NULL;

	if (asprintf(&path, "/run/systemd/network/10-runimg-%s.network", s->name) < 0 ||
	    asprintf(&content,
		     "# Written by runimg: '%s' was configured from the host (addresses, routes,\n"
		     "# MAC, MTU) before this system started; systemd-networkd leaves it alone.\n"
		     "[Match]\nName=%s\n\n[Link]\nUnmanaged=yes\n",
		     s->name, s->name) < 0)
		return -ENOMEM;
	*ret_path = steal_ptr(path);
	*ret_content = steal_ptr(content);
	return 0;
}

int netif_nm_conf(const struct netif_config *c, char **ret_content)
{
	_cleanup_free_ char *list = strdup(""), *content = NULL;

	for (size_t i = 0; list && i < c->n; i++) {
		char *n;

		if (!netif_configured(&c->v[i]))
			continue;
		n = strjoin(list, *list ? ";" : "", "interface-name:", c->v[i].name, NULL);
		free(list);
		list = n;
	}
	if (!list)
		return -ENOMEM;
	if (!*list) {
		*ret_content = NULL;
		return 0;
	}
	if (asprintf(&content,
		     "# Written by runimg: these interfaces were configured from the host.\n"
		     "[keyfile]\nunmanaged-devices+=%s\n",
		     list) < 0)
		return -ENOMEM;
	*ret_content = steal_ptr(content);
	return 0;
}

static int plan_dir(struct mount_plan *p, const char *dir)
{
	const struct mount_op o = { .kind = MOP_MKDIR, .phase = PHASE_ROOT, .dst = (char *)dir,
				    .mode = 0755 };

	return mount_plan_find(p, dir, MOP_MKDIR) ? 0 : plan_add(p, &o);
}

static int plan_file(struct mount_plan *p, const char *path, const char *content)
{
	const struct mount_op o = { .kind = MOP_WRITE, .phase = PHASE_ROOT, .src = (char *)content,
				    .dst = (char *)path, .mode = 0444 };

	return plan_add(p, &o);
}

int veth_plan_guest_files(struct mount_plan *p, const struct netif_config *cfg)
{
	_cleanup_free_ char *nm = NULL;
	int r;

	for (size_t i = 0; i < cfg->n; i++) {
		_cleanup_free_ char *path = NULL, *content = NULL;

		if (!netif_configured(&cfg->v[i]))
			continue;
		if ((r = netif_networkd_file(&cfg->v[i], &path, &content)) < 0)
			return r;
		if ((r = plan_dir(p, "/run/systemd")) < 0 ||
		    (r = plan_dir(p, "/run/systemd/network")) < 0 ||
		    (r = plan_file(p, path, content)) < 0)
			return r;
	}
	if ((r = netif_nm_conf(cfg, &nm)) < 0 || !nm)
		return r;
	if ((r = plan_dir(p, "/run/NetworkManager")) < 0 ||
	    (r = plan_dir(p, "/run/NetworkManager/conf.d")) < 0)
		return r;
	return plan_file(p, NETIF_NM_CONF_PATH, nm);
}
