"""Benchmarks (``make bench``). Each ``bench_*.py`` module has ``main() -> str`` that returns a
Markdown report; ``python -m benchmarks [name ...]`` runs them and writes
``benchmarks/results/<name>.md`` with the command and the machine it ran on."""
