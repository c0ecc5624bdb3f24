# clients/report.mk -- builds clients/chorus-report (included by the top Makefile).
# The analytics module itself is lib/report.c (shared with the hub's /api/report),
# with lib/merge.c (several hubs' databases read as one).
# The HTML page inlines Chart.js from clients/report/node_modules (npm ci by
# scripts/deps.sh) and page.css/page.js; build/report/embed (embed.c) turns
# them into build/report/assets.h.

REPORT_MODULES := html csv text main
REPORT_OBJS    := $(REPORT_MODULES:%=$(OBJDIR)/clients/report/%.o) $(OBJDIR)/lib/report.o $(OBJDIR)/lib/merge.o
REPORT_CHARTJS := clients/report/node_modules/chart.js/dist/chart.umd.min.js
REPORT_ASSETS  := build/report/assets.h

EXTRA_BINS  += clients/chorus-report
CLEAN_EXTRA += clients/chorus-report build/report

REPORT_OWN     := $(REPORT_MODULES:%=$(OBJDIR)/clients/report/%.o)
$(REPORT_OWN): $(OBJDIR)/clients/report/%.o: clients/report/%.c | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iclients/report -Ibuild/report -Ilib -c $< -o $@

$(OBJDIR)/clients/report/html.o: $(REPORT_ASSETS)

clients/chorus-report: $(REPORT_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ -lsqlite3 -ljansson -lm

# scripts/deps.sh runs npm ci here and touches .chorus-ok; a checkout whose
# deps ran before package.json existed gets it from this rule.
REPORT_NPM_OK := clients/report/node_modules/.chorus-ok
$(REPORT_NPM_OK): clients/report/package-lock.json | build/.deps-ok
	@# make saw no .chorus-ok before deps.sh ran; skip if deps.sh just made it
	test $@ -nt clients/report/package-lock.json || \
	  { cd clients/report && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.chorus-ok; }

REPORT_EMBED := build/report/embed
$(REPORT_EMBED): clients/report/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -o $@ $<

$(REPORT_ASSETS): $(REPORT_EMBED) $(REPORT_NPM_OK) clients/report/page.js clients/report/page.css
	$(REPORT_EMBED) chart_umd_min_js $(REPORT_CHARTJS) page_js clients/report/page.js \
	    page_css clients/report/page.css > $@.tmp
	mv $@.tmp $@

# Test database generator (tests/report/gen.c), built with `all` for the suite.
REPORT_GEN := build/report/chorus-report-gen
EXTRA_BINS += $(REPORT_GEN)
$(REPORT_GEN): tests/report/gen.c lib/schema.h | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -o $@ $< $(LDFLAGS) -lsqlite3 -lm

# report.c through its C API (threads, caller's transaction, error codes).
REPORT_TEST := build/report/test_report
EXTRA_BINS += $(REPORT_TEST)
$(REPORT_TEST): tests/report/test_report.c $(OBJDIR)/lib/report.o $(OBJDIR)/lib/merge.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -o $@ $^ $(LDFLAGS) -lsqlite3 -ljansson -lm -lpthread

# The top Makefile's `all:` expands $(EXTRA_BINS) before this fragment is
# included, so name our binaries as prerequisites of `all` here as well.
all: clients/chorus-report $(REPORT_GEN) $(REPORT_TEST)
