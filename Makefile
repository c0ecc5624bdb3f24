# Chorus build. `make` builds everything, `make run` starts the demo hub,
# `make test` runs every test suite (last line: "N passed, N failed").
# Dependencies are installed by scripts/deps.sh when build/.deps-ok is missing.

CC       ?= cc
LWS      := build/deps/lws
SAN      ?=
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -I$(LWS)/include -Ihub $(SAN)
LDFLAGS  += $(SAN)
LIBS_HUB := $(LWS)/lib/libwebsockets.a -levent_core -levent_pthreads -lmsgpackc \
            -lsqlite3 -ljansson -lunistring -lssl -lcrypto -lz -lm -lpthread -ldl
OBJDIR   := build/obj$(if $(SAN),-san)
HUB_BIN  := $(if $(SAN),build/asan/chorus-hub,hub/chorus-hub)

HUB_MODULES := event proto auth chant agg snap store session api hub net
# The live /api/report reuses the analytics module of clients/chorus-report.
HUB_OBJS    := $(HUB_MODULES:%=$(OBJDIR)/hub/%.o) $(OBJDIR)/clients/report/report.o
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(OBJDIR)/tests/%,$(wildcard tests/unit/test_*.c))

.DEFAULT_GOAL := all
.PHONY: all deps run test asan clean web bench fuzz
# Fragments of the other parts (web pages, load generator, report); read
# before `all` so their EXTRA_BINS are part of it.
-include web/web.mk
-include clients/*.mk

all: hub/chorus-hub $(UNIT_TESTS) $(EXTRA_BINS)

deps: build/.deps-ok
build/.deps-ok: scripts/deps.sh
	bash scripts/deps.sh

$(OBJDIR)/%.o: %.c $(wildcard hub/*.h) | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(HUB_BIN): $(HUB_OBJS) $(OBJDIR)/hub/main.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_HUB)

$(OBJDIR)/tests/%: tests/unit/%.c tests/unit/t.h $(HUB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(HUB_OBJS) $(LDFLAGS) $(LIBS_HUB)

run: all $(WEB_BUILT)
	@mkdir -p data
	./hub/chorus-hub --port 8080 --db data/chorus.db --event-file examples/demo-event.json

test: all $(WEB_BUILT)
	bash scripts/test.sh

# The hub and the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer,
# built apart (build/obj-san, build/asan/chorus-hub), then the unit and hub
# integration suites against them.
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan: | build/.deps-ok
	$(MAKE) SAN="$(ASAN_FLAGS) -O1" build/asan/chorus-hub \
	    $(patsubst tests/unit/%.c,build/obj-san/tests/%,$(wildcard tests/unit/test_*.c))
	CHORUS_HUB=build/asan/chorus-hub CHORUS_UNIT_DIR=build/obj-san/tests CHORUS_SUITES="10-unit 20-hub" \
	    ASAN_OPTIONS=detect_leaks=1 bash scripts/test.sh

clean:
	rm -rf build/obj build/obj-san build/asan hub/chorus-hub $(CLEAN_EXTRA)

# Coverage-guided fuzzing of the codec (libFuzzer, clang): `make fuzz`
# runs it for FUZZ_SECONDS (default 60) from the corpus in build/fuzz-corpus.
FUZZ_SECONDS ?= 60
build/fuzz/fuzz_proto: tests/fuzz/fuzz_proto.c hub/proto.c hub/chant.c hub/proto.h hub/chant.h | build/.deps-ok
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Ihub -fsanitize=fuzzer,address,undefined -o $@ \
	    tests/fuzz/fuzz_proto.c hub/proto.c hub/chant.c -lmsgpackc -lunistring
fuzz: build/fuzz/fuzz_proto
	@mkdir -p build/fuzz-corpus
	./build/fuzz/fuzz_proto -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz-corpus
