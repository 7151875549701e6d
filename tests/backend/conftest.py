"""Fixtures of the backend tests: the session's wheelhouse and a builder using it."""

from __future__ import annotations

import fcntl
import shutil
from typing import TYPE_CHECKING

import pytest

from backend._helpers import Builder, prepare_wheelhouse

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("cc") is None or shutil.which("cmake") is None:
        pytest.skip("needs a C/C++ compiler and cmake")
    shared = tmp_path_factory.getbasetemp().parent  # the same for every xdist worker
    house = shared / "backend-wheelhouse"
    with (shared / "backend-wheelhouse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = house / ".done"
        failed = house / ".failed"
        if not done.exists() and not failed.exists():
            why = prepare_wheelhouse(house)
            if why is None:
                done.touch()
            else:
                failed.write_text(why)
        if failed.exists():
            pytest.skip(failed.read_text())
    return house


@pytest.fixture
def builder(wheelhouse: Path) -> Builder:
    return Builder(wheelhouse)
