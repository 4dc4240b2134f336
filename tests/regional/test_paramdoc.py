"""The parameter reference in docs/ is the one the scenario's models generate."""

from __future__ import annotations

from pathlib import Path

from regional.paramdoc import reference
from regional.scenario import Scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"


def test_the_committed_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == reference(), (
        "docs/parameters.md is stale; run `python -m regional.paramdoc > docs/parameters.md`"
    )


def test_every_key_of_a_scenario_is_in_the_reference() -> None:
    text = reference()
    for section, model in Scenario.model_fields.items():
        assert f"`{section}" in text, section
        inner = model.annotation
        for name in getattr(inner, "model_fields", {}):
            if name != "conditions":
                assert f"`{section}.{name}`" in text, f"{section}.{name}"
