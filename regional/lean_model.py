"""Mesa's ``Model`` with an agent registry that a million patients can afford."""

from __future__ import annotations

import logging

import mesa

_MESA_LOG = logging.getLogger("MESA.mesa.model")


class LeanModel(mesa.Model):
    """A ``mesa.Model`` whose agents register without Mesa's per-agent debug message.

    Every agent is registered (``agents``, ``agents_by_type``) exactly as Mesa does it; Mesa
    builds an f-string for its debug log on every call, logging on or off, which a million
    patients pay for. With Mesa's debug log on, Mesa's own registry runs.
    """

    def register_agent(self, agent: mesa.Agent) -> None:
        """Mesa's registration of an agent, less the debug message."""
        by_type = self._agents_by_type.get(type(agent))
        if by_type is None or _MESA_LOG.isEnabledFor(logging.DEBUG):
            super().register_agent(agent)
            return
        self._agents[agent] = None
        by_type.add(agent)
        self._all_agents.add(agent)

    def deregister_agent(self, agent: mesa.Agent) -> None:
        """Mesa's deregistration, less its debug message."""
        if _MESA_LOG.isEnabledFor(logging.DEBUG):
            super().deregister_agent(agent)
            return
        del self._agents[agent]
        self._agents_by_type[type(agent)].remove(agent)
        self._all_agents.remove(agent)

    def release(self) -> None:
        """Let Python free this model once nobody else holds it (after the run).

        Mesa's ``Agent`` keeps a counter of ids per model in a class-level dictionary, which
        would otherwise hold every model of a process, with its patients and logs, for good.
        """
        mesa.Agent._ids.pop(self, None)
