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
else:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from weasyprint.text.ffi import harfbuzz_subset
    if harfbuzz_subset is None:
        # WeasyPrint then subsets the embedded fonts with fontTools instead: every PDF (session summaries, case
        # reports in exports) still comes out right but takes several times longer (a one-line page 54 -> 466 ms).
        problems.append(
            "WeasyPrint cannot load HarfBuzz-Subset (libharfbuzz-subset), which it uses to embed only the letters "
            "a PDF needs. Without it every PDF is built several times slower (fontTools does the subsetting).\n"
            "  On Debian/Ubuntu: sudo apt-get install libharfbuzz-subset0\n"
            "  On Fedora: sudo dnf install harfbuzz\n  On macOS: brew install harfbuzz"
        )

if problems:
    print("Missing system libraries:\n- " + "\n- ".join(problems), file=sys.stderr)
    sys.exit(1)
