"""`make preview` / `make deploy` refuse cleanly, naming every missing prerequisite."""

from __future__ import annotations

import subprocess
import sys

from infra import deploy
from infra.packaging import ROOT


def test_missing_cli_stack_file_and_profile_are_all_named(monkeypatch):
    monkeypatch.setattr(deploy.shutil, "which", lambda _: None)
    found = deploy.problems("qa", None, "up", ci=False)
    assert any("Pulumi.qa.yaml" in p and "dev, prod" in p for p in found)
    assert any("Pulumi CLI is not installed" in p for p in found)
    assert any("AWS_PROFILE" in p for p in found)


def test_an_unknown_profile_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    assert deploy.problems("dev", "nobody", "preview", ci=False)[-1] == \
        "AWS profile 'nobody' is not configured (see `aws configure list-profiles`)"


def test_ci_uses_the_environment_credentials(monkeypatch):
    monkeypatch.setattr(deploy.shutil, "which", lambda _: "/usr/bin/pulumi")
    assert deploy.problems("dev", None, "up", ci=True) == []


def test_the_command_exits_2_with_a_message_and_no_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none")}
    result = subprocess.run([sys.executable, "-m", "infra.deploy", "up", "--stage", "dev", "--profile", "nobody"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "cannot run `pulumi up` for stage 'dev'" in result.stderr
    assert "Traceback" not in result.stderr
