# Browser test tools: Debian's chromium (apt-get, only when running as root where it is missing) and the
# Playwright driver from PyPI (no browser download: the tests launch /usr/bin/chromium). When either cannot be
# installed the target says so and carries on; tests/e2e/test_browser_cors.py then skips with that reason.

.PHONY: browser-tools
test-tools: browser-tools

browser-tools: .venv/.browser-tools

.venv/.browser-tools: $(STAMP)
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	     (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >.venv/browser-tools.log 2>&1; then \
	    echo "installed $$(chromium --version)"; \
	  else \
	    echo "skip: could not install Debian chromium; browser tests will skip"; \
	  fi; \
	fi
	@if $(PIP) install --quiet 'playwright>=1.40,<2' >>.venv/browser-tools.log 2>&1; then \
	  touch $@; \
	else \
	  echo "skip: could not install playwright; browser tests will skip"; \
	fi
