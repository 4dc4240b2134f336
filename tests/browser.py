"""Headless Chromium for the browser tests: Debian's chromium and chromedriver, via Selenium.

``open_browser`` starts a browser that may not reach the internet (background networking off)
and records every request the page makes and every console message, so a test can assert
that a page renders offline with no errors. Tests that need it skip when Chromium or Selenium
is absent; CI installs both (``.ci/run``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", ""})
ARTEFACTS = Path(__file__).resolve().parent.parent / "test-artefacts"


def needs_browser() -> pytest.MarkDecorator:
    """Skip a test when headless Chromium or Selenium is not installed."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return pytest.mark.skip(reason="selenium is not installed (pip install -e '.[test]')")
    if CHROMIUM is None or CHROMEDRIVER is None:
        return pytest.mark.skip(reason="chromium and chromium-driver are not installed")
    return pytest.mark.slow


@dataclass
class Browser:
    """A headless Chromium session with its request and console logs."""

    driver: Any

    def requests(self) -> list[str]:
        """The URLs of every request the pages made since the last call."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def external_requests(self) -> list[str]:
        """Requests that would leave the machine (not file:, data:, blob: or loopback)."""
        outside = []
        for url in self.requests():
            parsed = urlparse(url)
            if parsed.scheme in {"file", "data", "blob", "about", "chrome", "devtools"}:
                continue
            if parsed.hostname in LOCAL_HOSTS:
                continue
            outside.append(url)
        return outside

    def console_errors(self) -> list[str]:
        """Console messages at level SEVERE since the last call."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def screenshot(self, name: str) -> Path:
        """Save a screenshot under test-artefacts/ (kept by CI) and return its path."""
        ARTEFACTS.mkdir(exist_ok=True)
        path = ARTEFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@contextmanager
def open_browser(width: int = 1280, height: int = 900) -> Iterator[Browser]:
    """A headless Chromium that cannot reach the internet, closed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-file-access-from-files",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
