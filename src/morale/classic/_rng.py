"""A xoshiro256** generator whose whole state is a 4-word array owned by one simulation.

Numba's own ``np.random`` keeps one hidden state per thread, shared by every compiled function that draws
from it; a second model stepping in between would shift our stream. Carrying the state in an array makes a
run a pure function of its seed, whatever else runs in the process and however many threads numba has.
"""

import numpy as np
from numba import njit

_MASK32 = np.uint64(0xFFFFFFFF)


def seed_state(seed_sequence):
    """The generator state drawn from a numpy ``SeedSequence``: four words, never all zero."""
    state = seed_sequence.generate_state(4, dtype=np.uint64)
    if not state.any():
        state[0] = 1
    return state


@njit(cache=True, _nrt=False)
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True, _nrt=False)
def next_u64(state):
    """The next 64 random bits (Blackman and Vigna's xoshiro256**)."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    state[0], state[1], state[2], state[3] = s0, s1, s2, _rotl(s3, 45)
    return result


@njit(cache=True, _nrt=False)
def below(state, n):
    """An integer uniform on 0..n-1 for 0 < n < 2**32, without bias (Lemire's multiply-and-reject)."""
    bound = np.uint64(n)
    product = (next_u64(state) >> np.uint64(32)) * bound
    if (product & _MASK32) < bound:
        floor = (np.uint64(1 << 32) - bound) % bound
        while (product & _MASK32) < floor:
            product = (next_u64(state) >> np.uint64(32)) * bound
    return np.int64(product >> np.uint64(32))


@njit(cache=True, _nrt=False)
def shuffle(state, items):
    """Fisher-Yates shuffle in place: a fresh uniformly random activation order."""
    for i in range(items.shape[0] - 1, 0, -1):
        j = below(state, i + 1)
        items[i], items[j] = items[j], items[i]
