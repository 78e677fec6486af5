"""How a thread line reads, and how retention empties it.

System lines are stored as their msgid with parameters (`AlarmMessage.params`) and translated when
shown, so each side reads its language and a personal value in them (a trip's destination, its plate,
a guardian's name) can be blanked later without touching the rest of the line. A parameter may itself
be a line: {"msgid": ..., "mapping": {...}}."""
from portal.core.i18n import _

# What a blanked parameter or an emptied line says.
DELETED = _("(deleted after the retention period)")
DELETED_VALUE = {"msgid": str(DELETED)}


def as_params(mapping) -> dict | None:
    """A TranslationString mapping as JSON: nested translation strings become {"msgid", "mapping"}."""
    if not mapping:
        return None
    return {key: ({"msgid": str(value), "mapping": as_params(getattr(value, "mapping", None))}
                  if hasattr(value, "mapping") else value) for key, value in mapping.items()}


def _mapping(translate, params) -> dict | None:
    if not params:
        return None
    return {key: (translate(_(value["msgid"], mapping=_mapping(translate, value.get("mapping"))))
                  if isinstance(value, dict) and "msgid" in value else value) for key, value in params.items()}


def text_of(request, message) -> str:
    """What a thread line says in the reader's language (a line emptied by retention says so)."""
    translate = request.localizer.translate
    if message.sender == "system":
        return translate(_(message.text, mapping=_mapping(translate, message.params)))
    if not message.text and message.media_id is None:
        return translate(DELETED)
    return message.text


def blanked(params, keys) -> dict | None:
    """`params` with the values under `keys` (at any depth) replaced by DELETED_VALUE: a new dict, so
    the JSON column sees the change."""
    if not params:
        return params
    out = {}
    for key, value in params.items():
        if key in keys:
            out[key] = DELETED_VALUE
        elif isinstance(value, dict) and "msgid" in value:
            out[key] = {**value, "mapping": blanked(value.get("mapping"), keys)}
        else:
            out[key] = value
    return out


def guardian_label(request, message) -> str:
    """How the traveller named the guardian who wrote a line (blanked when the trip is purged)."""
    value = (message.params or {}).get("label", "")
    if isinstance(value, dict) and "msgid" in value:
        return request.localizer.translate(_(value["msgid"]))
    return str(value)
