"""agentkit_client.webhooks.WebhookVerifier against signatures made by AgentKit's TypeScript signer.

Every vector is signed once, at SIGNED_AT, by src/client/webhooks.ts (through node and
tsx); the verifier is given `now` so no test sleeps. One test per failure mode, then the forms
that must pass.
"""

from __future__ import annotations

import base64
import json
from typing import Dict

import pydantic
import pytest

from agentkit_client import AgentRegistrationDetails, LifecycleNotification
from agentkit_client.webhooks import WebhookVerificationError, WebhookVerifier
from typescript_signer import lifecycle_example, sign_with_typescript

SIGNED_AT = 1_780_000_000
WHSEC_SECRET = "whsec_" + base64.b64encode(b"agentkit-lifecycle-test-key-32by").decode()
RAW_SECRET = "opscore-shared-secret"
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-key-another-key-another!").decode()
MSG_ID = "msg_2Zq7wJ4bX1"

EXAMPLE = lifecycle_example()
BODY = json.dumps(EXAMPLE, separators=(",", ":"))
UNICODE_BODY = json.dumps(EXAMPLE | {"agent_details": EXAMPLE["agent_details"] | {"metadata": {"owner": "équipe données"}}},
                          ensure_ascii=False)
NOT_A_NOTIFICATION = json.dumps(EXAMPLE | {"event_type": "RENAME"})

_VECTORS = {
    "whsec": (WHSEC_SECRET, BODY),
    "raw": (RAW_SECRET, BODY),
    "other": (OTHER_SECRET, BODY),
    "unicode": (WHSEC_SECRET, UNICODE_BODY),
    "rename": (WHSEC_SECRET, NOT_A_NOTIFICATION),
    # OPSCORE_WEBHOOK_SECRET=new,old during a rotation: one signature with each in each header.
    "rotating": ([OTHER_SECRET, WHSEC_SECRET], BODY),
}
_SIGNED = dict(zip(_VECTORS, sign_with_typescript(
    [{"secret": secret, "msgId": MSG_ID, "body": body, "now": SIGNED_AT} for secret, body in _VECTORS.values()])))

STANDARD = ("webhook-id", "webhook-timestamp", "webhook-signature")
AGENTKIT = ("x-agentkit-timestamp", "x-agentkit-signature")


def headers(vector: str, *names: str, **replace: str) -> Dict[str, str]:
    """The signer's headers for `vector`, only `names` (default: all five), some replaced
    (keyword names use `_` for `-`)."""
    signed = _SIGNED[vector]
    picked = {name: signed[name] for name in (names or signed)}
    picked.update({name.replace("_", "-"): value for name, value in replace.items()})
    return picked


def refusal(verifier: WebhookVerifier, body: bytes, hdrs: Dict[str, str], now: float = SIGNED_AT) -> str:
    with pytest.raises(WebhookVerificationError) as refused:
        verifier.verify(body, hdrs, now=now)
    return refused.value.reason


whsec = WebhookVerifier(WHSEC_SECRET)
raw = WebhookVerifier(RAW_SECRET)


# --- failures: one test per rule ------------------------------------------------------------

def test_when_no_signature_headers_are_sent_then_verify_refuses_with_missing_headers():
    assert refusal(whsec, BODY.encode(), {"content-type": "application/json"}) == "missing-headers"


def test_when_a_header_of_each_set_is_missing_then_verify_refuses_with_missing_headers():
    incomplete = headers("whsec", "webhook-id", "webhook-timestamp", "x-agentkit-timestamp")

    assert refusal(whsec, BODY.encode(), incomplete) == "missing-headers"


@pytest.mark.parametrize("names", [STANDARD, AGENTKIT], ids=["standard-webhooks", "x-agentkit"])
def test_when_the_body_was_changed_after_signing_then_verify_refuses_with_bad_signature(names):
    tampered = BODY.replace("echo-agent", "evil-agent").encode()

    assert refusal(whsec, tampered, headers("whsec", *names)) == "bad-signature"


@pytest.mark.parametrize("names", [STANDARD, AGENTKIT], ids=["standard-webhooks", "x-agentkit"])
def test_when_the_body_was_signed_with_another_secret_then_verify_refuses_with_bad_signature(names):
    assert refusal(whsec, BODY.encode(), headers("other", *names)) == "bad-signature"
    assert refusal(raw, BODY.encode(), headers("whsec", *names)) == "bad-signature"


def test_when_the_standard_webhooks_signature_is_bad_then_a_valid_x_agentkit_pair_does_not_rescue_it():
    # The X-AgentKit pair is only the fallback for senders without the Standard Webhooks headers.
    forged = headers("whsec", webhook_signature=headers("other")["webhook-signature"])

    assert refusal(whsec, BODY.encode(), forged) == "bad-signature"


@pytest.mark.parametrize("names", [STANDARD, AGENTKIT], ids=["standard-webhooks", "x-agentkit"])
@pytest.mark.parametrize("now", [SIGNED_AT + 301, SIGNED_AT + 86_400], ids=["301s-old", "a-day-old"])
def test_when_the_signature_is_older_than_the_tolerance_then_verify_refuses_with_stale_timestamp(names, now):
    assert refusal(whsec, BODY.encode(), headers("whsec", *names), now=now) == "stale-timestamp"


@pytest.mark.parametrize("names", [STANDARD, AGENTKIT], ids=["standard-webhooks", "x-agentkit"])
def test_when_the_signature_is_further_ahead_than_the_tolerance_then_verify_refuses_with_stale_timestamp(names):
    assert refusal(whsec, BODY.encode(), headers("whsec", *names), now=SIGNED_AT - 301) == "stale-timestamp"


