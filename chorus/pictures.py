"""Reading an uploaded picture's real format and size from its bytes, for the media library and the logo."""

from PIL import Image, UnidentifiedImageError


class UnreadablePicture(ValueError):
    """The bytes are not a picture Pillow can read, or one too large to decode safely."""


def read_picture(uploaded_file) -> tuple[str, int, int]:
    """Pillow's name of the format ("PNG", "JPEG", …), width and height: the browser's content type and the file
    name prove nothing. The file is left at its start for whoever saves it."""
    try:
        uploaded_file.seek(0)
        with Image.open(uploaded_file) as image:
            image.verify()
            return image.format, *image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadablePicture(str(exc)) from exc
    finally:
        uploaded_file.seek(0)
