"""Order dividend and consumption value-added rewards for Saleor stores."""

__version__ = "0.1.0"
