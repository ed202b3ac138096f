"""A workflow drawn as SVG: states in columns by how many moves they are from the first state,
arrows for the moves. A table of the same moves sits beside it for screen readers."""

from __future__ import annotations

from typing import Any

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 44, 70, 26, 16


def workflow_diagram(workflow: dict[str, Any]) -> dict[str, Any] | None:
    states = [s for s in workflow.get("states", []) if isinstance(s, dict) and "code" in s]
    if not states:
        return None
    codes = [s["code"] for s in states]
    edges: list[tuple[str, str]] = []
    for t in workflow.get("transitions", []):
        sources = [t.get("from")] if isinstance(t.get("from"), str) else t.get("from") or []
        for source in sources:
            if source in codes and t.get("to") in codes and source != t.get("to"):
                edges.append((source, t["to"]))
    layer = {workflow.get("initial"): 0} if workflow.get("initial") in codes else {}
    frontier = list(layer)
    while frontier:
        following = []
        for code in frontier:
            for source, target in edges:
                if source == code and target not in layer:
                    layer[target] = layer[code] + 1
                    following.append(target)
        frontier = following
    unreachable = max(layer.values(), default=-1) + 1
    for code in codes:
        layer.setdefault(code, unreachable)
    columns: dict[int, list[str]] = {}
    for code in codes:
        columns.setdefault(layer[code], []).append(code)
    boxes = {}
    by_code = {s["code"]: s for s in states}
    for col, members in sorted(columns.items()):
        for row, code in enumerate(members):
            x = MARGIN + col * (BOX_W + GAP_X)
            y = MARGIN + row * (BOX_H + GAP_Y)
            state = by_code[code]
            boxes[code] = {
                "x": x,
                "y": y,
                "name": str(state.get("name", code))[:22],
                "closed": state.get("open311") == "closed",
                "initial": code == workflow.get("initial"),
                "unreachable": layer[code] == unreachable and code != workflow.get("initial"),
            }
    arrows = []
    for source, target in sorted(set(edges)):
        a, b = boxes[source], boxes[target]
        if b["x"] > a["x"]:
            x1, y1 = a["x"] + BOX_W, a["y"] + BOX_H / 2
            x2, y2 = b["x"], b["y"] + BOX_H / 2
            path = f"M{x1},{y1} C{x1 + GAP_X / 2},{y1} {x2 - GAP_X / 2},{y2} {x2 - 2},{y2}"
        elif b["x"] < a["x"]:  # backwards: loop under the boxes
            x1, y1 = a["x"] + BOX_W / 2, a["y"] + BOX_H
            x2, y2 = b["x"] + BOX_W / 2, b["y"] + BOX_H
            low = max(y1, y2) + GAP_Y
            path = f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2 + 2}"
        else:  # same column: bow out to the right
            x1, y1 = a["x"] + BOX_W, a["y"] + BOX_H / 2
            x2, y2 = b["x"] + BOX_W, b["y"] + BOX_H / 2
            path = f"M{x1},{y1} C{x1 + GAP_X / 2},{y1} {x2 + GAP_X / 2},{y2} {x2 + 2},{y2}"
        arrows.append({"d": path, "back": b["x"] < a["x"]})
    width = MARGIN * 2 + (max(columns) + 1) * (BOX_W + GAP_X)
    height = MARGIN * 2 + max(len(m) for m in columns.values()) * (BOX_H + GAP_Y) + GAP_Y
    return {
        "width": width,
        "height": height,
        "boxes": list(boxes.values()),
        "arrows": arrows,
        "box_w": BOX_W,
        "box_h": BOX_H,
    }
