/* SPDX-License-Identifier: MIT */
/*
 * broker_ctl: the broker's answers to mqttgwctl (the control socket is ctl, L1; this handler
 * supplies the data). broker_ctl.c: the socket's lifecycle, dispatch, status, clients, kick,
 * reload, log-level and trace; broker_ctl_show.c: subscriptions, retained, fastpath, bridges.
 */
#ifndef MQTTGW_BROKER_CTL_H
#define MQTTGW_BROKER_CTL_H

#include "broker_core.h"
#include "ctl.h"

struct broker_ctl {
	struct ctl *ctl;
	struct nl_diag *diag; /* sock_diag for the clients' TCP state, opened on first use */
	/* trace taps: their connections (each tag is its filter, NUL-terminated) */
	struct ctl_conn **taps;
	uint32_t n_taps, taps_cap;
	struct ctlp_buf *sys_out; /* during a *_sys() walk: where its pairs go */
	size_t sys_strip;	  /* prefix length dropped from their names */
};

/* Close the control socket and its connections (shutdown, broker_free). */
void broker_ctl_close(struct broker *b);

/* broker_ctl_show.c: each appends `"result":...` to out; false with *why when the daemon says
 * no (status 1). */
void broker_ctl_subscriptions(struct broker *b, struct ctlp_buf *out, const struct ctlp_req *req);
void broker_ctl_retained(struct broker *b, struct ctlp_buf *out, const struct ctlp_req *req);
void broker_ctl_fastpath(struct broker *b, struct ctlp_buf *out);
void broker_ctl_bridges(struct broker *b, struct ctlp_buf *out);
/* Sockets in the kernel fast path now (their QoS 0 flows may bypass a trace). */
uint32_t broker_ctl_fp_sockets(const struct broker *b);
/* One session's subscriptions as a JSON array (client and subscriptions commands). */
void broker_ctl_session_subs(struct ctlp_buf *out, const struct session *s, const char *filter,
			     size_t flen, bool with_client);

#endif /* MQTTGW_BROKER_CTL_H */
