"""What a page's form does after one workflow step (an incident action, a review's handling):
say on the next page whether it was done or why not, and go back where the form was."""
from __future__ import annotations

from typing import Callable

from flask import flash, redirect

from web.i18n import gettext


def step_and_return(step: Callable[[], object], refused: type[Exception], failed: str,
                    done: str, back_to: str):
    """Run ``step``; flash ``done``, or ``failed`` with the reason when it raises ``refused``
    (the step does not apply as things stand); redirect to ``back_to`` either way."""
    try:
        step()
    except refused as exc:
        flash(gettext(failed, reason=str(exc)), "error")
    else:
        flash(gettext(done), "ok")
    return redirect(back_to)
