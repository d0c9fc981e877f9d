"""The root ``koubei`` command and ``koubei init``."""
from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from models.state import User
from web.cli import main


def test_every_package_contributes_its_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "run", "crawl", "import", "analyze", "train", "evaluate", "detect",
                    "reviews", "config", "demo-site"):
        assert f"  {command} " in result.output, command


def test_init_creates_the_stores_and_users_once(home):
    runner = CliRunner()
    first = runner.invoke(main, ["init", "--home", str(home)])
    assert first.exit_code == 0, first.output
    assert "user added: admin (admin)" in first.output
    assert (home / "reviews.db").exists() and (home / "state.db").exists()
    second = runner.invoke(main, ["init", "--home", str(home)])
    assert second.exit_code == 0 and "user added" not in second.output

    from models.runtime import open_runtime
    runtime = open_runtime(home=home)
    with runtime.state.session() as session:
        assert [(u.username, u.role) for u in session.scalars(select(User))] == [("admin", "admin")]
    runtime.close()
