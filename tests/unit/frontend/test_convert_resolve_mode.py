"""`--pull` and dockerd's prefer-local mode: how base images resolve, and what the FROM op records."""

from __future__ import annotations

import pytest

from tests.unit.frontend.test_convert import compile_text, ops

DOCKERFILE = """\
FROM busybox AS base
RUN true
FROM base
COPY --from=busybox:latest /bin/sh /sh
"""


@pytest.mark.parametrize(("mode", "attr"), [("default", None), ("pull", "pull"), ("local", "local")])
def test_resolve_mode_reaches_resolver_and_image_ops(mode: str, attr: str | None) -> None:
    compiled, resolver = compile_text(DOCKERFILE, image_resolve_mode=mode)
    assert resolver.requests and {r.resolve_mode for r in resolver.requests} == {mode}
    images = [op for op in ops(compiled) if op["op"].get("source", {}).get("identifier", "").startswith("docker-image")]
    assert len(images) == 1  # both references name one image, pinned by digest
    for op in images:
        assert op["op"]["source"].get("attrs", {}).get("image.resolvemode") == attr
        # The engine must support the mode only when the client forces a pull (the reference's rule).
        assert ("source.image.resolvemode" in op["metadata"]["caps"]) == (mode == "pull")
