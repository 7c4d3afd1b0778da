"""Fixtures every test tier shares."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest


@pytest.fixture(scope="session")
def debian_binary() -> Callable[..., str]:
    """``debian_binary(name, package)``: the path of a tool from a Debian package (``make test`` installs
    Prometheus's and Alertmanager's). Missing, the test skips with the install command; under CI, where
    ``make test`` has installed them, it fails instead."""

    def find(*names: str, package: str) -> str:
        for name in names:
            path = shutil.which(name)
            if path is not None:
                return path
        message = f"{names[0]} is not installed: `make debs` (or `make test`) installs it, or apt-get install {package}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    return find
