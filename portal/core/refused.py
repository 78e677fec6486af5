"""One refusal for everything a person or an officer asks that the rules do not allow.

`message` is a translation string for the person; `status` the HTTP answer (400 what was sent is
wrong or incomplete, 403 not theirs to do, 409 the object is not in a state for it or changed
meanwhile, 429 too many); `field` the form field it is about, if any. A form view catches it and
shows the form again, filled in, with the message (core/forms.py FormView); anywhere else the one
exception view in core/errors.py answers with an error page or, for JSON clients, JSON."""


class Refused(Exception):
    def __init__(self, message, status: int = 400, field: str | None = None):
        # The English text with its values filled in, for logs and tests; pages translate `message`.
        super().__init__(message.interpolate() if hasattr(message, "interpolate") else str(message))
        self.message, self.status, self.field = message, status, field
