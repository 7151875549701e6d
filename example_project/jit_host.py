"""A "JIT host" for asyncrt: load the registered variant, run work on its pool, unload.

A JIT (MLIR's ExecutionEngine, a Python host) does not link asyncrt ahead of time: it
loads ``libasyncrt_registered.so``, whose only exports are ``__asyncrt_init`` and
``__asyncrt_destroy``, and reaches every function through the table init hands it. Before
unloading, it calls destroy, which joins the worker threads, so no thread is still running
the library's code when ``dlclose`` unmaps it.

This host, per cycle:

1. loads the library with :func:`visgen.runtime.load_registered` (checked against
   ``visgen.toml``: the table must hold every export the manifest declares);
2. submits ``--tasks`` tasks to the default runtime through ``asyncrtSubmit`` from the
   table (the task is a function pointer the host made: a ctypes callback), waits, and
   checks the sum and the completed count;
3. submits ``--tasks`` more, waits only until the first has run, and closes the library
   at once, while the workers are busy: destroy runs what is queued and joins the
   workers, then the library is unloaded; the host checks every task ran and the library
   is no longer mapped.

It prints one result line and exits 0 when everything was right, 1 otherwise.

``--skip-destroy`` closes without calling destroy: ``dlclose`` unmaps the library while
its workers are still running tasks, which is what the registration protocol prevents.
What happens then is not asserted; see the README ("What --skip-destroy shows").

Usage::

    python jit_host.py build/libasyncrt_registered.so [--tasks 1000] [--cycles 1]
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import threading
import time
from pathlib import Path

from visgen.runtime import RegisteredLibrary, is_loaded, load_registered

HERE = Path(__file__).resolve().parent
TASK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class Work:
    """What the tasks do: add their argument to a sum (the ctypes callback of the host)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.total = 0
        self.callback = TASK(self.run)  # kept alive as long as the host: workers call it

    def run(self, arg: int | None) -> None:
        with self.lock:
            self.count += 1
            self.total += arg or 0


def run_cycle(
    lib: RegisteredLibrary, work: Work, tasks: int, *, skip_destroy: bool
) -> tuple[str, int]:
    """One load's work: (a problem, or "" when all was right; tasks not yet run at close)."""
    default = lib.function("asyncrtRuntimeDefault", restype=ctypes.c_void_p)
    submit = lib.function(
        "asyncrtSubmit",
        restype=ctypes.c_int,
        argtypes=[ctypes.c_void_p, TASK, ctypes.c_void_p, ctypes.c_void_p],
    )
    wait = lib.function("asyncrtWait", restype=None, argtypes=[ctypes.c_void_p])
    started = lib.function(
        "asyncrtRuntimeStartedThreads", restype=ctypes.c_uint, argtypes=[ctypes.c_void_p]
    )
    threads = lib.function(
        "asyncrtRuntimeThreadCount", restype=ctypes.c_uint, argtypes=[ctypes.c_void_p]
    )
    completed = lib.function(
        "asyncrtCompletedCount", restype=ctypes.c_uint64, argtypes=[ctypes.c_void_p]
    )
    create_token = lib.function("asyncrtCreateToken", restype=ctypes.c_void_p)
    token_wait = lib.function("asyncrtTokenWait", restype=None, argtypes=[ctypes.c_void_p])
    destroy_token = lib.function("asyncrtDestroyToken", restype=None, argtypes=[ctypes.c_void_p])

    rt = default()
    if started(rt) != 0:
        return f"{started(rt)} workers running before the first task (expected 0)", 0
    before = work.count
    for i in range(1, tasks + 1):
        if submit(rt, work.callback, i, None) != 0:
            return "asyncrtSubmit refused a task", 0
    wait(rt)
    if work.count - before != tasks or completed(rt) != tasks:
        return f"after wait: {work.count - before} ran, {completed(rt)} completed, not {tasks}", 0
    if started(rt) != threads(rt):
        return f"{started(rt)} of {threads(rt)} workers started", 0

    # a second batch, still running when the host unloads the library
    first = create_token()
    for i in range(1, tasks + 1):
        submit(rt, work.callback, i, first if i == 1 else None)
    token_wait(first)
    destroy_token(first)
    pending = 2 * tasks - (work.count - before)  # queued or running right now
    lib.close(destroy=not skip_destroy)
    return "", pending


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument(
        "library",
        nargs="?",
        type=Path,
        default=HERE / "build" / "libasyncrt_registered.so",
        help="the registered variant (default: build/libasyncrt_registered.so)",
    )
    parser.add_argument("--manifest", type=Path, default=HERE / "visgen.toml")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per batch")
    parser.add_argument("--cycles", type=int, default=1, help="load/run/unload cycles")
    parser.add_argument("--mode", choices=("local", "global"), default="local")
    parser.add_argument(
        "--skip-destroy",
        action="store_true",
        help="unload without calling destroy (shows why the protocol exists)",
    )
    args = parser.parse_args(argv)

    work = Work()
    version = "?"
    pending_at_close: list[int] = []
    for cycle in range(1, args.cycles + 1):
        lib = load_registered(
            args.library, manifest=args.manifest, library="asyncrt", mode=args.mode
        )
        version = ctypes.string_at(lib.address("asyncrt_version")).decode()
        problem, pending = run_cycle(lib, work, args.tasks, skip_destroy=args.skip_destroy)
        pending_at_close.append(pending)
        if args.skip_destroy:
            # The library is unmapped; its workers may still be inside it. Give them time.
            print(
                f"jit_host: skip-destroy: dlclose returned with {pending} tasks queued or "
                f"running; still mapped: {is_loaded(args.library)}",
                flush=True,
            )
            time.sleep(0.5)
            print(
                f"jit_host: skip-destroy: survived 0.5 s; {work.count} of "
                f"{2 * args.tasks * cycle} tasks ran",
                flush=True,
            )
            return 0
        if problem:
            print(f"jit_host: FAILED in cycle {cycle}: {problem}", file=sys.stderr)
            return 1
        expected = 2 * args.tasks * cycle
        if work.count != expected:
            print(
                f"jit_host: FAILED in cycle {cycle}: {work.count} tasks ran, "
                f"expected {expected} (destroy must run what is queued)",
                file=sys.stderr,
            )
            return 1
        if is_loaded(args.library):
            print(f"jit_host: FAILED: {args.library} is still mapped", file=sys.stderr)
            return 1

    n = args.tasks
    expected_total = args.cycles * 2 * (n * (n + 1) // 2)
    ok = work.total == expected_total
    print(
        f"jit_host: {'ok' if ok else 'FAILED'} version={version} cycles={args.cycles} "
        f"tasks={work.count} sum={work.total} pending_at_unload={max(pending_at_close)} "
        "unloaded=yes",
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
