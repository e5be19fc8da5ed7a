"""CancelScope: callbacks run once, at cancel time or at once when registered late."""

from __future__ import annotations

import threading

from buildwright.client.cancel import CancelScope, cancel_scope, current_scope


def test_callbacks_run_once_when_cancelled() -> None:
    scope = CancelScope()
    calls: list[str] = []
    scope.on_cancel(lambda: calls.append("a"))
    unregister = scope.on_cancel(lambda: calls.append("b"))
    unregister()
    assert not scope.cancelled and calls == []
    scope.cancel()
    scope.cancel()
    assert scope.cancelled and calls == ["a"]
    scope.on_cancel(lambda: calls.append("late"))
    assert calls == ["a", "late"]


def test_scope_is_seen_only_inside_its_block_and_thread() -> None:
    scope = CancelScope()
    seen: list[object] = []
    with cancel_scope(scope):
        assert current_scope() is scope
        worker = threading.Thread(target=lambda: seen.append(current_scope()))
        worker.start()
        worker.join()
    assert current_scope() is None
    assert seen == [None]
