"""Data-plane backends. ``REZ_TARGET`` (or ``StackConfig.target``) picks one; everything else
speaks the AWS API to the endpoint it returns."""

from __future__ import annotations

from pathlib import Path

from emulation.backends.base import Backend, BackendUnavailable

TARGETS = ("local", "localstack", "ministack", "aws")
__all__ = ["TARGETS", "Backend", "BackendUnavailable", "create_backend"]


def create_backend(target: str, *, port: int, region: str, state_dir: Path,
                   account: str = "123456789012") -> Backend:
    if target == "local":
        from emulation.backends.moto import MotoBackend

        return MotoBackend(port, region, log_file=state_dir / "moto.log")
    if target == "localstack":
        from emulation.backends.localstack import LocalStackBackend

        return LocalStackBackend(port, region, state_dir, account=account)
    if target == "ministack":
        from emulation.backends.ministack import MinistackBackend

        return MinistackBackend(port, region, state_dir, account=account)
    raise ValueError(f"unknown or unsupported target {target!r}; choose one of {', '.join(TARGETS)}")
