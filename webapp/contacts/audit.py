"""The audit log: one entry per effective change, written in the change's transaction."""

from webapp import clock
from webapp.models import AuditEntry


def record(contact, kind: str, before, after, *, actor=None, field: str = "") -> None:
    """Log a change of ``contact``; ``actor`` None means the system. No-op changes log nothing."""
    before, after = _text(before), _text(after)
    if before == after:
        return
    AuditEntry.insert(
        organisation=contact.organisation_id,
        actor=actor,
        contact=contact,
        kind=kind,
        field=field or kind,
        before=before,
        after=after,
        at=clock.now(),
    ).execute()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)
