"""Walk the project's URL patterns, so access tests cover every URL, including ones added later."""

import re

from django.urls import URLPattern, URLResolver, get_resolver


def iter_patterns(resolver=None, prefix=""):
    """Yield (route, name, pattern) for every view in the project."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            for sub_route, name, pattern in iter_patterns(entry, route):
                yield sub_route, (namespace + name) if name else None, pattern
        elif isinstance(entry, URLPattern):
            yield route, entry.name, entry


def couple_scoped_routes():
    """Names of the views whose URL starts from a couple (they take couple_uuid)."""
    return sorted({name for route, name, _ in iter_patterns() if name and "<uuid:couple_uuid>" in route})


def route_of(name):
    return next(route for route, n, _ in iter_patterns() if n == name)


def fill_route(name, /, **values):
    """The URL of a named route with its <converter:parameter> parts filled from values."""

    def value(match):
        parameter = match.group(2)
        if parameter not in values:
            raise KeyError(f"{name} needs {parameter}")
        return str(values[parameter])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route_of(name))
