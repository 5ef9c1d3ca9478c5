/* SPDX-License-Identifier: MIT */
/* mqttgwctl_fmt: tables and lines for people from the daemon's JSON (mqttgwctl_fmt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttgwctl_fmt.h"

#define MAX_COLS 12

struct table {
	int ncols;
	const char *head[MAX_COLS];
	char **cells; /* rows * ncols */
	size_t rows, cap;
};

static void table_add(struct table *t, char *const *row)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **p = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*p));

		if (!p) {
			for (int i = 0; i < t->ncols; i++)
				free(row[i]);
			return;
		}
		t->cells = p;
		t->cap = cap;
	}
	memcpy(t->cells + t->rows * (size_t)t->ncols, row, (size_t)t->ncols * sizeof(*row));
	t->rows++;
}

/* Columns as wide as their widest cell, two spaces apart; the last one unpadded. */
static void table_print(struct table *t)
{
	size_t w[MAX_COLS];

	for (int c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->rows; r++) {
			size_t l = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);

			w[c] = l > w[c] ? l : w[c];
		}
	}
	for (size_t r = 0; r <= t->rows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s =
			    r ? t->cells[(r - 1) * (size_t)t->ncols + (size_t)c] : t->head[c];

			if (c == t->ncols - 1)
				printf("%s\n", s);
			else
				printf("%-*s  ", (int)w[c], s);
		}
	}
	for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* A member as text: strings as they are, numbers as integers, booleans yes/no, null "-". */
static char *text(const cJSON *o, const char *key)
{
	const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(o, key) : o;
	char buf[64];

	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsNumber(v))
		snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
	else if (cJSON_IsBool(v))
		snprintf(buf, sizeof(buf), "%s", cJSON_IsTrue(v) ? "yes" : "no");
	else
		snprintf(buf, sizeof(buf), "-");
	return strdup(buf);
}

static char *rtt_ms(const cJSON *c)
{
	const cJSON *tcp = cJSON_GetObjectItemCaseSensitive(c, "tcp");
	const cJSON *rtt = tcp ? cJSON_GetObjectItemCaseSensitive(tcp, "rtt_us") : NULL;
	char buf[32];

	if (!cJSON_IsNumber(rtt))
		return strdup("-");
	snprintf(buf, sizeof(buf), "%.2f", rtt->valuedouble / 1000.0);
	return strdup(buf);
}

static char *tcp_field(const cJSON *c, const char *key)
{
	const cJSON *tcp = cJSON_GetObjectItemCaseSensitive(c, "tcp");

	return tcp ? text(tcp, key) : strdup("-");
}

static void print_clients(const cJSON *list)
{
	struct table t = {12,
			  {"ID", "USER", "ADDRESS", "PROTO", "KEEPALIVE", "INFLIGHT", "QUEUED",
			   "BYTES_IN", "BYTES_OUT", "FASTPATH", "RTT_MS", "RETRANS"}};
	const cJSON *c;

	cJSON_ArrayForEach(c, list)
	{
		char *row[12] = {text(c, "id"),
				 text(c, "user"),
				 text(c, "address"),
				 text(c, "protocol"),
				 text(c, "keepalive"),
				 text(c, "inflight"),
				 text(c, "queued"),
				 text(c, "bytes_in"),
				 text(c, "bytes_out"),
				 text(c, "fastpath"),
				 rtt_ms(c),
				 tcp_field(c, "total_retrans")};

		table_add(&t, row);
	}
	table_print(&t);
}

static void print_subs(const cJSON *list, bool with_client)
{
	struct table t = {5, {"CLIENT", "FILTER", "QOS", "NO_LOCAL", "CONNECTED"}};
	const cJSON *s;

	if (!with_client)
		t = (struct table){4, {"FILTER", "QOS", "NO_LOCAL", "RETAIN_AS_PUBLISHED"}};
	cJSON_ArrayForEach(s, list)
	{
		char *row[5];

		if (with_client) {
			row[0] = text(s, "client");
			row[1] = text(s, "filter");
			row[2] = text(s, "qos");
			row[3] = text(s, "no_local");
			row[4] = text(s, "connected");
		} else {
			row[0] = text(s, "filter");
			row[1] = text(s, "qos");
			row[2] = text(s, "no_local");
			row[3] = text(s, "retain_as_published");
		}
		table_add(&t, row);
	}
	table_print(&t);
}

static void print_retained(const cJSON *list)
{
	struct table t = {4, {"TOPIC", "QOS", "BYTES", "PAYLOAD"}};
	const cJSON *m;

	cJSON_ArrayForEach(m, list)
	{
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "payload");
		char *row[4] = {text(m, "topic"), text(m, "qos"), text(m, "bytes"), NULL};

		if (cJSON_IsString(p)) {
			/* one line per message: newlines and tabs shown escaped */
			size_t n = strlen(p->valuestring);
			char *s = malloc(2 * n + 1), *o = s;

			for (size_t i = 0; s && i < n; i++) {
				char ch = p->valuestring[i];

				if (ch == '\n' || ch == '\t' || ch == '\r') {
					*o++ = '\\';
					*o++ = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
				} else {
					*o++ = ch;
				}
			}
			if (s)
				*o = '\0';
			row[3] = s ? s : strdup("");
		} else {
			char *h = text(m, "payload_hex");
			size_t n = strlen(h) + 4;

			row[3] = malloc(n);
			if (row[3])
				snprintf(row[3], n, "0x%s", h);
			free(h);
			if (!row[3])
				row[3] = strdup("");
		}
		table_add(&t, row);
	}
	table_print(&t);
}

