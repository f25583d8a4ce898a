"""One mocked Pulumi run per test worker, shared by the infra tests (it takes about a second)."""

from __future__ import annotations

import pytest

from tests.infra.pulumi_mocks import Recording, run_deploy, stage_config


@pytest.fixture(scope="session")
def declared(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    recording, _ = run_deploy(stage_config(tmp_path_factory.mktemp("artifacts")))
    return recording


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # pulumi_aws warns about its own deprecated resource classes when it is imported: not ours.
    for item in items:
        if "tests/infra/" in str(item.path):
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws"))
