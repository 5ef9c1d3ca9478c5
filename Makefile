# mqttgw: one non-recursive Makefile, objects out of tree in $(BUILD).
#
#   make            build/mqttgwd and the tools
#   make run        install missing Debian build deps, build, run mqttgwd on 127.0.0.1:1883
#   make test       deps + build + every unit and integration test (non-zero on failure)
#   make bench      benchmarks against Mosquitto (see README)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60)
#
# Knobs: V=1 (verbose), SAN=1 (AddressSanitizer + UndefinedBehaviorSanitizer), FASTPATH=0 (no
# BPF: links daemon/fastpath/fastpath_stub.c, needs neither clang nor bpftool), ARCH, CROSS_COMPILE, BUILD.

.DELETE_ON_ERROR:
.SECONDARY:
.SECONDEXPANSION:
.DEFAULT_GOAL := all

BUILD ?= build
# Cross builds: CROSS_COMPILE=aarch64-linux-gnu- (the kernel's spelling; Debian's
# gcc-aarch64-linux-gnu and :arm64 libraries, scripts/deps.sh --arch arm64). ARCH, the kernel's
# name of the target, follows the compiler.
CROSS_COMPILE ?=
CC := $(CROSS_COMPILE)gcc
ifeq ($(origin ARCH),undefined)
ARCH := $(shell $(CC) -dumpmachine | sed -e 's/-.*//' -e 's/x86_64/x86/' -e 's/^arm.*/arm/' \
	-e 's/aarch64/arm64/')
endif
CLANG ?= clang
BPFTOOL ?= bpftool
SAN ?= 0
FASTPATH ?= 1
FUZZ_SECONDS ?= 60

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2);
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
# -Os: the stripped mqttgwd is what a router stores (issue #18, target 300 KB); the modules of
# the publish path are compiled -O2 (HOT_MODS below).
CFLAGS ?= -Os -g
CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -I$(BUILD) -MMD -MP
LDFLAGS ?=
# ---- footprint (issue #15, #18): no unwind tables (C without exceptions; gdb and perf use
# .debug_frame or frame pointers, which strip removes anyway: 51 KB), each function and object
# in its own section so that the linker drops what nothing calls, libraries only where a
# symbol is used (libm was linked for nothing), relative relocations packed (DT_RELR, glibc
# 2.36: 8 KB), library calls through the GOT bound at start (-fno-plt -z now: no PLT, 7 KB, and
# a read-only GOT). Sanitizer builds keep their unwind tables.
ifneq ($(SAN),1)
CFLAGS += -fno-asynchronous-unwind-tables -fno-unwind-tables -ffunction-sections -fdata-sections
CFLAGS += -fno-plt
LDFLAGS += -Wl,--gc-sections -Wl,-z,now
# LTO (text x86-64 215.5 -> 205.2 KB, arm64 261.3 -> 229.7 KB; the link needs the code
# generation flags again, or the unwind tables come back) and no separate-code padding: the
# headers and .rodata share pages with .text, as lld does by default (x86-64: 4 KB; arm64: no
# change, GNU ld for aarch64 already lays out so).
# Fat objects: the unit tests link their native code without LTO (UNIT_LDFLAGS): one LTO per
# test binary made cross-test.sh's build 20 minutes longer, and -Wl,--wrap (test_tls) does not
# reach calls that LTO resolved inside the IR.
CFLAGS += -flto -ffat-lto-objects
LDFLAGS += -flto=auto $(filter -O%,$(CFLAGS)) -fno-asynchronous-unwind-tables -fno-unwind-tables
UNIT_LDFLAGS := -fno-lto
LDFLAGS += -Wl,-z,noseparate-code
# (probed: binutils 2.40 knows it for x86-64 only; for aarch64 it warns "ignored", exit 0)
LDFLAGS += $(shell $(CC) -Wl,-z,pack-relative-relocs -shared -nostdlib -xc /dev/null \
	-o /dev/null 2>&1 | grep -q . || echo -Wl,-z,pack-relative-relocs)
# arm64: mqttgwd links with mold (Debian's package, scripts/deps.sh --arch arm64): GNU ld 2.40
# for aarch64 pads the RELRO segment to the 64 KiB page in the file (55 KB of zeros in
# mqttgwd), which mold, like lld, keeps in the address space only (the binary still loads on
# 4, 16 and 64 KiB page kernels). Stripped 395,872 -> 342,104 B. Without DT_RELR: mold 1.10
# does not add glibc's GLIBC_ABI_DT_RELR version need, and ld.so refuses such a binary.
MOLD_DIR ?= /usr/libexec/mold
ifeq ($(ARCH),arm64)
GWD_LDFLAGS := $(if $(wildcard $(MOLD_DIR)/ld),-B$(MOLD_DIR))
endif
endif
LDFLAGS += -Wl,--as-needed
LDLIBS := -lssl -lcrypto -largon2
LDLIBS += -lmnl
# store: SQLite and its writer thread
LDLIBS += -lsqlite3 -lpthread

ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif

