"""Response figures per rule, on the page and in the API, within the reader's scope."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models.review import utcnow

MIN = timedelta(minutes=1)


def test_figures_per_rule_with_tuning_advice(client, signed_in, add_incident):
    opened = utcnow() - timedelta(days=1)

    def incident(rule, ack, resolved, resolution, entities=("yunque",)):
        events = [("opened", {})]
        if resolution:
            events.append((resolution, {}))
        return add_incident(rule=rule, opened_at=opened, entities=list(entities),
                            acknowledged_at=opened + ack if ack else None,
                            resolved_at=opened + resolved if resolved else None,
                            status="resolved" if resolution else "open",
                            events=tuple(events))
    incident("negative-spike", 4 * MIN, 20 * MIN, "resolved")
    incident("negative-spike", 10 * MIN, 10 * MIN, "false_alarm")
    incident("negative-spike", 6 * MIN, 30 * MIN, "false_alarm")
    incident("negative-spike", None, 40 * MIN, "auto_resolved")
    incident("crisis", 2 * MIN, None, None, entities=("huamei",))
    add_incident(rule="old", opened_at=opened - timedelta(days=40))  # outside the range

    data = client.get("/api/response").get_json()
    assert data["range"] == "30d"
    spike, crisis = data["rules"]
    assert spike == {"rule": "negative-spike", "incidents": 4, "acknowledged": 3,
                     "resolved_by_people": 3, "auto_resolved": 1, "false_alarms": 2,
                     "median_ack_seconds": 360.0, "median_resolve_seconds": 1200.0,
                     "false_alarm_share": pytest.approx(2 / 3), "precision": pytest.approx(1 / 3),
                     "advice": spike["advice"]}
    assert spike["advice"].startswith("negative-spike 的误报占 67%")
    assert data["teams"] == []  # no rule routes to a team in this config
    assert crisis["median_ack_seconds"] == 120.0 and crisis["false_alarm_share"] is None
    assert crisis["advice"] is None

    page = client.get("/response").get_data(as_text=True)
    assert "6m00s" in page and "20m00s" in page and "67% (2/3)" in page
    assert "negative-spike 的误报占 67%" in page
    english = client.get("/response?lang=en").get_data(as_text=True)
    assert "67% of the closed incidents of negative-spike were false alarms" in english
    scoped = signed_in("li", "handler", ["yunque"]).get("/api/response").get_json()
    assert [r["rule"] for r in scoped["rules"]] == ["negative-spike"]
    assert client.get("/api/response?range=1y").status_code == 400


def test_figures_per_team(app, runtime, client, add_incident):
    from models.config import TeamConfig
    from tests.alerting.conftest import spike_rule
    app.extensions["koubei"].config = runtime.config.model_copy(update={
        "rules": [spike_rule(team="care"), spike_rule(name="other")],
        "teams": [TeamConfig(name="care")]})
    opened = utcnow() - timedelta(hours=1)
    add_incident(rule="negative-spike", opened_at=opened, acknowledged_at=opened + 3 * MIN)
    add_incident(rule="other", opened_at=opened)
    data = client.get("/api/response").get_json()
    assert [(t["team"], t["incidents"], t["median_ack_seconds"]) for t in data["teams"]] == [
        ("care", 1, 180.0)]
    assert "按团队" in client.get("/response").get_data(as_text=True)
