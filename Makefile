# Chorus build. `make` builds everything a user needs (hub, clients, pages),
# `make run` starts the demo hub (`make run-cluster HUBS=4`: several, joined
# by NATS), `make test` runs every test suite (last line: "N passed,
# N failed"), `make check` runs the static checks.
# Dependencies are installed by scripts/deps.sh when build/.deps-ok is missing.
#
# Layers (docs/architecture.md). Each layer is a folder and sees only the
# headers of the layers below it: a wrong include fails to compile.
#   lib/         shared with the clients: schema, analytics, clocks, msg buffers
#   hub/core/    pure, no I/O: codec, aggregation, chants, sessions, rate limits, auth, event file
#   hub/server/  dispatch by role, connection and device tables, tick; I/O through struct server_io
#   hub/io/      libwebsockets + libevent, HTTP pages, store thread, report worker
#   hub/main.c   flags, wiring, start and stop order

CC       ?= cc
LWS      := build/deps/lws
SAN      ?=
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -MMD -MP $(SAN)
LDFLAGS  += $(SAN)
OBJDIR   := build/obj$(if $(SAN),-san)
HUB_BIN  := $(if $(SAN),build/asan/chorus-hub,hub/chorus-hub)

INC_LIB    := -Ilib
INC_CORE   := $(INC_LIB) -Ihub/core -Ibuild/words
INC_SERVER := $(INC_CORE) -Ihub/server
INC_IO     := $(INC_SERVER) -Ihub/io -I$(LWS)/include

LIBS_CORE := -lmsgpackc -ljansson -lunistring -lcrypto -lm
LIBS_HUB  := $(LWS)/lib/libwebsockets.a -levent_core -levent_pthreads -lmsgpackc \
             -lsqlite3 -ljansson -lunistring -lssl -lcrypto -lz -lm -lpthread -ldl -llo -lnats -luring

