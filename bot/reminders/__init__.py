"""Reminders before deadlines: :mod:`.plan` (which are due on a day), :mod:`.texts` (what each
says), :mod:`.config`, :mod:`.pacing` (per-channel rate limits), :mod:`.sweep` (claim, send and
record, exactly once per member) and :mod:`.service` (the scheduler inside ``djbot run``).
"""
