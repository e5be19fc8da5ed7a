from buildwright.frontend.gostr import go_duration, go_list, go_quote, go_quoted_list


def test_quote_escapes_like_strconv() -> None:
    assert go_quote('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert go_quote("tab\there") == '"tab\\there"'
    assert go_quote("\x01") == '"\\x01"'
    assert go_quote("café") == '"café"'
    assert go_quote("\u200b") == '"\\u200b"'


def test_list_formats() -> None:
    assert go_quoted_list(["/bin/sh", "-c", "echo hi"]) == '["/bin/sh" "-c" "echo hi"]'
    assert go_list(["80/tcp", "443/tcp"]) == "[80/tcp 443/tcp]"
    assert go_list([]) == "[]"


def test_durations() -> None:
    assert go_duration(0) == "0s"
    assert go_duration(30 * 10**9) == "30s"
    assert go_duration(90 * 10**9) == "1m30s"
    assert go_duration(100 * 10**6) == "100ms"
    assert go_duration(1_500_000_000) == "1.5s"
    assert go_duration(3600 * 10**9) == "1h0m0s"
