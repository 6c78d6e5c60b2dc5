"""What moto holds after a deploy, read through the AWS APIs (boto3 on the moto endpoint)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

# Probed after `cdk destroy`; other types are not looked up.
_NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "NoSuchEntity", "NotFoundException"})


@dataclass(frozen=True)
class DeployedFunction:
    """A Lambda function as moto's Lambda describes it."""

    runtime: str
    handler: str
    code_sha256: str
    environment: dict[str, str]
    role_name: str


@dataclass(frozen=True)
class DeployedStack:
    """A stack as moto's CloudFormation, Lambda, API Gateway and IAM describe it.

    ``resources`` holds only what moto created: it lists a resource of a type it does not implement with
    an empty logical id and type, and creates nothing for it.
    """

    stack_id: str
    status: str
    tags: dict[str, str]
    resources: dict[str, tuple[str, str]]  # logical id -> (type, physical id)
    functions: dict[str, DeployedFunction]  # logical id -> function
    rest_api_methods: dict[str, dict[tuple[str, str], str]]  # logical id -> (path, verb) -> authorization
    role_actions: dict[str, frozenset[str]]  # function logical id -> actions its role's policies allow

    def logical_ids_of_type(self, resource_type: str) -> list[str]:
        """Logical ids of the created resources of one type."""
        return [logical_id for logical_id, (kind, _) in self.resources.items() if kind == resource_type]


class MotoReader:
    """boto3 clients on the moto endpoint, and the read-backs the deploy tests compare."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self._endpoint_url = endpoint_url
        self._region = region

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` on the moto endpoint."""
        return boto3.client(
            service,
            endpoint_url=self._endpoint_url,
            region_name=self._region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def account_id(self) -> str:
        """The account moto answers for (STS GetCallerIdentity)."""
        account: str = self.client("sts").get_caller_identity()["Account"]
        return account

    def stack_status(self, stack_id: str) -> str:
        """A stack's status, by id (a deleted stack is found by id only)."""
        status: str = self.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0][
            "StackStatus"
        ]
        return status

    def deployed_stack(self, stack_name: str) -> DeployedStack:
        """Read back the stack, its functions (with their roles' actions) and its REST APIs' methods."""
        cloudformation = self.client("cloudformation")
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        summaries = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        resources = {
            summary["LogicalResourceId"]: (summary["ResourceType"], summary.get("PhysicalResourceId", ""))
            for page in summaries
            for summary in page["StackResourceSummaries"]
            if summary["LogicalResourceId"]
        }
        functions = {
            logical_id: self.function(physical_id)
            for logical_id, (kind, physical_id) in resources.items()
            if kind == "AWS::Lambda::Function"
        }
        return DeployedStack(
            stack_id=stack["StackId"],
            status=stack["StackStatus"],
            tags={tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])},
            resources=resources,
            functions=functions,
            rest_api_methods={
                logical_id: self.rest_api_methods(physical_id)
                for logical_id, (kind, physical_id) in resources.items()
                if kind == "AWS::ApiGateway::RestApi"
            },
            role_actions={
                logical_id: self.role_actions(function.role_name)
                for logical_id, function in functions.items()
            },
        )

    def function(self, function_name: str) -> DeployedFunction:
        """Runtime, handler, code hash, environment and role name of one function."""
        configuration = self.client("lambda").get_function_configuration(FunctionName=function_name)
        return DeployedFunction(
            runtime=configuration["Runtime"],
            handler=configuration["Handler"],
            code_sha256=configuration["CodeSha256"],
            environment=configuration.get("Environment", {}).get("Variables", {}),
            role_name=configuration["Role"].rsplit("/", 1)[-1],
        )

    def rest_api_methods(self, rest_api_id: str) -> dict[tuple[str, str], str]:
        """(resource path, HTTP verb) -> authorization type, for every method of a REST API."""
        apigateway = self.client("apigateway")
        pages = apigateway.get_paginator("get_resources").paginate(restApiId=rest_api_id, embed=["methods"])
        return {
            (resource["path"], verb): method["authorizationType"]
            for page in pages
            for resource in page["items"]
            for verb, method in resource.get("resourceMethods", {}).items()
        }

    def role_actions(self, role_name: str) -> frozenset[str]:
        """Every action an Allow statement grants in the role's inline and attached policies."""
        iam = self.client("iam")
        documents = [
            iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
            for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        ]
        for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            documents.append(
                iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])[
                    "PolicyVersion"
                ]["Document"]
            )
        actions: set[str] = set()
        for document in documents:
            for statement in document["Statement"]:
                if statement["Effect"] == "Allow":
                    action = statement.get("Action", [])
                    actions.update([action] if isinstance(action, str) else action)
        return frozenset(actions)

    def uploaded_object(self, bucket: str, key: str) -> bytes:
        """The bytes of an object in moto's S3."""
        body: bytes = self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def still_exists(self, resource_type: str, physical_id: str) -> bool | None:
        """Whether a resource still exists; None for a type this reader does not probe."""
        probes = {
            "AWS::Lambda::Function": lambda: self.client("lambda").get_function(FunctionName=physical_id),
            "AWS::IAM::Role": lambda: self.client("iam").get_role(RoleName=physical_id),
            "AWS::ApiGateway::RestApi": lambda: self.client("apigateway").get_rest_api(restApiId=physical_id),
        }
        if resource_type == "AWS::Logs::LogGroup":
            groups = self.client("logs").describe_log_groups(logGroupNamePrefix=physical_id)["logGroups"]
            return any(group["logGroupName"] == physical_id for group in groups)
        if resource_type not in probes:
            return None
        try:
            probes[resource_type]()
        except ClientError as error:
            if error.response["Error"]["Code"] in _NOT_FOUND_CODES:
                return False
            raise
        return True


def zip_files(archive: bytes) -> dict[str, bytes]:
    """Path -> content of every file in a zip archive."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {info.filename: opened.read(info) for info in opened.infolist() if not info.is_dir()}


def directory_files(directory: Path) -> dict[str, bytes]:
    """Relative POSIX path -> content of every file under ``directory``."""
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }
