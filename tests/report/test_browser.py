"""The report in headless Chromium: it renders offline, with no console error, every facility
on the map, a slider that moves the day, and the language's labels and decimal comma."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from regional.report import write_report
from tests.browser import needs_browser, open_browser
from tests.report.conftest import facilities

pytestmark = needs_browser()


def _load(browser: Any, page: Path) -> None:
    browser.driver.get(page.resolve().as_uri())
    for _ in range(100):  # plotly draws after the page loads
        if browser.driver.execute_script(
            "const m = document.getElementById('map'); return !!(m && m._fullLayout);"
        ):
            return
        time.sleep(0.1)
    raise AssertionError("the map was not drawn")


def _map(browser: Any) -> dict[str, Any]:
    return dict(
        json.loads(
            browser.driver.execute_script(
                """
        const m = document.getElementById('map');
        const info = JSON.parse(document.getElementById('map-box').dataset.info);
        const t = m.data[info.facility_trace];
        return JSON.stringify({
          info: info,
          points: m.querySelectorAll('.scatterlayer .trace')[info.facility_trace]
            .querySelectorAll('.point').length,
          colours: Array.from(t.marker.color),
          active: m.layout.sliders[0].active,
          current: m.querySelector('.slider-group > .slider-label').textContent,
          frames: m._transitionData._frames.map(f => Array.from(f.data[0].marker.color)),
        });
        """
            )
        )
    )


def test_the_report_renders_offline_with_every_facility_and_a_moving_slider(
    run_dir: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page = write_report(run_dir, out=tmp_path / "es.html", lang="es")
    f = facilities(run_dir)
    with open_browser() as browser:
        _load(browser, page)
        state = _map(browser)
        assert state["info"]["coloured"] == int(
            ((f["kind"] == "hospital") & (f["icu_staffed"] > 0)).sum()
        )
        assert state["points"] == state["info"]["coloured"]
        assert state["info"]["hospitals"] + state["info"]["clinics"] == len(f)
        assert state["active"] == 0 and "1 jun 2025" in state["current"]
        assert state["colours"] == state["frames"][0]
        browser.screenshot("report-run-es")
        # drag the slider's grip to the end of its rail: the map shows the last day
        rail = browser.driver.find_element(By.CSS_SELECTOR, "#map .slider-rail-rect")
        grip = browser.driver.find_element(By.CSS_SELECTOR, "#map .slider-grip-rect")
        width = rail.size["width"]
        ActionChains(browser.driver).click_and_hold(grip).move_by_offset(
            width, 0
        ).release().perform()
        time.sleep(0.5)
        moved = _map(browser)
        assert moved["active"] == 2 and "3 jun 2025" in moved["current"]
        assert moved["colours"] == moved["frames"][2]
        # the zoom buttons: the first metro narrows the map to about 100 km
        browser.driver.execute_script(
            "document.querySelectorAll('#map .updatemenu-button')[1]"
            ".dispatchEvent(new MouseEvent('click', {bubbles: true}))"
        )
        time.sleep(0.5)
        span = browser.driver.execute_script(
            "const r = document.getElementById('map').layout.yaxis.range; return r[1] - r[0];"
        )
        assert span < 2.0
        browser.screenshot("report-run-es-zoomed")
        text = browser.driver.find_element(By.TAG_NAME, "body").text
        assert "Informe de la red" in text and "Hospitales cuello de botella" in text
        assert re.search(r"\d,\d\s%", text)  # Spanish: decimal comma, a space before %
        assert "Valparaíso" in text and "CL-01" not in text
        assert browser.console_errors() == []
        assert browser.external_requests() == []


def test_the_portuguese_ensemble_report_renders_offline(ensemble_dir: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page = write_report(ensemble_dir, out=tmp_path / "pt.html", lang="pt")
    with open_browser(width=420, height=900) as browser:  # a phone's width
        _load(browser, page)
        text = browser.driver.find_element(By.TAG_NAME, "body").text
        assert "Relatório da rede: base" in text and "Probabilidade" in text
        assert re.search(r"\d,\d%", text)
        assert "IC 95%" in text
        browser.screenshot("report-ensemble-pt-phone")
        assert browser.console_errors() == []
        assert browser.external_requests() == []
