# Benchmarks: in-process estimates/s and recommendations against estimates, HTTP throughput and latency with wrk against a trivial Flask
# endpoint served by the same gunicorn config, 1,000-item batch, 60 s soak, cold start and worker memory.
# Writes bench/results/latest.json and the README performance section (between the bench markers).
# wrk comes from the Debian package; bench/run.py installs it with apt-get when it is missing.
# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS='--rounds 1 --soak-seconds 10'.

BENCH_ARGS ?=

.PHONY: bench bench-report
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

# Rewrite the README section and bench/results/performance.md from bench/results/latest.json.
bench-report: setup
	$(PY) bench/run.py --report-only
