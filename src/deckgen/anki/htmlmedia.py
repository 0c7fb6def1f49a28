"""Find the media files that HTML card text (`format: html`) names, the way Anki finds them.

HTML text is passed to Anki unchanged, so its references are names in Anki's media folder:
`<img src="x.png">` (and audio, video, object) and `[sound:x.mp3]`. Web addresses are not
media files and are left alone.
"""

from __future__ import annotations

import html
import re

from deckgen.model import MediaRef
from deckgen.problems import Location

# As Anki finds them: a media tag, then its src/data attribute, quoted or not.
_TAG_REF = re.compile(
    r"""<\b(?:img|audio|video|object)\b(?:[^>]|"[^"]+?"|'[^']+?')+?\b(?:src|data)\b="""
    r"""(?:"([^"]+?)"|'([^']+?)'|([^\s>]+))[^>]*>""",
    re.IGNORECASE | re.DOTALL,
)
_SOUND_REF = re.compile(r"\[sound:(.+?)\]")
_REMOTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|//")


def html_media_names(text: str) -> list[tuple[str, str]]:
    """Return (kind, name) for each local media file HTML text names, in order, once each."""
    if "<" not in text and "[sound:" not in text:
        return []
    found = [("image", next(g for g in m.groups() if g)) for m in _TAG_REF.finditer(text)]
    found += [("sound", m.group(1)) for m in _SOUND_REF.finditer(text)]
    names = [(kind, html.unescape(name).strip()) for kind, name in found]
    return list(dict.fromkeys((k, n) for k, n in names if n and not _REMOTE.match(n)))


def html_media_refs(text: str, card_file: str, where: Location) -> tuple[MediaRef, ...]:
    """Return the media references of one HTML text, to bundle under the names it uses."""
    return tuple(MediaRef(kind, name, card_file, where, verbatim=True)  # type: ignore[arg-type]
                 for kind, name in html_media_names(text))
