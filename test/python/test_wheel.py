"""The agentkit-client wheel: built by scripts/package-python.sh, installed into a fresh virtual
environment from the configured package index (so its declared dependencies must be enough), and
used there: both clients against the Prism mock, and the webhook verifier on a vector signed by
AgentKit's TypeScript signer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Dict, Set

import pytest

from typescript_signer import lifecycle_example, sign_with_typescript

ROOT = Path(__file__).resolve().parents[2]
PINNED = {
    "pydantic": {">=2", "<3"},
    "typing-extensions": {">=4.6", "<5"},
    "python-dateutil": {">=2.8.2", "<3"},
    "urllib3": {">=1.25.3", "<3"},
    "aiohttp": {">=3.9", "<4"},
}


def _spec_version() -> str:
    text = (ROOT / "generated" / "openapi" / "agentkit.yaml").read_text(encoding="utf-8")
    found = re.search(r"^info:\n(?:  .*\n)*?  version: (\S+)$", text, re.M)
    assert found, "no info.version in generated/openapi/agentkit.yaml"
    return found.group(1)


def _env() -> Dict[str, str]:
    """This environment without the PYTHONPATH that points at generated/python: the venv must
    import the installed wheel. One retry per index lookup (see scripts/package-python.sh)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.setdefault("PIP_RETRIES", "1")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=_env(), **kwargs)
    assert done.returncode == 0, f"{args[:3]} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = _run(["bash", str(ROOT / "scripts" / "package-python.sh"), str(out)])
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.parent == out and path.is_file(), done.stdout
    return path


def test_the_wheel_is_named_for_the_distribution_and_the_specs_version(wheel):
    assert wheel.name == f"agentkit_client-{_spec_version()}-py3-none-any.whl"


def test_the_wheel_holds_both_client_packages_and_the_webhooks_module_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}

    assert top_level == {"agentkit_client", "agentkit_client_async", f"agentkit_client-{_spec_version()}.dist-info"}
    for module in ["agentkit_client/__init__.py", "agentkit_client/webhooks.py", "agentkit_client/py.typed",
                   "agentkit_client/models/lifecycle_notification.py", "agentkit_client/api/tasks_api.py",
                   "agentkit_client_async/__init__.py", "agentkit_client_async/rest.py", "agentkit_client_async/py.typed",
                   "agentkit_client_async/api/tasks_api.py"]:
        assert module in names
    assert not any("__pycache__" in name for name in names)


def test_the_wheel_metadata_pins_its_dependencies_to_ranges_and_carries_the_readme(wheel):
    with zipfile.ZipFile(wheel) as zf:
        metadata = Parser().parsestr(zf.read(f"agentkit_client-{_spec_version()}.dist-info/METADATA").decode())
    requires: Dict[str, Set[str]] = {}
    for requirement in metadata.get_all("Requires-Dist") or []:
        name, specifiers = re.fullmatch(r"([A-Za-z0-9._-]+)\s*(.*)", requirement).groups()
        requires[name.lower().replace("_", "-")] = {s.strip() for s in specifiers.split(",")}

    assert metadata["Name"] == "agentkit-client"
    assert metadata["Version"] == _spec_version()
    assert metadata["Requires-Python"] == ">=3.9"
    assert requires == PINNED
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "pip install dist/python/agentkit_client-" in metadata.get_payload()


def test_when_installed_into_a_fresh_venv_then_both_clients_and_the_verifier_work(wheel, tmp_path, agentkit_mock_url, request):
    example = lifecycle_example()
    body = json.dumps(example)
    secret = "whsec_" + "d2hlZWwtdGVzdC1zZWNyZXQtMzItYnl0ZXMhISE="
    signed = sign_with_typescript([{"secret": secret, "msgId": "msg_wheel", "body": body, "now": 1_780_000_000}])[0]
    venv = tmp_path / "venv"
    request.addfinalizer(lambda: shutil.rmtree(venv, ignore_errors=True))  # ~50 MB; not kept for pytest's retention
    _run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    _run([python, "-m", "pip", "install", "--quiet", str(wheel)])

    script = """
import asyncio, json, sys
import agentkit_client, agentkit_client_async, agentkit_client.webhooks as webhooks
from agentkit_client import TasksApi
args = json.loads(sys.argv[1])
TASK = "5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22"
with agentkit_client.ApiClient(agentkit_client.Configuration(host=args["url"], access_token="k")) as client:
    sync_status = TasksApi(client).get_task(TASK).status.value
async def main():
    config = agentkit_client_async.Configuration(host=args["url"], access_token="k")
    async with agentkit_client_async.ApiClient(config) as client:
        return (await agentkit_client_async.TasksApi(client).get_task(TASK)).status.value
notification = webhooks.WebhookVerifier(args["secret"]).verify(args["body"].encode(), args["headers"], now=1_780_000_000)
print(json.dumps({
    "files": [agentkit_client.__file__, agentkit_client_async.__file__, webhooks.__file__],
    "sync": sync_status, "async": asyncio.run(main()),
    "event_type": notification.event_type, "agent_id": notification.agent_details.agent_id,
}))
"""
    args = {"url": agentkit_mock_url, "secret": secret, "body": body, "headers": signed}
    result = json.loads(_run([python, "-I", "-c", script, json.dumps(args)], cwd=tmp_path).stdout)

    site_packages = str(venv)
    assert all(path.startswith(site_packages) for path in result["files"]), result["files"]
    assert result["sync"] == result["async"] == "finished"
    assert result["event_type"] == "REGISTER"
    assert result["agent_id"] == example["agent_details"]["agentId"]
