from django.urls import path

from saleor_dividend_plugin.graphql.views import graphql_view

urlpatterns = [path("graphql/", graphql_view)]
