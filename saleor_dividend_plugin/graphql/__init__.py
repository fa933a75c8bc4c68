"""The storefront and staff GraphQL API (graphene 2), served by the plugin's own endpoint."""
