"""Retention through ``%config LambdaMagic.<trait>``, and what the frames then say."""

import lambda_magic as lm


def test_config_sets_the_retention_and_the_frames_say_what_was_dropped(shell):
    try:
        shell.run_line_magic("config", "LambdaMagic.retained_invocations = 3")
        shell.run_line_magic("config", "LambdaMagic.retained_log_events = 8")
        assert (lm.account().settings.retained_invocations, lm.account().settings.retained_log_events) == (3, 8)
        shell.run_cell_magic("lambda", "hello", "def lambda_handler(event, context):\n    print('hi')\n")
        for _ in range(10):
            shell.run_line_magic("lambda", "invoke hello {}")
        frame = lm.invocations("hello")
        assert len(frame) == 3 and (frame.attrs["dropped"], frame.attrs["total"]) == (7, 10)
        note = "showing the last 3 of 10 invocations (older ones dropped by retention"
        assert note in repr(frame) and note in frame._repr_html_()
        assert "%config LambdaMagic.retained_invocations = N" in repr(frame)
        logs = lm.logs("hello")
        assert len(logs) == 8 and logs.attrs["dropped"] > 0
        assert f"showing the last 8 of {8 + logs.attrs['dropped']:,} log events" in repr(logs)
        assert lm.metrics("hello", period="1h")["Invocations"].sum() == 10  # metrics stay exact
        shell.run_line_magic("config", "LambdaMagic.retained_invocations = -1")  # refused by validation
        assert lm.account().settings.retained_invocations == 3
        shell.run_line_magic("config", "LambdaMagic.retained_invocations = None")
        shell.run_line_magic("lambda", "invoke hello {}")
        assert len(lm.invocations("hello")) == 4
    finally:
        shell.run_line_magic("config", "LambdaMagic.retained_invocations = 10000")
        shell.run_line_magic("config", "LambdaMagic.retained_log_events = 100000")


def test_frames_without_dropped_rows_have_no_note(shell):
    shell.run_cell_magic("lambda", "hello", "def lambda_handler(event, context):\n    return 1\n")
    shell.run_line_magic("lambda", "invoke hello {}")
    frame = lm.invocations()
    assert frame.attrs["dropped"] == 0 and "dropped by retention" not in repr(frame)
    assert "dropped by retention" not in (frame._repr_html_() or "")
