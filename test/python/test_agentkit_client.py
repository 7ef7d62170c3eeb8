"""The generated AgentKit client (generated/python/agentkit_client) against a Prism mock of agentkit.yaml."""

from __future__ import annotations

from datetime import datetime
from typing import Iterator, Optional

import pytest

import agentkit_client
from agentkit_client.exceptions import BadRequestException, UnauthorizedException
from agentkit_client import (
    AgentRegistrationRequest,
    AgentsApi,
    DispatchRequest,
    OpsCoreMessage,
    RegisteredAgent,
    Task,
    TaskError,
    TaskStatus,
    TasksApi,
)

AGENT_ID = "7b0c2f4e-4d7a-4c59-9a43-1b0f3c2d9e11"
TASK_ID = "5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22"


def _client(base_url: str, token: str | None = "test-key") -> agentkit_client.ApiClient:
    return agentkit_client.ApiClient(agentkit_client.Configuration(host=base_url, access_token=token))


@pytest.fixture
def api_client(agentkit_mock_url: str) -> Iterator[agentkit_client.ApiClient]:
    with _client(agentkit_mock_url) as client:
        yield client


def test_when_an_agent_registers_for_the_first_time_then_the_client_returns_a_typed_registered_agent_with_its_secret(api_client):
    request = AgentRegistrationRequest(
        agent_name="echo-agent", version="1.0.0", capabilities=["echo"],
        contact_endpoint="http://127.0.0.1:9000/tasks", metadata={"owner": "platform-team"},
    )

    response = AgentsApi(api_client).register_agent_with_http_info(
        request, _headers={"Prefer": "code=201"})

    assert response.status_code == 201
    agent = response.data
    assert isinstance(agent, RegisteredAgent)
    assert agent.agent_id == AGENT_ID
    assert agent.capabilities == ["echo", "sleep", "fail"]
    assert isinstance(agent.registered_at, datetime)
    assert agent.signing_secret is not None and agent.signing_secret.startswith("whsec_")


def test_when_a_task_is_dispatched_then_the_client_returns_the_queued_task_typed(api_client):
    request = DispatchRequest(task_name="echo", parameters={"message": "hello"},
                              opscore_session_id="session-7", opscore_task_id="task-42", timeout_seconds=60)

    task = TasksApi(api_client).dispatch_task(AGENT_ID, request, idempotency_key="dispatch-1")

    assert isinstance(task, Task)
    assert task.task_id == TASK_ID
    assert task.status is TaskStatus.QUEUED
    assert task.parameters == {"message": "hello"}
    assert task.progress is None and task.error is None and task.delivered_at is None
    assert task.links.var_self == f"/v1/tasks/{TASK_ID}"


def test_when_a_task_is_read_then_nullable_and_nested_fields_come_back_typed(api_client):
    task = TasksApi(api_client).get_task(TASK_ID)

    assert isinstance(task, Task)
    assert task.status is TaskStatus.FINISHED
    assert task.progress == 100
    assert task.result == {"message": "hello"}
    assert isinstance(task.finished_at, datetime)
    assert task.finished_at > task.created_at
    # 3.1 `oneOf: [TaskError, null]` is typed as Optional[TaskError], not Any.
    assert isinstance(task.error, TaskError) or task.error is None
    assert Task.model_fields["error"].annotation == Optional[TaskError]


def test_when_a_dispatch_body_lacks_task_name_then_the_mock_refuses_it_and_the_client_raises_api_exception(api_client):
    with pytest.raises(agentkit_client.ApiException) as refused:
        api_client.call_api(
            "/v1/agents/{agentId}/run", "POST",
            path_params={"agentId": AGENT_ID},
            header_params={"Content-Type": "application/json", "Accept": "application/json, application/problem+json"},
            body={"parameters": {"message": "hello"}},
            response_types_map={"202": "Task"},
            auth_settings=["bearerAuth"],
            _return_http_data_only=True,
        )

    # agentkit.yaml defines a 400 problem+json answer for invalid requests, so Prism sends that.
    assert isinstance(refused.value, BadRequestException)
    assert refused.value.status == 400
    assert "problem+json" in refused.value.headers.get("content-type", "")


def test_when_the_bearer_token_is_missing_then_the_mock_answers_401_and_the_client_raises_unauthorized(agentkit_mock_url):
    with _client(agentkit_mock_url, token=None) as anonymous:
        with pytest.raises(UnauthorizedException) as refused:
            TasksApi(anonymous).get_task(TASK_ID)

    assert refused.value.status == 401
    assert "problem+json" in refused.value.headers.get("content-type", "")


def test_when_a_dispatch_request_lacks_task_name_then_the_model_refuses_it_before_sending():
    # DispatchRequest is oneOf TaskDispatch | OpsCoreMessage: fields that fit neither are refused
    # (ValueError, of which pydantic's ValidationError is one), naming what each shape lacks.
    with pytest.raises(ValueError, match="task_name"):
        DispatchRequest(parameters={"message": "hello"})


def test_when_an_opscore_message_is_given_then_the_dispatch_request_holds_that_shape():
    request = DispatchRequest(senderId="opscore_system_id", messageType="workflow_task",
                              payload={"task_name": "echo", "task_parameters": {"message": "hi"}},
                              sessionContext={"sessionId": "s-1", "taskId": "t-1"})
    assert isinstance(request.actual_instance, OpsCoreMessage)
    assert request.to_dict()["senderId"] == "opscore_system_id"
    assert request.to_dict()["payload"]["task_name"] == "echo"
