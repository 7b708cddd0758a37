# Validation against published measurements: prints one row per case, in sample and held out by organisation,
# and writes the same to docs/validation.md. The numbers come from the service's HTTP API (Flask test client).

validate: setup
	$(PY) -m service.validation --write docs/validation.md
	$(PY) -m service.validation.curves --write docs/methodology.md

# Fit the training and serving models to the published cases and rewrite service/domain/calibration.py.
.PHONY: calibrate
calibrate: setup
	$(PY) -m service.validation.calibrate --write
