"""Who may call the API beyond IAM: the REST API's resource policy, and whether it admits a grantee.

Without VPC endpoints or a principal list there is no resource policy: callers' own IAM policies decide.
A PRIVATE API admits the stack's account through its VPC endpoints only; a principal list admits those
principals only (plus the invoker role), each by a Deny for everyone else, so an Allow elsewhere (a
caller's own identity policy) cannot widen it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

__all__ = ["build_resource_policy", "unadmitted_grantee_reason"]


def build_resource_policy(
    route_arns: Sequence[str],
    vpc_endpoints: Sequence[ec2.IInterfaceVpcEndpoint],
    admitted_principal_arns: Sequence[str],
) -> iam.PolicyDocument | None:
    """The resource policy for ``route_arns`` (``execute-api:/...`` shorthands); None when none is needed."""
    if not vpc_endpoints and not admitted_principal_arns:
        return None  # REGIONAL without a principal list: callers' IAM policies decide.
    principals: list[iam.IPrincipal] = (
        [iam.ArnPrincipal(arn) for arn in admitted_principal_arns]
        if admitted_principal_arns
        else [iam.AccountRootPrincipal()]
    )
    statements = [
        iam.PolicyStatement(
            sid="AllowListImages",
            effect=iam.Effect.ALLOW,
            principals=principals,
            actions=["execute-api:Invoke"],
            resources=list(route_arns),
        )
    ]
    if admitted_principal_arns:
        statements.append(
            _deny_invoke_when("DenyOtherPrincipals", _other_principals(admitted_principal_arns))
        )
    if vpc_endpoints:
        endpoint_ids = [endpoint.vpc_endpoint_id for endpoint in vpc_endpoints]
        statements.append(
            _deny_invoke_when(
                "DenyOutsideVpcEndpoints", {"StringNotEquals": {"aws:SourceVpce": endpoint_ids}}
            )
        )
    return iam.PolicyDocument(statements=statements)


def unadmitted_grantee_reason(
    grantee: iam.IGrantable, admitted_principal_arns: Sequence[str], stack_account: str
) -> str | None:
    """Why the resource policy would deny ``grantee`` although IAM allows it; None when it admits it.

    Only what synth can know is judged: a principal list admits a grantee whose ARN is in it (the same
    token counts: ``role.role_arn`` passed in ``allowed_principal_arns``) or whose account root is; the
    account-wide Allow of a PRIVATE API admits principals of the stack's account.
    """
    principal = grantee.grant_principal
    arn = _principal_arn(principal)
    account = principal.principal_account
    if admitted_principal_arns:
        if arn is not None and arn in admitted_principal_arns:
            return None
        admitted_roots = {
            a for a in admitted_principal_arns if not Token.is_unresolved(a) and a.endswith(":root")
        }
        known_account = account is not None and not Token.is_unresolved(account)
        if known_account and any(root.split(":")[4] == account for root in admitted_roots):
            return None
        return (
            "the API's resource policy admits only allowed_principal_arns, which do not include this "
            "grantee: add its ARN (for a role of this app, role.role_arn) or its account root to "
            "allowed_principal_arns"
        )
    if (
        account is not None
        and not Token.is_unresolved(account)
        and not Token.is_unresolved(stack_account)
        and account != stack_account
    ):
        return (
            f"the PRIVATE API's resource policy admits only principals of account {stack_account}, and this "
            f"grantee belongs to account {account}"
        )
    return None


def _principal_arn(principal: iam.IPrincipal) -> str | None:
    """The ARN a resource policy would match for ``principal`` (roles, users, ARN principals), if any."""
    for attribute in ("role_arn", "user_arn"):
        value = getattr(principal, attribute, None)
        if isinstance(value, str):
            return value
    if isinstance(principal, iam.ArnPrincipal):
        return principal.arn
    return None


def _other_principals(admitted_principal_arns: Sequence[str]) -> dict[str, Any]:
    """Conditions true for a caller that no admitted ARN covers (conditions of a statement are ANDed).

    A role or user is matched by ``aws:PrincipalArn`` (the role's ARN for each of its sessions); an
    account root admits every principal of that account, so it is matched by ``aws:PrincipalAccount``.
    """
    accounts = [
        arn.split(":")[4]
        for arn in admitted_principal_arns
        if not Token.is_unresolved(arn) and arn.endswith(":root")
    ]
    principals = [
        arn for arn in admitted_principal_arns if Token.is_unresolved(arn) or not arn.endswith(":root")
    ]
    conditions: dict[str, Any] = {}
    if principals:
        conditions["ArnNotLike"] = {"aws:PrincipalArn": principals}
    if accounts:
        conditions["StringNotEquals"] = {"aws:PrincipalAccount": accounts}
    return conditions


def _deny_invoke_when(sid: str, conditions: dict[str, Any]) -> iam.PolicyStatement:
    """Deny every invocation meeting ``conditions``: the negation of what the policy admits."""
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["execute-api:Invoke"],
        resources=["execute-api:/*"],
        conditions=conditions,
    )
