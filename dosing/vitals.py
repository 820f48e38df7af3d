"""Blood pressure against the clinic's flag and hold thresholds (CLINICAL.md, "Vital signs")."""

from clinic.services import clinic_settings_get


def bp_thresholds() -> tuple[tuple[int, int], tuple[int, int]]:
    """((flag systolic, flag diastolic), (hold systolic, hold diastolic)) from the clinic settings."""
    s = clinic_settings_get()
    return (s.bp_flag_systolic, s.bp_flag_diastolic), (s.bp_hold_systolic, s.bp_hold_diastolic)


def bp_level(systolic: int | None, diastolic: int | None) -> str:
    """'hold', 'flag' or 'ok' for a blood pressure, by the clinic thresholds."""
    if systolic is None or diastolic is None:
        return "ok"
    (flag_s, flag_d), (hold_s, hold_d) = bp_thresholds()
    if systolic >= hold_s or diastolic >= hold_d:
        return "hold"
    if systolic >= flag_s or diastolic >= flag_d:
        return "flag"
    return "ok"
