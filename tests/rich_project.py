"""A project whose cards use Markdown, code, math, cloze, images and sound, with real media files."""

from __future__ import annotations

import io
import struct
import wave
import zlib

from conftest import Project

RICH = r"""
    deck: Rich::Compilers
    cards:
      - id: code
        q: |
          What does this print?

          ```python
          def area(r):
              return 3.14 * r ** 2  # a circle
          print(area(1))
          ```
        a: '`3.14`, that is $\pi r^2$ for $r = 1$'
      - id: math
        q: 'Which identity is $e^{i\pi} + 1 = 0$, and what costs $5 and $10?'
        a: |
          Euler's; in general
          $$e^{i\theta} = \cos\theta + i \sin\theta$$
      - id: diagram
        q: |
          What does this diagram show?

          ![compiler passes](img/diagram.png)
        a: "Three passes [sound:audio/answer.wav]"
      - id: cloze-markdown
        cloze: |
          - *{{c1::Lexing}}* turns text into tokens
          - **{{c2::Parsing}}** builds a tree of $x_{i}$
          - `{{c3::codegen}}` emits code:

          ```python
          def {{c4::emit}}(tree):
              return {{c5::tree.lower()}}
          ```
"""
OTHER = """
    deck: Rich::Other
    cards:
      - id: other-diagram
        q: "A different file that is also called diagram.png: ![other](img/diagram.png)"
        a: Bundled under its own name
"""


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Make a small, valid, single-colour PNG."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def wav(frames: int = 800) -> bytes:
    """Make a short silent WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * frames)
    return buffer.getvalue()


def write_rich(project: Project) -> Project:
    """Fill a project with the rich cards and their media files."""
    project.write("rich.yaml", RICH)
    project.write("other/other.yaml", OTHER)
    for path, data in (("img/diagram.png", png(120, 60, (40, 120, 200))),
                       ("other/img/diagram.png", png(30, 30, (200, 60, 40))),
                       ("audio/answer.wav", wav())):
        target = project.cards / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return project
