"""Compose services as bake targets, as buildx's compose.go maps them."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildwright.errors import BakeFileError
from tests.unit.bakefile.helpers import bake

COMPOSE = """
services:
  web.front:
    image: example/web
    environment:
      SVC: from-service
    build:
      context: ./web
      args:
        - SVC
        - PROC
        - NOWHERE
        - SET=${TAG:-fallback}
      shm_size: 2gb
      extra_hosts:
        - "a=1.1.1.1"
        - "a:2.2.2.2"
      additional_contexts:
        dep: service:other.svc
      sbom: true
      x-bake:
        tags: one two
        platforms: [linux/arm64]
        pull: true
  other.svc:
    build: other
  nobuild:
    image: redis
"""


def test_services_become_targets_in_the_default_group(tmp_path: Path) -> None:
    definition = bake(tmp_path, {"compose.yaml": COMPOSE}, env={"PROC": "from-process"})
    assert definition.groups["default"] == ("other_svc", "web_front")
    web = definition.targets["web_front"]
    assert web["context"] == "web"
    assert web["args"] == {"PROC": "from-process", "SET": "fallback", "SVC": "from-service"}
    assert web["shm-size"] == "2GiB"
    assert web["extra-hosts"] == {"a": "1.1.1.1,2.2.2.2"}
    assert web["contexts"] == {"dep": "target:other_svc"}
    assert web["attest"] == ({"type": "sbom"},)
    assert web["tags"] == ("one", "two")
    assert web["platforms"] == ("linux/arm64",)
    assert web["pull"] is True
    assert definition.targets["other_svc"]["context"] == "other"


def test_the_image_is_the_tag_when_there_is_none(tmp_path: Path) -> None:
    compose = "services:\n  app:\n    image: example/app:1\n    build: .\n"
    assert bake(tmp_path, {"compose.yaml": compose}).targets["app"]["tags"] == ("example/app:1",)


def test_dotenv_fills_names_the_environment_lacks(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TAG=from-dotenv\nOTHER=x\n")
    compose = "services:\n  app:\n    build:\n      context: .\n      args:\n        T: ${TAG}\n        O: ${OTHER}\n"
    args = bake(tmp_path, {"compose.yaml": compose}, env={"OTHER": "from-env"}).targets["app"]["args"]
    assert args == {"O": "from-env", "T": "from-dotenv"}


def test_compose_errors(tmp_path: Path) -> None:
    with pytest.raises(BakeFileError, match="failed to parse compose file"):
        bake(tmp_path, {"compose.yaml": "services:\n  app:\n    build:\n      args: ${X:?needed}\n"})
