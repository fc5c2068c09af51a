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


def test_every_error_survives_pickling_with_its_message_and_attributes() -> None:
    """An error raised in a worker process reaches its parent whole (pickled as it is)."""
    import pickle
    import uuid

    from aes_membership import StateRegistered, VerifyReport

    event = StateRegistered(state="MLI", name="Mali")
    samples = [
        errors.MembershipError("m"), errors.FieldError("state", "", "an id"),
        errors.DateError("2024-13", "an ISO date", field="on"),
        errors.UnknownIdError("state", "MIL", ["MLI"]),
        errors.UnknownIdError("state", "AES", ["AES"], known_as=["bloc"], retracted=True),
        errors.UnknownIdError("bloc", "AES", as_known_at=3, recorded_later=True),
        errors.InvariantError("already a member", event=event, conflicting=event),
        errors.AmbiguousDateError("order unknown", event=event),
        errors.DuplicateEventError(uuid.UUID(int=1)), errors.DecodeError(["bad @ $.on"], line=3),
        errors.StoreError("gone"), errors.StoreError("no store at 'x'", missing=True),
        errors.SchemaVersionError("9", 1),
        errors.ConcurrencyError(1, 2, attempts=3), errors.TamperError(4, "edited"),
        errors.TamperWarning(VerifyReport(False, 3, 4, "edited")),
        errors.CheckpointWarning(5, "damaged"),
    ]
    assert {type(s).__name__ for s in samples} == set(errors.__all__)
    for error in samples:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error) and copy.args == error.args
        assert copy.__dict__ == error.__dict__
