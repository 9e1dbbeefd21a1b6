"""moto_side.patch: once per method; a second, different replacement is refused, not lost."""

from __future__ import annotations

import pytest

from lambda_magic.sources.push.moto_side import PatchConflict, patch


def make_backend() -> type:
    class Backend:
        def publish(self):
            return ["moto"]

    return Backend


def wrapper(tag: str):
    def publish(self):
        return [tag, *publish.original(self)]

    return publish


def test_a_reinstalled_replacement_is_a_no_op():
    backend = make_backend()
    assert patch(backend, "publish", wrapper("sns")) is True
    assert patch(backend, "publish", wrapper("sns")) is False  # a new closure of the same def
    assert backend().publish() == ["sns", "moto"]


def test_a_second_different_replacement_raises_and_the_first_stays():
    backend = make_backend()
    assert patch(backend, "publish", wrapper("sns")) is True

    def other(self):
        return ["other", *other.original(self)]

    with pytest.raises(PatchConflict, match=r"Backend.publish is patched already by .*wrapper.<locals>.publish"):
        patch(backend, "publish", other)
    assert backend().publish() == ["sns", "moto"]
