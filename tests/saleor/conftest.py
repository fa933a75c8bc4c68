"""The plugin installed in a real Saleor, driven through Saleor's own API.

These tests run from an environment where Saleor is installed, with Saleor's test settings (see
README, "Running the Saleor integration tests"); anywhere else the whole directory is skipped.
They load Saleor's own test fixtures the way Saleor's test suite does.
"""

import importlib.util
import itertools
from pathlib import Path

import pytest
from django.conf import settings

if importlib.util.find_spec("saleor") is None:
    pytest.skip(
        "Saleor is not installed here: run tests/saleor from a Saleor environment "
        "(README: Running the Saleor integration tests)",
        allow_module_level=True,
    )
if "saleor.core" not in settings.INSTALLED_APPS:
    pytest.skip(
        "tests/saleor needs Saleor's test settings (--ds=saleor.tests.settings)",
        allow_module_level=True,
    )

import django.test  # noqa: E402
import saleor  # noqa: E402
from saleor.account.models import User  # noqa: E402
from saleor.plugins.manager import get_plugins_manager  # noqa: E402
from saleor.tests.utils import prepare_test_db_connections  # noqa: E402

from saleor_dividend_plugin.adapter import PLUGIN_ID  # noqa: E402
from saleor_dividend_plugin.models import Channel  # noqa: E402

# As in Saleor's own test suite: every test may use the primary and the (simulated) replica.
TEST_DATABASES = {
    settings.DATABASE_CONNECTION_DEFAULT_NAME,
    settings.DATABASE_CONNECTION_REPLICA_NAME,
}
django.test.TransactionTestCase.databases = TEST_DATABASES
django.test.TestCase.databases = TEST_DATABASES
prepare_test_db_connections()


def _saleor_fixture_modules() -> list[str]:
    """Saleor's fixture modules (`<app>/tests/fixtures[.py]`), found in the installed Saleor so
    that the list follows the Saleor version."""
    root = Path(saleor.__file__).parent
    found = [*root.glob("**/tests/**/fixtures.py"), *root.glob("**/tests/**/fixtures/__init__.py")]
    modules = set()
    for path in found:
        parts = path.relative_to(root.parent).with_suffix("").parts
        modules.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(modules)


pytest_plugins = _saleor_fixture_modules()
# They import one another: have pytest rewrite their asserts before the first one is imported.
pytest.register_assert_rewrite(*pytest_plugins)

PLUGIN = "saleor_dividend_plugin.plugin.DividendPlugin"
_customers = itertools.count(1)


@pytest.fixture
def dummy_gateway(request):
    """Saleor's own autouse fixture that resets PLUGINS to its dummy payment gateway for every
    test: `setup_dummy_gateway` on main, `setup_dummy_gateways` (with the dummy credit-card
    gateway too) up to 3.23."""
    names = ("setup_dummy_gateway", "setup_dummy_gateways")
    return request.getfixturevalue(next(n for n in names if n in request.fixturenames))


@pytest.fixture
def dividend_plugin(settings, dummy_gateway):
    """The plugin in Saleor's PLUGINS, as its entry point puts it in a real installation (Saleor's
    test settings start from none, and `dummy_gateway` resets them for every test)."""
    settings.PLUGINS = [*settings.PLUGINS, PLUGIN]
    return PLUGIN


@pytest.fixture
def configure_plugin(dividend_plugin):
    """Save the plugin's settings for a Saleor channel the way the Dashboard's `pluginUpdate`
    does (through Saleor's plugins manager); returns the plugin's channel."""

    def configure(channel, active=True, **values) -> Channel:
        get_plugins_manager(allow_replica=False).save_plugin_configuration(
            PLUGIN_ID,
            channel.slug,
            {
                "active": active,
                "configuration": [{"name": k, "value": str(v)} for k, v in values.items()],
            },
        )
        return Channel.objects.get(slug=channel.slug)

    return configure


@pytest.fixture
def rewards_channel(configure_plugin, channel_USD):
    """Saleor's `main` USD channel with the plugin active: 20% dividend, whole orders back."""
    return configure_plugin(channel_USD, dividend_ratio="0.2", free_ratio="1")


@pytest.fixture
def make_customer(db):
    def make(password="password") -> User:
        number = next(_customers)
        return User.objects.create_user(f"customer{number}@example.com", password)

    return make


@pytest.fixture
def storefront(rewards_channel, channel_USD, product, shipping_zone):
    # Imported here, once Saleor's fixture modules are registered (and assertion-rewritten).
    from .storefront import Storefront

    variant = product.variants.get()
    # Enough stock for every order a test places.
    variant.stocks.update(quantity=1000)
    return Storefront(channel_USD, variant, shipping_zone.shipping_methods.get())
