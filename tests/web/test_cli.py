"""The root ``koubei`` command and ``koubei init``."""
from __future__ import annotations

from contextlib import closing

from click.testing import CliRunner
from sqlalchemy import select

from models.state import User
from web.cli import main
from web.runtime import open_runtime
from web.security.accounts import authenticate, token_account


def _runtime(home):
    """The runtime ``koubei init`` set up in ``home``, closed when the block ends."""
    return closing(open_runtime(home=home))


def test_every_package_contributes_its_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "run", "crawl", "import", "analyze", "train", "evaluate", "detect",
                    "reviews", "config", "demo-site", "users"):
        assert f"  {command} " in result.output, command


def test_init_creates_the_stores_and_users_once(home):
    runner = CliRunner()
    first = runner.invoke(main, ["init", "--home", str(home)])
    assert first.exit_code == 0, first.output
    assert "user added: admin (admin)" in first.output
    assert (home / "reviews.db").exists() and (home / "state.db").exists()
    second = runner.invoke(main, ["init", "--home", str(home)])
    assert second.exit_code == 0 and "user added" not in second.output

    with _runtime(home) as runtime, runtime.state.session() as session:
        assert [(u.username, u.role) for u in session.scalars(select(User))] == [("admin", "admin")]


def test_init_gives_the_first_admin_a_password_printed_once(home, monkeypatch):
    monkeypatch.delenv("KOUBEI_ADMIN_PASSWORD", raising=False)
    runner = CliRunner()
    first = runner.invoke(main, ["init", "--home", str(home)])
    line = next(text for text in first.output.splitlines()
                if text.startswith("admin account: admin"))
    password = line.split("password: ")[1].split()[0]
    assert "shown once" in line and len(password) >= 12
    again = runner.invoke(main, ["init", "--home", str(home)])
    assert "password" not in again.output
    with _runtime(home) as runtime:
        assert authenticate(runtime.state, "admin", password).role == "admin"


def test_users_add_list_disable_and_token(home):
    runner = CliRunner()
    runner.invoke(main, ["init", "--home", str(home)])
    added = runner.invoke(main, ["users", "add", "li", "--role", "handler", "--entity", "yunque",
                                 "--name", "李雷", "--password-stdin", "--home", str(home)],
                          input="long-enough-密码\n")
    assert added.exit_code == 0, added.output
    assert added.output == "user added: li (handler; yunque)\n"
    duplicate = runner.invoke(main, ["users", "add", "li", "--password-stdin", "--home",
                                     str(home)], input="long-enough-密码\n")
    assert duplicate.exit_code == 1 and "user 'li' already exists" in duplicate.output
    weak = runner.invoke(main, ["users", "add", "wu", "--password-stdin", "--home", str(home)],
                         input="short\n")
    assert weak.exit_code == 1 and "at least 8 characters" in weak.output
    unknown = runner.invoke(main, ["users", "add", "wu", "--entity", "nokia", "--password-stdin",
                                   "--home", str(home)], input="long-enough-密码\n")
    assert unknown.exit_code == 1 and "unknown entity 'nokia'" in unknown.output
    token = runner.invoke(main, ["users", "token", "li", "--home", str(home)]).output.strip()
    assert token.startswith("kb_")
    assert runner.invoke(main, ["users", "disable", "li", "--home", str(home)]).exit_code == 0
    listed = runner.invoke(main, ["users", "list", "--home", str(home)]).output.splitlines()
    assert listed == ["admin\tadmin\t*\tactive", "li\thandler\tyunque\tdisabled"]
    missing = runner.invoke(main, ["users", "disable", "ghost", "--home", str(home)])
    assert missing.exit_code == 1 and "no user 'ghost'" in missing.output
    with _runtime(home) as runtime:
        assert authenticate(runtime.state, "li", "long-enough-密码") is None
        assert token_account(runtime.state, token) is None


def test_config_check_defaults_to_the_active_config_and_lists_every_problem(home, monkeypatch):
    monkeypatch.delenv("KOUBEI_CONFIG", raising=False)
    runner = CliRunner()  # click 8.2+: result.stdout and result.stderr apart
    demo = runner.invoke(main, ["config", "check", "--home", str(home)])
    assert demo.exit_code == 0 and demo.stdout.strip() == "ok"
    assert "demo.yaml" in demo.stderr  # no koubei.yaml in the data directory: the demo config
    (home / "koubei.yaml").write_text(
        "entities:\n  - {id: a, name: A, keywords: [A]}\n  - {id: a, name: B, keywords: [B]}\n"
        "channels:\n  - {name: hook, type: webhook, url: not a url, colour: red}\n"
        "rules:\n  - {name: r, type: negative_spike, channels: [pager]}\n", encoding="utf-8")
    monkeypatch.setenv("KOUBEI_HOME", str(home))
    result = runner.invoke(main, ["config", "check"])
    assert result.exit_code == 1
    assert str(home / "koubei.yaml") in result.stderr and "4 problem(s)" in result.stderr
    assert result.stdout.splitlines() == [
        f"{home / 'koubei.yaml'}: channels[0].colour: unknown key",
        f"{home / 'koubei.yaml'}: entities[1].id: duplicate id 'a'",
        f"{home / 'koubei.yaml'}: rules[0].channels: unknown channel 'pager'",
        f"{home / 'koubei.yaml'}: channels[0].url: not a web address: 'not a url'; expected "
        "http:// or https:// and a host"]


def test_starting_koubei_loads_none_of_the_machinery_its_commands_use():
    """`koubei --help` and every `koubei COMMAND --help` import no store, state database,
    config model, analyser, crawler, scheduler or web app: each command loads those when it
    runs, which keeps start-up well under half a second (`make bench` measures it)."""
    import subprocess
    import sys
    script = (
        "import sys\n"
        "from web.cli import main\n"
        "names = [[]] + [[n] for n in main.commands] + [[n, s] for n, c in main.commands.items()"
        " for s in getattr(c, 'commands', {})]\n"
        "for args in names:\n"
        "    try:\n"
        "        main(args + ['--help'], standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('sqlalchemy', 'pydantic', 'scipy', 'sklearn', 'scrapy', 'flask', 'jieba',"
        " 'rjieba', 'apscheduler', 'elasticsearch', 'openpyxl', 'httpx', 'models.state',"
        " 'models.config', 'models.store', 'alerting.detect', 'alerting.respond',"
        " 'nlp.enrich', 'nlp.sentiment', 'nlp.segment', 'nlp.training', 'crawlers',"
        " 'reportlab', 'ruamel', 'web.app', 'web.reports.pdf', 'web.runtime', 'alembic',"
        " 'psycopg', 'models.migrations', 'models.lease', 'models.state_copy')\n"
        "print(sorted({m for m in sys.modules for h in heavy if m == h or"
        " m.startswith(h + '.')}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
