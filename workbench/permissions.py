"""Roles, permissions and the one table that maps one to the other.

Nothing else in the code compares role names: views, services and templates ask can()
or call require(). Object-level rules (a reviewer edits only their own claims and
verdicts) live here too, so the HTML views, the API and the CLI cannot drift apart.
"""
import enum

from .errors import Forbidden, Unauthorized


class Role(str, enum.Enum):
    REVIEWER = "reviewer"
    LEAD = "lead"
    ADMIN = "admin"


class Permission(str, enum.Enum):
    READ = "read"                          # read posts, comments, claims
    ANNOTATE = "annotate"                  # create claims, add sources
    VERDICT = "verdict"                    # give one's own verdict
    DISCUSS = "discuss"                    # post in a claim's discussion
    FLAG = "flag"                          # flag a claim as disputed
    EDIT_ANY_CLAIM = "edit_any_claim"      # edit or retract claims of others
    SEE_ALL_VERDICTS = "see_all_verdicts"  # bypass blind review
    ASSIGN = "assign"                      # create and reassign tasks
    ADJUDICATE = "adjudicate"              # record and reopen final verdicts
    EXPORT = "export"
    MANAGE_USERS = "manage_users"
    MANAGE_CATEGORIES = "manage_categories"
    MANAGE_SETTINGS = "manage_settings"
    IMPORT = "import"


_REVIEWER = {Permission.READ, Permission.ANNOTATE, Permission.VERDICT, Permission.DISCUSS,
             Permission.FLAG, Permission.EXPORT}
_LEAD = _REVIEWER | {Permission.EDIT_ANY_CLAIM, Permission.SEE_ALL_VERDICTS, Permission.ASSIGN,
                     Permission.ADJUDICATE}
_ADMIN = _LEAD | {Permission.MANAGE_USERS, Permission.MANAGE_CATEGORIES,
                  Permission.MANAGE_SETTINGS, Permission.IMPORT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.REVIEWER: frozenset(_REVIEWER),
    Role.LEAD: frozenset(_LEAD),
    Role.ADMIN: frozenset(_ADMIN),
}


def can(user, permission: Permission, obj=None) -> bool:
    """True when user may do permission (on obj, where an object-level rule applies)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    granted = permission in ROLE_PERMISSIONS[user.role]
    if obj is None:
        return granted
    owner_id = getattr(obj, "created_by_id", None) or getattr(obj, "reviewer_id", None) \
        or getattr(obj, "author_id", None)
    if permission in (Permission.ANNOTATE, Permission.VERDICT, Permission.DISCUSS):
        # Editing a thing you made: your own claim, verdict or discussion post.
        return granted and owner_id == user.id
    if permission is Permission.EDIT_ANY_CLAIM:
        return granted or owner_id == user.id
    return granted


def require(user, permission: Permission, obj=None) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise Unauthorized("Log in first.")
    if not can(user, permission, obj):
        raise Forbidden(f"Your role may not do this ({permission.value}).")
