"""Frames made from a query that retention shortened say so, in attrs and in their display."""

from lambda_magic.display.frames import invocations_frame, logs_frame
from lambda_magic.display.retained import retention_note
from lambda_magic.runtime.invocation import Invocation
from lambda_magic.runtime.logstore import LogEvent
from lambda_magic.runtime.retention import Retained


def inv(n, status="success"):
    return Invocation(f"r{n}", "f", "$LATEST", "RequestResponse", 200, status, duration_ms=1.0, start=1e9 + n)


def test_invocations_frame_notes_the_dropped_rows():
    rows = Retained([inv(1), inv(2, "error"), inv(3)], dropped=199_997, retention=3, setting="retained_invocations")
    frame = invocations_frame(rows)
    assert (frame.attrs["dropped"], frame.attrs["total"], frame.attrs["retention"]) == (199_997, 200_000, 3)
    note = (
        "showing the last 3 of 200,000 invocations (older ones dropped by retention: "
        "lm.account().configure(retained_invocations=N) or %config LambdaMagic.retained_invocations = N; "
        "None keeps all)"
    )
    assert repr(frame).endswith(note)
    assert frame._repr_html_().endswith(f'<p class="lambda-magic-retention"><em>{note}</em></p>')
    errors = frame[frame["status"] == "error"]  # a derived frame names where its rows came from
    assert repr(errors).endswith(
        "from the last 3 of 200,000 invocations" + note[len("showing the last 3 of 200,000 invocations") :]
    )


def test_logs_frame_notes_the_dropped_events_and_plain_lists_have_none():
    events = Retained(
        [LogEvent(1e12, "f", "s", "r", None, "hello")], dropped=4, retention=1, setting="retained_log_events"
    )
    frame = logs_frame(events)
    assert "showing the last 1 of 5 log events" in repr(frame) and "hello" in frame._repr_html_()
    assert frame.attrs["dropped"] == 4
    plain = invocations_frame([inv(1)])
    assert plain.attrs["dropped"] == 0 and retention_note(plain.attrs) is None
    assert "retention" not in repr(plain)
