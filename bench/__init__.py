"""Benchmarks that print ratios: each page's throughput against a bare endpoint in the same run.

Absolute numbers depend on the machine; a ratio measured in one run on one machine does
not, much. See bench/README.md.
"""
