"""The photo fields of the staff notice forms: new files (checked while the form is validated, so a
refused file comes back as a field error with everything else kept, and nothing is stored), and the
notice's photos as a plain list (templates/deform/notice_photos.pt) where each has an order number
(1 = main photo), alt text and a "remove" box. No JavaScript is needed to reorder."""
from datetime import date

import colander
import deform
from pyramid.threadlocal import get_current_request

from portal.core.i18n import _
from portal.core.localtime import local_today
from portal.core.widgets import PhotoInputWidget
from portal.media.forms import CheckedPhotos
from portal.notices.photos import MAX_ALT, MAX_PHOTOS, PHOTO_LIMITS

MAX_POSITION = 99
LABELS = {
    "position": _("Order (1 = main photo)"),
    "alt": _("Description for people who cannot see the photo (alt text)"),
    "remove": _("Remove from the notice"),
    "taken_on": _("Day the photo was taken (if known)"),
    "main": _("Main photo"),
}
BAD_LIST = _("The list of photos was not sent as the page wrote it. Reload the page and try again.")
BAD_POSITION = _("Give each photo an order number from 1 to ${max}.", mapping={"max": MAX_POSITION})
BAD_DAY = _("Give the day a photo was taken as a date, not in the future (for example 2026-05-31).")
LONG_ALT = _("Keep each description under ${max} characters.", mapping={"max": MAX_ALT})


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _day(node, text: str, cstruct) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    except ValueError:
        day = None
    if day is None or day > local_today() or day.year < 1900:
        raise colander.Invalid(node, BAD_DAY, cstruct)
    return day


class PhotoList(colander.SchemaType):
    """Rows of {"id", "position", "alt", "taken_on", "remove"} as typed; deserializes to ints, text, days
    and bools.
    A photo set (photos.py) serializes to rows numbered 1, 2, ... in its order."""

    def serialize(self, node, appstruct):
        if appstruct is colander.null or not appstruct:
            return []
        return [{"id": str(photo["id"]), "position": str(photo.get("position", n)), "alt": photo.get("alt") or "",
                 "taken_on": str(photo.get("taken_on") or ""), "remove": "1" if photo.get("remove") else ""}
                for n, photo in enumerate(appstruct, start=1)]

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return []
        rows = []
        for row in cstruct:
            ident, position = _text(row.get("id")).strip(), _text(row.get("position")).strip()
            if not ident.isascii() or not ident.isdigit() or len(ident) > 9 or int(ident) == 0:
                raise colander.Invalid(node, BAD_LIST, cstruct)
            if not position.isascii() or not position.isdigit() or not 1 <= int(position) <= MAX_POSITION:
                raise colander.Invalid(node, BAD_POSITION, cstruct)
            alt = _text(row.get("alt")).replace("\x00", "").strip()
            if len(alt) > MAX_ALT:
                raise colander.Invalid(node, LONG_ALT, cstruct)
            taken_on = _day(node, _text(row.get("taken_on")).strip(), cstruct)
            rows.append({"id": int(ident), "position": int(position), "alt": alt, "taken_on": taken_on,
                         "remove": bool(row.get("remove"))})
        if len({row["id"] for row in rows}) != len(rows) or len(rows) > MAX_PHOTOS:
            raise colander.Invalid(node, BAD_LIST, cstruct)
        return rows


class PhotoListWidget(deform.widget.Widget):
    """Renders templates/deform/notice_photos.pt; `thumb_url(id)` gives each photo's staff thumbnail."""

    template = readonly_template = "notice_photos"
    hidden = True  # the template shows its own legend, description and errors

    def __init__(self, thumb_url=None, **kw):
        super().__init__(thumb_url=thumb_url or (lambda media_id: ""), **kw)

    def serialize(self, field, cstruct, **kw):
        values = self.get_template_values(field, cstruct if cstruct is not colander.null else [], kw)
        request = (field.schema.bindings or {}).get("request") or get_current_request()
        translate = request.localizer.translate if request is not None else str
        values["labels"] = {key: translate(text) for key, text in LABELS.items()}
        values["photo_label"] = lambda n: translate(_("Photo ${n}", mapping={"n": n}))
        return field.renderer(self.template, **values)

    def deserialize(self, field, pstruct):
        if pstruct is colander.null:
            return colander.null
        if not isinstance(pstruct, list) or not all(isinstance(row, dict) for row in pstruct):
            raise colander.Invalid(field.schema, BAD_LIST, pstruct)
        return [{key: row.get(key) for key in ("id", "position", "alt", "taken_on", "remove")} for row in pstruct]


def photo_nodes(*, thumb_url=None) -> list[colander.SchemaNode]:
    """The photo fields of a notice form: the notice's photos (edit form only: `thumb_url` given),
    new files and their alt text."""
    nodes = []
    if thumb_url is not None:
        nodes.append(colander.SchemaNode(
            PhotoList(), name="photos", title=_("Photos"), missing=[],
            description=_("The photo numbered 1 is the main photo: it is shown first, on the list of notices, "
                          "on the poster and when the notice is shared."),
            widget=PhotoListWidget(thumb_url=thumb_url)))
    nodes.append(colander.SchemaNode(
        CheckedPhotos(PHOTO_LIMITS), name="new_photos", title=_("Add photos"), missing=[],
        description=_("Up to ${n} photos, JPEG, PNG, WebP or GIF, up to 15 MB each. The public sees a smaller copy "
                      "without the location and camera data of the file; the file itself is kept as evidence.",
                      mapping={"n": MAX_PHOTOS}),
        widget=PhotoInputWidget(max_count=MAX_PHOTOS)))
    nodes.append(colander.SchemaNode(
        colander.String(), name="new_photos_alt", missing="", validator=colander.Length(max=MAX_ALT),
        title=_("Description of the added photos (alt text)"),
        description=_("What the photos show, for people who cannot see them, for example \"The suspect, "
                      "front view\". Left empty, the title is used; change it per photo after saving.")))
    nodes.append(colander.SchemaNode(
        colander.Date(), name="new_photos_taken_on", missing=None, title=_("Day the added photos were taken"),
        description=_("Shown with each photo, so that people know how old the likeness is."),
        validator=_not_future, widget=deform.widget.TextInputWidget(attributes={"type": "date"})))
    return nodes


def _not_future(node, value):
    if value > local_today() or value.year < 1900:
        raise colander.Invalid(node, BAD_DAY)
