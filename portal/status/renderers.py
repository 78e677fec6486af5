"""Each kind of submission plugs its own /status renderer in here with `status_renderer(subject_type)`:
it gets the receipt's subject id and returns the values for its template (with "template"), or None."""
from portal.core.i18n import _

STATUS_RENDERERS: dict = {}


NOT_FOUND = _("No submission was found for this code. Check the code and try again; it has 16 digits.")


def status_renderer(subject_type: str):
    def register(function):
        STATUS_RENDERERS[subject_type] = function
        return function
    return register
