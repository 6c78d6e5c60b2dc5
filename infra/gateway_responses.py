"""API Gateway's own error answers, rewritten to the contract's ``{"message": ...}`` without ARNs."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigateway

__all__ = ["GATEWAY_RESPONSES", "THROTTLED_RETRY_AFTER_SECONDS", "GatewayResponse", "add_gateway_responses"]

# Seconds a client throttled by the stage should wait: the stage's token bucket refills every second.
THROTTLED_RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True)
class GatewayResponse:
    """One customised API Gateway answer: its response type, status (None keeps each type's own) and body."""

    response_type: str
    construct_id: str
    status_code: str | None
    template: str


# API Gateway's own error answers, rewritten to the contract's {"message": ...} (API Gateway's defaults use
# "Message" for some IAM denials and echo ARNs). A gateway response template is plain substitution, no VTL;
# $context.error.messageString is the message as a quoted JSON string.
# - ACCESS_DENIED (IAM or resource-policy denial, unknown access key): API Gateway's message names the
#   caller's ARN and the execute-api resource ARN with the account id, so a fixed text; the full reason is
#   in the access log (errorMessage), found by the request id.
# - MISSING_AUTHENTICATION_TOKEN, INVALID_SIGNATURE, EXPIRED_TOKEN: the messages only describe what the
#   caller sent (a missing or incomplete Authorization header, the expected canonical request and
#   string-to-sign, a signature or token past its time): they help fix the signing and name no ARN or
#   account, so they are kept.
# - UNAUTHORIZED (401) belongs to custom and Cognito authorizers, which this API does not use: fixed text.
# - DEFAULT_4XX covers the rest (bad request body or parameters, 404, 413, 415, WAF, API keys): fixed
#   texts of API Gateway's own, kept. DEFAULT_5XX and INTEGRATION_TIMEOUT: fixed texts with the request
#   id, like the function's own 500.
_MESSAGE = '{"message": $context.error.messageString}'
_REQUEST_ID = "(request id: $context.requestId)"
GATEWAY_RESPONSES = (
    GatewayResponse(
        "ACCESS_DENIED",
        "AccessDeniedResponse",
        "403",
        '{"message": "Access denied: the signing credentials are not valid, or IAM policies or the API\'s '
        f'resource policy do not allow this caller to invoke this route {_REQUEST_ID}"}}',
    ),
    GatewayResponse("MISSING_AUTHENTICATION_TOKEN", "MissingAuthenticationTokenResponse", "403", _MESSAGE),
    GatewayResponse("INVALID_SIGNATURE", "InvalidSignatureResponse", "403", _MESSAGE),
    GatewayResponse("EXPIRED_TOKEN", "ExpiredTokenResponse", "403", _MESSAGE),
    GatewayResponse("UNAUTHORIZED", "UnauthorizedResponse", "401", '{"message": "Unauthorized"}'),
    GatewayResponse("THROTTLED", "ThrottledResponse", "429", '{"message": "Too Many Requests"}'),
    GatewayResponse(
        "INTEGRATION_TIMEOUT",
        "IntegrationTimeoutResponse",
        "504",
        f'{{"message": "Endpoint request timed out {_REQUEST_ID}"}}',
    ),
    GatewayResponse("DEFAULT_4XX", "Default4xxResponse", None, _MESSAGE),
    GatewayResponse(
        "DEFAULT_5XX", "Default5xxResponse", None, f'{{"message": "Internal server error {_REQUEST_ID}"}}'
    ),
)


def add_gateway_responses(api: apigateway.RestApi) -> None:
    """Make API Gateway's own error answers ``{"message": ...}`` like the function's, without ARNs.

    See ``GATEWAY_RESPONSES``; DEFAULT_4XX/DEFAULT_5XX set no status, so every type they cover keeps its
    own (setting one there would change the status of all of them).
    """
    for response in GATEWAY_RESPONSES:
        headers = (
            {"Retry-After": f"'{THROTTLED_RETRY_AFTER_SECONDS}'"}
            if response.response_type == "THROTTLED"
            else None
        )
        api.add_gateway_response(
            response.construct_id,
            type=apigateway.ResponseType.of(response.response_type),
            status_code=response.status_code,
            response_headers=headers,
            templates={"application/json": response.template},
        )
