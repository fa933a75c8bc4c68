from django.urls import path, re_path

from saleor_dividend_plugin.graphql.views import graphql_view
from saleor_dividend_plugin.reporting.page import report_view
from saleor_dividend_plugin.widget import widget_response

urlpatterns = [
    path("graphql/", graphql_view),
    path("report/", report_view),
    re_path(
        r"^widget(?:\.[0-9a-f]+)?\.js$", lambda request: widget_response(request, request.path)
    ),
]
