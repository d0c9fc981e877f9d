"""/healthz reports whether the store and the state database answer."""
from __future__ import annotations

from models.loader import parse_config
from models.runtime import DEMO_CONFIG, Runtime
from tests.factories import make_review
from web.app import create_app
from web.runtime import PLUGINS


def test_healthy(client, store):
    store.upsert([make_review(), make_review()])
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "reviews": 2}


def test_unreachable_state_database_is_503(home, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the state directory should be")
    text = DEMO_CONFIG.read_text(encoding="utf-8") + f"\nstate_url: sqlite:///{blocker}/state.db\n"
    runtime = Runtime(parse_config(text, PLUGINS, "broken.yaml"), DEMO_CONFIG, home)
    response = create_app(runtime, {"TESTING": True}).test_client().get("/healthz")
    assert response.status_code == 503
    data = response.get_json()
    assert data["status"] == "unavailable"
    assert set(data["problems"]) == {"state"}
    runtime.close()
