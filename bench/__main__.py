"""`python -m bench [courses] [options]`: run a benchmark (courses is the only one, and the default)."""
from __future__ import annotations

import sys
from collections.abc import Sequence

BENCHMARKS = ("courses",)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-l", "--list"):
        print("\n".join(BENCHMARKS))
        return 0
    name = args.pop(0) if args and not args[0].startswith("-") else "courses"
    if name not in BENCHMARKS:
        print(f"unknown benchmark {name!r}; available: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    from bench import courses

    return courses.main(args)


if __name__ == "__main__":
    sys.exit(main())
