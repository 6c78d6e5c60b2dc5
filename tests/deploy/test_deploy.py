"""Deploy on emulated AWS: `cdk bootstrap`, `deploy`, an update and `destroy`, then read back from moto.

Given a moto server on 127.0.0.1 and the repository's pinned CDK CLI (one of each per session, see
conftest.py), for each app directory in :data:`CASES` (its own cdk.json, cdk-nag packs registered by
the app), when the CLI deploys the app, deploys it again with new stack tags and (where the app has
one) a context option changed, and destroys it, then moto holds: every resource of the template but
those of the pinned types it does not implement; functions with the template's runtime and handler
whose CodeSha256 is that of the zip the CLI uploaded, which holds exactly the asset directory in
cdk.out; REST APIs with exactly the two GET routes under AWS_IAM; function roles allowing exactly the
pinned actions; the new tags and option after the update; and, after destroy, only the resources the
template retains and those moto does not delete.

The lifecycle runs once per app (a module-scoped fixture); each test checks one part of what it left.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.cdk_cli import CdkCli
from tests.deploy.cloud_assembly import CloudAssembly, SynthesizedStack
from tests.deploy.conftest import REGION, RecordRun
from tests.deploy.moto_readback import DeployedStack, MotoReader, directory_files, zip_files
from tests.synth_support import REPO_ROOT

pytestmark = [
    pytest.mark.slow,
    # moto warns for each type it does not implement; test_moto_creates_... pins that set instead.
    pytest.mark.filterwarnings("ignore:Tried to parse .* not supported by moto:UserWarning"),
]

# The function reads AMIs and ParallelCluster's stacks, writes its own logs and traces: nothing else.
FUNCTION_ROLE_ACTIONS = frozenset(
    {
        "cloudformation:DescribeStacks",
        "cloudformation:ListStacks",
        "ec2:DescribeImages",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }
)
# The HTTP contract's routes: (path, verb) -> authorization type, and no other method.
CONTRACT_METHODS = {
    ("/images/custom", "GET"): "AWS_IAM",
    ("/v3/images/custom", "GET"): "AWS_IAM",
}
# Template types moto 5.2.5's CloudFormation has no model for: it creates nothing for them and lists them
# with an empty logical id. A moto upgrade that implements one makes the created-resources test fail here.
TYPES_MOTO_DOES_NOT_CREATE = frozenset(
    {
        "AWS::ApiGateway::Account",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::RequestValidator",
        "AWS::ApiGateway::Stage",
        "AWS::CDK::Metadata",
    }
)
# Probed types that moto's CloudFormation leaves in place when their stack is deleted.
TYPES_MOTO_KEEPS_ON_DELETE = frozenset({"AWS::ApiGateway::RestApi"})


@dataclass(frozen=True)
class AppCase:
    """A CDK app directory to deploy, the context every deploy gets and what the update adds."""

    app_dir: Path
    context: Mapping[str, str]
    update_context: Mapping[str, str]


CASES = {
    # The repository's app.py, cdk-nag's AwsSolutions, Serverless and NIST 800-53 R5 packs enforced.
    "ListImagesStack": AppCase(REPO_ROOT, context={}, update_context={"list-images:page-size": "500"}),
    # Two embedded instances, one with a KMS key of the app's stack; AwsSolutions enforced. Without its
    # custom domain, which moto cannot create (test_moto_limits.py). It has no option to change, so its
    # update changes the stack's tags only.
    "examples/embed": AppCase(
        REPO_ROOT / "examples" / "embed", context={"custom-domain": "false"}, update_context={}
    ),
}
# Every update also tags the stacks: a change CloudFormation must apply even when the template is the same.
UPDATE_TAGS = {"deploy-proof": "update"}


@dataclass(frozen=True)
class Lifecycle:
    """What the CLI synthesized and what moto held after each step of one app's lifecycle."""

    case: AppCase
    deployed: CloudAssembly
    updated: CloudAssembly
    after_deploy: dict[str, DeployedStack]
    after_update: dict[str, DeployedStack]
    status_after_destroy: dict[str, str]
    # stack -> logical id -> whether the resource still exists after destroy (probed types only)
    exists_after_destroy: dict[str, dict[str, bool]]

    def assembly(self, phase: str) -> CloudAssembly:
        """What the CLI synthesized for ``phase`` ("deploy" or "update")."""
        return {"deploy": self.deployed, "update": self.updated}[phase]

    def phases(self) -> list[tuple[str, SynthesizedStack, DeployedStack]]:
        """(phase, synthesized stack, what moto held) for every stack after the deploy and the update."""
        return [
            (phase, stack, held[stack.name])
            for phase, held in (("deploy", self.after_deploy), ("update", self.after_update))
            for stack in self.assembly(phase).stacks()
        ]


