# check.mk -- `make check` (static checks); owned by scripts/check.sh.
check: | build/.deps-ok
	bash scripts/check.sh
