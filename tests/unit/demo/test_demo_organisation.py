"""The sample organisation's teams own every demo product and are reachable."""

from __future__ import annotations

import re

import pytest

from streammesh.contracts.model import TEAM_PATTERN, Contract
from streammesh.demo.organisation import TEAMS, team

DOMAINS = {"customers", "catalog", "sales", "payments", "fulfilment", "web", "warehouse", "finance"}


def test_teams_are_unique_and_well_formed() -> None:
    names = [t.name for t in TEAMS]
    assert len(names) == len(set(names))
    assert len({t.domain for t in TEAMS}) == len(TEAMS)
    for t in TEAMS:
        assert re.match(TEAM_PATTERN, t.name), t.name
        assert t.channel.startswith("#") and "@" in t.on_call and t.display_name


def test_every_business_domain_has_a_team() -> None:
    assert {t.domain for t in TEAMS} >= DOMAINS
    assert team("@data-platform").domain == "platform"
    assert team("@analytics-team").display_name == "Analytics Engineering"


def test_unknown_team_lists_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="@sales-team"):
        team("@nobody")


def test_every_contract_is_owned_by_its_domain_team(contracts: dict[str, Contract]) -> None:
    for c in contracts.values():
        owner = team(c.owner)
        assert owner.domain == c.domain, c.name
        assert c.support.on_call == owner.on_call, c.name
        assert owner.channel in c.support.channels, c.name
