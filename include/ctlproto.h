/* SPDX-License-Identifier: MIT */
/*
 * ctlproto: the control socket's wire format (L0, pure). mqttgwctl and mqttgwd share it.
 *
 * Request: one line, `COMMAND [ARG]...\n`, at most CTLP_MAX_LINE bytes with the newline. Words
 * are separated by one space; inside a word the bytes `%`, space, 0x00-0x20 and 0x7f are written
 * `%XX` (two hex digits), so a client id or topic filter with spaces or newlines travels intact
 * and a person can still type `status` into `nc -U`. The command name and the number of
 * arguments are checked here, so the daemon's handler gets only well-formed requests.
 *
 * Response: JSON lines. The first is `{"ok":true,"result":...}` or
 * `{"ok":false,"error":"...","status":N}` (N: the exit status mqttgwctl gives: 1 the daemon
 * said no, 2 a bad request); one request per connection, the daemon closes after the answer.
 * `trace` answers `{"ok":true,"trace":FILTER}`, then one line per message
 * (`{"topic":..,"qos":..,"retain":..,"payload":..}` or `"payload_hex":..` when the payload is not
 * UTF-8 text), and `{"dropped":N}` when N messages were dropped because the reader was slow;
 * the tap ends when the client closes.
 */
#ifndef MQTTGW_CTLPROTO_H
#define MQTTGW_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTLP_MAX_LINE 4096
#define CTLP_MAX_ARGS 4

enum ctlp_cmd {
	CTLP_STATUS,
	CTLP_CLIENTS,
	CTLP_CLIENT,
	CTLP_KICK,
	CTLP_SUBSCRIPTIONS,
	CTLP_RETAINED,
	CTLP_FASTPATH,
	CTLP_BRIDGES,
	CTLP_RELOAD,
	CTLP_LOG_LEVEL,
	CTLP_TRACE,
	CTLP_NR,
};

struct ctlp_req {
	enum ctlp_cmd cmd;
	int argc;
	/* decoded words: views into the caller's line (NUL-terminated in place); a word may hold
	 * NUL bytes, hence the lengths */
	const char *argv[CTLP_MAX_ARGS];
	size_t argl[CTLP_MAX_ARGS];
};

/* The command's name ("log-level"), NULL for an out-of-range value. */
const char *ctlp_cmd_name(enum ctlp_cmd cmd);
/* By name: 0 with *cmd, or -ENOENT. */
int ctlp_cmd_lookup(const char *name, size_t len, enum ctlp_cmd *cmd);
/* How many arguments cmd takes: [*min, *max]. */
void ctlp_cmd_args(enum ctlp_cmd cmd, int *min, int *max);

/*
 * Parse one request from buf[0..len) (decoded in place). Returns the bytes the request took
 * (newline included), -EAGAIN when no newline yet (and len < CTLP_MAX_LINE), -EMSGSIZE when the
 * line is longer, -EBADMSG for a bad escape, an empty word or stray spaces, -ENOENT for an
 * unknown command, -EINVAL for a wrong number of arguments. *why (static text) says which.
 */
int ctlp_parse(char *buf, size_t len, struct ctlp_req *req, const char **why);

/* Encode one word for a request into out (cap bytes with the NUL): the length, or -ENOSPC. */
int ctlp_encode_word(const char *w, size_t len, char *out, size_t cap);

/*
 * A growable output buffer for JSON lines (the daemon side only emits JSON). Functions append;
 * once an allocation fails, `failed` is set and the rest are no-ops (check it once at the end).
 * `limit` (0: none) caps len: appending past it sets failed and truncated.
 */
struct ctlp_buf {
	char *p;
	size_t len, cap, limit;
	bool failed, truncated;
};

void ctlp_buf_free(struct ctlp_buf *b);
void ctlp_put(struct ctlp_buf *b, const char *s, size_t n);
void ctlp_puts(struct ctlp_buf *b, const char *s);
void ctlp_printf(struct ctlp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string: quotes, escapes, and U+FFFD for every byte that is not valid UTF-8. */
void ctlp_json_str(struct ctlp_buf *b, const char *s, size_t n);
/* `"key":` (key is a literal: no escaping), with a comma first unless after `{` or `[`. */
void ctlp_json_key(struct ctlp_buf *b, const char *key);
/* `"key":"value"` / `"key":N` / `"key":true`, each with ctlp_json_key's comma rule. */
void ctlp_json_kstr(struct ctlp_buf *b, const char *key, const char *s, size_t n);
void ctlp_json_ku64(struct ctlp_buf *b, const char *key, uint64_t v);
void ctlp_json_ki64(struct ctlp_buf *b, const char *key, int64_t v);
void ctlp_json_kbool(struct ctlp_buf *b, const char *key, bool v);
/* Lowercase hex of n bytes, quoted. */
void ctlp_json_hex(struct ctlp_buf *b, const uint8_t *s, size_t n);
/* True when s[0..n) is UTF-8 without NUL (a payload printable as JSON text). */
bool ctlp_utf8_text(const uint8_t *s, size_t n);

#endif /* MQTTGW_CTLPROTO_H */
