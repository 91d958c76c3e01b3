"""Helpers for the quota tests: organisations with a given number of submitters in use."""

from datetime import datetime, timedelta
from itertools import count

import pytest

from webapp import clock
from webapp.models import Contact, Organisation

_numbers = count(50_000)


class Builder:
    """Creates organisations and contacts with few statements (``insert_many``)."""

    def organisation(self, employees: int, segment: str, in_use: int = 0, *, noise: bool = True, **extra):
        """An organisation with ``in_use`` counted submitters, plus contacts that must not count."""
        number = next(_numbers)
        org = Organisation.create(
            customer_number=number, name=f"Klant {number}", employee_count=employees, segment=segment, **extra
        )
        today = clock.today()
        rows = [dict(submitter=True) for _ in range(in_use)]
        if noise:
            rows += [
                dict(submitter=True, expert_until=today),  # expert through today: not counted
                dict(submitter=True, active=False),  # inactive: not counted
                dict(submitter=False, viewer=True),  # no submitter role
            ]
        self.contacts(org, rows)
        return org

    def contacts(self, org, rows: list[dict]):
        start = Contact.select().where(Contact.organisation == org).count()
        Contact.insert_many(
            [
                {
                    "organisation": org.id,
                    "name": f"Persoon {start + i}",
                    "email": f"p{start + i}@{org.customer_number}.example",
                    # insert_many takes its columns from the first row: give every row all of them.
                    **{"created_at": datetime(2024, 1, 1), "active": True, "submitter": False,
                       "viewer": False, "expert_until": None},
                    **row,
                }
                for i, row in enumerate(rows)
            ]
        ).execute()

    def expired_expert(self, org):
        """A submitter whose certification ended yesterday: counts again."""
        self.contacts(org, [dict(submitter=True, expert_until=clock.today() - timedelta(days=1))])


@pytest.fixture
def build(app):
    with app.app_context():
        yield Builder()
