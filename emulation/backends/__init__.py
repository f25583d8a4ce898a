"""Data-plane backends. ``REZ_TARGET`` (or ``StackConfig.target``) picks one; everything else
speaks the AWS API to the endpoint it returns."""

from __future__ import annotations

from pathlib import Path

from emulation.backends.base import Backend

TARGETS = ("local", "localstack", "ministack", "aws")


def create_backend(target: str, *, port: int, region: str, state_dir: Path) -> Backend:
    if target == "local":
        from emulation.backends.moto import MotoBackend

        return MotoBackend(port, region, log_file=state_dir / "moto.log")
    raise ValueError(f"unknown or unsupported target {target!r}; choose one of {', '.join(TARGETS)}")
