"""Packages that import their exports on first use still export every name of their `__all__`."""

from __future__ import annotations

import importlib

import pytest

LAZY_PACKAGES = (
    "buildwright",
    "buildwright.api",
    "buildwright.client",
    "buildwright.client.session",
    "buildwright.progress",
)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None, name
        assert name in dir(module)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = module.no_such_name


def test_a_lazy_name_is_the_defining_modules_object() -> None:
    import buildwright
    from buildwright import api

    assert buildwright.build is api.build
    assert buildwright.EngineOptions is api.EngineOptions
