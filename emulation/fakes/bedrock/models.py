"""The model catalog of the Bedrock fake: which model ids Converse accepts and their output limits.

Bedrock refuses a model id it does not know (``ValidationException: The provided model
identifier is invalid.``) and a ``maxTokens`` above the model's output limit (``The maximum tokens
you requested exceeds the model limit of N. Try again with a maximum tokens value that is lower
than N.``); so does the fake. An id is accepted as Bedrock accepts it: the base model id
(``anthropic.claude-sonnet-4-20250514-v1:0``), a cross-region inference profile
(``us.``/``eu.``/``apac.``/``global.`` + the id) or either as an ARN.

The agent's price table (``services/agent/pricing.py``) lists the same models with the same
output limits; services cannot import the emulation, so a contract test holds the two together.

LIMITATIONS: a curated subset of the on-demand text models (the ones the agent can price); no
per-region availability, no "on-demand throughput isn't supported" for models that need a
profile, no provisioned-throughput or custom-model ARNs; the input context window is not checked.
"""

from __future__ import annotations

import re

#: Base model id -> maximum output tokens (Bedrock's limits for ``inferenceConfig.maxTokens``).
MAX_OUTPUT_TOKENS: dict[str, int] = {
    "anthropic.claude-opus-4-1-20250805-v1:0": 32_000,
    "anthropic.claude-opus-4-20250514-v1:0": 32_000,
    "anthropic.claude-sonnet-4-5-20250929-v1:0": 64_000,
    "anthropic.claude-sonnet-4-20250514-v1:0": 64_000,
    "anthropic.claude-3-7-sonnet-20250219-v1:0": 64_000,
    "anthropic.claude-3-5-sonnet-20241022-v2:0": 8_192,
    "anthropic.claude-3-5-sonnet-20240620-v1:0": 4_096,
    "anthropic.claude-haiku-4-5-20251001-v1:0": 64_000,
    "anthropic.claude-3-5-haiku-20241022-v1:0": 8_192,
    "anthropic.claude-3-haiku-20240307-v1:0": 4_096,
    "amazon.nova-pro-v1:0": 10_000,
    "amazon.nova-lite-v1:0": 10_000,
    "amazon.nova-micro-v1:0": 10_000,
    "meta.llama3-1-70b-instruct-v1:0": 2_048,
    "meta.llama3-1-8b-instruct-v1:0": 2_048,
    "mistral.mistral-large-2407-v1:0": 8_192,
}

_ARN = re.compile(r"^arn:aws[\w-]*:bedrock:[\w-]*:\d*:(foundation-model|inference-profile)/(?P<id>.+)$")
_PROFILE_PREFIX = re.compile(r"^(us|eu|apac|us-gov|global|jp|au|ca)\.")


def base_model_id(model_id: str) -> str:
    """``arn:...:inference-profile/us.anthropic.x-v1:0`` -> ``anthropic.x-v1:0`` (unchanged if unknown)."""
    match = _ARN.match(model_id)
    tail = match.group("id") if match else model_id
    return _PROFILE_PREFIX.sub("", tail)


def output_limit(model_id: str, known: dict[str, int | None]) -> tuple[bool, int | None]:
    """(is the id known, its output limit or None) against a catalog ``{id or ARN tail: limit}``."""
    for candidate in (model_id, model_id.rsplit("/", 1)[-1], base_model_id(model_id)):
        if candidate in known:
            return True, known[candidate]
    return False, None


def max_tokens_message(limit: int) -> str:
    return (f"The maximum tokens you requested exceeds the model limit of {limit}. "
            f"Try again with a maximum tokens value that is lower than {limit}.")
