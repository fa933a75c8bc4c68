from django.apps import AppConfig


class DividendConfig(AppConfig):
    name = "saleor_dividend_plugin"
    label = "saleor_dividend_plugin"
    verbose_name = "Dividend & rewards"
    default_auto_field = "django.db.models.BigAutoField"
