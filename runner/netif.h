/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network interfaces of the machine.  (Bridged veth interfaces come with their own issue.) */
#pragma once

/* Bring up "lo" in the current network namespace. */
int loopback_up(void);
