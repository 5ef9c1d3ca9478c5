// SPDX-License-Identifier: MIT
/*
 * fpparse tests: the verdict's frame walk (bpf/fastpath_parse.h) compiled natively through
 * fpparse_shim.h, so every rule it applies to a frame is checked byte by byte without a
 * kernel: a table of skbs (Remaining Length of every width, malformed lengths, QoS, RETAIN,
 * DUP, topic lengths, v5 properties, routes) with the reason each must be passed for, or
 * FP_OK with the target; then every cut of a stream of frames (an skb ending inside a
 * Remaining Length or a body is passed as split, never taken for malformed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fpparse_shim.h"
#include "mqtt_varint.h"

#define PUB	  1ULL /* the publisher's cookie */
#define PUB_GEN	  7
#define SUB_A	  100ULL
#define SUB_B	  200ULL
#define SLOT_A	  3
#define SLOT_B	  4
#define SUB_A_GEN 9
#define SUB_B_GEN 11

/* The route map: whole-key compare, as the kernel's hash map does. */
struct route_ent {
	const char *topic;
	__u32 pub_gen;
	__u64 sub;
};

static const struct route_ent routes[] = {
    {"t/x", PUB_GEN, SUB_A}, {"t/longer", PUB_GEN, SUB_A}, {"a", PUB_GEN, SUB_A},
    {"t/y", PUB_GEN, SUB_B}, {"t/z", PUB_GEN - 1, SUB_A}, /* installed before the publisher's routes
							     were flushed */
};
static struct fp_route route_vals[sizeof(routes) / sizeof(routes[0])];

struct fp_route *fpparse_route_lookup(const struct fp_route_key *key)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		struct fp_route_key k = {.pub_cookie = PUB};

		k.topic_len = (__u16)strlen(routes[i].topic);
		memcpy(k.topic, routes[i].topic, k.topic_len);
		if (memcmp(&k, key, sizeof(k)))
			continue;
		route_vals[i] = (struct fp_route){
		    .sub_cookie = routes[i].sub,
		    .sub_slot = routes[i].sub == SUB_A ? SLOT_A : SLOT_B,
		    .pub_gen = routes[i].pub_gen,
		    .sub_gen = routes[i].sub == SUB_A ? SUB_A_GEN : SUB_B_GEN,
		};
		return &route_vals[i];
	}
	return NULL;
}

/* Walk buf as one skb; returns the reason (FP_OK: may be redirected). */
static __u32 walk(struct fp_walk *w, const uint8_t *buf, size_t len, __u8 proto, __u32 max_topic)
{
	static struct __sk_buff skb;

	skb.data = buf;
	skb.len = (__u32)len;
	/* a base near the wrap: the verdict's is random, the count must not care */
	fpparse_init(w, &skb, proto, max_topic, PUB, PUB_GEN, UINT32_MAX - 1);
	return fp_walk_skb(w);
}

static __u32 frames_of(const struct fp_walk *w)
{
	return w->frames - w->frames_base;
}

/* ---- frame builders ---- */

/* A PUBLISH (first byte `type`) with topic and `payload` bytes of 'p'; v5 adds an empty
 * Property Length. Returns its size. */
static size_t mk_pub(uint8_t *p, uint8_t type, const char *topic, size_t payload, bool v5)
{
	size_t tl = strlen(topic), rl = 2 + tl + (v5 ? 1 : 0) + payload, n;

	p[0] = type;
	n = 1 + put_varint(p + 1, (uint32_t)rl);
	p[n++] = (uint8_t)(tl >> 8);
	p[n++] = (uint8_t)tl;
	memcpy(p + n, topic, tl);
	n += tl;
	if (v5)
		p[n++] = 0;
	memset(p + n, 'p', payload);
	return n + payload;
}

/* ---- the table ---- */

#define B(...)                                                                                     \
	.in = (const uint8_t[]){__VA_ARGS__}, .in_len = sizeof((const uint8_t[]){__VA_ARGS__})
#define PUB_TX 0x30, 0x05, 0x00, 0x03, 't', '/', 'x' /* 7 bytes, routed to SUB_A */
#define PUB_TY 0x30, 0x05, 0x00, 0x03, 't', '/', 'y' /* routed to SUB_B */

struct vec {
	const char *name;
	const uint8_t *in;
	size_t in_len;
	__u8 proto;
	__u32 reason;
	__u32 frames;
	__u32 max_topic; /* 0: FP_TOPIC_MAX */
};

