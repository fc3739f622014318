"""Pure rules of the catalog: lifecycle transitions and facet counting."""

from __future__ import annotations

import pytest

from streammesh.catalog.lifecycle import TRANSITIONS, check_transition
from streammesh.exceptions import ConflictError
from tests.unit.catalog.facet_reference import facet_counts


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("draft", "published"),
        ("published", "deprecated"),
        ("deprecated", "retired"),
        ("deprecated", "published"),
    ],
)
def test_allowed_transitions(current, target):
    check_transition("x.y", current, target)


@pytest.mark.parametrize(
    ("current", "target", "hint"),
    [
        ("published", "retired", "deprecate it first"),
        ("draft", "deprecated", "publish it"),
        ("retired", "published", "publish a new product"),
    ],
)
def test_refused_transitions_say_what_to_do(current, target, hint):
    with pytest.raises(ConflictError) as info:
        check_transition("x.y", current, target)
    assert hint in (info.value.hint or "")


def test_retired_is_final():
    assert TRANSITIONS["retired"] == set()


def test_facets_count_each_facet_with_the_other_filters():
    values = {
        "a": {
            "domain": {"sales"},
            "tag": {"x", "y"},
            "tier": {"tier-1"},
            "quality": set(),
            "status": {"published"},
            "classification": {"pii"},
        },
        "b": {
            "domain": {"web"},
            "tag": {"x"},
            "tier": {"tier-2"},
            "quality": set(),
            "status": {"published"},
            "classification": set(),
        },
        "c": {
            "domain": {"sales"},
            "tag": set(),
            "tier": {"tier-2"},
            "quality": set(),
            "status": {"draft"},
            "classification": set(),
        },
    }
    facets, matched = facet_counts(values, {"domain": ["sales"], "tier": ["tier-2"]})
    assert matched == ["c"]
    assert facets["domain"] == {"sales": 1, "web": 1}  # counted with the tier filter only
    assert facets["tier"] == {"tier-1": 1, "tier-2": 1}  # counted with the domain filter only
    assert facets["status"] == {"draft": 1}
    assert facets["tag"] == {}
