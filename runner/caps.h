/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Reduce the capability bounding set to systemd-nspawn's default set (plus CAP_NET_ADMIN
 * when the machine has its own network namespace). */
int caps_bound(bool net_admin);
/* Pure: is cap in the kept set? */
bool caps_kept(int cap, bool net_admin);
