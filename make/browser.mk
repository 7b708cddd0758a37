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

# axe-core (npm) for the calculator's accessibility check (tests/e2e/test_calculator_browser.py injects it into
# the page). Installed into .tools like helm; when npm cannot install it the check says so (and fails under CI).
AXE_CORE_VERSION ?= 4.14.1
AXE_CORE := .tools/node_modules/axe-core/axe.min.js
browser-tools: $(AXE_CORE)

$(AXE_CORE):
	@mkdir -p .tools
	@if command -v npm >/dev/null 2>&1 && \
	    npm install --prefix .tools --no-audit --no-fund --loglevel=error axe-core@$(AXE_CORE_VERSION) >/dev/null 2>&1 && \
	    [ -f $@ ]; then \
	  echo "installed axe-core $(AXE_CORE_VERSION) into .tools"; \
	else \
	  echo "skip: could not install axe-core@$(AXE_CORE_VERSION) from npm; the accessibility check will skip"; \
	fi
