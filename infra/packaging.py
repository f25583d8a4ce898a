"""Lambda artifacts: one zip per function, built for the Lambda platform, byte-for-byte reproducible.

Layout of a zip (what Lambda unpacks into ``/var/task``): the whole ``services/`` package and the
function's runtime dependencies at the root. Never ``emulation/``, ``tests/``, ``infra/`` or fakes.

Choices, and why:

* **One zip per function, no layer.** Each function ships exactly the libraries its code imports
  (``DEPENDENCY_GROUPS``), so the HTTP API does not carry LangChain and numpy; a function is one
  self-contained artifact with no layer-version ordering to get wrong. Functions of the same group
  get byte-identical zips (the writer is deterministic), and the Pulumi program uploads them by
  content hash, so identical zips cost one upload.
* **The whole of ``services/``** (a few hundred KB of Python) in every zip: functions call each
  other's code (the scheduler runs the agent, the MCP tools reuse the web actions), and a missing
  package would only show at run time on AWS.
* **boto3 is pinned and shipped**, not taken from the Lambda runtime: the runtime's SDK version
  changes when AWS decides, while ours is the one the local and CI tests ran against (and
  langchain-aws requires it anyway). Cost: about 30 MB unpacked, far under Lambda's 250 MB.
* **Locked, hashed wheels**: ``infra/locks/<group>.txt`` pins every distribution with its sha256,
  resolved for CPython 3.12 on manylinux x86_64 (``lock`` regenerates them, constrained to the
  versions in the development virtualenv, so Lambda runs the library versions the tests used).
  ``build`` installs with ``--no-deps --require-hashes``: same lock, same bytes.
* **Reproducible zips**: entries sorted, fixed timestamps and permissions, no ``__pycache__``
  (pip's byte-code would be compiled by the build interpreter, not 3.12), no top-level ``bin/``
  (console scripts pointing at the build interpreter).
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from infra import manifest

ROOT = Path(__file__).resolve().parent.parent
LOCK_DIR = ROOT / "infra" / "locks"
DEFAULT_OUT = ROOT / "build" / "lambda"
# The python3.12 runtime is Amazon Linux 2023 (glibc 2.34): manylinux2014 wheels, and the
# manylinux_2_28 ones that recent releases (numpy 2.4) publish instead, both run there.
PLATFORM = ("--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64", "--implementation", "cp",
            "--python-version", "3.12", "--only-binary=:all:")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
LAMBDA_UNPACKED_LIMIT = 262_144_000  # bytes: Lambda refuses a function whose code unpacks to more
_SKIP_SUFFIXES = (".pyc", ".pyo")

_CORE = ("boto3", "httpx", "pydantic", "aws-lambda-powertools", "PyJWT")
# What each group installs (names from pyproject.toml, whose version ranges apply).
DEPENDENCY_GROUPS: dict[str, tuple[str, ...]] = {
    "core": _CORE,
    "mcp": (*_CORE, "mcp"),
    "agent": (*_CORE, "mcp", "langchain-aws", "langchain-mcp-adapters", "langgraph"),
}
# Functions that need more than "core": the scheduler runs the agent for scheduled agent events.
FUNCTION_GROUPS: dict[str, str] = {"mcp": "mcp", "agent": "agent", "scheduler": "agent"}
DEFAULT_GROUP = "core"


def group_of(function: str) -> str:
    return FUNCTION_GROUPS.get(function, DEFAULT_GROUP)


class PackagingError(RuntimeError):
    """A build that cannot proceed; the message says what to do."""


@dataclass(frozen=True)
class Artifact:
    function: str
    group: str
    path: str
    sha256: str         # hex
    base64_sha256: str  # what Lambda reports as CodeSha256 (Pulumi's source_code_hash)
    size: int


# --- requirements --------------------------------------------------------------------------------


def requirement_specs(group: str) -> list[str]:
    """The group's requirements with pyproject's version ranges and extras (``PyJWT[crypto]>=2.8``)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    by_name = {_dist_name(spec): spec for spec in declared}
    missing = [name for name in DEPENDENCY_GROUPS[group] if _dist_name(name) not in by_name]
    if missing:
        raise PackagingError(f"not in pyproject.toml dependencies: {', '.join(missing)}")
    return [by_name[_dist_name(name)] for name in DEPENDENCY_GROUPS[group]]


def _dist_name(spec: str) -> str:
    for stop in "[<>=!~; ":
        spec = spec.split(stop, 1)[0]
    return spec.strip().lower().replace("_", "-")


def lock_path(group: str) -> Path:
    return LOCK_DIR / f"{group}.txt"


def _pip(*args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"]
    if quiet:
        command.append("-q")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("WARNING"))
        raise PackagingError(f"pip {args[0]} failed (is the package index reachable?):\n{detail[-2000:]}")
    return result


def lock(group: str) -> Path:
    """Resolve the group for Lambda, constrained to the development virtualenv's versions."""
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "constraints.txt"
        frozen = _pip("freeze", "--exclude-editable", quiet=False).stdout
        constraints.write_text("\n".join(line for line in frozen.splitlines() if "==" in line) + "\n")
        report = Path(tmp) / "report.json"
        _pip("install", "--dry-run", "--ignore-installed", "--report", str(report), "--target", str(Path(tmp) / "t"),
             *PLATFORM, "-c", str(constraints), *requirement_specs(group))
        installs = json.loads(report.read_text())["install"]
    lines = [f"# {group}: {' '.join(requirement_specs(group))}",
             "# Generated by `python -m infra.packaging lock` for CPython 3.12 on manylinux2014/2_28 x86_64."]
    for item in sorted(installs, key=lambda i: i["metadata"]["name"].lower()):
        digest = item["download_info"]["archive_info"]["hashes"]["sha256"]
        lines.append(f"{item['metadata']['name']}=={item['metadata']['version']} --hash=sha256:{digest}")
    path = lock_path(group)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


