"""A user's collection reached through a running Anki and its AnkiConnect add-on (API 6).

Only the standard library: one JSON POST per call to AnkiConnect's single endpoint,
`{"action", "version": 6, "params", "key"?}` answered by `{"result", "error"}`.

AnkiConnect's API (as its README documents it for version 6) lacks some of what the file
backend gives, and this client gets around it like this:

- No GUIDs anywhere, and no search for them: `notes_by_guid` takes the note id deckgen
  gave each GUID, asks `notesInfo` for those ids, and labels what it finds with the GUIDs.
  `notes_by_id` leaves `guid` as None.
- `notesInfo` has no modification time (later add-on versions add `mod`, which is used
  when present); `mod` is None otherwise, so changes must be told by content.
- `notesInfo` names the note type; `modelNamesAndIds` turns the name into its id.
- `cardsInfo` gives a card's *current* deck, the filtered one for a card in a filtered deck.
  The home deck is found by search: `deck:filtered` finds such cards and `deck:"NAME"` also
  matches a card by its home deck, so the deepest deck other than the filtered one (and its
  parents) whose search finds the card is its home. A home deck that is itself a parent
  of the filtered deck is reported as the deepest such parent.
- `importPackage` answers only `true`: no counts (`import_package` returns None). It runs
  Anki's importer with AnkiConnect's fixed options, the ones `DirectCollection` uses.
- There is no backup action (`backup` returns None); the desktop app makes its own.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from deckgen.anki.collection import CollectionCard, CollectionError, CollectionNote, ImportCounts, check_tag

DEFAULT_URL = "http://127.0.0.1:8765"
API_VERSION = 6
_SUSPENDED_QUEUE = -1


class AnkiConnectError(CollectionError):
    """AnkiConnect refused a request or answered with an error."""


class AnkiConnectUnavailable(AnkiConnectError):
    """Nothing answers at AnkiConnect's address: Anki is closed or the add-on is missing."""


def _deck_parents(name: str) -> set[str]:
    parts = name.split("::")
    return {"::".join(parts[:i]) for i in range(1, len(parts))}


def _depth(name: str) -> int:
    return name.count("::")