@pytest.fixture(scope="module", params=sorted(CASES))
def lifecycle(
    request: pytest.FixtureRequest,
    cdk_cli: CdkCli,
    moto: MotoReader,
    tmp_path_factory: pytest.TempPathFactory,
    record_cli_run: RecordRun,
) -> Lifecycle:
    """Deploy, update and destroy one app on moto, reading back after each step."""
    name: str = request.param
    case = CASES[name]
    work = tmp_path_factory.mktemp(f"deploy-{name.replace('/', '-')}")
    # given the app deployed with its defaults
    deployed = CloudAssembly(work / "deploy.out")
    record_cli_run(name, cdk_cli.deploy(case.app_dir, output=deployed.directory, context=case.context))
    after_deploy = {stack.name: moto.deployed_stack(stack.name) for stack in deployed.stacks()}
    # when it is deployed again with its update's option changed and new stack tags
    updated = CloudAssembly(work / "update.out")
    update_context = {**case.context, **case.update_context}
    record_cli_run(
        name, cdk_cli.deploy(case.app_dir, output=updated.directory, context=update_context, tags=UPDATE_TAGS)
    )
    after_update = {stack.name: moto.deployed_stack(stack.name) for stack in updated.stacks()}
    # and destroyed (from the update's assembly: destroy needs the stack names, not a third synth)
    record_cli_run(name, cdk_cli.destroy(updated.directory))
    exists_after_destroy: dict[str, dict[str, bool]] = {}
    for stack_name, held in after_update.items():
        exists_after_destroy[stack_name] = {}
        for logical_id, (resource_type, physical_id) in held.resources.items():
            exists = moto.still_exists(resource_type, physical_id)
            if exists is not None:
                exists_after_destroy[stack_name][logical_id] = exists
    return Lifecycle(
        case=case,
        deployed=deployed,
        updated=updated,
        after_deploy=after_deploy,
        after_update=after_update,
        status_after_destroy={name: moto.stack_status(held.stack_id) for name, held in after_update.items()},
        exists_after_destroy=exists_after_destroy,
    )


