"""Feeds come from the SOURCES registry: every source settings.toml names has an entry,
and a registered source is chosen by its flag and built without touching build_feeds."""

from __future__ import annotations

import argparse
import typing

import pytest

from arbscope.cli import UsageError
from arbscope.cli.sources import (
    SOURCES,
    FeedRequest,
    Source,
    add_source_arguments,
    build_feeds,
    chosen_source,
    register_source,
)
from arbscope.market.base import Feed
from arbscope.market.sim import SimFeed
from arbscope.storage.settings import Settings


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_source_arguments(parser)
    return parser.parse_args(list(argv))


def test_every_source_the_settings_can_name_is_registered() -> None:
    named = typing.get_args(Settings.model_fields["source"].annotation)
    assert set(named) == set(SOURCES)


def test_the_flag_wins_over_the_settings_and_no_flag_follows_them() -> None:
    assert chosen_source(_parse("--replay", "x.jsonl"), Settings(source="sim")) == "replay"
    assert chosen_source(_parse("--live", "kraken"), Settings()) == "live"
    assert chosen_source(_parse(), Settings(source="replay")) == "replay"
    assert chosen_source(_parse(), Settings()) == "sim"


def test_a_registered_source_is_built_from_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("arbscope.cli.sources.SOURCES", dict(SOURCES))
    requests: list[FeedRequest] = []

    def build(request: FeedRequest) -> list[Feed]:
        requests.append(request)
        return [SimFeed(seed=1, symbols=request.symbols)]

    register_source(Source("echo", "--echo", lambda a: getattr(a, "echo", False), build))
    args = _parse("--symbols", "BTC/USDT")
    args.echo = True
    feeds = build_feeds(args, Settings(), default_speed=2.0)
    assert [f.name for f in feeds] == ["SIM"]
    assert requests[0].symbols == ["BTC/USDT"] and requests[0].default_speed == 2.0


def test_a_source_nobody_registered_is_refused_with_the_ones_that_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("arbscope.cli.sources.SOURCES", {"sim": SOURCES["sim"]})
    with pytest.raises(UsageError, match=r"unknown source 'replay'; use one of --sim"):
        build_feeds(_parse(), Settings(source="replay"))
