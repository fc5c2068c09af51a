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