static const struct vec vecs[] = {
    {"one routed frame", B(PUB_TX), 4, FP_OK, 1},
    {"with payload", B(0x30, 0x07, 0, 3, 't', '/', 'x', 'h', 'i'), 4, FP_OK, 1},
    {"two frames, one target", B(PUB_TX, PUB_TX), 4, FP_OK, 2},
    {"v3.1 like v3.1.1", B(PUB_TX), 3, FP_OK, 1},
    {"one-byte topic", B(0x30, 0x03, 0, 1, 'a'), 4, FP_OK, 1},
    /* the key's bytes past a longer topic are cleared before the next lookup */
    {"long topic then short", B(0x30, 0x0a, 0, 8, 't', '/', 'l', 'o', 'n', 'g', 'e', 'r', PUB_TX),
     4, FP_OK, 2},
    /* what is not a QoS 0, RETAIN 0 PUBLISH */
    {"QoS 1", B(0x32, 0x07, 0, 3, 't', '/', 'x', 0, 1), 4, FP_PASS_QOS, 1},
    {"QoS 2", B(0x34, 0x07, 0, 3, 't', '/', 'x', 0, 1), 4, FP_PASS_QOS, 1},
    {"QoS 3 (both bits)", B(0x36, 0x07, 0, 3, 't', '/', 'x', 0, 1), 4, FP_PASS_QOS, 1},
    {"RETAIN", B(0x31, 0x05, 0, 3, 't', '/', 'x'), 4, FP_PASS_RETAIN, 1},
    {"DUP on QoS 0", B(0x38, 0x05, 0, 3, 't', '/', 'x'), 4, FP_PASS_MALFORMED, 1},
    {"PINGREQ", B(0xc0, 0x00), 4, FP_PASS_NOT_PUBLISH, 1},
    {"PUBACK after a routed frame", B(PUB_TX, 0x40, 0x02, 0, 1), 4, FP_PASS_NOT_PUBLISH, 2},
    {"first broken rule wins",
     B(0x32, 0x07, 0, 3, 't', '/', 'x', 0, 1, 0x31, 0x05, 0, 3, 't', '/', 'x'), 4, FP_PASS_QOS, 2},
    /* lengths inside the frame */
    {"Remaining Length 0", B(0x30, 0x00), 4, FP_PASS_MALFORMED, 1},
    {"Remaining Length 1", B(0x30, 0x01, 0), 4, FP_PASS_MALFORMED, 1},
    {"topic beyond the frame", B(0x30, 0x04, 0, 5, 't', '/'), 4, FP_PASS_MALFORMED, 1},
    {"topic length 0 (v5 alias)", B(0x30, 0x02, 0, 0), 4, FP_PASS_TOPIC_LEN, 1},
    {"topic over the knob", B(0x30, 0x07, 0, 5, 't', '/', 'x', 'y', 'z'), 4, FP_PASS_TOPIC_LEN, 1,
     4},
    {"topic at the knob", B(0x30, 0x06, 0, 4, 't', '/', 'x', 'y'), 4, FP_PASS_NO_ROUTE, 1, 4},
    /* routes */
    {"no route", B(0x30, 0x05, 0, 3, 't', '/', 'q'), 4, FP_PASS_NO_ROUTE, 1},
    {"stale route (publisher's generation)", B(0x30, 0x05, 0, 3, 't', '/', 'z'), 4,
     FP_PASS_NO_ROUTE, 1},
    {"two targets", B(PUB_TX, PUB_TY), 4, FP_PASS_MULTI_TARGET, 2},
    /* MQTT 5 */
    {"v5 without properties", B(0x30, 0x06, 0, 3, 't', '/', 'x', 0), 5, FP_OK, 1},
    {"v5 topic alias property", B(0x30, 0x09, 0, 3, 't', '/', 'x', 3, 0x23, 0, 1), 5, FP_PASS_PROPS,
     1},
    {"v5 without Property Length", B(PUB_TX), 5, FP_PASS_PROPS, 1},
    {"v5 Remaining Length not shortest", B(0x30, 0x86, 0x00, 0, 3, 't', '/', 'x', 0), 5,
     FP_PASS_MALFORMED, 1},
    {"v3.1.1 Remaining Length not shortest", B(0x30, 0x85, 0x00, 0, 3, 't', '/', 'x'), 4, FP_OK, 1},
    /* malformed Remaining Length: tracking gives up */
    {"five length bytes", B(0x30, 0xff, 0xff, 0xff, 0xff, 0x01), 4, FP_PASS_MALFORMED, 1},
    {"fourth length byte continues", B(0x30, 0x80, 0x80, 0x80, 0x80), 4, FP_PASS_MALFORMED, 1},
    {"malformed after a routed frame", B(PUB_TX, 0x30, 0xff, 0xff, 0xff, 0xff, 0x7f), 4,
     FP_PASS_MALFORMED, 2},
    /* an skb that ends inside a frame */
    {"ends after the type byte", B(PUB_TX, 0x30), 4, FP_PASS_SPLIT, 2},
    {"ends inside a 2-byte length", B(PUB_TX, 0x30, 0x80), 4, FP_PASS_SPLIT, 2},
    {"ends inside a 4-byte length", B(0x30, 0xff, 0xff, 0xff), 4, FP_PASS_SPLIT, 1},
    {"ends inside the topic", B(PUB_TX, 0x30, 0x05, 0, 3, 't'), 4, FP_PASS_SPLIT, 2},
    {"length promises more", B(0x30, 0xff, 0xff, 0xff, 0x7f, 0, 3, 't', '/', 'x'), 4, FP_PASS_SPLIT,
     1},
    {"a broken rule before the cut wins", B(0xc0, 0x00, 0x30, 0x80), 4, FP_PASS_NOT_PUBLISH, 2},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		struct fp_walk w;
		__u32 r = walk(&w, v->in, v->in_len, v->proto, v->max_topic ?: FP_TOPIC_MAX);

		if (r != v->reason || frames_of(&w) != v->frames)
			fail_msg("%s: reason %u frames %u, want %u and %u", v->name, r,
				 frames_of(&w), v->reason, v->frames);
		/* every redirectable vector routes to SUB_A */
		if (r == FP_OK && (w.target != SUB_A || w.pos != v->in_len || w.split || w.lost))
			fail_msg("%s: target %llu pos %u", v->name, (unsigned long long)w.target,
				 w.pos);
	}
}

