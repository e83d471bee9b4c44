"""Reports: drafts (党建工作总结) and ledgers (台账) from stored activity records, and records in
and out.

Modules: :mod:`.draft` (the model), :mod:`.assembly` (queries -> draft), :mod:`.rendering`
(Jinja2 templates), :mod:`.docx` (the Word file), :mod:`.ledger` (台账 .xlsx and exports),
:mod:`.importing` (``djbot import``), :mod:`.trace` (every number back to its records),
:mod:`.formatting` (Chinese numerals and dates).
"""
