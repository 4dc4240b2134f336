"""Mesa agents of the twin and their behaviour.

- ``patient``: the acute episode a person lives through, with its course drawn at onset.
- ``hospital``: wards, ICU, ventilators, staffed beds, boarding queues, a teleconsult desk.
- ``clinic``: the rural post that stabilises, treats minor cases and teleconsults its hub.
- ``pathway``: event kinds, outcomes, the care policy and the rules shared by facilities.

Agents know Mesa only; they talk to the rest of the network through the model (``CareNetwork``).
"""

from agents.clinic import RuralClinic
from agents.hospital import Hospital
from agents.pathway import CareNetwork, CarePolicy, Event, Outcome
from agents.patient import Patient

__all__ = [
    "CareNetwork",
    "CarePolicy",
    "Event",
    "Hospital",
    "Outcome",
    "Patient",
    "RuralClinic",
]
