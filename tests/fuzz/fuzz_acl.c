/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for daemon/acl.c. The input is acl_file text. It is parsed (errors must be
 * one "acl:<line>: ..." message); if it loads, every space-separated word of the input that is
 * a valid topic name or filter becomes a sample, the usernames of its `user` lines become
 * sample clients, and for each client and sample filter acl_filter_read() must agree with
 * acl_check(READ) on each sample topic the filter matches (topic_matches from the topic
 * module): ALL means every one is readable, NONE means none is. SUBSCRIBE must be granted
 * unless the $-rules refuse it (they never do), and no check may crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "acl.h"
#include "topic.h"


#define NS 24

struct sample {
	char *s[NS];
	size_t n;
};

static void add(struct sample *sm, const char *s, size_t len)
{
	if (sm->n < NS)
		sm->s[sm->n++] = strndup(s, len);
}

static void warn(void *ctx, const char *msg)
{
	(void)ctx;
	CHECK(!strncmp(msg, "acl:", 4));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed_topics[] = {"a/b", "$SYS/broker/x", "x", "/", "c1/in"};
	static const char *const fixed_filters[] = {"#", "+/#", "$SYS/#", "a/+"};
	const char *text = (const char *)data, *p = text, *end = text + size;
	struct sample topics = {0}, filters = {0}, users = {0};
	const char *cids[] = {"c1", "a", "+x"};
	char err[512];
	struct acl_db *db;
	size_t i, j, k, u;

	memset(err, 0x55, sizeof(err));
	db = acl_parse(text, size, "acl", warn, NULL, err, sizeof(err));
	if (!db) {
		CHECK(memchr(err, '\0', sizeof(err)) && !strncmp(err, "acl:", 4));
		return 0;
	}
	for (i = 0; i < sizeof(fixed_topics) / sizeof(fixed_topics[0]); i++)
		add(&topics, fixed_topics[i], strlen(fixed_topics[i]));
	for (i = 0; i < sizeof(fixed_filters) / sizeof(fixed_filters[0]); i++)
		add(&filters, fixed_filters[i], strlen(fixed_filters[i]));
	add(&users, "", 0);
	while (p < end) {
		const char *w = p, *nl;
		size_t len;

		while (p < end && *p != ' ' && *p != '\n')
			p++;
		len = (size_t)(p - w);
		if (len && topic_name_valid(w, len))
			add(&topics, w, len);
		if (len && topic_filter_valid(w, len))
			add(&filters, w, len);
		if (len == 4 && !memcmp(w, "user", 4) && p < end && *p == ' ') {
			nl = memchr(p, '\n', (size_t)(end - p));
			add(&users, p + 1, (size_t)((nl ? nl : end) - p - 1));
		}
		if (p < end)
			p++;
	}
	for (u = 0; u <= users.n; u++)
		for (k = 0; k < sizeof(cids) / sizeof(cids[0]); k++) {
			const char *user = u < users.n ? users.s[u] : NULL;

			for (i = 0; i < filters.n; i++) {
				const char *f = filters.s[i];
				enum acl_reach r = acl_filter_read(db, cids[k], user, f, strlen(f));

				CHECK(acl_check(db, cids[k], user, f, strlen(f), ACL_SUBSCRIBE));
				if (!strncmp(f, "$share", 6))
					continue;
				for (j = 0; j < topics.n; j++) {
					const char *t = topics.s[j];
					bool ok;

					if (!topic_matches(f, strlen(f), t, strlen(t)))
						continue;
					ok = acl_check(db, cids[k], user, t, strlen(t), ACL_READ);
					CHECK(!(r == ACL_REACH_ALL && !ok));
					CHECK(!(r == ACL_REACH_NONE && ok));
					(void)acl_check(db, cids[k], user, t, strlen(t), ACL_WRITE);
				}
			}
		}
	for (i = 0; i < topics.n; i++)
		free(topics.s[i]);
	for (i = 0; i < filters.n; i++)
		free(filters.s[i]);
	for (i = 0; i < users.n; i++)
		free(users.s[i]);
	acl_free(db);
	return 0;
}
