"""The Lambda role of the synthesized template (default configuration) is sufficient and minimal.

The role's permissions are the construct's ``FunctionPolicy`` (the only policy attached to it, and the one
that carries the construct's nag acknowledgments). The role is created in moto with IAM enforcement on and
assumed through STS; the real handler (the one the template's ``Handler`` names) serves every imageStatus
with those credentials against seeded images.

What this proves, and what it does not:
- sufficiency and minimality per ACTION: moto authorizes EC2 and CloudFormation actions against resource
  ``*`` and has no request context for Conditions, so resource ARNs and Conditions of the policy are not
  checked here (``iam_support.moto_evaluable`` says exactly what is rewritten);
- the logs and xray actions Lambda needs (``iam_support.LAMBDA_SERVICE_ACTIONS``, an explicit list) are left
  out of minimality and of the comparison with observed calls: the Lambda service uses them with the role
  (log delivery, trace segments), the runtime's code never calls them;
- actions AWS documents as authorized on top of a call the runtime makes (``iam_support.AWS_IMPLIED_ACTIONS``:
  ListStacks for an unnamed DescribeStacks) are kept out the same way, since moto does not model them; the
  proof checks that each is granted only while the call that needs it is really made.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from listimages import sources
from listimages.handler import handle
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from tests.iam_support import (
    AWS_IMPLIED_ACTIONS,
    AwsCallLog,
    AwsEnvironment,
    RoleCredentials,
    create_role_credentials,
    function_role_policies,
    moto_evaluable,
    policy_actions,
    resolve_intrinsics,
    runtime_actions,
    without_action,
)
from tests.runtime.moto_seed import image_tags, seed_ami, seed_stack
from tests.runtime.support import ACCOUNT_ID, Answer, FakeLambdaContext, invoke, v1_event, walk
from tests.synth_support import function_role_policy_ids

HANDLER = "listimages.handler.handle"
HOME = AwsEnvironment(account_id=ACCOUNT_ID, region="us-east-1")
IMAGE_STATUSES = ("AVAILABLE", "PENDING", "FAILED")
OTHER_REGION = "eu-west-1"
SEEDED_AMIS = ("proof-available-one", "proof-available-two")
# imageId -> the stack state that lists it under PENDING or FAILED.
SEEDED_STACKS = {
    "proof-pending": "CREATE_IN_PROGRESS",
    "proof-create-failed": "CREATE_FAILED",
    "proof-rollback-complete": "ROLLBACK_COMPLETE",
}
EXPECTED_IMAGE_IDS = {
    "AVAILABLE": set(SEEDED_AMIS),
    "PENDING": {"proof-pending"},
    "FAILED": {"proof-create-failed", "proof-rollback-complete"},
}

UseCredentials = Callable[[RoleCredentials], AwsCallLog]


def seed_images(region: str) -> None:
    """Tagged AMIs (AVAILABLE) and image-build stacks in PENDING and FAILED states."""
    for image_id in SEEDED_AMIS:
        seed_ami(region, image_tags(image_id))
    for image_id, stack_status in SEEDED_STACKS.items():
        seed_stack(region, image_id, stack_status, image_tags(image_id, build_status=None))


@dataclass
class EmulatedAccount:
    """Seeded moto account with assumed-role credentials for every role variant the proof needs."""

    full_role: RoleCredentials
    role_without: dict[str, RoleCredentials]
    role_without_permissions: RoleCredentials


@pytest.fixture(scope="module")
def template_policies(default_template: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Trust policy and permission policies of the function's role, as moto can evaluate them."""
    # Pseudo parameters in ARNs (Fn::Join / Fn::Sub) become moto's account and Region; statements with EC2
    # or CloudFormation actions get resource "*" because moto authorizes those actions against "*" only.
    trust_policy, documents = function_role_policies(default_template, HANDLER, HOME)
    return trust_policy, [moto_evaluable(document) for document in documents]


@pytest.fixture(scope="module")
def emulated_account(
    template_policies: tuple[dict[str, Any], list[dict[str, Any]]],
) -> Iterator[EmulatedAccount]:
    """Seeded data and every role, created and assumed while moto still accepts any caller.

    The tests switch IAM enforcement on with ``set_initial_no_auth_action_count(0)``: from then on only
    these assumed-role credentials are accepted, with exactly their policies.
    """
    trust_policy, documents = template_policies
    with mock_aws():
        seed_images(HOME.region)
        yield EmulatedAccount(
            full_role=create_role_credentials("ListImagesFunctionRole", trust_policy, documents),
            role_without={
                action: create_role_credentials(
                    f"Without-{action.replace(':', '-')}", trust_policy, without_action(documents, action)
                )
                for action in sorted(runtime_actions(policy_actions(documents)))
            },
            role_without_permissions=create_role_credentials("WithoutPermissions", trust_policy, []),
        )


