"""Bad input gets a clear error naming where it came from, never a traceback or a 500, and
the good data around it is kept (audit finding 5 and the input items of the Low list)."""
from __future__ import annotations

import socket

from click.testing import CliRunner

from web.cli import main


def test_a_second_run_on_a_busy_port_says_so_without_a_traceback(home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["run", "--home", str(home), "--host", "127.0.0.1",
                                           "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError)


def test_a_weekly_report_into_a_missing_directory_says_so(home, tmp_path):
    result = CliRunner().invoke(main, ["report", "weekly", "--home", str(home),
                                       "--out", str(tmp_path / "missing" / "x.xlsx")])
    assert result.exit_code == 2, result.output
    assert "no directory" in result.output and "missing" in result.output
    assert not isinstance(result.exception, OSError)
