"""`regional app` in headless Chromium: a planner's short Chile run, pressed Run to Done.

The app is started as a user would start it, on a free port; the page must load and run
without a console error and without one request leaving the machine, and the server must not
have fetched an asset either (its page names only its own address).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from regional.app.server import missing_assets
from tests.browser import needs_browser, open_browser
from tests.e2e.test_cli import ROOT
from tests.e2e.test_cli import regional as regional_cli

pytestmark = needs_browser()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app's URL and its server log, the server stopped at the end."""
    if missing_assets():
        pytest.skip(f"the `app` extra is not installed ({missing_assets()[0]})")
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "regional", "app", "chile", "--port", str(port), "--lang", "pt"],
            cwd=log.parent,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):  # the server imports Solara and the twin first
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.5)
        yield url, log
    finally:
        server.terminate()
        server.wait(30)


def test_the_page_loads_nothing_from_another_host(app: tuple[str, Path]) -> None:
    url, _ = app
    html = urllib.request.urlopen(url, timeout=30).read().decode()
    # scripts, styles, images and frames (a link a reader may follow is not a load)
    loads = re.findall(r'<(?:script|link|img|iframe)[^>]*(?:src|href)="(https?://[^"]+)"', html)
    assert loads == [] and "solara.dev/static" not in html
    assert "/_solara/cdn" in html  # its assets come through its own address


def test_a_short_chile_run_draws_the_map_and_the_charts(app: tuple[str, Path]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from regional.network import build_network
    from regional.scenario import load_scenario

    url, log = app
    facilities = len(build_network(load_scenario("chile", days=1)).facilities)
    with open_browser(1400, 1000) as browser:
        page = browser.driver
        page.get(url)
        WebDriverWait(page, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".run"))
        status = page.find_element(By.CSS_SELECTOR, ".run-status")
        assert "clique em Simular" in status.text  # in Portuguese, as --lang pt asks
        before = page.find_element(By.CSS_SELECTOR, "#occupancy-chart")
        assert before.get_attribute("data-points") == "0"
        browser.screenshot("app-before-run")
        page.find_element(By.CSS_SELECTOR, ".run").click()
        WebDriverWait(page, 120).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#facility-map circle.facility")
        )
        WebDriverWait(page, 600).until(
            lambda d: d.find_element(By.CSS_SELECTOR, ".run-status").text.startswith(
                ("Pronto", "Parado")
            )
        )
        text = page.find_element(By.CSS_SELECTOR, ".run-status").text
        assert text.startswith("Pronto"), text
        circles = page.find_elements(By.CSS_SELECTOR, "#facility-map circle.facility")
        assert len(circles) == facilities
        hospitals = page.find_elements(By.CSS_SELECTOR, "#facility-map circle.hospital")
        coloured = {c.get_attribute("fill") for c in hospitals}
        assert len(coloured) > 1  # hospitals coloured by their beds in use, not all alike
        windows = int(re.search(r"Pronto: (\d+) janelas", text).group(1))  # type: ignore[union-attr]
        chart = page.find_element(By.CSS_SELECTOR, "#occupancy-chart")
        assert int(chart.get_attribute("data-points")) == windows > 1
        assert page.find_elements(By.CSS_SELECTOR, "#occupancy-chart polyline.series")
        # the regions' borders under the facilities, and their names, not their codes
        assert page.find_elements(By.CSS_SELECTOR, "#facility-map path.borders")
        regions = {t.text for t in page.find_elements(By.CSS_SELECTOR, "#facility-map text.region")}
        assert "Valparaíso" in regions and not any(r.startswith("CL-") for r in regions)
        ticks = page.find_element(By.CSS_SELECTOR, "#occupancy-chart").text
        assert "dia 1" in ticks and "%" in ticks
        time.sleep(0.5)
        browser.screenshot("app-after-run")
        assert browser.console_errors() == []
        assert browser.external_requests() == []
    assert "Could not load URL" not in log.read_text()  # nor did the server fetch anything


def test_a_scenario_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    done = regional_cli("app", "atlantis", cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "atlantis" in done.stderr
