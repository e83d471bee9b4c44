"""Evidence (佐证材料): photos and files that come with messages, checked, cleaned and stored.

- :mod:`.checks`: what a file is, by its content (Pillow for images; a small allow-list of
  document types by their magic bytes), the size limits, and EXIF metadata (GPS position,
  camera, time) removed from images by default.
- :mod:`.intake`: an attachment in, a stored file out: fetched from the channel, checked,
  de-duplicated by SHA-256 and put into the media store (:mod:`storage.media`); the rows that
  link files to records are in :mod:`storage.queries.evidence`.
"""

from bot.evidence.checks import Checked, Limits, Refused, inspect
from bot.evidence.intake import EvidenceIntake, IntakeResult, Refusal

__all__ = [
    "Checked",
    "EvidenceIntake",
    "IntakeResult",
    "Limits",
    "Refusal",
    "Refused",
    "inspect",
]
