"""Double submits are idempotent: a create form carries a one-time token (kapcouples.forms.submit_token_field),
spent here in the same transaction as the service call that saves what the form creates.

The token row is inserted first, so a twin request sent at the same moment waits on the unique index until the
first one commits, then finds the token spent; a refused submission rolls the token back with everything else, so
the corrected form can be sent again with it. Without a token (a crafted POST, a script) nothing is deduplicated.
"""

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction

from accounts.models import SubmitToken, User

T = TypeVar("T")


class AlreadySubmitted(Exception):  # noqa: N818 - it is not an error: the first submission was saved
    """This form was sent before and saved then; ``url`` shows what it saved."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def _spent(user: User, token: uuid.UUID) -> SubmitToken | None:
    return SubmitToken.objects.filter(user=user, token=token).first()


def already_submitted(user: User, raw_token) -> AlreadySubmitted | None:
    """Before the form is even validated (a repeat would fail "already exists" checks): was this token spent?"""
    try:
        token = uuid.UUID(str(raw_token))
    except ValueError:
        return None
    earlier = _spent(user, token)
    return AlreadySubmitted(earlier.result_url) if earlier is not None else None


def submit_once(
    *, user: User, token: uuid.UUID | None, purpose: str, action: Callable[[], T], result_url: Callable[[T], str]
) -> T:
    """Runs ``action`` once per token: raises AlreadySubmitted (with the first result's URL) on a repeat."""
    if token is None:
        return action()
    earlier = _spent(user, token)
    if earlier is not None:
        raise AlreadySubmitted(earlier.result_url)
    try:
        with transaction.atomic():
            spent = SubmitToken.objects.create(user=user, token=token, purpose=purpose)
            result = action()
            spent.result_url = result_url(result)[:300]
            spent.save(update_fields=["result_url"])
    except IntegrityError:
        earlier = _spent(user, token)
        if earlier is not None:  # a twin request committed while this one waited on the token
            raise AlreadySubmitted(earlier.result_url) from None
        raise
    return result
