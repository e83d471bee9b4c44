"""Queries, a module per subject: :mod:`.organizations`, :mod:`.members` (identities, roles, the
roster import), :mod:`.invites`, :mod:`.records`, :mod:`.reporting` (what drafts and ledgers
read), :mod:`.conversation` (conversation state), :mod:`.receipts` (webhook de-duplication),
:mod:`.deadlines` and :mod:`.reminders` (the send log).

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock. A new query
goes into the module of its subject.
"""
