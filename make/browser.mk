# Browser test tools: Debian's chromium (in DEBIAN_TOOLS, installed by `debian-tools` in the Makefile) and the
# Playwright driver from PyPI (no browser download: the tests launch /usr/bin/chromium). When either cannot be
# installed the target says so and carries on; tests/e2e/test_browser_cors.py then skips with that reason
# (fails under CI=true).

.PHONY: browser-tools
test-tools: browser-tools

browser-tools: .venv/.browser-tools

.venv/.browser-tools: $(STAMP)
	@if $(PIP) install --quiet 'playwright>=1.40,<2' >.venv/browser-tools.log 2>&1; then \
	  touch $@; \
	else \
	  echo "skip: could not install playwright; browser tests will skip"; \
	fi
