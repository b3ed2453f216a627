/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's bridged veth interfaces, made over rtnetlink from the host side before the
 * payload runs.
 *
 * Called by the supervisor once the machine's network namespace exists (the leader is cloned
 * and waits for "go") and before it lets the leader go:
 *
 *	r = veth_setup_pid(&s->netifs, m->name, m->leader_pid, &m->veths, &m->exit_code);
 *	...
 *	veth_teardown(&m->veths, true);	(in machine_teardown, after the leader is reaped)
 *
 * For each interface: a veth pair whose host side (derived name, derived MAC, alias
 * "runimg:MACHINE") is attached to its bridge and up, and whose peer is created directly in the
 * machine's namespace under its final name with its MAC and MTU, up; then its addresses and
 * default routes; then lo is brought up.  The peer never exists in the host namespace, so when
 * the machine's namespace dies (its last process exits, or runimg is killed and the leader with
 * it) the kernel deletes the pair: nothing is left even after kill -9.  A host side that
 * survives anyway (the namespace was kept alive by something else) carries the alias and is
 * swept by the next run of a machine with the same name.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ifspec.h"

struct mount_plan;

struct veth_set {
	char **host_names; /* created host sides, in creation order */
	size_t n;
};

#define VETH_SET_NULL ((struct veth_set){ .host_names = NULL })

/*
 * cfg must have been finalized; host names and MACs are derived from machine.  Logs its errors; on failure
 * *ret_exit_code is EXIT_USAGE when the input is at fault (a bridge that does not exist, a
 * name that is taken) and EXIT_RUN_FAILED otherwise, and everything created so far is deleted.
 */
int veth_setup(const struct netif_config *cfg, const char *machine, int netns_fd,
	       struct veth_set *set, int *ret_exit_code);
int veth_setup_pid(const struct netif_config *cfg, const char *machine, pid_t pid,
		   struct veth_set *set, int *ret_exit_code);

/*
 * Delete the host sides (and with them the peers), newest first; missing ones are fine.
 * machine_gone: the machine's processes are all reaped, so its namespace is being destroyed
 * and takes the pairs with it in one batch; wait for that (up to a second) before deleting
 * what is left one by one.
 */
void veth_teardown(struct veth_set *set, bool machine_gone);

/* Delete every host-side veth left behind by an earlier machine of this name (by its alias).
 * Returns how many were deleted, or a negative errno. */
int veth_sweep(const char *machine);

/*
 * Booted machines: the files in the machine's /run that tell its network managers to leave
 * runimg's interfaces alone (see netif_networkd_file(), netif_nm_conf()).  Adds MOP_MKDIR and
 * MOP_WRITE operations of PHASE_ROOT, after the plan's /run tmpfs.
 */
int veth_plan_guest_files(struct mount_plan *p, const struct netif_config *cfg);

/*
 * Booted guests: an interface runimg gave addresses or a gateway to is runimg's, and the
 * guest's network managers are told to leave it alone through files in the machine's /run
 * (which runimg creates): systemd-networkd gets /run/systemd/network/10-runimg-NAME.network
 * with [Link] Unmanaged=yes (it sorts before the distribution's 80-container-host0.network),
 * NetworkManager gets /run/NetworkManager/conf.d/10-runimg.conf with unmanaged-devices+=.
 * Interfaces without addresses are left to the guest (DHCP, its own static files).
 */
#define NETIF_NM_CONF_PATH "/run/NetworkManager/conf.d/10-runimg.conf"
bool netif_configured(const struct netif_spec *s);
int netif_networkd_file(const struct netif_spec *s, char **ret_path, char **ret_content);
/* *ret_content NULL: no interface needs it. */
int netif_nm_conf(const struct netif_config *c, char **ret_content);
