"""Each function's role grants exactly what the manifest says it touches — nothing more.

The expected grants are derived here from the manifest's ``access`` entries, event source mappings
and log groups, independently of ``infra/pulumi/iam.py``, and compared with the policies the
program declared.
"""

from __future__ import annotations

import json

import pytest

from infra import manifest
from tests.infra.pulumi_mocks import NAMING

N = NAMING
RESOURCE_LEVEL = {"dynamodb", "sns", "sqs", "secretsmanager", "iam"}


def _policy(declared, key: str) -> dict:
    role = declared.one("iam/role:Role", name=N.function(key))
    policies = [p for p in declared.of_type("iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.state["name"]]
    assert len(policies) == 1, f"{key}: one inline policy"
    assert not declared.of_type("iam/rolePolicyAttachment:RolePolicyAttachment"), "no managed policies"
    return json.loads(policies[0].inputs["policy"])


def _pairs(policy: dict) -> set[tuple[str, str]]:
    pairs = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        for action in statement["Action"]:
            for resource in statement["Resource"]:
                pairs.add((action, resource))
    return pairs


def _arn(declared, service: str, key: str, actions: tuple[str, ...]) -> list[str]:
    if service == "dynamodb":
        table = manifest.TABLES[key]
        arn = declared.one("dynamodb/table:Table", name=N.table(key)).state["arn"]
        return [arn] + ([f"{arn}/index/{i.name}" for i in table.indexes] if "Query" in actions else [])
    if service == "sns":
        return [declared.one("sns/topic:Topic", name=N.topic(key)).state["arn"]]
    if service == "sqs":
        name = N.queue(key) if key in manifest.QUEUES else N.dlq(key.removesuffix("-dlq"))
        return [declared.one("sqs/queue:Queue", name=name).state["arn"]]
    if service == "secretsmanager":
        return [declared.one("secretsmanager/secret:Secret", name=N.secret(key)).state["arn"]]
    if service == "iam":
        return [declared.one("iam/role:Role", name=N.name(key)).state["arn"]]
    raise AssertionError(f"no rule for {service}")


def expected_pairs(declared, fn: manifest.Function) -> set[tuple[str, str]]:
    pairs = set()
    for access in fn.access:
        resources = ["*"] if access.resource == "*" else _arn(declared, access.service, access.resource, tuple(
            a for entry in fn.access if (entry.service, entry.resource) == (access.service, access.resource)
            for a in entry.actions))
        pairs |= {(f"{access.service}:{a}", r) for a in access.actions for r in resources}
    for mapping in manifest.EVENT_SOURCE_MAPPINGS:
        if mapping.function == fn.key:
            queue = declared.one("sqs/queue:Queue", name=N.queue(mapping.queue)).state["arn"]
            pairs |= {(f"sqs:{a}", queue) for a in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")}
    log_group = declared.one("cloudwatch/logGroup:LogGroup", name=f"/aws/lambda/{N.function(fn.key)}").state["arn"]
    pairs |= {(f"logs:{a}", f"{log_group}:*") for a in ("CreateLogStream", "PutLogEvents")}
    return pairs


@pytest.mark.parametrize("fn", list(manifest.FUNCTIONS.values()), ids=lambda f: f.key)
def test_policy_grants_exactly_the_manifest_access(declared, fn):
    assert _pairs(_policy(declared, fn.key)) == expected_pairs(declared, fn)


@pytest.mark.parametrize("fn", list(manifest.FUNCTIONS.values()), ids=lambda f: f.key)
def test_no_wildcard_actions_and_star_resources_only_where_the_manifest_says(declared, fn):
    policy = _policy(declared, fn.key)
    star_services = {a.service for a in fn.access if a.resource == "*"}
    for action, resource in _pairs(policy):
        assert "*" not in action and action.count(":") == 1, action
        if resource == "*":
            assert action.split(":")[0] in star_services, f"{fn.key}: {action} on *"
        assert "*" not in resource or resource == "*" or resource.endswith(":*"), resource
    assert len(json.dumps(policy, separators=(",", ":"))) < 10_240  # IAM's inline-policy size limit


@pytest.mark.parametrize("fn", list(manifest.FUNCTIONS.values()), ids=lambda f: f.key)
def test_roles_trust_only_lambda(declared, fn):
    role = declared.one("iam/role:Role", name=N.function(fn.key))
    statement, = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement == {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                         "Action": "sts:AssumeRole"}


def test_resource_level_services_never_get_star(declared):
    for fn in manifest.FUNCTIONS.values():
        for action, resource in _pairs(_policy(declared, fn.key)):
            if action.split(":")[0] in RESOURCE_LEVEL:
                assert resource != "*", (fn.key, action)


def test_scheduler_execution_role_can_deliver_and_dead_letter_only(declared):
    role = declared.one("iam/role:Role", name=N.name("scheduler-execution"))
    policy, = [json.loads(p.inputs["policy"]) for p in declared.of_type("iam/rolePolicy:RolePolicy")
               if p.inputs["role"] == role.state["name"]]
    # Dynamic schedules invoke the function that created them (the one allowed to pass the role),
    # static ones their manifest target; undeliverable invocations go to the schedules DLQ.
    creators = {f.key for f in manifest.FUNCTIONS.values() if any(
        a.service == "iam" and a.resource == "scheduler-execution" and "PassRole" in a.actions for a in f.access)}
    targets = creators | {s.function for s in manifest.STATIC_SCHEDULES}
    assert creators == {"scheduler"}
    assert _pairs(policy) == {("lambda:InvokeFunction", N.function_arn(k)) for k in targets} | {
        ("sqs:SendMessage", N.queue_arn(N.queue(manifest.SCHEDULES_DLQ)))}
    trust, = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": N.account}}
