from django.urls import path

from saleor_dividend_plugin.graphql.views import graphql_view
from saleor_dividend_plugin.reporting.page import report_view

urlpatterns = [path("graphql/", graphql_view), path("report/", report_view)]
