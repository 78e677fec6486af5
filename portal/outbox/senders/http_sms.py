"""Any HTTP SMS gateway, described by settings instead of code (operators' and aggregators' APIs all
take a POST with a number, a text and a key, and answer with a status field):

- `portal.sms.http.url`: where to POST, e.g. `https://sms.example.cn/v1/send`;
- `portal.sms.http.format`: `json` (default) or `form`, the body's encoding;
- `portal.sms.http.auth_header` (e.g. `Authorization`) and `portal.sms.http.auth_value`
  (`PORTAL_SMS_HTTP_AUTH`, a secret, e.g. `Bearer …`): a header carrying the key;
- `portal.sms.http.fields`: our field = the gateway's name, e.g. `to=mobile text=content`; ours are
  `to`, `text`, `template`, `params` (a JSON object) and `locale`; default `to=to text=text`;
- `portal.sms.http.extra`: constant fields sent with every message, e.g. `sign=safety-portal`;
- `portal.sms.http.success`: a field of the JSON answer and the value that means "taken", e.g.
  `code=0` or `result.status=OK`; empty: any 2xx;
- `portal.sms.http.timeout_seconds`: the whole exchange (10).

A 2xx answer that fails the check, any other status, a timeout or a refused connection raises
GatewayError: the outbox tries again later with a growing pause. The error says the status and the
field's value, never the answer's body (gateways echo the number and the text)."""
import json
import urllib.error
import urllib.parse
import urllib.request

from portal.outbox.senders import Outgoing


class GatewayError(Exception):
    """The gateway did not take the message (the outbox tries again later)."""


def _pairs(text: str) -> dict:
    pairs = {}
    for token in (text or "").split():
        name, sep, value = token.partition("=")
        if not sep or not name:
            raise ValueError(f"expected name=value, got {token!r}")
        pairs[name] = value
    return pairs


def _field(answer, path: str):
    for part in path.split("."):
        if not isinstance(answer, dict) or part not in answer:
            return None
        answer = answer[part]
    return answer


class HttpSmsSender:
    def __init__(self, settings):
        self.url = (settings.get("portal.sms.http.url") or "").strip()
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("portal.sms.http.url must be the gateway's http(s) address")
        self.format = (settings.get("portal.sms.http.format") or "json").strip()
        if self.format not in ("json", "form"):
            raise ValueError("portal.sms.http.format is json or form")
        self.auth_header = (settings.get("portal.sms.http.auth_header") or "").strip()
        self.auth_value = (settings.get("portal.sms.http.auth_value") or "").strip()
        self.fields = _pairs(settings.get("portal.sms.http.fields") or "to=to text=text")
        if set(self.fields) - {"to", "text", "template", "params", "locale"} or "to" not in self.fields \
                or not {"text", "template"} & set(self.fields):
            raise ValueError("portal.sms.http.fields maps to and text (or template), and may map params, locale")
        self.extra = _pairs(settings.get("portal.sms.http.extra") or "")
        check = (settings.get("portal.sms.http.success") or "").strip()
        self.success = check.partition("=")[::2] if check else None
        self.timeout = float(settings.get("portal.sms.http.timeout_seconds") or 10)

    def _body(self, message: Outgoing) -> tuple[bytes, str]:
        ours = {"to": message.recipient, "text": message.body, "template": message.template,
                "params": message.params, "locale": message.locale}
        data = dict(self.extra, **{theirs: ours[name] for name, theirs in self.fields.items()})
        if self.format == "json":
            return json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        flat = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in data.items()}
        return urllib.parse.urlencode(flat).encode(), "application/x-www-form-urlencoded; charset=utf-8"

    def send(self, message: Outgoing) -> None:
        body, content_type = self._body(message)
        request = urllib.request.Request(self.url, data=body, method="POST",  # noqa: S310 - http(s) checked above
                                         headers={"Content-Type": content_type, "Accept": "application/json"})
        if self.auth_header:
            request.add_header(self.auth_header, self.auth_value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - a configured URL
                status, answer = response.status, response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GatewayError(f"no answer ({type(getattr(exc, 'reason', exc)).__name__})") from None
        if not 200 <= status < 300:
            raise GatewayError(f"HTTP {status}")
        if self.success is None:
            return
        path, expected = self.success
        try:
            value = _field(json.loads(answer), path)
        except ValueError:
            raise GatewayError(f"HTTP {status}, an answer that is not JSON") from None
        if str(value) != expected:
            raise GatewayError(f"HTTP {status}, {path}={str(value)[:40]}")
