"""The Solara page of ``regional app``: levers on the left, the map and charts on the right.

The run is a ``session.RunSession`` in its own thread; the page polls its snapshot a few times
a second while it runs, so the map and the charts redraw from the windows done so far.
"""

from __future__ import annotations

import os
import time
from typing import Any, cast

import solara

from regional.app.labels import AppLanguage, current
from regional.app.levers import Levers
from regional.app.pictures import chart_svg, legend_html, map_svg
from regional.app.session import BUILDING, RUNNING, RunSession, Snapshot
from regional.scenario import ScenarioError, builtin_names, load_scenario

SCENARIO_VARIABLE = "REGIONAL_APP_SCENARIO"
POLL_SECONDS = 0.4
OCCUPANCY = {
    "ward_used/ward_staffed": ("ward_in_use", "#1971c2"),
    "icu_used/icu_staffed": ("icu_in_use", "#c92a2a"),
}
QUEUE = {"waiting": ("queue_series", "#e8590c")}


def _series(series: dict[str, tuple[str, str]], lang: AppLanguage) -> dict[str, tuple[str, str]]:
    return {key: (lang.app(label), colour) for key, (label, colour) in series.items()}


def scenario_choices() -> list[str]:
    """The built-ins, and the scenario the app was started with if it is a file."""
    first = os.environ.get(SCENARIO_VARIABLE, "chile")
    names = builtin_names()
    return names if first in names else [first, *names]


@solara.component
def LeverSliders(levers: solara.Reactive[Levers], disabled: bool) -> None:
    """The sliders of the main levers."""
    lang = current()

    def slider(kind: Any, label: str, key: str, **bounds: Any) -> None:
        value = getattr(levers.value, key)
        shown = lang.number(value, 2) if kind is solara.SliderFloat else lang.number(value)
        if kind is solara.SliderFloat:
            shown = shown.rstrip("0").rstrip(lang.decimal)
        kind(
            f"{lang.app(key)}: {shown}",
            value=value,
            on_value=lambda v: levers.set(levers.value.replace(**{key: v})),
            disabled=disabled,
            thumb_label=False,
            **bounds,
        )

    slider(solara.SliderFloat, "days", "days", min=0.5, max=30, step=0.5)
    _heading(lang.app("beds"), lang.app("beds_note"))
    slider(solara.SliderInt, "extra_ward_beds", "extra_ward_beds", min=0, max=2000, step=50)
    slider(solara.SliderInt, "ward_to_icu_beds", "ward_to_icu_beds", min=0, max=500, step=10)
    _heading(lang.app("staff"))
    slider(solara.SliderFloat, "absenteeism", "absenteeism", min=0, max=0.4, step=0.01)
    slider(
        solara.SliderFloat, "ward_patients_per_nurse", "ward_patients_per_nurse",
        min=2, max=16, step=0.5,
    )  # fmt: skip
    _heading(lang.app("equipment"))
    slider(
        solara.SliderFloat, "ventilators_per_icu_bed", "ventilators_per_icu_bed",
        min=0, max=2, step=0.05,
    )  # fmt: skip
    slider(
        solara.SliderFloat, "telemedicine_coverage", "telemedicine_coverage",
        min=0, max=1, step=0.05,
    )  # fmt: skip
    _heading(lang.app("surge"), lang.app("surge_note"))
    slider(solara.SliderFloat, "surge_factor", "surge_factor", min=1, max=6, step=0.1)
    slider(solara.SliderFloat, "surge_ramp_days", "surge_ramp_days", min=0, max=14, step=0.5)


def _heading(title: str, note: str = "") -> None:
    """A group of sliders' heading (plain text: Solara's Markdown would load KaTeX)."""
    with solara.Row(style={"margin-top": "12px", "align-items": "baseline"}):
        solara.Text(title, style={"font-weight": "bold"})
        if note:
            solara.Text(note.strip(), style={"font-size": "12px", "color": "#868e96"})


def _status(snap: Snapshot, lang: AppLanguage) -> str:
    if snap.state == "waiting":
        return lang.app("waiting")
    if snap.state == BUILDING:
        return lang.app("building")
    if snap.state == RUNNING:
        return lang.app("running", window=snap.window, windows=snap.windows or "?")
    if snap.state == "done":
        deaths = snap.summary.get("deaths")
        tail = lang.app("deaths", deaths=lang.number(deaths)) if isinstance(deaths, int) else ""
        days = lang.number(snap.hours / 24, 1).removesuffix(lang.decimal + "0")
        return lang.app("done", windows=snap.windows, days=days) + tail
    return lang.app("stopped", message=snap.message)


