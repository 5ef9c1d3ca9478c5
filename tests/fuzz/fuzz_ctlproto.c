// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for daemon/ctl/ctlproto.c, the control socket's request parser (the one
 * parser of untrusted bytes on that socket) and the JSON writer that echoes what it decoded.
 * Checked:
 *  - ctlp_parse never reads past len (exact-size heap copy for ASan), returns a length within
 *    the first CTLP_MAX_LINE bytes ending at a newline, or one of its documented errors;
 *  - a parsed request has a known command and an argument count within the command's range;
 *  - every decoded word, encoded again with ctlp_encode_word and parsed, comes back identical;
 *  - the JSON string writer gives balanced quotes and only valid UTF-8 (checked by
 *    ctlp_utf8_text on the output), for any bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ctlproto.h"


static void json_check(const uint8_t *data, size_t size)
{
	struct ctlp_buf b = {.limit = 1 << 20};

	ctlp_json_str(&b, (const char *)data, size);
	if (b.failed) {
		ctlp_buf_free(&b);
		return;
	}
	CHECK(b.len >= 2 && b.p[0] == '"' && b.p[b.len - 1] == '"');
	CHECK(ctlp_utf8_text((const uint8_t *)b.p, b.len));
	for (size_t i = 1; i + 1 < b.len; i++) {
		CHECK((unsigned char)b.p[i] >= 0x20);
		if (b.p[i] == '\\')
			i++; /* an escape: the next byte is its letter */
		else
			CHECK(b.p[i] != '"');
	}
	ctlp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct ctlp_req req;
	const char *why;
	int r, min, max;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = ctlp_parse(buf, size, &req, &why);
	if (r < 0) {
		CHECK(r == -EAGAIN || r == -EMSGSIZE || r == -EBADMSG || r == -ENOENT ||
		      r == -EINVAL);
		CHECK(why != NULL);
		CHECK(r != -EAGAIN || size < CTLP_MAX_LINE);
	} else {
		char line[CTLP_MAX_LINE + 8];
		struct ctlp_req again;
		size_t len;

		CHECK(r >= 1 && r <= CTLP_MAX_LINE && (size_t)r <= size && data[r - 1] == '\n');
		CHECK(ctlp_cmd_name(req.cmd) != NULL);
		ctlp_cmd_args(req.cmd, &min, &max);
		CHECK(req.argc >= min && req.argc <= max);
		len = strlen(ctlp_cmd_name(req.cmd));
		memcpy(line, ctlp_cmd_name(req.cmd), len);
		for (int i = 0; i < req.argc; i++) {
			int w;

			line[len++] = ' ';
			w = ctlp_encode_word(req.argv[i], req.argl[i], line + len,
					     sizeof(line) - len - 1);
			CHECK(w > 0); /* words decode to fewer bytes than they took */
			len += (size_t)w;
		}
		line[len++] = '\n';
		if (len <= CTLP_MAX_LINE) {
			CHECK(ctlp_parse(line, len, &again, &why) == (int)len);
			CHECK(again.cmd == req.cmd && again.argc == req.argc);
			for (int i = 0; i < req.argc; i++)
				CHECK(again.argl[i] == req.argl[i] &&
				      !memcmp(again.argv[i], req.argv[i], req.argl[i]));
		}
	}
	json_check(data, size);
	free(buf);
	return 0;
}
