"""The webhook payloads of agentkit.yaml (3.1 `webhooks:`) as typed models of the generated clients.

Ops-Core receives the lifecycle webhook and agents receive task deliveries; both can parse the raw
body with the generated models. The bodies are the named examples of the bundled spec.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import pydantic
import pytest

import opscore_client
from agentkit_client import AgentRegistrationDetails, LifecycleNotification, TaskEnvelope

ROOT = Path(__file__).resolve().parents[2]


def _load_spec() -> dict:
    """The bundled spec as data; read with the project's own YAML parser (npm `yaml`), so no PyYAML is needed."""
    out = subprocess.run(
        ["node", "-e", "process.stdout.write(JSON.stringify(require('yaml').parse(require('fs').readFileSync(process.argv[1], 'utf8'))))",
         str(ROOT / "generated" / "openapi" / "agentkit.yaml")],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


SPEC = _load_spec()


def _example(webhook: str, name: str) -> dict:
    content = SPEC["webhooks"][webhook]["post"]["requestBody"]["content"]["application/json"]
    return content["examples"][name]["value"]


def test_when_a_task_delivery_body_is_parsed_then_its_fields_are_typed():
    envelope = TaskEnvelope.from_json(json.dumps(_example("taskDelivery", "echo")))

    assert envelope.task_name == "echo"
    assert envelope.attempt == 1
    assert isinstance(envelope.dispatched_at, datetime)
    assert isinstance(envelope.deadline, datetime)  # 3.1 `type: [string, 'null']`, format date-time
    assert envelope.parameters == {"message": "hello"}


def test_when_a_lifecycle_webhook_body_is_parsed_then_the_agent_details_are_a_typed_model():
    body = json.dumps(_example("agentLifecycle", "register"))

    notification = LifecycleNotification.from_json(body)
    as_opscore_reads_it = opscore_client.AgentNotificationPayload.from_json(body)

    assert notification.event_type == "REGISTER"
    assert isinstance(notification.agent_details, AgentRegistrationDetails)
    assert notification.agent_details.contact_endpoint == "http://127.0.0.1:9000/tasks"
    assert as_opscore_reads_it.agent_details.agent_id == notification.agent_details.agent_id


def test_when_a_lifecycle_webhook_has_an_unknown_event_type_then_the_model_refuses_it():
    body = _example("agentLifecycle", "register") | {"event_type": "RENAME"}

    with pytest.raises(pydantic.ValidationError):
        LifecycleNotification.from_dict(body)
