// SPDX-License-Identifier: MIT
/* Fuzz the client-role decoder: frames a broker could send to the bridge, for 3.1.1 and 5. */
#include <stddef.h>
#include <stdint.h>

#include "codec_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mqtt_frame f;
	struct mqtt_packet pk;
	uint8_t reason, version;

	if (size < 1)
		return 0;
	version = data[0] & 1 ? MQTT_V5 : MQTT_V311;
	data++;
	size--;
	while (size && codec_frame(data, size, 1u << 20, &f, &reason) == 0) {
		size_t n = f.hdr_len + f.rem_len;

		if (codec_client_decode(data, n, version, &pk, &reason) == 0 &&
		    pk.type == MQTT_CONNACK)
			(void)codec_client_connack_str(version, pk.connack.code);
		data += n;
		size -= n;
	}
	return 0;
}
