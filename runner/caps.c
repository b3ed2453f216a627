/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "cleanup.h"

static const cap_value_t kept[] = {
	CAP_AUDIT_CONTROL, CAP_AUDIT_WRITE,	 CAP_CHOWN,	    CAP_DAC_OVERRIDE,
	CAP_DAC_READ_SEARCH, CAP_FOWNER,	 CAP_FSETID,	    CAP_IPC_OWNER,
	CAP_KILL,	   CAP_LEASE,		 CAP_LINUX_IMMUTABLE, CAP_MKNOD,
	CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST, CAP_NET_RAW,	    CAP_SETFCAP,
	CAP_SETGID,	   CAP_SETPCAP,		 CAP_SETUID,	    CAP_SYS_ADMIN,
	CAP_SYS_BOOT,	   CAP_SYS_CHROOT,	 CAP_SYS_NICE,	    CAP_SYS_PTRACE,
	CAP_SYS_RESOURCE,  CAP_SYS_TTY_CONFIG,
};

bool caps_kept(int cap, bool net_admin)
{
	if (net_admin && cap == CAP_NET_ADMIN)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(kept); i++)
		if (kept[i] == cap)
			return true;
	return false;
}

int caps_bound(bool net_admin)
{
	int max = (int)cap_max_bits();

	for (int cap = 0; cap < max; cap++) {
		if (caps_kept(cap, net_admin))
			continue;
		if (cap_drop_bound((cap_value_t)cap) < 0 && errno != EINVAL)
			return -errno;
	}
	/* Nothing may come back through the ambient set either. */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}
