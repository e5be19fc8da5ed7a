import json

from buildwright.frontend.image import ImageConfig
from buildwright.llb.platform import Platform


def test_scratch_config() -> None:
    image = ImageConfig.empty(Platform("linux", "amd64"))
    data = json.loads(image.to_json())
    assert data["config"] == {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "WorkingDir": "/",
    }
    assert data["architecture"] == "amd64" and data["os"] == "linux"


def test_round_trip_keeps_fields_in_go_order() -> None:
    raw = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"], "Env": ["A=1"], "User": "nobody", "Labels": {"b": "2", "a": "1"}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
        "history": [{"created_by": "x", "empty_layer": True}],
        "container_config": {"dropped": True},
    }
    image = ImageConfig.from_json(json.dumps(raw).encode())
    text = image.to_json().decode()
    assert '"config":{"User":"nobody","Env":["A=1"],"Cmd":["sh"],"Labels":{"a":"1","b":"2"}}' in text
    assert "container_config" not in text
    assert image.history[0].empty_layer


def test_html_characters_are_escaped_like_go() -> None:
    image = ImageConfig.empty(Platform("linux", "amd64"))
    image = image.with_history("RUN a && b > c", empty_layer=False)
    assert b"\\u0026\\u0026 b \\u003e c" in image.to_json()
