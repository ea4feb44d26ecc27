"""``/dashboard``: the range's calls, leads, appointments and tasks, each linked to its list."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.components.layout import page_frame
from crm_app.state.dashboard import DashboardState

RANGES = ("today", "7d", "30d", "custom")
CARDS = ("calls", "sources", "appointments", "tasks", "funnel")


def _range_picker() -> rx.Component:
    buttons = [
        rx.button(
            t(f"dashboard.range.{name}"),
            size="1",
            variant=rx.cond(DashboardState.range == name, "solid", "soft"),
            on_click=DashboardState.choose_range(name),
            id=f"range-{name}",
        )
        for name in RANGES
    ]
    custom = rx.form(
        rx.hstack(
            rx.input(
                type="date",
                name="from",
                default_value=DashboardState.date_from,
                custom_attrs={"aria-label": t("dashboard.from")},
                id="range-from",
            ),
            rx.input(
                type="date",
                name="to",
                default_value=DashboardState.date_to,
                custom_attrs={"aria-label": t("dashboard.to")},
                id="range-to",
            ),
            rx.button(t("dashboard.show"), size="1", type="submit", id="range-apply"),
            wrap="wrap",
            align="center",
        ),  # fmt: skip
        on_submit=DashboardState.set_custom,
    )
    return rx.vstack(
        rx.hstack(*buttons, wrap="wrap", spacing="2"),
        rx.cond(DashboardState.range == "custom", custom),
        rx.cond(
            DashboardState.range_error != "",
            rx.text(DashboardState.range_error, color_scheme="red", size="2"),
        ),
        spacing="2",
    )


def _figure(tile: str, figure: rx.Var) -> rx.Component:
    body = rx.hstack(
        rx.text(figure["label"], size="2", color_scheme="gray"),
        rx.spacer(),
        rx.text(figure["value"], size="4", weight="bold", class_name="nowrap"),
        width="100%",
        align="center",
    )
    return rx.cond(
        figure["href"] != "",
        rx.link(body, href=figure["href"], underline="none", width="100%",
                custom_attrs={"data-testid": "figure", "data-tile": tile,
                              "data-key": figure["key"], "data-value": figure["value"]}),
        rx.box(body, width="100%", custom_attrs={"data-testid": "figure", "data-tile": tile,
                                                  "data-key": figure["key"],
                                                  "data-value": figure["value"]}),
    )  # fmt: skip


def _card(name: str) -> rx.Component:
    figures = DashboardState.figures[name].to(list[dict[str, str]])
    return rx.card(
        rx.vstack(
            rx.heading(t(f"dashboard.tile.{name}"), size="3"),
            rx.cond(
                DashboardState.errors[name].to(str) != "",
                rx.callout(t("dashboard.tile_failed"), color_scheme="red", size="1"),
                rx.cond(
                    figures.length() > 0,
                    rx.vstack(
                        rx.foreach(figures, lambda f: _figure(name, f)), width="100%", spacing="2"
                    ),
                    rx.text(t("dashboard.nothing"), size="2", color_scheme="gray"),
                ),
            ),  # fmt: skip
            width="100%",
        ),
        min_width="min(100%, 16em)",
        flex="1",
        id=f"tile-{name}",
    )


def _chart() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("dashboard.tile.per_day"), size="3"),
            rx.recharts.bar_chart(
                rx.recharts.bar(data_key="calls", fill="var(--accent-9)"),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(allow_decimals=False, width=30),
                rx.recharts.tooltip(),
                data=DashboardState.per_day,
                height=200,
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
        id="tile-per_day",
        dir="ltr",
    )


def _list(key: str, rows: rx.Var, test_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t(key), size="3"),
            rx.cond(
                rows.length() > 0,
                rx.vstack(
                    rx.foreach(
                        rows,
                        lambda r: rx.link(
                            rx.hstack(
                                rx.text(r["title"], size="2", dir="auto"),
                                rx.spacer(),
                                rx.text(
                                    r["detail"], size="1", color_scheme="gray", class_name="nowrap"
                                ),
                                width="100%",
                            ),
                            href=r["href"],
                            underline="none",
                            width="100%",
                        ),
                    ),
                    width="100%",
                ),
                rx.text(t("dashboard.nothing"), size="2", color_scheme="gray"),
            ),  # fmt: skip
            width="100%",
        ),
        min_width="min(100%, 20em)",
        flex="1",
        id=test_id,
    )


def _activity_row(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.vstack(
                rx.text(row["title"], size="2", weight="medium", dir="auto"),
                rx.text(row["what"], size="1", color_scheme="gray", dir="auto", class_name="clip"),
                spacing="0",
                min_width="0",
                flex="1",
            ),
            rx.text(row["detail"], size="1", color_scheme="gray", class_name="nowrap"),
            width="100%",
        ),
        href=row["href"],
        underline="none",
        width="100%",
        data_testid="activity-row",
    )


def _latest() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("dashboard.latest"), size="3"),
            rx.cond(
                DashboardState.latest.length() > 0,
                rx.vstack(rx.foreach(DashboardState.latest, _activity_row), width="100%"),
                rx.text(t("dashboard.nothing"), size="2", color_scheme="gray"),
            ),
            width="100%",
        ),
        min_width="min(100%, 20em)",
        flex="1",
        id="list-latest",
    )


def dashboard_page() -> rx.Component:
    """The dashboard."""
    return page_frame(
        rx.vstack(
            _range_picker(),
            rx.flex(*[_card(n) for n in CARDS], gap="4", wrap="wrap", width="100%"),
            _chart(),
            rx.flex(
                _list("dashboard.call_back", DashboardState.call_back, "list-call-back"),
                _list("dashboard.missed", DashboardState.missed, "list-missed"),
                _latest(),
                gap="4",
                wrap="wrap",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        title=t("dashboard.title"),
    )
