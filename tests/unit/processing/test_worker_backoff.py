"""A worker's restart backoff: doubling from the first delay to the cap, back to the first after a healthy run."""

from __future__ import annotations

from streammesh.processing.worker import Backoff


def test_delays_double_to_the_cap_and_reset_after_a_healthy_run() -> None:
    backoff = Backoff(first_s=1.0, cap_s=60.0, healthy_after_s=60.0)
    assert [backoff.next_delay(ran_for=0.5) for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.next_delay(ran_for=61.0) == 1  # it ran a minute healthily: a fresh failure, not a crash loop
    assert backoff.next_delay(ran_for=2.0) == 2
