"""Ops-Core's request models, rebuilt from OPSCORE_CONTRACT.md, as an oracle for the fidelity test.

The real Ops-Core (FastAPI, pydantic v2) validates request bodies with these models and answers
422 when validation fails. test/contract/opscore-fidelity.test.ts feeds payloads through them to
prove that what it claims Ops-Core accepts or rejects is what pydantic really does.

Reads a JSON list of {"model": name, "payload": value} on stdin; prints a JSON list of
{"valid": bool, "errors": [...]} in the same order.
"""

import json
import sys
from datetime import datetime
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, HttpUrl, ValidationError


class AgentRegistrationDetails(BaseModel):
    agentId: str
    agentName: str
    version: str
    capabilities: List[str] = []
    contactEndpoint: HttpUrl
    metadata: Dict[str, Any] = {}


class AgentNotificationPayload(BaseModel):
    event_type: str
    agent_details: AgentRegistrationDetails


class AgentStateUpdatePayload(BaseModel):
    agentId: str
    state: str
    timestamp: datetime
    details: Optional[Dict[str, Any]] = None


MODELS = {
    "AgentNotificationPayload": AgentNotificationPayload,
    "AgentStateUpdatePayload": AgentStateUpdatePayload,
}


def verdict(model: str, payload: Any) -> Dict[str, Any]:
    try:
        # FastAPI validates the decoded JSON body like this (python mode, lax).
        MODELS[model].model_validate(payload)
        return {"valid": True, "errors": []}
    except ValidationError as error:
        return {"valid": False, "errors": [f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors()]}


def main() -> None:
    cases = json.load(sys.stdin)
    json.dump([verdict(case["model"], case["payload"]) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
