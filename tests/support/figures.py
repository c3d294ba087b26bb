"""Figures the fault tests measure (operations, lost, doubled, stuck, 5xx, time to recover),
printed together at the end of the run (see `pytest_terminal_summary` in conftest): a fault test
asserts the outcome and reports how it got there, so a run's log carries the numbers."""

from __future__ import annotations

from typing import Any

FIGURES: list[str] = []


def report(scenario: str, **figures: Any) -> None:
    line = f"{scenario}: " + ", ".join(
        f"{name.replace('_', ' ')} {value:.2f}" if isinstance(value, float) else f"{name.replace('_', ' ')} {value}"
        for name, value in figures.items()
    )
    FIGURES.append(line)
    print(line)  # noqa: T201 - also in the test's own captured output
