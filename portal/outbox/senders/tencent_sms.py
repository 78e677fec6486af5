"""Tencent Cloud SMS (腾讯云短信) through its official SDK. Mainland SMS goes out only as templates
approved in the console under an approved signature, so each message template (outbox/templates.py)
needs the id of its approved twin, per language:

- `portal.sms.tencent.secret_id`, `.secret_key` (`PORTAL_SMS_TENCENT_SECRET_ID`, `_KEY`): an API key
  of a sub-account allowed `sms:SendSms` only;
- `portal.sms.tencent.sdk_app_id`: the SMS application (SdkAppId);
- `portal.sms.tencent.sign_name`: the approved signature, e.g. `某某市公安局`;
- `portal.sms.tencent.templates`: one per line: `<template name> <language> <template id>`, e.g.
  `trip.overdue zh_CN 1234567`; a language without its own id uses the zh_CN one;
- `portal.sms.tencent.region`: `ap-guangzhou` (default), `ap-beijing`, `ap-nanjing`;
- `portal.sms.tencent.endpoint`, `.scheme`: another endpoint (a private one, or the tests'
  stand-in).

Codes that retrying cannot fix (a template not approved, a number refused or black-listed, an
unknown signature) give the message up at once; any other failure is tried again later."""
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from portal.outbox.senders import GiveUp, Outgoing
from portal.outbox.templates import TEMPLATES

FALLBACK_LOCALE = "zh_CN"
# Tencent's error codes after which no retry can succeed as things stand.
HOPELESS = ("FailedOperation.TemplateIncorrectOrUnapproved", "FailedOperation.SignatureIncorrectOrUnapproved",
            "FailedOperation.PhoneNumberInBlacklist", "FailedOperation.PhoneNumberParseFail",
            "InvalidParameterValue.IncorrectPhoneNumber", "InvalidParameterValue.TemplateParameterFormatError",
            "InvalidParameterValue.TemplateParameterLengthLimit", "UnsupportedOperation.")


class TencentError(Exception):
    """Tencent did not take the message (tried again later)."""


def _hopeless(code: str) -> bool:
    return any(code.startswith(prefix) for prefix in HOPELESS)


def e164(number: str) -> str:
    """Tencent wants +86 before a mainland number."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.strip().startswith("+"):
        return "+" + digits
    return "+86" + digits[-11:] if len(digits) >= 11 and digits[-11] == "1" else "+" + digits


def _template_ids(text: str) -> dict:
    ids = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not parts[2].isdigit():
            raise ValueError("portal.sms.tencent.templates: one '<name> <language> <id>' per line")
        ids[(parts[0], parts[1])] = parts[2]
    return ids


class TencentSmsSender:
    def __init__(self, settings):
        def setting(name, default=""):
            return (settings.get(f"portal.sms.tencent.{name}") or default).strip()

        self.app_id, self.sign_name = setting("sdk_app_id"), setting("sign_name")
        secret_id, secret_key = setting("secret_id"), setting("secret_key")
        if not (self.app_id and self.sign_name and secret_id and secret_key):
            raise ValueError("portal.sms.tencent needs secret_id, secret_key, sdk_app_id and sign_name")
        self.template_ids = _template_ids(settings.get("portal.sms.tencent.templates") or "")
        http = HttpProfile(protocol=setting("scheme") or None, endpoint=setting("endpoint") or None,
                           reqTimeout=int(float(setting("timeout_seconds", "10"))))
        self.client = sms_client.SmsClient(credential.Credential(secret_id, secret_key),
                                           setting("region", "ap-guangzhou"), ClientProfile(httpProfile=http))

    def template_id(self, message: Outgoing) -> str:
        found = self.template_ids.get((message.template, message.locale)) \
            or self.template_ids.get((message.template, FALLBACK_LOCALE))
        if not message.template or message.template not in TEMPLATES:
            raise GiveUp("Tencent Cloud sends approved templates only, and this message has none")
        if found is None:
            raise GiveUp(f"no Tencent template id for {message.template}")
        return found

    def send(self, message: Outgoing) -> None:
        if message.channel != "sms":
            raise GiveUp("Tencent Cloud SMS sends text messages only")
        request = models.SendSmsRequest()
        request.SmsSdkAppId, request.SignName = self.app_id, self.sign_name
        request.TemplateId = self.template_id(message)
        request.PhoneNumberSet = [e164(message.recipient)]
        request.TemplateParamSet = [str(message.params[name]) for name in TEMPLATES[message.template].values]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "no answer"
            raise (GiveUp if _hopeless(code) else TencentError)(f"Tencent {code}") from None
        statuses = response.SendStatusSet or []
        code = statuses[0].Code if statuses else "no status"
        if code != "Ok":
            raise (GiveUp if _hopeless(code) else TencentError)(f"Tencent {code}")
