"""Japanese and English text for everything the API says to people.

Japanese is the default; `Accept-Language` can ask for English. Messages live in one catalog so
a translator (or a reviewer) reads them side by side.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["ja", "en"]
DEFAULT_LANG: Lang = "ja"
SUPPORTED: tuple[Lang, ...] = ("ja", "en")


def negotiate(accept_language: str | None) -> Lang:
    """Pick ja or en from an Accept-Language header (RFC 9110 §12.5.4), ja when nothing matches."""
    if not accept_language:
        return DEFAULT_LANG
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate(accept_language.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED or quality <= 0:
            continue
        candidate = (quality, -position, primary)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else DEFAULT_LANG


# key -> (Japanese, English). Placeholders use str.format names.
MESSAGES: dict[str, tuple[str, str]] = {
    # Problem titles, one per problem type.
    "title.validation-error": ("入力内容に誤りがあります", "The request has invalid fields"),
    "title.malformed-body": ("リクエスト本文を読み取れません", "The request body cannot be read"),
    "title.bad-request": ("リクエストが正しくありません", "Bad request"),
    "title.unauthorized": ("認証が必要です", "Authentication required"),
    "title.forbidden": ("この操作を行う権限がありません", "You may not do this"),
    "title.not-found": ("見つかりません", "Not found"),
    "title.method-not-allowed": ("このメソッドは使えません", "Method not allowed"),
    "title.conflict": ("現在の状態と矛盾します", "Conflict with the current state"),
    "title.precondition-failed": ("対象が更新されています", "The resource has changed"),
    "title.payload-too-large": ("リクエスト本文が大きすぎます", "Request body too large"),
    "title.unsupported-media-type": ("この形式の本文は受け付けません", "Unsupported media type"),
    "title.precondition-required": ("If-Match ヘッダーが必要です", "If-Match header required"),
    "title.too-many-requests": ("リクエストが多すぎます", "Too many requests"),
    "title.internal-error": ("サーバー内部でエラーが発生しました", "Internal server error"),
    "title.service-unavailable": ("現在サービスを利用できません", "Service unavailable"),
    "title.invalid-guideline": ("ガイドライン設定に誤りがあります", "The guideline configuration is invalid"),
    # Details.
    "detail.validation": (
        "{count}件の項目に誤りがあります。errors の各項目を確認してください。",
        "{count} field(s) are invalid; see each entry of errors.",
    ),
    "detail.nul-character": (
        "パラメーターに NUL 文字（U+0000）は使えません。errors の各項目を確認してください。",
        "Parameters must not contain the NUL character (U+0000); see each entry of errors.",
    ),
    "detail.malformed-json": ("本文が正しい JSON ではありません。", "The body is not valid JSON."),
    "detail.too-deep": (
        "本文の配列・オブジェクトの入れ子が深すぎます（{limit} 段まで）。",
        "The body nests arrays and objects too deeply (at most {limit} levels).",
    ),
    "detail.not-found-route": ("このパスの API はありません。", "There is no API at this path."),
    "detail.not-found": ("指定の{resource}は見つかりません。", "No such {resource}."),
    "detail.method-not-allowed": (
        "このパスでは {method} は使えません。使えるメソッド：{allowed}",
        "{method} is not allowed here. Allowed: {allowed}",
    ),
    "detail.unauthorized-missing": (
        "Authorization ヘッダーに Bearer トークンを指定してください。",
        "Send a bearer token in the Authorization header.",
    ),
    "detail.unauthorized-invalid": (
        "トークンが無効です（誤り・期限切れ・失効のいずれか）。",
        "The token is invalid, expired or revoked.",
    ),
    "detail.forbidden": (
        "この操作には「{permission}」の権限が必要です。",
        "This needs the '{permission}' permission.",
    ),
    "detail.payload-too-large": (
        "本文は {limit} バイト以内にしてください。",
        "The body must not exceed {limit} bytes.",
    ),
    "detail.unsupported-media-type": (
        "本文は application/json で送ってください（受け取った形式：{received}）。",
        "Send the body as application/json (received: {received}).",
    ),
    "detail.precondition-required": (
        "更新前に取得した ETag を If-Match ヘッダーに指定してください。",
        "Send the ETag you read in an If-Match header.",
    ),
    "detail.precondition-failed": (
        "読み込んだ後に他の更新がありました。最新の内容を取得してからやり直してください（現在の ETag：{etag}）。",
        "Someone changed it after you read it; fetch it again and retry (current ETag: {etag}).",
    ),
    "detail.internal-error": (
        "問い合わせの際はリクエスト ID {request_id} をお伝えください。",
        "Quote request id {request_id} when you report this.",
    ),
    "detail.database-unavailable": (
        "データベースに接続できません。しばらくしてから再度お試しください。",
        "The database cannot be reached; try again shortly.",
    ),
    "detail.concurrent-update": (
        "同時に行われた別の更新と競合しました。少し待ってからやり直してください。",
        "This collided with another change made at the same time; wait a moment and try again.",
    ),
    "detail.conflict-generic": (
        "同じ内容のデータが既にあるか、関連するデータと矛盾します。",
        "The data already exists or contradicts related data.",
    ),
    "detail.idempotency-mismatch": (
        "この Idempotency-Key は別の内容のリクエストで使われています。",
        "This Idempotency-Key was used with a different request.",
    ),
    "detail.idempotency-in-progress": (
        "同じ Idempotency-Key のリクエストを処理中です。",
        "A request with this Idempotency-Key is still being processed.",
    ),
    "detail.secret-not-replayed": (
        "この Idempotency-Key のリクエストは成功しています。応答に含まれていた秘密の値は一度だけ表示するもので、"
        "保存していないため再表示できません。{renew}",
        "The request with this Idempotency-Key succeeded. The secret in its reply was shown only that once; "
        "it is not kept and cannot be shown again. {renew}",
    ),
    "detail.secret-renew.api-token": (
        "シークレットを紛失した場合は、そのトークンを失効させ、新しいトークンを発行してください。",
        "If the secret was lost, revoke that token and issue a new token.",
    ),
    "detail.secret-renew.temporary-password": (
        "仮パスワードを紛失した場合は、そのユーザーのパスワードをリセットして新しい仮パスワードを発行してください。",
        "If the temporary password was lost, reset the user's password to get a new one.",
    ),
    "detail.secret-renew.webhook-secret": (
        "署名用シークレットを紛失した場合は、そのエンドポイントのシークレットをローテーションしてください。",
        "If the signing secret was lost, rotate the endpoint's secret to get a new one.",
    ),
    "detail.secret-renew.other": (
        "紛失した場合は、新しい値を発行してください。",
        "If it was lost, have a new one issued.",
    ),
    "detail.bad-request": ("{reason}", "{reason}"),
    "detail.not-ready": ("準備ができていません：{reason}", "Not ready: {reason}"),
    "word.deleted": ("削除", "deleted"),
    "detail.password-change-required": (
        "パスワードの変更が必要です。POST /v1/me/password で変更してから操作してください。",
        "You must change your password first (POST /v1/me/password).",
    ),
    "detail.users-only": (
        "この操作は利用者本人だけが行えます（API トークンは不可）。",
        "Only a user can do this, not an API token.",
    ),
    "detail.no-standing.agreement-not-started": (
        "委託契約の期間がまだ始まっていないため、操作できません。",
        "Your agreement's period has not started yet.",
    ),
    "detail.no-standing.agreement-ended": (
        "委託契約の期間が終わっているため、操作できません。",
        "Your agreement's period has ended.",
    ),
    "detail.not-for-contractors": (
        "委託業者の利用者はこの操作を行えません。",
        "Contractor users cannot do this.",
    ),
    "agreement.period-order": ("終了日は開始日以降にしてください。", "The end must not be before the start."),
    "agreement.renewal-not-later": (
        "更新後の終了日は現在の終了日より後にしてください。",
        "The renewed end must be after the current end.",
    ),
    "agreement.account-not-live": (
        "廃止済み・却下済みのアカウントは委託の対象にできません。",
        "A closed or rejected account cannot be covered.",
    ),
    "agreement.not-covered": (
        "このアカウントは委託契約の対象ではありません。",
        "The agreement does not cover this account.",
    ),
    "agreement.account-outside-reach": (
        "担当する所属のアカウントではないため、委託の対象にできません。",
        "This account lies outside your units or assignments, so you cannot have it covered.",
    ),
    "agreement.contractor-only": (
        "委託契約に紐づけられるのは委託業者の利用者だけです。",
        "Only contractor users are linked to an agreement.",
    ),
    "conflict.agreement-ended": ("この委託契約は終了しています。", "This agreement has ended."),
    "conflict.reference-taken": (
        "同じ契約番号の委託契約がすでにあります。",
        "An agreement with this reference already exists.",
    ),
    "conflict.login-ids-on-account": (
        "ログインIDが登録されているアカウントは対象から外せません。",
        "An account with login IDs on record cannot be taken out of the agreement.",
    ),
    "conflict.login-id-taken": (
        "このアカウントにはこのログインIDがすでに登録されています。",
        "This login ID is already on record for the account.",
    ),
    "clause.outsourcing": ("運用の委託", "outsourcing"),
    "clause.security_policy_compliance": (
        "セキュリティポリシー・ガイドラインの遵守",
        "compliance with the security policy and the guideline",
    ),
    "clause.posting_staff_and_devices": ("記事投稿担当者と操作端末", "posting staff and devices"),
    "clause.copyright_to_agency": ("著作権の帰属", "copyright"),
    "clause.login_id_handling": ("ログインIDの取扱い", "login IDs"),
    "clause.prior_check_of_posts": ("投稿の事前確認", "the agency's prior check of posts"),
    "clause.periodic_usage_report": ("利用状況の定期報告", "periodic usage reports"),
    "finding.outsourcing-not-allowed": (
        "設定では運用の委託を認めていません。",
        "The configuration does not allow outsourcing.",
    ),
    "finding.missing": (
        "必要な条項「{label}」が契約書等に記載されていません。",
        "Required clause '{label}' is not stated.",
    ),
    "finding.no-article": (
        "条項「{label}」の記載箇所（条番号等）が示されていません。",
        "Clause '{label}' is stated without saying where.",
    ),
    "finding.posting-staff-not-submitted": (
        "記事投稿担当者と操作端末の届出がまだありません。",
        "The posting staff and their devices have not been submitted.",
    ),
    "finding.copyright-owner-unstated": (
        "著作権の帰属先が示されていません。",
        "The copyright owner is not stated.",
    ),
    "finding.copyright-not-agency": (
        "著作権が団体に帰属していません（設定では団体以外への帰属を認めていません）。",
        "Copyright does not belong to the agency, which the configuration does not allow.",
    ),
    "finding.copyright-shared-without-terms": (
        "著作権を共有とする場合は、その条件を記載してください。",
        "Shared copyright needs its terms stated.",
    ),
    "finding.login-ids-not-exclusive": (
        "委託業者用ログインIDを他のサイトに使わないことが定められていません。",
        "The contractor's login IDs are not limited to this account's site.",
    ),
    "finding.login-ids-end-unstated": (
        "契約終了後のログインIDの扱いが定められていません。",
        "What happens to the login IDs after the end is not stated.",
    ),
    "finding.login-ids-end-differs": (
        "契約終了後のログインIDの扱いが設定（{expected}）と異なります。",
        "What happens to the login IDs at the end differs from the configuration ({expected}).",
    ),
    "detail.no-standing.no-active-agreement": (
        "有効な委託契約がないため、この団体の情報にはアクセスできません。",
        "No active agreement covers you, so you cannot act in this tenant.",
    ),
    "detail.login-locked": (
        "ログインの失敗が続いたため一時的にロックされています。{seconds}秒後に再度お試しください。",
        "Too many failed logins; try again in {seconds} seconds.",
    ),
    "detail.invalid-credentials": (
        "ログイン ID（またはメールアドレス）かパスワードが違います。",
        "The login ID (or e-mail) or the password is wrong.",
    ),
    "detail.invalid-refresh-token": (
        "リフレッシュトークンが無効です。もう一度ログインしてください。",
        "The refresh token is invalid; log in again.",
    ),
    "detail.account-disabled": (
        "この利用者は停止されています。管理者に連絡してください。",
        "This user is disabled; contact your administrator.",
    ),
    # Resource names for not-found details.
    "resource.tenant": ("団体", "tenant"),
    "resource.unit": ("所属", "unit"),
    "resource.guideline-version": ("ガイドライン設定の版", "guideline configuration version"),
    "resource.api-token": ("API トークン", "API token"),
    "resource.user": ("利用者", "user"),
    "resource.webhook": ("Webhook の宛先", "webhook endpoint"),
    "resource.webhook-delivery": ("Webhook の配信", "webhook delivery"),
    "resource.event": ("イベント", "event"),
    "resource.mail": ("メール", "mail message"),
    "resource.dead-letter": ("処理できなかったメッセージ", "dead letter"),
    "resource.deadline": ("期限", "deadline"),
    "resource.account": ("公式アカウント", "official account"),
    "resource.application": ("申請", "application"),
    "resource.warning": ("なりすまし注意情報", "impersonation warning"),
    "resource.post": ("投稿", "post"),
    "resource.post-review": ("投稿の定期確認", "post review"),
    # Posts: the workflow (the checks' own messages are under "post.check.").
    "title.post-rules-broken": ("投稿がルールに反しています", "The post breaks the tenant's rules"),
    "detail.post-rules-broken": (
        "団体のルールに反する点が {count} 件あります。findings の各項目を直してください。",
        "{count} finding(s) break the tenant's rules; fix each one listed in findings.",
    ),
    "detail.post-own": (
        "自分が作成した投稿は承認できません。",
        "You cannot approve or send back a post you drafted yourself.",
    ),
    "detail.post-people-only": (
        "投稿の確認と承認は人が行います。システム連携のトークンではできません。",
        "Posts are checked and decided on by people, not through an agency system's token.",
    ),
    "detail.post-approver": (
        "この投稿を承認できるのは次の役割の人です：{roles}（所属長は自所属のみ）。",
        "Only these roles may decide on this post: {roles} (a unit head: for their own units).",
    ),
    "detail.post-reviewer": (
        "範囲内投稿の定期確認を記録できるのは次の役割の人です：{roles}。",
        "Only these roles may record the review of range posts: {roles}.",
    ),
    "conflict.post-state": (
        "投稿は「{state}」のため、この操作（{action}）はできません。",
        "The post is {state}: it cannot take this action ({action}).",
    ),
    "conflict.post-no-configuration": (
        "投稿予定日に有効なガイドライン設定がないため、投稿を確認できません。",
        "No guideline configuration is in force on the planned day, so the post cannot be checked.",
    ),
    "conflict.post-account-not-in-service": (
        "アカウントが運用中ではない（{status}）ため投稿できません。",
        "The account is not in service ({status}): it cannot post.",
    ),
    "conflict.post-already-checked": (
        "この内容はすでに確認済みです。内容が変わると再度確認できます。",
        "You have checked this content already; you can check again once it changes.",
    ),
    "conflict.posts-not-deleted": (
        "削除が記録されていない公開済みの投稿が {count} 件あります。削除してから記録してください。",
        "{count} published post(s) are not recorded as deleted; delete them and record it first.",
    ),
    "post.range-not-allowed": (
        "団体のルールは、担当者の判断で投稿できる範囲を認めていません。",
        "The tenant's rules allow no range of posts an operator may publish alone.",
    ),
    "post.range-without-policy": (
        "範囲内投稿には、その範囲を記載した利用方針がアカウントに登録されている必要があります。",
        "A range post needs the account's usage policy, which must describe the range, to be on file.",
    ),
    "post.attest-missing": (
        "禁止事項「{category}」に当たらないことの確認が含まれていません。",
        "The attestation that the post holds no '{category}' content is missing.",
    ),
    "post.attest-unknown": (
        "「{category}」は団体の禁止事項の区分ではありません。",
        "'{category}' is not one of the tenant's prohibited-content categories.",
    ),
    "post.published-in-future": (
        "未来の日時は記録できません。",
        "A time later than now cannot be recorded.",
    ),
    "post.correction-other-account": (
        "訂正は元の投稿と同じアカウントで行ってください。",
        "A correction goes out on the same account as the post it corrects.",
    ),
    "resource.closure": ("廃止の手続き", "closure"),
    "resource.incident": ("トラブル", "incident"),
    "resource.declaration": ("継続希望の申し出", "continuation declaration"),
    "resource.closure-step": ("廃止の手順", "closure step"),
    "resource.agreement": ("委託契約", "contractor agreement"),
    "resource.login-id": ("ログインID", "login ID"),
    # Domain conflicts.
    "conflict.tenant-slug-taken": (
        "slug「{slug}」は既に使われています。",
        "The slug '{slug}' is already taken.",
    ),
    "conflict.unit-code-taken": (
        "所属コード「{code}」はこの団体で既に使われています。",
        "Unit code '{code}' is already used in this tenant.",
    ),
    "conflict.unit-nesting": (
        "所属は1階層までしか入れ子にできません（「{parent}」は既に下位の所属です）。",
        "Units nest one level only ('{parent}' is itself a child unit).",
    ),
    "conflict.unit-self-parent": (
        "所属を自分自身の下に置くことはできません。",
        "A unit cannot be its own parent.",
    ),
    "conflict.unit-has-children": (
        "下位の所属があるため、この所属は{action}できません。",
        "This unit has child units, so it cannot be {action}.",
    ),
    "conflict.unit-is-parent-of-others": (
        "この所属には下位の所属があるため、他の所属の下に置けません。",
        "This unit has children of its own, so it cannot be placed under another unit.",
    ),
    "conflict.guideline-version-race": (
        "同時に別の版が作成されました。最新の版を確認してからやり直してください。",
        "Another version was created at the same time; check the latest version and retry.",
    ),
    "conflict.guideline-unchanged": (
        "最新の版（第{version}版）と内容も適用日も同じです。変更がないため新しい版は作りません。",
        "Same document and effective date as the latest version ({version}); nothing to record.",
    ),
    "conflict.login-taken": (
        "このログイン ID またはメールアドレスは既に使われています。",
        "This login ID or e-mail address is already in use.",
    ),
    "conflict.last-general-administrator": (
        "団体の統括管理者が一人もいなくなるため、この変更はできません。",
        "This would leave the tenant without an active general administrator.",
    ),
    "conflict.cannot-disable-self": ("自分自身を停止することはできません。", "You cannot disable yourself."),
    "conflict.dead-letter-retried": (
        "このメッセージは既に再実行されています。",
        "This message has already been retried.",
    ),
    "conflict.token-revoked": ("このトークンは既に失効しています。", "This token is already revoked."),
    "conflict.illegal-transition": (
        "状態が「{status}」のアカウントに「{action}」はできません（できる操作：{allowed}）。",
        "An account in status '{status}' cannot be '{action}' (allowed: {allowed}).",
    ),
    "conflict.account-registered": (
        "このアカウントは既に{holder}の公式アカウントとして登録されています。",
        "This account is already registered as an official account of {holder_en}.",
    ),
    "conflict.account-registered-elsewhere": (
        "このアカウントは既に公式アカウントとして登録されています。",
        "This account is already registered as an official account.",
    ),
    "conflict.opening-rules": (
        "開設の要件を{count}件満たしていません。unmet の各項目を確認してください。",
        "{count} opening rule(s) are not met; see each entry in unmet.",
    ),
    "conflict.application-state": (
        "状態が「{state}」の申請に「{action}」はできません（できる操作：{allowed}）。",
        "An application in state '{state}' cannot be '{action}' (allowed: {allowed}).",
    ),
    "conflict.application-open": (
        "このアカウントには処理中の申請が既にあります。先にその申請を処理してください。",
        "This account already has an application in progress; settle that one first.",
    ),
    "conflict.already-declared": (
        "この回の継続希望は既に申し出られています（{decision}）。",
        "This round has been declared already ({decision}).",
    ),
    "conflict.incident-resolved": ("このトラブルは解決済みです。", "This incident is resolved already."),
    "conflict.closure-open": (
        "このアカウントには進行中の廃止の手続きがあります。",
        "This account already has a closure under way.",
    ),
    "conflict.closure-state": (
        "状態が「{state}」の廃止の手続きに「{action}」はできません。",
        "A closure in state '{state}' cannot be '{action}'.",
    ),
    "conflict.closure-withdrawal-not-allowed": (
        "ガイドラインで廃止の取り下げは認められていません。",
        "The guideline does not allow a closure to be withdrawn.",
    ),
    "conflict.warning-on-official": (
        "このアカウントは公式アカウントとして登録されているため、なりすましとして掲載できません。",
        "This account is registered as official, so it cannot be listed as an impersonation.",
    ),
    "detail.not-your-account": (
        "担当する所属・アカウント以外は操作できません。",
        "You may only act on accounts of your units or those assigned to you.",
    ),
    "detail.not-a-declarer": (
        "継続希望の申し出は、ガイドラインが定める役割の方が行います。",
        "The continuation is declared by the roles the guideline names.",
    ),
    "detail.not-a-suspension-decider": (
        "アカウントの一時停止と再開は、統括管理者と、ガイドラインが廃止を判断するとしている役割の方だけが行えます。",
        "Only a general administrator and the roles the guideline makes closure deciders may suspend or resume an account.",
    ),
    "detail.not-allowed-to-close-now": (
        "即時の廃止は統括管理者（とガイドラインが定める役割）だけが行えます。",
        "Only a general administrator (and the roles the guideline names) may close an account at once.",
    ),
    "detail.unit-head-confirms": (
        "削除の確認は、そのアカウントの所属長（または統括管理者）が行います。",
        "The deletion is confirmed by the head of the account's unit (or a general administrator).",
    ),
    "detail.not-the-approver": (
        "この申請を承認できるのは「{approver}」の役割の方です。",
        "Only the '{approver}' role may decide this application.",
    ),
    "detail.public-rate-limited": (
        "短時間に多くの確認が行われました。{seconds}秒後にもう一度お試しください。",
        "Too many lookups in a short time; try again in {seconds} seconds.",
    ),
    "detail.verify-what": (
        "url、または platform と handle を指定してください。",
        "Give url, or platform and handle.",
    ),
    # Field-level validation messages (jsonschema keywords and our own checks).
    "field.required": ("必須項目「{name}」がありません。", "Required field '{name}' is missing."),
    "field.unknown": ("「{name}」という項目はありません。", "There is no field '{name}'."),
    "field.type": ("型が違います（期待：{expected}）。", "Wrong type (expected {expected})."),
    "field.enum": ("次のいずれかを指定してください：{allowed}", "Must be one of: {allowed}"),
    "field.const": ("値は {expected} でなければなりません。", "Must be {expected}."),
    "field.min_length": ("{limit}文字以上にしてください。", "Must be at least {limit} characters."),
    "field.max_length": ("{limit}文字以内にしてください。", "Must be at most {limit} characters."),
    "field.pattern": ("形式が正しくありません。", "Has the wrong format."),
    "field.format": ("{format} の形式で指定してください。", "Must be a valid {format}."),
    "field.minimum": ("{limit}以上にしてください。", "Must be at least {limit}."),
    "field.maximum": ("{limit}以下にしてください。", "Must be at most {limit}."),
    "field.min_items": ("{limit}個以上指定してください。", "Must have at least {limit} item(s)."),
    "field.max_items": ("{limit}個以内にしてください。", "Must have at most {limit} item(s)."),
    "field.unique_items": ("同じ値を重複して指定できません。", "Items must not repeat."),
    "field.one_of": ("いずれの形式にも当てはまりません。", "Matches none of the allowed shapes."),
    "field.future-date": ("未来の日付は指定できません。", "This date is in the future."),
    "field.invalid": ("値が正しくありません：{reason}", "Invalid value: {reason}"),
    "field.invalid-value": ("値が正しくありません。", "Invalid value."),
    "field.body-required": ("本文（JSON）を送ってください。", "Send a JSON body."),
    "field.not-allowed": ("指定できない値です。", "This value is not allowed."),
    "field.exclusive_minimum": ("{limit}より大きくしてください。", "Must be greater than {limit}."),
    "field.exclusive_maximum": ("{limit}より小さくしてください。", "Must be less than {limit}."),
    "field.nul": (
        "NUL 文字（U+0000）は使えません。",
        "Must not contain the NUL character (U+0000).",
    ),
    "field.nul-name": (
        "項目名に NUL 文字（U+0000）は使えません。",
        "A member name must not contain the NUL character (U+0000).",
    ),
    "field.application-purpose": (
        "新規の申請には利用目的が必要です。",
        "A new account's application needs its purpose.",
    ),
    "field.application-change-types": (
        "変更の申請には変更の種類（change_types）が必要です。",
        "A change application needs its change_types.",
    ),
    "field.application-changes": (
        "変更の申請には変更内容（changes）が必要です。",
        "A change application needs its changes.",
    ),
    "field.time_zone": (
        "IANA のタイムゾーン名（例：Asia/Tokyo）を指定してください。",
        "Must be an IANA time zone name such as Asia/Tokyo.",
    ),
    "field.cursor": (
        "cursor が正しくありません。前の応答の next_cursor をそのまま指定してください。",
        "Invalid cursor; pass next_cursor from the previous page unchanged.",
    ),
    "field.scope-unknown": ("スコープ「{scope}」はありません。", "There is no scope '{scope}'."),
    "user.contractor-exclusive": (
        "委託業者の役割は他の役割と兼ねられません。",
        "The contractor role cannot be combined with other roles.",
    ),
    "user.unit-head-needs-unit": ("所属長には所属を指定してください。", "A unit head needs a unit."),
    "user.login-is-another-email": (
        "メールアドレスの形をしたログインIDは、その利用者自身のメールアドレスと同じ場合に限り使えます。",
        "A login ID that looks like an e-mail address must be the user's own e-mail address.",
    ),
    "password.too-short": (
        "パスワードは{limit}文字以上にしてください。",
        "The password must have at least {limit} characters.",
    ),
    "password.too-long": (
        "パスワードは{limit}文字以内にしてください。",
        "The password must have at most {limit} characters.",
    ),
    "password.common": ("よく使われるパスワードは使えません。", "This password is too common."),
    "password.repetitive": ("同じ文字の繰り返しが多すぎます。", "The password repeats too few characters."),
    "password.contains-name": (
        "ログイン ID やメールアドレスを含むパスワードは使えません。",
        "The password must not contain your login ID or e-mail.",
    ),
    "password.wrong-current": ("現在のパスワードが違います。", "The current password is wrong."),
    "password.unchanged": (
        "新しいパスワードが現在のものと同じです。",
        "The new password is the same as the current one.",
    ),
    "webhook.https-only": (
        "本番環境の Webhook の URL は https にしてください。",
        "Webhook URLs must use https in production.",
    ),
    "webhook.private-address": (
        "Webhook の URL に、内部向け・特殊用途のアドレス（プライベート、ループバック、リンクローカルなど）や localhost は使えません。",
        "A webhook URL must not name a private or special-use address (private, loopback, link-local, …) or localhost.",
    ),
    "webhook.invalid-url": (
        "Webhook の URL を読み取れません。",
        "The webhook URL cannot be read.",
    ),
    "token.scope-not-for-systems": (
        "スコープ「{scope}」は API トークンには付与できません。",
        "The scope '{scope}' cannot be given to an API token.",
    ),
    "token.scope-not-held": (
        "あなたが持たない権限「{scope}」をトークンに付与することはできません。",
        "You cannot give a token the '{scope}' permission, which you do not hold.",
    ),
    # Official accounts: recognising them and the rules for opening them.
    "account.unit-outside-reach": (
        "移動先は担当する所属ではありません。",
        "The new unit lies outside your units: you cannot move the account there.",
    ),
    "account.unrecognised": (
        "公式アカウントの URL またはハンドルとして認識できません：{reason}",
        "Not recognisable as an account URL or handle: {reason}",
    ),
    # Why a value names no account: the {reason} above (UnrecognisedAccount codes in accounts/urls.py).
    "account.platform.x": ("X", "X"),
    "account.platform.facebook": ("Facebook", "Facebook"),
    "account.platform.instagram": ("Instagram", "Instagram"),
    "account.platform.youtube": ("YouTube", "YouTube"),
    "account.platform.line": ("LINE", "LINE"),
    "account.platform.tiktok": ("TikTok", "TikTok"),
    "account.platform.other": ("その他のサービス", "another platform"),
    "account.why.unknown-platform": (
        "「{platform}」には対応していません。x、facebook、instagram、youtube、line、tiktok、other のいずれかを指定してください。",
        "The platform '{platform}' is not supported: choose x, facebook, instagram, youtube, line, tiktok or other.",
    ),
    "account.why.too-long": (
        "長すぎます（{limit}文字まで）。アカウントの URL だけを入力してください。",
        "Too long (at most {limit} characters): give only the account's URL.",
    ),
    "account.why.empty": (
        "何も入力されていません。アカウントの URL を入力してください。",
        "Nothing was given: give the account's URL.",
    ),
    "account.why.spaces": (
        "空白や制御文字が含まれています。取り除いてください。",
        "It contains spaces or control characters: remove them.",
    ),
    "account.why.handle-needs-platform": (
        "ハンドルだけでは、どのサービスのアカウントか分かりません。アカウントの URL を貼り付けるか、サービスを指定してください。",
        "A handle alone does not say whose it is: paste the account's URL, or name its platform.",
    ),
    "account.why.not-platform-url": (
        "{expected} の URL ではありません。{expected} のアカウントの URL を入力してください。",
        "This URL is not on {expected}: give the account's URL on {expected}.",
    ),
    "account.why.wrong-platform": (
        "{found} の URL です。{expected} のアカウントの URL を入力してください。",
        "This URL is on {found}, not {expected}: give the account's URL on {expected}.",
    ),
    "account.why.known-platform": (
        "{found} の URL です。サービスには「その他」ではなく {found} を指定してください。",
        "This URL is on {found}: choose {found} as the platform, not other.",
    ),
    "account.why.numeric-id": (
        "{platform} のユーザー ID として正しくありません（数字だけです）。",
        "Not a valid {platform} user id (digits only).",
    ),
    "account.why.user-id": (
        "{platform} のユーザー ID として正しくありません（英数字と . _ - の64文字以内です）。",
        "Not a valid user id on {platform} (at most 64 letters, digits, ., _ or -).",
    ),
    "account.why.different-user-id": (
        "URL が示すユーザー ID と、指定されたユーザー ID が違います。どちらかを直してください。",
        "The URL names a different user id from the one given: correct one of them.",
    ),
    "account.why.scheme": (
        "「{scheme}:」で始まるアドレスは使えません。https:// で始まる URL を入力してください。",
        "Addresses starting '{scheme}:' are not accepted: give an https:// URL.",
    ),
    "account.why.invalid-url": (
        "URL として読み取れません。ブラウザーのアドレス欄からコピーし直してください。",
        "Not a readable URL: copy it again from the browser's address bar.",
    ),
    "account.why.user-in-url": (
        "ホスト名の前に「…@」が付いた URL は、別のサイトに移動することがあるため使えません。",
        "A URL with a name and @ before the host may lead to another site, so it is not accepted.",
    ),
    "account.why.no-host": (
        "URL にホスト名がありません。アドレス全体をコピーしてください。",
        "The URL has no host name: copy the whole address.",
    ),
    "account.why.idn-host": (
        "日本語などを含むホスト名には対応していません。英数字だけのホスト名で入力してください。",
        "Host names with non-ASCII characters are not supported: use the host's ASCII form.",
    ),
    "account.why.bad-host": (
        "ホスト名が正しくありません。URL を確かめてください。",
        "The host name is not valid: check the URL.",
    ),
    "account.why.path-encoding": (
        "URL のパスに読み取れない文字が含まれています。ブラウザーのアドレス欄からコピーし直してください。",
        "The URL path is not valid UTF-8: copy it again from the browser's address bar.",
    ),
    "account.why.path-control": (
        "URL のパスに制御文字が含まれています。取り除いてください。",
        "The URL path contains control characters: remove them.",
    ),
    "account.why.platform-host": (
        "{host} は {platform} のアカウントのアドレスではありません。アカウントのプロフィールページの URL を入力してください。",
        "{host} is not an address of {platform} accounts: give the URL of the account's profile page.",
    ),
    "account.why.no-account": (
        "この {platform} の URL はアカウントのページではありません。アカウントのプロフィールページの URL を入力してください。",
        "This {platform} URL is not an account's page: give the URL of the account's profile page.",
    ),
    "account.why.x-handle": (
        "X のユーザー名として使えません（英数字と _ の1〜15文字です）。",
        "Not a valid X handle (1 to 15 letters, digits or _).",
    ),
    "account.why.facebook-username": (
        "Facebook のユーザー名として使えません（英数字とピリオドです）。",
        "Not a valid Facebook username (letters, digits and dots).",
    ),
    "account.why.instagram-username": (
        "Instagram のユーザー名として使えません（英数字と . _ の1〜30文字です）。",
        "Not a valid Instagram username (1 to 30 letters, digits, . or _).",
    ),
    "account.why.youtube-handle": (
        "YouTube のハンドルとして使えません（文字・数字と _ - . の3〜30文字です）。",
        "Not a valid YouTube handle (3 to 30 letters, digits, _, - or .).",
    ),
    "account.why.youtube-channel-id": (
        "YouTube のチャンネル ID として正しくありません（UC で始まる24文字です）。",
        "Not a valid YouTube channel id (UC and 22 more characters).",
    ),
    "account.why.youtube-channel-name": (
        "YouTube のチャンネル名として使えません（文字・数字と _ - . の100文字以内です）。",
        "Not a valid YouTube channel name (at most 100 letters, digits, _, - or .).",
    ),
    "account.why.youtube-video-link": (
        "youtu.be のリンクは動画を指します。チャンネルのページの URL を入力してください。",
        "A youtu.be link points to a video, not a channel: give the channel's URL.",
    ),
    "account.why.line-id": (
        "LINE ID として正しくありません（英数字と . _ - の20文字以内です）。",
        "Not a valid LINE ID (at most 20 letters, digits, ., _ or -).",
    ),
    "account.why.tiktok-username": (
        "TikTok のユーザー名として使えません（英数字と . _ の1〜24文字です）。",
        "Not a valid TikTok username (1 to 24 letters, digits, . or _).",
    ),
    "account.why.empty-handle": (
        "ハンドルが空です。@ の後にアカウント名を入力してください。",
        "The handle is empty: give the name after the @.",
    ),
    "account.why.other-needs-url": (
        "その他のサービスのアカウントは、ハンドルではなく URL で指定してください。",
        "For an account on another platform, give its URL, not a handle.",
    ),
    "account.rule.no-configuration": (
        "ガイドライン設定がまだ登録されていません。",
        "No guideline configuration has been set yet.",
    ),
    "account.rule.platform": (
        "ガイドラインで「{platform}」の利用は認められていません。",
        "The guideline does not allow the platform '{platform}'.",
    ),
    "account.rule.document": (
        "{document}が登録されていないか、必要な記載項目が足りません。",
        "The {document} is missing or lacks required items.",
    ),
    "account.rule.policy-disclosed": (
        "アカウントの運用方針を公開（公開 URL を登録）してください。",
        "Publish the account policy (record its public URL).",
    ),
    "account.rule.shared-mailbox": (
        "登録メールアドレスは所属の共有アドレス（{mailbox}）にしてください。",
        "Sign up with the unit's shared mailbox ({mailbox}).",
    ),
    "account.rule.profile-link": (
        "プロフィール欄に公式アカウント一覧へのリンクを掲載してください。",
        "Link the register of official accounts from the profile.",
    ),
    "account.rule.verified-badge": (
        "認証バッジを取得してください。",
        "Obtain the platform's verified badge.",
    ),
    "account.rule.outsourcing": (
        "ガイドラインで運用の委託は認められていません。",
        "The guideline does not allow outsourced operation.",
    ),
    "account.rule.manager": ("運用管理者を指定してください。", "Name the operations manager."),
    "account.rule.operator": ("運用担当者を1人以上指定してください。", "Assign at least one operator."),
    "closure.not-a-point": (
        "周知日ではありません（周知日：終了の{points}日前）。",
        "Not an announcement point (the points are {points} days before the end).",
    ),
    "account-password.too-short": ("{limit}文字以上にしてください。", "Use at least {limit} characters."),
    "account-password.missing-classes": ("{classes}を含めてください。", "Include {classes_en}."),
    "account-password.guessable": (
        "推測されやすいパスワードです（よく使われるもの、同じ文字の繰り返し）。",
        "Too easy to guess (a common password, or repeated characters).",
    ),
    "account-password.contains-name": (
        "アカウント名やハンドルを含めないでください。",
        "Do not include the account's name or handle.",
    ),
    "incident.takeover-needs-account": (
        "乗っ取りの報告には対象のアカウントを指定してください。",
        "Name the account taken over.",
    ),
    "incident.warning-needs-fake": (
        "注意喚起を掲載するには、なりすましアカウントの URL を指定してください。",
        "Give the fake account's URL to publish a warning.",
    ),
    "incident.notified-whom": ("誰に連絡したかを指定してください。", "Say who was told."),
    "document.usage_policy": ("利用方針", "usage policy"),
    "document.operations_manual": ("運用マニュアル", "operations manual"),
    "document.account_policy": ("アカウント運用ポリシー", "account policy"),
    # Verification answers, for the people who asked.
    "verify.official": (
        "このアカウントは{agency}の公式アカウントです。",
        "This is an official account of {agency}.",
    ),
    "verify.suspended": (
        "このアカウントは{agency}の公式アカウントですが、現在運用を一時停止しています。停止中の投稿は信用しないでください。",
        "This is an official account of {agency}, but its operation is suspended; do not trust posts made meanwhile.",
    ),
    "verify.closing": (
        "このアカウントは{agency}の公式アカウントですが、{date}に運用を終了します。",
        "This is an official account of {agency}; it closes on {date}.",
    ),
    "verify.formerly_official": (
        "このアカウントはかつて{agency}の公式アカウントでしたが、{date}に運用を終了しました。現在の投稿は{agency}によるものではありません。",
        "This was an official account of {agency} until it closed on {date}; posts now are not from {agency}.",
    ),
    "verify.unknown": (
        "このアカウントは、登録されているどの団体の公式アカウントでもありません。",
        "This account is not an official account of any registered agency.",
    ),
    "verify.impersonation": (
        "{agency}が、このアカウントをなりすましとして注意を呼びかけています。",
        "{agency} warns that this account impersonates it.",
    ),
    # Guideline configuration rules beyond the JSON Schema.
    "guideline.hours-window-order": (
        "開始時刻は終了時刻より前にしてください。",
        "The start time must be before the end time.",
    ),
    "guideline.hours-windows-required": (
        "投稿時間を制限する場合は時間帯を1つ以上指定してください。",
        "Give at least one time window when posting hours are restricted.",
    ),
    "guideline.hours-windows-unused": (
        "投稿時間を制限しない場合は時間帯を指定しないでください。",
        "Leave the windows empty when posting hours are not restricted.",
    ),
    "guideline.approver-required": (
        "承認を必須とする場合は承認者の役割を指定してください。",
        "Name the approving role when approval is required.",
    ),
    "guideline.approver-unused": (
        "承認を必須としない場合は承認者を null にしてください。",
        "Set the approver to null when approval is not required.",
    ),
    "guideline.application-kinds-required": (
        "申請の承認を必須とする場合は対象の申請種別を指定してください。",
        "List the application kinds that need approval.",
    ),
    "guideline.declaration-incomplete": (
        "継続希望の申し出を求める場合は期限・申し出る役割・申し出先を指定してください。",
        "Give the deadline, who declares and to whom when a continuation declaration is required.",
    ),
    "guideline.deadline-date": (
        "{month}月{day}日という日付はありません。",
        "There is no day {day} in month {month}.",
    ),
    "guideline.announcement-period-required": (
        "停止を周知する場合は周知期間（日）を指定してください。",
        "Give the announcement period in days when the stop is announced.",
    ),
    "guideline.announcement-point-beyond-period": (
        "周知日（{days}日前）が周知期間（{period}日）を超えています。",
        "The announcement point ({days} days before) lies beyond the period ({period} days).",
    ),
    "guideline.announcement-points-unused": (
        "停止を周知しない場合は周知日を指定しないでください。",
        "Leave the points empty when the stop is not announced.",
    ),
    "guideline.clause-repeated": (
        "条項「{clause}」が重複しています。",
        "Clause '{clause}' appears more than once.",
    ),
    "guideline.clauses-without-outsourcing": (
        "委託を認めない場合は必要条項を指定しないでください。",
        "Leave the required clauses empty when outsourcing is not allowed.",
    ),
    "guideline.immediate-without-roles": (
        "即時廃止を認める場合は行える役割を指定してください。",
        "Name who may close at once when immediate closure is allowed.",
    ),
    "guideline.items-without-document": (
        "文書を必須としない場合は記載項目を指定しないでください。",
        "Leave the items empty when the document is not required.",
    ),
    "guideline.publish-item-not-in-items": (
        "公表する項目「{item}」が記載項目に含まれていません。",
        "Published item '{item}' is not among the document's items.",
    ),
    # Acknowledgements and training (service/training/).
    "resource.acknowledgement": ("ガイドラインの確認の記録", "acknowledgement"),
    "resource.training-session": ("研修の記録", "training session"),
    "training.held-in-future": (
        "まだ来ていない日の研修は記録できません。実施した日（今日まで）を指定してください。",
        "A session can be recorded once held: give a day no later than today.",
    ),
    "training.until-before-since": (
        "期間の終わり（until）が始まり（since）より前になっています。",
        "The end of the period (until) comes before its start (since).",
    ),
    # Imports (service/imports/).
    "imports.unsupported-media-type": (
        "取込ファイルは application/json か text/csv で送ってください（受け取った形式：{received}）。",
        "Send the import file as application/json or text/csv (received: {received}).",
    ),
    "imports.csv-encoding": (
        "CSV の文字コードを読み取れません。UTF-8 か Shift_JIS で保存してください。",
        "The CSV's character encoding cannot be read: save it as UTF-8 or Shift_JIS.",
    ),
    "imports.csv-empty": ("CSV に見出し行がありません。", "The CSV has no heading row."),
    "imports.csv-missing-column": ("見出し「{column}」の列が必要です。", "A column headed '{column}' is required."),
    "imports.csv-unknown-column": (
        "見出し「{column}」は取込の列ではありません。",
        "'{column}' is not a heading the import reads.",
    ),
    "imports.csv-bad-value": (
        "「{column}」の値「{value}」は使えません（使える値：{allowed}）。",
        "'{value}' is not a value for '{column}' (use one of: {allowed}).",
    ),
    "imports.csv-bad-date": (
        "「{column}」の「{value}」は日付として読めません（例：2024-04-01）。",
        "'{value}' in '{column}' is not a date (for example 2024-04-01).",
    ),
    "imports.unknown-unit": (
        "所属コード「{code}」の所属がありません。先に所属を登録するか、ファイルの units に載せてください。",
        "No unit has the code '{code}': create it first or list it in the file's units.",
    ),
    "imports.unknown-parent": (
        "上位の所属「{code}」がないか、それ自体が下位の所属です。",
        "The parent unit '{code}' does not exist or is itself nested.",
    ),
    "imports.duplicate-unit": ("所属コード「{code}」が二度載っています。", "Unit code '{code}' is listed twice."),
    "imports.duplicate-account": (
        "同じアカウントが {first} 件目にも載っています。",
        "The same account is already listed as entry {first}.",
    ),
    "imports.unknown-user": (
        "「{name}」というログイン ID またはメールアドレスの利用者（有効なもの）がいません。",
        "No active user has the login ID or e-mail address '{name}'.",
    ),
    "imports.held-elsewhere": (
        "このアカウントは {holder} が公式アカウントとして登録しています。",
        "This account is registered as official by {holder}.",
    ),
    "imports.before-opening": (
        "アカウントの開設日より前の日時です。",
        "This is before the account's opening day.",
    ),
    "imports.no-offset": (
        "日時には時差（+09:00 など）を付けてください。",
        "Give the time with its offset (such as +09:00).",
    ),
    # Compliance report (service/compliance/): refusals and one message per finding code.
    "resource.compliance-snapshot": ("保存した遵守状況報告", "saved compliance report"),
    "compliance.as-of-future": ("基準日に未来の日付は指定できません。", "The as-of date cannot be in the future."),
    "compliance.window-days": (
        "集計期間は{min}日から{max}日の間で指定してください。",
        "The window must be between {min} and {max} days.",
    ),
    "compliance.finding.consultation.none": (
        "開設時の協議の記録がありません。",
        "No consultation is on record for the account's opening.",
    ),
    "compliance.finding.document.missing": (
        "必要な文書（{document}）が登録されていません。",
        "The required document ({document}) is not on record.",
    ),
    "compliance.finding.document.incomplete": (
        "文書（{document}）に記載のない項目があります: {items}",
        "The document ({document}) leaves items empty: {items}",
    ),
    "compliance.finding.document.not_disclosed": (
        "アカウント運用ポリシーが公開URLにもアカウント上にも掲載されていません。",
        "The account policy is neither published at a URL nor shown on the account.",
    ),
    "compliance.finding.posting.none": (
        "直近{days}日間に公開した投稿がありません。",
        "Nothing was published in the last {days} days.",
    ),
    "compliance.finding.password.composition_not_met": (
        "最後のパスワード変更が規則を満たすと申告されていません（または変更の記録がありません）。",
        "The latest password change is not attested to meet the policy (or none is recorded).",
    ),
    "compliance.finding.password.not_changed_yearly": (
        "基準日までの1年間にパスワード変更の記録がありません。",
        "No password change is recorded in the year before the as-of date.",
    ),
    "compliance.finding.decision.none": (
        "意思決定の記録がないまま公開した投稿が{posts}件あります。",
        "{posts} published post(s) have no decision on record.",
    ),
    "compliance.finding.monitoring.below": (
        "モニタリングの実績（{actual}）が定められた頻度（{required}）に届いていません。",
        "Monitoring as recorded ({actual}) falls short of the required frequency ({required}).",
    ),
    "compliance.finding.guideline.not_acknowledged": (
        "この所属では、現行のガイドライン（第{version}版）を確認した職員がいません。",
        "Nobody in this unit has acknowledged the guideline in force (version {version}).",
    ),
    "compliance.finding.agreement.clause_missing": (
        "契約（{reference}）に必要な条項（{clause}）の記載がありません。",
        "The agreement ({reference}) does not state the required clause ({clause}).",
    ),
    # Post checks (service/posts/checks.py): one per finding code, filled from the finding's params.
    "post.check.outside_hours": (
        "投稿予定（{local_time}）が投稿できる時間帯（{hours}）の外です。時間帯の中に予定し直してください。",
        "The planned time ({local_time}) is outside the posting hours ({hours}). Plan it within them.",
    ),
    "post.check.outside_days": (
        "投稿予定（{local_time}）が土曜日・日曜日です。投稿できるのは平日だけです。平日に予定し直してください。",
        "The planned time ({local_time}) falls on a weekend; posts go out on weekdays only. Plan it on a weekday.",
    ),
    "post.check.public_holiday": (
        "投稿予定（{local_time}）が国民の祝日・休日です。祝日・休日以外の日に予定し直してください。",
        "The planned time ({local_time}) falls on a public holiday ({holiday}). Plan it on a working day.",
    ),
    "post.check.year_end_holidays": (
        "投稿予定（{local_time}）が年末年始の休み（12月29日〜1月3日）です。休みの後に予定し直してください。",
        "The planned time ({local_time}) falls in the year-end holidays (29 December to 3 January). Plan it after them.",
    ),
    "post.check.emergency_out_of_hours": (
        "投稿できる時間外（{local_time}）の緊急の投稿です。緊急時の例外に当たるか確かめてください。投稿後に承認者へ報告されます。",
        "An emergency post outside the posting hours ({local_time}): check that it is one the exception covers. "
        "It is reported to the approver afterwards.",
    ),
    "post.check.emergency_reason_missing": (
        "投稿できる時間外（{local_time}）に緊急として投稿するには、緊急の理由を記入してください。",
        "To post as an emergency outside the posting hours ({local_time}), give the reason for the emergency.",
    ),
    "post.check.url_shortener": (
        "{host} は URL 短縮サービスです。リンク先が分かるよう、本来の URL を載せてください。",
        "{host} is a URL shortener: give the link's full address, so that readers see where it leads.",
    ),
    "post.check.external_link_unmarked": (
        "{host} は外部サイトです。リンクの近くに「外部サイト」と書き添えてください。",
        '{host} is an outside site: say so next to the link (e.g. with the words "external site").',
    ),
    "post.check.phone_number": (
        "電話番号（{number}）があります。団体が公開している問い合わせ先か確かめてください。個人の番号は載せられません。",
        "A telephone number ({number}): check that it is the agency's public contact number. "
        "A person's own number may not be posted.",
    ),
    "post.check.mobile_phone_number": (
        "携帯電話の番号（{number}）があります。個人の番号は載せず、団体の問い合わせ先を案内してください。",
        "A mobile number ({number}): do not post a person's own number; give the agency's contact instead.",
    ),
    "post.check.email_address": (
        "メールアドレス（{address}）があります。団体が公開しているアドレスか確かめてください。個人のアドレスは載せられません。",
        "An e-mail address ({address}): check that it is one the agency publishes. "
        "A person's own address may not be posted.",
    ),
    "post.check.mobile_email_address": (
        "携帯電話のメールアドレス（{address}）があります。個人のアドレスは載せず、団体の問い合わせ先を案内してください。",
        "A mobile phone's e-mail address ({address}): do not post a person's own address; "
        "give the agency's contact instead.",
    ),
    "post.check.postal_address": (
        "郵便番号付きの住所（〒{postal_code}）があります。施設や団体の公開している所在地か確かめてください。"
        "個人の住所は載せられません。",
        "An address with its postal code ({postal_code}): check that it is a facility's or the agency's public "
        "address. A person's own address may not be posted.",
    ),
    "post.check.my_number": (
        "個人番号（マイナンバー）とみられる12桁の番号があります。個人番号は投稿できません。削除してください。",
        "A 12-digit number that looks like an individual number (My Number), which may never be posted: remove it.",
    ),
    "post.check.location_identifying": (
        "日時と場所が一緒に書かれています。人がいつどこにいるかが分かる内容になっていないか確かめてください"
        "（公開行事の案内は差し支えありません）。",
        "A date or time and a place together: check that the post does not tell when and where people will be "
        "(announcing a public event is fine).",
    ),
    "post.check.machine_dependent_characters": (
        "「{chars}」は機種依存文字で、環境によって正しく表示・読み上げされません。「{suggestion}」などに書き換えてください。",
        '"{chars}": machine-dependent characters, which some devices do not show or read out correctly. '
        'Write "{suggestion}" or similar instead.',
    ),
    "post.check.x_text_too_long": (
        "X の文字数の上限を超えています（{length}／{limit}。全角文字は2、URL は長さによらず23と数えます）。短くしてください。",
        "Too long for X: {length} of {limit} (a full-width character counts 2, a URL 23 whatever its length). "
        "Shorten it.",
    ),
    "post.check.text_too_long": (
        "{platform} の文字数の上限を超えています（{length}／{limit}文字）。短くしてください。",
        "Too long for {platform}: {length} of {limit} characters. Shorten it.",
    ),
    "post.check.youtube_text_too_long": (
        "{platform} の説明文の上限を超えています（{length}／{limit}バイト。全角文字は1文字3バイトです）。短くしてください。",
        "Too long for a {platform} description: {length} of {limit} bytes (a full-width character takes 3). "
        "Shorten it.",
    ),
    "post.check.reply_not_allowed": (
        "この団体の規程では、他のアカウントへの返信は行いません。",
        "The tenant's rules make no replies to other accounts.",
    ),
    "post.check.repost_not_allowed": (
        "この団体の規程では、他のアカウントの投稿のリポスト（引用を含む）は行いません。",
        "The tenant's rules make no reposts (quotes included) of other accounts' posts.",
    ),
    "post.check.follow_not_allowed": (
        "この団体の規程では、他のアカウントのフォローは行いません。",
        "The tenant's rules follow no other accounts.",
    ),
    "post.check.reply_case_by_case": (
        "返信は都度判断とされています。返信してよいか承認者が判断します。",
        "Replies are decided case by case: the approver decides whether to reply.",
    ),
    "post.check.repost_case_by_case": (
        "リポスト（引用を含む）は都度判断とされています。元の投稿の内容を確かめ、承認者が判断します。",
        "Reposts (quotes included) are decided case by case: check the original post; the approver decides.",
    ),
    "post.check.follow_case_by_case": (
        "フォローは都度判断とされています。フォローしてよいか承認者が判断します。",
        "Follows are decided case by case: the approver decides whether to follow.",
    ),
    "post.check.repost_exception": (
        "{source} は政府機関・地方公共団体の発信のため、例外としてリポストできます。{role_title}の判断が必要です。",
        "{source} is a government or local-government source and may be reposted as an exception, "
        "on the decision of the {role_title}.",
    ),
    "post.check.source_missing": (
        "返信・リポスト・引用・フォローの相手のアカウントを指定してください。",
        "Name the account this reply, repost, quote or follow concerns.",
    ),
    "post.check.category_missing": (
        "この団体では発信できる情報の種類が決まっています。投稿の種類を選んでください。",
        "The tenant posts only some kinds of content: choose the post's category.",
    ),
    "post.check.category_not_allowed": (
        "種類「{category}」はこの団体で発信できる情報に含まれていません。",
        "Category '{category}' is not among the kinds of content the tenant posts.",
    ),
    "post.check.photo_consent_missing": (
        "人物が写っています。写っている人の掲載の承諾を得て、その旨を記録してください。",
        "People appear in it: obtain their consent to its publication and record it.",
    ),
    "post.check.venue_permission_missing": (
        "施設内や他の主催者の催しで撮影されています。撮影・掲載について施設・主催者の許可を得て、その旨を記録してください。",
        "Taken at a commercial venue or an event the agency does not host: obtain the venue's or organiser's "
        "permission to take and publish it, and record it.",
    ),
    "post.check.quotation_source_missing": (
        "引用を含む投稿です。引用元（出所）を記入してください。",
        "The post quotes: name where the quotation comes from.",
    ),
}


def text(key: str, lang: Lang, **params: object) -> str:
    """The message for `key` in `lang`, with its placeholders filled."""
    ja, en = MESSAGES[key]
    template = ja if lang == "ja" else en
    return template.format(**params) if params else template
