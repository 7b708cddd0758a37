# The production shape on one machine: `make run-proxied` starts gunicorn on a unix socket and, in front of it,
# Debian's nginx with the Helm chart's configuration (helm/genai-footprint/files/nginx.conf, rendered by
# scripts/proxied.py) on $(FOOTPRINT_BIND), in the foreground; Ctrl-C stops both. nginx is installed with
# apt-get when missing (as root), as `make test` does for the tests that run through it.

.PHONY: run-proxied
run-proxied: setup
	@scripts/apt-install.sh nginx:nginx
	$(PY) scripts/proxied.py
