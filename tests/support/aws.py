"""Tables, topics and queues from the manifest, created in moto's in-process mock for contract tests."""

from __future__ import annotations

import boto3

from emulation.provision import provision
from infra.manifest import Naming


class _Session:
    def __init__(self) -> None:
        self._session = boto3.session.Session(region_name="us-east-1")

    def client(self, service: str):
        return self._session.client(service)


def provision_manifest(naming: Naming | None = None, secrets: dict | None = None):
    """Call inside ``moto.mock_aws()``: creates every resource of the manifest."""
    return provision(_Session(), naming or Naming(), secrets or {})
