"""A stand-in for Anki with the AnkiConnect add-on: its HTTP API on a real backend collection.

It follows AnkiConnect's README for API version 6 (FooSoft/anki-connect, its last GitHub
revision, October 2023; later development moved to git.sr.ht/~foosoft/anki-connect), and
the add-on's code of that revision where the README leaves a shape open. It implements only
the actions deckgen uses, with the request and answer shapes documented there:

    version, multi, importPackage, findNotes, notesInfo, findCards, cardsInfo, changeDeck,
    suspend, unsuspend, areSuspended, addTags, removeTags, deleteNotes, createDeck,
    deckNames, modelNamesAndIds, updateNoteFields

A request is `{"action", "version", "params"?, "key"?}`; the answer `{"result", "error"}`
(a success at version 4 and below answers the bare result, as documented; a request without
`version` is version 4). An unknown action answers the error "unsupported action", a wrong
key "valid api key must be provided", a body that is not such an object a validation error,
and an empty body the text "AnkiConnect v.6", as the add-on's web server does. Every change
is made with Anki's backend on a real `Collection`, as the add-on does in Anki's process.

Where it deliberately differs from the add-on:

- `importPackage`: the add-on resolves `path` against the collection's media folder (so an
  absolute path is used as is) and runs `anki.importing.AnkiPackageImporter`, which current
  Anki implements as the new importer with merge_notetypes, with_scheduling and
  with_deck_configs set and notes and note types updated only if newer. The double calls that
  importer with those options itself, without the deprecated shim. deckgen always sends
  absolute paths.
- `notesInfo` answers the documented keys plus `cards` (the README's prose and the add-on
  list the note's card ids; its sample omits them), and no `mod`: the README has none.
- `cardsInfo` answers the keys of the README's sample (so no `factor`); `question` and
  `answer` are rendered by the backend, without the add-on's extra styling.
- `changeDeck` uses the backend's `set_deck` rather than the add-on's direct SQL update:
  the same outcome (filtered cards returned home first, scheduling untouched), with the
  backend's bookkeeping of modification times.
- `unsuspend` answers true/false as the README says (the add-on's code answers null).
- One request at a time, on 127.0.0.1 and an ephemeral port; no CORS, no GUI, no GET page.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Callable

from anki.collection import Collection
from anki.errors import NotFoundError
from anki.import_export_pb2 import (
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportAnkiPackageUpdateCondition,
)

API_VERSION = 6
_IF_NEWER = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER


def _validate(request: Any) -> None:
    """The add-on's request schema: an object with a non-empty string action."""
    if not isinstance(request, dict):
        raise ValueError(f"{request!r} is not of type 'object'")
    if not isinstance(request.get("action"), str) or not request["action"]:
        raise ValueError("'action' is a required property and a non-empty string")
    if "version" in request and not isinstance(request["version"], int):
        raise ValueError(f"{request['version']!r} is not of type 'integer'")
    if "params" in request and not isinstance(request["params"], dict):
        raise ValueError(f"{request['params']!r} is not of type 'object'")


