"""Signatures made by AgentKit's own TypeScript signer (src/client/webhooks.ts), so the
Python verifier is tested against what AgentKit really sends, not against itself.

One `node --import tsx` process signs a batch; bodies are strings (sent as their UTF-8 bytes).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Dict, List, TypedDict

ROOT = Path(__file__).resolve().parents[2]

_SIGN = """
import { readFileSync } from 'node:fs';
import { WebhookSigner } from './src/client/webhooks.ts';

const requests = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(requests.map(({ secret, msgId, body, now }) =>
  new WebhookSigner(secret).sign(msgId, body, new Date(now * 1000)))));
"""

_EXAMPLE = """
const spec = require('yaml').parse(require('fs').readFileSync('generated/openapi/agentkit.yaml', 'utf8'));
const { value } = spec.webhooks.agentLifecycle.post.requestBody.content['application/json'].examples.register;
process.stdout.write(JSON.stringify(value));
"""


class SignRequest(TypedDict):
    secret: str
    msgId: str
    body: str
    now: int  # seconds since the epoch


def _node(args: List[str], stdin: str = "") -> str:
    done = subprocess.run(["node", *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"node {args[:-1]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def sign_with_typescript(requests: List[SignRequest]) -> List[Dict[str, str]]:
    """For each request, the five headers AgentKit's WebhookSigner.sign puts on a webhook
    (lower-case names): Standard Webhooks' three and the X-AgentKit pair."""
    return json.loads(_node(["--import", "tsx", "--input-type=module", "-e", _SIGN], json.dumps(requests)))


def lifecycle_example() -> dict:
    """The `register` example of the spec's `agentLifecycle` webhook: a body AgentKit sends."""
    return json.loads(_node(["-e", _EXAMPLE]))
