"""Serve the Bedrock fake on its own: ``python -m emulation.fakes.bedrock --backend intent``.

Then ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:8099`` (plus dummy AWS credentials)
sends any boto3 / ChatBedrockConverse traffic to it. Backend options are ``--option key=value``
(values parsed as JSON when possible), e.g. ``--backend ollama --option model='"qwen2.5:1.5b"'``.
The backend is probed at start-up and a loud warning is printed when its model is unreachable.
"""

from __future__ import annotations

import argparse
import json
import sys

import uvicorn

from . import BACKENDS, create_bedrock_app, make_backend


def _option(raw: str) -> tuple[str, object]:
    key, _, value = raw.partition("=")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulation.fakes.bedrock", description=__doc__)
    parser.add_argument("--backend", choices=BACKENDS, default="intent")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--option", action="append", default=[], type=_option, metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    backend = make_backend(args.backend, **dict(args.option))
    status = backend.describe()
    if not status.get("ok"):
        print(f"WARNING: Bedrock fake backend {args.backend!r} is not usable: {status}", file=sys.stderr)
    uvicorn.run(create_bedrock_app(backend), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