/* A routed frame carries the route's target slot and generation out of the walk. */
static void test_target_fields(void **state)
{
	const uint8_t a[] = {PUB_TX, PUB_TX}, b[] = {PUB_TY};
	struct fp_walk w;

	(void)state;
	assert_int_equal(walk(&w, a, sizeof(a), 4, FP_TOPIC_MAX), FP_OK);
	assert_true(w.target == SUB_A);
	assert_int_equal(w.sub_slot, SLOT_A);
	assert_int_equal(w.sub_gen, SUB_A_GEN);
	assert_int_equal(w.max_frame, 7);
	assert_int_equal(walk(&w, b, sizeof(b), 4, FP_TOPIC_MAX), FP_OK);
	assert_true(w.target == SUB_B);
	assert_int_equal(w.sub_slot, SLOT_B);
	assert_int_equal(w.sub_gen, SUB_B_GEN);
}

/* A reason the verdict knows before walking (v5 not allowed) survives the walk. */
static void test_preset_reason(void **state)
{
	const uint8_t a[] = {0x30, 0x06, 0, 3, 't', '/', 'x', 0};
	struct __sk_buff skb = {.data = a, .len = sizeof(a)};
	struct fp_walk w;

	(void)state;
	fpparse_init(&w, &skb, FP_PROTO_V5, FP_TOPIC_MAX, PUB, PUB_GEN, 0);
	w.reason = FP_PASS_PROTO;
	assert_int_equal(fp_walk_skb(&w), FP_PASS_PROTO);
	assert_int_equal(frames_of(&w), 1);
	assert_int_equal(w.pos, sizeof(a));
}

/* The longest topic a key holds is routable; one byte more never is, whatever the knob. */
static void test_topic_key_bounds(void **state)
{
	static uint8_t buf[FP_TOPIC_MAX + 16];
	char topic[FP_TOPIC_MAX + 2];
	struct fp_walk w;
	size_t n;

	(void)state;
	memset(topic, 'k', sizeof(topic));
	topic[FP_TOPIC_MAX] = '\0';
	n = mk_pub(buf, 0x30, topic, 0, false);
	assert_int_equal(walk(&w, buf, n, 4, FP_TOPIC_MAX), FP_PASS_NO_ROUTE);
	assert_int_equal(w.key.topic_len, FP_TOPIC_MAX);
	topic[FP_TOPIC_MAX] = 'k';
	topic[FP_TOPIC_MAX + 1] = '\0';
	n = mk_pub(buf, 0x30, topic, 0, false);
	assert_int_equal(walk(&w, buf, n, 4, UINT32_MAX), FP_PASS_TOPIC_LEN);
}

