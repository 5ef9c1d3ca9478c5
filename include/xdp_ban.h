/* SPDX-License-Identifier: MIT */
/*
 * xdp_ban: fail2ban's counting as a pure module (L0: no syscalls, no clock, no logging). It
 * counts offences (failed logins, protocol violations) per source address and says "ban now"
 * when one address has `threshold` of them within `window`: a sliding window, exactly as
 * fail2ban's maxretry/findtime (the last `threshold` offence times of each address are kept).
 * What a ban does is the caller's (daemon/xdp/guard.c: xdp_guard_ban()).
 *
 * Memory is bounded: at most `capacity` addresses, the least recently offending one evicted
 * to make room. An attacker with many addresses can push out another's count (each of its
 * own addresses still gets counted); it cannot grow the table. Buckets are seeded by the
 * caller (pass randomness in), so chosen addresses cannot pile into one chain.
 *
 * Addresses are 16 bytes: IPv6, or IPv4 as ::ffff:a.b.c.d (xdp_ban_key() makes them from a
 * sockaddr). Times are the caller's monotonic milliseconds.
 */
#ifndef MQTTGW_XDP_BAN_H
#define MQTTGW_XDP_BAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Most offences counted per address (ban_auth_failures above it is refused by config). */
#define XDP_BAN_MAX_THRESHOLD 100u

struct xdp_ban_tab;

struct xdp_ban_key {
	uint8_t a[16];
};

/*
 * threshold 1..XDP_BAN_MAX_THRESHOLD offences within window_ms; capacity addresses (>= 1).
 * NULL with errno (EINVAL, ENOMEM). Memory: capacity * (48 + 8 * threshold) bytes.
 */
struct xdp_ban_tab *xdp_ban_new(uint32_t threshold, int64_t window_ms, size_t capacity,
				uint64_t seed);
void xdp_ban_free(struct xdp_ban_tab *t);

/* IPv4 (as v4-mapped) or IPv6 from sa. 0 or -EAFNOSUPPORT. */
int xdp_ban_key(const struct sockaddr *sa, struct xdp_ban_key *k);

/*
 * One offence of k at now_ms. true: this is the threshold-th within the window, ban now (the
 * address is forgotten here, so after the ban expires it starts from zero).
 */
bool xdp_ban_offence(struct xdp_ban_tab *t, const struct xdp_ban_key *k, int64_t now_ms);

/* Offences of k still within the window at now_ms (0 when unknown). */
uint32_t xdp_ban_pending(const struct xdp_ban_tab *t, const struct xdp_ban_key *k, int64_t now_ms);
/* Addresses tracked now. */
size_t xdp_ban_size(const struct xdp_ban_tab *t);

#endif /* MQTTGW_XDP_BAN_H */
