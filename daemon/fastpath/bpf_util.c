/* SPDX-License-Identifier: MIT */
/* bpf_util: shared by the fast path and the XDP guard. See include/bpf_util.h. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include "bpf_util.h"
#include "log.h"

/* libbpf's lines while a load runs on another thread: "<type char><text>\n" each. */
static struct {
	pthread_mutex_t mu;
	int on; /* holders: the fast path's loader and the XDP guard's may overlap */
	char text[2048];
	size_t len;
} held = { .mu = PTHREAD_MUTEX_INITIALIZER };

int bpf_util_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	uint32_t type;
	char buf[1024];
	size_t n;

	if (level == LIBBPF_WARN)
		type = CONFIG_LOG_INFO;
	else if (level == LIBBPF_INFO)
		type = CONFIG_LOG_DEBUG;
	else
		return 0; /* libbpf debug output (hundreds of lines per load) is not kept */
	if (!log_enabled(type))
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* the build takes the line info out of the embedded objects on purpose (bpf_slim.py) */
	if (strstr(buf, "missing .BTF.ext line info"))
		return 0;
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	pthread_mutex_lock(&held.mu);
	if (held.on) {
		/* what does not fit is dropped: a verifier log is in the error line anyway */
		if (held.len + n + 3 <= sizeof(held.text))
			held.len += (size_t)snprintf(held.text + held.len, sizeof(held.text) - held.len,
						     "%c%s\n", type == CONFIG_LOG_INFO ? 'I' : 'D',
						     buf);
		pthread_mutex_unlock(&held.mu);
		return 0;
	}
	pthread_mutex_unlock(&held.mu);
	log_msg(type, "%s", buf);
	return 0;
}

void bpf_util_print_hold(bool on)
{
	char *line, *save = NULL;

	pthread_mutex_lock(&held.mu);
	held.on += on ? 1 : -1;
	if (!held.on) {
		held.text[held.len] = '\0';
		for (line = strtok_r(held.text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			log_msg(line[0] == 'I' ? CONFIG_LOG_INFO : CONFIG_LOG_DEBUG, "%s", line + 1);
		held.len = 0;
	}
	pthread_mutex_unlock(&held.mu);
}

bool bpf_util_have_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	/* sockmap and sk_skb programs, XDP attach: CAP_NET_ADMIN; loading: CAP_BPF or
	 * CAP_SYS_ADMIN (kernels before 5.8) */
	return (eff >> CAP_NET_ADMIN & 1) && ((eff >> CAP_BPF & 1) || (eff >> CAP_SYS_ADMIN & 1));
}

int bpf_util_on_bpffs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf))
		return -errno;
	return sf.f_type == (typeof(sf.f_type))BPF_FS_MAGIC;
}

const void *bpf_util_elf_inflate(const char *z, size_t zlen, size_t len, size_t *sz)
{
	uLongf n = len;
	void *buf = malloc(len);

	*sz = 0;
	if (!buf)
		return NULL;
	if (uncompress(buf, &n, (const Bytef *)z, zlen) != Z_OK || n != len) {
		free(buf);
		return NULL;
	}
	*sz = len;
	return buf;
}

void bpf_util_elf_release(struct bpf_object_skeleton *s)
{
	free((void *)s->data);
	s->data = NULL;
	s->data_sz = 0;
}
