/* SPDX-License-Identifier: MIT */
/*
 * conn: one client transport connection (L1). Owns the fd, the receive buffer and the
 * output queue; hides the transport (tcp, tls; websockets plug in the same way through
 * struct conn_transport). Read and parse are separate: conn reads, the owner parses.
 *
 * Receive: when a connection has no partial frame pending, data is read into one shared
 * scratch buffer and parsed in place; only a partial frame's tail is copied into a
 * per-connection buffer, which is freed once it empties. Idle connections hold no buffers.
 *
 * Send: owners append to c->out and call conn_want_flush(); all connections with output are
 * flushed with writev once per loop iteration (conn_flush_all from the loop's before-wait
 * hook), so many small frames leave in one syscall.
 *
 * Lifetime: conn_close() unregisters and closes the fd at once, calls ops->on_close, and
 * frees the struct at the end of the loop iteration (deferred free).
 */
#ifndef MQTTGW_CONN_H
#define MQTTGW_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "loop.h"
#include "outq.h"

struct conn;

/*
 * The transport contract (conn_tcp; conn_tls in tls.h).
 *   read:   > 0 bytes of application data, 0 at end of stream, or -1 with errno (EAGAIN:
 *           nothing now; wait for the events the flags below ask for).
 *   writev: the bytes taken, which are the transport's from then on (a transport that had to
 *           encrypt them keeps and resends them itself), or -1 with errno; EAGAIN: none taken.
 *   close:  release c->tp_state and close the fd.
 *   shutdown (optional): end the write side (what the protocol says at its end, e.g. TLS
 *           close_notify, then shutdown(SHUT_WR)); the fd stays open for reading. A transport
 *           without it is never closed lingering (conn_close_linger falls back to conn_close).
 * A transport that speaks a protocol of its own over the socket (TLS) reports in c->tp_flags,
 * on each read or writev, what it waits for beyond the obvious direction:
 */
#define CONN_TP_READ_WANTS_OUT 0x01u /* read gave EAGAIN until the socket is writable */
#define CONN_TP_WRITE_WANTS_IN 0x02u /* writev gave EAGAIN until the socket is readable */
#define CONN_TP_READ_PENDING 0x04u   /* read left input that no socket event will announce */
#define CONN_TP_WRITE_PENDING 0x08u  /* writev holds taken bytes not sent yet: call it again,
				      * with no iovec if the queue is empty */
#define CONN_TP_BUSY 0x10u /* the transport works on c off the loop (a TLS handshake step on a
			    * worker): c waits for nothing until conn_transport_ready() */

struct conn_transport {
	const char *name;
	ssize_t (*read)(struct conn *c, void *buf, size_t len);
	ssize_t (*writev)(struct conn *c, const struct iovec *iov, int n);
	void (*close)(struct conn *c);
	void (*shutdown)(struct conn *c);
};

struct conn_ops {
	/* Parse what arrived. Return the bytes consumed (0..len), or -1 to close; on -1 the
	 * owner has already called conn_close() or wants conn to do so. */
	ssize_t (*on_read)(struct conn *c, const uint8_t *buf, size_t len);
	/* Last callback: the connection is closed (err: 0 = by us, else -errno or -EPIPE for
	 * peer close). The owner must drop its pointer to c. */
	void (*on_close)(struct conn *c, int err);
	/*
	 * Optional write gate, used only while c->gated (the kernel fast path's one-writer
	 * rule, daemon/broker_fastpath.c). on_output: output was queued (before it is written).
	 * may_write: false holds the queue back (conn_flush writes nothing; the owner calls
	 * conn_flush again later). on_out_empty: everything queued has been written.
	 */
	void (*on_output)(struct conn *c);
	bool (*may_write)(struct conn *c);
	void (*on_out_empty)(struct conn *c);
	/* Optional, asked only when needed (logs, a growing partial frame, a WebSocket
	 * handshake), so that a conn keeps no copy: "addr:port" for logs (text the owner
	 * keeps while it owns c), and the largest frame it accepts now (0: no bound). */
	const char *(*peer)(const struct conn *c);
	uint32_t (*rx_max)(const struct conn *c);
};

/* A partial frame carried between reads (its length and capacity with it: an idle conn has no
 * buffer and keeps no counts for it). */
struct conn_rx {
	uint32_t len, cap; /* bytes held, bytes data[] can hold */
	uint8_t data[];
};

