def roles(request):
    """The signed-in user's roles, for the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_therapist": user.is_therapist,
        "is_prescriber": user.is_prescriber,
        "is_clinic_admin": user.is_clinic_admin,
    }
