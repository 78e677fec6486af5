"""The photo field of the public and staff forms, one for all: the files sent (or uploaded ahead by
tus) under the node's name, checked while the rest of the form is validated, so that a refused file
comes back as an ordinary field error with everything else kept and nothing stored."""
import colander

from portal.media.uploads import UploadLimits, UploadRefused, check_photos, chosen_files


class CheckedPhotos(colander.SchemaType):
    """Deserializes to the checked list that `uploads.store_photos` takes."""

    def __init__(self, limits: UploadLimits):
        self.limits = limits

    def serialize(self, node, appstruct):
        return colander.null

    def deserialize(self, node, cstruct):
        request = node.bindings["request"]
        try:
            return check_photos(chosen_files(request, node.name), self.limits)
        except UploadRefused as refused:
            raise colander.Invalid(node, refused.message) from None
