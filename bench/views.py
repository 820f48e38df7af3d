"""A view that does nothing but render a static template: the framework's ceiling on this machine."""

from django.shortcuts import render


def bare(request):
    return render(request, "bench/bare.html")
