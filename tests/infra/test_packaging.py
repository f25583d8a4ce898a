"""Lambda packaging: reproducible zips of services/ and its locked dependencies, nothing else,
and an artifact that imports its handlers in a clean Python 3.12 — the Lambda runtime's version."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from emulation.backends.venvs import find_python
from infra import manifest, packaging
from infra.packaging import ROOT, PackagingError

CORE_FUNCTIONS = [key for key in manifest.FUNCTIONS if packaging.group_of(key) == "core"]


def test_zip_bytes_depend_on_names_and_contents_only(tmp_path):
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "mod.py").write_text("x = 1\n")
    (source / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"junk")
    (source / "pkg" / "data.json").write_text("{}")
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    packaging.write_zip(first, packaging._files(source))
    os.utime(source / "pkg" / "mod.py", (1_000_000, 1_000_000))
    (source / "pkg" / "data.json").chmod(0o600)
    packaging.write_zip(second, reversed(list(packaging._files(source))))
    assert first.read_bytes() == second.read_bytes()
    assert zipfile.ZipFile(first).namelist() == ["pkg/data.json", "pkg/mod.py"]
    (source / "pkg" / "mod.py").write_text("x = 2\n")
    packaging.write_zip(second, packaging._files(source))
    assert first.read_bytes() != second.read_bytes()


def test_every_function_has_a_locked_dependency_group():
    for key in manifest.FUNCTIONS:
        group = packaging.group_of(key)
        lock = packaging.lock_path(group).read_text().splitlines()
        pins = [line for line in lock if line and not line.startswith("#")]
        assert pins and all("==" in p and "--hash=sha256:" in p for p in pins), group
        pinned = {p.split("==")[0].lower().replace("_", "-") for p in pins}
        for requirement in packaging.requirement_specs(group):
            assert packaging._dist_name(requirement) in pinned, (group, requirement)


def test_boto3_is_shipped_at_the_version_the_tests_use():
    import boto3

    lock = packaging.lock_path("core").read_text()
    assert f"boto3=={boto3.__version__} " in lock


@pytest.fixture(scope="module")
def core_artifact(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lambda")
    try:
        artifacts = packaging.build(CORE_FUNCTIONS[:1], out_dir=out, cache_dir=ROOT / "build" / "lambda" / ".deps",
                                    log=lambda *_: None)
    except PackagingError as exc:
        pytest.skip(f"cannot build the Lambda artifact here: {exc}")
    return Path(artifacts[CORE_FUNCTIONS[0]].path)


def test_artifact_holds_services_and_dependencies_only(core_artifact):
    names = zipfile.ZipFile(core_artifact).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert {"services", "boto3", "botocore", "pydantic", "httpx", "aws_lambda_powertools", "jwt"} <= tops
    assert not tops & {"emulation", "tests", "infra", "fixtures", "benchmarks", "bin"}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert any(n.endswith("cpython-312-x86_64-linux-gnu.so") for n in names), "wheels for Lambda's Python"
    for key in CORE_FUNCTIONS:
        module = manifest.FUNCTIONS[key].handler.rsplit(".", 1)[0]
        if (ROOT / (module.replace(".", "/") + ".py")).exists():
            assert module.replace(".", "/") + ".py" in names


def test_artifact_builds_reproducibly(core_artifact, tmp_path):
    again = packaging.build(CORE_FUNCTIONS[:1], out_dir=tmp_path, cache_dir=ROOT / "build" / "lambda" / ".deps",
                            log=lambda *_: None)
    assert Path(again[CORE_FUNCTIONS[0]].path).read_bytes() == core_artifact.read_bytes()


def test_artifact_imports_its_handlers_in_a_clean_python312(core_artifact, tmp_path):
    python = find_python((3, 12), maximum=(3, 12))
    if not python:
        pytest.skip("no Python 3.12 here: the wheels are built for Lambda's python3.12")
    task = tmp_path / "task"  # what Lambda unpacks into /var/task
    zipfile.ZipFile(core_artifact).extractall(task)
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
    handlers = [manifest.FUNCTIONS[k].handler for k in CORE_FUNCTIONS
                if (ROOT / (manifest.FUNCTIONS[k].handler.rsplit(".", 1)[0].replace(".", "/") + ".py")).exists()]
    assert {"services.webapi.handler.lambda_handler", "services.processor.handler.lambda_handler"} <= set(handlers)
    script = ("import importlib, sys\n"
              "assert sys.version_info[:2] == (3, 12), sys.version\n"
              "assert not [p for p in sys.path if 'site-packages' in p and 'venv' not in p], sys.path\n"
              f"for handler in {handlers!r}:\n"
              "    module, name = handler.rsplit('.', 1)\n"
              "    assert callable(getattr(importlib.import_module(module), name)), handler\n"
              "import services, boto3; assert services.__file__.startswith(sys.argv[1]), services.__file__\n"
              "print('ok')\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(task), "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([str(venv / "bin" / "python"), "-s", "-c", script, str(task)], env=env,
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
