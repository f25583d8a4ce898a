"""Converse backends and the one switch that selects them.

``make_backend(name, **options)``:

* ``"scripted"`` — :class:`~.scripted.ScriptedBackend`; options ``scenarios`` (files and/or
  directories of scenario JSON, default ``fixtures/llm``) and ``default`` (scenario name).
* ``"intent"`` — :class:`~.intent.IntentBackend`; options ``courses`` (alias → course name) and
  ``timezone`` (IANA name used in created schedules, default ``America/New_York``).
* ``"ollama"`` — :class:`~.ollama.OllamaBackend`; options ``host`` (default
  ``http://127.0.0.1:11434``), ``model`` (default ``qwen2.5:1.5b``), ``timeout`` (s),
  ``salvage_tool_calls``, ``answer_after_tool``.
* ``"openai"`` — :class:`~.openai.OpenAIBackend`; options ``base_url`` (default
  ``http://127.0.0.1:8080/v1``), ``model`` (default ``local``), ``api_key``, ``timeout``,
  ``salvage_tool_calls``, ``answer_after_tool``.
* ``"local"`` — :class:`~.local.LocalBackend`: the model installed by ``make llm``, served by a
  ``llama_cpp.server`` child process started on first use; options ``base_url`` (use a server
  already running instead), ``timeout``, ``temperature``, ``threads``, ``n_ctx``. Not installed →
  ``FileNotFoundError`` naming ``make llm``.
* ``"aws"`` — :class:`~.aws.AwsBackend`: pass-through to the real Amazon Bedrock (needs AWS
  credentials; for ``make eval-agent``); options ``model`` (required), ``region``, ``profile``.

Unknown names raise ``ValueError`` at start-up, so a typo is loud.
"""

from __future__ import annotations

from typing import Any

from .base import Backend, ScenarioBackend

BACKENDS = ("scripted", "intent", "ollama", "openai", "local", "aws")


def make_backend(name: str, **options: Any) -> Backend:
    """Instantiate the backend called ``name`` (imports are lazy; unused backends cost nothing)."""
    if name == "scripted":
        from .scripted import ScriptedBackend

        return ScriptedBackend.from_paths(options.pop("scenarios", None), **options)
    if name == "intent":
        from .intent import IntentBackend

        return IntentBackend(**options)
    if name == "ollama":
        from .ollama import OllamaBackend

        return OllamaBackend(**options)
    if name == "openai":
        from .openai import OpenAIBackend

        return OpenAIBackend(**options)
    if name == "local":
        from .local import LocalBackend

        return LocalBackend(**options)
    if name == "aws":
        from .aws import AwsBackend

        return AwsBackend(**options)
    raise ValueError(f"unknown Bedrock fake backend {name!r}; choose one of {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Backend", "ScenarioBackend", "make_backend"]
