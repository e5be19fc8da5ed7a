"""Certificate validity read from the DER: the dates openssl wrote, and unreadable files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from buildwright.client.certdates import expired, validity
from tests.tlscerts import make_certificates, make_expired_client


def test_dates_of_a_current_and_an_expired_certificate(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    old = make_expired_client(tmp_path, certs.ca)
    found = validity(old.cert)
    assert found is not None
    assert (found.not_before, found.not_after) == (datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC))
    assert expired(old.cert)
    assert not expired(certs.client.cert)
    assert expired(certs.client.cert, now=datetime(2100, 1, 1, tzinfo=UTC))


def test_unreadable_files_have_no_dates(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert validity(tmp_path / "junk.pem") is None
    assert validity(tmp_path / "missing.pem") is None
    assert not expired(tmp_path / "missing.pem")
