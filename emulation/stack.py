"""The complete local stack: emulator, provisioned manifest, fakes, functions, event plane.

``Stack(config).start()`` brings everything up and returns the URLs; ``stop()`` takes it down in
reverse order and leaves no process behind. ``make up`` and every e2e test use this same class.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulation.backends import create_backend
from emulation.backends.base import AwsEndpoint, Backend, EndpointClients
from emulation.backends.supervisor import BackendSupervisor
from emulation.config import PORT_DESCRIPTIONS, StackConfig, port_env_var
from emulation.fakes.ntfy import create_ntfy_app
from emulation.provision import Provisioned, provision
from emulation.runtime.authorizer import JwtAuthorizer
from emulation.runtime.clock import PlatformClock
from emulation.runtime.control import create_control_app
from emulation.runtime.functions import FunctionRunner, FunctionSpec
from emulation.runtime.gateway import HttpApiGateway
from emulation.runtime.logs import FunctionLogs
from emulation.runtime.pollers import PollerSpec, SqsPoller
from emulation.runtime.servers import PortInUseError, ServerThread, reserve
from emulation.runtime.traces import TraceStore
from infra import manifest
from infra.manifest import Naming

logger = logging.getLogger(__name__)


@dataclass
class StackUrls:
    api: str = ""
    aws: str = ""
    control: str = ""
    ntfy: str = ""
    ntfy_topic_url: str = ""
    fakes: dict[str, str] = field(default_factory=dict)


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.naming = Naming(stage=config.stage, account=config.account, region=config.region)
        self.clock = PlatformClock(frozen_at=config.frozen_at)
        self.logs = FunctionLogs(Path(config.state_dir) / "logs")
        self.urls = StackUrls()
        self.access_log: list[dict[str, Any]] = []
        self.traces = TraceStore()
        # Machine clients of the MCP server (the agent, desktop clients) present this as x-api-key.
        import secrets

        self.mcp_api_key = secrets.token_urlsafe(24)
        self.backend: Backend | None = None
        self.runner: FunctionRunner | None = None
        self.pollers: list[SqsPoller] = []
        self.provisioned: Provisioned | None = None
        self.session: EndpointClients | None = None
        self._servers: list[ServerThread] = []
        self._fake_apps: dict[str, Any] = {}
        self.supervisor: BackendSupervisor | None = None
        self._bridges: dict[tuple[str, str], tuple[str, str]] = {}  # (topic, function) -> (queue url, subscription ARN)

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> StackUrls:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self.urls

    def _start(self) -> None:
        sockets = {name: reserve(port, PORT_DESCRIPTIONS[name], port_env_var(name))
                   for name, port in self.config.ports.items() if name != "aws"}
        # Known before the functions start: the agent reaches the MCP server through the HTTP API.
        self.urls.api = f"http://127.0.0.1:{sockets['api'].getsockname()[1]}"
        self.urls.control = f"http://127.0.0.1:{sockets['control'].getsockname()[1]}"
        try:
            aws_socket = reserve(self.config.ports["aws"], PORT_DESCRIPTIONS["aws"], port_env_var("aws"))
            aws_port = aws_socket.getsockname()[1]
            aws_socket.close()  # the backend binds it itself, a moment later
        except PortInUseError:
            if self.config.target != "localstack":
                raise
            aws_port = self.config.ports["aws"]  # a LocalStack already running there (docker compose)
        self.clock.start()
        self.backend = create_backend(self.config.target, port=aws_port, region=self.config.region,
                                      state_dir=Path(self.config.state_dir), account=self.config.account)
        endpoint = self.backend.start()
        self.urls.aws = endpoint.url or ""
        self._start_fakes(sockets)
        self.session = EndpointClients(endpoint)
        self._provision_data_plane()
        self.runner = FunctionRunner(self._function_specs(endpoint), self._base_env(endpoint), self.clock,
                                     self.logs, concurrency=self.config.function_concurrency)
        self.runner.on_send = self.traces.link_body
        self.runner.warm()
        api_port = sockets["api"].getsockname()[1]
        authorizer = JwtAuthorizer(self.outside_values()["API_JWT_ISSUER"], self.config.api_audience, self.clock)
        gateway = HttpApiGateway([(r.route_key, r.function, r.auth) for r in manifest.ROUTES], self.runner, self.clock,
                                 api_id="localapi", account=self.config.account,
                                 domain="localapi.execute-api.localhost", access_log=self.access_log.append,
                                 traces=self.traces, authorizer=authorizer,
                                 hosts=tuple(f"{name}:{api_port}" for name in ("127.0.0.1", "localhost")))
        self._serve("api", gateway, sockets)
        self._serve("control", create_control_app(self), sockets)
        self.urls.api = self._servers[-2].origin
        self.urls.control = self._servers[-1].origin
        self._start_pollers()
        self._start_operations()
        self._start_time_driven()
        if BackendSupervisor.supports(self.backend):
            self.supervisor = BackendSupervisor(self.backend, on_restarted=self._provision_data_plane).start()

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None
        self._stop_time_driven()
        for part in (getattr(self, "alarms", None), getattr(self, "metrics", None)):
            if part is not None:
                part.stop()
        for poller in self.pollers:
            poller.stop()
        self.pollers.clear()
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()
        if self.runner:
            self.runner.stop()
        if self.backend:
            self.backend.stop()
        self.clock.stop()

    def _provision_data_plane(self) -> None:
        """Every resource of the manifest, and the platform's own (SNS -> Lambda bridges, the static
        schedules): at start, and again when the supervisor has restarted a dead emulator."""
        from emulation.runtime.schedule_engine import ensure_static_schedules
        from emulation.runtime.sns_lambda import bridge_queue_name, create_bridge

        assert self.session
        self.provisioned = provision(self.session, self.naming, self.secret_values())
        sqs, sns = self.session.client("sqs"), self.session.client("sns")
        for sub in manifest.TOPIC_FUNCTION_SUBSCRIPTIONS:
            name = bridge_queue_name(self.naming.topic(sub.topic), self.naming.function(sub.function))
            self._bridges[(sub.topic, sub.function)] = create_bridge(
                sqs, sns, self.provisioned.topic_arns[sub.topic], name, self.config.region, self.config.account)
        ensure_static_schedules(self.session.client("scheduler"), self.naming)

    # --- parts ---------------------------------------------------------------------------------
    def _serve(self, name: str, app: Any, sockets: dict) -> ServerThread:
        return self._serve_socket(name, app, sockets.pop(name))

    def _serve_socket(self, name: str, app: Any, sock: Any) -> ServerThread:
        server = ServerThread(app, sock, name).start()
        self._servers.append(server)
        return server

    def _start_fakes(self, sockets: dict) -> None:
        from emulation.fakes.bedrock import create_bedrock_app, make_backend
        from emulation.fakes.golf import create_course_origin_app
        from emulation.fakes.golf_teesheet import BIRDSFOOT, TOTTERIDGE
        from emulation.fakes.identity import create_identity_app
        from emulation.fakes.weather import create_weather_app

        factories = {
            "ntfy": lambda origin: create_ntfy_app(self.clock),
            "birdsfoot": lambda origin: create_course_origin_app(BIRDSFOOT, clock=self.clock, public_origin=origin),
            "totteridge": lambda origin: create_course_origin_app(TOTTERIDGE, clock=self.clock,
                                                                  public_origin=origin),
            "weather": lambda origin: create_weather_app(self.clock, public_origin=origin),
            "identity": lambda origin: create_identity_app(public_origin=origin, clock=self.clock,
                                                           audience=self.config.api_audience),
            "bedrock": lambda origin: create_bedrock_app(make_backend(self.config.bedrock_backend,
                                                                      **self.config.bedrock_options)),
        }
        for name, factory in factories.items():
            sock = sockets.pop(name)
            app = factory(f"http://127.0.0.1:{sock.getsockname()[1]}")
            self._fake_apps[name] = app
            self.urls.fakes[name] = self._serve_socket(name, app, sock).origin
        for name, participant in (("ntfy", "ntfy"), ("birdsfoot", "Golf Course API"),
                                  ("totteridge", "Golf Course API"), ("weather", "NOAA Weather"),
                                  ("bedrock", "Bedrock")):
            self.traces.set_origin_name(self.urls.fakes[name], participant)
        # Functions reach the MCP server through the HTTP API (the agent's tools).
        self.traces.set_origin_name(self.urls.api, "MCP Server")
        self.urls.ntfy = self.urls.fakes["ntfy"]
        self.urls.ntfy_topic_url = f"{self.urls.ntfy}/{self.config.ntfy_topic}"
        for name in list(sockets):
            if name not in ("api", "control"):
                sockets.pop(name).close()  # a fake of a later issue: port reserved, not served yet

    def secret_values(self) -> dict[str, dict[str, str]]:
        """The fakes' credentials, provisioned into the emulator's Secrets Manager."""
        from emulation.fakes.identity import DEFAULT_USERS

        golfer = DEFAULT_USERS[0]
        return {"golf": {"username": golfer.username, "password": golfer.password},
                "mcp-api-key": {"api_key": self.mcp_api_key}}

    def outside_values(self) -> dict[str, str]:
        """Target-specific environment values (``Outside`` in the manifest): here, the fakes."""
        return {
            "STAGE": self.config.stage, "LOG_LEVEL": self.config.log_level,
            "NTFY_URL": self.urls.ntfy_topic_url,
            "NTFY_BACKOFF_SECONDS": str(self.config.ntfy_backoff_seconds),
            "HTTP_BACKOFF_SECONDS": str(self.config.http_backoff_seconds),
            "GOLF_ORIGINS": json.dumps({"1": self.urls.fakes["birdsfoot"], "2": self.urls.fakes["totteridge"]}),
            "GOLF_JWT_AUDIENCE": "onlinereservation",
            "MCP_SERVER_URL": f"{self.urls.api}/mcp",
            "API_JWT_ISSUER": f"{self.urls.fakes['identity']}/identityapi",
            "API_JWT_AUDIENCE": self.config.api_audience,
            "BEDROCK_MODEL_ID": "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "AGENT_DAILY_CAP_USD": str(self.config.agent_daily_cap_usd),
            "WEATHER_BASE_URL": self.urls.fakes["weather"],
            # The fakes are reachable only as these exact configured origins; the SSRF guard stays on.
            "SSRF_TRUSTED_ORIGINS": ",".join(self.urls.fakes[n] for n in ("birdsfoot", "totteridge", "weather")),
        }

    def _base_env(self, endpoint: AwsEndpoint) -> dict[str, str]:
        import os

        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")}
        # Bedrock Runtime is answered by a fake; the Lambda API (event source mappings) by the platform,
        # which runs the pollers. Every other service by the data-plane backend.
        return {**keep, **endpoint.environment(),
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.urls.fakes["bedrock"],
                "AWS_ENDPOINT_URL_LAMBDA": self.urls.control}

    def _function_specs(self, endpoint: AwsEndpoint) -> dict[str, FunctionSpec]:
        outside = self.outside_values()
        return {
            key: FunctionSpec(key=key, name=self.naming.function(key), arn=self.naming.function_arn(key),
                              handler=fn.handler, memory=fn.memory, timeout=fn.timeout,
                              env=manifest.resolve_env(fn, self.naming, outside))
            for key, fn in manifest.FUNCTIONS.items()
        }

    def _start_pollers(self) -> None:
        assert self.runner and self.provisioned and self.session
        sqs = self.session.client("sqs")
        for mapping in manifest.EVENT_SOURCE_MAPPINGS:
            queue = manifest.QUEUES[mapping.queue]
            name = self.naming.queue(mapping.queue)
            spec = PollerSpec(function=mapping.function, queue_url=self.provisioned.queue_urls[name],
                              queue_arn=self.naming.queue_arn(name), batch_size=mapping.batch_size,
                              report_batch_item_failures=mapping.report_batch_item_failures,
                              visibility_timeout=queue.visibility_timeout, region=self.config.region,
                              concurrency=self.config.poller_concurrency)
            poller = SqsPoller(spec, sqs, self.runner, self.clock, self.traces)
            poller.start()
            self.pollers.append(poller)

    def _start_time_driven(self) -> None:
        """Event sources driven by the platform clock: the schedule engine and the TTL sweeper."""
        from emulation.runtime.schedule_engine import ScheduleEngine
        from emulation.runtime.schedule_targets import TargetDelivery
        from emulation.runtime.ttl_sweeper import TtlSweeper, manifest_tables

        assert self.runner and self.session
        self._time_driven: list[Any] = []
        scheduler = self.session.client("scheduler")  # the daily scheduler fires like any schedule
        delivery = TargetDelivery(self.clock, runner=self.runner, sqs=self.session.client("sqs"),
                                  sns=self.session.client("sns"), region=self.config.region,
                                  account=self.config.account, traces=getattr(self, "traces", None))
        self.schedule_engine = ScheduleEngine(self.clock, scheduler, delivery)
        self.ttl_sweeper = TtlSweeper(self.clock, self.session.client("dynamodb"), manifest_tables(self.naming))
        for part in (self.schedule_engine, self.ttl_sweeper):
            part.start()
            self._time_driven.append(part)

    def _start_operations(self) -> None:
        """CloudWatch metrics and alarm evaluation, and the SNS -> Lambda subscriptions (alerts)."""
        from emulation.runtime.alarms import AlarmEvaluator
        from emulation.runtime.metrics import MetricsPublisher
        from emulation.runtime.sns_lambda import BRIDGE_VISIBILITY, MAX_ATTEMPTS, bridge_queue_name

        assert self.runner and self.provisioned and self.session
        sqs, sns, cloudwatch = (self.session.client(n) for n in ("sqs", "sns", "cloudwatch"))
        self.metrics = MetricsPublisher(cloudwatch, sqs, self.clock,
                                        {k: s.name for k, s in self.runner.specs.items()},
                                        dict(self.provisioned.queue_urls))
        self.metrics.start()
        self.runner.add_listener(self.metrics.on_invocation)
        self.alarms = AlarmEvaluator(cloudwatch, sns, self.clock, self.metrics, self.config.region,
                                     self.config.account, sqs=sqs, queue_urls=dict(self.provisioned.queue_urls),
                                     traces=self.traces)
        self.alarms.start()
        for sub in manifest.TOPIC_FUNCTION_SUBSCRIPTIONS:
            name = bridge_queue_name(self.naming.topic(sub.topic), self.naming.function(sub.function))
            url, subscription_arn = self._bridges[(sub.topic, sub.function)]
            spec = PollerSpec(function=sub.function, queue_url=url, queue_arn=self.naming.queue_arn(name),
                              batch_size=1, report_batch_item_failures=False, visibility_timeout=BRIDGE_VISIBILITY,
                              region=self.config.region, concurrency=1,
                              sns_subscription_arn=subscription_arn,
                              max_attempts=MAX_ATTEMPTS)
            poller = SqsPoller(spec, sqs, self.runner, self.clock, self.traces)
            poller.start()
            self.pollers.append(poller)

    def _stop_time_driven(self) -> None:
        for part in reversed(getattr(self, "_time_driven", [])):
            part.stop()
        self._time_driven = []

    def fake(self, name: str) -> Any:
        return self._fake_apps[name]
