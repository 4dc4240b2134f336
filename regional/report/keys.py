"""The key results a report's map can be coloured by, and the facility column of each."""

# key -> the facility column with its value over the whole run (mean over replications)
KEYS = {
    "icu_hours_95": "hours_at_95_icu",
    "icu_occupancy": "mean_icu_occupancy",
    "ward_occupancy": "mean_ward_occupancy",
    "waiting": "peak_waiting",
    "died_waiting": "died_waiting",
    "transfers_out": "transfers_out",
}
DEFAULT_KEY = "icu_hours_95"
