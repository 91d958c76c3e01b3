"""Time in one place: UTC for storage, Europe/Amsterdam for the dates rules speak of."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def now() -> datetime:
    """The current time as naive UTC, the form stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in Europe/Amsterdam."""
    return datetime.now(AMSTERDAM).date()


def aware(value: datetime) -> datetime:
    """A stored naive-UTC datetime as an aware one."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def local(value: datetime) -> datetime:
    """A stored datetime in Europe/Amsterdam, for display."""
    return aware(value).astimezone(AMSTERDAM)