LIB_OBJS    := $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard lib/*.c))
CORE_OBJS   := $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard hub/core/*.c))
SERVER_OBJS := $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard hub/server/*.c))
IO_OBJS     := $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard hub/io/*.c))
HUB_OBJS    := $(LIB_OBJS) $(CORE_OBJS) $(SERVER_OBJS) $(IO_OBJS) $(OBJDIR)/hub/main.o
# Unit tests link the layers below the I/O edge, plus the store (SQLite, no
# network): none of them links libwebsockets or libevent.
UNIT_OBJS   := $(LIB_OBJS) $(CORE_OBJS) $(SERVER_OBJS) $(OBJDIR)/hub/io/store.o
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(OBJDIR)/tests/%,$(wildcard tests/unit/test_*.c))

.DEFAULT_GOAL := all
.PHONY: all deps run run-cluster test asan clean web bench bench-cluster fuzz check
# Fragments of the other parts (web pages, load generator, report, checks);
# read before `all` so their EXTRA_BINS are part of it.
-include web/web.mk
-include clients/*.mk
include scripts/check.mk

all: hub/chorus-hub $(UNIT_TESTS) $(EXTRA_BINS) $(WEB_BUILT)

deps: build/.deps-ok
build/.deps-ok: scripts/deps.sh $(wildcard scripts/lws-patches/*.patch)
	bash scripts/deps.sh

$(OBJDIR)/lib/%.o: lib/%.c | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_LIB) -c $< -o $@
# The chant filter's built-in word lists, generated from lib/words (npm
# naughty-words + our Indonesian list) into a header compiled into the hub.
WORDS_H := build/words/words.h
WORDS_NPM_OK := lib/words/node_modules/.chorus-ok
$(WORDS_NPM_OK): lib/words/package-lock.json | build/.deps-ok
	test $@ -nt lib/words/package-lock.json || \
	  { cd lib/words && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.chorus-ok; }
$(WORDS_H): lib/words/make-words.mjs lib/words/id.txt $(WORDS_NPM_OK)
	node lib/words/make-words.mjs $@
$(OBJDIR)/hub/core/filter.o: $(WORDS_H)

$(OBJDIR)/hub/core/%.o: hub/core/%.c | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_CORE) -c $< -o $@
$(OBJDIR)/hub/server/%.o: hub/server/%.c | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_SERVER) -c $< -o $@
$(OBJDIR)/hub/io/%.o: hub/io/%.c | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_IO) -c $< -o $@
$(OBJDIR)/hub/main.o: hub/main.c | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_IO) -c $< -o $@

$(HUB_BIN): $(HUB_OBJS) $(LWS)/lib/libwebsockets.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(HUB_OBJS) $(LIBS_HUB)
# Built (and patched: scripts/lws-patches) by scripts/deps.sh.
$(LWS)/lib/libwebsockets.a: build/.deps-ok

# The one unit test of libwebsockets itself: Chorus's patch to its sorted
# timeout list (scripts/lws-patches), against the library the hub links.
$(OBJDIR)/tests/test_lwsdll: tests/unit/test_lwsdll.c $(LWS)/lib/libwebsockets.a | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(LWS)/include -Itests/unit -o $@ $< $(LDFLAGS) $(LIBS_HUB)

$(OBJDIR)/tests/%: tests/unit/%.c $(UNIT_OBJS) | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_SERVER) -Ihub/io -Itests/unit -o $@ $< $(UNIT_OBJS) $(LDFLAGS) \
	    -lsqlite3 $(LIBS_CORE) -lpthread

run: all
	@mkdir -p data
	./hub/chorus-hub --port 8080 --db data/chorus.db --event-file examples/demo-event.json

# Stadium mode on one machine (docs/cluster.md): nats-server with JetStream on
# 127.0.0.1:4222 and HUBS hubs for the demo event, all on port 8080, each with
# its own database data/cluster/hub-<i>.db. Ctrl-C stops the hubs, then NATS.
HUBS ?= 2
run-cluster: all
	CHORUS_SKIP_BUILD=1 exec bash scripts/run-cluster.sh $(HUBS)

test: all
	bash scripts/test.sh

# The hub and the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer,
# built apart (build/obj-san, build/asan/chorus-hub), then the unit and hub
# integration suites against them. `make test` runs the same (suite 60-asan).
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan-build: | build/.deps-ok
	$(MAKE) SAN="$(ASAN_FLAGS) -O1" build/asan/chorus-hub \
	    $(patsubst tests/unit/%.c,build/obj-san/tests/%,$(wildcard tests/unit/test_*.c))
asan: asan-build
	CHORUS_HUB=build/asan/chorus-hub CHORUS_UNIT_DIR=build/obj-san/tests CHORUS_SUITES="10-unit 20-hub" \
	    ASAN_OPTIONS=detect_leaks=1 bash scripts/test.sh

clean:
	rm -rf build/obj build/obj-san build/asan build/fuzz hub/chorus-hub $(CLEAN_EXTRA)

# Coverage-guided fuzzing (libFuzzer, clang) of the pure parsers: the codec
# (tests/fuzz/fuzz_proto.c) and frame reassembly (tests/fuzz/fuzz_frame.c).
# `make fuzz` runs each for FUZZ_SECONDS (default 60) from its committed seed
# corpus tests/fuzz/corpus/<name> (new finds go to build/fuzz-corpus/<name>).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build/fuzz/%: tests/fuzz/%.c $(wildcard hub/core/*.c hub/core/*.h lib/*.h) $(WORDS_H) | build/.deps-ok
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 $(INC_CORE) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o $@ \
	    $< $(wildcard hub/core/*.c) $(LIBS_CORE)
fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do n=$$(basename $$t); mkdir -p build/fuzz-corpus/$$n; \
	    ./$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAXLEN) build/fuzz-corpus/$$n tests/fuzz/corpus/$$n || exit 1; done
FUZZ_MAXLEN ?= 8192

# The chant filter's cost per chant (bench/filter.c): `make bench-filter`.
build/bench/filter: bench/filter.c $(CORE_OBJS) $(LIB_OBJS) | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_CORE) -o $@ $< $(CORE_OBJS) $(LIB_OBJS) $(LDFLAGS) -lsqlite3 $(LIBS_CORE)
bench-filter: build/bench/filter
	./build/bench/filter
.PHONY: bench-filter

# The floor under a delivery's cost on this machine: one send() (or one
# io_uring send) per connection, nothing of the hub (bench/sendfloor.c):
# `make bench-sendfloor`.
build/bench/sendfloor: bench/sendfloor.c | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -luring
bench-sendfloor: build/bench/sendfloor
	./build/bench/sendfloor 9000 200 10 8 send
	./build/bench/sendfloor 9000 200 10 8 uring
.PHONY: bench-sendfloor

-include $(shell find build/obj build/obj-san -name '*.d' 2>/dev/null)
