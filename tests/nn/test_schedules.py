"""Learning-rate schedules."""

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
