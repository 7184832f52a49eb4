"""Profiles: one source of sizes per page and profile, overrides, threads and seeding in one place."""
from __future__ import annotations

import pytest
import torch

import axlib
from axlib.companion import profiles


@pytest.fixture
def fake_page(monkeypatch):
    pages = {"98_fake": {"smoke": {"repeats": 1, "names": ("a",), "threads": 1},
                         "default": {"repeats": 3, "names": ("a", "b"), "threads": 1},
                         "paper": {"repeats": 9, "names": ("a", "b"), "threads": 1}}}
    monkeypatch.setattr(profiles, "PAGE_SIZES", pages)
    return pages


def test_page_sizes_by_profile_with_overrides(fake_page):
    cfg = axlib.profile("default", page="98", repeats=None, seed=3)
    assert (cfg.page, cfg.repeats, cfg.names, cfg.seed) == ("98_fake", 3, ("a", "b"), 3)
    assert axlib.profile("smoke", page="98_fake", repeats=5).repeats == 5       # a parameter replaces the size
    assert axlib.profile("paper", page="98").sizes["repeats"] == 9
    with pytest.raises(AttributeError, match="no setting 'kernel'"):
        axlib.profile("smoke", page="98").kernel


def test_a_page_mutating_a_size_leaves_page_sizes_alone(monkeypatch):
    pages = {"98_fake": {p: {"kernels": [1, 2], "batch": {"cifar10": 4}} for p in profiles.PROFILE_NAMES}}
    monkeypatch.setattr(profiles, "PAGE_SIZES", pages)
    cfg = axlib.profile("smoke", page="98")
    cfg.kernels.append(3)
    cfg.batch["cifar10"] = 99
    assert pages["98_fake"]["smoke"] == {"kernels": [1, 2], "batch": {"cifar10": 4}}
    assert axlib.profile("smoke", page="98").kernels == [1, 2]


def test_threads_and_seed_are_applied(fake_page):
    before = torch.get_num_threads()
    try:
        axlib.profile("default", page="98", seed=7)
        assert torch.get_num_threads() == 1
        a = torch.rand(3)
        axlib.profile("default", page="98", seed=7)
        assert torch.equal(a, torch.rand(3))
    finally:
        torch.set_num_threads(before)


def test_bad_names_are_refused(fake_page):
    with pytest.raises(ValueError, match="profile must be one of"):
        axlib.profile("huge")
    with pytest.raises(ValueError, match=r"page must be one of \['98_fake'\]"):
        axlib.profile("smoke", page="97")
    with pytest.raises(ValueError, match=r"unknown profile setting\(s\) \['repeat'\]"):
        axlib.profile("smoke", page="98", repeat=2)
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        axlib.profile("smoke", page="98", threads=0)
    with pytest.raises(ValueError, match="device must be"):
        axlib.profile("smoke", device="gpu0")


def test_every_page_has_the_same_sizes_in_every_profile():
    for page, by_profile in profiles.PAGE_SIZES.items():
        assert set(by_profile) == set(profiles.PROFILE_NAMES), page
        keys = [set(sizes) for sizes in by_profile.values()]
        assert all(k == keys[0] for k in keys), f"{page}: sizes differ between profiles"


def test_a_size_given_a_value_of_another_kind_is_refused(fake_page):
    with pytest.raises(ValueError, match=r"repeats must be an integer >= 1, got -3 \(a size of page 98_fake; "
                                         r"the profiles use smoke 1, default 3, paper 9\)"):
        axlib.profile("default", page="98", repeats=-3)
    with pytest.raises(ValueError, match="repeats must be an integer >= 1, got '5'"):
        axlib.profile("default", page="98", repeats="5")
    with pytest.raises(ValueError, match=r"names must be a non-empty list, got 'a'"):
        axlib.profile("default", page="98", names="a")
    with pytest.raises(ValueError, match="seed must be an integer >= 0, got -1"):
        axlib.profile("default", page="98", seed=-1)
    assert axlib.profile("default", page="98", names=["c"]).names == ["c"]
