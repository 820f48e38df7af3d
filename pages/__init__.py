"""Page data: one selector per main page, returning a small frozen dataclass that its template only renders.

This package sits above the apps whose reads it combines (cases, sessions, dosing, integration, jobs, audit, ops),
so that no template tag has to run a query and no app has to import one above it to build its own page.
"""
