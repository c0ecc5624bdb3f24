# web.mk -- the web pages (included by the top Makefile).
# `make web` bundles web/src into web/dist (esbuild, hashed assets, .gz twins);
# `make run` and `make test` depend on $(WEB_BUILT).
WEB_SRC   := $(wildcard web/src/*.js web/src/*/*.js web/src/*/*.css) web/build.mjs web/package.json web/package-lock.json
WEB_BUILT := web/dist/.built

# deps.sh runs `npm ci` in web/ when the lockfile is newer than its marker.
web/node_modules/.chorus-ok: web/package-lock.json | build/.deps-ok
	bash scripts/deps.sh

$(WEB_BUILT): $(WEB_SRC) build/.deps-ok web/node_modules/.chorus-ok
	node web/build.mjs

web: $(WEB_BUILT)

CLEAN_EXTRA += web/dist
