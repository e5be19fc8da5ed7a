import pytest

from buildwright.errors import DockerfileError
from buildwright.frontend.ports import parse_ports


def test_ports_and_ranges() -> None:
    assert parse_ports(["80", "53/UDP", "8000-8002/tcp"]) == ["80/tcp", "53/udp", "8000/tcp", "8001/tcp", "8002/tcp"]


def test_host_mapping_keeps_container_port() -> None:
    assert parse_ports(["127.0.0.1:8080:80"]) == ["80/tcp"]


@pytest.mark.parametrize("bad", ["abc", "80/xyz", "70000", "/tcp"])
def test_invalid_ports(bad: str) -> None:
    with pytest.raises(DockerfileError):
        parse_ports([bad])