struct conn {
	/* Field order packs the struct without holes: an idle client holds one (RSS per
	 * connection is a benchmark figure, README "Footprint"). */
	struct loop_io io;
	struct loop *loop;
	const struct conn_transport *tp;
	void *tp_state; /* the transport's per-connection state (NULL for tcp) */
	const struct conn_ops *ops;
	union {
		void *owner;		     /* until on_close */
		struct conn_linger *linger; /* after it, while c->lingering */
	};
	struct conn_rx *rx; /* partial frame carried between reads, or NULL */
	int fd;
	uint8_t tp_flags; /* CONN_TP_*, set by the transport */
	/* flags as bits: with no peer pointer and no rx_max (conn_peer(), conn_rx_max()) the
	 * struct is 152 B, glibc's 160-byte chunk instead of 176 */
	bool flush_pending : 1;
	bool closed : 1;
	bool read_paused : 1;
	bool reparse_pending : 1;
	bool write_blocked : 1; /* last write hit EAGAIN: waiting for EPOLLOUT (or see tp_flags) */
	bool gated : 1;		/* ops->on_output/may_write/on_out_empty apply */
	bool lingering : 1;	/* closed for the owner, closing lingering (linger is valid) */
	struct outq out;
	struct conn *flush_next;
	uint64_t tx_bytes; /* written to the transport, ever */
	uint64_t rx_bytes; /* read from the transport, ever (mqttgwctl clients) */
};

struct conn_stats {
	uint64_t bytes_in, bytes_out;
	uint64_t conns_open;
};
extern struct conn_stats conn_stats;

extern const struct conn_transport conn_tcp;

/* Bytes of a partial frame c holds (0: none, the stream is at a frame boundary). */
static inline uint32_t conn_rx_held(const struct conn *c)
{
	return c->rx ? c->rx->len : 0;
}

/* "addr:port" for logs: the owner's (ops->peer) while it owns c, a copy while c lingers,
 * "" once the owner is gone or when it has no peer op. */
const char *conn_peer(const struct conn *c);

/* The largest frame the owner accepts now (ops->rx_max), 0: no bound. */
static inline uint32_t conn_rx_max(const struct conn *c)
{
	return c->ops->rx_max ? c->ops->rx_max(c) : 0;
}

/* Wrap an accepted, non-blocking fd. NULL with errno on failure (fd is not closed). */
struct conn *conn_new(struct loop *l, int fd, const struct conn_transport *tp,
		      const struct conn_ops *ops, void *owner);
/* Close now (idempotent): unregisters and closes fd, calls on_close once, frees later. */
void conn_close(struct conn *c, int err);
/*
 * Close the way nginx's lingering close does, so that what we said last (an MQTT 5 DISCONNECT
 * with its reason code) is read by the peer: a close() with unread bytes in the receive buffer
 * makes the kernel answer with RST, and an RST can destroy data the peer has not read yet.
 * For the owner this is conn_close(): on_close runs now and c is gone. The fd stays open
 * while the queued output is written, the write side is shut down, and whatever the peer
 * still sends is read and discarded, until the peer closes, max_ms pass or max_bytes were
 * discarded; then it is closed and freed. Falls back to conn_close() when the transport has no
 * shutdown, when too many connections linger already, or on ENOMEM.
 */
void conn_close_linger(struct conn *c, int err, int64_t max_ms, uint32_t max_bytes);
/* End every lingering close now (shutdown; before loop_free). */
void conn_linger_end_all(void);

/* Queue c for the end-of-iteration flush. */
void conn_want_flush(struct conn *c);
/* Flush every connection queued with conn_want_flush (call once per loop iteration). */
void conn_flush_all(void);
/* Try to write now; 0, or -errno after which the conn is closed. */
int conn_flush(struct conn *c);
/*
 * Read and parse until the transport has nothing more for now (EAGAIN), at most a bounded
 * number of reads. true when it got there with no partial frame held and the connection
 * open and not paused: the stream is then at a frame boundary with nothing buffered.
 */
bool conn_read_idle(struct conn *c);
/* Stop / resume reading (backpressure). Resuming also parses, at the end of this loop
 * iteration, what was already buffered (by conn or the transport): no EPOLLIN will come for
 * bytes we hold. */
void conn_pause_read(struct conn *c, bool pause);
/* The transport's work off the loop ended (it set CONN_TP_BUSY): c waits for events again and
 * reads now, as if its socket had become readable. Loop thread only. */
void conn_transport_ready(struct conn *c);

#endif /* MQTTGW_CONN_H */
