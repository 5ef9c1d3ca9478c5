/* SPDX-License-Identifier: MIT */
/*
 * topic: topic-name/filter validation, the subscription trie and the retained-message store
 * (layer L0: pure; no syscalls, no logging, no clock).
 *
 * Subscribers and retained messages are opaque `void *` owned by the caller: this module
 * only stores and returns them. It never delivers anything; matching calls back.
 *
 * Cost: matching is proportional to topic depth (plus the number of matches), with an
 * exact-topic cache for repeated topics that is invalidated by any subscription change.
 *
 * Topic strings are (pointer, length), not NUL-terminated. They are assumed to be valid UTF-8
 * already (the codec checks that); this module checks MQTT's topic rules.
 */
#ifndef MQTTGW_TOPIC_H
#define MQTTGW_TOPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Subscription options: the MQTT 5 SUBSCRIBE options byte (bits 0-1 QoS, bit 2 No Local,
 * bit 3 Retain As Published, bits 4-5 Retain Handling). Bit 7 is ours: set on matches that come
 * from a shared subscription ($share/<group>/...). v3 subscriptions just carry the QoS.
 */
#define TOPIC_OPT_QOS_MASK 0x03u
#define TOPIC_OPT_NO_LOCAL 0x04u
#define TOPIC_OPT_RAP 0x08u
#define TOPIC_OPT_RH_SHIFT 4
#define TOPIC_OPT_RH_MASK 0x30u
#define TOPIC_OPT_SHARED 0x80u

#define TOPIC_MAX_LEN 65535u

struct topic_tree;

/*
 * `member_ok`, if not NULL, is asked while picking the member of a shared subscription group
 * that receives a message: members for which it returns false (e.g. offline) are skipped
 * unless no member is ok, in which case the round-robin choice stands.
 */
struct topic_tree *topic_tree_new(bool (*member_ok)(void *subscriber));
/*
 * How a shared subscription group picks the member that receives a message (default round
 * robin). Whatever the strategy, members member_ok refuses are passed over while another is
 * ok. RANDOM: uniformly, from a generator seeded by topic_tree_set_seed (deterministic per
 * seed). STICKY: the member that got the last message, until it is not ok any more. HASH_TOPIC:
 * by a hash of the topic, so one topic always goes to the same member while the group does
 * not change (its messages keep their order). topic_share_pick() knows no topic: HASH_TOPIC
 * picks round robin there.
 */
enum topic_share_strategy {
	TOPIC_SHARE_ROUND_ROBIN = 0,
	TOPIC_SHARE_RANDOM,
	TOPIC_SHARE_STICKY,
	TOPIC_SHARE_HASH_TOPIC,
};
void topic_tree_set_share_strategy(struct topic_tree *t, enum topic_share_strategy s);
/* Frees the tree; calls retained_free (if not NULL) on every retained message still stored. */
void topic_tree_free(struct topic_tree *t, void (*retained_free)(void *msg));
/*
 * Optional: key the tree's hash tables with a random seed (against hash flooding by clients
 * choosing topic levels; the default is derived from the tree's address). Only on an empty
 * tree: -EBUSY once anything was stored.
 */
int topic_tree_set_seed(struct topic_tree *t, uint64_t seed);
/* Trie nodes allocated (both tries, roots excluded): for tests that check pruning. */
size_t topic_node_count(const struct topic_tree *t);

/* A topic name as in PUBLISH: non-empty, at most 65535 bytes, no '+', '#' or NUL. */
bool topic_name_valid(const char *s, size_t len);
/*
 * A topic filter as in SUBSCRIBE: non-empty, no NUL; '+' alone in its level; '#' alone and last;
 * $share/<group>/<filter>: group non-empty without '+', '#' or '/', filter valid and non-empty.
 */
bool topic_filter_valid(const char *s, size_t len);
/*
 * If filter is "$share/<group>/<rest>", set group/rest and return true. Does not validate.
 * "$share/<group>" (no second '/') also returns true, with an empty rest, so that it is
 * rejected as a broken shared subscription rather than taken as an ordinary filter.
 * Any of the four outputs may be NULL.
 */
bool topic_share_split(const char *s, size_t len, const char **group, size_t *group_len,
		       const char **rest, size_t *rest_len);
/* True if the filter contains '+' or '#' (outside the $share/<group>/ prefix). */
bool topic_filter_has_wildcard(const char *s, size_t len);
/*
 * Does `filter` (a non-shared filter) match `topic`? '+' one level, '#' this level and
 * below (including the parent: "a/#" matches "a"). A filter beginning with a wildcard does
 * not match a topic beginning with '$'.
 */
bool topic_matches(const char *filter, size_t flen, const char *topic, size_t tlen);

/*
 * Add or replace the subscription of `subscriber` to `filter` (which may be $share/...).
 * Returns 0 if new, 1 if it replaced that subscriber's existing subscription to the same
 * filter (options and sub_id updated), -EINVAL on an invalid filter, -ENOMEM.
 * TOPIC_OPT_SHARED in opts is ignored (it is this module's output bit).
 */
