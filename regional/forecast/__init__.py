"""Forecasts from a census and back-tests scored as the forecast hubs score them.

``regional forecast`` runs an ensemble from a real census (with demand calibrated on the
admissions history before it, ``regional.history``) and writes, per hospital, region and day
ahead, the hubs' 23 quantiles in their long format; ``regional backtest`` replays a census
history and scores each forecast against what happened and against two baselines.

Modules: ``quantiles`` (the hubs' levels and long table), ``scoring`` (weighted interval
score, coverage), ``baselines`` (persistence, seasonal-naive), ``replicate`` (a replication cut
into days), ``ensemble`` (replications per hospital and region), ``driver`` (a forecast),
``history`` (census and admissions histories), ``backtest`` (forecasts scored), ``layers``
(GeoPackage), ``charts`` (fan charts, coverage), ``output`` (folders written whole),
``command`` (the command line).
"""