@pytest.fixture
def use_credentials() -> Iterator[UseCredentials]:
    """Make the runtime sign with given credentials and record its AWS calls; restore its clients after.

    The runtime caches one client per (service, Region) for the container: its client provider is given a
    factory of fresh clients, so no client made earlier with other credentials is reused.
    """

    def use(credentials: RoleCredentials) -> AwsCallLog:
        call_log = AwsCallLog()
        sources.clients.use_factory(call_log.client_factory(credentials))
        return call_log

    yield use
    sources.clients.use_factory()


def run_every_status() -> dict[str, Answer]:
    """The handler's answer for each imageStatus, checked against the OpenAPI document by ``invoke``."""
    return {
        status: invoke(v1_event({"imageStatus": status}), FakeLambdaContext()) for status in IMAGE_STATUSES
    }


def walk_every_status(region: str | None = None) -> dict[str, list[Answer]]:
    """Every page of every imageStatus, following ``nextToken`` until it is absent."""

    def pages_of(image_status: str) -> list[Answer]:
        answers: list[Answer] = []

        def list_page(token: str | None) -> Any:
            query = {"imageStatus": image_status, "region": region or "", "nextToken": token or ""}
            answers.append(invoke(v1_event(query), FakeLambdaContext()))
            return answers[-1].body

        walk(list_page)
        return answers

    return {image_status: pages_of(image_status) for image_status in IMAGE_STATUSES}


def image_ids_of(answers: list[Answer]) -> list[str]:
    return [image["imageId"] for answer in answers for image in answer.body.get("images", [])]


def status_codes(answers: Mapping[str, Answer]) -> dict[str, int]:
    return {image_status: answer.status for image_status, answer in answers.items()}


def listed_image_ids(answer: Answer) -> set[str]:
    return {image["imageId"] for image in answer.body["images"]}


