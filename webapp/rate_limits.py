"""Rate limits on what contacts post (incidents, reactions, callback requests)."""

from flask_limiter.util import get_remote_address
from flask_login import current_user

SUBMISSIONS = "10 per minute"
CALLBACK_REQUESTS = "5 per minute"


def per_contact() -> str:
    """Count per person: colleagues behind one office address do not share a limit."""
    if current_user.is_authenticated:
        return f"contact:{current_user.get_id()}"
    return get_remote_address()
