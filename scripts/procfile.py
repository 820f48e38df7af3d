"""Read the Procfile and run its processes together (scripts/serve.py, the smoke test): each in its own process
group, its output prefixed with its name; when one stops, or on Ctrl-C, all are stopped."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _die_with_parent() -> None:
    """On Linux, the child is sent SIGTERM if this process dies without stopping it (killed, or its terminal
    gone), so no server is left running unseen."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def read_procfile(path: Path = ROOT / "Procfile") -> dict[str, str]:
    """{name: command} in the Procfile's order; comments and blank lines skipped."""
    processes = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"{path}:{number}: expected 'name: command'")
        processes[name.strip()] = command.strip()
    return processes


class ProcessGroup:
    """The Procfile's processes, started with one environment; stop() ends them all (TERM, then KILL)."""

    def __init__(
        self, commands: dict[str, str], env: dict[str, str], *, log_dir: Path | None = None, echo: bool = True
    ):
        self.commands, self.env, self.log_dir, self.echo = commands, env, log_dir, echo
        self.processes: dict[str, subprocess.Popen] = {}
        self._threads: list[threading.Thread] = []
        self._width = max((len(name) for name in commands), default=0)

    def start(self) -> None:
        for name, command in self.commands.items():
            process = subprocess.Popen(
                ["/bin/sh", "-c", f"exec {command}"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            self.processes[name] = process
            thread = threading.Thread(target=self._pump, args=(name, process), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, name: str, process: subprocess.Popen) -> None:
        log = open(self.log_dir / f"{name}.log", "ab") if self.log_dir else None
        prefix = f"{name.ljust(self._width)} | ".encode()
        for line in iter(process.stdout.readline, b""):
            if log:
                log.write(line)
                log.flush()
            if self.echo:
                sys.stdout.buffer.write(prefix + line)
                sys.stdout.flush()
        if log:
            log.close()

    def exited(self) -> list[tuple[str, int]]:
        return [(name, p.returncode) for name, p in self.processes.items() if p.poll() is not None]

    def stop(self, timeout: float = 20.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for thread in self._threads:
            thread.join(timeout=5)