def test_template_handler_is_the_entry_point_these_tests_run(default_template: dict[str, Any]) -> None:
    # given the template's function; when its Handler string is imported from the asset root (runtime/)
    (handler,) = {
        resource["Properties"]["Handler"]
        for resource in default_template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    module_name, function_name = handler.rsplit(".", 1)
    # then it is the very function that ``invoke`` calls
    assert getattr(importlib.import_module(module_name), function_name) is handle


def test_the_proven_policy_is_the_construct_function_policy(default_template: dict[str, Any]) -> None:
    # given the template; when the proof collects every policy attached to the function role
    _, documents = function_role_policies(default_template, HANDLER, HOME)
    (policy_id,) = function_role_policy_ids(default_template)
    policy_document = default_template["Resources"][policy_id]["Properties"]["PolicyDocument"]
    # then it reads exactly one, the construct's FunctionPolicy: the acknowledged statements are those proven
    assert policy_id.startswith("ListImagesFunctionPolicy")
    assert documents == [resolve_intrinsics(policy_document, default_template, HOME)]


# ------------------------------------------------------------------------------------------- sufficiency
@set_initial_no_auth_action_count(0)
def test_template_role_lists_the_seeded_images_of_every_status(
    emulated_account: EmulatedAccount,
    use_credentials: UseCredentials,
) -> None:
    # given the template's role, assumed through STS, with IAM enforcement on
    call_log = use_credentials(emulated_account.full_role)
    # when the handler serves every imageStatus
    answers = run_every_status()
    # then every status answers 200 with exactly the seeded images, and AWS refused no call (the ambient
    # test credentials are unknown to the enforcing moto: a 200 means the role's credentials signed)
    assert status_codes(answers) == dict.fromkeys(IMAGE_STATUSES, 200)
    assert {status: listed_image_ids(answer) for status, answer in answers.items()} == EXPECTED_IMAGE_IDS
    assert call_log.calls
    assert call_log.denied_actions() == set()


@set_initial_no_auth_action_count(0)
def test_a_role_without_permissions_is_refused_for_every_status(
    emulated_account: EmulatedAccount,
    use_credentials: UseCredentials,
) -> None:
    # given a role with the template's trust policy but no permission policy (enforcement is really on)
    call_log = use_credentials(emulated_account.role_without_permissions)
    # when the handler serves every imageStatus
    answers = run_every_status()
    # then every status fails with a generic 500, because AWS refused the calls with an access error
    assert status_codes(answers) == dict.fromkeys(IMAGE_STATUSES, 500)
    assert call_log.denied_actions() == call_log.actions() != set()


# --------------------------------------------------------------------------------------------- minimality
@set_initial_no_auth_action_count(0)
def test_dropping_any_runtime_action_of_the_template_breaks_some_status(
    emulated_account: EmulatedAccount,
    use_credentials: UseCredentials,
) -> None:
    # given, for each runtime action of the template's policy, the role without that one action
    assert emulated_account.role_without, "the template grants the runtime no action at all"
    outcome: dict[str, tuple[set[str], set[str]]] = {}
    for action, credentials in emulated_account.role_without.items():
        call_log = use_credentials(credentials)
        # when the handler serves every imageStatus
        answers = run_every_status()
        failed = {status for status, code in status_codes(answers).items() if code != 200}
        outcome[action] = (failed, call_log.denied_actions())
    # then some status fails, and the one refusal is of exactly the dropped action
    assert all(failed for failed, _ in outcome.values()), outcome
    assert {action: denied for action, (_, denied) in outcome.items()} == {
        action: {action} for action in emulated_account.role_without
    }


@set_initial_no_auth_action_count(0)
def test_template_runtime_actions_are_exactly_the_calls_the_runtime_makes(
    emulated_account: EmulatedAccount,
    use_credentials: UseCredentials,
    template_policies: tuple[dict[str, Any], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the template's role, a hook recording every AWS call, and one image per page
    call_log = use_credentials(emulated_account.full_role)
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", "1")
    # when every page of every imageStatus is read, following nextToken, at home and in another Region
    home_pages, other_region_pages = walk_every_status(), walk_every_status(OTHER_REGION)
    # then every page answered 200, the home walk took several pages and found each seeded image once
    pages = [*home_pages.values(), *other_region_pages.values()]
    assert {answer.status for answers in pages for answer in answers} == {200}
    assert max(len(answers) for answers in home_pages.values()) > 1
    assert {status: sorted(image_ids_of(answers)) for status, answers in home_pages.items()} == {
        status: sorted(image_ids) for status, image_ids in EXPECTED_IMAGE_IDS.items()
    }
    # and the actions called are the policy's actions, less those only the Lambda service uses
    _, documents = template_policies
    assert call_log.actions() == runtime_actions(policy_actions(documents))
    # and every action granted because AWS requires it for a runtime call goes with a call really made
    implied = policy_actions(documents) & AWS_IMPLIED_ACTIONS.keys()
    assert {AWS_IMPLIED_ACTIONS[action] for action in implied} <= call_log.actions()


# ------------------------------------------------------------------- the template translation relied upon
def test_intrinsics_resolve_to_concrete_arns() -> None:
    # given a template with a log group, and an ARN built with Join, Sub and GetAtt
    template = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}}}}
    value = [
        {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":cloudformation:",
                    {"Ref": "AWS::Region"},
                    ":",
                    {"Ref": "AWS::AccountId"},
                    ":stack/*",
                ],
            ]
        },
        {"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:image/*"},
        {"Fn::GetAtt": ["Logs", "Arn"]},
    ]
    # when resolved for the emulated account
    resolved = resolve_intrinsics(value, template, HOME)
    # then every part is a concrete string
    assert resolved == [
        f"arn:aws:cloudformation:us-east-1:{ACCOUNT_ID}:stack/*",
        f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:image/*",
        f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:Logs",
    ]


def test_an_unknown_intrinsic_is_refused_rather_than_guessed() -> None:
    # given a value built with an intrinsic the proof does not translate
    value = {"Fn::ImportValue": "SomeExport"}
    # when resolved; then it fails loudly
    with pytest.raises(ValueError, match="Fn::ImportValue"):
        resolve_intrinsics(value, {"Resources": {}}, HOME)


def test_moto_translation_widens_only_ec2_and_cloudformation_statements() -> None:
    # given a scoped CloudFormation statement with a Condition, and a scoped logs statement
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "cloudformation:DescribeStacks",
                "Resource": "arn:aws:cloudformation:us-east-1:1:stack/*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1"]}},
            },
            {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "arn:aws:logs:us-east-1:1:x"},
        ],
    }
    # when made evaluable by moto
    translated = moto_evaluable(document)
    # then only the CloudFormation statement changes: resource "*" and no Condition
    assert translated["Statement"] == [
        {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": "*"},
        document["Statement"][1],
    ]


def test_dropping_an_action_removes_statements_left_empty() -> None:
    # given one statement with two actions and one with a single action
    documents = [
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ec2:DescribeImages", "cloudformation:DescribeStacks"],
                    "Resource": "*",
                },
                {"Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"},
            ],
        }
    ]
    # when ec2:DescribeImages is dropped
    remaining = without_action(documents, "ec2:DescribeImages")
    # then only cloudformation:DescribeStacks is left
    assert policy_actions(remaining) == {"cloudformation:DescribeStacks"}
    assert len(remaining[0]["Statement"]) == 1
