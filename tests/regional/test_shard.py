"""The shard model as a Mesa model: its patients are registered agents, as Mesa keeps them,
and freed by reference counting alone."""

from __future__ import annotations

import collections
import gc
import logging
import math
import weakref
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import Event, Outcome, Patient
from regional import protocol
from regional.network import build_network, care_policy, demand_model, shard_specs
from regional.runner import SerialBackend, run_scenario
from regional.scenario import load_scenario
from regional.shard import ShardModel
from tests.networks import make_facilities, make_places, network, scenario


def _model() -> ShardModel:
    places = make_places([(-70.65, -33.44, 400_000)])
    facilities = make_facilities([{"place": 0, "ward_beds": 40, "icu_beds": 6}], places)
    scn = scenario(**{"capacity.initial_ward_occupancy": 0.75})
    spec = shard_specs(network(scn, places, facilities))[0]
    return ShardModel(spec, demand_model(scn), care_policy(scn))


@pytest.mark.parametrize("mesa_debug", [False, True])
def test_patients_are_registered_and_removed_like_any_mesa_agent(
    mesa_debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    level = logging.DEBUG if mesa_debug else logging.WARNING
    with caplog.at_level(level, logger="MESA.mesa.model"):
        model = _model()
        patients = list(model.agents_by_type[Patient])
        assert len(patients) == model.census_patients == 30  # 75% of 40 ward beds
        assert all(p in model.agents for p in patients)
        gone = patients[0]
        gone.remove()
        assert gone not in model.agents and gone not in model.agents_by_type[Patient]
        assert len(model.agents_by_type[Patient]) == 29
    # Mesa's own debug messages appear exactly when its logger asks for them
    registered = [r for r in caplog.records if "registered Patient" in r.getMessage()]
    assert len(registered) == (30 if mesa_debug else 0)


def test_windows_leave_no_cyclic_garbage() -> None:
    """The collector is held off during windows: patients and events must form no cycles."""
    scn = load_scenario("chile", days=1.0, shards=2)
    net = build_network(scn)
    backend = SerialBackend()
    boards = backend.start(shard_specs(net), scn)
    board = pa.concat_tables(boards).sort_by("facility_id")
    inboxes = [protocol.Inbox(board=board) for _ in boards]
    gc.collect()
    gc.disable()
    try:
        finished = 0
        for window in range(math.ceil(scn.hours / scn.window_hours)):
            outboxes = backend.step(window, inboxes)
            inboxes = protocol.route(outboxes, net.shard_of_facility, len(outboxes))
            finished += sum(o.stats.finished for o in outboxes)
        assert finished > 1_000  # patients came and went
        gc.set_debug(gc.DEBUG_SAVEALL)
        assert gc.collect() == 0, collections.Counter(type(o).__name__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def _spread_model() -> ShardModel:
    """Forty hospitals strung along a line (more than are tried one by one), empty at start."""
    places = make_places([(-70.0 + 0.05 * i, -33.0, 10_000) for i in range(40)])
    rows = [{"place": i, "ward_beds": 4, "icu_beds": 2} for i in range(40)]
    # two hospitals at the same spot: a tie broken by directory order
    rows.append({"place": 20, "ward_beds": 4, "icu_beds": 2})
    facilities = make_facilities(rows, places)
    scn = scenario(**{"care.max_transfer_hours": 2.5})
    spec = shard_specs(network(scn, places, facilities))[0]
    return ShardModel(spec, demand_model(scn), care_policy(scn))


SPREAD = _spread_model()


@settings(max_examples=60, deadline=None)
@given(
    source=st.integers(0, 40),
    free=st.lists(st.tuples(*[st.integers(-1, 2)] * 3), min_size=41, max_size=41),
    requests=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=12),
)
def test_a_transfer_goes_to_the_nearest_hospital_with_room_on_the_board(
    source: int, free: list[tuple[int, int, int]], requests: list[tuple[bool, bool]]
) -> None:
    """Whatever the board and the beds already claimed, the choice is the nearest hospital in
    reach with room (ties by directory row), as a scan of every hospital would find it."""
    model = SPREAD
    board = np.array(free, dtype=np.int64)
    model.router.board_free = board.copy()
    model.router.claimed = {}
    model.router.no_room = set()
    minutes = model.router.minutes_from(source)
    taken = np.zeros_like(board)
    limit = model.spec.max_transfer_minutes
    for icu, ventilated in requests:
        patient = SimpleNamespace(
            n_transfers=0, need=2 if icu else 1, ventilator=ventilated, condition=0
        )
        column = 1 if icu else 0
        vent = icu and ventilated
        ok = (board[:, column] - taken[:, column] > 0) & (minutes <= limit)
        if vent:
            ok &= board[:, 2] - taken[:, 2] > 0
        rows = np.flatnonzero(ok)
        expected = int(rows[np.lexsort((rows, minutes[rows]))][0]) if len(rows) else -1
        got, got_minutes = model.router.choose(source, patient)  # type: ignore[arg-type]
        if expected < 0:
            assert got == -1
            continue
        assert got == int(model.spec.hospitals.facility_id[expected])
        assert got_minutes == minutes[expected]
        taken[expected, column] += 1
        if vent:
            taken[expected, 2] += 1


def test_a_finished_run_lets_its_shard_models_go() -> None:
    """Frozen windows and Mesa's per-model id counters must not keep a run alive after it ends
    (a process that runs an ensemble would grow by a run each time)."""

    class Watching(SerialBackend):
        refs: ClassVar[list[weakref.ref[ShardModel]]] = []

        def start(self, *args: Any, **kwargs: Any) -> list[pa.Table]:
            boards = super().start(*args, **kwargs)
            Watching.refs = [weakref.ref(shard) for shard in self.shards]
            return boards

    run_scenario(load_scenario("chile", days=0.5, shards=2), backend=Watching())
    gc.collect()
    assert len(Watching.refs) == 2
    assert all(ref() is None for ref in Watching.refs)
    assert gc.get_freeze_count() == 0


def test_a_lapsed_entry_never_ties_with_the_entry_of_the_same_patient_back() -> None:
    """A patient who left keeps lapsed entries on the calendar; when the same patient comes
    back (a new agent, as after two transfers), its entries must not tie with them."""
    model = _model()
    census = min(model.agents_by_type[Patient], key=lambda p: p.patient_id)
    state = census.state()
    at = model.spec.window_hours / 2
    left = Patient.from_state(model, state)
    left.facility = census.facility
    model.schedule(at, Event.DISCHARGE, left)
    model.finish(left, Outcome.DISCHARGED)
    back = Patient.from_state(model, state)
    back.facility = census.facility
    model.schedule(at, Event.DISCHARGE, back)
    model.step_window(0, protocol.Inbox(board=model.board()))
    log = model.patients_log.to_table().to_pandas()
    ended_at = log.loc[log["patient_id"] == census.patient_id, "end_time"].tolist()
    assert ended_at.count(at) == 1  # the agent that came back was discharged, once
    assert back.model is None or back not in model.agents
