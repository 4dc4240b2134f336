"""Teleconsults across shards: a rural post's requests to its hub, and the hub's answers.

A post's request leaves with the window's outbox; the hub's shard answers it when it arrives
(the desk's queue, ``Hospital.answer_teleconsult``) and sends the answer back; the post's
patient waits at the post for it and acts on it when it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa

from agents import Event, Hospital, Patient, RuralClinic
from regional import protocol
from regional.records import ColumnBuffer

if TYPE_CHECKING:
    from regional.shard import ShardModel


class TeleconsultExchange:
    """One shard's teleconsults in flight: its posts' patients awaiting an answer, and the
    requests and answers it sends at the window's end."""

    def __init__(self, log: ColumnBuffer) -> None:
        self.log = log  # every answered request (the referrals table)
        self.awaiting_answer: dict[int, Patient] = {}
        self._requests = ColumnBuffer(protocol.REFERRAL_SCHEMA)
        self._answers = ColumnBuffer(protocol.ANSWER_SCHEMA)

    def request(self, patient: Patient, clinic: RuralClinic, now: float) -> None:
        """Ask the clinic's hub; the patient waits at the clinic for the answer."""
        self._requests.append(
            (
                patient.patient_id,
                clinic.facility_id,
                clinic.hub_id,
                now,
                patient.need,
                patient.u_tele,
            )
        )
        self.awaiting_answer[patient.patient_id] = patient

    def forget(self, patient: Patient) -> None:
        """A patient who died at the post waits for no answer (the hub's answer is dropped)."""
        self.awaiting_answer.pop(patient.patient_id, None)

    def receive(
        self, inbox: protocol.Inbox, model: ShardModel, schedule: Callable[..., None]
    ) -> None:
        """Book the answers for this shard's posts; answer the requests to its hubs."""
        answers = inbox.answers
        if answers.num_rows:
            for pid, answer_time, decision in zip(
                answers.column("patient_id").to_pylist(),
                answers.column("answer_time").to_pylist(),
                answers.column("decision").to_pylist(),
                strict=True,
            ):
                patient = self.awaiting_answer.pop(pid, None)
                if patient is None:
                    continue  # died at the post while waiting
                patient.decision = decision
                schedule(max(answer_time, model.now), Event.ANSWER, patient)
        requests = inbox.referrals
        if requests.num_rows:
            for pid, clinic, hub, request_time, need, u_tele in zip(
                *(
                    requests.column(c).to_pylist()
                    for c in ("patient_id", "clinic", "hub", "request_time", "need", "u_tele")
                ),
                strict=True,
            ):
                hospital = model.facilities[hub]
                assert isinstance(hospital, Hospital)
                answer_time, decision = hospital.answer_teleconsult(request_time, need, u_tele)
                self._answers.append((pid, clinic, hub, request_time, answer_time, decision))
                self.log.append((pid, clinic, hub, request_time, answer_time, decision))

    def take(self) -> tuple[pa.Table, pa.Table]:
        """The window's requests and answers to send, emptied."""
        return (
            self._requests.take(protocol.REFERRAL_SCHEMA),
            self._answers.take(protocol.ANSWER_SCHEMA),
        )
