#!/usr/bin/env python3
"""Install, start and record real third-party servers (maintainers only; needs PyPI).

    python interop/run.py setup  [NAME ...]   # a venv per server under the state folder
    python interop/run.py start  [NAME ...]   # start on 127.0.0.1, wait until it answers
    python interop/run.py record [NAME ...]   # run llmconform with the server's claims
    python interop/run.py stop   [NAME ...]
    python interop/run.py all    [NAME ...]   # setup, start, record, stop

The servers and their claims are in interop/servers.yaml. A recording goes to
tests/fixtures/interop/<name>/cassette.jsonl (redacted by llmconform as always); the tests
replay it and compare the findings with tests/fixtures/interop/<name>/expected.yaml. Every
server binds 127.0.0.1 only; keys are generated per server, kept in the state folder and
given through the environment, never on a command line.

State folder: $LLMCONFORM_INTEROP_DIR, default ~/.cache/llmconform-interop. Entries marked
`external` (a compile or a model to set up) are only recorded; their key files are found
under $TARGETS.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURES = ROOT / "tests" / "fixtures" / "interop"
READY_TIMEOUT_S = 120.0
STOP_GRACE_S = 10.0


def state_dir() -> Path:
    """Where venvs, keys, PIDs and logs live (outside the repository)."""
    default = Path.home() / ".cache" / "llmconform-interop"
    return Path(os.environ.get("LLMCONFORM_INTEROP_DIR") or default)


def servers() -> dict[str, dict[str, Any]]:
    """The server table, by name."""
    table = yaml.safe_load((HERE / "servers.yaml").read_text(encoding="utf-8"))
    if not isinstance(table, dict):
        raise SystemExit("interop/servers.yaml: expected a mapping of server names")
    return table


def _venv(name: str, spec: dict[str, Any]) -> Path:
    return state_dir() / "venvs" / str(spec.get("venv", name))


def _targets() -> Path:
    return Path(os.environ.get("TARGETS") or Path.home() / "llm-targets")


def _key(name: str, spec: dict[str, Any] | None = None) -> str:
    if spec is not None and spec.get("key_file"):
        return Path(str(spec["key_file"]).format(targets=_targets())).read_text().strip()
    path = state_dir() / "keys" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("sk-interop-" + secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()


def _fill(value: str, name: str, spec: dict[str, Any]) -> str:
    venv = _venv(name, spec)
    return value.format(
        python=venv / "bin" / "python",
        venv=venv,
        port=spec["port"],
        state=state_dir(),
        configs=HERE / "configs",
        key=_key(name) if spec.get("key") else "",
    )


def _origin(spec: dict[str, Any]) -> str:
    return f"http://127.0.0.1:{spec['port']}"


def _external(name: str, spec: dict[str, Any]) -> bool:
    if spec.get("external"):
        print(f"{name}: managed outside this script ({spec['package']}); start it by hand")
        return True
    return False


def setup(name: str, spec: dict[str, Any]) -> None:
    """A venv of its own with the pinned package (skipped when already installed)."""
    if _external(name, spec):
        return
    venv = _venv(name, spec)
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    package = str(spec["package"])
    have = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "show", package.split("==")[0]],
        capture_output=True,
        check=False,
    )
    if have.returncode != 0:
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", package]
        subprocess.run(pip, check=True)
    print(f"{name}: {package} installed in {venv}")


def _pid_file(name: str) -> Path:
    return state_dir() / "run" / f"{name}.pid"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # a loopback URL built above
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: the server is up
    except OSError:
        return False


def start(name: str, spec: dict[str, Any]) -> None:
    """Start on loopback in its own session, log to the state folder, wait until it answers."""
    if _external(name, spec):
        return
    ready = _origin(spec) + str(spec.get("ready", "/"))
    if _answers(ready):
        print(f"{name}: something already answers on port {spec['port']}; not started")
        return
    env = {
        **os.environ,
        **{k: _fill(str(v), name, spec) for k, v in (spec.get("env") or {}).items()},
    }
    argv = [_fill(str(a), name, spec) for a in spec["start"]]
    logs = state_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    work = state_dir() / "run"
    work.mkdir(parents=True, exist_ok=True)
    with (logs / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen(
            argv, cwd=work, env=env, stdout=log, stderr=log, start_new_session=True
        )
    _pid_file(name).write_text(str(proc.pid))
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name}: exited with {proc.returncode}; see {logs / name}.log")
        if _answers(ready):
            print(f"{name}: ready at {_origin(spec)}{spec.get('base', '/v1')}")
            return
        time.sleep(0.5)
    raise SystemExit(f"{name}: not ready after {READY_TIMEOUT_S:g} s; see {logs / name}.log")


def stop(name: str, spec: dict[str, Any]) -> None:
    """SIGTERM to the session started, SIGKILL after a grace period."""
    if spec.get("external"):
        return
    pid_file = _pid_file(name)
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline:
            os.killpg(pid, 0)
            time.sleep(0.2)
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)
    print(f"{name}: stopped")


def record(name: str, spec: dict[str, Any]) -> None:
    """Run llmconform against the server with its claims; keep the cassette as a fixture."""
    out = state_dir() / "reports" / name
    target = _origin(spec) + str(spec.get("base", "/v1"))
    argv = [sys.executable, "-m", "llmconform", "run", "--target", target, "--out", str(out)]
    argv += [str(a) for a in spec.get("claims", [])] + ["--concurrency", "1", "-q"]
    env = dict(os.environ)
    env.pop("LLMCONFORM_API_KEY", None)
    if spec.get("key") or spec.get("key_file"):
        env["LLMCONFORM_API_KEY"] = _key(name, spec)
    done = subprocess.run(argv, env=env, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{name}: llmconform could not complete (exit {done.returncode})")
    dest = FIXTURES / name
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "cassette.jsonl").write_bytes((out / "cassette.jsonl").read_bytes())
    print(f"{name}: recorded into {dest / 'cassette.jsonl'}")


STEPS = {"setup": [setup], "start": [start], "record": [record], "stop": [stop]}
STEPS["all"] = [setup, start, record, stop]


def main(argv: list[str] | None = None) -> None:
    """Parse the step and the server names, then do the step for each server in order."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("names", nargs="*", help="servers (default: all in servers.yaml)")
    args = parser.parse_args(argv)
    table = servers()
    unknown = [n for n in args.names if n not in table]
    if unknown:
        raise SystemExit(f"unknown server(s): {', '.join(unknown)}; known: {', '.join(table)}")
    for name in args.names or list(table):
        for step in STEPS[args.step]:
            step(name, table[name])


if __name__ == "__main__":
    main()
