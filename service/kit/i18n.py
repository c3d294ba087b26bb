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
    "resource.post": ("投稿記録", "post record"),
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
    "incident.kind-not-handled": (
        "この種類のトラブルはガイドラインの対象外です（対象：{kinds}）。",
        "The guideline handles no incidents of this kind (it handles: {kinds}).",
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
}


def text(key: str, lang: Lang, **params: object) -> str:
    """The message for `key` in `lang`, with its placeholders filled."""
    ja, en = MESSAGES[key]
    template = ja if lang == "ja" else en
    return template.format(**params) if params else template
