"""Bedrock on-demand prices per model, and what a call costs.

Prices are USD per million tokens (AWS Bedrock on-demand, us-east-1). A model id is matched
after removing what does not change the price: an ARN prefix, a cross-region inference-profile
prefix (``us.``, ``eu.``, ``apac.``, ``global.``) and the version suffix (``-v1:0``). A model that
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


PRICES: dict[str, Price] = {
    "anthropic.claude-opus-4-1-20250805": Price(15.0, 75.0),
    "anthropic.claude-opus-4-20250514": Price(15.0, 75.0),
    "anthropic.claude-sonnet-4-5-20250929": Price(3.0, 15.0),
    "anthropic.claude-sonnet-4-20250514": Price(3.0, 15.0),
    "anthropic.claude-3-7-sonnet-20250219": Price(3.0, 15.0),
    "anthropic.claude-3-5-sonnet-20241022": Price(3.0, 15.0),
    "anthropic.claude-3-5-sonnet-20240620": Price(3.0, 15.0),
    "anthropic.claude-haiku-4-5-20251001": Price(1.0, 5.0),
    "anthropic.claude-3-5-haiku-20241022": Price(0.8, 4.0),
    "anthropic.claude-3-haiku-20240307": Price(0.25, 1.25),
    "amazon.nova-pro-v1": Price(0.8, 3.2),
    "amazon.nova-lite-v1": Price(0.06, 0.24),
    "amazon.nova-micro-v1": Price(0.035, 0.14),
    "meta.llama3-1-70b-instruct": Price(0.72, 0.72),
    "meta.llama3-1-8b-instruct": Price(0.22, 0.22),
    "mistral.mistral-large-2407": Price(2.0, 6.0),
}
UNKNOWN_MODEL_PRICE = max(PRICES.values(), key=lambda p: p.output_per_million)

_PROFILE_PREFIX = re.compile(r"^(us|eu|apac|us-gov|global|jp|au|ca)\.")
_VERSION_SUFFIX = re.compile(r"(-v\d+)?(:\d+)?$")


def base_model(model_id: str) -> str:
    """``arn:...:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0`` -> ``anthropic.claude-sonnet-4-20250514``."""
    tail = model_id.rsplit("/", 1)[-1]
    return _PROFILE_PREFIX.sub("", tail)


def price_for(model_id: str) -> Price:
    model = base_model(model_id)
    for candidate in (model, _VERSION_SUFFIX.sub("", model)):
        if candidate in PRICES:
            return PRICES[candidate]
    for known, price in PRICES.items():  # "amazon.nova-lite-v1:0" keeps its -v1 in the table key
        if model.startswith(known):
            return price
    logger.warning("no price known for model %s: using the most expensive price as a safe default", model_id)
    return UNKNOWN_MODEL_PRICE


def usd(nanos: int) -> float:
    return nanos / NANOS_PER_USD
