"""A hub hospital's teleconsult desk: specialists who answer rural posts' requests in its
office hours (synchronous), or after the service's delay (asynchronous)."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.pathway import CareNetwork


class TeleconsultDesk:
    """The desk of a ``Hospital`` (mixed into it): its specialists' next free times."""

    network: CareNetwork
    tele_free_at: list[float]
    desk_week_offset_hours: float
    teleconsults_answered: int

    def answer_teleconsult(
        self, request_time: float, need: int, u_tele: float
    ) -> tuple[float, str]:
        """Serve a teleconsult; return answer time and decision.

        A synchronous one goes to the first free specialist once the desk is open; an
        asynchronous one is answered the service's delay after the request.
        """
        policy = self.network.policy
        self.teleconsults_answered += self.network.reporting
        decision = policy.teleconsult_decision(need, u_tele)
        if need not in policy.synchronous_needs:
            return request_time + policy.async_answer_hours, decision
        if not self.tele_free_at:
            self.tele_free_at = [0.0]
        free_at = heapq.heappop(self.tele_free_at)
        start = max(request_time, free_at)
        if policy.office_hours is not None:
            start = policy.office_hours.next_open(start, self.desk_week_offset_hours)
        answer = start + policy.consult_hours
        heapq.heappush(self.tele_free_at, answer)
        return answer, decision
