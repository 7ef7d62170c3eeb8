"""The asyncio client (generated/python/agentkit_client_async) against a Prism mock of agentkit.yaml.

Each test runs its coroutine with asyncio.run (pytest-asyncio is not installed system-wide), and
makes its ApiClient outside or inside the loop as a user would.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from typing import Awaitable, Callable, List, TypeVar

import pytest

import agentkit_client_async
from agentkit_client_async import AgentList, AgentsApi, CancelRequest, DispatchRequest, Task, TaskStatus, TasksApi
from agentkit_client_async.exceptions import ApiTypeError, UnauthorizedException

AGENT_ID = "7b0c2f4e-4d7a-4c59-9a43-1b0f3c2d9e11"
TASK_ID = "5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22"
T = TypeVar("T")


def _config(base_url: str, token: str | None = "test-key") -> agentkit_client_async.Configuration:
    return agentkit_client_async.Configuration(host=base_url, access_token=token)


def run(base_url: str, use: Callable[[agentkit_client_async.ApiClient], Awaitable[T]], token: str | None = "test-key") -> T:
    async def scenario() -> T:
        async with agentkit_client_async.ApiClient(_config(base_url, token)) as client:
            return await use(client)
    return asyncio.run(scenario())


def test_when_a_task_is_dispatched_then_the_awaited_call_returns_the_queued_task_typed(agentkit_mock_url):
    request = DispatchRequest(task_name="echo", parameters={"message": "hello"}, opscore_task_id="task-42")

    task = run(agentkit_mock_url, lambda client: TasksApi(client).dispatch_task(AGENT_ID, request, idempotency_key="k"))

    assert isinstance(task, Task)
    assert task.task_id == TASK_ID
    assert task.status is TaskStatus.QUEUED
    assert task.parameters == {"message": "hello"}


def test_when_a_task_is_read_then_the_awaited_call_returns_it_finished(agentkit_mock_url):
    task = run(agentkit_mock_url, lambda client: TasksApi(client).get_task(TASK_ID))

    assert isinstance(task, Task)
    assert task.status is TaskStatus.FINISHED
    assert task.result == {"message": "hello"}


def test_when_a_task_is_canceled_then_the_awaited_call_returns_it_canceled(agentkit_mock_url):
    task = run(agentkit_mock_url, lambda client: TasksApi(client).cancel_task(TASK_ID, CancelRequest(reason="The workflow was aborted")))

    assert isinstance(task, Task)
    assert task.status is TaskStatus.CANCELED
    assert task.cancel_reason == "The workflow was aborted"


def test_when_agents_are_listed_then_the_awaited_call_returns_a_typed_page_and_http_info(agentkit_mock_url):
    async def use(client):
        return await AgentsApi(client).list_agents(capability="echo"), await AgentsApi(client).list_agents_with_http_info()

    agents, response = run(agentkit_mock_url, use)

    assert isinstance(agents, AgentList)
    assert agents.items and agents.items[0].agent_id == AGENT_ID
    assert response.status_code == 200 and isinstance(response.data, AgentList)


def test_when_the_bearer_token_is_missing_then_the_awaited_call_raises_api_exception_401(agentkit_mock_url):
    with pytest.raises(agentkit_client_async.ApiException) as refused:
        run(agentkit_mock_url, lambda client: TasksApi(client).get_task(TASK_ID), token=None)

    assert isinstance(refused.value, UnauthorizedException)
    assert refused.value.status == 401
    assert "problem+json" in refused.value.headers.get("content-type", "")
    assert '"status":401' in refused.value.body.replace(" ", "")


def test_every_operation_is_a_coroutine_function_without_async_req():
    apis = [AgentsApi, agentkit_client_async.HealthApi, TasksApi, agentkit_client_async.WebhookDeliveriesApi]
    operations = [getattr(api, name) for api in apis for name in vars(api) if not name.startswith("_")]

    assert len(operations) >= 24  # 12 operations and their *_with_http_info
    assert all(inspect.iscoroutinefunction(op) for op in operations), [op for op in operations if not inspect.iscoroutinefunction(op)]
    assert not hasattr(agentkit_client_async.ApiClient, "pool")

    async def with_async_req():
        async with agentkit_client_async.ApiClient(_config("http://127.0.0.1:9")) as client:
            await TasksApi(client).get_task(TASK_ID, async_req=True)
    with pytest.raises(ApiTypeError, match="async_req"):
        asyncio.run(with_async_req())


def test_when_the_client_is_made_outside_any_event_loop_then_it_works_in_asyncio_run_and_closes(agentkit_mock_url):
    client = agentkit_client_async.ApiClient(_config(agentkit_mock_url))  # no running loop here

    async def scenario():
        first = await TasksApi(client).get_task(TASK_ID)
        await client.close()
        return first

    assert asyncio.run(scenario()).task_id == TASK_ID


def test_when_requests_are_in_flight_then_the_event_loop_keeps_running_other_tasks_and_starts_no_thread(agentkit_mock_url):
    async def scenario():
        loop_turns = 0
        stop = False

        async def ticker():  # one turn per event-loop iteration
            nonlocal loop_turns
            while not stop:
                loop_turns += 1
                await asyncio.sleep(0)

        threads_before = set(threading.enumerate())
        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        turns_during_calls: List[int] = []
        async with agentkit_client_async.ApiClient(_config(agentkit_mock_url)) as client:
            tasks, agents = TasksApi(client), AgentsApi(client)
            for call in [lambda: tasks.get_task(TASK_ID), lambda: agents.list_agents(),
                         lambda: tasks.dispatch_task(AGENT_ID, DispatchRequest(task_name="echo", parameters={}), idempotency_key="k"),
                         lambda: tasks.get_task(TASK_ID), lambda: agents.get_agent(AGENT_ID)]:
                before = loop_turns
                await call()
                turns_during_calls.append(loop_turns - before)
            started = time.monotonic()
            concurrent = await asyncio.gather(*(tasks.get_task(TASK_ID) for _ in range(10)))
            gathered_in = time.monotonic() - started
        new_threads = set(threading.enumerate()) - threads_before
        stop = True
        await ticking
        return turns_during_calls, concurrent, gathered_in, new_threads

    turns_during_calls, concurrent, gathered_in, new_threads = asyncio.run(scenario())

    # A blocking client would hold the loop for the whole request: the ticker would not turn.
    assert all(turns > 0 for turns in turns_during_calls), turns_during_calls
    assert [task.task_id for task in concurrent] == [TASK_ID] * 10
    assert gathered_in < 10
    # No thread pool: with an IP host nothing leaves the loop's thread (hostnames would use
    # the loop's getaddrinfo executor, as every asyncio client does without aiodns).
    assert not new_threads, new_threads
