"""Shared test vectors of the core crate (core/tests/vectors), read as the Rust tests read them."""

import json
import os
from pathlib import Path

import pytest

VECTORS = Path(
    os.environ.get("TWOSTEP_VECTORS", Path(__file__).resolve().parents[3] / "core/tests/vectors")
)


def load(name):
    with open(VECTORS / name, encoding="utf-8") as f:
        return json.load(f)


def cases(name):
    """The cases of a vector file as pytest parameters named after the case."""
    return [pytest.param(c, id=c["name"]) for c in load(name)["cases"]]