def test_when_the_tolerance_is_set_then_it_is_the_limit_either_way():
    strict = WebhookVerifier(WHSEC_SECRET, tolerance_seconds=10)

    assert strict.verify(BODY.encode(), headers("whsec", *STANDARD), now=SIGNED_AT + 10).event_type == "REGISTER"
    assert refusal(strict, BODY.encode(), headers("whsec", *STANDARD), now=SIGNED_AT + 11) == "stale-timestamp"
    assert refusal(strict, BODY.encode(), headers("whsec", *STANDARD), now=SIGNED_AT - 11) == "stale-timestamp"


@pytest.mark.parametrize("timestamp", ["17800000a0", "1780000000.5", "-1780000000", " 1780000000", "１７８００００００", "1" * 13])
@pytest.mark.parametrize("names", [STANDARD, AGENTKIT], ids=["standard-webhooks", "x-agentkit"])
def test_when_the_timestamp_is_not_all_digits_then_verify_refuses_with_bad_signature(names, timestamp):
    malformed = {name: (timestamp if name.endswith("timestamp") else value)
                 for name, value in headers("whsec", *names).items()}

    assert refusal(whsec, BODY.encode(), malformed) == "bad-signature"


def test_when_the_body_is_a_str_then_verify_refuses_it_as_not_the_raw_body():
    with pytest.raises(TypeError, match="raw request body as bytes"):
        whsec.verify(BODY, headers("whsec"), now=SIGNED_AT)  # type: ignore[arg-type]


def test_when_an_authentic_body_is_not_a_lifecycle_notification_then_verify_raises_a_validation_error():
    with pytest.raises(pydantic.ValidationError):
        whsec.verify(NOT_A_NOTIFICATION.encode(), headers("rename"), now=SIGNED_AT)


@pytest.mark.parametrize("secret", ["", "whsec_c2Vj*cmV0", "whsec_"])
def test_when_the_secret_is_empty_or_not_base64_after_whsec_then_the_verifier_is_refused(secret):
    with pytest.raises(ValueError):
        WebhookVerifier(secret)


# --- what must pass ---------------------------------------------------------------------------

def test_when_agentkit_signs_with_a_whsec_secret_then_verify_returns_the_notification_of_the_body():
    notification = whsec.verify(BODY.encode(), headers("whsec"), now=SIGNED_AT)

    assert isinstance(notification, LifecycleNotification)
    assert notification.event_type == EXAMPLE["event_type"]
    details = notification.agent_details
    assert isinstance(details, AgentRegistrationDetails)
    assert details.agent_id == EXAMPLE["agent_details"]["agentId"]
    assert details.agent_name == EXAMPLE["agent_details"]["agentName"]
    assert details.capabilities == EXAMPLE["agent_details"]["capabilities"]
    assert details.contact_endpoint == EXAMPLE["agent_details"]["contactEndpoint"]
    assert notification.to_dict() == EXAMPLE


@pytest.mark.parametrize("names", [STANDARD, AGENTKIT], ids=["standard-webhooks-only", "x-agentkit-only"])
@pytest.mark.parametrize("vector,verifier", [("whsec", whsec), ("raw", raw)], ids=["whsec-secret", "raw-secret"])
def test_when_either_header_set_comes_alone_then_it_verifies_with_either_kind_of_secret(names, vector, verifier):
    assert verifier.verify(BODY.encode(), headers(vector, *names), now=SIGNED_AT).event_type == "REGISTER"


def test_when_header_names_differ_in_case_then_a_plain_dict_still_verifies():
    for names in (STANDARD, AGENTKIT):
        shouted = {name.upper() if i % 2 else name.title(): value
                   for i, (name, value) in enumerate(headers("whsec", *names).items())}
        assert not set(shouted) & set(names)

        assert whsec.verify(BODY.encode(), shouted, now=SIGNED_AT).event_type == "REGISTER"


@pytest.mark.parametrize("order", ["other-first", "right-first"])
def test_when_the_signature_header_holds_several_signatures_then_any_match_passes(order):
    right = headers("whsec")["webhook-signature"]
    other = headers("other")["webhook-signature"]
    entries = [other, "v2,bm90LWEtdjEtc2lnbmF0dXJl", right] if order == "other-first" else [right, other]

    several = headers("whsec", *STANDARD, webhook_signature=" ".join(entries))

    assert whsec.verify(BODY.encode(), several, now=SIGNED_AT).event_type == "REGISTER"


@pytest.mark.parametrize("names", [STANDARD, AGENTKIT], ids=["standard-webhooks-only", "x-agentkit-only"])
@pytest.mark.parametrize("secret", [OTHER_SECRET, WHSEC_SECRET], ids=["new-secret", "old-secret"])
def test_when_agentkit_signs_with_two_secrets_during_a_rotation_then_a_receiver_holding_either_verifies(names, secret):
    signed = headers("rotating", *names)
    assert len((signed.get("webhook-signature") or signed["x-agentkit-signature"]).split(" ")) == 2

    assert WebhookVerifier(secret).verify(BODY.encode(), signed, now=SIGNED_AT).event_type == "REGISTER"
    assert refusal(raw, BODY.encode(), signed) == "bad-signature"


def test_when_the_timestamp_is_within_the_tolerance_either_way_then_verify_passes():
    for now in (SIGNED_AT - 300, SIGNED_AT + 299.9, SIGNED_AT + 300):
        assert whsec.verify(BODY.encode(), headers("whsec"), now=now).event_type == "REGISTER"


def test_when_the_body_has_non_ascii_text_then_its_utf8_bytes_verify():
    notification = whsec.verify(UNICODE_BODY.encode("utf-8"), headers("unicode"), now=SIGNED_AT)

    assert notification.agent_details.metadata == {"owner": "équipe données"}