class AnkiConnectCollection:
    """The `AnkiCollection` operations through AnkiConnect's HTTP API."""

    def __init__(self, url: str = DEFAULT_URL, *, key: str | None = None, timeout: float = 120.0) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout

    def __enter__(self) -> AnkiConnectCollection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # The protocol

    def _request(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {"action": action, "version": API_VERSION}
        if params:
            request["params"] = dict(params)
        if self.key is not None:
            request["key"] = self.key
        return request

    def _post(self, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode("utf-8")
        http = urllib.request.Request(self.url, data=data, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raise AnkiConnectError(f"AnkiConnect at {self.url} answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise AnkiConnectUnavailable(
                f"AnkiConnect is not answering at {self.url} ({reason}): start Anki with the AnkiConnect add-on"
            ) from None
        try:
            return json.loads(text)
        except ValueError:
            raise AnkiConnectError(f"AnkiConnect at {self.url} answered something that is not JSON") from None

    @staticmethod
    def _result(action: str, reply: Any) -> Any:
        if not isinstance(reply, dict) or set(reply) != {"result", "error"}:
            raise AnkiConnectError(f"AnkiConnect's answer to {action} is not {{result, error}}: {reply!r:.200}")
        if reply["error"] is not None:
            raise AnkiConnectError(f"AnkiConnect refused {action}: {reply['error']}")
        return reply["result"]

    def invoke(self, action: str, **params: Any) -> Any:
        """Run one action and return its result; an error answer raises AnkiConnectError."""
        return self._result(action, self._post(self._request(action, params)))

    def multi(self, calls: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Any]:
        """Run several actions in one request (`multi`), returning each result in order."""
        if not calls:
            return []
        actions = [self._request(action, params) for action, params in calls]
        replies = self.invoke("multi", actions=actions)
        if not isinstance(replies, list) or len(replies) != len(calls):
            raise AnkiConnectError(f"AnkiConnect's multi answered {len(replies) if isinstance(replies, list) else 'no list'} for {len(calls)} actions")
        return [self._result(action, reply) for (action, _), reply in zip(calls, replies)]

    def check_version(self) -> int:
        """Make sure the add-on speaks API version 6 or later, and return its version."""
        version = self.invoke("version")
        if not isinstance(version, int) or version < API_VERSION:
            raise AnkiConnectError(f"AnkiConnect speaks API version {version}; deckgen needs {API_VERSION}")
        return version

    # Reading

    def notes_by_guid(self, guids: Mapping[str, int]) -> dict[str, CollectionNote]:
        by_id: dict[int, str] = {}
        for guid, nid in guids.items():
            by_id.setdefault(int(nid), guid)
        notes = self._notes(by_id, by_id)
        return {by_id[nid]: note for nid, note in notes.items()}

    def notes_by_id(self, ids: Iterable[int]) -> dict[int, CollectionNote]:
        return self._notes(dict.fromkeys(int(i) for i in ids), {})

    def _notes(self, ids: Iterable[int], guids: Mapping[int, str]) -> dict[int, CollectionNote]:
        wanted = list(ids)
        if not wanted:
            return {}
        infos, models, filtered = self.multi(
            [("notesInfo", {"notes": wanted}), ("modelNamesAndIds", {}), ("findCards", {"query": "deck:filtered"})]
        )
        infos = [info for info in infos if info]  # a missing note is {}
        card_ids = [cid for info in infos for cid in info.get("cards", [])]
        cards = {card["cardId"]: card for card in (self.invoke("cardsInfo", cards=card_ids) if card_ids else []) if card}
        homes = self._home_decks({cid: cards[cid]["deckName"] for cid in set(filtered) & set(cards)})
        notes: dict[int, CollectionNote] = {}
        for info in infos:
            nid = int(info["noteId"])
            fields = sorted(info["fields"].values(), key=lambda field: field["order"])
            own = sorted((cards[cid] for cid in info.get("cards", []) if cid in cards), key=lambda card: card["ord"])
            notes[nid] = CollectionNote(
                id=nid,
                guid=guids.get(nid),
                notetype_id=int(models[info["modelName"]]),
                mod=info.get("mod"),
                fields=tuple(field["value"] for field in fields),
                tags=tuple(info["tags"]),
                cards=tuple(
                    CollectionCard(
                        id=card["cardId"],
                        ordinal=card["ord"],
                        deck=homes.get(card["cardId"], card["deckName"]),
                        suspended=card["queue"] == _SUSPENDED_QUEUE,
                        filtered=card["cardId"] in homes,
                    )
                    for card in own
                ),
            )
        return notes

    def _home_decks(self, current: Mapping[int, str]) -> dict[int, str]:
        """Home decks of cards in filtered decks, given the deck each sits in now."""
        if not current:
            return {}
        names = [name for name in self.invoke("deckNames") if name not in set(current.values())]
        found = self.multi([("findCards", {"query": f'deck:"{_quote(name)}" deck:filtered'}) for name in names])
        homes: dict[int, str] = {}
        for cid, now in current.items():
            holding = [name for name, hits in zip(names, found) if cid in set(hits)]
            own = [name for name in holding if name not in _deck_parents(now)] or holding
            homes[cid] = max(own, key=lambda name: (_depth(name), name)) if own else now
        return homes

    # Changing

    def import_package(self, path: Path) -> ImportCounts | None:
        # Absolute, since AnkiConnect resolves a relative path against Anki's media folder.
        if not self.invoke("importPackage", path=str(Path(path).resolve())):
            raise AnkiConnectError("AnkiConnect could not import the package (is a profile open in Anki?)")
        return None

    def update_fields(self, note_id: int, fields: Sequence[str]) -> None:
        (info,) = self.invoke("notesInfo", notes=[note_id])
        if not info:
            raise AnkiConnectError(f"no note {note_id} in the collection")
        names = [name for name, _ in sorted(info["fields"].items(), key=lambda item: item[1]["order"])]
        if len(fields) != len(names):
            raise ValueError(f"note {note_id} has {len(names)} fields, not {len(fields)}")
        self.invoke("updateNoteFields", note={"id": note_id, "fields": dict(zip(names, fields))})

    def move_cards(self, card_ids: Iterable[int], deck: str) -> None:
        cards = list(card_ids)
        if cards:
            self.invoke("changeDeck", cards=cards, deck=deck)

    def suspend(self, card_ids: Iterable[int]) -> None:
        cards = list(card_ids)
        if cards:
            self.invoke("suspend", cards=cards)

    def unsuspend(self, card_ids: Iterable[int]) -> None:
        cards = list(card_ids)
        if cards:
            self.invoke("unsuspend", cards=cards)

    def add_tag(self, note_ids: Iterable[int], tag: str) -> None:
        notes = list(note_ids)
        if notes:
            self.invoke("addTags", notes=notes, tags=check_tag(tag))

    def remove_tag(self, note_ids: Iterable[int], tag: str) -> None:
        notes = list(note_ids)
        if notes:
            self.invoke("removeTags", notes=notes, tags=check_tag(tag))

    def delete_notes(self, note_ids: Iterable[int]) -> None:
        notes = list(note_ids)
        if notes:
            self.invoke("deleteNotes", notes=notes)

    def backup(self) -> Path | None:
        """AnkiConnect has no backup action; Anki backs up on its own schedule and on close."""
        return None

    def close(self) -> None:
        """Nothing to release: every call is its own HTTP request."""


def _quote(name: str) -> str:
    """Escape a deck name for Anki's search inside double quotes."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    for special in ("*", "_"):
        escaped = escaped.replace(special, "\\" + special)
    return escaped


__all__ = ["API_VERSION", "AnkiConnectCollection", "AnkiConnectError", "AnkiConnectUnavailable", "DEFAULT_URL"]