# ---- sources: daemon/<layer or subsystem>/<module>.c, daemon/main.c on top ----
# A module is named by its file name alone (codec, topic, ...): `src` finds it in the tree.
MOD_SRCS := $(wildcard daemon/*/*.c)
src = $(foreach m,$(1),$(filter %/$(m).c,$(MOD_SRCS)))
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(call src,$(1)))
# Modules split over several files: whatever links one of them links the whole set.
TOPIC_MODS := topic topic_match topic_retain topic_rcursor topic_valid vec
CODEC_MODS := codec codec_encode codec_props

# ---- the fast path: real BPF program or the stub ----
FP_REAL := $(call src,fastpath fastpath_load fastpath_pin bpf_util)
ifeq ($(FASTPATH),1)
FP_SRC := $(FP_REAL)
LDLIBS += -lbpf -lelf -lz
CFLAGS += -DMQTTGW_FASTPATH=1
else
FP_SRC := $(call src,fastpath_stub)
endif

DAEMON_SRCS := daemon/main.c $(filter-out $(FP_REAL) $(call src,fastpath_stub) daemon/tools/%, \
		$(MOD_SRCS)) $(FP_SRC)
# The XDP guard (daemon/xdp/) follows the fast path's switch: FASTPATH=0 links its stub.
XDP_REAL := $(call src,xdp_guard)
XDP_REAL += $(call src,xdp_status)
XDP_SRC := $(if $(filter 1,$(FASTPATH)),$(XDP_REAL),$(call src,xdp_guard_stub))
DAEMON_SRCS := $(filter-out $(XDP_REAL) $(call src,xdp_guard_stub),$(DAEMON_SRCS)) $(XDP_SRC)
DAEMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(DAEMON_SRCS))

# ---- the publish path at -O2, the rest -Os (issue #15 "p2p-q0 regression", #18 size) ----
# The modules a QoS 0 publish runs through (perf record of mqttgwd under `mqttgw-bench p2p --qos
# 0`): read and frame, decode, route and match, ACL, deliver, encode, queue, write. With LTO
# each function keeps the level its object was compiled with (the link's -Os does not lower
# them). HOT_O2=0: everything -Os. Figures in README "Footprint".
HOT_O2 ?= 1
HOT_MODS := $(CODEC_MODS) outq msg qos topic_match conn loop broker broker_client
HOT_MODS += broker_publish broker_deliver broker_mount broker_auth acl
ifeq ($(HOT_O2),1)
$(call obj,$(HOT_MODS)): CFLAGS += -O2
endif

BENCH_SRCS := $(wildcard tests/bench/*.c)
# --ws: the daemon's WebSocket frame code (ws_frame, and crypto for Sec-WebSocket-Accept)
BENCH_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_SRCS)) $(call obj,$(CODEC_MODS) ws_frame http_parse crypto)

TOOLS := $(BUILD)/mqttgwd $(BUILD)/mqttgw-bench $(BUILD)/mqttgw-passwd $(BUILD)/mqttgwctl

all: $(TOOLS)

# Rebuild everything when the flags change (SAN=1 vs SAN=0 share $(BUILD)). The stamp is
# rewritten only when its text changes, so its date says when the flags last changed.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_LINE = $(CC) $(CFLAGS) $(LDFLAGS) $(GWD_LDFLAGS) $(FP_SRC) hot=$(HOT_O2):$(HOT_MODS)
# Reading a file is all make does with it while parsing; the rule writes it.
ifneq ($(file <$(FLAGS_STAMP)),$(FLAGS_LINE))
$(FLAGS_STAMP): FORCE
endif
$(FLAGS_STAMP): | $(BUILD)/.dir
	$(Q)echo '$(FLAGS_LINE)' > $@

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP) | $$(@D)/.dir
	$(call msg,CC,$@)$(CC) $(CFLAGS) -c -o $@ $<

%/.dir:
	$(Q)mkdir -p $(@D) && touch $@

$(BUILD)/mqttgwd: $(DAEMON_OBJS)
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) $(GWD_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/mqttgw-bench: $(BENCH_OBJS)
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lm -lcrypto

# The single-threaded light-load latency probe (issue #15, README "Light-load latency: which
# bench is right"): one epoll loop, publisher and subscriber sockets, timerfd pacing.
$(BUILD)/mqttgw-latprobe: $(BUILD)/obj/tests/bench/latprobe/latprobe.o $(call obj,codec_client $(CODEC_MODS))
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^
all: $(BUILD)/mqttgw-latprobe

# The XDP guard's benchmark load (scripts/bench_xdp.sh): SYN flood, password guessing, a client.
$(BUILD)/mqttgw-attack: $(BUILD)/obj/tests/bench/xdp/xdp_attack.o $(call obj,codec_client $(CODEC_MODS))
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lpthread
all: $(BUILD)/mqttgw-attack

# The password tool links the password-file modules and nothing of the broker.
$(BUILD)/mqttgw-passwd: $(BUILD)/obj/daemon/tools/mqttgw_passwd.o \
		$(call obj,passwd passwd_load file crypto scram)
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lssl -lcrypto -largon2

# The control tool links the wire format and cJSON (Debian's libcjson-dev), nothing of the broker.
$(BUILD)/mqttgwctl: $(BUILD)/obj/daemon/tools/mqttgwctl.o $(BUILD)/obj/daemon/tools/mqttgwctl_fmt.o \
		$(call obj,ctlproto)
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lcjson

# ---- BPF: .bpf.c -> .bpf.o -> .skel.h; only fastpath.o depends on the skeleton ----
# bpf/vmlinux/core/: a minimal header of the types the programs use, architecture-neutral (its
# comment says why that is enough). The default on x86 too, where a full dump is committed: the full dump put 94 kernel structs' BTF into
# the skeleton that mqttgwd embeds (fast path 45.6 KB -> 23.0 KB, XDP guard 15.0 KB -> 12.8 KB);
# VMLINUX_DIR=bpf/vmlinux/x86 builds with the full dump.
VMLINUX_DIR ?= bpf/vmlinux/core
VMLINUX = $(VMLINUX_DIR)/vmlinux.h
# -mcpu=v3: fetch-and-add atomics (the verdict's budget reservation) and 32-bit jumps.
# Recursively expanded: clang runs only when a BPF object is built, never while make parses.
BPF_CFLAGS = -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Werror -Wall -Iinclude \
	-Ibpf -I$(VMLINUX_DIR) \
	$(shell $(CLANG) -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_LINES ?= 0
# Which header the objects were built with (and BPF_LINES): a switch of VMLINUX_DIR rebuilds
# them (the headers' dates alone would not tell).
VMLINUX_STAMP := $(BUILD)/.vmlinux-dir
ifneq ($(file <$(VMLINUX_STAMP)),$(VMLINUX_DIR) lines=$(BPF_LINES))
$(VMLINUX_STAMP): FORCE
endif
$(VMLINUX_STAMP): | $(BUILD)/.dir
	$(Q)echo '$(VMLINUX_DIR) lines=$(BPF_LINES)' > $@

$(BUILD)/bpf/%.tmp.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/mqttgw/fp_abi.h $(VMLINUX) \
		$(VMLINUX_STAMP) | $$(@D)/.dir
	$(call msg,BPF,$@)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The object that mqttgwd embeds (issue #18): without line info and its strings (the text of
# every source line), nor the assembler's LBB* labels. Types, func_info and the CO-RE
# relocations stay (scripts/bpf_slim.py says why): fast path 23.0 -> 11.5 KB, XDP guard 12.8 ->
# 6.4 KB. BPF_LINES=1 keeps the line info (verifier logs with source lines).
LLVM_OBJCOPY ?= llvm-objcopy
$(BUILD)/bpf/%.full.o: $(BUILD)/bpf/%.tmp.o
	$(call msg,GENOBJ,$@)$(BPFTOOL) gen object $@ $<

$(BUILD)/bpf/%.bpf.o: $(BUILD)/bpf/%.full.o scripts/bpf_slim.py
ifeq ($(BPF_LINES),1)
	$(Q)cp $< $@
else
	$(call msg,SLIM,$@)python3 scripts/bpf_slim.py $< $@.btf $@.ext 2>/dev/null && \
	$(LLVM_OBJCOPY) --update-section .BTF=$@.btf --update-section .BTF.ext=$@.ext \
		--wildcard --strip-symbol='LBB*' $< $@ && rm -f $@.btf $@.ext
endif

# Skeleton types are struct <name>_bpf / <name>_bpf__open(): `struct fastpath` is the daemon's.
# The object inside it deflated (scripts/bpf_skel_z.py: fast path 11.5 -> 4.0 KB, XDP guard 6.4
# -> 2.2 KB of mqttgwd), inflated by bpf_util_elf_inflate for the open only.
$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o scripts/bpf_skel_z.py
	$(call msg,GENSKEL,$@)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && \
	python3 scripts/bpf_skel_z.py $@.tmp $@ && rm -f $@.tmp

$(call obj,fastpath): $(BUILD)/fastpath.skel.h
$(BUILD)/bpf/xdp_guard.tmp.o: include/mqttgw/xdp_abi.h
$(call obj,xdp_guard): $(BUILD)/xdp_guard.skel.h

# The XDP guard's test helper (tests/integration/t_xdp_*.sh): the loader without the daemon.
$(BUILD)/xdp-guard-test: $(BUILD)/obj/tests/integration/xdp_guard_test.o $(call obj,xdp_guard xdp_parse bpf_util) \
		$(BUILD)/obj/tests/unit/mock_log.o
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lbpf -lelf -lz
ifeq ($(FASTPATH),1)
all: $(BUILD)/xdp-guard-test
endif

# Regenerate the committed vmlinux.h from the running kernel's BTF (tmp + cmp).
vmlinux:
	$(Q)mkdir -p bpf/vmlinux/$(ARCH)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(BUILD)/vmlinux.h.tmp
	$(Q)if cmp -s $(BUILD)/vmlinux.h.tmp bpf/vmlinux/$(ARCH)/vmlinux.h; then \
	rm -f $(BUILD)/vmlinux.h.tmp; else mv $(BUILD)/vmlinux.h.tmp bpf/vmlinux/$(ARCH)/vmlinux.h; fi

# ---- unit tests: tests/unit/test_<mod>.c links module <mod> + UNIT_DEPS_<mod> + mock_log ----
UNIT_DEPS_codec := $(CODEC_MODS)
UNIT_DEPS_topic := $(TOPIC_MODS)
# test_codec.c is split by concern; each part links the whole codec
UNIT_DEPS_codec_fields := $(CODEC_MODS)
UNIT_DEPS_codec_props := $(CODEC_MODS)
UNIT_DEPS_codec_encode := $(CODEC_MODS)
# test_topic.c likewise; each part links the whole topic
UNIT_DEPS_topic_valid := $(TOPIC_MODS)
UNIT_DEPS_topic_match := $(TOPIC_MODS)
UNIT_DEPS_topic_retain := $(TOPIC_MODS)
UNIT_DEPS_topic_rcursor := $(TOPIC_MODS)
UNIT_DEPS_session := qos outq msg
UNIT_DEPS_qos := outq msg
UNIT_LIBS_crypto := -lssl -lcrypto
UNIT_DEPS_passwd := crypto scram passwd_load file
UNIT_DEPS_scram := crypto
UNIT_LIBS_scram := -lssl -lcrypto
UNIT_DEPS_acl := $(TOPIC_MODS) acl_load file
# psk_file (TLS-PSK identities): the pure parser and its loader
UNIT_DEPS_psk := psk_load file
# config is one module in several files (daemon/conf/config*.c); each of its tests links them all
CONFIG_MODS := config config_lex config_listener config_special config_files
CONFIG_MODS += config_xdp xdp_parse
CONFIG_MODS += config_conn config_bridge $(TOPIC_MODS)
CONFIG_MODS += config_http
UNIT_DEPS_config := $(filter-out config,$(CONFIG_MODS)) config_load file
UNIT_DEPS_config_listener := $(filter-out config_listener,$(CONFIG_MODS))
UNIT_DEPS_config_files := $(filter-out config_files,$(CONFIG_MODS)) config_load file
UNIT_DEPS_msg := outq
UNIT_DEPS_config_xdp := $(filter-out config_xdp,$(CONFIG_MODS))
UNIT_DEPS_config_ctl := $(CONFIG_MODS)
UNIT_DEPS_config_conn := $(filter-out config_conn,$(CONFIG_MODS))
UNIT_DEPS_outq_pool := outq
UNIT_LIBS_passwd := -lssl -lcrypto -largon2
UNIT_DEPS_fastpath := fastpath_load fastpath_pin fpstatus bpf_util
UNIT_LIBS_fastpath := -lbpf -lelf -lz
UNIT_DEPS_conn := loop outq
# tls is one module in several files (tls.c the transport, tls_ctx.c contexts, tls_keys.c PSK
# and engine keys, with psk_load)
TLS_MODS := tls tls_ctx tls_keys psk psk_load file workpool
UNIT_DEPS_tls := $(filter-out tls,$(TLS_MODS)) conn loop outq $(CONFIG_MODS)
UNIT_DEPS_listener := loop
UNIT_LIBS_tls := -lssl -lcrypto -Wl,--wrap=log_msg_rl
UNIT_DEPS_tls_keys := $(filter-out tls_keys,$(TLS_MODS)) conn loop outq $(CONFIG_MODS)
UNIT_LIBS_tls_keys := $(UNIT_LIBS_tls)
UNIT_DEPS_netlink := netlink_diag
UNIT_LIBS_netlink := -lmnl
UNIT_DEPS_xdp_guard := xdp_parse bpf_util
UNIT_LIBS_xdp_guard := -lbpf -lelf -lz
STORE_MODS := store_stage store_thread store_refs store_cancel store_load store_record store_fetch
UNIT_DEPS_store := $(STORE_MODS)
UNIT_LIBS_store := -lsqlite3 -lpthread
UNIT_DEPS_store_fetch := store $(STORE_MODS)
UNIT_LIBS_store_fetch := -lsqlite3 -lpthread
UNIT_DEPS_store_open := store $(STORE_MODS)
UNIT_LIBS_store_open := -lsqlite3 -lpthread
UNIT_DEPS_store_crash := store $(STORE_MODS)
UNIT_LIBS_store_crash := -lsqlite3 -lpthread
UNIT_DEPS_store_drain := store $(STORE_MODS)
UNIT_LIBS_store_drain := -lsqlite3 -lpthread
UNIT_DEPS_ws_frame := crypto http_parse
UNIT_LIBS_ws_frame := -lssl -lcrypto
UNIT_DEPS_ws := ws_frame ws_http http_parse crypto conn loop outq
# metrics listener and http_dir (issue 18): the HTTP parser and the exposition writer (pure)
UNIT_DEPS_metrics :=
UNIT_DEPS_http_parse :=
UNIT_LIBS_ws := -lssl -lcrypto
UNIT_DEPS_sdnotify := loop
# the control socket on a real loop and UNIX sockets
UNIT_DEPS_ctl := ctlproto loop
UNIT_DEPS_workpool := loop
UNIT_LIBS_workpool := -lpthread

# bridge: config block parser, client-role codec, topic mapping
UNIT_DEPS_config_bridge := $(TOPIC_MODS)
UNIT_DEPS_codec_client := $(CODEC_MODS)
UNIT_DEPS_bridge_topic := config_bridge $(TOPIC_MODS)
# test_bridge_out: a bridge's queue (bridge_int.h) on a real store and loop
UNIT_DEPS_bridge_out := bridge_topic $(TOPIC_MODS) $(CODEC_MODS) loop outq msg store $(STORE_MODS)
UNIT_LIBS_bridge_out := -lsqlite3 -lpthread
$(BUILD)/obj/tests/unit/test_bridge_out.o: CFLAGS += -Idaemon/bridge
BRIDGE_MODS := bridge bridge_out bridge_dns bridge_topic config_bridge codec_client $(CODEC_MODS) \
	$(TOPIC_MODS) conn loop outq msg $(TLS_MODS) tls_client store $(STORE_MODS) $(CONFIG_MODS)
# the L2 floor on a real loop and socketpairs; its private headers live in daemon/broker
UNIT_DEPS_broker_client := conn loop outq msg $(CODEC_MODS)
# the ack list and message accounting on a real store and loop (the floor recorded by the test)
UNIT_DEPS_broker_store := store $(STORE_MODS) loop qos msg outq
UNIT_LIBS_broker_store := -lsqlite3 -lpthread
$(BUILD)/obj/tests/unit/test_broker_%.o: CFLAGS += -Idaemon/broker
# test_store drives store_cancel() (store_int.h) on batches it builds
$(BUILD)/obj/tests/unit/test_store.o: CFLAGS += -Idaemon/store
# test_store_fetch lands a commit while the writer runs a read-back (store.mu, fetch_pend)
$(BUILD)/obj/tests/unit/test_store_fetch.o: CFLAGS += -Idaemon/store
# test_store_drain drives store_cancel() (store_int.h) on batches it builds
$(BUILD)/obj/tests/unit/test_store_drain.o: CFLAGS += -Idaemon/store
# test_broker_store reads which batch something waits on (store.want: the writer's linger)
$(BUILD)/obj/tests/unit/test_broker_store.o: CFLAGS += -Idaemon/store

UNIT_NAMES := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst %,$(BUILD)/tests/test_%,$(UNIT_NAMES))

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $$(call obj,$$* $$(UNIT_DEPS_$$*)) \
		$(BUILD)/obj/tests/unit/mock_log.o | $$(@D)/.dir
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) $(UNIT_LDFLAGS) -o $@ $^ -lcmocka $(UNIT_LIBS_$*)

# Without the BPF program (FASTPATH=0) test_fastpath links the stub and skips (exit 77).
ifneq ($(FASTPATH),1)
$(BUILD)/tests/test_fastpath: $(BUILD)/obj/tests/unit/test_fastpath.o \
		$(call obj,fastpath_stub) $(BUILD)/obj/tests/unit/mock_log.o | $$(@D)/.dir
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) $(UNIT_LDFLAGS) -o $@ $^ -lcmocka
endif

# Without BPF test_xdp_guard links the stub and skips (exit 77).
ifneq ($(FASTPATH),1)
$(BUILD)/tests/test_xdp_guard: $(BUILD)/obj/tests/unit/test_xdp_guard.o \
		$(call obj,xdp_guard_stub xdp_parse) $(BUILD)/obj/tests/unit/mock_log.o | $$(@D)/.dir
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) $(UNIT_LDFLAGS) -o $@ $^ -lcmocka
endif

# test_fastpath shares tests/unit/fp_harness.c with the fast path's measurements, a program of
# their own (`make fp-measure`, then run $(BUILD)/tests/fp_measure as root; not in make bench).
FP_HARNESS := $(BUILD)/obj/tests/unit/fp_harness.o
$(BUILD)/tests/test_fastpath: $(FP_HARNESS)
ifeq ($(FASTPATH),1)
FP_MEASURE := $(BUILD)/tests/fp_measure
$(FP_MEASURE): $(BUILD)/obj/tests/bench/fastpath/fp_measure.o $(FP_HARNESS) \
		$(call obj,fastpath fastpath_pin fpstatus bpf_util) $(BUILD)/obj/tests/unit/mock_log.o | $$(@D)/.dir
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) $(UNIT_LDFLAGS) -o $@ $^ -lcmocka -lbpf -lelf -lz
endif
fp-measure: $(FP_MEASURE)

# test_fpparse: bpf/fastpath_parse.h (a header, not a daemon module) compiled natively through
# tests/unit/fpparse_shim.h; gcc does not know the walk's clang `#pragma unroll`.
FPPARSE_CFLAGS := -Ibpf -Itests/unit -Wno-unknown-pragmas
$(BUILD)/obj/tests/unit/test_fpparse.o: tests/unit/test_fpparse.c $(FLAGS_STAMP) | $$(@D)/.dir
	$(call msg,CC,$@)$(CC) $(CFLAGS) $(FPPARSE_CFLAGS) -c -o $@ $<

unit: $(UNIT_BINS) $(FP_MEASURE) test-tools
# The unit test binaries alone (a cross build runs them under qemu: scripts/cross-test.sh).
unit-bins: $(UNIT_BINS)

# ---- tools the tests use, built with `unit` (never by `all`: libfuse3 is a test dependency) ----
# powercut: a FUSE filesystem that loses unsynced writes on command (durability tests).
TEST_TOOLS := $(BUILD)/powercut
# Recursively expanded: pkg-config runs when powercut is built, never while make parses.
FUSE_CFLAGS = $(shell pkg-config --cflags fuse3)
FUSE_LIBS = $(shell pkg-config --libs fuse3)

PC_SRCS := $(wildcard tests/tools/powercut/*.c)

$(BUILD)/powercut: $(PC_SRCS) $(wildcard tests/tools/powercut/*.h) $(FLAGS_STAMP) | $(BUILD)/.dir
	$(call msg,CC,$@)$(CC) $(CFLAGS) $(FUSE_CFLAGS) $(LDFLAGS) -o $@ $(PC_SRCS) $(FUSE_LIBS)

# storegen: a store written through the store API (t_store_1m.sh, the bench's restart figures).
TEST_TOOLS += $(BUILD)/storegen
$(BUILD)/storegen: $(BUILD)/obj/tests/tools/storegen/storegen.o $(call obj,store $(STORE_MODS)) \
		$(BUILD)/obj/tests/unit/mock_log.o
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lsqlite3 -lpthread

# drainsub: the upstream's counter of scripts/bench_bridge.sh (a persistent QoS 1/2 subscriber
# that acks a read's PUBLISHes in one write and checks sequence numbers; issue #17).
TEST_TOOLS += $(BUILD)/drainsub
$(BUILD)/drainsub: $(BUILD)/obj/tests/tools/drainsub/drainsub.o $(call obj,codec_client $(CODEC_MODS))
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^

test-tools: $(TEST_TOOLS)

# ---- fuzz targets: tests/fuzz/fuzz_<name>.c + FUZZ_DEPS_<name> (clang, libFuzzer) ----
FUZZ_DEPS_codec := $(CODEC_MODS)
FUZZ_DEPS_topic := $(TOPIC_MODS)
FUZZ_DEPS_config := $(CONFIG_MODS)
FUZZ_DEPS_passwd := passwd crypto scram
FUZZ_DEPS_scram := scram crypto
FUZZ_DEPS_psk := psk
FUZZ_LIBS_scram := -lcrypto
FUZZ_LIBS_passwd := -lcrypto -largon2
FUZZ_DEPS_acl := acl $(TOPIC_MODS)
# the whole broker: every daemon module but main, the tools, the BPF fast path (the stub is in)
# and log (mock_log stands in); the wrap lets the target move the loop's clock
FUZZ_DEPS_broker := $(filter-out log fastpath fastpath_load fastpath_pin bpf_util mqttgw_passwd mqttgwctl \
	mqttgwctl_fmt xdp_guard \
	xdp_status,$(notdir $(MOD_SRCS:.c=)))
FUZZ_LIBS_broker := -lssl -lcrypto -largon2 -lm -Wl,--wrap=clock_gettime
FUZZ_LIBS_broker += -lmnl
FUZZ_LIBS_broker += -lsqlite3 -lpthread
FUZZ_DEPS_store_record := store_record
FUZZ_DEPS_ws := ws_frame http_parse crypto
FUZZ_DEPS_http := http_parse
FUZZ_LIBS_ws := -lcrypto
FUZZ_DEPS_codec_client := codec_client $(CODEC_MODS)
FUZZ_DEPS_ctlproto := ctlproto
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -I$(BUILD) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(call src,$$(FUZZ_DEPS_$$*)) \
		tests/unit/mock_log.c | $$(@D)/.dir
	$(call msg,FUZZ,$@)$(CLANG) $(FUZZ_CFLAGS) -o $@ $^ $(FUZZ_LIBS_$*)

$(BUILD)/fuzz/fuzz_fpparse: tests/fuzz/fuzz_fpparse.c tests/unit/fpparse_shim.h \
		bpf/fastpath_parse.h bpf/fastpath_consts.h include/mqttgw/fp_abi.h | $$(@D)/.dir
	$(call msg,FUZZ,$@)$(CLANG) $(FUZZ_CFLAGS) $(FPPARSE_CFLAGS) -o $@ $<

# the bench tool's --ws side (tests/bench/bench_ws.c): the broker's answer and frames
$(BUILD)/fuzz/fuzz_bench_ws: tests/fuzz/fuzz_bench_ws.c tests/bench/bench_ws.c \
		$(call src,ws_frame http_parse crypto) | $$(@D)/.dir
	$(call msg,FUZZ,$@)$(CLANG) $(FUZZ_CFLAGS) -Itests/bench -o $@ $^ -lcrypto

fuzz-build: $(FUZZ_BINS)

# the durable store alone: commits/s and latency per sync mode, load time, bytes per message
$(BUILD)/bench-store: $(BUILD)/obj/tests/bench/store/bench_store.o \
		$(call obj,store $(STORE_MODS)) $(BUILD)/obj/tests/unit/mock_log.o
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lsqlite3 -lpthread

# the store writer's work per drained bridge entry (issue #17): CPU-s per 100k, per pattern
$(BUILD)/bench-store-drain: $(BUILD)/obj/tests/bench/store/bench_drain.o \
		$(call obj,store $(STORE_MODS)) $(BUILD)/obj/tests/unit/mock_log.o
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lsqlite3 -lpthread

bench-store: $(BUILD)/bench-store $(BUILD)/bench-store-drain

# The bridge's test driver (tests/integration/t_bridge_*.sh): a bridge without the broker.
$(BUILD)/bridge-test: $(BUILD)/obj/tests/integration/bridge_test.o $(call obj,$(BRIDGE_MODS)) \
		$(BUILD)/obj/tests/unit/mock_log.o
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ -lssl -lcrypto -lsqlite3 -lpthread
all: $(BUILD)/bridge-test

fuzz: fuzz-build
	$(Q)scripts/fuzz.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

# ---- make install: PREFIX (default /usr/local), DESTDIR (a staging root, for packages) ----
# Binaries, the systemd unit (scripts/mqttgwd.service, paths filled in), the example config
# (also as mqttgwd.conf when none is there: never overwritten) and the manual pages.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
# A /usr install is configured in /etc (FHS); any other prefix keeps its own etc/.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 0755

# mqttgwd.conf(5)'s key list is README.md's configuration table (scripts/man/conf-keys.awk).
MAN_PAGES := $(BUILD)/man/mqttgwd.8 $(BUILD)/man/mqttgwd.conf.5 $(BUILD)/man/mqttgw-passwd.1
MAN_PAGES += $(BUILD)/man/mqttgwctl.8
$(BUILD)/man/mqttgwd.conf.5: scripts/man/mqttgwd.conf.5.in scripts/man/conf-keys.awk README.md \
		| $$(@D)/.dir
	$(call msg,MAN,$@)awk -f scripts/man/conf-keys.awk README.md > $@.keys && \
		sed -e '/^@KEYS@$$/{r $@.keys' -e 'd}' $< > $@ && rm -f $@.keys
$(BUILD)/man/%: scripts/man/% | $$(@D)/.dir
	$(call msg,MAN,$@)cp $< $@
man: $(MAN_PAGES)

install: all man
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/mqttgw $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8
	$(Q)$(INSTALL_PROGRAM) $(BUILD)/mqttgwd $(DESTDIR)$(SBINDIR)/mqttgwd
	$(Q)$(INSTALL_PROGRAM) $(BUILD)/mqttgw-passwd $(DESTDIR)$(BINDIR)/mqttgw-passwd
	$(Q)$(INSTALL_PROGRAM) $(BUILD)/mqttgwctl $(DESTDIR)$(SBINDIR)/mqttgwctl
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		scripts/mqttgwd.service > $(DESTDIR)$(UNITDIR)/mqttgwd.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/mqttgwd.service
	$(Q)$(INSTALL) -m 0644 scripts/mqttgwd.conf.example $(DESTDIR)$(SYSCONFDIR)/mqttgw/
	$(Q)[ -e $(DESTDIR)$(SYSCONFDIR)/mqttgw/mqttgwd.conf ] || $(INSTALL) -m 0640 \
		scripts/mqttgwd.conf.example $(DESTDIR)$(SYSCONFDIR)/mqttgw/mqttgwd.conf
	$(Q)$(INSTALL) -m 0644 $(BUILD)/man/mqttgw-passwd.1 $(DESTDIR)$(MANDIR)/man1/
	$(Q)$(INSTALL) -m 0644 $(BUILD)/man/mqttgwd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	$(Q)$(INSTALL) -m 0644 $(BUILD)/man/mqttgwd.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)$(INSTALL) -m 0644 $(BUILD)/man/mqttgwctl.8 $(DESTDIR)$(MANDIR)/man8/
	@echo "  installed under $(DESTDIR)$(PREFIX) (config: $(DESTDIR)$(SYSCONFDIR)/mqttgw)"

# Stripped binaries (what a router gets; $(CROSS_COMPILE)strip for a cross build).
install-strip:
	$(Q)$(MAKE) --no-print-directory install \
		INSTALL_PROGRAM='$(INSTALL) -m 0755 -s --strip-program=$(CROSS_COMPILE)strip'

# ---- the two commands, and the rest ----
deps:
	$(Q)scripts/deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	exec $(BUILD)/mqttgwd $(RUN_ARGS)

test: deps check-layout
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)BUILD=$(BUILD) scripts/run-tests.sh

# daemon/README.md's rules of the tree: no file in daemon/ over 1,000 lines, no include upward.
check-layout:
	$(Q)python3 scripts/check_layout.py .

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/bench.sh

clean:
	rm -rf $(BUILD)

.PHONY: check-layout all run test unit test-tools bench bench-store fuzz fuzz-build deps clean vmlinux fp-measure FORCE
.PHONY: install install-strip man unit-bins
FORCE:

-include $(patsubst %.c,$(BUILD)/obj/%.d,$(MOD_SRCS) daemon/main.c $(BENCH_SRCS) \
	$(wildcard tests/unit/*.c))
-include $(BUILD)/obj/tests/integration/xdp_guard_test.d
-include $(BUILD)/obj/tests/bench/fastpath/fp_measure.d
-include $(BUILD)/obj/tests/bench/xdp/xdp_attack.d
-include $(BUILD)/obj/tests/bench/latprobe/latprobe.d
-include $(BUILD)/obj/tests/integration/bridge_test.d
-include $(BUILD)/obj/tests/tools/storegen/storegen.d
