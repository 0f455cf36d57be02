"""Errors raised by LeafLoaf: every one names what was wrong and what to do about it."""

from __future__ import annotations

from typing import Any


class LeafLoafError(Exception):
    """Base class of every error LeafLoaf raises on purpose."""


class ValidationError(LeafLoafError, ValueError):
    """An input value was rejected; ``field`` and ``value`` say which one.

    >>> err = ValidationError("quantity", -1, "must be greater than 0")
    >>> str(err)
    'quantity=-1: must be greater than 0'
    """

    def __init__(self, field: str, value: Any, message: str) -> None:
        self.field = field
        self.value = value
        self.message = message
        super().__init__(f"{field}={value!r}: {message}")


class UnknownProductError(ValidationError):
    """An event or query named a product id the catalog does not hold."""

    def __init__(self, product_id: str, field: str = "product_id") -> None:
        super().__init__(
            field, product_id, "not in the catalog; add it to the Catalog before recording events"
        )


class MissingExtraError(LeafLoafError, ImportError):
    """An optional backend was requested but its extra is not installed."""

    def __init__(self, extra: str, package: str) -> None:
        self.extra = extra
        self.package = package
        super().__init__(
            f"this feature needs the '{package}' package: pip install 'leafloaf[{extra}]'"
        )


class ConfigError(ValidationError):
    """A configuration value (store name, option, setting) is not one LeafLoaf knows.

    >>> str(ConfigError("store", "redis2", "unknown store; choose one of ['memory', 'sqlite']"))
    "store='redis2': unknown store; choose one of ['memory', 'sqlite']"
    """


class StoreError(LeafLoafError):
    """A store could not be opened, or what it holds is damaged; ``field``/``value`` say where.

    Raised when a store is opened (a truncated or foreign file is never silently replaced by
    an empty database), never for a passing outage: that is :class:`StoreUnavailableError`.
    """

    def __init__(self, field: str, value: Any, message: str) -> None:
        self.field = field
        self.value = value
        self.message = message
        super().__init__(f"{field}={value!r}: {message}")


class StoreUnavailableError(LeafLoafError):
    """The store cannot take writes right now (down, read-only, locked, full).

    ``record`` raises it when an event could be kept neither in the store nor in the
    durable outbox; nothing from that call was accepted. ``report`` (on ``record_many``)
    says what earlier batches of the same call did get accepted.
    """

    def __init__(self, message: str, report: Any = None) -> None:
        self.report = report
        super().__init__(message)
