"""The rewards GraphQL endpoint, the same for every host.

Inside Saleor the plugin's `webhook` answers `/plugins/channel/<channel-slug>/<PLUGIN_ID>/graphql/`
by calling `handle_graphql_request(request, channel_slug)`; the standalone host routes `/graphql/`
to `graphql_view`, which takes the channel from `?channel=<slug>` or an `X-Channel` header.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import OrderedDict

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from graphql.error import GraphQLError, GraphQLSyntaxError, format_error
from graphql.execution import execute
from graphql.language.parser import parse
from graphql.validation import validate

from ..host import get_host
from ..models import Channel
from .core.context import (
    ChannelNotFound,
    ExpiredToken,
    InvalidToken,
    RequestError,
    RewardContext,
)
from .core.limits import check_nesting, check_size
from .playground import playground_html
from .schema import schema

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "Internal Server Error"
CORS_HEADERS = {
    # Credentials travel in the Authorization header, never in cookies, so any origin may call.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "86400",
}
# A host that refuses a token because it expired (Saleor: PyJWT's ExpiredSignatureError) chains
# that error; the storefront then refreshes the token instead of signing the customer out.
_EXPIRED = "ExpiredSignatureError"


@csrf_exempt
def graphql_view(request) -> HttpResponse:
    """The standalone host's `/graphql/`."""
    slug = request.GET.get("channel") or request.headers.get("X-Channel")
    return handle_graphql_request(request, slug)


def handle_graphql_request(request, channel_slug: str | None) -> HttpResponse:
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=200))
    if request.method == "GET":
        html = playground_html(request.build_absolute_uri(request.get_full_path()))
        return HttpResponse(html, content_type="text/html; charset=utf-8")
    if request.method != "POST":
        response = HttpResponse(status=405)
        response["Allow"] = "GET, POST, OPTIONS"
        return _cors(response)
    return _cors(_execute(request, channel_slug))


def _execute(request, channel_slug: str | None) -> HttpResponse:
    try:
        query, variables, operation_name = _parse_body(request)
        document, invalid = _document(query)
    except RequestDataTooBig:
        return _error_response(RequestError("Request body exceeds maximum size."), 413)
    except GraphQLSyntaxError as error:
        return JsonResponse({"errors": [_format(error)]}, status=400)
    except RequestError as error:
        return _error_response(error, 400)

    channel = Channel.objects.filter(slug=channel_slug or "", active=True).first()
    if channel is None:
        where = f"channel {channel_slug[:100]!r}" if channel_slug else "a channel"
        return _error_response(ChannelNotFound(f"Rewards are not enabled for {where}."), 404)
    try:
        user = get_host().authenticate(request)
    except PermissionError as error:
        expired = type(error.__cause__).__name__ == _EXPIRED
        token_error = ExpiredToken if expired else InvalidToken
        return _error_response(token_error(str(error) or "Invalid token."), 401)

    if invalid:
        return JsonResponse({"errors": [_format(error) for error in invalid]}, status=400)
    context = RewardContext(channel, user)
    try:
        result = execute(
            schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
        )
    except Exception as error:
        # Raised before any field runs: variables that do not fit their types, an unknown
        # operationName. (graphql-core's own entry point reports these the same way.)
        return JsonResponse({"errors": [_format(error)]}, status=400)
    body = {}
    if result.errors:
        body["errors"] = [_format(error) for error in result.errors]
    if result.invalid:
        return JsonResponse(body, status=400)
    body["data"] = result.data
    return JsonResponse(body)


class DocumentCache:
    """Parsed and validated documents by query text, least recently used out first.

    A storefront sends the same few operations again and again, and validating one costs more
    than running it. Anyone may send texts, though, so the cache is bounded by the text it holds
    (a document's parsed form grows with its text), and longer texts are never kept: whatever is
    sent, one process holds at most `budget` bytes of query text and their documents.
    """

    def __init__(self, budget: int, largest: int):
        self.budget = budget
        self.largest = largest
        self.size = 0
        self._documents: OrderedDict[str, tuple] = OrderedDict()
        # Threaded servers share the cache between requests.
        self._lock = threading.Lock()

    def get(self, query: str, build):
        with self._lock:
            document = self._documents.get(query)
            if document is not None:
                self._documents.move_to_end(query)
                return document
        document = build(query)
        weight = sys.getsizeof(query)
        if weight > self.largest:
            return document
        with self._lock:
            if query not in self._documents:
                self._documents[query] = document
                self.size += weight
            while self.size > self.budget:
                dropped, _ = self._documents.popitem(last=False)
                self.size -= sys.getsizeof(dropped)
        return document

    def clear(self) -> None:
        with self._lock:
            self._documents.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._documents)


# Storefront operations are a few hundred bytes to 2 KiB: 32 KiB keeps a whole storefront's.
documents = DocumentCache(budget=32 * 1024, largest=8 * 1024)


def _document(query: str):
    """The parsed document and its validation errors. Refused documents (nesting, syntax, size)
    raise and are not kept."""
    return documents.get(query, _parse_and_validate)


def _parse_and_validate(query: str):
    check_nesting(query)
    document = parse(query)
    check_size(document)
    return document, tuple(validate(schema, document))


class JsonNumber(str):
    """The text of a JSON number with a fraction, as sent."""


def _parse_body(request):
    if request.content_type != "application/json":
        raise RequestError("Send a JSON body: {query, variables, operationName}.")
    try:
        # A number with a fraction is kept as its exact text, never a float: the Decimal scalar
        # reads it from there, and other types refuse it with a message graphql-core can quote
        # (it json-encodes refused values, which a Decimal would break).
        data = json.loads(request.body, parse_float=JsonNumber)
    except (ValueError, UnicodeDecodeError):
        raise RequestError("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise RequestError("Send one operation as a JSON object; batches are not supported.")
    query, variables = data.get("query"), data.get("variables")
    operation_name = data.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise RequestError("Must provide a query string.")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError("`variables` must be a JSON object.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError("`operationName` must be a string.")
    return query, variables, operation_name


def _format(error) -> dict:
    """A GraphQL error for the response: messages of errors raised on purpose are kept; anything
    else is logged with its traceback and reported without details (no SQL, no stack)."""
    original = getattr(error, "original_error", None) if isinstance(error, GraphQLError) else error
    if original is None:
        # Syntax and validation errors, from graphql-core itself.
        code = "GraphQLError"
    elif isinstance(original, RequestError):
        code = original.code
    elif isinstance(original, GraphQLError):
        code = "GraphQLError"
    else:
        logger.error("A rewards GraphQL request failed", exc_info=original)
        formatted = format_error(error) if isinstance(error, GraphQLError) else {}
        formatted["message"] = INTERNAL_ERROR
        formatted["extensions"] = {"exception": {"code": "InternalServerError"}}
        return formatted
    formatted = format_error(error)
    formatted["extensions"] = {"exception": {"code": code}}
    return formatted


def _error_response(error: RequestError, status: int) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"message": error.message, "extensions": {"exception": {"code": error.code}}}]},
        status=status,
    )


def _cors(response: HttpResponse) -> HttpResponse:
    for header, value in CORS_HEADERS.items():
        response[header] = value
    return response
