# Validation against published measurements (issue 3): prints one row per case and the summary, and writes
# the same to docs/validation.md. The numbers come from the service's HTTP API (Flask test client).

validate: setup
	$(PY) -m service.validation --write docs/validation.md
