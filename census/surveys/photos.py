"""A photo answer: sent as a data URL, checked by its content, kept as a file named in the record.

The tablet sends ``data:image/jpeg;base64,…`` (resized in the browser, kept in the outbox
until it goes); the record keeps only the file's name (``<32 hex>.jpg``) and the store's
media keeps the bytes (``Store.media``). An edit sends the name back, which stays as it is.
What is refused: more than ``MAX_PHOTO_BYTES`` once decoded, anything Pillow does not read
as a JPEG or PNG, and pictures of more than ``MAX_PIXELS`` pixels. The place where a photo
was taken (EXIF GPS) is taken out unless the question keeps it (``keep_location``, from
the XLSForm's ``parameters`` column: ``keep-location=yes``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import re
import uuid
import warnings
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from census.domain.problems import Problem

if TYPE_CHECKING:
    from census.store.media import Media
    from census.surveys.definition import FieldDef

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel camera; more is a decompression bomb, not a photo
STORED = re.compile(r"[0-9a-f]{32}\.(jpg|png)")
_DATA_URL = re.compile(r"data:image/(jpeg|jpg|png);base64,", re.IGNORECASE)
_GPS_IFD = 0x8825
_SUFFIX = {"JPEG": "jpg", "PNG": "png"}


class Photo(str):
    """A new photo's file name, carrying its checked bytes until the save stores them."""

    content: bytes

    def __new__(cls, name: str, content: bytes) -> Photo:
        made = super().__new__(cls, name)
        made.content = content
        return made


def read_photo(value: Any, path: str, out: list[Problem], *, keep_location: bool) -> Any:
    """A photo answer as the record keeps it: a stored name as it is, a data URL as a Photo."""
    text = str(value).strip()
    if STORED.fullmatch(text):
        return text
    found = _DATA_URL.match(text)
    if not found:
        out.append(Problem("photo_invalid", path))
        return None
    # base64 is 4 characters for 3 bytes: a text this long cannot be small enough
    if (len(text) - found.end()) * 3 // 4 > MAX_PHOTO_BYTES + 3:
        out.append(Problem("photo_too_large", path, {"max": MAX_PHOTO_BYTES // (1024 * 1024)}))
        return None
    try:
        data = base64.b64decode(text[found.end() :], validate=True)
    except (binascii.Error, ValueError):
        out.append(Problem("photo_invalid", path))
        return None
    if len(data) > MAX_PHOTO_BYTES:
        out.append(Problem("photo_too_large", path, {"max": MAX_PHOTO_BYTES // (1024 * 1024)}))
        return None
    checked = _checked(data, keep_location)
    if checked is None:
        out.append(Problem("photo_invalid", path))
        return None
    content, suffix = checked
    return Photo(f"{uuid.uuid4().hex}.{suffix}", content)


def _checked(data: bytes, keep_location: bool) -> tuple[bytes, str] | None:
    """(bytes to keep, suffix) of a JPEG or PNG Pillow reads whole, its GPS taken out."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                if kind not in _SUFFIX or image.width * image.height > MAX_PIXELS:
                    return None
                image.load()  # the whole picture decodes, not just its header
                exif = image.getexif()
                if keep_location or _GPS_IFD not in exif:
                    return data, _SUFFIX[kind]
                del exif[_GPS_IFD]
                out = io.BytesIO()
                if kind == "JPEG":
                    # quality "keep": the same quantisation tables, no visible loss
                    image.save(out, "JPEG", quality="keep", exif=exif.tobytes())
                else:
                    image.save(out, "PNG", exif=exif.tobytes())
                return out.getvalue(), _SUFFIX[kind]
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Warning):
        return None
    except Image.DecompressionBombError:
        return None


def read_new_photos(fields: Sequence[FieldDef], raw: Mapping[str, Any]) -> dict[str, Any]:
    """A body as sent with each new photo (a data URL of a photo question) read as a Photo,
    at any depth of its repeats: what is kept aside (a conflict) keeps files, not base64.
    A data URL that does not read as a photo stays as sent (the save refuses it)."""
    out = dict(raw)
    for f in fields:
        value = raw.get(f.key)
        if f.type == "image" and isinstance(value, str) and _DATA_URL.match(value.strip()):
            photo = read_photo(value, f.key, [], keep_location=f.keep_location)
            if isinstance(photo, Photo):
                out[f.key] = photo
        elif f.type == "repeat" and isinstance(value, list):
            out[f.key] = [read_new_photos(f.fields, i) if isinstance(i, dict) else i for i in value]
    return out


def new_photos(record: dict[str, Any]) -> list[Photo]:
    """The new photos of a cleaned record, at any depth of its repeats."""
    found: list[Photo] = []
    for value in record.values():
        if isinstance(value, Photo):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    found += new_photos(item)
    return found


def photo_names(record: dict[str, Any]) -> set[str]:
    """Every photo file a stored record names, at any depth of its repeats."""
    found: set[str] = set()
    for value in record.values():
        if isinstance(value, str) and STORED.fullmatch(value):
            found.add(str(value))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    found |= photo_names(item)
    return found


def as_plain(record: dict[str, Any]) -> dict[str, Any]:
    """The record with each Photo as its plain name (what the store keeps)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, Photo):
            out[key] = str.__str__(value)
        elif isinstance(value, list):
            out[key] = [as_plain(i) if isinstance(i, dict) else i for i in value]
        else:
            out[key] = value
    return out


class PhotoWrites:
    """A save's new photos, written into media and taken out again if the save fails.

    ``with PhotoWrites(media, folder, photos) as written, store.atomic(): written.put()``:
    the files are written inside the record's block (with PostgreSQL in its transaction),
    and when the block leaves with an error (a full disk at the journal's write, an edit
    from an old revision, a uuid stored meanwhile) or the save gives up (``take_back``),
    they go again. With TinyDB a file is on disk as soon as it is written, so without this
    media/ would keep photos that no record names.
    """

    def __init__(self, media: Media, folder: str, photos: list[Photo]) -> None:
        self.media, self.folder = media, folder
        self.photos = [(str.__str__(p), p.content) for p in photos]
        self.written: list[str] = []

    def __enter__(self) -> PhotoWrites:
        return self

    def put(self) -> None:
        """Write each new photo (a file cut short by a full disk is removed by media.put)."""
        for name, content in self.photos:
            self.media.put(self.folder, name, content)
            self.written.append(name)

    def take_back(self) -> None:
        """Remove what was written: the save is not stored. Never raises (the save's own
        error is what the user needs to hear)."""
        for name in self.written:
            with contextlib.suppress(Exception):
                self.media.delete(self.folder, name)
        self.written = []

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self.take_back()
