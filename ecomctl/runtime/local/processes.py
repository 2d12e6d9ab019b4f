"""Starting, identifying and stopping the local processes ecomctl owns.

A process is identified by its pid AND its start time, so a recycled pid is
never mistaken for ours: `down` stops exactly what `up` started, never by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from ecomctl.infra.component import ProcessSpec

# Variables a child inherits; everything else comes from the ProcessSpec, so a
# user's JAVA_TOOL_OPTIONS or PYTHONPATH cannot change how a server behaves.
_INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "JAVA_HOME", "TMPDIR", "USER")


@dataclass(frozen=True)
class ProcessRecord:
    pid: int
    create_time: float

    def process(self) -> psutil.Process | None:
        """The live process this record names, or None when it is gone or a zombie."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.05:
                return None  # the pid was recycled by another program
            if proc.status() == psutil.STATUS_ZOMBIE:
                _reap(self.pid)
                return None
            return proc
        except psutil.Error:
            return None

    def alive(self) -> bool:
        return self.process() is not None


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def inherited_env() -> dict[str, str]:
    """What a started process keeps of ecomctl's own environment (the rest is its spec's)."""
    return {key: os.environ[key] for key in _INHERITED_ENV if key in os.environ}


def start_process(spec: ProcessSpec, log_file: Path, argv: list[str]) -> ProcessRecord:
    """Start detached in its own session; stdout and stderr append to the log."""
    env = inherited_env()
    env.update(spec.env)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        log.write(f"\n--- ecomctl: starting {' '.join(argv)}\n".encode())
        log.flush()
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=spec.cwd,
            env=env,
            start_new_session=True,  # own process group: Ctrl-C in the terminal does not reach it
        )
    return ProcessRecord(pid=child.pid, create_time=psutil.Process(child.pid).create_time())


def stop_process(record: ProcessRecord, *, stop_signal: int, timeout_s: float) -> bool:
    """Stop the process and its group; True when something was running."""
    proc = record.process()
    if proc is None:
        return False
    family = [proc, *_children(proc)]
    _signal_group(record.pid, stop_signal, family)
    still_alive = _wait_gone(family, timeout_s)
    if still_alive:
        _signal_group(record.pid, signal.SIGKILL, still_alive)
        _wait_gone(still_alive, 5)
    _reap(record.pid)
    return True


def _running(proc: psutil.Process) -> bool:
    """Alive and not a zombie: our servers are orphans, and an init that reaps
    lazily leaves zombies that psutil's own wait would sit on for seconds."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_gone(procs: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout_s
    alive = [p for p in procs if _running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if _running(p)]
    return alive


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return list(proc.children(recursive=True))
    except psutil.Error:
        return []


def _signal_group(pgid: int, sig: int, family: list[psutil.Process]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
    for member in family:  # a child may have left the group with its own setsid
        with contextlib.suppress(psutil.Error):
            member.send_signal(sig)


def tree_rss_mb(record: ProcessRecord) -> float | None:
    proc = record.process()
    if proc is None:
        return None
    total = 0
    for member in [proc, *_children(proc)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return round(total / 1024 / 1024, 1)


def uptime_s(record: ProcessRecord) -> float:
    return round(time.time() - record.create_time, 1)
