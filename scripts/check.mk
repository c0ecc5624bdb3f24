# check.mk -- `make check`: the static checks of scripts/check.sh (shellcheck,
# cppcheck, clang-tidy, stricter compiler warnings); builds nothing, changes
# no source. One line per tool; fails if any tool finds something.
# `make check CHECK_TOOLS="shellcheck cppcheck"` runs only those.
CHECK_TOOLS ?=
check: build/words/words.h | build/.deps-ok
	bash scripts/check.sh $(CHECK_TOOLS)
