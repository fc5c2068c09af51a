"""Three-valued answers for questions that partial dates leave open."""

from __future__ import annotations

import enum

__all__ = ["Truth"]


class Truth(enum.Enum):
    """YES, NO or UNKNOWN.

    Like ``pandas.NA`` it refuses to be used as a bool: ``if snap.truth_member(...)`` raises
    ``TypeError``, so an UNKNOWN can never be silently read as NO. Compare explicitly
    (``is Truth.YES``) or use :attr:`certain` / :attr:`possible`.
    """

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth value of Truth.{self.name} is ambiguous: compare it with Truth.YES, "
            "Truth.NO or Truth.UNKNOWN, or use .certain / .possible"
        )

    @property
    def certain(self) -> bool:
        """True only for YES."""
        return self is Truth.YES

    @property
    def possible(self) -> bool:
        """True for YES and UNKNOWN."""
        return self is not Truth.NO

    @classmethod
    def of(cls, certain: bool, possible: bool) -> Truth:
        if certain:
            return cls.YES
        return cls.UNKNOWN if possible else cls.NO
