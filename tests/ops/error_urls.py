"""A page that fails, for the error-report tests: a local variable and the exception hold what was posted."""

from django.urls import path

from kapcouples.urls import urlpatterns as product_urls


def fails(request, number):
    partner_name = request.POST["name"]
    raise ValueError(
        f"duplicate key value: (email)=({request.POST['email']}) for {partner_name}: {request.POST['note']}"
    )


urlpatterns = [path("fails/<int:number>/", fails, name="fails"), *product_urls]
