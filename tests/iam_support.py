"""Turn the synthesized Lambda role into a real role of an IAM-enforcing moto, and watch the AWS calls made.

Used by tests/infra/test_iam_proof.py. Three steps:

1. ``function_role_policies`` reads every policy document attached to the role of the function with a given
   handler, with CloudFormation intrinsics resolved to concrete strings (``resolve_intrinsics``).
2. ``moto_evaluable`` rewrites only what moto cannot evaluate (see its docstring for why and what).
3. ``create_role_credentials`` creates the role in moto and assumes it; ``AwsCallLog.client_factory``
   gives clients with those credentials that record every call and its error code.

moto checks IAM per action only: it evaluates EC2 and CloudFormation actions against resource ``*`` and
has no request context to evaluate Conditions with. What these helpers prove is therefore action-level
sufficiency and minimality, nothing finer.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session

# Services whose actions moto authorizes against resource "*" (it does not compute their resource ARNs).
MOTO_RESOURCE_STAR_SERVICES = frozenset({"ec2", "cloudformation"})
# Actions that the Lambda service itself performs with the function's role: log delivery to the function's
# log group and X-Ray trace segments. The runtime's own code never calls them, so no run of the runtime can
# show they are needed. An explicit list, not "logs:*": a broader logs/xray grant must not hide in here.
LAMBDA_SERVICE_ACTIONS = frozenset(
    {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
)
# Actions AWS authorizes on top of the one the runtime calls, keyed by that call: the CloudFormation API
# reference says DescribeStacks without StackName "requires ListStacks and DescribeStacks permissions".
# moto does not model this, so no run here can show they are needed; the proof keeps them apart and
# checks only that the call that needs them is really made.
AWS_IMPLIED_ACTIONS: dict[str, str] = {"cloudformation:ListStacks": "cloudformation:DescribeStacks"}
# Error codes with which AWS (and moto) refuse an action the caller's policies do not allow.
ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class AwsEnvironment:
    """The concrete account, Region and partition that stand in for the template's pseudo parameters."""

    account_id: str
    region: str
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    def pseudo_parameters(self) -> dict[str, str]:
        """Values of ``AWS::AccountId``, ``AWS::Region``, ``AWS::Partition`` and ``AWS::URLSuffix``."""
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
        }


def resolve_intrinsics(value: Any, template: Mapping[str, Any], environment: AwsEnvironment) -> Any:
    """Return ``value`` with ``Ref``, ``Fn::GetAtt``, ``Fn::Join`` and ``Fn::Sub`` replaced by strings.

    Pseudo parameters become the values of ``environment``. A resource of the template has no name or ARN
    before deployment, so ``Ref`` gives its logical id and ``Fn::GetAtt <id>.Arn`` a stand-in ARN of the
    resource's own service (``arn:aws:logs:<region>:<account>:<LogicalId>`` for a log group): a valid ARN
    that names that resource and nothing else. Any other intrinsic raises ``ValueError``.
    """
    if isinstance(value, list):
        return [resolve_intrinsics(item, template, environment) for item in value]
    if not isinstance(value, dict):
        return value
    function = next(iter(value), "")
    if len(value) != 1 or not (function == "Ref" or function.startswith("Fn::")):
        return {key: resolve_intrinsics(item, template, environment) for key, item in value.items()}
    argument = value[function]
    if function == "Ref":
        return _resolve_reference(str(argument), template, environment)
    if function == "Fn::GetAtt":
        logical_id, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
        return _stand_in_attribute(logical_id, attribute, template, environment)
    if function == "Fn::Join":
        separator, parts = argument
        return separator.join(str(resolve_intrinsics(part, template, environment)) for part in parts)
    if function == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        resolved_variables = {
            name: str(resolve_intrinsics(item, template, environment)) for name, item in variables.items()
        }

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in resolved_variables:
                return resolved_variables[name]
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(_stand_in_attribute(logical_id, attribute, template, environment))
            return str(_resolve_reference(name, template, environment))

        return _SUB_VARIABLE.sub(substitute, text)
    raise ValueError(f"intrinsic {function} is not supported by the IAM proof")


def _resolve_reference(name: str, template: Mapping[str, Any], environment: AwsEnvironment) -> str:
    pseudo = environment.pseudo_parameters()
    if name in pseudo:
        return pseudo[name]
    if name in template.get("Resources", {}):
        return name
    raise ValueError(f"Ref to {name!r}: neither a pseudo parameter nor a resource of the template")


def _stand_in_attribute(
    logical_id: str, attribute: str, template: Mapping[str, Any], environment: AwsEnvironment
) -> str:
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None or attribute != "Arn":
        raise ValueError(f"Fn::GetAtt {logical_id}.{attribute} is not supported by the IAM proof")
    service = resource["Type"].split("::")[1].lower()
    return f"arn:{environment.partition}:{service}:{environment.region}:{environment.account_id}:{logical_id}"


