"""Response: incidents, the handler's workflow, routing, escalation, silences, delivery, channels."""
