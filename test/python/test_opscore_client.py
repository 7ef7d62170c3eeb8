"""The generated Ops-Core client (generated/python/opscore_client) against a Prism mock of opscore.yaml."""

from __future__ import annotations

import pytest

import opscore_client
from opscore_client import AgentsApi, AgentStateUpdatePayload, StatusResponse

AGENT_ID = "7b0c2f4e-4d7a-4c59-9a43-1b0f3c2d9e11"


def test_when_an_agent_reports_its_state_with_a_bearer_key_then_the_client_returns_a_typed_status(opscore_mock_url):
    configuration = opscore_client.Configuration(host=opscore_mock_url, access_token="opscore-key")
    payload = AgentStateUpdatePayload(agent_id=AGENT_ID, state="idle",
                                      timestamp="2026-11-24T08:15:00.200Z", details=None)

    with opscore_client.ApiClient(configuration) as client:
        response = AgentsApi(client).update_agent_state_with_http_info(AGENT_ID, payload)

    assert response.status_code == 202
    assert isinstance(response.data, StatusResponse)
    assert response.data.status == "success"


def test_when_a_state_update_has_no_bearer_key_then_the_mock_answers_401_and_the_client_raises(opscore_mock_url):
    payload = AgentStateUpdatePayload(agent_id=AGENT_ID, state="idle", timestamp="2026-11-24T08:15:00.200Z")

    with opscore_client.ApiClient(opscore_client.Configuration(host=opscore_mock_url)) as client:
        with pytest.raises(opscore_client.ApiException) as refused:
            AgentsApi(client).update_agent_state(AGENT_ID, payload)

    assert refused.value.status == 401


def test_when_a_state_update_lacks_state_then_the_mock_answers_422_and_the_client_raises(opscore_mock_url):
    configuration = opscore_client.Configuration(host=opscore_mock_url, access_token="opscore-key")

    with opscore_client.ApiClient(configuration) as client:
        with pytest.raises(opscore_client.ApiException) as refused:
            client.call_api(
                "/v1/opscore/agent/{agent_id}/state", "POST",
                path_params={"agent_id": AGENT_ID},
                header_params={"Content-Type": "application/json", "Accept": "application/json"},
                body={"agentId": AGENT_ID, "timestamp": "2026-11-24T08:15:00.200Z"},
                response_types_map={"202": "StatusResponse"},
                auth_settings=["bearerAuth"],
                _return_http_data_only=True,
            )

    # opscore.yaml describes FastAPI's 422 for an invalid body, so Prism sends that.
    assert refused.value.status == 422
