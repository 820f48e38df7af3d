"""The benchmark behind `make bench` (see run.py and docs/benchmarks.md). Never imported by the app."""
