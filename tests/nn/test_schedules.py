"""Learning-rate schedules."""

import numpy as np
import pytest

from sknn_scratch.nn.schedules import SCHEDULES, get_schedule


def test_constant_keeps_the_rate_and_stops_at_a_plateau():
    s = get_schedule("constant", learning_rate_init=0.1)
    s.epoch_end(1000)
    assert s.lr == 0.1 and s.on_plateau() is True


def test_invscaling_counts_samples():
    s = get_schedule("invscaling", learning_rate_init=0.5, power_t=0.25)
    s.epoch_end(15)
    assert s.lr == pytest.approx(0.5 / 16**0.25)


def test_adaptive_divides_by_five_until_tiny():
    s = get_schedule("adaptive", learning_rate_init=1e-4)
    assert s.on_plateau() is False and s.lr == pytest.approx(2e-5)
    assert s.on_plateau() is False and s.lr == pytest.approx(4e-6)
    assert s.on_plateau() is False and s.lr == pytest.approx(8e-7)
    assert s.on_plateau() is True


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_starts_at_learning_rate_init(name):
    assert get_schedule(name, learning_rate_init=0.3, power_t=0.5).lr == 0.3


def test_cosine_anneals_to_zero_over_max_iter():
    s = get_schedule("cosine", learning_rate_init=0.2, max_iter=4)
    rates = []
    for _ in range(6):
        s.epoch_end(0)
        rates.append(s.lr)
    expected = [0.2 * 0.5 * (1 + np.cos(np.pi * min(e, 4) / 4)) for e in range(1, 7)]
    assert rates == pytest.approx(expected)
    assert rates[1] == pytest.approx(0.1) and rates[3] == 0.0 and rates[5] == 0.0
