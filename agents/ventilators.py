"""A hospital's ventilator pool: units in service shared by its ICU patients and by those who
board for an ICU bed, with a queue for those who need one and have none."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from agents.pathway import Bed, Need

if TYPE_CHECKING:
    from agents.pathway import CareNetwork
    from agents.patient import Patient


class VentilatorPool:
    """The ventilators of a ``Hospital`` (mixed into it)."""

    network: CareNetwork
    facility_id: int
    ventilators_in_use: int
    ventilators_available: int
    vent_queue: list[tuple[int, float, int, Patient]]

    def _ventilator_free(self) -> bool:
        return self.ventilators_in_use < self.ventilators_available

    def _take_ventilator(self, patient: Patient) -> bool:
        if not self._ventilator_free():
            return False
        self.ventilators_in_use += 1
        patient.on_ventilator = True
        return True

    def _queue_for_ventilator(self, patient: Patient) -> None:
        bisect.insort(
            self.vent_queue, (patient.acuity, self.network.now, patient.patient_id, patient)
        )

    def _release_ventilator(self, patient: Patient) -> None:
        if patient.on_ventilator:
            patient.on_ventilator = False
            self.ventilators_in_use -= 1
            self.hand_out_ventilators()

    def hand_out_ventilators(self) -> None:
        """Give free ventilators to boarders who need one, in queue order; the queue drops
        those who left it (admitted, moved on, died) as it reaches them."""
        queue = self.vent_queue
        while queue and self._ventilator_free():
            patient = queue.pop(0)[3]
            if (
                patient.epoch == 0
                or patient.facility != self.facility_id
                or patient.on_ventilator
                or not patient.ventilator
                or patient.bed == Bed.ICU
                or patient.need != Need.ICU
            ):
                continue
            self._take_ventilator(patient)
            self.network.set_risk(patient, patient.bed)
            self.network.schedule(patient.plan_time, patient.plan_kind, patient)
