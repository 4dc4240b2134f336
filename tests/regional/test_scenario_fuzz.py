"""Any mapping written as a scenario file gives either a valid scenario or one clear error.

Hypothesis writes mappings whose keys are mostly ours (so they reach deep into the models) and
whose values are of every YAML kind; loading them must never raise anything but a
``ScenarioError`` of one line that names the file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from regional.scenario import Scenario, ScenarioError, load_scenario


def _keys(model: type[BaseModel], seen: set[str]) -> None:
    for name, info in model.model_fields.items():
        seen.add(name)
        for arg in (info.annotation, *getattr(info.annotation, "__args__", ())):
            for inner in (arg, *getattr(arg, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    _keys(inner, seen)


KEYS: set[str] = {"base", "path", "columns", "id", "lon", "lat"}
_keys(Scenario, KEYS)
key = st.one_of(st.sampled_from(sorted(KEYS)), st.text(max_size=8))
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["chile", "mexico", "CL", "$HOME/x.csv", "2025-06-01", "1e400", ""]),
    st.text(max_size=12),
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=5)),
    max_leaves=25,
)
scenario_mapping = st.fixed_dictionaries(
    {}, optional={"base": st.sampled_from(["chile", "brazil", "atlantis"])}
).flatmap(lambda head: st.dictionaries(key, value, max_size=6).map(lambda d: {**head, **d}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_mapping)
def test_any_mapping_is_a_scenario_or_one_clear_error(mapping: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            message = str(error)
            assert message.startswith(str(path)), message
            assert "\n" not in message and "Traceback" not in message
        else:
            assert isinstance(scenario, Scenario)
