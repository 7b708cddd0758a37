# The Python client and command line (client/, its own distribution genai-footprint-client), installed
# editable into .venv with its yaml extra for the tests in tests/client; reinstalled when its pyproject changes.

CLIENT_STAMP := $(VENV)/.client-installed

.PHONY: client
test-tools: client

client: $(CLIENT_STAMP)

$(CLIENT_STAMP): $(STAMP) client/pyproject.toml
	$(PIP) install --quiet -e './client[yaml]'
	touch $@
