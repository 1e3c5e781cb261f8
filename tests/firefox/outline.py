"""What both browsers can show, in one comparable shape.

Chrome has no separators, no tags and no Bookmarks Menu root: foxbridge shows the menu as
a "Bookmarks Menu" folder inside Other bookmarks (the default placement). An outline maps
each Sync root (``toolbar``, ``unfiled``, ``mobile``, ``menu``) to its content, where a
bookmark is ``(title, url)`` and a folder ``(title, [children])``; separators and
``place:`` queries are left out.
"""

from __future__ import annotations

from typing import Any

MENU_FOLDER_TITLE = "Bookmarks Menu"
CHROME_ROOTS = {"bookmarks-bar": "toolbar", "other": "unfiled", "mobile": "mobile"}

Outline = dict[str, list[Any]]


def firefox_outline(roots: dict[str, Any]) -> Outline:
    """From ``FirefoxPeer.tree()``."""

    def shape(node: dict[str, Any]) -> Any:
        if node["kind"] == "folder":
            return (node["title"], _visible(node["children"]))
        return (node["title"], node["url"])

    def _visible(children: list[dict[str, Any]]) -> list[Any]:
        return [shape(child) for child in children if _shown_in_chrome(child)]

    return {
        name: _visible(roots[name]["children"]) for name in ("toolbar", "unfiled", "mobile", "menu")
    }


def _shown_in_chrome(node: dict[str, Any]) -> bool:
    return node["kind"] != "separator" and not node.get("url", "").startswith("place:")


def chrome_outline(tree_json: list[dict[str, Any]]) -> Outline:
    """From a ``chrome.bookmarks.getTree()`` result synced by foxbridge."""

    def shape(node: dict[str, Any]) -> Any:
        if "url" in node:
            return (node["title"], node["url"])
        return (node["title"], [shape(child) for child in node.get("children", [])])

    outline: Outline = {"menu": []}
    for root in tree_json[0]["children"]:
        name = CHROME_ROOTS[root["folderType"]]
        children = root.get("children", [])
        if name == "unfiled":
            menus = [c for c in children if "url" not in c and c["title"] == MENU_FOLDER_TITLE]
            assert len(menus) <= 1, "more than one Bookmarks Menu folder in Other bookmarks"
            if menus:
                outline["menu"] = [shape(child) for child in menus[0].get("children", [])]
            children = [c for c in children if c not in menus]
        outline[name] = [shape(child) for child in children]
    return outline