/* Every width of the Remaining Length, at both ends of its range. */
static void test_remaining_length_widths(void **state)
{
	static const struct {
		uint32_t rl;
		size_t width;
	} cases[] = {
	    {6, 1},	{127, 1},     {128, 2},	    {16383, 2},
	    {16384, 3}, {2097151, 3}, {2097152, 4}, {2097152 + 1000, 4},
	};
	uint8_t *buf = malloc(2097152 + 1000 + 16);
	struct fp_walk w;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = mk_pub(buf, 0x30, "t/x", cases[i].rl - 5, false);

		assert_int_equal(n, 1 + cases[i].width + cases[i].rl);
		assert_int_equal(walk(&w, buf, n, 4, FP_TOPIC_MAX), FP_OK);
		assert_int_equal(w.max_frame, n);
		assert_int_equal(frames_of(&w), 1);
		/* v5 wants the shortest form, which put_varint() writes */
		n = mk_pub(buf, 0x30, "t/x", cases[i].rl - 6, true);
		assert_int_equal(walk(&w, buf, n, 5, FP_TOPIC_MAX), FP_OK);
		/* one byte short: the skb ends inside the body */
		assert_int_equal(walk(&w, buf, n - 1, 5, FP_TOPIC_MAX), FP_PASS_SPLIT);
	}
	/* the largest length MQTT allows, whose frame the skb cannot hold */
	buf[0] = 0x30;
	put_varint(buf + 1, 268435455);
	assert_int_equal(walk(&w, buf, 5, 4, FP_TOPIC_MAX), FP_PASS_SPLIT);
	free(buf);
}

/*
 * Every cut of a stream of frames of each length width: an skb that is a prefix of it is
 * redirectable exactly when it ends on a frame boundary, and passed as split (not malformed)
 * otherwise, wherever the cut falls (type byte, any length byte, topic, body).
 */
static void test_every_cut(void **state)
{
	static const uint32_t rls[] = {5, 200, 20000};
	uint8_t *buf = malloc(64 + 200 + 20000 + 64);
	size_t ends[4], n = 0, cut;
	struct fp_walk w;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < 3; i++) {
		n += mk_pub(buf + n, 0x30, "t/x", rls[i] - 5, false);
		ends[i] = n;
	}
	n += mk_pub(buf + n, 0x30, "t/x", 0, false);
	ends[3] = n;
	for (cut = 1; cut <= n; cut++) {
		__u32 whole = 0, r = walk(&w, buf, cut, 4, FP_TOPIC_MAX);
		bool boundary = false;

		for (size_t i = 0; i < 4; i++) {
			whole += ends[i] <= cut;
			boundary |= ends[i] == cut;
		}
		if (r != (boundary ? FP_OK : FP_PASS_SPLIT) || w.lost ||
		    frames_of(&w) != whole + !boundary)
			fail_msg("cut %zu: reason %u frames %u lost %u", cut, r, frames_of(&w),
				 w.lost);
	}
	free(buf);
}

/* The walk's bound: an skb with more frames than FP_WALK_MAX_LOOPS is given up on. */
static void test_loop_bound(void **state)
{
	size_t n = 2 * (size_t)FP_WALK_MAX_LOOPS;
	uint8_t *buf = malloc(n + 2);
	struct fp_walk w;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < n + 2; i += 2) {
		buf[i] = 0xc0; /* PINGREQ: 2 bytes, the shortest frame */
		buf[i + 1] = 0;
	}
	assert_int_equal(walk(&w, buf, n, 4, FP_TOPIC_MAX), FP_PASS_NOT_PUBLISH);
	assert_int_equal(frames_of(&w), FP_WALK_MAX_LOOPS);
	assert_int_equal(walk(&w, buf, n + 2, 4, FP_TOPIC_MAX), FP_PASS_MALFORMED);
	assert_true(w.lost);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_target_fields),
	    cmocka_unit_test(test_preset_reason),
	    cmocka_unit_test(test_topic_key_bounds),
	    cmocka_unit_test(test_remaining_length_widths),
	    cmocka_unit_test(test_every_cut),
	    cmocka_unit_test(test_loop_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
