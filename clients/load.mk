# load.mk -- chorus-load (clients/load/) and `make bench`; included by the
# top Makefile, whose CC, CFLAGS, LDFLAGS, OBJDIR and SAN apply.

LOAD_MODULES := lcodec lstats lopts lcrowd lflood lreport ltest main
LOAD_OBJS    := $(LOAD_MODULES:%=$(OBJDIR)/clients/load/%.o)
LIBS_LOAD    := $(LWS)/lib/libwebsockets.a -levent_core -levent_pthreads \
                $(shell pkg-config --libs msgpack 2>/dev/null || echo -lmsgpackc) \
                -lsqlite3 -ljansson -lssl -lcrypto -lz -lm -lpthread -ldl

EXTRA_BINS  += clients/chorus-load
CLEAN_EXTRA += clients/chorus-load
$(OBJDIR)/clients/load/%.o: clients/load/%.c $(wildcard clients/load/*.h) | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iclients/load -I$(LWS)/include -c $< -o $@

clients/chorus-load: $(LOAD_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_LOAD)

bench: hub/chorus-hub clients/chorus-load
	bash scripts/bench.sh

# Several hubs of one event over NATS against one hub alone (issue 14):
# HUBS (default 3), PHONES (default 40000), BENCH_RUNS (default 1).
bench-cluster: hub/chorus-hub clients/chorus-load
	bash scripts/bench-cluster.sh
