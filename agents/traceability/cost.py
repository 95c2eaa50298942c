"""Turning model usage into money: a price table in USD per million tokens, per model id.

The built-in prices are list prices checked in 2025 for the models this project is likely to
use (Bedrock and OpenAI). Prices change, so `NETOPS_TRACE_PRICES` overrides or extends them;
an unknown model gets no cost at all (never a made-up zero), and the step says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million input and per million output tokens."""

    input_per_million: float
    output_per_million: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1_000_000


DEFAULT_PRICES: dict[str, ModelPrice] = {
    "anthropic.claude-3-5-sonnet": ModelPrice(3.0, 15.0),
    "anthropic.claude-3-7-sonnet": ModelPrice(3.0, 15.0),
    "anthropic.claude-sonnet-4": ModelPrice(3.0, 15.0),
    "anthropic.claude-3-5-haiku": ModelPrice(0.8, 4.0),
    "anthropic.claude-3-haiku": ModelPrice(0.25, 1.25),
    "amazon.nova-pro": ModelPrice(0.8, 3.2),
    "amazon.nova-lite": ModelPrice(0.06, 0.24),
    "amazon.nova-micro": ModelPrice(0.035, 0.14),
    "gpt-4o-mini": ModelPrice(0.15, 0.6),
    "gpt-4o": ModelPrice(2.5, 10.0),
    "gpt-4.1-mini": ModelPrice(0.4, 1.6),
    "gpt-4.1": ModelPrice(2.0, 8.0),
}

# Bedrock cross-region inference profiles prefix the model id with a geography.
_REGION_PREFIXES = ("us.", "eu.", "apac.", "global.")


class PriceTable:
    """Looks a model id up exactly, then without a Bedrock geography prefix, then by longest prefix.

    The prefix match lets `anthropic.claude-3-5-sonnet-20240620-v1:0` find
    `anthropic.claude-3-5-sonnet` without listing every dated version.
    """

    __slots__ = ("_by_length", "_prices")

    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self._prices = dict(prices)
        self._by_length = sorted(self._prices, key=len, reverse=True)

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, Any] | None) -> PriceTable:
        """The defaults updated with `overrides` ({model: {"input": usd, "output": usd}} per million)."""
        prices = dict(DEFAULT_PRICES)
        for model, price in (overrides or {}).items():
            prices[model] = parse_price(model, price)
        return cls(prices)

    def price(self, model: str | None) -> ModelPrice | None:
        if not model:
            return None
        if model in self._prices:
            return self._prices[model]
        bare = model
        for prefix in _REGION_PREFIXES:
            if bare.startswith(prefix):
                bare = bare[len(prefix) :]
                break
        if bare in self._prices:
            return self._prices[bare]
        for known in self._by_length:
            if bare.startswith(known):
                return self._prices[known]
        return None

    def cost(self, model: str | None, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """The usage's cost in USD, or None when the model has no price (unknown, not free)."""
        price = self.price(model)
        if price is None or (input_tokens is None and output_tokens is None):
            return None
        return price.cost(input_tokens or 0, output_tokens or 0)


def parse_price(model: str, value: Any) -> ModelPrice:
    """`{"input": 3, "output": 15}` or `[3, 15]` (USD per million tokens); raises ValueError naming the model."""
    try:
        if isinstance(value, Mapping):
            price = ModelPrice(float(value["input"]), float(value["output"]))
        elif isinstance(value, (list, tuple)) and len(value) == 2:
            price = ModelPrice(float(value[0]), float(value[1]))
        else:
            raise TypeError
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f'price for model {model!r} must be {{"input": USD, "output": USD}} per million tokens'
        ) from None
    if price.input_per_million < 0 or price.output_per_million < 0:
        raise ValueError(f"price for model {model!r} must not be negative")
    return price


DEFAULT_PRICE_TABLE = PriceTable(DEFAULT_PRICES)
