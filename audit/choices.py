"""What an audit event records: the kind of action taken."""

from django.db import models


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    CHANGE = "change", "Change"
    DELETE = "delete", "Delete"
    DOWNLOAD = "download", "Download"
    PRINT = "print", "Print"
    EXPORT = "export", "Export"
    LOGIN = "login", "Sign-in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Sign-out"
    PERMISSION_DENIED = "permission_denied", "Access refused"
    LOCKOUT = "lockout", "Sign-in locked"
    TWO_FACTOR_ENROLLED = "2fa_enrolled", "Two-factor set up"
    TWO_FACTOR_VERIFIED = "2fa_verified", "Two-factor code accepted"
    TWO_FACTOR_FAILED = "2fa_failed", "Two-factor code refused"
    TWO_FACTOR_RECOVERY_USED = "2fa_recovery_used", "Recovery code used"
    TWO_FACTOR_RECOVERY_RENEWED = "2fa_recovery_renewed", "Recovery codes renewed"
    TWO_FACTOR_REMOVED = "2fa_removed", "Two-factor turned off"
    DUAL_ROLE_ACT = "dual_role", "Dual-role act (allowed by clinic setting)"
