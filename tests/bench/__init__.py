"""Benchmarks, not tests: `make bench` (or `python -m tests.bench`) times request paths
on a throwaway database and writes a markdown report. Each bench is a module with a
`run(*, runs, warmup) -> str` that returns its report section; add a module and list it
in `__main__.BENCHES`. No file here is named `test_*.py`, so pytest never collects them."""
