"""Starting the page's server: Solara on 127.0.0.1, every asset served from this machine.

Solara's page loads its Vue application, RequireJS and fonts through its own server from a
cache folder that it would otherwise fill from a public CDN; the ``solara-assets`` package
(the ``app`` extra) ships that folder, and the server refuses to start without it rather than
reach out. Its usage telemetry and the installation check that calls home are turned off.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# the files the page asks the cache for, by the versions Solara 1.64's page names
REQUIRED_ASSETS = (
    "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js",
    "@widgetti/solara-vuetify-app@10.1.1/dist/main8.css",
    "@widgetti/solara-vuetify-app@10.1.1/dist/fonts.css",
    "requirejs@2.3.6/require.js",
    "font-awesome@4.5.0/css/font-awesome.min.css",
)
OFFLINE_SETTINGS = {
    "SOLARA_ASSETS_PROXY": "True",  # the page asks our server, which reads the cache folder
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_MODE": "production",  # no installation check in the page
}


class AppError(RuntimeError):
    """The app cannot start; the message says what to install or change."""


def asset_folder() -> Path:
    """Where Solara looks for its assets (the solara-assets package fills it)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def missing_assets(folder: Path | None = None) -> list[str]:
    """The assets the page needs that are not on this machine (with ipyvue 3 the page asks
    for a Vue 3 application that solara-assets does not ship)."""
    import ipyvue

    root = folder or asset_folder()
    if not ipyvue.__version__.startswith("1."):
        return [f"the Vue 2 widgets (ipyvue {ipyvue.__version__} is installed, expected 1.x)"]
    return [name for name in REQUIRED_ASSETS if not (root / name).is_file()]


def serve(scenario: str, host: str = "127.0.0.1", port: int = 8765, lang: str = "es") -> None:
    """Serve the app until interrupted.

    Raises:
        AppError: Solara or its offline assets are not installed.
    """
    try:
        import solara  # noqa: F401  (the `app` extra)
    except ImportError as error:
        raise AppError(
            f"regional app needs solara ({error}); install the `app` extra: pip install -e '.[app]'"
        ) from None
    missing = missing_assets()
    if missing:
        raise AppError(
            f"{asset_folder()}: {missing[0]} is missing, and the app fetches nothing from the "
            "internet; install the `app` extra (pip install -e '.[app]', with solara-assets)"
        )
    os.environ.update(OFFLINE_SETTINGS)
    os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(asset_folder())
    from regional.app.page import SCENARIO_VARIABLE

    os.environ[SCENARIO_VARIABLE] = scenario
    from regional.app.labels import LANGUAGE_VARIABLE

    os.environ[LANGUAGE_VARIABLE] = lang
    from solara.__main__ import run

    run.main(
        args=[
            "regional.app.page",
            "--host", host,
            "--port", str(port),
            "--production",
            "--no-open",
            "--log-level", "warning",
        ],
        standalone_mode=True,
    )  # fmt: skip
