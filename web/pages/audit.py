"""``/admin/audit``: the audit log for admins — who changed which rule, entity, channel or
user, and when (newest first; ``kind`` filters)."""
from __future__ import annotations

from flask import Blueprint, render_template

from models import audit
from web import params, reads
from web.security import access

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit")
@access.permission("admin")
def index():
    kind = params.choice("kind", audit.KINDS, None)
    return render_template("admin/audit.html", kinds=audit.KINDS, kind=kind,
                           entries=audit.entries(reads.current_runtime().state, kind))
