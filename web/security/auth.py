"""Signing in and out, the account page (password change, personal API tokens), and the
gate every request passes.

The gate (``authenticate_request``, run before every view): an ``Authorization: Bearer
kb_...`` header authenticates with a personal API token (``/api`` only); otherwise the signed
session cookie names the user and a server-side session (``WebSession``), and it stops
working — every copy of it — on sign-out, when the user is disabled or changes the password.
The permission the view declares (``@access.permission``, found by
``web.security.access.required``) then decides: an anonymous reader is sent to ``/login``
(pages) or answered 401 (API); a role without the permission gets 403; a view that declares
none gets 404. Then the CSRF check (``web.security.csrf``) runs.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from models.instance_key import instance_key
from models.state import User
from web.errors import api_error, wants_json
from web.i18n import gettext
from web.reads import current_runtime
from web.security import access, accounts, csrf
from web.security.throttle import LoginThrottle

bp = Blueprint("auth", __name__)


def _state():
    return current_runtime().state


def _safe_next(target: str | None) -> str:
    """Only a path on this site (``/...``, never ``//host``) is followed after login."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("feed.index")


@bp.route("/login", methods=["GET", "POST"])
@access.permission(access.PUBLIC)
def login():
    error, status = None, 200
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        throttle: LoginThrottle = current_app.extensions["koubei_throttle"]
        keys = (("user", username), ("ip", request.remote_addr))
        wait = throttle.retry_after(*keys)
        if wait:
            error, status = gettext("login.throttled", minutes=(wait + 59) // 60), 429
        else:
            account = accounts.authenticate(_state(), username, password)
            if account is None:
                throttle.failed(*keys)
                error, status = gettext("login.failed"), 401
            else:
                throttle.succeeded(("user", username))
                return _sign_in(account)
    return render_template("auth/login.html", error=error,
                           next=request.values.get("next", "")), status


def _sign_in(account: accounts.Account):
    with _state().session() as s:  # the stamp comes from the stored password hash
        stamp = accounts.session_stamp(s.get(User, account.id))
    session_id = accounts.start_session(_state(), account.id,
                                        current_app.permanent_session_lifetime)
    session.clear()
    session.permanent = True
    session["uid"], session["stamp"], session["sid"] = account.id, stamp, session_id
    csrf.rotate()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
@access.permission("account")
def logout():
    accounts.end_session(_state(), session.get("sid"))  # every copy of this cookie ends too
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/account")
@access.permission("account")
def account():
    return render_template("auth/account.html", tokens=accounts.list_tokens(_state(), g.user.id),
                           new_token=None)


@bp.post("/account/password")
@access.permission("account")
def password():
    form = request.form
    if not accounts.authenticate(_state(), g.user.username, form.get("current", "")):
        flash(gettext("account.wrong_password"), "error")
    elif form.get("new", "") != form.get("confirm", ""):
        flash(gettext("account.mismatch"), "error")
    elif len(form.get("new", "")) < accounts.MIN_PASSWORD_LENGTH:
        flash(gettext("account.too_short", length=accounts.MIN_PASSWORD_LENGTH), "error")
    else:
        accounts.set_password(_state(), g.user.username, form["new"], g.user.username)
        return _sign_in(g.user)  # keeps this session; every other one ends with the old stamp
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens")
@access.permission("account")
def create_token():
    name = request.form.get("name", "").strip()[:64]
    token = accounts.issue_token(_state(), g.user.username, name)
    return render_template("auth/account.html", tokens=accounts.list_tokens(_state(), g.user.id),
                           new_token=token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@access.permission("account")
def revoke_token(token_id: int):
    if not accounts.revoke_token(_state(), g.user.id, token_id):
        abort(404)
    return redirect(url_for("auth.account"))


def authenticate_request():
    g.user, g.via_token = None, False
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.user = accounts.token_account(_state(), header[7:].strip())
        if g.user is None or not wants_json():
            return api_error(401, "unauthorized", "invalid, revoked or misplaced API token")
        g.via_token = True
    elif "uid" in session:
        # A cookie without a recorded session id (forged, or from before sessions were
        # recorded) is not a session: "" never matches a stored hash.
        g.user = accounts.load_account(_state(), session["uid"], session.get("stamp"),
                                       session.get("sid") or "")
        if g.user is None:
            session.clear()
    if request.routing_exception is not None:
        return None  # Flask answers the 404/405 itself, and nothing runs
    needed = access.required(request.endpoint)
    if needed is None:
        abort(404)
    if needed != access.PUBLIC:
        if g.user is None:
            if wants_json():
                return api_error(401, "unauthorized", "sign in or send an API token "
                                 "(Authorization: Bearer kb_...)")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not access.allowed(g.user.role, needed):
            abort(403)
    csrf.check()
    return None


def init_app(app: Flask) -> None:
    runtime = app.extensions["koubei"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_key(runtime.home)
    app.extensions.setdefault("koubei_throttle", LoginThrottle(lambda: runtime.state))
    app.before_request(authenticate_request)
    app.register_blueprint(bp)

    @app.context_processor
    def _user() -> dict:
        user = g.get("user")
        return {"current_user": user,
                "may_export": user is not None and access.allowed(user.role, "export"),
                "may_configure": user is not None and access.allowed(user.role, "configure"),
                "is_admin": user is not None and access.allowed(user.role, "admin")}
