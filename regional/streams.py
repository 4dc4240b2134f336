"""Counter-based random numbers: uniforms as a pure function of (seed, stream, key, counter).

Entities that draw a few numbers per window (a hospital's ventilators, its staff) use these
instead of a NumPy generator each: a generator costs tens of microseconds to create and its
state would have to be checkpointed, while a hash of stable keys costs nanoseconds per number,
is the same in every shard and process, and needs no state at all. The mixer is SplitMix64's
finaliser (Steele, Lea and Flood, OOPSLA 2014), whose outputs pass BigCrush.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

KEY_BITS = 40  # stable keys: a collision among 100,000 facilities has odds of about 1 in 200

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def uniforms(seed: int, stream: int, keys: npt.ArrayLike, counter: int) -> np.ndarray:
    """One uniform in (0, 1) per key, for the given seed, stream and counter (e.g. a window or
    a day); never 0 or 1, so inverse distribution functions stay finite."""
    k = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        base = _mix(np.array([seed], dtype=np.uint64) * _GAMMA + np.uint64(stream & 0xFFFF))
        h = _mix(base ^ (k * _GAMMA))
        h = _mix(h ^ (np.uint64(counter & 0xFFFFFFFFFFFFFFFF) * _M2 + _GAMMA))
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def stable_keys(names: Iterable[str], bits: int = KEY_BITS) -> np.ndarray:
    """A stream key per name (a facility's code, a place and the facility it goes to first):
    the top ``bits`` bits of its BLAKE2b hash, so a key depends on the name alone, never on
    the row the name happens to be in."""
    out = [
        int.from_bytes(hashlib.blake2b(n.encode("utf-8"), digest_size=8).digest(), "big")
        >> (64 - bits)
        for n in names
    ]
    return np.array(out, dtype=np.int64)


def key_uniforms(keys: npt.ArrayLike) -> np.ndarray:
    """A fixed uniform in (0, 1) per stable key, the same for every seed (which clinics a
    telemedicine coverage links, so that raising the coverage only links more)."""
    return uniforms(0, 0xFFFF, keys, 0)
