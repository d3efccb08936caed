"""Facts defined once on the model."""

from __future__ import annotations

from conftest import BASE


def test_a_plays_window_is_its_period_else_the_strategys_both_ends_included(project):
    res = project(
        BASE
        + """
        segment s "S" { rule age > 30 }
        play own "Own" { segment s  period 2026-03-01 .. 2026-03-10 }
        play inherited "Inherited" { segment s }
    """
    )
    model = res.model
    assert model.window_days(model.plays["own"]) == 10
    assert model.window_days(model.plays["inherited"]) == 365  # 2026-01-01 .. 2026-12-31
