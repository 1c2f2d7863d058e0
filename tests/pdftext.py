"""Test helper: the text of a PDF in reading order, table cells one after another.

pdfplumber's plain text interleaves the lines of side-by-side table cells; here ruled
tables are found from their lines and read cell by cell (row-major), the rest line by
line, all sorted top to bottom. Independent of the form spec on purpose: it reads what a
person sees on the page.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber


def reading_order_text(path: Path) -> list[str]:
    """One whitespace-normalised string per page."""
    pages: list[str] = []
    with pdfplumber.open(path) as pdf:
        for full_page in pdf.pages:
            # QR modules are tiny filled rectangles; they are no table rules
            page = full_page.filter(
                lambda o: not (o.get("object_type") == "rect" and min(o["width"], o["height"]) < 3)
            )
            tables = page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"})
            boxes = [t.bbox for t in tables]

            def outside(obj: dict) -> bool:  # type: ignore[type-arg]
                cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
                return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

            rest = page.filter(lambda o: o.get("object_type") != "char" or outside(o))
            regions = [(line["top"], 0.0, line["text"]) for line in rest.extract_text_lines()]
            for table in tables:
                for row in table.rows:
                    for cell in row.cells:
                        if cell is not None:
                            text = page.crop(cell).extract_text()
                            if text.strip():
                                regions.append((cell[1], cell[0], text))
            regions.sort()
            pages.append(" ".join(" ".join(r[2] for r in regions).split()))
    return pages
