from sessions.tests.conftest import _clinic_time_zone, active_couple, frozen  # noqa: F401 (the sessions personas)