int topic_sub_add(struct topic_tree *t, const char *filter, size_t len, void *subscriber,
		  uint8_t opts, uint32_t sub_id);
/*
 * Returns 0 if removed, -ENOENT if that subscriber had no such subscription, -EINVAL if the
 * filter is invalid (MQTT 5 UNSUBACK has a reason code for each).
 */
int topic_sub_remove(struct topic_tree *t, const char *filter, size_t len, void *subscriber);
/* Number of subscriptions stored. */
size_t topic_sub_count(const struct topic_tree *t);

/*
 * Call fn once per matching subscription: every matching non-shared subscription, and, for
 * each shared group with at least one matching filter, exactly one member (round robin among
 * the group's members, see member_ok), with TOPIC_OPT_SHARED set in opts. A subscriber with
 * several matching filters is reported once per filter; merging overlaps is the caller's.
 * fn must not change the tree (matching again from fn is fine: that bypasses the cache).
 */
typedef void (*topic_match_fn)(void *ctx, void *subscriber, uint8_t opts, uint32_t sub_id);
void topic_match(struct topic_tree *t, const char *topic, size_t len, topic_match_fn fn,
		 void *ctx);

/*
 * Called from a topic_match (or topic_share_pick) callback that reports a shared member
 * (TOPIC_OPT_SHARED): the whole filter "$share/<group>/<filter>" of the shared subscription it
 * is delivering for (borrowed, valid during the callback), so the caller can tell which of a
 * subscriber's shared subscriptions a message came through. NULL while no shared member's
 * callback is running.
 */
const char *topic_match_share_filter(const struct topic_tree *t, size_t *len);
/*
 * One member of the shared subscription `filter` ("$share/<group>/<filter>"), chosen by the
 * group's rotation as topic_match would (member_ok preferred), reported to fn with
 * TOPIC_OPT_SHARED. For handing a message to another member (MQTT 5 4.8.2). 0, -ENOENT when the
 * group has no member, -EINVAL when filter is not a valid shared filter.
 */
int topic_share_pick(struct topic_tree *t, const char *filter, size_t len, topic_match_fn fn,
		     void *ctx);

/*
 * Retained messages. set stores msg for topic (msg NULL deletes) and returns the message it
 * replaced or deleted (NULL if none) for the caller to release. -ENOMEM (and an invalid
 * topic name) is reported by returning `msg` itself (not stored).
 */
void *topic_retain_set(struct topic_tree *t, const char *topic, size_t len, void *msg);
void *topic_retain_get(struct topic_tree *t, const char *topic, size_t len);
/* Call fn for every retained message whose topic matches filter (a non-shared filter),
 * following the same '$' rule as topic_matches. fn must not change the tree. */
void topic_retain_match(struct topic_tree *t, const char *filter, size_t len,
			void (*fn)(void *ctx, void *msg), void *ctx);
/* Call fn for every retained message; if fn returns true the message is removed from the
 * store (fn has then taken it). Used for expiry sweeps and shutdown. */
void topic_retain_foreach(struct topic_tree *t, bool (*fn)(void *ctx, void *msg), void *ctx);
size_t topic_retain_count(const struct topic_tree *t);

/*
 * A retained match that stops after each message and resumes later (a large retained delivery
 * in slices), while messages are set and deleted in between. It reports, once each, the
 * messages matching filter (a non-shared filter; the '$' rule of topic_matches) that were
 * stored when it was made and are still the retained message of their topic when it gets there:
 * one replaced or deleted since is not reported (a subscriber made before it got the new one
 * live). While any cursor exists the retained trie keeps its emptied nodes (pruned when the last
 * cursor is freed). Free every cursor before the tree.
 */
struct topic_rcursor;
/* NULL with errno (ENOMEM). */
struct topic_rcursor *topic_rcursor_new(struct topic_tree *t, const char *filter, size_t len);
void topic_rcursor_free(struct topic_tree *t, struct topic_rcursor *c);
/* The next message (borrowed: the tree's), or NULL when the walk is over or when it took
 * *steps steps (nodes) without finding one (*steps is then 0: call again). Each step
 * decrements *steps: a sparse match in a large trie is cut too. */
void *topic_rcursor_next(struct topic_tree *t, struct topic_rcursor *c, uint32_t *steps);
bool topic_rcursor_done(const struct topic_rcursor *c);
/* The cursor's filter (NUL-terminated copy) and its length. */
const char *topic_rcursor_filter(const struct topic_rcursor *c, size_t *len);
/*
 * A live message on topic is about to reach the subscriber: if the cursor has yet to report
 * topic's retained message, it is handed out now (borrowed) and skipped when the cursor gets
 * there, so the older retained message goes before the live one rather than after. NULL: not
 * pending here (not matching, not stored, newer than the cursor, or already reported).
 */
void *topic_rcursor_take(struct topic_tree *t, struct topic_rcursor *c, const char *topic,
			 size_t len);

#endif /* MQTTGW_TOPIC_H */
