"""Worker processes for a Monte Carlo batch that no signal can strand.

The parent alone decides when a batch stops. Ctrl-C reaches the whole process group
and SIGTERM may too, so workers ignore both; when the parent stops (done, failed or
interrupted) it kills its workers and waits for them, a bounded wait that a second
signal cannot cut short. A worker whose parent is gone, even SIGKILLed, notices
within :data:`WATCH_EVERY` seconds and exits, so none is left blocked on a pipe.

Tasks go to worker ``k % size`` in the order they are sent and each worker answers
its own in order, so the parent reads answers in task order without a queue that a
dying process could leave half-written (what hung ``ProcessPoolExecutor``).
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any, Callable

from .errors import SimulationError

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
#: Seconds between a worker's checks that its parent is alive.
WATCH_EVERY = 0.2
#: Seconds to wait for a killed worker to be gone.
JOIN_TIMEOUT = 5.0


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        n = counter()
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:
        n = os.cpu_count()
    return max(1, n or 1)


class WorkerPool:
    """``size`` processes that each build a state with ``setup(*args)`` once, then
    answer ``work(state, task)`` for each task sent to them, in order.

    Use as ``start()``, ``send``/``receive`` pairs, and always ``stop()``.
    """

    def __init__(self, ctx: BaseContext, size: int, setup: Callable[..., Any], args: tuple,
                 work: Callable[[Any, Any], Any]):
        self._ctx, self.size = ctx, size
        self._target_args = (setup, args, work, os.getpid(), ctx.get_start_method() == "forkserver")
        self._procs: list = []
        self._conns: list[Connection] = []

    def start(self) -> None:
        """Start the workers. SIGINT and SIGTERM are blocked meanwhile, so a child never
        runs the parent's handlers in the moment before it ignores them (the mask is
        inherited through fork and exec); the parent sees them once all are started."""
        old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for i in range(self.size):
                ours, theirs = self._ctx.Pipe()
                proc = self._ctx.Process(target=_serve, args=(theirs, *self._target_args), daemon=True,
                                         name=f"drillbit-simulate-{i}")
                self._procs.append(proc)
                self._conns.append(ours)
                proc.start()
                theirs.close()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def send(self, worker: int, task: Any) -> None:
        """Queue ``task`` on worker ``worker``."""
        self._conns[worker].send(task)

    def receive(self, worker: int) -> Any:
        """The answer to the oldest unanswered task of worker ``worker``; re-raises what
        the task raised. Raises SimulationError when the worker died."""
        try:
            kind, value = self._conns[worker].recv()
        except (EOFError, OSError):
            proc = self._procs[worker]
            proc.join(1.0)
            raise SimulationError(f"simulation worker {worker} stopped unexpectedly (exit code {proc.exitcode})") from None
        if kind == "error":
            raise value
        return value

    def stop(self) -> BaseException | None:
        """Kill every worker and wait for it (bounded). Returns an interruption that
        arrived meanwhile, for the caller to raise: stopping always finishes."""
        late: BaseException | None = None
        while True:
            try:
                for proc in self._procs:
                    if proc.pid is not None and proc.exitcode is None:
                        proc.kill()
                for conn in self._conns:
                    conn.close()
                for proc in self._procs:
                    if proc.pid is not None:
                        proc.join(JOIN_TIMEOUT)
                break
            except KeyboardInterrupt as exc:
                late = exc
        self._procs.clear()
        self._conns.clear()
        return late


def _serve(conn: Connection, setup: Callable[..., Any], args: tuple, work: Callable[[Any, Any], Any],
           parent: int, forked_by_server: bool) -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _watch_parent(parent, forked_by_server)
    failure: BaseException | None = None
    try:
        state = setup(*args)
    except Exception as exc:
        failure = exc
    # What the worker holds by now (modules, the parent's heap under fork, the batch's
    # plan) lives as long as the worker: kept out of the collector's full passes, which
    # would otherwise walk all of it again every few hundred runs (about 5% of a
    # worker's CPU, measured with gc.callbacks).
    gc.freeze()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break  # the parent closed its end: stop quietly
        try:
            if failure is not None:
                raise failure
            reply = ("ok", work(state, task))
        except Exception as exc:
            reply = ("error", exc)
        try:
            _send(conn, reply)
        except (EOFError, OSError):
            break
    # Skip the interpreter's exit: under fork it would flush the parent's buffers again.
    os._exit(0)


def _send(conn: Connection, reply: tuple) -> None:
    try:
        conn.send(reply)
    except (EOFError, OSError):
        raise
    except Exception as exc:  # the answer would not pickle: say what it was
        kind, value = reply
        what = f"{type(value).__name__}: {value}" if kind == "error" else f"{type(exc).__name__}: {exc}"
        conn.send(("error", SimulationError(f"a simulation worker could not hand back its result ({what})")))


def _watch_parent(parent: int, forked_by_server: bool) -> None:
    # A forkserver's child has the server as its parent; the server exits with ours, so
    # a change of parent still tells. Otherwise the parent is the process that started us.
    ppid = os.getppid()
    if not forked_by_server and ppid != parent:
        os._exit(0)

    def watch() -> None:
        while os.getppid() == ppid and _alive(parent):
            time.sleep(WATCH_EVERY)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
