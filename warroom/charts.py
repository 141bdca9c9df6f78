"""Trend charts for `warroom report --plot`: a PNG a manager can paste in a review.

matplotlib with the Agg backend, so it works on servers with no display.
"""

from __future__ import annotations

from pathlib import Path

from warroom.report import Report


def plot(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weeks = [p.week for p in report.trend]
    fig, (count_ax, mttr_ax, load_ax) = plt.subplots(3, 1, figsize=(9, 10), constrained_layout=True)
    count_ax.bar(weeks, [p.incidents for p in report.trend], width=5)
    count_ax.set_title("Incidents per week")
    mttr_ax.plot(weeks, [p.mttr if p.mttr is not None else float("nan") for p in report.trend], marker="o")
    mttr_ax.set_title("MTTR per week (minutes)")
    people = list(report.on_call)
    load_ax.bar(people, [report.on_call[p].pages for p in people], label="pages")
    load_ax.bar(people, [report.on_call[p].night_pages for p in people], label="night pages")
    load_ax.set_title("On-call load per person")
    load_ax.legend()
    fig.savefig(path, dpi=100)
    plt.close(fig)
