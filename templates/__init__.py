"""The shipped report templates (Jinja2 ``*.j2`` and the Word ``report.docx``), installed as the
package data ``bot.templates``. An office overrides any of them, file by file, with its own copy in
``DJBOT_TEMPLATES_DIR`` (see ``bot/reports/rendering.py``)."""
