/* SPDX-License-Identifier: MIT */
/* fastpath without BPF (FASTPATH=0, or no BPF program in this build): always the slow path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fastpath.h"
#include "log.h"

struct fastpath {
	int unused;
};

int fastpath_init(struct fastpath **out, enum config_fastpath mode, char *err, size_t errlen)
{
	*out = NULL;
	if (mode == CONFIG_FASTPATH_ON) {
		snprintf(err, errlen, "fastpath on: this build has no kernel fast path");
		return -ENOTSUP;
	}
	if (mode == CONFIG_FASTPATH_AUTO)
		log_notice("Kernel fast path unavailable: this build has no BPF program; "
			   "QoS 0 traffic is relayed by the daemon (slow path).");
	return 0;
}

void fastpath_free(struct fastpath *fp)
{
	free(fp);
}

bool fastpath_active(const struct fastpath *fp)
{
	(void)fp;
	return false;
}