# --- building ------------------------------------------------------------------------------------


def install_dependencies(group: str, cache: Path) -> Path:
    """Install the group's locked wheels once per lock content; later builds reuse the directory."""
    lock_file = lock_path(group)
    if not lock_file.exists():
        raise PackagingError(f"{lock_file.relative_to(ROOT)} is missing: run `python -m infra.packaging lock`")
    digest = hashlib.sha256(lock_file.read_bytes()).hexdigest()[:16]
    target = cache / f"{group}-{digest}"
    if (target / ".complete").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".{group}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # parallel builds (test workers) install once
        if (target / ".complete").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        staging = cache / f".{group}-{digest}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        _pip("install", "--no-deps", "--require-hashes", "--no-compile", "--target", str(staging), *PLATFORM,
             "-r", str(lock_file))
        staging.rename(target)
        (target / ".complete").touch()
    return target


def _files(root: Path, prefix: str = "") -> Iterator[tuple[str, Path]]:
    for current, dirs, names in os.walk(root):
        top = Path(current) == root  # pip's bin/ is at the top; a package may have its own bin/
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".") and not (top and d == "bin")]
        for name in names:
            if name.endswith(_SKIP_SUFFIXES) or name.startswith("."):
                continue
            path = Path(current) / name
            yield prefix + path.relative_to(root).as_posix(), path


def write_zip(destination: Path, entries: Iterable[tuple[str, Path]]) -> None:
    """A zip whose bytes depend only on the entries' names and contents."""
    ordered = sorted(entries)
    names = [name for name, _ in ordered]
    if len(names) != len(set(names)):
        raise PackagingError(f"duplicate paths in {destination.name}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, path in ordered:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) and name.endswith(".so") else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.create_system = 3  # unix, so the permissions above are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=6)
    partial.replace(destination)


def _artifact(function: str, group: str, path: Path) -> Artifact:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return Artifact(function=function, group=group, path=str(path), sha256=digest.hex(),
                    base64_sha256=base64.b64encode(digest).decode(), size=path.stat().st_size)


def build(functions: Iterable[str] | None = None, out_dir: Path = DEFAULT_OUT,
          cache_dir: Path | None = None, log=print) -> dict[str, Artifact]:
    """Build ``<out_dir>/<function>.zip`` for each function and write ``index.json`` beside them."""
    wanted = list(functions or manifest.FUNCTIONS)
    unknown = [f for f in wanted if f not in manifest.FUNCTIONS]
    if unknown:
        raise PackagingError(f"not functions of the manifest: {', '.join(unknown)}")
    cache = cache_dir or out_dir / ".deps"
    services = list(_files(ROOT / "services", "services/"))
    built: dict[str, Path] = {}
    artifacts: dict[str, Artifact] = {}
    for function in wanted:
        group = group_of(function)
        zip_path = out_dir / f"{function}.zip"
        if group in built:  # same group, same bytes: copy rather than compress again
            shutil.copyfile(built[group], zip_path)
        else:
            deps = install_dependencies(group, cache)
            write_zip(zip_path, [*services, *_files(deps)])
            unpacked = sum(info.file_size for info in zipfile.ZipFile(zip_path).infolist())
            if unpacked > LAMBDA_UNPACKED_LIMIT:
                raise PackagingError(f"{function}: {unpacked / 1e6:.0f} MB unpacked, over Lambda's 250 MB")
            built[group] = zip_path
        artifacts[function] = _artifact(function, group, zip_path)
        log(f"  {zip_path.relative_to(ROOT) if zip_path.is_relative_to(ROOT) else zip_path}"
            f"  {artifacts[function].size / 1e6:6.1f} MB  sha256 {artifacts[function].sha256[:12]}")
    index = out_dir / "index.json"
    previous = json.loads(index.read_text()) if index.exists() else {}
    previous.update({k: asdict(v) for k, v in artifacts.items()})
    index.write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n")
    return artifacts


def load_index(out_dir: Path = DEFAULT_OUT) -> dict[str, Artifact]:
    """The artifacts of the last build (what the Pulumi program uploads)."""
    index = out_dir / "index.json"
    if not index.exists():
        raise PackagingError(f"{index} not found: run `make build` first")
    return {key: Artifact(**value) for key, value in json.loads(index.read_text()).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.packaging", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build", help="build the Lambda zips")
    build_cmd.add_argument("--function", action="append", help="only this function (repeatable)")
    build_cmd.add_argument("--out", type=Path, default=DEFAULT_OUT)
    lock_cmd = sub.add_parser("lock", help="re-resolve infra/locks/*.txt (needs the package index)")
    lock_cmd.add_argument("--group", action="append", choices=sorted(DEPENDENCY_GROUPS))
    args = parser.parse_args(argv)
    try:
        if args.command == "lock":
            for group in args.group or DEPENDENCY_GROUPS:
                print(f"locked {lock(group).relative_to(ROOT)}")
        else:
            print(f"building Lambda artifacts into {args.out}")
            build(args.function, args.out.resolve())
    except PackagingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