class AnkiConnectDouble:
    """Serve AnkiConnect's API for one open collection until `stop()`.

    Use as a context manager; `url` is where to send requests, `requests` what was asked.
    """

    def __init__(self, col: Collection, *, api_key: str | None = None) -> None:
        self.col = col
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._actions: dict[str, Callable[..., Any]] = {
            name: getattr(self, name)
            for name in (
                "version",
                "multi",
                "importPackage",
                "findNotes",
                "notesInfo",
                "findCards",
                "cardsInfo",
                "changeDeck",
                "suspend",
                "unsuspend",
                "areSuspended",
                "addTags",
                "removeTags",
                "deleteNotes",
                "createDeck",
                "deckNames",
                "modelNamesAndIds",
                "updateNoteFields",
            )
        }

    # Serving

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AnkiConnectDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not raw:
                    body = f"AnkiConnect v.{API_VERSION}".encode()
                else:
                    try:
                        request = json.loads(raw)
                        _validate(request)
                    except ValueError as error:
                        reply: Any = {"result": None, "error": str(error)}
                    else:
                        reply = double.handle(request)
                    body = json.dumps(reply).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="ankiconnect-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join()
            self._server = None

    def __enter__(self) -> AnkiConnectDouble:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def handle(self, request: dict[str, Any]) -> Any:
        """Answer one request as the add-on's handler does."""
        self.requests.append(request)
        name = request.get("action", "")
        version = request.get("version", 4)
        params = request.get("params", {})
        try:
            if request.get("key") != self.api_key:
                raise Exception("valid api key must be provided")
            action = self._actions.get(name)
            if action is None:
                raise Exception("unsupported action")
            result = action(**params)
        except Exception as error:  # noqa: BLE001 - every failure is an answer
            return {"result": None, "error": str(error)}
        return result if version <= 4 else {"result": result, "error": None}

    # Miscellaneous actions

    def version(self) -> int:
        return API_VERSION

    def multi(self, actions: list[dict[str, Any]]) -> list[Any]:
        # Each inner action is answered as a request of its own: it needs its own key.
        return [self.handle(action) for action in actions]

    def importPackage(self, path: str) -> bool:  # noqa: N802 - the API's names
        full = os.path.join(self.col.media.dir(), path)
        options = ImportAnkiPackageOptions(
            merge_notetypes=True,
            update_notes=_IF_NEWER,
            update_notetypes=_IF_NEWER,
            with_scheduling=True,
            with_deck_configs=True,
        )
        self.col.import_anki_package(ImportAnkiPackageRequest(package_path=full, options=options))
        return True

    # Deck actions

    def deckNames(self) -> list[str]:  # noqa: N802
        return [deck.name for deck in self.col.decks.all_names_and_ids()]

    def createDeck(self, deck: str) -> int:  # noqa: N802
        return int(self.col.decks.id(deck, create=True))

    def changeDeck(self, cards: list[int], deck: str) -> None:  # noqa: N802
        did = self.col.decks.id(deck, create=True)
        self.col.set_deck(cards, did)

    # Model actions

    def modelNamesAndIds(self) -> dict[str, int]:  # noqa: N802
        return {model.name: int(model.id) for model in self.col.models.all_names_and_ids()}

    # Note actions

    def findNotes(self, query: str | None = None) -> list[int]:  # noqa: N802
        return [] if query is None else [int(nid) for nid in self.col.find_notes(query)]

    def notesInfo(self, notes: list[int]) -> list[dict[str, Any]]:  # noqa: N802
        result: list[dict[str, Any]] = []
        for nid in notes:
            try:
                note = self.col.get_note(nid)
            except NotFoundError:
                result.append({})
                continue
            model = note.note_type()
            result.append(
                {
                    "noteId": note.id,
                    "tags": list(note.tags),
                    "fields": self._fields(model, note),
                    "modelName": model["name"],
                    "cards": self.col.db.list("select id from cards where nid = ? order by ord", note.id),
                }
            )
        return result

    def addTags(self, notes: list[int], tags: str) -> None:  # noqa: N802
        self.col.tags.bulk_add(notes, tags)

    def removeTags(self, notes: list[int], tags: str) -> None:  # noqa: N802
        self.col.tags.bulk_remove(notes, tags)

    def deleteNotes(self, notes: list[int]) -> None:  # noqa: N802
        self.col.remove_notes(notes)

    def updateNoteFields(self, note: dict[str, Any]) -> None:  # noqa: N802
        existing = self.col.get_note(note["id"])
        for name, value in note["fields"].items():
            if name in existing:
                existing[name] = value
        self.col.update_note(existing)

    # Card actions

    def findCards(self, query: str | None = None) -> list[int]:  # noqa: N802
        return [] if query is None else [int(cid) for cid in self.col.find_cards(query)]

    def cardsInfo(self, cards: list[int]) -> list[dict[str, Any]]:  # noqa: N802
        result: list[dict[str, Any]] = []
        for cid in cards:
            try:
                card = self.col.get_card(cid)
            except NotFoundError:
                result.append({})
                continue
            note = card.note()
            model = note.note_type()
            result.append(
                {
                    "answer": card.answer(),
                    "question": card.question(),
                    "deckName": self.col.decks.name(card.did),
                    "modelName": model["name"],
                    "fieldOrder": card.ord,
                    "fields": self._fields(model, note),
                    "css": model["css"],
                    "cardId": card.id,
                    "interval": card.ivl,
                    "note": card.nid,
                    "ord": card.ord,
                    "type": card.type,
                    "queue": card.queue,
                    "due": card.due,
                    "reps": card.reps,
                    "lapses": card.lapses,
                    "left": card.left,
                    "mod": card.mod,
                }
            )
        return result

    def _suspended(self, cid: int) -> bool:
        return self.col.get_card(cid).queue == -1

    def suspend(self, cards: list[int]) -> bool:
        todo = [cid for cid in cards if not self._suspended(cid)]
        if todo:
            self.col.sched.suspend_cards(todo)
        return bool(todo)

    def unsuspend(self, cards: list[int]) -> bool:
        todo = [cid for cid in cards if self._suspended(cid)]
        if todo:
            self.col.sched.unsuspend_cards(todo)
        return bool(todo)

    def areSuspended(self, cards: list[int]) -> list[bool | None]:  # noqa: N802
        answers: list[bool | None] = []
        for cid in cards:
            try:
                answers.append(self._suspended(cid))
            except NotFoundError:
                answers.append(None)
        return answers

    @staticmethod
    def _fields(model: dict[str, Any], note: Any) -> dict[str, dict[str, Any]]:
        return {field["name"]: {"value": note.fields[field["ord"]], "order": field["ord"]} for field in model["flds"]}
