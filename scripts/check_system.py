"""Check the system libraries the product needs and name the OS package for each one missing."""

import sys

problems = []

try:
    import weasyprint  # noqa: F401  (loads Pango through cffi on import)
except OSError as exc:
    problems.append(
        "WeasyPrint cannot load Pango, which it needs to build PDF summaries "
        f"({exc}).\n  On Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0\n"
        "  On Fedora: sudo dnf install pango\n  On macOS: brew install pango"
    )

if problems:
    print("Missing system libraries:\n- " + "\n- ".join(problems), file=sys.stderr)
    sys.exit(1)
