"""The plugin's side of Saleor: the only package (with `plugin.py`) that imports `saleor`.

`SaleorHost` gives the core what it needs from the store (orders, gift cards, customers and staff)
as plain data; everything else stays host-independent.
"""

# The plugin's id in Saleor: its URL segment (/plugins/channel/<slug>/<id>/) and the key of its
# saved configuration. Same as the Django app and the entry point name.
PLUGIN_ID = "saleor_dividend_plugin"
