"""Private virtualenvs for emulators that cannot share ours (LocalStack needs Python >= 3.13 and
its own pins; Ministack pins its own botocore).

Installed lazily at first use from the package index, once per requirement set, under a file lock
so parallel test workers install only once. Anything that prevents it raises ``BackendUnavailable``
with the reason, which test lanes turn into a skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from emulation.backends.base import BackendUnavailable

ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)


def venvs_dir() -> Path:
    return Path(os.environ.get("REZ_VENVS_DIR") or ROOT / ".rez" / "venvs")


def _version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = out.stdout.split()
    return (int(parts[0]), int(parts[1])) if out.returncode == 0 and len(parts) == 2 else None


def find_python(minimum: tuple[int, int], maximum: tuple[int, int] = (3, 99)) -> str | None:
    """The newest interpreter between ``minimum`` and ``maximum`` on PATH or under pyenv."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(20, minimum[1] - 1, -1)]
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if pyenv.is_dir():
        candidates += [str(p / "bin" / "python3") for p in sorted(pyenv.iterdir(), reverse=True)]
    candidates.append(sys.executable)
    found = [(v, c) for c in candidates if c and (v := _version(c)) and minimum <= v <= maximum]
    return max(found)[1] if found else None


def ensure_venv(name: str, requirements: list[str], minimum: tuple[int, int] = (3, 11)) -> Path:
    """The ``bin/python`` of ``.rez/venvs/<name>`` with ``requirements`` installed."""
    root = venvs_dir()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / name
    marker = venv / f".installed-{hashlib.sha256(' '.join(requirements).encode()).hexdigest()[:12]}"
    python = venv / "bin" / "python"
    if marker.exists():
        return python
    if os.environ.get("REZ_NO_INSTALL"):
        raise BackendUnavailable(f"{name} is not installed in {venv} and REZ_NO_INSTALL is set")
    with open(root / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing it right now
        if marker.exists():
            return python
        interpreter = find_python(minimum)
        if interpreter is None:
            raise BackendUnavailable(f"{name} needs Python >= {minimum[0]}.{minimum[1]}; none found "
                                     "(on PATH as python3.X or under ~/.pyenv/versions)")
        print(f"rez: installing {name} into {venv} (first use; needs the package index, about a minute)",
              file=sys.stderr, flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        _run([interpreter, "-m", "venv", str(venv)], name)
        _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements], name)
        marker.touch()
    return python


def _run(command: list[str], name: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("WARNING"))
        raise BackendUnavailable(f"could not install {name} (is the package index reachable?): "
                                 f"{detail.strip()[-800:]}")
