"""The interactive twin: ``regional app`` serves a local web page (Solara) in which a planner
picks a scenario, moves its main levers, runs it in the background and watches the map and the
charts fill in window by window.

``levers`` turns the page's controls into scenario settings, ``session`` runs a scenario in a
background thread and keeps what each window showed, ``pictures`` draws the map and the charts
as inline SVG, ``page`` is the Solara page and ``server`` starts it with every asset served
from this machine.
"""
