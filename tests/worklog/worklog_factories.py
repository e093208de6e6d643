"""Work records as staff enter them, and a small community to link them to."""

from __future__ import annotations

from typing import Any

from tests.factories import make_household, make_member


def households() -> list[dict[str, Any]]:
    """Three stored households (ids 1–3, H0001–H0003); 张建国 heads the first."""
    found = []
    for n, room in enumerate(("101", "102", "201"), start=1):
        members = [make_member(0 if n == 1 else 10 * n), make_member(10 * n + 1)]
        found.append(make_household(room=room) | {"id": n, "household_no": f"H{n:04d}"})
        found[-1]["members"] = members
    return found


def case(channel: str, received: str, state: str, handled: str | None = None) -> dict[str, Any]:
    """A service case as stored."""
    return {
        "channel": channel,
        "received_date": received,
        "matter": "办理居住证明",
        "state": state,
        "handled_date": handled if state == "handled" else None,
    }


def visit(day: str, *refs: str, amount: int | None = None) -> dict[str, Any]:
    """A visit to the households with these references."""
    return {
        "date": day,
        "kind": "condolence",
        "visitors": "王书记",
        "households": [{"household": ref, "person": None} for ref in refs],
        "aid": "米面油一份",
        "aid_amount": amount,
    }
