"""The price table: exact ids, dated versions, Bedrock geography prefixes, unknown models, overrides."""

from __future__ import annotations

import pytest

from agents.traceability.cost import ModelPrice, PriceTable, parse_price

TABLE = PriceTable({"anthropic.claude-3-5-sonnet": ModelPrice(3.0, 15.0), "gpt-4o": ModelPrice(2.5, 10.0)})


def test_cost_is_usd_per_million_tokens_in_and_out():
    assert TABLE.cost("gpt-4o", 1_000_000, 1_000_000) == pytest.approx(12.5)


def test_a_dated_bedrock_model_id_with_a_geography_prefix_finds_its_family():
    assert TABLE.price("us.anthropic.claude-3-5-sonnet-20240620-v1:0") == ModelPrice(3.0, 15.0)


def test_an_unknown_model_has_no_cost_rather_than_zero():
    assert TABLE.cost("local-llama", 10, 10) is None


def test_zero_tokens_cost_zero():
    assert TABLE.cost("gpt-4o", 0, 0) == 0.0


def test_overrides_replace_defaults_and_add_models():
    table = PriceTable.with_overrides({"gpt-4o": [1.0, 1.0], "mine": {"input": 0.5, "output": 0.5}})
    assert table.price("gpt-4o") == ModelPrice(1.0, 1.0)
    assert table.price("mine") == ModelPrice(0.5, 0.5)


@pytest.mark.parametrize("bad", [{"input": 1.0}, [1.0], "cheap", {"input": -1, "output": 1}])
def test_a_malformed_price_is_refused_naming_the_model(bad):
    with pytest.raises(ValueError, match="'m'"):
        parse_price("m", bad)
