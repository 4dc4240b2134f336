"""Scenario loading and validation: built-ins, files, dicts, overrides, one-line errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from regional.scenario import ScenarioError, builtin_names, load_scenario, scenario_to_dict


def test_builtins_are_listed_and_load() -> None:
    assert builtin_names() == ["brazil", "chile", "latam", "manaus", "mexico"]
    for name in builtin_names():
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.start.tzinfo is not None


def test_latam_covers_nineteen_countries() -> None:
    assert len(load_scenario("latam").geography.countries) == 19


def test_chile_starts_entering_winter() -> None:
    chile = load_scenario("chile")
    assert chile.start == dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    assert chile.days == 30


def test_file_overrides_a_builtin(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("base: chile\nname: chile-beds\ncapacity:\n  absenteeism: 0.15\n")
    scenario = load_scenario(path, days=3)
    assert scenario.capacity.absenteeism == 0.15
    assert scenario.days == 3
    assert scenario.geography.countries == ["CL"]


def test_dotted_overrides() -> None:
    scenario = load_scenario("chile", **{"care.max_transfer_hours": 8, "seed": 7})
    assert scenario.care.max_transfer_hours == 8
    assert scenario.seed == 7


def test_round_trip_through_dict() -> None:
    scenario = load_scenario("mexico")
    assert load_scenario(scenario_to_dict(scenario)) == scenario


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "base: chile\ncapacity:\n  absentism: 0.1\n",
            "capacity.absentism: unknown key; valid keys here: absenteeism",
        ),
        ("base: chile\ndays: -3\n", "days: Input should be greater than 0"),
        ("base: chile\nseed: abc\n", "seed: Input should be a valid integer"),
        ("base: chile\ndemand:\n  weekly_profile: [1, 2]\n", "demand.weekly_profile: expected 7"),
        ("base: chile\ndemand:\n  conditions:\n    flu: {}\n", "unknown condition 'flu'"),
        ("base: atlantis\n", "base: unknown built-in scenario 'atlantis'"),
        ("base: chile\ncare:\n  min_tier_icu: {burns: tertiary}\n", "unknown condition 'burns'"),
        ("base: chile\ncare:\n  min_tier_icu: {trauma: top}\n", "care.min_tier_icu.trauma: Input"),
        (
            "base: chile\ntelemedicine:\n  office_open_hour: 20\n  office_close_hour: 8\n",
            "telemedicine: office_open_hour must be before office_close_hour",
        ),
        ("base: chile\ntelemedicine:\n  office_weekdays: [0, 7]\n", "expected distinct days"),
        ("base: chile\ntelemedicine:\n  ward_mode: later\n", "telemedicine.ward_mode: Input"),
        (
            "base: chile\ntelemedicine:\n  decision_error_share: 1.5\n",
            "telemedicine.decision_error_share: Input should be less than or equal to 1",
        ),
        ("base: chile\ncapacity: [1\n", "fix the YAML syntax"),
        ("", "the file is empty"),
        ("- 1\n- 2\n", "expected a mapping"),
        ("name: x\nstart: 2025-01-01\n", "geography: required key is missing"),
    ],
)
def test_bad_files_give_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_file_and_unknown_name() -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario("nowhere/scenario.yaml")
    with pytest.raises(ScenarioError, match="not a built-in scenario or a file; built-ins are"):
        load_scenario("atlantis")


def test_unknown_key_lists_valid_keys() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario("chile", **{"care.transfer_after": 3})
    assert "transfer_after_hours_icu" in str(caught.value)


def test_a_setting_of_null_sets_the_key_to_null_and_an_override_of_none_is_left_out() -> None:
    scn = load_scenario("chile", settings={"care.icu_wait_limit_hours": None}, days=None)
    assert scn.care.icu_wait_limit_hours is None
    assert scn.days == load_scenario("chile").days
    assert load_scenario("chile", settings={"days": 3}, days=5).days == 3  # --set wins


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("base: chile\ndays: 3\ndays: 5\n", "line 3: key 'days' appears twice"),
        ("base: chile\ndata: &d {facilities: *d}\n", "line 2: an alias refers to the mapping"),
        ("base: chile\ndescription: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
    ],
)
def test_yaml_that_cannot_be_a_scenario_is_one_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=expected) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_yaml_merge_keys_may_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "base: chile\ncapacity:\n  extra_beds:\n"
        "    - &bed {facility: CL-H00003, icu_beds: 20}\n"
        "    - {<<: *bed, facility: CL-H00004}\n"
    )
    second = load_scenario(path).capacity.extra_beds[1]
    assert (second.facility, second.icu_beds) == ("CL-H00004", 20)
