"""Each kind of submission plugs its own /status renderer in here with `status_renderer(subject_type)`:
it gets the receipt's subject id and returns the values for its template (with "template"), or None."""
from portal.core.i18n import _

STATUS_RENDERERS: dict = {}
# Per kind: a function (request, subject_id) -> bool that stops the "tell me when something changes"
# messages of the submission a code opens (True when they were on).
MESSAGE_STOPPERS: dict = {}


NOT_FOUND = _("No submission was found for this code. Check the code and try again; it has 16 digits.")


def status_renderer(subject_type: str):
    def register(function):
        STATUS_RENDERERS[subject_type] = function
        return function
    return register


def messages_stopper(subject_type: str):
    def register(function):
        MESSAGE_STOPPERS[subject_type] = function
        return function
    return register
