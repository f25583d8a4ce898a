"""Bedrock on-demand prices per model, and what a call costs.

Prices are USD per million tokens (AWS Bedrock on-demand, us-east-1). A model id is matched
after removing what does not change the price: an ARN prefix and a cross-region inference-profile
prefix (``us.``, ``eu.``, ``apac.``, ``global.``); an id without its version suffix (``-v1:0``)
matches too. Each model also carries Bedrock's output limit (``maxTokens``). A model that
is not in the table is priced like the most expensive one, with a warning, so the daily cap can
only be reached early, never overshot.

Costs are integers of nano-dollars (1e-9 USD): exact in DynamoDB ``ADD`` and in Python.
Prompt-cache reads and writes are priced as ordinary input tokens.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

logger = logging.getLogger(__name__)
NANOS_PER_USD = 1_000_000_000


@dataclass(frozen=True)
class Price:
    input_per_million: float
    output_per_million: float

    def cost_nanos(self, input_tokens: int, output_tokens: int) -> int:
        """Rounded up: a fraction of a nano-dollar still counts."""
        usd = (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1_000_000
        return math.ceil(usd * NANOS_PER_USD - 1e-6)


@dataclass(frozen=True)
class Model:
    price: Price
    max_output_tokens: int  # Bedrock's limit for inferenceConfig.maxTokens


#: Bedrock model id -> price and output limit. The Bedrock stand-in's catalog
#: (emulation/fakes/bedrock/models.py) lists the same ids and limits; a contract test checks it.
MODELS: dict[str, Model] = {
    "anthropic.claude-opus-4-1-20250805-v1:0": Model(Price(15.0, 75.0), 32_000),
    "anthropic.claude-opus-4-20250514-v1:0": Model(Price(15.0, 75.0), 32_000),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": Model(Price(3.0, 15.0), 64_000),
    "anthropic.claude-sonnet-4-20250514-v1:0": Model(Price(3.0, 15.0), 64_000),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": Model(Price(3.0, 15.0), 64_000),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": Model(Price(3.0, 15.0), 8_192),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": Model(Price(3.0, 15.0), 4_096),
    "anthropic.claude-haiku-4-5-20251001-v1:0": Model(Price(1.0, 5.0), 64_000),
    "anthropic.claude-3-5-haiku-20241022-v1:0": Model(Price(0.8, 4.0), 8_192),
    "anthropic.claude-3-haiku-20240307-v1:0": Model(Price(0.25, 1.25), 4_096),
    "amazon.nova-pro-v1:0": Model(Price(0.8, 3.2), 10_000),
    "amazon.nova-lite-v1:0": Model(Price(0.06, 0.24), 10_000),
    "amazon.nova-micro-v1:0": Model(Price(0.035, 0.14), 10_000),
    "meta.llama3-1-70b-instruct-v1:0": Model(Price(0.72, 0.72), 2_048),
    "meta.llama3-1-8b-instruct-v1:0": Model(Price(0.22, 0.22), 2_048),
    "mistral.mistral-large-2407-v1:0": Model(Price(2.0, 6.0), 8_192),
}
PRICES: dict[str, Price] = {model_id: model.price for model_id, model in MODELS.items()}
UNKNOWN_MODEL_PRICE = max(PRICES.values(), key=lambda p: p.output_per_million)

_PROFILE_PREFIX = re.compile(r"^(us|eu|apac|us-gov|global|jp|au|ca)\.")
_VERSION_SUFFIX = re.compile(r"(-v\d+)?(:\d+)?$")


def base_model(model_id: str) -> str:
    """``arn:...:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0`` -> ``anthropic.claude-sonnet-4-20250514-v1:0``."""
    tail = model_id.rsplit("/", 1)[-1]
    return _PROFILE_PREFIX.sub("", tail)


def model_for(model_id: str) -> Model | None:
    """The table entry of an id, profile or ARN; an id without its version suffix matches too."""
    model = base_model(model_id)
    if model in MODELS:
        return MODELS[model]
    for known, entry in MODELS.items():
        if _VERSION_SUFFIX.sub("", known) == _VERSION_SUFFIX.sub("", model):
            return entry
    return None


def price_for(model_id: str) -> Price:
    entry = model_for(model_id)
    if entry is not None:
        return entry.price
    logger.warning("no price known for model %s: using the most expensive price as a safe default", model_id)
    return UNKNOWN_MODEL_PRICE


def max_output_tokens(model_id: str) -> int | None:
    entry = model_for(model_id)
    return entry.max_output_tokens if entry is not None else None


def usd(nanos: int) -> float:
    return nanos / NANOS_PER_USD
