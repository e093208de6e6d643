"""A street of two generated communities for the street's table tests, and a browser's login.

The first community (东区) is the deployment's own data folder, the second (西区, code xq)
its folder communities/xq/; both are real TinyDB folders, each with an admin, a reviewer
and a surveyor of its own; the first also has the street's account.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

from werkzeug.test import Client

from census.demo.generate import generate_demo
from census.demo.seed import load_demo
from census.services import records
from census.services.accounts import add_user
from census.services.communities import add_community, name_community
from census.street.deployment import Deployment
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import make_household

AS_OF = date(2025, 6, 30)
EAST, WEST = "东区社区", "西区社区"
CHANNELS = ("window", "petition", "hotline")
STATES = ("consulted", "accepted", "accepted", "handled", "handled", "handled")


def fill(census: Any, seed: int, households: int, name: str) -> None:
    """A generated community with its own admin (boss), reviewer and surveyor (walker)."""
    load_demo(
        census.store, generate_demo(seed=seed, households=households, as_of=AS_OF), census.surveys
    )
    name_community(census.store, name)
    for username, role in (("boss", "admin"), ("checker", "reviewer"), ("walker", "surveyor")):
        add_user(census.store, username, role, PASSWORD, hash_method=FAST_HASH)


def make_street(config: dict[str, Any]) -> Deployment:
    """The deployment of 东区 (12 households) and 西区 (9), and the street's account."""
    street = Deployment(config)
    home = street.census
    fill(home, 3, 12, EAST)
    add_user(
        home.store, "street1", "street", PASSWORD, display_name="街道王芳", hash_method=FAST_HASH
    )
    add_community(home.store, WEST, "xq", home_name=EAST, actor="test")
    west = street.census_of("xq", create=True)  # its store made, as adding it does
    assert west is not None
    fill(west, 8, 9, WEST)
    return street


def service_cases(seed: int, count: int) -> list[dict[str, Any]]:
    """``count`` service cases of random channels and states, received between December 2024
    and August 2025 (some outside a first-half-of-2025 period)."""
    pick = random.Random(seed)
    cases = []
    for _ in range(count):
        received = date(2024, 12, 1) + timedelta(days=pick.randrange(270))
        state = pick.choice(STATES)
        cases.append({
            "channel": pick.choice(CHANNELS),
            "received_date": received.isoformat(),
            "matter": "开具居住证明",
            "state": state,
            "handled_date": received.isoformat() if state == "handled" else None,
        })  # fmt: skip
    return cases


def save_cases(census: Any, cases: list[dict[str, Any]]) -> None:
    """Store service cases as staff enter them on the work-record form."""
    form = census.surveys["service_case"]
    for case in cases:
        result = records.save(census.store, form, case, user="boss")
        assert result.saved, result.problems


def submit_household(census: Any, room: str, surveyor: str = "walker") -> None:
    """A household a surveyor saved: it waits for review."""
    building = census.store.collection("buildings").scan()[0]["name"]
    defn = census.surveys["household"]
    result = records.save(
        census.store, defn, make_household(building=building, room=room), user=surveyor
    )
    assert result.saved, result.problems
    assert census.store.collection("households").get(result.id)["review_state"] == "submitted"


def token(client: Client, url: str) -> str:
    """The CSRF token of the form on a page."""
    html = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def login(client: Client, username: str, community: str = "") -> None:
    """Log in on the login page of a community (blank: the first), as a browser does."""
    url = f"/login?community={community}"
    answer = client.post(
        url, data={"username": username, "password": PASSWORD, "csrf_token": token(client, url)}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]


def census(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``census …`` in a process of its own, with ``env`` over this one's environment."""
    return subprocess.run(
        [sys.executable, "-m", "census", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=300,
    )
