"""``rez``: run and drive the local platform.

    rez up                      the whole stack in the foreground (Ctrl-C stops it)
    rez send "hello"            POST a notify message to the HTTP API
    rez clock [show|freeze|unfreeze|advance 2h]
    rez logs <function> [--follow]
    rez demo list | rez demo run NAME      recorded demos (``rez record NAME`` records one)
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import typer
from rich.console import Console

from emulation.config import DEFAULT_PORTS, StackConfig, port_env_var

app = typer.Typer(add_completion=False, no_args_is_help=True, help="rez-agent local platform")
console = Console(soft_wrap=True)


def _control_url() -> str:
    import os

    return f"http://127.0.0.1:{os.environ.get(port_env_var('control'), DEFAULT_PORTS['control'])}"


def _api_url() -> str:
    import os

    return f"http://127.0.0.1:{os.environ.get(port_env_var('api'), DEFAULT_PORTS['api'])}"


def _issuer() -> str:
    import os

    return f"http://127.0.0.1:{os.environ.get(port_env_var('identity'), DEFAULT_PORTS['identity'])}/identityapi"


def _call(method: str, url: str, **kwargs) -> dict:
    if url.startswith(_api_url()):
        from emulation.auth import PasswordGrantAuth

        kwargs.setdefault("auth", PasswordGrantAuth(_issuer()))
    try:
        response = httpx.request(method, url, timeout=60, **kwargs)
    except httpx.ConnectError:
        console.print(f"[red]Nothing answers at {url}. Is the stack up (`make up`)?[/red]")
        raise typer.Exit(2) from None
    if response.status_code >= 400:
        console.print(f"[red]{response.status_code}[/red] {response.text}")
        raise typer.Exit(1)
    return response.json()


@app.command()
def up(
    stage: str = typer.Option("dev", help="Stage whose resource names to use (dev, stage, prod)."),
    api_port: int = typer.Option(None, help=f"HTTP API port (default {DEFAULT_PORTS['api']}, env REZ_PORT_API)."),
    aws_port: int = typer.Option(None, help=f"AWS endpoint port (default {DEFAULT_PORTS['aws']}, env REZ_PORT_AWS)."),
    frozen: bool = typer.Option(False, help="Start with the platform clock frozen (advance it with `rez clock`)."),
    state_dir: Path = typer.Option(Path(".rez"), help="Where logs are written."),
) -> None:
    """Start the complete local stack in the foreground."""
    from emulation.runtime.servers import PortInUseError
    from emulation.stack import Stack

    config = StackConfig.from_env(stage=stage, state_dir=state_dir, ntfy_topic=f"rez-agent-{stage}")
    if api_port is not None:
        config.ports["api"] = api_port
    if aws_port is not None:
        config.ports["aws"] = aws_port
    if frozen:
        from datetime import UTC, datetime

        config.frozen_at = datetime.now(UTC).replace(microsecond=0)
    stack = Stack(config)
    started = time.perf_counter()
    with console.status("Starting the local stack..."):
        try:
            urls = stack.start()
        except PortInUseError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    console.print(f"[green]rez-agent is up[/green] in {time.perf_counter() - started:.1f}s (stage {stage}).")
    console.print(f"  HTTP API       {urls.api}")
    console.print(f"  AWS endpoint   {urls.aws}   (AWS_ENDPOINT_URL={urls.aws} AWS_ACCESS_KEY_ID=test ...)")
    console.print(f"  ntfy inbox     {urls.ntfy}/   (poll: {urls.ntfy_topic_url}/json?poll=1)")
    for name, origin in urls.fakes.items():
        if name not in ("ntfy", "identity"):
            console.print(f"  {name:<14} {origin}")
    console.print(f"  agent page     {urls.api}/agent/ui   (open {urls.api}/agent/ui#token=$(.venv/bin/rez token))")
    console.print(f"  control API    {urls.control}/_rez/health   logs: {state_dir}/logs/")
    example = json.dumps({"message_type": "notify",
                          "payload": {"message": "hi", "title": "T", "priority": 4, "tags": ["golf"]}})
    console.print(f"  identity       {urls.fakes['identity']}/identityapi   (demo user golfer@example.com / "
                  "fairway-2025)")
    console.print("\nTry:\n  TOKEN=$(.venv/bin/rez token)\n  curl -s -X POST " + urls.api + "/api/messages "
                  "-H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' "
                  f"-d '{example}'")
    console.print(f"  curl -s {urls.ntfy_topic_url}/json?poll=1\n\nCtrl-C stops everything.")
    done = threading.Event()

    def _stop(*_):
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    done.wait()
    with console.status("Stopping..."):
        stack.stop()
    console.print("Stopped.")


@app.command()
def token() -> None:
    """Print a user token for the HTTP API (password grant; REZ_USERNAME/REZ_PASSWORD or the demo user)."""
    from emulation.auth import PasswordGrantAuth

    try:
        print(PasswordGrantAuth(_issuer()).token())
    except httpx.ConnectError:
        console.print(f"[red]Nothing answers at {_issuer()}. Is the stack up (`make up`)?[/red]")
        raise typer.Exit(2) from None


@app.command()
def send(message: str, title: str = typer.Option(None), priority: int = typer.Option(None),
         tags: str = typer.Option(None, help="Comma-separated tags.")) -> None:
    """Send a notify message through the HTTP API."""
    payload: dict = {"message": message}
    if title:
        payload["title"] = title
    if priority:
        payload["priority"] = priority
    if tags:
        payload["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
    result = _call("POST", f"{_api_url()}/api/messages", json={"message_type": "notify", "payload": payload})
    console.print_json(data=result)


@app.command()
def clock(action: str = typer.Argument("show", help="show | freeze | unfreeze | advance"),
          amount: str = typer.Argument(None, help="For advance: 90s, 15m, 2h, 3d. For freeze: an ISO time.")) -> None:
    """Show, freeze, unfreeze or advance the platform clock."""
    base = f"{_control_url()}/_rez/clock"
    if action == "show":
        result = _call("GET", base)
    elif action == "freeze":
        result = _call("POST", f"{base}/freeze", json={"at": amount} if amount else {})
    elif action == "unfreeze":
        result = _call("POST", f"{base}/unfreeze")
    elif action == "advance":
        if not amount:
            console.print("[red]advance needs an amount, e.g. `rez clock advance 2h`[/red]")
            raise typer.Exit(2)
        result = _call("POST", f"{base}/advance", json={"by": amount})
    else:
        console.print(f"[red]unknown action {action!r}[/red]")
        raise typer.Exit(2)
    console.print_json(data=result)


@app.command()
def logs(function: str = typer.Argument(None, help="Function key (webapi, processor, ...); all when omitted."),
         follow: bool = typer.Option(False, "--follow", "-f")) -> None:
    """Print a function's logs."""
    url = f"{_control_url()}/_rez/logs" + (f"/{function}" if function else "")
    after = 0
    while True:
        for line in _call("GET", url, params={"after": after})["lines"]:
            prefix = "" if function else f"[{line['function']}] "
            console.print(f"{line['time']} {prefix}{line['text']}", markup=False, highlight=False)
            after = line["seq"]
        if not follow:
            return
        time.sleep(0.5)


