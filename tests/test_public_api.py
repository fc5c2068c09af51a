"""The public API: what the package exports, and the exception tree."""

from __future__ import annotations

import aes_membership
from aes_membership import errors


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted and every name in it exists."""
    assert aes_membership.__all__ == sorted(aes_membership.__all__)
    for name in aes_membership.__all__:
        assert hasattr(aes_membership, name), name


def test_required_names_are_exported() -> None:
    """The names users rely on are importable from the package."""
    for name in ("Registry", "Snapshot", "Truth", "PartialDate", "MembershipError", "Period",
                 "Tenure", "InvariantError", "UnknownIdError"):
        assert name in aes_membership.__all__


def test_every_error_derives_from_the_base_and_a_builtin() -> None:
    """Every exception derives from MembershipError and from the nearest builtin."""
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.MembershipError)
        if cls is not errors.MembershipError:
            assert issubclass(cls, (ValueError, LookupError, RuntimeError, Warning)), name


def test_every_error_is_exported_from_the_package() -> None:
    """Every exception and warning of the tree can be imported from the package itself."""
    for name in errors.__all__:
        assert getattr(aes_membership, name) is getattr(errors, name), name


def test_dates_are_field_errors() -> None:
    """A date that cannot be read is a FieldError, which names the field, value and form."""
    error = errors.DateError("2024-13-01", "an ISO date", field="on")
    assert isinstance(error, errors.FieldError)
    assert (error.field, error.value, error.expected) == ("on", "2024-13-01", "an ISO date")
    assert str(error) == "on: invalid date '2024-13-01': expected an ISO date"
