"""``deploy(naming, config)``: every resource of the manifest, for one stage in one account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from infra import manifest
from infra.manifest import Naming
from infra.pulumi import iam
from infra.pulumi.alarms import deploy_alarms
from infra.pulumi.api import HttpApi, create_api, deploy_routes
from infra.pulumi.config import StageConfig
from infra.pulumi.data import DataPlane, deploy_data
from infra.pulumi.functions import Compute, deploy_functions
from infra.pulumi.schedules import Schedules, deploy_schedules


@dataclass
class Deployment:
    data: DataPlane
    roles: dict[str, Any]
    service_roles: dict[str, Any]
    compute: Compute
    http: HttpApi
    schedules: Schedules
    alarms: dict[str, Any]


def function_environment(key: str, naming: Naming, config: StageConfig, api: Any) -> Any:
    """The manifest's ``resolve_env`` with the stage's values; ``MCP_SERVER_URL`` defaults to this
    stage's own API (an Output, hence the Output-valued environment)."""
    fn = manifest.FUNCTIONS[key]
    env = manifest.resolve_env(fn, naming, config.outside_values())
    to_api = [name for name, ref in fn.env.items()
              if isinstance(ref, manifest.Outside) and ref.name == "MCP_SERVER_URL" and name not in env]
    if to_api:
        return api.api_endpoint.apply(lambda endpoint: {**env, **dict.fromkeys(to_api, f"{endpoint}/mcp")})
    return env


def deploy(naming: Naming, config: StageConfig) -> Deployment:
    config.validate()
    data = deploy_data(naming, config)
    roles, policies = iam.function_roles(naming, data.secrets)
    service_roles = iam.service_roles(naming)
    api = create_api(naming)
    compute = deploy_functions(naming, config, data, roles, policies,
                               lambda key: function_environment(key, naming, config, api))
    http = deploy_routes(naming, config, api, compute.functions)
    schedules = deploy_schedules(naming, data, compute.functions, service_roles["scheduler-execution"])
    alarms = deploy_alarms(naming, data)
    return Deployment(data, roles, service_roles, compute, http, schedules, alarms)


def export_outputs(deployment: Deployment) -> None:
    """What CI's smoke test and a developer need after `pulumi up`."""
    pulumi.export("apiEndpoint", deployment.http.api.api_endpoint)
    pulumi.export("mcpUrl", deployment.http.api.api_endpoint.apply(lambda e: f"{e}/mcp"))
    pulumi.export("artifactBucket", deployment.compute.bucket.bucket)
    pulumi.export("functions", {k: f.arn for k, f in deployment.compute.functions.items()})
    pulumi.export("tables", {k: t.name for k, t in deployment.data.tables.items()})
    pulumi.export("topics", {k: t.arn for k, t in deployment.data.topics.items()})
    pulumi.export("queues", {k: q.url for k, q in deployment.data.queues.items()})
    pulumi.export("deadLetterQueues", {k: q.url for k, q in deployment.data.dlqs.items()})
    pulumi.export("secrets", {k: s.name for k, s in deployment.data.secrets.items()})
    pulumi.export("scheduleGroup", deployment.schedules.group.name)
    pulumi.export("schedulerExecutionRoleArn", deployment.service_roles["scheduler-execution"].arn)
