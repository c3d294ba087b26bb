"""Mail text, in Japanese and English. Written for this service; placeholders come from the event."""

from __future__ import annotations

from typing import Any

from service.kit.i18n import Lang

# event type -> language -> (subject, body)
TEMPLATES: dict[str, dict[Lang, tuple[str, str]]] = {
    "deadline.due": {
        "ja": (
            "【{tenant}】{label}の期限のお知らせ（{due_on}）",
            "{recipient} 様\n\n{tenant}の「{label}」の期限は {due_on} です（{when}）。\n"
            "期限までに必要な手続きを済ませてください。\n\n対象：{subject}\n",
        ),
        "en": (
            "[{tenant}] Deadline for {label}: {due_on}",
            'Dear {recipient},\n\nThe deadline for "{label}" at {tenant} is {due_on} ({when}).\n'
            "Please complete what it asks for before then.\n\nConcerning: {subject}\n",
        ),
    },
    "deadline.overdue": {
        "ja": (
            "【{tenant}】{label}の期限を過ぎています（{due_on}）",
            "{recipient} 様\n\n{tenant}の「{label}」は期限（{due_on}）を過ぎましたが、まだ手続きが済んでいません。\n"
            "至急ご確認ください。\n\n対象：{subject}\n",
        ),
        "en": (
            "[{tenant}] Overdue: {label} (due {due_on})",
            'Dear {recipient},\n\n"{label}" at {tenant} was due on {due_on} and is still outstanding.\n'
            "Please look into it promptly.\n\nConcerning: {subject}\n",
        ),
    },
    "account.status_changed": {
        "ja": (
            "【{tenant}】公式アカウントの状態が変わりました",
            "{recipient} 様\n\n{subject} の状態が「{status}」になりました。\n",
        ),
        "en": (
            "[{tenant}] An official account's status changed",
            'Dear {recipient},\n\n{subject} is now "{status}".\n',
        ),
    },
    "closure.announced": {
        "ja": (
            "【{tenant}】公式アカウントの廃止予定",
            "{recipient} 様\n\n{subject} は {end_on} に廃止される予定です。\n",
        ),
        "en": ("[{tenant}] Official account to close", "Dear {recipient},\n\n{subject} is due to close on {end_on}.\n"),
    },
    "closure.withdrawn": {
        "ja": (
            "【{tenant}】公式アカウントの廃止の取り下げ",
            "{recipient} 様\n\n{subject} の廃止は取り下げられました。\n",
        ),
        "en": ("[{tenant}] Closure withdrawn", "Dear {recipient},\n\nThe closure of {subject} has been withdrawn.\n"),
    },
    "closure.completed": {
        "ja": ("【{tenant}】公式アカウントの廃止完了", "{recipient} 様\n\n{subject} の廃止が完了しました。\n"),
        "en": ("[{tenant}] Closure completed", "Dear {recipient},\n\n{subject} has been closed.\n"),
    },
    "closure.announcement_due": {
        "ja": (
            "【{tenant}】廃止の周知をお願いします（{days_before}日前）",
            "{recipient} 様\n\n{subject} は {end_on} に運用を終了します。終了の{days_before}日前の周知を行い、"
            "行ったことをシステムに記録してください。\n",
        ),
        "en": (
            "[{tenant}] Please announce the closure ({days_before} days before)",
            "Dear {recipient},\n\n{subject} closes on {end_on}. Please make the announcement due {days_before} days "
            "before the end, and record it in the system.\n",
        ),
    },
    "closure.steps_outstanding": {
        "ja": (
            "【{tenant}】廃止の手続きが終わっていません",
            "{recipient} 様\n\n{subject} の終了日（{end_on}）を過ぎましたが、次の手続きの確認が済んでいないため"
            "廃止を完了できません：{outstanding}\n確認が済み次第、廃止が完了します。\n",
        ),
        "en": (
            "[{tenant}] Closure steps still outstanding",
            "Dear {recipient},\n\nThe last day of {subject} ({end_on}) has passed, but the closure cannot complete "
            "until these steps are confirmed: {outstanding}\nIt completes as soon as they are.\n",
        ),
    },
    "renewal.reminder": {
        "ja": (
            "【{tenant}】継続希望の申し出をお願いします（期限 {due_on}）",
            "{recipient} 様\n\n{subject} について、次年度も運用を続けるかどうかの申し出がまだありません。"
            "期限（{due_on}）までにシステムで申し出てください。\n",
        ),
        "en": (
            "[{tenant}] Please declare whether the account continues (by {due_on})",
            "Dear {recipient},\n\n{subject} has not yet declared whether it continues next fiscal year. "
            "Please declare it in the system by {due_on}.\n",
        ),
    },
    "renewal.overdue": {
        "ja": (
            "【{tenant}】継続希望の申し出が期限を過ぎています",
            "{recipient} 様\n\n{subject} は、期限（{due_on}）までに継続希望の申し出がありませんでした。"
            "担当の所属に確認してください。\n",
        ),
        "en": (
            "[{tenant}] Continuation declaration overdue",
            "Dear {recipient},\n\n{subject} did not declare by {due_on} whether it continues. "
            "Please follow it up with the unit.\n",
        ),
    },
    "renewal.declared": {
        "ja": (
            "【{tenant}】継続希望の申し出がありました",
            "{recipient} 様\n\n{subject} から継続希望の申し出がありました（{decision}）。\n",
        ),
        "en": (
            "[{tenant}] Continuation declared",
            "Dear {recipient},\n\n{subject} declared for the next fiscal year: {decision}.\n",
        ),
    },
    "password.rotation_due": {
        "ja": (
            "【{tenant}】SNSアカウントのパスワードを変更してください",
            "{recipient} 様\n\n{subject} のパスワードは {since} から{interval_months}か月変更されていません。"
            "規則に沿って変更し、変更したことをシステムに記録してください（パスワードそのものは記録しません）。\n",
        ),
        "en": (
            "[{tenant}] Please change the account's password",
            "Dear {recipient},\n\nThe password of {subject} has not been changed for {interval_months} months "
            "(since {since}). Please change it under the rules and record the change in the system (never the "
            "password itself).\n",
        ),
    },
    "account.staff_moved": {
        "ja": (
            "【{tenant}】管理者・担当者の変更とパスワードの変更が必要です",
            "{recipient} 様\n\n{subject} の管理者または担当者が異動しました。新しい管理者・担当者を定め、"
            "パスワードを変更してください。\n",
        ),
        "en": (
            "[{tenant}] A new manager and password are needed",
            "Dear {recipient},\n\nA manager or operator of {subject} has left. Please name who takes over and "
            "change the password.\n",
        ),
    },
    "monitoring.due": {
        "ja": (
            "【{tenant}】モニタリングをお願いします",
            "{recipient} 様\n\n{subject} の投稿とコメントの確認（{frequency}）の時期です（前回：{since}）。"
            "確認したら、その結果をシステムに記録してください。\n",
        ),
        "en": (
            "[{tenant}] Monitoring due",
            "Dear {recipient},\n\n{subject} is due for its {frequency} look at posts and comments (last: {since}). "
            "Please record what you find in the system.\n",
        ),
    },
    "review.due": {
        "ja": (
            "【{tenant}】アカウントの定期的な見直しをお願いします",
            "{recipient} 様\n\n{subject} の{label}の時期です（{interval_months}か月ごと、前回：{since}）。"
            "見直したら、その結果をシステムに記録してください。\n",
        ),
        "en": (
            "[{tenant}] Periodic review due",
            "Dear {recipient},\n\n{subject} is due for its {label} (every {interval_months} months; "
            "last: {since}). Please record the outcome in the system.\n",
        ),
    },
    "account.inactive": {
        "ja": (
            "【{tenant}】更新が止まっている公式アカウントがあります",
            "{recipient} 様\n\n{subject} は {since} 以降、{threshold_days}日を超えて投稿がありません。"
            "運用の実態を確認し、必要なら廃止を検討してください。\n",
        ),
        "en": (
            "[{tenant}] An official account has stopped posting",
            "Dear {recipient},\n\n{subject} has not posted for more than {threshold_days} days (since {since}). "
            "Please review it, and consider closing it if it is no longer run.\n",
        ),
    },
    "incident.reported": {
        "ja": (
            "【{tenant}】トラブルの報告（{incident_kind}・{severity}）",
            "{recipient} 様\n\n{subject} についてトラブルが報告されました。対応と連絡先の記録を確認してください。\n",
        ),
        "en": (
            "[{tenant}] Incident reported ({incident_kind}, {severity})",
            "Dear {recipient},\n\nAn incident was reported: {subject}. Please review the actions and who has been told.\n",
        ),
    },
    "incident.resolved": {
        "ja": ("【{tenant}】トラブルの解決", "{recipient} 様\n\n{subject} は解決として記録されました。\n"),
        "en": ("[{tenant}] Incident resolved", "Dear {recipient},\n\n{subject} was recorded as resolved.\n"),
    },
    "contract.ending": {
        "ja": (
            "【{tenant}】委託契約の終了が近づいています",
            "{recipient} 様\n\n{subject} は {end_on} に終了します。\n",
        ),
        "en": ("[{tenant}] Agreement ending soon", "Dear {recipient},\n\n{subject} ends on {end_on}.\n"),
    },
    "application.submitted": {
        "ja": (
            "【{tenant}】申請（{application_kind}）が提出されました",
            "{recipient} 様\n\n{subject} について、{application_kind}の申請が提出されました。内容を確認し、承認または却下してください。\n",
        ),
        "en": (
            "[{tenant}] Application submitted ({application_kind_en})",
            "Dear {recipient},\n\nAn application ({application_kind_en}) was submitted for {subject}. Please review and decide it.\n",
        ),
    },
    "application.approved": {
        "ja": (
            "【{tenant}】申請（{application_kind}）が承認されました",
            "{recipient} 様\n\n{subject} の{application_kind}の申請は承認されました。\n",
        ),
        "en": (
            "[{tenant}] Application approved ({application_kind_en})",
            "Dear {recipient},\n\nThe application ({application_kind_en}) for {subject} was approved.\n",
        ),
    },
    "application.rejected": {
        "ja": (
            "【{tenant}】申請（{application_kind}）が却下されました",
            "{recipient} 様\n\n{subject} の{application_kind}の申請は却下されました。\n理由：{reason}\n",
        ),
        "en": (
            "[{tenant}] Application rejected ({application_kind_en})",
            "Dear {recipient},\n\nThe application ({application_kind_en}) for {subject} was rejected.\nReason: {reason}\n",
        ),
    },
    "application.withdrawn": {
        "ja": (
            "【{tenant}】申請（{application_kind}）が取り下げられました",
            "{recipient} 様\n\n{subject} の{application_kind}の申請は取り下げられました。\n",
        ),
        "en": (
            "[{tenant}] Application withdrawn ({application_kind_en})",
            "Dear {recipient},\n\nThe application ({application_kind_en}) for {subject} was withdrawn.\n",
        ),
    },
    "contract.ended": {
        "ja": (
            "【{tenant}】委託契約が終了しました",
            "{recipient} 様\n\n{subject} は終了しました。委託業者の利用者はもう操作できません。"
            "対象アカウントのパスワードを団体側で変更し、変更したことを記録してください。\n",
        ),
        "en": (
            "[{tenant}] Agreement ended",
            "Dear {recipient},\n\n{subject} has ended; its contractor users can no longer act. Please change the "
            "password of each covered account and record the change.\n",
        ),
    },
    "contract.password_change_overdue": {
        "ja": (
            "【{tenant}】委託終了後のパスワード変更が未記録です",
            "{recipient} 様\n\n{subject} の終了後、{account_label} のパスワード変更がまだ記録されていません。"
            "変更して記録するまで、毎週お知らせします。\n",
        ),
        "en": (
            "[{tenant}] Password change after the agreement still not recorded",
            "Dear {recipient},\n\nAfter {subject} ended, no password change of {account_label} has been recorded. "
            "You will be reminded weekly until it is.\n",
        ),
    },
    # Acknowledgements. {version} is the guideline version's number, {due_on} the day to acknowledge by.
    "guideline.acknowledgement_requested": {
        "ja": (
            "【{tenant}】ガイドライン（第{version}版）の確認をお願いします",
            "{recipient} 様\n\n{tenant}のソーシャルメディア運用ガイドラインが改められ、第{version}版になりました。\n"
            "内容に目を通し、{due_on} までにシステムで「確認した」と記録してください。\n",
        ),
        "en": (
            "[{tenant}] Please acknowledge guideline version {version}",
            "Dear {recipient},\n\nThe social media guideline of {tenant} has a new version, number {version}.\n"
            "Please read it and record your acknowledgement in the system by {due_on}.\n",
        ),
    },
    "guideline.acknowledgement_overdue": {
        "ja": (
            "【{tenant}】ガイドライン（第{version}版）の確認がまだの方がいます",
            "{recipient} 様\n\nガイドライン第{version}版の確認の期限（{due_on}）を過ぎましたが、"
            "{pending} 名の担当者の確認がまだ記録されていません。\n"
            "未確認の方は、内容に目を通して速やかに記録してください。\n",
        ),
        "en": (
            "[{tenant}] Guideline version {version} still to be acknowledged",
            "Dear {recipient},\n\nThe day to acknowledge guideline version {version} ({due_on}) has passed, and "
            "{pending} of the people asked have not recorded it yet.\n"
            "If you are one of them, please read it and record your acknowledgement now.\n",
        ),
    },
    # Posts. {subject} is the account's name; {post_id} identifies the post in the API and the front end.
    "post.submitted": {
        "ja": (
            "【{tenant}】確認・承認を待っている投稿があります（{subject}）",
            "{recipient} 様\n\n{subject} の投稿（{post_id}）が提出されました。内容を確認し、"
            "問題がなければ承認してください。\n",
        ),
        "en": (
            "[{tenant}] A post awaits checking and approval ({subject})",
            "Dear {recipient},\n\nA post for {subject} ({post_id}) was submitted. Please check it and, "
            "if it is fine, approve it.\n",
        ),
    },
    "post.approved": {
        "ja": (
            "【{tenant}】投稿が承認されました（{subject}）",
            "{recipient} 様\n\n{subject} の投稿（{post_id}）が承認されました（承認：{approved_by}）。"
            "公開したら、その URL と日時を記録してください。\n",
        ),
        "en": (
            "[{tenant}] Your post was approved ({subject})",
            "Dear {recipient},\n\nThe post for {subject} ({post_id}) was approved (by {approved_by}). "
            "Once it is out, record its URL and time.\n",
        ),
    },
    "post.rejected": {
        "ja": (
            "【{tenant}】投稿が差し戻されました（{subject}）",
            "{recipient} 様\n\n{subject} の投稿（{post_id}）が差し戻されました。\n理由：{reason}\n"
            "直してから、もう一度提出してください。\n",
        ),
        "en": (
            "[{tenant}] Your post was sent back ({subject})",
            "Dear {recipient},\n\nThe post for {subject} ({post_id}) was sent back.\nReason: {reason}\n"
            "Please revise it and submit it again.\n",
        ),
    },
    "post.withdrawn": {
        "ja": (
            "【{tenant}】投稿が取り下げられました（{subject}）",
            "{recipient} 様\n\n{subject} の投稿（{post_id}）は取り下げられました。\n理由：{reason}\n",
        ),
        "en": (
            "[{tenant}] A post was withdrawn ({subject})",
            "Dear {recipient},\n\nThe post for {subject} ({post_id}) was withdrawn.\nReason: {reason}\n",
        ),
    },
    "post.published": {
        "ja": (
            "【{tenant}】投稿の報告：{subject}",
            "{recipient} 様\n\n{subject} で次の投稿が公開されました。\n日時：{published_at}\nURL：{url}\n\n{excerpt}\n",
        ),
        "en": (
            "[{tenant}] Post report: {subject}",
            "Dear {recipient},\n\nThis post went out on {subject}.\nTime: {published_at}\nURL: {url}\n\n{excerpt}\n",
        ),
    },
    "post.emergency_published": {
        "ja": (
            "【{tenant}】緊急の投稿が時間外に公開されました（{subject}）",
            "{recipient} 様\n\n{subject} の投稿（{post_id}）が緊急時の例外として投稿時間外の {published_at} に"
            "公開されました。\n理由：{reason}\n定期確認の一覧に載っています。内容を確認してください。\n",
        ),
        "en": (
            "[{tenant}] An emergency post went out of hours ({subject})",
            "Dear {recipient},\n\nThe post for {subject} ({post_id}) went out at {published_at}, outside the "
            "posting hours, as an emergency.\nReason: {reason}\nIt is listed for your review.\n",
        ),
    },
    "post.publication_overdue": {
        "ja": (
            "【{tenant}】承認済みの投稿がまだ公開されていません（{subject}）",
            "{recipient} 様\n\n{subject} の投稿（{post_id}）は {planned_at} に公開の予定でしたが、"
            "公開の記録がありません。公開したなら記録し、やめるなら取り下げてください。\n",
        ),
        "en": (
            "[{tenant}] An approved post is not published yet ({subject})",
            "Dear {recipient},\n\nThe post for {subject} ({post_id}) was due out at {planned_at}, and no "
            "publication is recorded. Record it if it went out, or withdraw it.\n",
        ),
    },
    "post.review_due": {
        "ja": (
            "【{tenant}】範囲内投稿の定期確認をお願いします",
            "{recipient} 様\n\n所属長の承認を経ずに公開された投稿が {count} 件あります（{since} 以降）。"
            "内容を確認し、確認したことを記録してください。\n",
        ),
        "en": (
            "[{tenant}] Posts are due for your review",
            "Dear {recipient},\n\n{count} post(s) went out without your approval (since {since}). "
            "Please look at them and record your review.\n",
        ),
    },
}

FOOTER: dict[Lang, str] = {
    "ja": "\n--\nこのメールは公式アカウント管理システム（Koshiki）から自動で送信しています。\n",
    "en": "\n--\nSent automatically by Koshiki, the official account management system.\n",
}

# Names of deadline kinds, for the text above.
DEADLINE_LABELS: dict[str, dict[Lang, str]] = {
    "continuation_declaration": {"ja": "継続希望の申し出", "en": "the continuation declaration"},
    "periodic_review": {"ja": "目標に照らした運用の見直し", "en": "review against its purpose and targets"},
    "settings_review": {"ja": "セキュリティ設定の見直し", "en": "security settings review"},
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "-"


def render(event_type: str, lang: Lang, values: dict[str, Any]) -> tuple[str, str]:
    subject, body = TEMPLATES[event_type][lang]
    fields = _Lenient(values)
    return subject.format_map(fields), body.format_map(fields) + FOOTER[lang]
