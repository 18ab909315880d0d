"""Accounts: creating users, checking passwords with throttling, sessions and API tokens.

Services flush and never commit; the view or command that calls them commits once.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import utcnow
from ..errors import Conflict, Locked, NotFound, ValidationError
from ..extensions import db
from ..permissions import Permission, Role, require
from .models import ApiToken, LoginThrottle, User, UserSession

MIN_PASSWORD = 8


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(f"The password needs at least {MIN_PASSWORD} characters.", field="password")


def create_user(username: str, password: str, role: Role | str = Role.REVIEWER, display_name: str = "",
                actor=None) -> User:
    if actor is not None:
        require(actor, Permission.MANAGE_USERS)
    username = (username or "").strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise ValidationError("A username is 1 to 64 characters without spaces.", field="username")
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(f"Unknown role {role!r}; choose admin, lead or reviewer.", field="role")
    validate_password(password)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"The username {username!r} is taken.", field="username")
    user = User(username=username, display_name=display_name.strip(), role=role,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def _throttle_rows(keys: list[str]) -> list[LoginThrottle]:
    return list(db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))))


def check_throttle(keys: list[str]) -> None:
    now = utcnow()
    for row in _throttle_rows(keys):
        if row.locked_until and row.locked_until > now:
            wait = int((row.locked_until - now).total_seconds()) + 1
            what = "this account" if row.key.startswith("user:") else "your address"
            raise Locked(f"Too many failed log-ins for {what}. Try again in {wait} seconds, "
                         "or ask an admin to unlock it.", retry_after=wait)


def _record_failure(key: str) -> None:
    cfg = current_app.config
    # An office behind one NAT address shares a counter, so an address gets more tries.
    limit = cfg["LOGIN_MAX_FAILURES"] * (1 if key.startswith("user:") else 4)
    slowdown = cfg["LOGIN_SLOWDOWN_AFTER"] * (1 if key.startswith("user:") else 4)
    now = utcnow()
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    if row is None:
        try:
            with db.session.begin_nested():
                row = LoginThrottle(key=key, failures=0)
                db.session.add(row)
        except IntegrityError:
            row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= limit:
        row.locked_until = now + timedelta(seconds=cfg["LOGIN_LOCK_SECONDS"])
    elif row.failures >= slowdown:
        row.locked_until = now + timedelta(seconds=2 ** (row.failures - slowdown + 1))
    db.session.flush()


def authenticate(username: str, password: str, address: str) -> User | None:
    """The user if the password is right; records failures per account and per address."""
    keys = [f"user:{(username or '').strip().lower()}", f"ip:{address}"]
    check_throttle(keys)
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    ok = user is not None and check_password_hash(user.password_hash, password or "")
    if not ok or not user.active:
        for key in keys:
            _record_failure(key)
        return None
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == keys[0])
                       .values(failures=0, locked_until=None))
    return user


def unlock(username: str, actor) -> None:
    require(actor, Permission.MANAGE_USERS)
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == f"user:{username.lower()}")
                       .values(failures=0, locked_until=None))


def start_session(user: User, user_agent: str = "") -> str:
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, sid_hash=_digest(sid), user_agent=user_agent[:300]))
    db.session.flush()
    return sid


# Built once: this runs on every request, and building the statement (and its cache key) each
# time cost as much as running it.
_SESSION_USER = (select(User).join(UserSession, UserSession.user_id == User.id)
                 .where(User.id == bindparam("user_id"), UserSession.sid_hash == bindparam("sid_hash"),
                        UserSession.ended_at.is_(None), User.active.is_(True)))


def session_user(user_id: int, sid: str | None) -> User | None:
    if not sid:
        return None
    return db.session.scalar(_SESSION_USER, {"user_id": user_id, "sid_hash": _digest(sid)})


def end_sessions(user: User, keep_sid: str | None = None) -> None:
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep_sid:
        stmt = stmt.where(UserSession.sid_hash != _digest(keep_sid))
    db.session.execute(stmt.values(ended_at=utcnow()))


def end_session(sid: str | None) -> None:
    if sid:
        db.session.execute(update(UserSession).where(UserSession.sid_hash == _digest(sid))
                           .values(ended_at=utcnow()))


def set_password(user: User, password: str, actor, current_sid: str | None = None) -> None:
    if actor.id != user.id:
        require(actor, Permission.MANAGE_USERS)
    validate_password(password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user, keep_sid=current_sid if actor.id == user.id else None)
    db.session.flush()


def update_user(user: User, actor, *, role=None, active=None, display_name=None) -> None:
    require(actor, Permission.MANAGE_USERS)
    if user.id == actor.id and (active is False or (role is not None and Role(role) != Role.ADMIN)):
        raise Conflict("You cannot demote or deactivate yourself; ask another admin.")
    if role is not None:
        try:
            user.role = Role(role)
        except ValueError:
            raise ValidationError(f"Unknown role {role!r}.", field="role")
    if display_name is not None:
        user.display_name = display_name.strip()
    if active is not None and active != user.active:
        user.active = active
        if not active:
            end_sessions(user)
    db.session.flush()


def create_token(user: User, name: str) -> str:
    """A new API token; the secret is shown once and only its hash is stored."""
    secret = "wb_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=(name or "").strip()[:128] or "token",
                            token_hash=_digest(secret), prefix=secret[:10]))
    db.session.flush()
    return secret


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    token.revoked_at = token.revoked_at or utcnow()
    db.session.flush()


_TOKEN_USER = (select(ApiToken, User).join(User, ApiToken.user_id == User.id)
               .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                      User.active.is_(True)))


def token_user(secret: str) -> User | None:
    row = db.session.execute(_TOKEN_USER, {"token_hash": _digest(secret)}).first()
    return None if row is None else row.User