@solara.component
def Page() -> None:
    """The whole page."""
    lang = current()
    choices = scenario_choices()
    name = solara.use_reactive(os.environ.get(SCENARIO_VARIABLE, "chile"))
    levers = solara.use_reactive(Levers())
    session, set_session = solara.use_state(cast(RunSession | None, None))
    error, set_error = solara.use_state("")
    tick, set_tick = solara.use_state(0)

    def reset_levers() -> None:
        try:
            levers.set(Levers.of(load_scenario(name.value)))
            set_error("")
        except ScenarioError as problem:
            set_error(str(problem))

    solara.use_effect(reset_levers, [name.value])
    snap = session.snapshot() if session is not None else Snapshot(state="waiting")
    busy = snap.state in (BUILDING, RUNNING)

    def poll() -> None:
        while session is not None and session.snapshot().state in (BUILDING, RUNNING):
            time.sleep(POLL_SECONDS)
            set_tick(lambda t: t + 1)
        set_tick(lambda t: t + 1)

    solara.use_thread(poll, [session])

    def run() -> None:
        try:
            scenario = levers.value.scenario(name.value)
        except ScenarioError as problem:
            set_error(str(problem))
            return
        set_error("")
        fresh = RunSession(scenario)
        fresh.start()
        set_session(fresh)

    hours = session.scenario.simulated_hours if session else levers.value.days * 24

    def outlines() -> Any:
        # the regions' borders, once a run: the real divisions where the shared data has them
        if snap.facilities is None:
            return None
        from geodata.borders import region_borders

        return region_borders(snap.facilities[["region", "lon", "lat"]], max_vertices=6_000)

    borders = solara.use_memo(outlines, [session, snap.facilities is None])

    def draw() -> dict[str, str]:
        # once a window, not at every poll: the map is a few hundred kB of SVG
        chart = snap.history, hours
        count = len(snap.facilities) if snap.facilities is not None else 0
        return {
            "legend": legend_html(count, lang),
            "map": map_svg(snap.facilities, snap.occupancy, lang=lang, borders=borders)
            if snap.facilities is not None and snap.occupancy is not None
            else "",
            "occupancy": chart_svg(
                *chart,
                _series(OCCUPANCY, lang),
                lang.app("occupancy_title"),
                chart_id="occupancy-chart",
                lang=lang,
            ),
            "queue": chart_svg(
                *chart,
                _series(QUEUE, lang),
                lang.app("queue_title"),
                percent=False,
                chart_id="queue-chart",
                lang=lang,
            ),
        }

    drawn = solara.use_memo(draw, [session, snap.state, snap.window, hours, borders])
    solara.Title(lang.app("title"))
    with solara.Sidebar():
        solara.Select(lang.app("scenario"), values=choices, value=name, disabled=busy)
        LeverSliders(levers, busy)
        with solara.Row():
            solara.Button(
                lang.app("run"), on_click=run, disabled=busy, color="primary", classes=["run"]
            )
            solara.Button(
                lang.app("cancel"),
                on_click=lambda: session.cancel() if session else None,
                disabled=not busy,
                classes=["cancel"],
            )
    with solara.Column(style={"padding": "8px"}):
        if error:
            solara.Error(error)
        solara.ProgressLinear(value=100 * snap.share if busy or snap.windows else False)
        solara.Text(_status(snap, lang), classes=["run-status"])
        if snap.first_picture_seconds is not None:
            solara.Text(
                lang.app("first_picture", seconds=lang.number(snap.first_picture_seconds, 1)),
                style={"font-size": "11px", "color": "#868e96"},
            )
        with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap", "gap": "16px"}):
            with solara.Column(style={"flex": "0 0 auto"}):
                if drawn["map"]:
                    solara.HTML(tag="div", unsafe_innerHTML=drawn["map"])
                    solara.HTML(tag="div", unsafe_innerHTML=drawn["legend"])
            with solara.Column(style={"flex": "0 1 560px"}):
                solara.HTML(tag="div", unsafe_innerHTML=drawn["occupancy"])
                solara.HTML(tag="div", unsafe_innerHTML=drawn["queue"])
    del tick  # read only to redraw when the poll ticks