def _function_properties(stack: SynthesizedStack, logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = stack.resources[logical_id]["Properties"]
    return properties


def test_each_stack_is_created_updated_then_deleted(lifecycle: Lifecycle) -> None:
    # then moto reports every stack of the app at each step's final status
    assert lifecycle.after_deploy
    assert {held.status for held in lifecycle.after_deploy.values()} == {"CREATE_COMPLETE"}
    assert {held.status for held in lifecycle.after_update.values()} == {"UPDATE_COMPLETE"}
    assert set(lifecycle.status_after_destroy.values()) == {"DELETE_COMPLETE"}


def test_moto_creates_every_resource_but_those_of_the_pinned_types(lifecycle: Lifecycle) -> None:
    for phase, stack, held in lifecycle.phases():
        # then what moto created is in the template, with the template's type
        created_types = {
            logical_id: resource_type for logical_id, (resource_type, _) in held.resources.items()
        }
        template_types = {logical_id: resource["Type"] for logical_id, resource in stack.resources.items()}
        assert created_types.items() <= template_types.items(), phase
        # and what it did not create is exactly the pinned types, none of which it created anywhere
        not_created = {
            template_types[logical_id] for logical_id in template_types.keys() - created_types.keys()
        }
        assert not_created == TYPES_MOTO_DOES_NOT_CREATE, phase
        assert not TYPES_MOTO_DOES_NOT_CREATE & set(created_types.values()), phase


def test_functions_run_the_asset_zip_the_cli_uploaded(lifecycle: Lifecycle, moto: MotoReader) -> None:
    account = moto.account_id()
    for phase, stack, held in lifecycle.phases():
        assembly = lifecycle.assembly(phase)
        function_ids = stack.logical_ids_of_type("AWS::Lambda::Function")
        assert function_ids, phase
        for logical_id in function_ids:
            properties = _function_properties(stack, logical_id)
            function = held.functions[logical_id]
            # then the function has the template's runtime and handler
            assert (function.runtime, function.handler) == (properties["Runtime"], properties["Handler"])
            # and its code is the zip uploaded for the template's S3 key, which holds exactly cdk.out's asset
            asset = assembly.file_asset(properties["Code"]["S3Key"], account=account, region=REGION)
            uploaded = moto.uploaded_object(asset.bucket_name, asset.object_key)
            assert zip_files(uploaded) == directory_files(asset.source), phase
            assert function.code_sha256 == base64.b64encode(hashlib.sha256(uploaded).digest()).decode()


def test_every_rest_api_has_exactly_the_contract_routes_under_iam_auth(lifecycle: Lifecycle) -> None:
    for phase, stack, held in lifecycle.phases():
        # then every REST API of the template exists, with the two GET routes, AWS_IAM, and nothing else
        assert sorted(held.rest_api_methods) == stack.logical_ids_of_type("AWS::ApiGateway::RestApi"), phase
        assert held.rest_api_methods, phase
        for methods in held.rest_api_methods.values():
            assert methods == CONTRACT_METHODS, phase


def test_function_roles_allow_exactly_the_listing_actions(lifecycle: Lifecycle) -> None:
    for phase, _stack, held in lifecycle.phases():
        # then the policies moto holds for each function's role allow exactly the pinned actions
        assert held.role_actions, phase
        for actions in held.role_actions.values():
            assert actions == FUNCTION_ROLE_ACTIONS, phase


def test_the_update_reaches_moto(lifecycle: Lifecycle) -> None:
    # then after each deploy, every function's environment in moto is the one its template sets
    for phase, stack, held in lifecycle.phases():
        for logical_id, function in held.functions.items():
            expected = _function_properties(stack, logical_id).get("Environment", {}).get("Variables", {})
            assert function.environment == expected, phase
    # and the update's option changed the functions it changed in the template, which an option must do
    changed_in_moto = {
        (stack_name, logical_id)
        for stack_name, held in lifecycle.after_update.items()
        for logical_id, function in held.functions.items()
        if function.environment != lifecycle.after_deploy[stack_name].functions[logical_id].environment
    }
    deployed_stacks = {stack.name: stack for stack in lifecycle.deployed.stacks()}
    changed_in_templates = {
        (stack.name, logical_id)
        for stack in lifecycle.updated.stacks()
        for logical_id in stack.logical_ids_of_type("AWS::Lambda::Function")
        if _function_properties(stack, logical_id)
        != _function_properties(deployed_stacks[stack.name], logical_id)
    }
    assert changed_in_moto == changed_in_templates
    assert bool(changed_in_templates) == bool(lifecycle.case.update_context)
    # and the stacks carry the update's tags, which the first deploy did not set
    assert [held.tags for held in lifecycle.after_deploy.values()] == [{}] * len(lifecycle.after_deploy)
    assert [held.tags for held in lifecycle.after_update.values()] == [UPDATE_TAGS] * len(
        lifecycle.after_update
    )


def test_destroy_leaves_only_retained_resources_and_those_moto_keeps(lifecycle: Lifecycle) -> None:
    for stack in lifecycle.updated.stacks():
        probed = lifecycle.exists_after_destroy[stack.name]
        held = lifecycle.after_update[stack.name]
        assert set(held.functions) <= set(probed)
        # then the probed resources left are exactly those the template retains and those moto keeps
        left = {logical_id for logical_id, exists in probed.items() if exists}
        expected = {
            logical_id
            for logical_id in probed
            if stack.resources[logical_id].get("DeletionPolicy") == "Retain"
            or stack.resources[logical_id]["Type"] in TYPES_MOTO_KEEPS_ON_DELETE
        }
        assert left == expected
