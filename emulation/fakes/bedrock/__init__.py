"""Local Bedrock Runtime (Converse) endpoint with scripted, intent, Ollama and OpenAI backends.

``create_bedrock_app(make_backend("intent"))`` gives a Starlette app; serve it with uvicorn on
127.0.0.1 and set ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` so boto3 / ``ChatBedrockConverse`` use it.
See ``app.py`` for routes, ``backends/`` for the backends and their LIMITATIONS.
"""

from __future__ import annotations

from .app import create_bedrock_app
from .backends import BACKENDS, Backend, make_backend

__all__ = ["BACKENDS", "Backend", "create_bedrock_app", "make_backend"]
