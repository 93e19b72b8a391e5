"""The definition form's image, skill alignments and tags (docs/console.md).

* **Image**: upload a PNG, JPEG or SVG (checked like a logo, :func:`logo_data_uri`; stored in
  the achievement as a ``data:`` URI) or give an https address; the caption is the image's alt
  text everywhere (``Image.caption``). Left empty on an edit, the current image is kept;
  "Remove the image" drops it.
* **Skill alignments**: repeated rows (name, address, framework, code); each existing row has a
  "Remove" box and :data:`BLANK_ROWS` empty rows follow, so several are added or removed per
  save (no script needed). At most :data:`MAX_ALIGNMENTS`.
* **Tags**: comma-separated keywords.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from microcred.certificates.logo import logo_data_uri
from microcred.errors import InvalidInput
from microcred.web.routes_console_base import ConsoleForm

__all__ = [
    "BLANK_ROWS",
    "MAX_ALIGNMENTS",
    "MAX_TAGS",
    "extras_from_achievement",
    "extras_from_form",
]

BLANK_ROWS: Final = 2
MAX_ALIGNMENTS: Final = 20
MAX_TAGS: Final = 30
_ESCO: Final = "ESCO"


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(value) > 2000:
        raise InvalidInput(f"The {what} must be a web address starting with https://.")
    return value


def _form_state(
    image: Mapping[str, Any] | None, alignments: list[dict[str, str]], tags: list[str]
) -> dict[str, Any]:
    image_id = str((image or {}).get("id") or "")
    return {
        "image_url": image_id if image_id.startswith(("https://", "http://")) else "",
        "image_caption": str((image or {}).get("caption") or ""),
        "image_preview": image_id or None,
        "alignments": alignments
        + [{"name": "", "url": "", "framework": "", "code": ""}] * BLANK_ROWS,
        "tags": ", ".join(tags),
    }


def _alignment_rows(achievement: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for item in achievement.get("alignment") or []:
        if isinstance(item, Mapping):
            rows.append(
                {
                    "name": str(item.get("targetName") or ""),
                    "url": str(item.get("targetUrl") or ""),
                    "framework": str(item.get("targetFramework") or ""),
                    "code": str(item.get("targetCode") or ""),
                }
            )
    return rows


def extras_from_achievement(achievement: Mapping[str, Any] | None) -> dict[str, Any]:
    """The form's image, alignment and tag fields from a stored achievement (JSON)."""
    achievement = achievement or {}
    image = achievement.get("image")
    return _form_state(
        image if isinstance(image, Mapping) else None,
        _alignment_rows(achievement),
        [str(t) for t in achievement.get("tag") or []],
    )


def extras_from_form(
    form: ConsoleForm, previous: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the achievement's ``image``/``alignment``/``tag`` keys, the form's state to show again).

    ``previous`` is the achievement being edited (its image is kept when no new one is given).
    Raises InvalidInput with a sentence for the person filling the form.
    """
    achievement: dict[str, Any] = {}
    # rows: read first, so a refused form shows what was typed
    names, urls = form.getlist("align_name"), form.getlist("align_url")
    frameworks, codes = form.getlist("align_framework"), form.getlist("align_code")
    removed = set(form.getlist("align_remove"))
    rows: list[dict[str, str]] = []
    for index, name in enumerate(names):
        row = {
            "name": name,
            "url": urls[index] if index < len(urls) else "",
            "framework": frameworks[index] if index < len(frameworks) else "",
            "code": codes[index] if index < len(codes) else "",
        }
        if str(index) in removed or not any(row.values()):
            continue
        rows.append(row)
    tags = [t.strip() for t in form.get("tags").split(",") if t.strip()]
    caption = form.get("image_caption")
    state = _form_state(None, rows, tags)
    state["image_caption"] = caption
    state["image_url"] = form.get("image_url")

    # image: a new file, else an address, else the current one (unless removed)
    upload = form.files.get("image_file")
    previous_image = (previous or {}).get("image")
    image: dict[str, Any] | None = None
    if upload is not None and upload[1]:
        image = {"id": logo_data_uri(upload[1], upload[0]), "type": "Image"}
    elif form.get("image_url"):
        image = {"id": _http_url(form.get("image_url"), "image address"), "type": "Image"}
    elif form.get("image_remove") != "yes" and isinstance(previous_image, Mapping):
        image = {"id": str(previous_image.get("id")), "type": "Image"}
    if image is not None:
        if len(caption) > 300:
            raise InvalidInput("The image description (alt text) is at most 300 characters.")
        if not caption:
            raise InvalidInput(
                "Describe the image in a few words (its alt text, read out by screen readers)."
            )
        image["caption"] = caption
        achievement["image"] = image
        state["image_preview"] = image["id"]

    if len(rows) > MAX_ALIGNMENTS:
        raise InvalidInput(f"At most {MAX_ALIGNMENTS} skill alignments.")
    alignments = []
    for row in rows:
        if not row["name"] or not row["url"]:
            raise InvalidInput("Each skill alignment needs a name and a web address.")
        entry: dict[str, Any] = {
            "type": ["Alignment"],
            "targetName": row["name"][:300],
            "targetUrl": _http_url(row["url"], "skill's address"),
        }
        framework = row["framework"] or (_ESCO if "data.europa.eu/esco" in row["url"] else "")
        if framework:
            entry["targetFramework"] = framework[:200]
        if row["code"]:
            entry["targetCode"] = row["code"][:200]
        if "data.europa.eu/esco/skill" in row["url"]:
            entry["targetType"] = "ext:ESCOSkill"
        alignments.append(entry)
    if alignments:
        achievement["alignment"] = alignments
    if len(tags) > MAX_TAGS or any(len(t) > 100 for t in tags):
        raise InvalidInput(f"At most {MAX_TAGS} tags of at most 100 characters each.")
    if tags:
        achievement["tag"] = tags
    return achievement, state