static void print_bridges(const cJSON *list)
{
	struct table t = {10,
			  {"NAME", "STATE", "UPSTREAM", "QUEUED", "INFLIGHT", "SENT", "ACKED",
			   "DROPPED", "RECEIVED", "LAST_ERROR"}};
	const cJSON *b;

	cJSON_ArrayForEach(b, list)
	{
		char *host = text(b, "host"), *port = text(b, "port");
		size_t n = strlen(host) + strlen(port) + 2;
		char *up = malloc(n);
		char *row[10] = {text(b, "name"),      text(b, "state"),    up,
				 text(b, "queued"),    text(b, "inflight"), text(b, "sent"),
				 text(b, "acked"),     text(b, "dropped"),  text(b, "received"),
				 text(b, "last_error")};

		if (up)
			snprintf(up, n, "%s:%s", host, port);
		else
			row[2] = strdup("-");
		free(host);
		free(port);
		table_add(&t, row);
	}
	if (!t.rows)
		printf("no bridges configured\n");
	else
		table_print(&t);
}

/* `name: value` lines; nested objects as prefix.name, arrays printed after as tables. */
static void print_pairs(const cJSON *o, const char *prefix)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, o)
	{
		if (cJSON_IsObject(v)) {
			print_pairs(v, v->string);
		} else if (!cJSON_IsArray(v)) {
			char *s = text(v, NULL);

			printf("%s%s%s: %s\n", prefix ? prefix : "", prefix ? "." : "", v->string,
			       s ? s : "");
			free(s);
		}
	}
}

void fmt_answer(enum ctlp_cmd cmd, const cJSON *ans)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(ans, "result");
	const cJSON *trunc = cJSON_GetObjectItemCaseSensitive(ans, "truncated");

	switch (cmd) {
	case CTLP_CLIENTS:
		print_clients(res);
		break;
	case CTLP_SUBSCRIPTIONS:
		print_subs(res, true);
		break;
	case CTLP_RETAINED:
		print_retained(res);
		break;
	case CTLP_BRIDGES:
		print_bridges(res);
		break;
	case CTLP_CLIENT:
		print_pairs(res, NULL);
		printf("\n");
		print_subs(cJSON_GetObjectItemCaseSensitive(res, "subscription_list"), false);
		break;
	case CTLP_KICK:
		printf("kicked %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(res, "kicked")));
		break;
	case CTLP_RELOAD:
		printf("reload requested (as SIGHUP; the daemon's log says how it went)\n");
		break;
	case CTLP_LOG_LEVEL:
		printf("log level: %s (was %s)\n",
		       cJSON_GetStringValue(cJSON_GetObjectItem(res, "level")),
		       cJSON_GetStringValue(cJSON_GetObjectItem(res, "previous")));
		break;
	default:
		print_pairs(res, NULL);
		break;
	}
	if (cJSON_IsTrue(trunc))
		fprintf(stderr, "mqttgwctl: the list was cut at 100000 entries\n");
}

void fmt_trace_start(const cJSON *ans)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(ans, "fastpath_sockets");

	fprintf(stderr, "mqttgwctl: tracing %s",
		cJSON_GetStringValue(cJSON_GetObjectItem(ans, "trace")));
	if (cJSON_IsNumber(n) && n->valuedouble > 0)
		fprintf(stderr,
			" (%.0f sockets are in the kernel fast path: their QoS 0 flows are"
			" relayed by the kernel and not shown)",
			n->valuedouble);
	fprintf(stderr, "\n");
}

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
}

void fmt_trace_line(const cJSON *line)
{
	const cJSON *topic = cJSON_GetObjectItemCaseSensitive(line, "topic");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(line, "payload");
	const cJSON *hex = cJSON_GetObjectItemCaseSensitive(line, "payload_hex");
	const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(line, "dropped");

	if (cJSON_IsNumber(dropped)) {
		fprintf(stderr,
			"mqttgwctl: %.0f messages dropped so far: this reader is too slow\n",
			dropped->valuedouble);
		return;
	}
	if (!cJSON_IsString(topic))
		return;
	/* as mosquitto_sub -v: topic, a space, the payload bytes as they are */
	fputs(topic->valuestring, stdout);
	fputc(' ', stdout);
	if (cJSON_IsString(p)) {
		fputs(p->valuestring, stdout);
	} else if (cJSON_IsString(hex)) {
		for (const char *h = hex->valuestring; h[0] && h[1]; h += 2)
			fputc(hexv(h[0]) << 4 | hexv(h[1]), stdout);
	}
	fputc('\n', stdout);
	fflush(stdout);
}
