"""The HTTP API: API Gateway v2, one Lambda proxy integration (payload 2.0) per function that has
routes, the JWT authorizer, the manifest's routes (``auth="jwt"`` behind the authorizer; ``"none"``
and ``"function"`` — the function checks its own credential — open at the gateway), the
``$default`` stage with auto-deploy and JSON access logs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import manifest
from infra.manifest import Naming
from infra.pulumi.config import StageConfig

# The access-log record of the original system (ORIGINAL_SYSTEM.md §4), plus latency and errors.
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod", "routeKey": "$context.routeKey", "status": "$context.status",
    "protocol": "$context.protocol", "responseLength": "$context.responseLength",
    "latency": "$context.responseLatency", "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}, separators=(",", ":"))
INTEGRATION_TIMEOUT_MS = 30_000  # API Gateway's ceiling for HTTP APIs


@dataclass
class HttpApi:
    api: Any = None
    log_group: Any = None
    stage: Any = None
    integrations: dict[str, Any] = field(default_factory=dict)  # by function key
    routes: dict[str, Any] = field(default_factory=dict)        # by route key
    authorizer: Any = None
    permissions: dict[str, Any] = field(default_factory=dict)   # by function key


def create_api(naming: Naming) -> Any:
    """The API alone: functions may need its endpoint (MCP_SERVER_URL) before routes need them."""
    return aws.apigatewayv2.Api("http-api", name=naming.name("api"), protocol_type="HTTP",
                                description="rez-agent HTTP API: web API, MCP server, agent")


def deploy_routes(naming: Naming, config: StageConfig, api: Any, functions: dict[str, Any]) -> HttpApi:
    http = HttpApi(api=api)
    http.log_group = aws.cloudwatch.LogGroup(
        "logs-http-api", name=f"/aws/apigateway/{naming.name('api')}", retention_in_days=config.log_retention_days)
    for key in dict.fromkeys(route.function for route in manifest.ROUTES):
        fn = functions[key]
        http.integrations[key] = aws.apigatewayv2.Integration(
            f"integration-{key}", api_id=api.id, integration_type="AWS_PROXY", integration_method="POST",
            integration_uri=fn.invoke_arn, payload_format_version="2.0",
            timeout_milliseconds=INTEGRATION_TIMEOUT_MS)
        # Only this API, any stage and route, may invoke the function.
        http.permissions[key] = aws.lambda_.Permission(
            f"allow-api-to-{key}", action="lambda:InvokeFunction", function=fn.name,
            principal="apigateway.amazonaws.com", source_arn=api.execution_arn.apply(lambda arn: f"{arn}/*/*"))
    http.authorizer = _authorizer(config, api)
    for route in manifest.ROUTES:
        integration = http.integrations[route.function]
        jwt = getattr(route, "auth", "none") == "jwt"
        if jwt and http.authorizer is None:
            raise ValueError(f"route {route.route_key!r} needs the JWT authorizer, and the manifest has none")
        http.routes[route.route_key] = aws.apigatewayv2.Route(
            f"route-{_slug(route.route_key)}", api_id=api.id, route_key=route.route_key,
            target=integration.id.apply(lambda i: f"integrations/{i}"),
            authorization_type="JWT" if jwt else "NONE",
            authorizer_id=http.authorizer.id if jwt else None)
    http.stage = aws.apigatewayv2.Stage(
        "stage-default", api_id=api.id, name="$default", auto_deploy=True,
        access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
            destination_arn=http.log_group.arn, format=ACCESS_LOG_FORMAT),
        opts=pulumi.ResourceOptions(depends_on=list(http.routes.values())))
    return http


def _authorizer(config: StageConfig, api: Any) -> Any:
    spec = getattr(manifest, "API_AUTHORIZER", None)
    if spec is None:
        return None
    outside = config.outside_values()
    return aws.apigatewayv2.Authorizer(
        f"authorizer-{spec.name}", api_id=api.id, name=spec.name, authorizer_type="JWT",
        identity_sources=[spec.identity_source],
        jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
            issuer=outside[spec.issuer.name], audiences=[outside[spec.audience.name]]))


def _slug(route_key: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in route_key.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return slug or "default"
