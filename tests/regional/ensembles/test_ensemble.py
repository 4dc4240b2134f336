"""Ensembles on a small network: the dataset, common random numbers, failures and resuming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

from regional.demand import CENSUS_ID_BASE
from regional.ensembles import EnsembleError, dataset, execute, replication_seed, run_ensemble
from regional.ensembles.plan import Cell
from regional.ensembles.stats import interval
from regional.runner import run_scenario
from tests.networks import make_facilities, make_places, network
from tests.regional.ensembles.small import small_network, small_pair, small_scenario

EPISODE = ["patient_id", "origin_place", "first_facility", "condition", "onset_time"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Any:
    scenarios, networks = small_pair(days=3)
    out = tmp_path_factory.mktemp("ensemble") / "out"
    return run_ensemble(scenarios, 3, out, networks=networks, charts=False)


def test_each_table_reads_whole_with_its_partition_columns(pair: Any) -> None:
    out = pair.out
    for name in dataset.TABLES:
        by_arrow = ds.dataset(out / name, partitioning="hive").to_table().to_pandas()
        by_pandas = pd.read_parquet(out / name, partitioning=None)
        assert len(by_arrow) == len(by_pandas) == len(pair.tables[name]) > 0
        assert set(by_arrow["scenario"]) == {"base", "more-icu"}
        assert sorted(set(by_arrow["replication"])) == [0, 1, 2]
        # the folders say what the files say
        for path in (out / name).glob("scenario=*/replication=*/part-0.parquet"):
            one = pd.read_parquet(path)
            assert set(one["scenario"]) == {path.parts[-3].removeprefix("scenario=")}
            assert set(one["replication"]) == {int(path.parts[-2].removeprefix("replication="))}
    assert len(pair.tables["key_results"]) == 6  # one row per scenario and replication


def test_manifest_names_scenarios_seeds_versions_and_timings(pair: Any) -> None:
    manifest = json.loads((pair.out / "ensemble.json").read_text())
    assert manifest["scenarios"] == ["base", "more-icu"]
    assert manifest["seeds"] == [replication_seed(3, r) for r in range(3)]
    assert "pyarrow" in manifest["versions"] and manifest["backend"] == "serial"
    assert set(manifest["timings"]["build_seconds"]) == {"base", "more-icu"}
    assert len(manifest["timings"]["replications"]) == 6
    assert manifest["failures"] == []
    assert (pair.out / "stats" / "comparison.csv").is_file()


def test_summaries_cover_every_level_and_compare_with_the_base(pair: Any) -> None:
    levels = set(pair.summary["level"])
    assert levels == {"national", "region", "facility"}
    national = pair.national().set_index(["scenario", "metric"])
    assert national.loc[("base", "deaths"), "n"] == 3
    c = pair.comparison
    assert set(c["scenario"]) == {"more-icu"} and set(c["base"]) == {"base"}
    # both scenarios draw the same episodes: the number of patients does not differ at all
    patients = c[(c["level"] == "national") & (c["metric"] == "patients")].iloc[0]
    assert patients["difference"] == patients["ci_low"] == patients["ci_high"] == 0.0
    assert set(pair.bottlenecks["ranking"]) <= {
        "hours_at_full_icu",
        "died_waiting",
        "transfers_out",
    }


def test_a_replication_is_the_single_run_with_its_seed(pair: Any) -> None:
    seed = replication_seed(3, 1)
    scn = small_scenario("base", days=3, seed=seed)
    alone = run_scenario(scn, network=small_network(scn))
    row = pair.tables["key_results"]
    row = row[(row["scenario"] == "base") & (row["replication"] == 1)].iloc[0]
    assert row["seed"] == seed
    for key in ("patients", "admissions", "deaths", "mean_icu_occupancy", "transfers"):
        assert row[key] == pytest.approx(float(alone.summary[key]))


def test_arriving_episodes_are_those_of_the_capacity_what_if() -> None:
    scenarios, networks = small_pair(days=3)
    for r in range(2):
        cell_seed = replication_seed(3, r)
        runs = []
        for s in scenarios:
            scn, net = execute.seeded(networks[s.name], s, cell_seed)
            patients = run_scenario(scn, network=net).to_pandas("patients")
            episodes = patients[patients["patient_id"] < CENSUS_ID_BASE]
            runs.append(episodes[EPISODE].sort_values("patient_id").reset_index(drop=True))
        assert len(runs[0]) > 100
        pd.testing.assert_frame_equal(runs[0], runs[1])


def test_a_failing_replication_is_retried_then_reported_and_the_others_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: dict[tuple[str, int], int] = {}
    real = execute.run_replication

    def flaky(scenario: Any, network: Any, cell: Cell) -> Any:
        key = (cell.scenario, cell.replication)
        calls[key] = calls.get(key, 0) + 1
        if key == ("more-icu", 1):
            raise RuntimeError("disk on fire\nsecond line")
        if key == ("base", 0) and calls[key] == 1:
            raise RuntimeError("once only")
        return real(scenario, network, cell)

    monkeypatch.setattr(execute, "run_replication", flaky)
    scenarios, networks = small_pair(days=1)
    result = run_ensemble(scenarios, 2, tmp_path / "out", networks=networks, charts=False)
    assert calls[("more-icu", 1)] == 2 and calls[("base", 0)] == 2 and calls[("base", 1)] == 1
    assert [str(f) for f in result.failures] == [
        f"more-icu r1 (seed {replication_seed(3, 1)}): RuntimeError: disk on fire"
    ]
    kept = result.tables["key_results"][["scenario", "replication"]].values.tolist()
    assert kept == [["base", 0], ["base", 1], ["more-icu", 0]]
    manifest = json.loads((tmp_path / "out" / "ensemble.json").read_text())
    assert manifest["failures"][0]["replication"] == 1
    # the comparison pairs the replications both scenarios have
    c = result.comparison
    assert set(c["n"]) == {1}


def test_resume_runs_only_the_missing_replications(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios, networks = small_pair(days=1)
    out = tmp_path / "out"
    first = run_ensemble(scenarios, 2, out, networks=networks, charts=False)
    # as if interrupted: one replication lost, another half-written
    dataset.discard(out, "more-icu", 1)
    (dataset.partition(out, "regions", "base", 1) / "part-0.parquet").unlink()
    ran: list[tuple[str, int]] = []
    real = execute.run_replication

    def counted(scenario: Any, network: Any, cell: Cell) -> Any:
        ran.append((cell.scenario, cell.replication))
        return real(scenario, network, cell)

    monkeypatch.setattr(execute, "run_replication", counted)
    again = run_ensemble(scenarios, 3, out, networks=networks, charts=False, resume=True)
    assert sorted(ran) == [("base", 1), ("base", 2), ("more-icu", 1), ("more-icu", 2)]
    for name in dataset.TABLES:
        kept = again.tables[name][again.tables[name]["replication"] < 2].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, first.tables[name])
    # resuming with fewer replications runs nothing and keeps them all
    ran.clear()
    kept = run_ensemble(scenarios, 1, out, networks=networks, charts=False, resume=True)
    assert ran == [] and kept.manifest["replications"] == 3
    assert len(kept.tables["key_results"]) == 6
    with pytest.raises(EnsembleError, match="holds an ensemble of other scenarios"):
        run_ensemble(scenarios[:1], 3, out, networks=networks, resume=True)
    with pytest.raises(EnsembleError, match="already exists"):
        run_ensemble(scenarios, 3, out, networks=networks)


def test_bad_inputs_write_nothing(tmp_path: Path) -> None:
    scenarios, networks = small_pair(days=1)
    out = tmp_path / "out"
    for kwargs, expected in [
        ({"replications": 0}, "--replications: expected at least 1"),
        ({"replications": 2, "precision": 1.5}, "--precision"),
        ({"replications": 2, "resume": True}, "no ensemble to resume"),
        ({"replications": 2, "targets": ["nonsense"]}, "no key result"),
    ]:
        with pytest.raises(EnsembleError, match=expected):
            run_ensemble(scenarios, out=out, networks=networks, **kwargs)
        assert not out.exists()
    # another network: one hospital where the base has three
    other = small_scenario("bigger", days=1)
    places = make_places([(-70.6, -33.4, 300_000), (-71.2, -33.9, 40_000)])
    facilities = make_facilities([{"place": 0, "ward_beds": 150, "icu_beds": 6}], places)
    with pytest.raises(EnsembleError, match="a paired comparison needs the same network"):
        run_ensemble(
            [scenarios[0], other],
            2,
            out,
            networks={"base": networks["base"], "bigger": network(other, places, facilities)},
        )
    assert not out.exists()


def test_a_network_with_a_hospital_more_is_paired_where_its_streams_are(tmp_path: Path) -> None:
    # the same places, one hospital more in the second town: the comparison runs, and the
    # manifest says what share of the base's expected episodes both draw alike
    scenarios, networks = small_pair(days=1)
    opened = small_scenario("opened", days=1)
    places = make_places([(-70.6, -33.4, 300_000), (-71.2, -33.9, 40_000), (-71.9, -34.3, 3_000)])
    facilities = make_facilities(
        [
            {"place": 0, "ward_beds": 150, "icu_beds": 6, "is_hub": True},
            {"place": 0, "ward_beds": 100, "icu_beds": 4, "dlon": 0.02},
            {"place": 1, "ward_beds": 30, "icu_beds": 0},
            {"place": 2, "kind": "clinic", "hub_id": 0},
            {"place": 1, "ward_beds": 20, "icu_beds": 0, "dlon": 0.01},
        ],
        places,
    )
    built = {"base": networks["base"], "opened": network(opened, places, facilities)}
    result = run_ensemble([scenarios[0], opened], 2, tmp_path / "out", networks=built, charts=False)
    share = result.manifest["paired_demand_share"]["opened"]
    d = networks["base"].demand
    weight = d["population"] * (d["hospital_rate_per_1000_year"] + d["minor_rate_per_1000_year"])
    town = d["place_id"] == int(places["place_id"].iloc[1])
    assert share == pytest.approx(1.0 - weight[town].sum() / weight.sum(), abs=1e-6)
    assert 0.5 < share < 1.0


@pytest.mark.slow
def test_paired_differences_vary_less_than_unpaired_ones(tmp_path: Path) -> None:
    # common random numbers: the what-if's change in ICU admissions, set against the same
    # replication of the base, varies far less than against another replication
    scenarios, networks = small_pair(days=4)
    result = run_ensemble(scenarios, 10, tmp_path / "out", networks=networks, charts=False)
    k = result.tables["key_results"]
    for metric in ("icu_admissions", "deaths"):
        base = k[k["scenario"] == "base"].sort_values("replication")[metric].to_numpy()
        more = k[k["scenario"] == "more-icu"].sort_values("replication")[metric].to_numpy()
        paired = np.var(more - base, ddof=1)
        unpaired = np.var(more - np.roll(base, 1), ddof=1)
        assert paired < 0.5 * unpaired, (metric, paired, unpaired)
    # and the what-if takes more patients into the ICU
    c = result.comparison
    icu = c[(c["level"] == "national") & (c["metric"] == "icu_admissions")].iloc[0]
    assert icu["ci_low"] > 0


def test_precision_adds_replications_until_the_intervals_are_narrow(tmp_path: Path) -> None:
    scenarios, networks = small_pair(days=1)
    result = run_ensemble(
        scenarios[:1],
        2,
        tmp_path / "out",
        networks=networks,
        charts=False,
        precision=0.2,
        max_replications=12,
        targets=["patients", "admissions"],
    )
    m = result.manifest
    needed = m["timings"]["replications_needed"]
    assert needed is not None and 2 <= needed <= m["replications"] <= 12
    long = result.results
    for target in ("patients", "admissions"):
        for n in range(needed, needed + 6):
            values = long[
                (long["metric"] == target)
                & (long["level"] == "national")
                & (long["replication"] < n)
            ]["value"]
            i = interval(values.to_numpy())
            assert i.half_width <= 0.2 * abs(i.mean)


def test_the_python_api_returns_frames_and_stays_callable(tmp_path: Path) -> None:
    import regional

    result = regional.ensemble(
        "chile", replications=1, days=0.25, out=tmp_path / "a", charts=False, seed=5
    )
    assert isinstance(result.tables["key_results"], pd.DataFrame)
    assert result.manifest["seeds"] == [replication_seed(5, 0)]
    assert result.national().set_index("metric").loc["patients", "n"] == 1
    # importing the package of the same stem leaves the function in place
    assert callable(regional.ensemble)
    with pytest.raises(EnsembleError, match="already exists"):
        regional.ensemble("chile", replications=1, days=0.25, out=tmp_path / "a")


def test_a_stochastic_epidemic_is_drawn_again_for_each_replication(tmp_path: Path) -> None:
    # the chain binomial draws from the seed: the network built once must not carry the
    # epidemic of the first scenario's seed into every replication
    epidemic = {
        "reproduction_number": 3.0,
        "seeds": [{"place": "Place 0", "day": -10, "infected": 200}],
        "starts_days_before": 10,
        "hospitalisation_ratio": 0.05,
        "stochastic": True,
    }
    scn = small_scenario("wave", days=3, epidemic=epidemic)
    result = run_ensemble(
        [scn], 2, tmp_path / "out", networks={"wave": small_network(scn)}, charts=False
    )
    key = result.tables["key_results"].set_index("replication")
    for r in range(2):
        alone_scn = small_scenario("wave", days=3, epidemic=epidemic, seed=replication_seed(3, r))
        alone = run_scenario(alone_scn, network=small_network(alone_scn))
        assert key.loc[r, "patients"] == alone.summary["patients"]
    shared = small_network(scn)
    one = execute.seeded(shared, scn, 1)[1].epidemic_per_point
    two = execute.seeded(shared, scn, 2)[1].epidemic_per_point
    assert one is not None and two is not None and not np.array_equal(one, two)
    assert shared.epidemic_per_point is not None  # the shared network is left as it was
    assert execute.depends_on_seed(scn)
    assert not execute.depends_on_seed(small_scenario())


def test_facilities_keep_positions_beds_and_hours_near_full_icu(pair: Any) -> None:
    f = pair.tables["facilities"]
    assert f[["lon", "lat", "ward_beds", "icu_beds", "intermediate_beds"]].notna().all().all()
    # at 95% of the staffed ICU beds at least as long as at all of them, never longer than run
    assert (f["hours_at_95_icu"] >= f["hours_at_full_icu"]).all()
    assert (f["hours_at_95_icu"] <= 3 * 24).all()
    assert (f.loc[f["icu_staffed"] == 0, "hours_at_95_icu"] == 0).all()
    regions = pair.tables["regions"]
    assert {"intermediate_occupied", "intermediate_staffed"} <= set(regions.columns)
