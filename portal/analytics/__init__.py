"""Item analysis of exams: classical test statistics of items and whole exams (stats.py, pure),
the CSV response matrix of `flask analytics items` (files.py) and the command (cli.py)."""
