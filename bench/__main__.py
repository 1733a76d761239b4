"""`python -m bench [courses|exams|chat|placement|dashboard|analytics|classroom|faults] [options]`:
run one benchmark, or every quick one in turn.

Without a name every quick benchmark runs with its defaults, one after the other (not
`classroom`, whose ramp takes minutes, nor `faults`, with its kills, PostgreSQL restart and
ten-minute soak: run them by name); options go
after a name (`python -m bench exams --trainees 50`). The exit status is the worst of
the benchmarks run: 0 all well, 1 an error response or a failed check.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

QUICK = ("courses", "exams", "chat", "placement", "dashboard", "analytics")
BENCHMARKS = (*QUICK, "classroom", "faults")


def _runner(name: str) -> Callable[[Sequence[str]], int]:
    if name == "courses":
        from bench import courses

        return courses.main
    if name == "classroom":
        from bench import classroom

        return classroom.main
    if name == "faults":
        from bench import faults

        return faults.main
    if name == "chat":
        from bench import chat

        return chat.main
    if name == "placement":
        from bench import placement

        return placement.main
    if name == "analytics":
        from bench import analytics

        return analytics.main
    if name == "dashboard":
        from bench import dashboard

        return dashboard.main
    from bench import exams

    return exams.main


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-l", "--list"):
        print("\n".join(BENCHMARKS))
        return 0
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        print(f"\nbenchmarks: {', '.join(BENCHMARKS)}; "
              "`python -m bench NAME --help` lists a benchmark's options")
        return 0
    if not args:
        status = 0
        for number, name in enumerate(QUICK):
            if number:
                print(flush=True)
            status = max(status, _runner(name)([]))
            sys.stdout.flush()
        return status
    if args[0].startswith("-"):
        print(f"options go after a benchmark's name ({', '.join(BENCHMARKS)}), e.g. "
              f"`python -m bench courses {' '.join(args)}`", file=sys.stderr)
        return 2
    name = args.pop(0)
    if name not in BENCHMARKS:
        print(f"unknown benchmark {name!r}; available: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    return _runner(name)(args)


if __name__ == "__main__":
    sys.exit(main())