@app.command()
def trace(key: str = typer.Argument(None, help="A message id or a trace id; the recent traces when omitted."),
          as_json: bool = typer.Option(False, "--json", help="Print the hops as JSON.")) -> None:
    """Print a request's path through the stack and its Mermaid sequence diagram."""
    if not key:
        for entry in _call("GET", f"{_control_url()}/_rez/traces")["traces"]:
            console.print(f"{entry['trace_id']}  {entry['hops']:3d} hops  {', '.join(entry['message_ids'])}  "
                          f"{entry['entry']}", markup=False, highlight=False)
        return
    found = _call("GET", f"{_control_url()}/_rez/traces/{key}")
    if as_json:
        console.print_json(data=found)
        return
    console.print(f"trace {found['trace_id']}  messages: {', '.join(found['message_ids'])}", markup=False)
    for hop in found["hops"]:
        flag = f"  !! {hop['detail']['error']}" if hop["detail"].get("error") else ""
        console.print(f"  {hop['source']} -> {hop['target']}: {hop['label']}{flag}", markup=False, highlight=False)
    console.print("\n```mermaid\n" + found["mermaid"] + "\n```", markup=False, highlight=False)


@app.command()
def dlq(action: str = typer.Argument("list", help="list | show | redrive"),
        queue: str = typer.Argument(None, help="Queue key: notifications, web-actions, schedule-creation, ...")) -> None:
    """Dead-letter queues: list them, show what waits in one, redrive it to its source queue."""
    base = f"{_api_url()}/api/dlq"
    if action == "list":
        for row in _call("GET", base)["queues"]:
            console.print(f"{row['queue']:<20} {row['messages']:>5} message(s)   {row['dlq']}", markup=False)
    elif action in ("show", "redrive") and queue:
        if action == "show":
            console.print_json(data=_call("GET", f"{base}/{queue}"))
        else:
            console.print_json(data=_call("POST", f"{base}/{queue}/redrive"))
    else:
        console.print("[red]usage: rez dlq list | rez dlq show <queue> | rez dlq redrive <queue>[/red]")
        raise typer.Exit(2)


@app.command(name="mcp-stdio", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def mcp_stdio(ctx: typer.Context) -> None:
    """A stdio bridge to the MCP server, for desktop MCP clients (MCP_SERVER_URL, MCP_API_KEY)."""
    import os

    from emulation.mcp_stdio import main as bridge

    url = os.environ.get("MCP_SERVER_URL") or f"{_api_url()}/mcp"
    args = list(ctx.args)
    if not os.environ.get("MCP_API_KEY") and "--api-key" not in args and "MCP_SERVER_URL" not in os.environ:
        args += ["--api-key", _local_mcp_api_key()]
    raise typer.Exit(bridge(["--url", url, *args]))


def _local_mcp_api_key() -> str:
    """The local stack's MCP key, read from its Secrets Manager as any AWS client would."""
    import os

    import boto3

    port = os.environ.get(port_env_var("aws"), DEFAULT_PORTS["aws"])
    client = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    from infra.manifest import Naming

    secret = client.get_secret_value(SecretId=Naming(stage=os.environ.get("STAGE", "dev")).secret("mcp-api-key"))
    return json.loads(secret["SecretString"])["api_key"]


from emulation.demos.commands import demo_app, record  # noqa: E402 - registered after the core commands

app.add_typer(demo_app, name="demo")
app.command()(record)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