def function_role_policies(
    template: Mapping[str, Any], handler: str, environment: AwsEnvironment
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The trust policy and every permission policy document of the role of the function with ``handler``.

    Collects the role's inline ``Policies`` and every ``AWS::IAM::Policy`` / ``AWS::IAM::ManagedPolicy``
    of the template attached to it, intrinsics resolved. A managed policy given by ARN has no document in
    the template: the proof cannot see it, so it raises ``ValueError`` rather than silently ignore it.
    """
    resources: Mapping[str, Any] = template["Resources"]
    functions = [
        resource
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::Function" and resource["Properties"].get("Handler") == handler
    ]
    if len(functions) != 1:
        raise ValueError(f"expected exactly one function with handler {handler!r}, found {len(functions)}")
    role_id = functions[0]["Properties"]["Role"]["Fn::GetAtt"][0]
    role_properties = resources[role_id]["Properties"]
    if role_properties.get("ManagedPolicyArns"):
        raise ValueError(f"role {role_id} has managed policies the proof cannot read: ManagedPolicyArns")
    documents = [policy["PolicyDocument"] for policy in role_properties.get("Policies", [])]
    for resource in resources.values():
        attached_roles = resource.get("Properties", {}).get("Roles", [])
        if (
            resource["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}
            and {"Ref": role_id} in attached_roles
        ):
            documents.append(resource["Properties"]["PolicyDocument"])
    trust_policy = resolve_intrinsics(role_properties["AssumeRolePolicyDocument"], template, environment)
    return trust_policy, [resolve_intrinsics(document, template, environment) for document in documents]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def moto_evaluable(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` that moto can evaluate, changed only where moto needs it.

    - A statement with an EC2 or CloudFormation action gets ``Resource: "*"``: moto authorizes those actions
      against resource ``*``, so any narrower (correct) ARN would be wrongly denied. ``ec2:DescribeImages``
      has no resource-level permissions in AWS either; ``cloudformation:DescribeStacks`` has, and a
      narrowing there is not checked by this proof.
    - ``Condition`` blocks are dropped: moto has no context keys (such as ``aws:RequestedRegion``) for these
      requests and lets every Condition pass; dropping them says so instead of relying on it.
    """
    result = copy.deepcopy(dict(document))
    for statement in _as_list(result["Statement"]):
        services = {action.split(":", 1)[0] for action in _as_list(statement["Action"])}
        if services & MOTO_RESOURCE_STAR_SERVICES:
            statement["Resource"] = "*"
        statement.pop("Condition", None)
    return result


def policy_actions(documents: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every action that an ``Allow`` statement of ``documents`` names."""
    return {
        action
        for document in documents
        for statement in _as_list(document["Statement"])
        if statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"])
    }


def runtime_actions(actions: Iterable[str]) -> set[str]:
    """``actions`` without those that only the Lambda service uses (``LAMBDA_SERVICE_ACTIONS``) and those
    AWS authorizes on top of a runtime call (``AWS_IMPLIED_ACTIONS``)."""
    return set(actions) - LAMBDA_SERVICE_ACTIONS - AWS_IMPLIED_ACTIONS.keys()


def without_action(documents: Iterable[Mapping[str, Any]], removed: str) -> list[dict[str, Any]]:
    """Copies of ``documents`` with ``removed`` taken out of every statement; emptied statements go."""
    result = []
    for document in documents:
        statements = []
        for statement in _as_list(copy.deepcopy(document["Statement"])):
            actions = [action for action in _as_list(statement["Action"]) if action != removed]
            if actions:
                statements.append({**statement, "Action": actions})
        if statements:
            result.append({**document, "Statement": statements})
    return result


@dataclass(frozen=True)
class RoleCredentials:
    """Temporary credentials from ``sts:AssumeRole``."""

    access_key_id: str
    secret_access_key: str
    session_token: str


def create_role_credentials(
    role_name: str, trust_policy: Mapping[str, Any], documents: Iterable[Mapping[str, Any]]
) -> RoleCredentials:
    """Create ``role_name`` with ``documents`` as inline policies in the active moto mock and assume it.

    Must run before IAM enforcement is switched on: the ambient test credentials create the role and
    assume it in place of the Lambda service that the trust policy names.
    """
    iam = boto3.client("iam")
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust_policy))["Role"][
        "Arn"
    ]
    for index, document in enumerate(documents):
        iam.put_role_policy(
            RoleName=role_name, PolicyName=f"Policy{index}", PolicyDocument=json.dumps(document)
        )
    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="iam-proof")[
        "Credentials"
    ]
    return RoleCredentials(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )


@dataclass(frozen=True)
class AwsCall:
    """One AWS API call: its IAM action (``service:Operation``) and the error code AWS answered, if any."""

    action: str
    error_code: str | None


@dataclass
class AwsCallLog:
    """Every AWS call made through the clients of ``client_factory``, in order."""

    calls: list[AwsCall] = field(default_factory=list)

    def actions(self) -> set[str]:
        """The IAM actions called."""
        return {call.action for call in self.calls}

    def denied_actions(self) -> set[str]:
        """The IAM actions that AWS refused with an access error."""
        return {call.action for call in self.calls if call.error_code in ACCESS_DENIED_CODES}

    def _record(self, model: Any, parsed: Mapping[str, Any], **_: Any) -> None:
        # The signing name is the IAM prefix for the services involved here (ec2, cloudformation).
        action = f"{model.service_model.signing_name}:{model.name}"
        self.calls.append(AwsCall(action, parsed.get("Error", {}).get("Code")))

    def client_factory(self, credentials: RoleCredentials) -> Callable[[str, str], Any]:
        """A ``(service, region) -> client`` factory: new clients, signing with ``credentials``."""
        session = botocore.session.Session()
        session.set_credentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )
        # after-call sees every answered call, including refused ones, before botocore raises.
        session.register("after-call", self._record)

        def create_client(service: str, region: str) -> Any:
            return session.create_client(service, region_name=region)

        return create_client
