"""The supervisors' follow-up desk: 回访 tasks, failed messages, unmatched replies, voicemails.

One page lists the four; its forms (CSRF-checked like every page form) assign a task, close
it with an outcome and a note, mark a reply reviewed, or mark a voicemail without a number
handled, then come back to the page. The JSON API (hotline.web.api.followups) does the same
for other clients.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from callbacks.sms.review import failed_messages, unmatched_replies
from callbacks.work_items.items import voicemails_without_number
from hotline import clock
from hotline.errors import HotlineError
from hotline.supervision import followup_desk as desk
from hotline.web.api.followups import (
    desk_voicemail_outs,
    failed_message_outs,
    reply_out,
    return_visit_outs,
)
from hotline.web.extensions import db
from hotline.web.pages.access import SUPERVISORS, logged_in_user, login_required, page_user

bp = Blueprint("followup_desk", __name__, url_prefix="/followups")

SHOWN = 200  # rows per section
DONE_MESSAGES = {
    "assigned": "已将回访任务分配给您。",
    "closed": "回访任务已关闭。",
    "reviewed": "已标记为已处理。",
    "voicemail": "留言已标记为已处理。",
}
ERROR_MESSAGES = {
    400: "请选择回访结果（已回访或无法联系），备注不超过1000字。",
    404: "没有找到这条记录，可能已被删除。",
    409: "该回访任务已被关闭，请刷新页面。",
}
VOICEMAIL_ERRORS = {
    400: "备注不超过1000字。",
    404: "没有找到这条留言，可能已被删除。",
    409: "这条留言已处理或已转为回拨任务，请刷新页面。",
}


@bp.get("")
@login_required(*SUPERVISORS)
def index() -> str:
    """The three lists, each with its count."""
    session = db.session
    tasks, task_total = desk.return_visits(session, desk.OPEN, SHOWN)
    failed = list(failed_messages(session, limit=SHOWN))
    replies = unmatched_replies(session, limit=SHOWN)
    voicemails, voicemail_total = voicemails_without_number(session, "pending", SHOWN, 0)
    return render_template(
        "followup_desk.html",
        tasks=[task.as_json() for task in return_visit_outs(session, tasks, clock.now())],
        task_total=task_total,
        failed=[message.as_json() for message in failed_message_outs(session, failed)],
        replies=[reply_out(message).as_json() for message in replies],
        voicemails=[row.as_json() for row in desk_voicemail_outs(session, voicemails)],
        voicemail_total=voicemail_total,
        done=DONE_MESSAGES.get(request.args.get("done", "")),
        me=page_user(),
    )


def _act(
    action: Callable[[], object], done: str, anchor: str, errors: dict[int, str] = ERROR_MESSAGES
) -> ResponseReturnValue:
    """Do a desk action and come back to the page; a refused one shows why (nothing kept)."""
    try:
        action()
    except HotlineError as exc:
        db.session.rollback()
        message = errors.get(exc.status, "操作没有完成，请刷新页面后重试。")
        return render_template("error.html", status=exc.status, message=message), exc.status
    db.session.commit()
    return redirect(url_for("followup_desk.index", done=done, _anchor=anchor))


@bp.post("/return-visits/<int:task_id>/assign")
@login_required(*SUPERVISORS)
def assign(task_id: int) -> ResponseReturnValue:
    """Take a task ("分配给我")."""
    user = logged_in_user()
    return _act(
        lambda: desk.assign_to(db.session, task_id, user, request.remote_addr),
        "assigned",
        "tasks",
    )


@bp.post("/return-visits/<int:task_id>/close")
@login_required(*SUPERVISORS)
def close(task_id: int) -> ResponseReturnValue:
    """Close a task with its outcome and a note."""
    form = request.form
    user = logged_in_user()
    return _act(
        lambda: desk.close_task(
            db.session,
            task_id,
            user,
            form.get("status", ""),
            form.get("note", ""),
            clock.now(),
            request.remote_addr,
        ),  # fmt: skip
        "closed",
        "tasks",
    )


@bp.post("/messages/<int:message_id>/reviewed")
@login_required(*SUPERVISORS)
def reviewed(message_id: int) -> ResponseReturnValue:
    """Mark an unmatched reply as handled ("标记已处理")."""
    user = logged_in_user()
    return _act(
        lambda: desk.mark_reviewed(db.session, message_id, user, clock.now(), request.remote_addr),
        "reviewed",
        "replies",
    )


@bp.post("/voicemails/<int:voicemail_id>/close")
@login_required(*SUPERVISORS)
def close_voicemail(voicemail_id: int) -> ResponseReturnValue:
    """Mark a voicemail without a number handled ("已处理"), with a note."""
    user = logged_in_user()
    return _act(
        lambda: desk.close_voicemail(
            db.session,
            voicemail_id,
            user,
            request.form.get("note", ""),
            clock.now(),
            request.remote_addr,
        ),  # fmt: skip
        "voicemail",
        "voicemails",
        VOICEMAIL_ERRORS,
    )
